"""The Rao-Wu rescaled bootstrap: replicates of a raked design that never
lose a raking level (issue 18 item 6).

R's bootstrap (``replicate("bootstrap")``, R ``as.svrepdesign(type=
"bootstrap")``) draws n_h PSUs with replacement, so a replicate can miss
all three respondents of unknown age on the bundled wave and cannot be
raked.  ``replicate("rescaled_bootstrap")`` draws m_h = n_h / 2 and rescales
(Rao & Wu 1988): every factor is at least 1 - lambda_h > 0.  The variance of
a total is unbiased for the linearised one, so the checks are against the
linearised SE (Monte Carlo error of an SE from B replicates about
1/sqrt(2B)).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey
from survey.design import Design
from survey.errors import ConvergenceError, DesignError

from conftest import ROOT

HERE = Path(__file__).parent
STRAT = pd.read_csv(HERE / "data" / "apistrat.csv")


@pytest.fixture(scope="module")
def wave(questionnaire):
    """The bundled wave, raked as survey run rakes it (1,352 respondents)."""
    ds = survey.load(ROOT / "data" / "raw" / "midori_2025_sample.csv", questionnaire)
    return survey.weight_wave(ds, survey.read_margins(ROOT / "data" / "midori_margins.csv"))


def test_rs_bootstrap_cannot_rake_the_wave(wave):
    """Three respondents of unknown age: a replicate misses all of them with
    probability (1 - 3/1352)^1352 = 5%, so 500 replicates fail."""
    assert int((wave.data["_rake_age_band"] == 0).sum()) == 3
    with pytest.raises(ConvergenceError, match=r"replicate \d+ has no weight in a populated level of "
                                               r"'_rake_age_band'; collapse levels, or build the "
                                               r"replicates with replicate\('rescaled_bootstrap'\)"):
        wave.replicate("bootstrap", replicates=500, seed=1)


def test_rescaled_bootstrap_rakes_every_replicate(wave):
    rep = wave.replicate("rescaled_bootstrap", replicates=500, seed=1)
    assert rep.n_replicates == 500 and rep.scale == pytest.approx(1 / 499)
    W = rep.replicate_weights
    # every replicate meets the margins (raked), e.g. the unknown-age level
    unknown = (rep.data["_rake_age_band"] == 0).to_numpy()
    np.testing.assert_allclose(W[unknown].sum(axis=0), rep.weights[unknown].sum(), rtol=1e-8)
    assert (W > 0).all()


def test_factors_bounded_below():
    """n = 200 schools in strata of 100, 50, 50; m_h = n_h / 2; lambda_h =
    sqrt(m_h (1 - f_h) / (n_h - 1)) with f_h = n_h / N_h: E 100/4421,
    H 50/755, M 50/1018 (hand calculation)."""
    d = Design(STRAT, weights="pw", strata="stype", fpc="fpc")
    rep = d.replicate("rescaled_bootstrap", replicates=300, seed=4)
    F = rep.replicate_weights / STRAT["pw"].to_numpy()[:, None]
    for stype, n, N in (("E", 100, 4421), ("H", 50, 755), ("M", 50, 1018)):
        lam = np.sqrt(n / 2 * (1 - n / N) / (n - 1))
        rows = (STRAT["stype"] == stype).to_numpy()
        # possible factors: 1 - lam + lam * 2 * k, k = times drawn
        k = (F[rows] - 1 + lam) / (2 * lam)
        np.testing.assert_allclose(k, np.round(k), atol=1e-9)
        assert F[rows].min() == pytest.approx(1 - lam, rel=1e-12)
        # each replicate draws n / 2 schools of the stratum
        np.testing.assert_allclose(np.round(k).sum(axis=0), n / 2)


def test_se_matches_linearised_with_fpc():
    """4,000 replicates: Monte Carlo error of the SE about 1.1%; tolerance 4%."""
    d = Design(STRAT, weights="pw", strata="stype", fpc="fpc")
    rep = d.replicate("rescaled_bootstrap", replicates=4000, seed=20251206)
    np.testing.assert_allclose(rep.total(["enroll", "api00"]).se, d.total(["enroll", "api00"]).se,
                               rtol=0.04)


def test_se_of_the_raked_wave(wave):
    """2,000 re-raked replicates against the linearised SE of the raked wave
    (calibration residuals): Monte Carlo error 1.6%; tolerance 6%."""
    cols = ["satisfaction", "alloc_rain", "alloc_children", "alloc_health"]
    rep = wave.replicate("rescaled_bootstrap", replicates=2000, seed=20251201)
    np.testing.assert_allclose(rep.mean(cols).se, wave.mean(cols).se, rtol=0.06)


def test_allocation_top_k_on_the_pipeline_design(wave, questionnaire):
    parts = list(questionnaire["allocation"].columns)
    out = survey.allocation_top_k(wave, parts, k=3, replicates=200, seed=1)
    assert out.attrs["replicates"] == 200
    top = out.sort_values("rank").reset_index(drop=True)
    # disaster (201 yen) and children (163 yen) lead in every replicate
    assert list(top["part"][:2]) == ["alloc_disaster", "alloc_children"]
    assert top["estimate"][0] == pytest.approx(201.440219, abs=1e-6)
    assert top["p_top1"][0] == 1.0 and top["p_top_k"][1] == 1.0
    assert out["p_top_k"].sum() == pytest.approx(3.0)


def test_draws_as_a_number_is_capped():
    d = Design(STRAT, weights="pw", strata="stype")
    rep = d.replicate("rescaled_bootstrap", replicates=50, seed=2, draws=99)
    F = rep.replicate_weights / STRAT["pw"].to_numpy()[:, None]
    h = (STRAT["stype"] == "H").to_numpy()
    # H has 50 schools: m = 49 draws, lambda = 1, factor = 50/49 * times drawn
    np.testing.assert_allclose((F[h] * 49 / 50).sum(axis=0), 49)


@pytest.mark.parametrize("draws", [0, 1.0, -0.5, "half", True])
def test_draws_checked(draws):
    with pytest.raises(DesignError, match=r"draws must be a fraction of each stratum's PSUs "
                                          r"\(0 < draws < 1, default 0.5\) or a number of PSUs"):
        Design(STRAT, weights="pw", strata="stype").replicate("rescaled_bootstrap", draws=draws)


def test_lonely_psu_needs_an_option():
    data = STRAT.assign(s=np.where(np.arange(len(STRAT)) == 0, "Z", STRAT["stype"]))
    with pytest.raises(DesignError, match=r"strata \['Z'\] have one PSU; choose Design\(\.\.\., lonely_psu"):
        Design(data, weights="pw", strata="s").replicate("rescaled_bootstrap")
    rep = Design(data, weights="pw", strata="s", lonely_psu="certainty").replicate(
        "rescaled_bootstrap", replicates=20, seed=1)
    np.testing.assert_allclose(rep.replicate_weights[0], data["pw"].iloc[0])


def test_unknown_method_lists_the_methods():
    with pytest.raises(DesignError, match=r"method must be one of \('jk1', 'jkn', 'bootstrap', "
                                          r"'rescaled_bootstrap', 'brr', 'fay'\); got 'raowu'"):
        Design(STRAT, weights="pw", strata="stype").replicate("raowu")
