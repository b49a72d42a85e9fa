"""The numbers of the docstring examples on the bundled wave (survey.examples.bundled_wave),
unrounded, against R: tests/reference/bundled_wave.R (survey 4.1.1, the same raked design
built with calibrate(calfun = "raking")), whose output is tests/reference/bundled_wave.json.
The doctests themselves run in the suite (setup.cfg: --doctest-modules over survey/)."""
from __future__ import annotations

import numpy as np
import pytest

import survey
from survey.examples import bundled_wave

from helpers import close, reference

REF = reference("bundled_wave.json")


@pytest.fixture(scope="module")
def wave():
    return bundled_wave()


def check(frame, ref, columns=("estimate", "se", "ci_low", "ci_high", "deff"), rtol=1e-9):
    for col in columns:
        if col in ref:
            close(frame[col], ref[col], rtol=rtol, atol=1e-12)


def test_the_bundled_wave_is_the_run_s_design(wave, bundled_run):
    design, q = wave
    assert q.id == "midori" and len(design.data) == 1352
    np.testing.assert_array_equal(design.weights.to_numpy(), bundled_run.design.weights.to_numpy())
    assert bundled_wave() is bundled_wave()          # built once per process


def test_design_estimators_match_r(wave):
    design, q = wave
    check(design.mean("years_lived").to_frame(), REF["mean_years"])
    kids = design.with_columns(children=design.data["children"].map(dict(q["children"].codes)))
    check(kids.total("children").to_frame(), REF["total_children"])
    check(kids.proportion("children").to_frame(), REF["proportion_children"])
    # R's svyquantile (survey >= 4.1) gives the Woodruff interval and se = width / (2 t)
    check(design.quantile("years_lived", 0.5).to_frame(), REF["median_years"])


def test_svyglm_matches_r(wave):
    design, _ = wave
    m = survey.svyglm(design, "alloc_cool ~ age_band")
    ref = REF["glm_cool_age"]
    close(m.params, ref["estimate"])
    close(m.se, ref["se"])
    close(m.table["p"], ref["p"], rtol=1e-7)
    assert m.df_resid == ref["df"] == 1288


def test_measures_match_r(wave):
    design, q = wave
    check(survey.satisfaction_index(design, "satisfaction", questionnaire=q).to_frame(), REF["index"])
    by = survey.satisfaction_index(design, "satisfaction", questionnaire=q, by="district").to_frame()
    check(by, REF["index_by_district"])
    means = survey.allocation_means(design, list(q["allocation"].columns), **survey.allocation_policy(q["allocation"]))
    check(means, REF["allocation_means"])
    assert set(means["n"]) == {REF["allocation_n"]}
    shares = survey.topk_shares(design, list(q["policy"].columns)).set_index(["measure", "item"])
    for kind, ref in (("first_share", REF["topk_item1"]["first"]), ("topk_share", REF["topk_item1"]["top3"])):
        row = shares.loc[(kind, 1)]
        close([row["estimate"], row["se"], row["ci_low"], row["ci_high"]],
              [ref["estimate"], ref["se"], ref["ci_low"], ref["ci_high"]])
    alpha = survey.cronbach_alpha(design, "importance", questionnaire=q)
    ref = REF["alpha"]
    assert alpha.n == ref["n"] == 1245
    close([alpha.alpha, alpha.ci_low, alpha.ci_high, alpha.weighted_alpha, alpha.weighted_se],
          [ref["alpha"], ref["ci_low"], ref["ci_high"], ref["weighted_alpha"], ref["weighted_se"]])


def test_rank_logit_matches_r(wave):
    """The exploded logit of the twelve policies on the age band: coefficients of R's weighted
    coxph, standard errors the raked design's variance of the respondents' influences."""
    design, q = wave
    fit = survey.rank_logit(design, list(q["policy"].columns), covariates=["age_band"])
    ref = REF["rank_logit_age"]
    assert fit.n == ref["n"] == 1290
    # R's terms d_j, a_j (item j's constant and age slope) in the order of fit.params
    assert [f"{'d' if t == '(intercept)' else 'a'}_{item}" for item, t in fit.params.index] == ref["terms"]
    close(fit.params, ref["estimate"], rtol=1e-9)   # coxph's eps 1e-10
    close(fit.se, ref["se"], rtol=1e-9)
