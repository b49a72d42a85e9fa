"""The shared base of the result objects (survey/design/results.py, issue 17 item 2): every
result answers estimate/params, vcov, se, conf_int(level), to_frame() with fixed columns,
wald_test() and summary() the same way.

The reference numbers are hand calculations: a Wald interval's width is proportional to
the quantile ``q(0.5 + level/2)``, so the 90 % interval is ``q(0.95) / q(0.975)`` as wide as
the 95 % one (normal: 1.6448536 / 1.9599640 = 0.8392265; t on 12 df: 1.7822876 / 2.1788128 =
0.8180086); the Wald statistic of one estimate is its squared z (or t).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.design.olr import olr
from survey.design.regression import glm
from survey.design.results import COLUMNS, Summary
from survey.errors import DesignError

import helpers

NORMAL_RATIO = 0.8392265  # qnorm(0.95) / qnorm(0.975)
T12_RATIO = 0.8180086     # qt(0.95, 12) / qt(0.975, 12)


@pytest.fixture(scope="module")
def dclus1():
    data = helpers.api("apiclus1")
    data["mealcat"] = pd.cut(data["meals"], [0, 25, 50, 75, 100])
    return helpers.dclus1(data)


def width(result, level):
    ci = result.conf_int(level)
    return (ci["ci_high"] - ci["ci_low"]).to_numpy()


def check_shared(result, *, ratio, one, df, ci_df=None):
    """The behaviour every result shares, on ``result`` whose estimate ``one`` is tested
    (Wald test on ``df``; intervals and the summary's p on ``ci_df``, default the same)."""
    assert result.params is result.estimate or result.params.equals(result.estimate)
    assert list(result.vcov.index) == list(result.params.index)
    helpers.close(result.se, np.sqrt(np.diag(result.vcov.to_numpy())), rtol=1e-15, atol=0)
    helpers.close(width(result, 0.90) / width(result, 0.95), ratio, rtol=1e-7, atol=0)
    frame = result.to_frame()
    assert list(frame.columns) == COLUMNS
    helpers.close(frame["estimate"], result.params, rtol=0, atol=0)
    ci = result.conf_int(0.95)
    helpers.close(frame[["ci_low", "ci_high"]], ci, rtol=0, atol=0)
    test = result.wald_test(one)
    z = result.params[one] / result.se[one]
    assert test.statistic == pytest.approx(z ** 2, rel=1e-12)
    assert (test.ndf, test.ddf) == (1.0, df)
    assert len(test.contrasts) == 1
    s = result.summary()
    assert isinstance(s, Summary) and isinstance(s, str) and s.title in s._repr_html_()
    assert "<table" in s._repr_html_() and "<strong>" in s._repr_html_()
    assert list(s.table.columns[:3]) == ["term", "estimate", "se"] and "p" in s.table.columns
    row = s.table.set_index("term").loc[" : ".join(map(str, one)) if isinstance(one, tuple) else str(one)]
    assert row[s.table.columns[3]] == pytest.approx(z, rel=1e-12)
    if ci_df is None:
        assert row["p"] == pytest.approx(test.p, rel=1e-9)
    else:                                    # the summary's p is the z test of the coefficient table
        from scipy import stats
        assert row["p"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    return frame


def test_estimate_of_means_shares_the_base(dclus1):
    m = dclus1.mean(["api00", "api99"])
    frame = check_shared(m, ratio=NORMAL_RATIO, one="api00", df=np.inf)
    assert list(frame["n"]) == [183, 183]
    # two estimates jointly: the chi-square of the pair, with their covariance
    b, V = m.params.to_numpy(), m.vcov.to_numpy()
    assert m.wald_test().chisq == pytest.approx(float(b @ np.linalg.solve(V, b)), rel=1e-12)
    assert m.wald_test(["api00"], null=600).statistic == pytest.approx(((b[0] - 600) / m.se.iloc[0]) ** 2)


def test_estimate_with_design_df_tests_on_them(dclus1):
    p = dclus1.proportion("sch.wide", method="logit")   # design df: 15 clusters - 1
    assert p.wald_test(p.params.index[0]).ddf == 14.0
    assert p.to_frame(0.9)["ci_low"].iloc[0] > p.to_frame()["ci_low"].iloc[0]


def test_glm_result_shares_the_base(dclus1):
    g = glm(dclus1, "api00 ~ ell + meals")
    assert g.df_resid == 12
    check_shared(g, ratio=T12_RATIO, one="ell", df=12.0)
    assert g.summary().title == "GLMResult: api00 ~ ell + meals (n = 183, df = 12); 95% intervals"
    assert g.n_iter >= 1 and not hasattr(g, "iterations")


def test_olr_result_shares_the_base(dclus1):
    o = olr(dclus1, "mealcat ~ ell")
    from scipy import stats
    ratio = stats.t.ppf(0.95, o.df_resid) / stats.t.ppf(0.975, o.df_resid)
    check_shared(o, ratio=ratio, one="ell", df=float(o.df_resid))
    assert o.n_iter >= 1 and not hasattr(o, "iterations")


def test_wald_test_names_an_unknown_estimate(dclus1):
    with pytest.raises(DesignError, match=r"wald_test: no estimate 'nope'; the estimates are \['api00'\]"):
        dclus1.mean("api00").wald_test("nope")


# ----------------------------------------------------------------- the measures' results
@pytest.fixture(scope="module")
def wave():
    from survey.examples import bundled_wave

    return bundled_wave()


def test_rank_logit_result_shares_the_base(wave):
    import survey

    design, q = wave
    fit = survey.rank_logit(design, list(q["policy"].columns))       # 11 item constants, design-based
    assert fit.ddf == 1341.0                 # design df 1351 minus 11 coefficients plus 1 (svycoxph)
    frame = check_shared(fit, ratio=NORMAL_RATIO, one=(2, "(intercept)"), df=1341.0, ci_df=np.inf)
    assert frame.index.names == ["item", "term"] and set(frame["n"]) == {fit.n}
    # the interval and z of to_frame/summary are the coefficient table's (normal reference)
    helpers.close(frame["se"], fit.table["se"], rtol=1e-15, atol=0)
    text = fit.summary()
    assert str(text).startswith("Exploded logit of 3 ranked choice(s) over 12 items")
    assert "<table" in text._repr_html_() and len(text.table) == 11
    with pytest.raises(DesignError, match=r"No coefficient matches 'age'"):
        fit.wald_test("age")


def test_dirichlet_fit_shares_the_base():
    from survey.measures.allocation.dirichlet import dirichlet_regression

    lake = pd.read_csv(helpers.DATA / "arcticlake.csv")
    fit = dirichlet_regression(lake, ["sand", "silt", "clay"], covariates=["depth"])   # ML: normal reference
    frame = check_shared(fit, ratio=NORMAL_RATIO, one=("silt", "depth"), df=np.inf)
    assert set(frame["n"]) == {39} and frame["deff"].isna().all()
    assert fit.n_iter >= 1 and list(fit.table.columns)[5] == "p"
    # the one-coefficient test is the table's z test
    z_row = fit.table.set_index(["part", "term"]).loc[("silt", "depth")]
    assert fit.wald_test(("silt", "depth")).p == pytest.approx(z_row["p"], rel=1e-10)


def test_reliability_shares_the_base(wave):
    import survey
    from scipy import stats

    design, q = wave
    rel = survey.cronbach_alpha(design, "importance", questionnaire=q)
    frame = rel.to_frame()
    assert list(frame.columns) == COLUMNS and list(frame.index) == ["unweighted", "weighted"]
    assert list(frame["n"]) == [1245, 1245] and np.isnan(frame.loc["unweighted", "se"])
    # weighted: Wald (normal); unweighted: Feldt's F interval, recomputed at 90 %
    w90, w95 = width(rel, 0.90), width(rel, 0.95)
    assert w90[1] / w95[1] == pytest.approx(NORMAL_RATIO, rel=1e-7)
    n, k = 1245, 10
    feldt90 = [1 - (1 - rel.alpha) * stats.f.ppf(q_, n - 1, (n - 1) * (k - 1)) for q_ in (0.95, 0.05)]
    helpers.close(rel.conf_int(0.9).loc["unweighted"], feldt90, rtol=1e-12, atol=0)
    helpers.close(rel.conf_int(0.95).loc["unweighted"], [rel.ci_low, rel.ci_high], rtol=0, atol=0)
    z = rel.weighted_alpha / rel.weighted_se
    assert rel.wald_test("weighted").statistic == pytest.approx(z ** 2, rel=1e-12)
    with pytest.raises(DesignError, match=r"wald_test: unweighted has no design-based variance"):
        rel.wald_test("unweighted")
    assert "<table" in rel.summary()._repr_html_()
