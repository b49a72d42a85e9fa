"""Working likelihood-ratio tests, anova between nested GLMs, pchisqsum/pFsum.

Every reference number comes from tests/reference/regression_anova.R ->
regression_anova.json (R survey 4.1.1), run on the CSV copies of R's `api`
data in tests/data.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design.anova import LRTest, anova, regterm_test
from survey.design.chisqsum import pchisqsum, pfsum
from survey.design.regression import glm
from survey.design.wald import WaldTest
from survey.errors import DesignError

import helpers
from helpers import close_at

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "regression_anova.json").read_text())
RTOL = 1e-7


close = close_at(RTOL, atol=0)


def ddf(ref):
    return np.inf if ref["ddf"] == "Inf" else ref["ddf"]


def check_lrt(res, ref, rtol=RTOL):
    assert isinstance(res, LRTest)
    close(res.chisq, ref["chisq"], rtol)
    close(res.p, ref["p"], 1e-6)        # R's saddlepoint root is found to tol = 1e-8
    close(np.sort(res.lambdas), np.sort(np.atleast_1d(ref["lambda"])), rtol)
    assert res.ndf == ref["df"] and res.ddf == ddf(ref)
    close(res.statistic, ref["chisq"] / np.mean(ref["lambda"]), rtol)


@pytest.fixture(scope="module")
def dclus1():
    return helpers.dclus1()


@pytest.fixture(scope="module")
def dstrat():
    return helpers.dstrat()


@pytest.fixture(scope="module")
def m_cat(dclus1):
    return glm(dclus1, "api00 ~ ell + C(stype) + ell:C(stype)")


# ------------------------------------------------------------- pchisqsum, pFsum
def test_pchisqsum_and_pfsum():
    ref = REF["pchisqsum"]
    a, ones = [2.0, 1.0, 0.5], [1, 1, 1]
    close([pchisqsum(x, ones, a, lower_tail=False, method="saddlepoint") for x in (1, 5, 12)],
          ref["sad"], 1e-7)
    close([pchisqsum(x, ones, a, lower_tail=False) for x in (1, 5, 12)], ref["sat"], 1e-12)
    close(pchisqsum(5, ones, a, method="saddlepoint"), ref["sad_lower"], 1e-7)
    close(pfsum(5, ones, a, ddf=20, lower_tail=False), ref["F_sad"], 1e-7)
    close(pfsum(5, ones, a, ddf=20, lower_tail=False, method="satterthwaite"), ref["F_sat"], 1e-12)
    with pytest.raises(DesignError, match="method must be one of"):
        pchisqsum(5, ones, a, method="integration")


# -------------------------------------------------------------- regTermTest LRT
class TestLRT:
    def test_factor_and_interaction(self, m_cat):
        check_lrt(regterm_test(m_cat, "~ stype + ell:stype", method="LRT"), REF["cat_lrt"])
        check_lrt(regterm_test(m_cat, "~ stype + ell:stype", method="LRT", df=np.inf),
                  REF["cat_lrt_chisq"])
        check_lrt(regterm_test(m_cat, "~ stype + ell:stype", method="LRT",
                               lrt_approximation="satterthwaite"), REF["cat_lrt_sat"])
        check_lrt(regterm_test(m_cat, "~ ell:stype", method="LRT"), REF["cat_interaction_lrt"])

    def test_working_wald(self, m_cat):
        res = regterm_test(m_cat, "~ stype + ell:stype", method="WorkingWald")
        check_lrt(res, REF["cat_ww"])
        assert res.method == "Working (Rao-Scott+F) Wald (saddlepoint)"

    def test_logistic(self, dclus1):
        m = glm(dclus1, "`sch.wide` ~ ell + meals + mobility + C(stype)", family="quasibinomial")
        check_lrt(regterm_test(m, "stype", method="LRT"), REF["logit_lrt_stype"])
        check_lrt(regterm_test(m, ["meals"], method="LRT"), REF["logit_lrt_one"])
        res = regterm_test(m, "~ ell + mobility", method="LRT")
        check_lrt(res, REF["logit_lrt_two"])
        assert res.terms == ("ell", "mobility")
        assert list(res.to_frame().columns) == ["statistic", "chisq", "ndf", "ddf", "p", "method"]

    def test_offset_model(self, dstrat):
        m = glm(dstrat, "`api.stu` ~ meals + C(stype) + offset(np.log(enroll))",
                family="quasipoisson")
        check_lrt(regterm_test(m, "stype", method="LRT"), REF["offset_lrt"])

    def test_replicate_design(self, dclus1):
        m = glm(dclus1.replicate("jk1"), "api00 ~ ell + meals + C(stype)")
        check_lrt(regterm_test(m, "stype", method="LRT"), REF["jk1_lrt"])

    def test_errors(self, m_cat, dclus1):
        with pytest.raises(DesignError, match="method must be one of"):
            regterm_test(m_cat, "stype", method="Score")
        with pytest.raises(DesignError, match="lrt_approximation must be one of"):
            regterm_test(m_cat, "stype", method="LRT", lrt_approximation="davies")
        with pytest.raises(DesignError, match="term 'meals' is not in the model"):
            regterm_test(m_cat, "meals", method="LRT")
        from survey.design.olr import olr
        d = dclus1.with_columns(mealcat=pd.cut(dclus1.data["meals"], [0, 25, 50, 75, 100]))
        with pytest.raises(DesignError, match=r"method='LRT' needs a model fitted by glm\(\)"):
            regterm_test(olr(d, "mealcat ~ ell + mobility"), "ell", method="LRT")


# ----------------------------------------------------------------------- anova
class TestAnova:
    @pytest.fixture(scope="class")
    @classmethod
    def models(cls, dstrat):
        return (glm(dstrat, "api00 ~ ell + meals"),
                glm(dstrat, "api00 ~ ell + meals + mobility + C(stype)"))

    def test_nested_models(self, models):
        m1, m2 = models
        check_lrt(anova(m1, m2), REF["anova_F_lrt"])
        check_lrt(anova(m2, m1, test="Chisq"), REF["anova_chisq_lrt"])
        wald = anova(m1, m2, method="Wald")
        assert isinstance(wald, WaldTest)
        ref = REF["anova_F_wald"]
        close([wald.statistic, wald.p], [ref["F"], ref["p"]])
        assert (wald.ndf, wald.ddf) == (ref["df"], ref["ddf"])

    def test_sequential(self, models):
        table = anova(models[1])
        assert list(table["term"]) == ["ell", "meals", "mobility", "C(stype)"]
        for row, ref in zip(table.itertuples(), REF["anova_sequential"]):
            close([row.chisq, row.p, row.ndf, row.ddf], [ref["chisq"], ref["p"], ref["df"],
                                                          ref["ddf"]], 1e-6)

    def test_errors(self, models, dstrat):
        m1, m2 = models
        with pytest.raises(DesignError, match="test must be 'F' or 'Chisq'"):
            anova(m1, m2, test="LRT")
        with pytest.raises(DesignError, match="method must be 'LRT' or 'Wald'"):
            anova(m1, m2, method="Score")
        with pytest.raises(DesignError, match="are not nested"):
            anova(m1, glm(dstrat, "api00 ~ ell + mobility"))
        with pytest.raises(DesignError, match="the same terms"):
            anova(m1, glm(dstrat, "api00 ~ meals + ell"))
        with pytest.raises(DesignError, match="at least two terms"):
            anova(glm(dstrat, "api00 ~ ell"))
