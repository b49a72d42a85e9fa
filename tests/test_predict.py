"""svyglm families, links, offsets and cbind() responses; predict and svypredmeans.

Every reference number comes from tests/reference/regression_predict.R ->
regression_predict.json (R survey 4.1.1, glm.control(epsilon = 1e-15)), run on
the CSV copies of R's `api` data in tests/data.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design.predmeans import marginal_means, svypredmeans
from survey.design.regression import glm
from survey.errors import DesignError

import helpers
from helpers import close_at

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "regression_predict.json").read_text())
RTOL = 1e-7


close = close_at(RTOL, atol=0)


@pytest.fixture(scope="module")
def dclus1():
    return helpers.dclus1()


@pytest.fixture(scope="module")
def dstrat():
    return helpers.dstrat()


@pytest.fixture(scope="module")
def rclus1(dclus1):
    return dclus1.replicate("jk1")  # R: as.svrepdesign(dclus1, type = "JK1")


@pytest.fixture(scope="module")
def newdata():
    return pd.DataFrame({"ell": [0, 20, 40, 60], "meals": [10, 30, 60, 90],
                         "mobility": [5, 15, 25, 35], "stype": ["E", "H", "M", "E"],
                         "enroll": [300, 600, 900, 1500]})


def check(res, ref, *, deff=True, rtol=RTOL):
    t = res.table
    close(t["estimate"], ref["estimate"], rtol)
    close(t["se"], ref["se"], rtol)
    close(t["t"], ref["t"], rtol)
    close(res.vcov, ref["vcov"], rtol)
    close(res.deviance, ref["deviance"], rtol)
    close(res.naive_cov, ref["naive_cov"], rtol)
    if deff:
        close(t["deff"], ref["deff"], rtol)
    assert res.df_resid == ref["df_resid"]
    assert res.n == ref["n"]


# ------------------------------------------------------------- b. families
class TestFamilies:
    def test_binomial_equals_quasibinomial_but_deff(self, dclus1):
        b = glm(dclus1, "`sch.wide` ~ ell + meals", family="binomial")
        q = glm(dclus1, "`sch.wide` ~ ell + meals", family="quasibinomial")
        check(b, REF["binomial"])
        check(q, REF["quasibinomial"])
        assert b.family == "binomial" and q.family == "quasibinomial"
        assert b.dispersion == 1.0
        # same SEs, different deff: R takes the dispersion as 1 for binomial
        close(b.se, q.se, 1e-12)
        assert not np.allclose(b.deff, q.deff)

    @pytest.mark.parametrize("link", ["probit", "cloglog"])
    def test_binomial_links(self, dclus1, link):
        res = glm(dclus1, "`sch.wide` ~ ell + meals", family="quasibinomial", link=link)
        assert res.link == link
        check(res, REF[link])

    @pytest.mark.parametrize("family", ["quasibinomial", "binomial"])
    def test_cbind_response(self, dstrat, family):
        # R: cbind(meals, 100 - meals) ~ ell + mobility
        res = glm(dstrat, "cbind(meals, 100 - meals) ~ ell + mobility", family=family)
        check(res, REF["cbind_quasi" if family == "quasibinomial" else "cbind_binomial"])

    def test_offset_in_formula_and_argument(self, dstrat):
        res = glm(dstrat, "`api.stu` ~ meals + C(stype) + offset(np.log(enroll))", family="poisson")
        check(res, REF["poisson_offset"])
        arg = glm(dstrat, "`api.stu` ~ meals + C(stype)", family="quasipoisson",
                  offset="np.log(enroll)")
        check(arg, REF["quasipoisson_offset_arg"])
        values = glm(dstrat, "`api.stu` ~ meals + C(stype)", family="quasipoisson",
                     offset=np.log(dstrat.data["enroll"].to_numpy()))
        close(values.params, REF["quasipoisson_offset_arg"]["estimate"])

    def test_gamma(self, dstrat, dclus1):
        check(glm(dstrat, "enroll ~ meals + ell", family="Gamma"), REF["gamma_inverse"])
        check(glm(dclus1, "api00 ~ ell + meals + C(stype)", family="Gamma", link="log"),
              REF["gamma_log"])

    def test_gaussian_log_link(self, dclus1):
        check(glm(dclus1, "api00 ~ ell + meals", family="gaussian", link="log"),
              REF["gaussian_log"])

    def test_replicate_refits(self, rclus1):
        check(glm(rclus1, "api00 ~ ell + meals", family="Gamma", link="log"), REF["jk1_gamma"],
              deff=False)
        check(glm(rclus1, "`api.stu` ~ meals + offset(np.log(enroll))", family="quasipoisson"),
              REF["jk1_poisson_offset"], deff=False)

    def test_domain(self, dclus1):
        dom = dclus1.subset(dclus1.data["stype"] == "E")
        check(glm(dom, "api00 ~ ell + meals", family="Gamma", link="log"), REF["domain_gamma"])

    def test_errors(self, dclus1, dstrat):
        with pytest.raises(DesignError, match="link 'log' is not available for family 'Gamma'|"
                                              "link 'logit' is not available for family 'Gamma'"):
            glm(dclus1, "api00 ~ ell", family="Gamma", link="logit")
        with pytest.raises(DesignError, match=r"link must be one of \('identity'"):
            glm(dclus1, "api00 ~ ell", family="gaussian", link="cauchy")
        with pytest.raises(DesignError, match="Gamma response of 'ell ~ meals' must be positive"):
            glm(dclus1, "ell ~ meals", family="Gamma")
        with pytest.raises(DesignError, match=r"cbind\(successes, failures\) response needs "
                                              "family='binomial'"):
            glm(dstrat, "cbind(meals, 100 - meals) ~ ell", family="poisson")
        with pytest.raises(DesignError, match=r"cbind\(\) on the left needs two columns"):
            glm(dstrat, "cbind(meals) ~ ell", family="binomial")
        with pytest.raises(DesignError, match=r"cbind\(\) counts .* must be >= 0"):
            glm(dstrat, "cbind(meals, 50 - meals) ~ ell", family="binomial")
        with pytest.raises(DesignError, match="offset needs one value per row of the design "
                                              r"\(200\); got 3"):
            glm(dstrat, "enroll ~ meals", family="poisson", offset=[1.0, 2.0, 3.0])
        with pytest.raises(DesignError, match=r"cannot evaluate offset .np\.log\(nope\)."):
            glm(dstrat, "enroll ~ meals + offset(np.log(nope))", family="poisson")


# ------------------------------------------------------------------ a. predict
def check_pred(pred, ref, rtol=RTOL):
    close(pred.estimate, ref["estimate"], rtol)
    close(pred.se, ref["se"], rtol)
    close(pred.to_frame()[["ci_low", "ci_high"]], ref["ci"], rtol)


class TestPredict:
    def test_linear(self, dstrat, newdata):
        m = glm(dstrat, "api00 ~ ell + meals + mobility")
        pred = m.predict(newdata)
        check_pred(pred, REF["predict_linear"])
        close(pred.vcov, REF["predict_linear_vcov"])
        assert list(pred.to_frame().columns) == ["estimate", "se", "ci_low", "ci_high", "deff", "n"]
        assert pred.n == 200
        check_pred(m.predict(newdata.iloc[:2], total=6194), REF["predict_linear_total"])

    def test_logit_link_and_response(self, dclus1, newdata):
        m = glm(dclus1, "`sch.wide` ~ ell + meals", family="quasibinomial")
        check_pred(m.predict(newdata, type="link"), REF["predict_logit_link"])
        resp = m.predict(newdata, type="response")
        check_pred(resp, REF["predict_logit_response"])
        close(resp.vcov, REF["predict_logit_response_vcov"])

    def test_default_newdata_is_fitting_rows(self, dclus1):
        m = glm(dclus1, "`sch.wide` ~ ell + meals", family="quasibinomial")
        pred = m.predict(type="response")
        assert pred.estimate.index.equals(dclus1.data.index)
        check_pred(pred, REF["predict_logit_fitted"])

    def test_gamma_response(self, dstrat, newdata):
        m = glm(dstrat, "enroll ~ meals + ell", family="Gamma")
        check_pred(m.predict(newdata, type="response"), REF["predict_gamma_response"])

    def test_offset_is_part_of_the_prediction(self, dstrat, newdata):
        m = glm(dstrat, "`api.stu` ~ meals + C(stype) + offset(np.log(enroll))", family="poisson")
        pred = m.predict(newdata)
        ref = REF["predict_offset_link_without_offset"]   # R leaves the offset out
        close(pred.estimate, np.asarray(ref["estimate"]) + np.log(newdata["enroll"]))
        close(pred.se, ref["se"])
        # response scale: exp(link); SE by the delta method
        resp = m.predict(newdata, type="response")
        close(resp.estimate, np.exp(pred.estimate), 1e-12)
        close(resp.se, np.exp(pred.estimate) * pred.se, 1e-12)

    def test_replicate_design_categorical(self, rclus1, newdata):
        m = glm(rclus1, "api00 ~ ell + C(stype)")
        check_pred(m.predict(newdata), REF["predict_jk1"])

    def test_missing_predictor_gives_nan_row(self, dstrat, newdata):
        m = glm(dstrat, "api00 ~ ell + meals + mobility")
        nd = newdata.assign(ell=[0.0, np.nan, 40.0, 60.0])
        pred = m.predict(nd)
        assert np.isnan(pred.estimate.iloc[1]) and np.isnan(pred.se.iloc[1])
        close(pred.estimate.iloc[[0, 2, 3]], np.asarray(REF["predict_linear"]["estimate"])[[0, 2, 3]])

    def test_errors(self, dstrat, newdata):
        m = glm(dstrat, "api00 ~ ell + C(stype)")
        with pytest.raises(DesignError, match="type must be 'link' or 'response'"):
            m.predict(newdata, type="terms")
        with pytest.raises(DesignError, match="newdata has a category the model"):
            m.predict(newdata.assign(stype=["E", "H", "X", "E"]))
        with pytest.raises(DesignError, match="cannot evaluate the predictors"):
            m.predict(newdata.drop(columns="ell"))
        with pytest.raises(DesignError, match="newdata must be a pandas DataFrame"):
            m.predict([1, 2])
        off = glm(dstrat, "enroll ~ meals", family="poisson",
                  offset=np.log(dstrat.data["api.stu"].to_numpy()))
        with pytest.raises(DesignError, match="offset was given as values"):
            off.predict(newdata)


# -------------------------------------------------------------- a. svypredmeans
class TestPredMeans:
    @pytest.mark.parametrize("key,formula,family", [
        ("predmeans_linear", "api00 ~ ell + mobility", "gaussian"),
        ("predmeans_logit", "`sch.wide` ~ ell + meals", "quasibinomial"),
    ])
    def test_matches_r(self, dclus1, key, formula, family):
        ref = REF[key]
        pm = svypredmeans(glm(dclus1, formula, family=family), "stype")
        order = [ref["groups"].index(g) for g in pm.estimate.index]   # R: order of appearance
        close(pm.estimate, np.asarray(ref["estimate"])[order])
        close(pm.vcov, np.asarray(ref["vcov"])[np.ix_(order, order)])
        assert list(pm.estimate.index) == ["E", "H", "M"]

    def test_replicate_design(self, rclus1):
        ref = REF["predmeans_jk1"]
        pm = marginal_means(glm(rclus1, "api00 ~ ell + mobility"), "stype")
        order = [ref["groups"].index(g) for g in pm.estimate.index]
        close(pm.estimate, np.asarray(ref["estimate"])[order])
        close(pm.vcov, np.asarray(ref["vcov"])[np.ix_(order, order)])

    def test_errors(self, dclus1):
        m = glm(dclus1, "api00 ~ ell")
        with pytest.raises(DesignError, match="group must be a column of the design data"):
            svypredmeans(m, "nope")
