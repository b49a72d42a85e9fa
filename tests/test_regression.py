"""Design-based GLM (svyglm) and proportional-odds model (svyolr) against R.

Every reference number comes from the committed R scripts
tests/reference/regression_glm.R -> regression_glm.json and
tests/reference/regression_olr.R -> regression_olr.json (R survey 4.1.1),
run on the CSV copies of R's `api` data in tests/data.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design import Design, ReplicateDesign
from survey.design.olr import olr, svyolr
from survey.design.regression import glm, svyglm
from survey.design.anova import regterm_test
from survey.errors import ConvergenceError, DesignError

from helpers import close_at

HERE = Path(__file__).parent
DATA = HERE / "data"
REF = HERE / "reference"
GLM = json.loads((REF / "regression_glm.json").read_text())
OLR = json.loads((REF / "regression_olr.json").read_text())
RTOL = 1e-6


close = close_at(RTOL, atol=0)


@pytest.fixture(scope="module")
def apiclus1():
    df = pd.read_csv(DATA / "apiclus1.csv")
    df["mealcat"] = pd.cut(df["meals"], [0, 25, 50, 75, 100])
    return df


@pytest.fixture(scope="module")
def apistrat():
    df = pd.read_csv(DATA / "apistrat.csv")
    df["apicat"] = pd.cut(df["api00"], [0, 600, 700, 800, 1000])
    return df


@pytest.fixture(scope="module")
def dclus1(apiclus1):
    # R: svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    return Design(apiclus1, ids="dnum", weights="pw", fpc="fpc")


@pytest.fixture(scope="module")
def dstrat(apistrat):
    # R: svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    return Design(apistrat, strata="stype", weights="pw", fpc="fpc")


def check_glm(res, ref, rtol=RTOL, *, deff=True):
    t = res.table
    close(t["estimate"], ref["estimate"], rtol)
    close(t["se"], ref["se"], rtol)
    close(t["t"], ref["t"], rtol)
    close(t["p"], ref["p"], 100 * rtol)  # p-values of |t| ~ 80 amplify rounding
    close(t[["ci_low", "ci_high"]], ref["ci95"], rtol)
    close(res.conf_int(0.9), ref["ci90"], rtol)
    close(res.vcov, ref["vcov"], rtol)
    if deff:
        close(t["deff"], ref["deff"], rtol)
    assert res.df_resid == ref["df_resid"]
    assert res.n == ref["n"]


# ------------------------------------------------------------------ svyglm
def test_gaussian_stratified(dstrat):
    res = glm(dstrat, "api00 ~ ell + meals + mobility")
    check_glm(res, GLM["strat_gaussian"])
    assert list(res.table.columns) == ["term", "estimate", "se", "t", "p", "ci_low",
                                       "ci_high", "deff"]
    assert list(res.params.index) == ["Intercept", "ell", "meals", "mobility"]
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "se", "ci_low", "ci_high", "deff", "n"]
    assert (frame["n"] == 200).all()


def test_logit_cluster_and_odds_ratios(dclus1):
    res = svyglm(dclus1, "`sch.wide` ~ ell + meals", family="quasibinomial")
    ref = GLM["clus1_logit"]  # glm.control(epsilon = 1e-14)
    check_glm(res, ref)
    ors = res.odds_ratios()
    close(ors["odds_ratio"], ref["odds_ratio"])
    close(ors[["ci_low", "ci_high"]], ref["or_ci95"])
    # R's default IRLS stopping (epsilon 1e-8) leaves ~1e-7 relative error in its SEs
    default = GLM["clus1_logit_default"]
    close(res.table["se"], default["se"], 1e-5)


def test_binary_response_coding_matches_factor(apiclus1, dclus1):
    yes = apiclus1["sch.wide"].eq("Yes")
    data = apiclus1.assign(yes=yes, yes01=yes * 1.0)
    d = Design(data, ids="dnum", weights="pw", fpc="fpc")
    for lhs in ("yes", "yes01"):
        res = glm(d, f"{lhs} ~ ell + meals", family="binomial")
        close(res.params, GLM["clus1_logit"]["estimate"])


def test_categorical_interaction_and_term_tests(dclus1):
    res = glm(dclus1, "api00 ~ ell + C(stype) + ell:C(stype)")
    ref = GLM["clus1_categorical"]
    check_glm(res, ref)
    # R names stypeH, ell:stypeH ...; formulaic names C(stype)[T.H], ell:C(stype)[T.H]
    assert list(res.params.index) == ["Intercept", "ell", "C(stype)[T.H]", "C(stype)[T.M]",
                                      "ell:C(stype)[T.H]", "ell:C(stype)[T.M]"]
    rt = regterm_test(res, "~ stype + ell:stype")
    close([rt.statistic, rt.p], [ref["regterm_stype"]["F"], ref["regterm_stype"]["p"]])
    assert (rt.ndf, rt.ddf) == (ref["regterm_stype"]["ndf"], ref["regterm_stype"]["ddf"])
    rt = regterm_test(res, ["C(stype)"], df=np.inf)
    close([rt.chisq, rt.p], [ref["regterm_stype_chisq"]["chisq"], ref["regterm_stype_chisq"]["p"]])
    with pytest.raises(DesignError, match="not in the model"):
        regterm_test(res, "~ meals")


def test_quasipoisson(dstrat):
    res = glm(dstrat, "enroll ~ meals + C(stype)", family="quasipoisson")
    check_glm(res, GLM["strat_quasipoisson"])
    with pytest.raises(DesignError, match="logit"):
        res.odds_ratios()


def test_missing_predictor_rows_are_dropped(dclus1):
    # acs.k3 is NA for 39 schools; R drops them and recomputes the design df
    res = glm(dclus1, "api00 ~ `acs.k3` + ell")
    check_glm(res, GLM["clus1_missing"])
    assert res.n == 144


def test_domain_keeps_design(dclus1, apiclus1):
    dom = dclus1.subset(apiclus1["stype"].eq("M").to_numpy())
    res = glm(dom, "api00 ~ ell + meals")
    check_glm(res, GLM["clus1_domain_M"])
    assert res.df_resid == 9  # 12 districts with middle schools - 1 + 1 - 3


POP_TYPES = pd.Series({"E": 4421.0, "H": 755.0, "M": 1018.0})
POP_SCHWIDE = pd.Series({"No": 1072.0, "Yes": 5122.0})


@pytest.mark.parametrize("key", ["clus1_raked", "clus1_poststrat", "clus1_linear_cal"])
def test_calibrated_designs(dclus1, key):
    # R: rake(dclus1, list(~stype, ~sch.wide), ...), postStratify(dclus1, ~stype, ...),
    #    calibrate(dclus1, ~stype + api99, c(6194, 755, 1018, 3914069))
    if key == "clus1_raked":
        d = dclus1.rake({"stype": POP_TYPES, "sch.wide": POP_SCHWIDE})
    elif key == "clus1_poststrat":
        d = dclus1.poststratify("stype", POP_TYPES)
    else:
        d = dclus1.calibrate({"(Intercept)": 6194.0, ("stype", "H"): 755.0,
                              ("stype", "M"): 1018.0, "api99": 3914069.0})
    ref = GLM[key]
    if "weights" in ref:
        close(d.weights, ref["weights"], 1e-8)
    check_glm(glm(d, "api00 ~ ell + meals + mobility"), ref, deff=False)


def test_replicate_design_refits(dclus1):
    rep = dclus1.replicate("jk1")  # R: as.svrepdesign(dclus1, type = "JK1")
    check_glm(glm(rep, "api00 ~ ell + meals + mobility"), GLM["jk1_gaussian"], deff=False)
    check_glm(glm(rep, "`sch.wide` ~ ell + meals", family="quasibinomial"), GLM["jk1_logit"],
              deff=False)


def test_replicate_weights_exported_from_r(apiclus1):
    # the 15 JK1 replicate weights of as.svrepdesign(dclus1) written by the R script
    W = pd.read_csv(REF / "regression_jk1_weights.csv").to_numpy()
    rep = ReplicateDesign(apiclus1, weights="pw", replicate_weights=W, method="jk1",
                          scale=GLM["jk1_scale"])
    assert rep.degf == GLM["jk1_degf"]
    check_glm(glm(rep, "`sch.wide` ~ ell + meals", family="quasibinomial"), GLM["jk1_logit"],
              deff=False)


# ------------------------------------------------------------------ svyolr
OLR_FORMULA = "mealcat ~ `avg.ed` + mobility + C(stype)"


def check_olr(res, ref, rtol_est=RTOL, rtol_se=RTOL):
    close(res.params, ref["estimate"], rtol_est)
    close(res.se, ref["se"], rtol_se)
    close(res.table["t"], ref["t"], rtol_se)
    assert res.df_resid == ref["df_resid"]


def test_olr_matches_r_example(dclus1):
    # R's ?svyolr example; 26 rows have avg.ed missing
    res = svyolr(dclus1, OLR_FORMULA)
    ref = OLR["clus1_exact"]  # reltol 1e-15 and a 1e-5-step Hessian (see the R script)
    check_olr(res, ref)
    close(res.vcov, ref["vcov"])
    close(res.table["p"], ref["p"])
    close(res.deff, ref["deff"])
    assert [t.replace(" ", "") for t in res.table["term"][4:]] == ref["terms"][4:]
    assert list(res.thresholds.index) == ["(0, 25]|(25, 50]", "(25, 50]|(50, 75]",
                                          "(50, 75]|(75, 100]"]
    assert list(res.coefficients.index) == ["avg.ed", "mobility", "C(stype)[T.H]", "C(stype)[T.M]"]
    assert res.n == 157
    # R's default svyolr: optim reltol 1e-8 and an ndeps = 1e-3 Hessian
    check_olr(res, OLR["clus1_default"], rtol_est=2e-5, rtol_se=5e-4)
    rt = regterm_test(res, "~ `avg.ed` + stype")
    ref_rt = OLR["clus1_exact"]["regterm"]
    close([rt.statistic, rt.p], [ref_rt["F"], ref_rt["p"]])
    assert (rt.ndf, rt.ddf) == (ref_rt["ndf"], ref_rt["ddf"])


def test_olr_stratified(dstrat):
    res = olr(dstrat, "apicat ~ ell + meals")
    check_olr(res, OLR["strat_exact"])
    close(res.deff, OLR["strat_exact"]["deff"])
    check_olr(res, OLR["strat_tight"], rtol_se=2e-3)  # optim's ndeps = 1e-3 Hessian


def test_olr_replicate(dclus1):
    res = olr(dclus1.replicate("jk1"), OLR_FORMULA)
    # R refits every replicate with MASS::polr (optim, reltol 1e-8): ~3e-5 agreement
    check_olr(res, OLR["jk1"], rtol_est=1e-4, rtol_se=1e-4)


def test_olr_numeric_and_unused_levels(apiclus1):
    data = apiclus1.assign(
        code=apiclus1["mealcat"].cat.codes.where(apiclus1["mealcat"].notna()) * 10.0,
        withempty=apiclus1["mealcat"].cat.add_categories(["(100, 200]"]))
    d = Design(data, ids="dnum", weights="pw", fpc="fpc")
    by_code = olr(d, "code ~ `avg.ed` + mobility + C(stype)")
    close(by_code.params.to_numpy()[:4], OLR["clus1_exact"]["estimate"][:4])
    assert list(by_code.thresholds.index) == ["0.0|10.0", "10.0|20.0", "20.0|30.0"]
    empty = olr(d, "withempty ~ `avg.ed` + mobility + C(stype)")
    assert tuple(map(str, empty.levels)) == ("(0, 25]", "(25, 50]", "(50, 75]", "(75, 100]")
    close(empty.params, OLR["clus1_exact"]["estimate"])


# ------------------------------------------------------------------ errors
def test_input_errors(dclus1, apiclus1):
    with pytest.raises(DesignError, match="family must be one of"):
        glm(dclus1, "api00 ~ ell", family="tweedie")
    with pytest.raises(DesignError, match="cannot evaluate formula"):
        glm(dclus1, "api00 ~ nosuchcolumn")
    with pytest.raises(DesignError, match="formula must be a string"):
        glm(dclus1, ["api00", "ell"])
    with pytest.raises(DesignError, match=r"\[0, 1\]"):
        glm(dclus1, "api00 ~ ell", family="quasibinomial")
    with pytest.raises(DesignError, match="rank deficient"):
        glm(dclus1, "api00 ~ ell + I(2 * ell)")
    with pytest.raises(DesignError, match="expands to 3 columns"):
        glm(dclus1, "stype ~ ell")
    with pytest.raises(DesignError, match="dtype"):
        olr(dclus1, "stype ~ ell")
    with pytest.raises(DesignError, match="must be a column"):
        olr(dclus1, "np.log(api00) ~ ell")
    two = Design(apiclus1.assign(two=(apiclus1["meals"] > 50) * 1.0), ids="dnum",
                 weights="pw", fpc="fpc")
    with pytest.raises(DesignError, match="3 or more"):
        olr(two, "two ~ ell")
    with pytest.raises(DesignError, match="level must be a number between 0 and 1"):
        glm(dclus1, "api00 ~ ell").conf_int(1.5)


def test_separation_raises_convergence_error(apiclus1):
    data = apiclus1.assign(sep=(apiclus1["api00"] > 650) * 1.0)
    d = Design(data, ids="dnum", weights="pw", fpc="fpc")
    with pytest.raises(ConvergenceError, match="separated"):
        glm(d, "sep ~ api00", family="quasibinomial")


def test_the_model_frame_reads_only_the_columns_the_formula_names():
    """Issue 18: formulaic and the row selections see the columns a formula names (all of
    them for R's "."), so a model on 1,000,000 rows does not copy every column."""
    from survey.design._modelframe import _formula_columns

    data = pd.DataFrame({"y": [1.0, 2.0], "age": [1, 2], "sch.wide": ["a", "b"], "other": [0, 0]})
    assert list(_formula_columns(data, "y ~ C(age) + `sch.wide`", None).columns) == ["y", "age", "sch.wide"]
    assert list(_formula_columns(data, "y ~ np.log(age)", "other * 2").columns) == ["y", "age", "other"]
    assert _formula_columns(data, "y ~ .", None) is data
