"""Tests for survey.measures.allocation.dirichlet (Dirichlet regression).

Published references: DirichletReg (Maier 2014, package vignette/paper) on
ArcticLake, DR(Y ~ depth) logLik 101.3697 and DR(Y ~ 1) logLik 39.52929;
on BloodSamples, DirichReg(Smp ~ Disease | 1, model = "alternative",
base = 3) logLik 151.9 (the 30 rows with a known disease; the 6 unclassified
rows have Disease = NA and are dropped).  The design-based pseudo-ML fit is
checked against tests/reference/allocation_dirichlet.R (base R optim +
R survey svytotal of the scores).
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design.design import Design
from survey.errors import DesignError, InputError
from survey.measures.allocation.dirichlet import dirichlet_regression, prepare_composition

HERE = Path(__file__).resolve().parent
SEDIMENT = ["sand", "silt", "clay"]
BLOOD = ["Albumin", "Pre.Albumin", "Globulin.A", "Globulin.B"]


@pytest.fixture(scope="module")
def lake():
    return pd.read_csv(HERE / "data" / "arcticlake.csv")


@pytest.fixture(scope="module")
def blood():
    return pd.read_csv(HERE / "data" / "bloodsamples.csv")


@pytest.fixture(scope="module")
def lake_fit(lake):
    return dirichlet_regression(lake, SEDIMENT, covariates=["depth"])


def test_arctic_lake_published_logliks(lake, lake_fit):
    assert lake_fit.loglik == pytest.approx(101.3697, abs=5e-5)
    assert lake_fit.n == 39 and lake_fit.n_params == 6 and not lake_fit.transformed
    null = dirichlet_regression(lake, SEDIMENT)
    assert null.loglik == pytest.approx(39.52929, abs=5e-6)
    assert lake_fit.aic == pytest.approx(-2 * lake_fit.loglik + 12)
    assert lake_fit.bic == pytest.approx(-2 * lake_fit.loglik + 6 * np.log(39))
    tab = lake_fit.table
    assert list(tab["part"]) == ["sand", "sand", "silt", "silt", "clay", "clay"]
    assert list(tab["term"]) == ["(Intercept)", "depth"] * 3
    assert list(tab.columns) == ["part", "term", "estimate", "se", "z", "p", "ci_low", "ci_high"]
    frame = lake_fit.to_frame()                  # the shared result columns, indexed by (part, term)
    assert list(frame.columns) == ["estimate", "se", "ci_low", "ci_high", "deff", "n"]
    assert frame.index.names == ["part", "term"] and set(frame["n"]) == {39}
    np.testing.assert_allclose(frame[["ci_low", "ci_high"]].to_numpy(), tab[["ci_low", "ci_high"]].to_numpy(),
                               rtol=1e-14)


def test_blood_samples_alternative_model_published_loglik(blood):
    fit = dirichlet_regression(blood, BLOOD, covariates=["Disease"], model="alternative",
                               base="Globulin.A")
    assert fit.n == 30
    assert fit.loglik == pytest.approx(151.9, abs=0.05)
    assert list(fit.coefficients["part"]) == ["Albumin"] * 2 + ["Pre.Albumin"] * 2 + \
        ["Globulin.B"] * 2 + ["(phi)"]
    assert list(fit.coefficients["term"])[:2] == ["(Intercept)", "DiseaseB"]
    # the base part changes the coefficients, not the fit
    other = dirichlet_regression(blood, BLOOD, covariates=["Disease"], model="alternative")
    assert other.loglik == pytest.approx(fit.loglik, abs=1e-8)
    new = pd.DataFrame({"Disease": ["A", "B"]})
    pd.testing.assert_frame_equal(fit.predict(new), other.predict(new), rtol=1e-6)


def test_saturated_parametrisations_agree(blood):
    # mean ~ Disease and precision ~ Disease has one alpha vector per disease,
    # like the common model alpha_j ~ Disease: same fit (8 parameters each)
    common = dirichlet_regression(blood, BLOOD, covariates=["Disease"])
    alt = dirichlet_regression(blood, BLOOD, covariates=["Disease"], model="alternative",
                               precision=["Disease"])
    assert common.loglik == pytest.approx(alt.loglik, abs=1e-7)
    new = pd.DataFrame({"Disease": ["A", "B"]})
    np.testing.assert_allclose(common.predict(new, what="alpha"), alt.predict(new, what="alpha"),
                               rtol=1e-5)


def test_score_is_zero_and_vcov_is_inverse_hessian(lake, lake_fit):
    y = lake[SEDIMENT].to_numpy()
    y = y / y.sum(axis=1, keepdims=True)
    x = np.column_stack([np.ones(len(lake)), lake["depth"]])

    def loglik(theta):
        from scipy.special import gammaln
        a = np.exp(x @ theta.reshape(3, 2).T)
        return np.sum(gammaln(a.sum(1)) - gammaln(a).sum(1) + ((a - 1) * np.log(y)).sum(1))

    theta = lake_fit.coefficients["estimate"].to_numpy()
    assert loglik(theta) == pytest.approx(lake_fit.loglik, rel=1e-12)
    # numerical Hessian by central differences of the log-likelihood, steps 0.1 % of each SE
    # (the information matrix has condition number 3e6: small steps are needed)
    step_sizes = 0.001 * lake_fit.coefficients["se"].to_numpy()
    h = np.zeros((6, 6))
    for i in range(6):
        for j in range(6):
            e_i, e_j = np.eye(6)[i] * step_sizes[i], np.eye(6)[j] * step_sizes[j]
            h[i, j] = (loglik(theta + e_i + e_j) - loglik(theta + e_i - e_j)
                       - loglik(theta - e_i + e_j) + loglik(theta - e_i - e_j)) / (
                4 * step_sizes[i] * step_sizes[j])
    np.testing.assert_allclose(lake_fit.vcov.to_numpy(), np.linalg.inv(-h), rtol=1e-3)
    # at the maximum the Newton step computed from numerical derivatives is ~0
    # (the depth scores are large numbers, so test the step, not the gradient)
    grad = np.array([(loglik(theta + e) - loglik(theta - e)) / (2 * e.sum())
                     for e in np.diag(step_sizes)])
    step = np.linalg.solve(-h, grad)
    assert np.max(np.abs(step / lake_fit.coefficients["se"].to_numpy())) < 1e-4


def test_frequency_weights_equal_duplicated_rows(lake):
    w = np.where(np.arange(39) % 3 == 0, 2.0, 1.0)
    weighted = dirichlet_regression(lake, SEDIMENT, covariates=["depth"], weights=w)
    doubled = dirichlet_regression(pd.concat([lake, lake[w == 2]]), SEDIMENT, covariates=["depth"])
    np.testing.assert_allclose(weighted.coefficients["estimate"], doubled.coefficients["estimate"],
                               rtol=1e-7)
    np.testing.assert_allclose(weighted.coefficients["se"], doubled.coefficients["se"], rtol=1e-6)
    assert weighted.loglik == pytest.approx(doubled.loglik, rel=1e-10)


def test_predict(lake_fit):
    new = pd.DataFrame({"depth": [10.0, 50.0, 100.0]})
    mu, alpha, phi = (lake_fit.predict(new, what=w) for w in ("mu", "alpha", "phi"))
    np.testing.assert_allclose(mu.sum(axis=1), 1.0)
    np.testing.assert_allclose(phi["phi"], alpha.sum(axis=1))
    b = lake_fit.coefficients.set_index(["part", "term"])["estimate"]
    assert alpha.loc[1, "clay"] == pytest.approx(np.exp(b["clay", "(Intercept)"] + 50 * b["clay", "depth"]))
    with pytest.raises(InputError, match="what must be"):
        lake_fit.predict(new, what="beta")


def test_prepare_composition_smithson_verkuilen():
    # closed rows (0, 1) and (.5, .5), n = 2, D = 2: (y (n - 1) + 1/D) / n
    y, transformed = prepare_composition([[0, 3], [1, 1]])
    np.testing.assert_allclose(y, [[0.25, 0.75], [0.5, 0.5]])
    assert transformed
    y, transformed = prepare_composition([[1, 3], [1, 1]])
    np.testing.assert_allclose(y, [[0.25, 0.75], [0.5, 0.5]])
    assert not transformed
    with pytest.raises(InputError, match="transform=False"):
        prepare_composition([[0, 3]], transform=False)
    with pytest.raises(InputError, match="negative"):
        prepare_composition([[-1, 3]])


def test_design_based_fit_matches_r_sandwich():
    ref = json.loads((HERE / "reference" / "allocation_dirichlet.json").read_text())
    data = pd.read_csv(HERE / "data" / "allocation_test.csv")
    parts = ref["parts"]
    y = data[parts]
    valid = (y.notna().all(axis=1) & (y.sum(axis=1) == 1000)).to_numpy()
    design = Design(data, weights="wt", strata="stratum").subset(valid)
    fit = dirichlet_regression(design, parts, covariates=["age"])
    assert fit.method == "pseudo-ml (design-based)" and fit.transformed and fit.n == ref["n"]
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-10)
    np.testing.assert_allclose(fit.coefficients["estimate"], ref["estimate"], rtol=1e-6, atol=1e-8)
    # R's observed information is a numerical derivative of the gradient: agree to ~1e-6
    np.testing.assert_allclose(fit.coefficients["se"], ref["se"], rtol=1e-5)
    plain = dirichlet_regression(data[valid], parts, covariates=["age"], weights="wt")
    np.testing.assert_allclose(plain.coefficients["se"], ref["se_model"], rtol=1e-5)
    np.testing.assert_allclose(plain.coefficients["estimate"], fit.coefficients["estimate"],
                               rtol=1e-10)


def test_input_errors(lake, blood):
    with pytest.raises(InputError, match="not columns"):
        dirichlet_regression(lake, ["sand", "gravel"])
    with pytest.raises(InputError, match="belong to model='alternative'"):
        dirichlet_regression(lake, SEDIMENT, precision=["depth"])
    with pytest.raises(InputError, match="collinear"):
        dirichlet_regression(lake.assign(d2=2 * lake["depth"]), SEDIMENT, covariates=["depth", "d2"])
    data = pd.read_csv(HERE / "data" / "allocation_test.csv")
    with pytest.raises(DesignError, match="missing parts"):
        dirichlet_regression(Design(data, weights="wt", strata="stratum"),
                             ["rainwater", "carbon"], covariates=["age"])


def test_replicate_weight_fit_matches_r_withreplicates():
    # stratified jackknife (R as.svrepdesign(type = "JKn")), every replicate refitted
    ref = json.loads((HERE / "reference" / "allocation_dirichlet.json").read_text())
    ref = ref["jkn_subcomposition"]
    data = pd.read_csv(HERE / "data" / "allocation_test.csv")
    q = ref["parts"]
    ok = (data[q].notna().all(axis=1) & (data[q].sum(axis=1) > 0)).to_numpy()
    design = Design(data, weights="wt", strata="stratum").replicate("jkn").subset(ok)
    fit = dirichlet_regression(design, q, covariates=["age"])
    assert fit.method == "pseudo-ml (replicate weights)" and fit.n == ref["n"]
    np.testing.assert_allclose(fit.coefficients["estimate"], ref["estimate"], rtol=1e-7)
    np.testing.assert_allclose(fit.coefficients["se"], ref["se"], rtol=1e-6)


def test_rows_with_nothing_in_the_subcomposition_are_named():
    data = pd.read_csv(HERE / "data" / "allocation_test.csv").dropna()
    with pytest.raises(InputError, match="0 in every part"):
        dirichlet_regression(data, ["health", "childhood", "disaster"])
