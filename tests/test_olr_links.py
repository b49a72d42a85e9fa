"""svyolr with probit, complementary log-log and log-log links against R.

Every reference number comes from tests/reference/regression_olr_links.R ->
regression_olr_links.json (R survey 4.1.1 and MASS::polr; see the script for how
the complementary log-log references are obtained from R's log-log fit).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design import Design
from survey.design.anova import regterm_test
from survey.design.olr import olr
from survey.errors import DesignError

from helpers import close_at

HERE = Path(__file__).parent
DATA = HERE / "data"
REF = json.loads((HERE / "reference" / "regression_olr_links.json").read_text())
RTOL = 1e-6
FORMULA = "mealcat ~ `avg.ed` + mobility + C(stype)"   # R's ?svyolr example


close = close_at(RTOL, atol=0)


@pytest.fixture(scope="module")
def dclus1():
    df = pd.read_csv(DATA / "apiclus1.csv")
    df["mealcat"] = pd.cut(df["meals"], [0, 25, 50, 75, 100])
    return Design(df, ids="dnum", weights="pw", fpc="fpc")


@pytest.fixture(scope="module")
def dstrat():
    df = pd.read_csv(DATA / "apistrat.csv")
    df["apicat"] = pd.cut(df["api00"], [0, 600, 700, 800, 1000])
    return Design(df, strata="stype", weights="pw", fpc="fpc")


def check(res, ref, rtol=RTOL):
    close(res.params, ref["estimate"], rtol)
    close(res.se, ref["se"], rtol)
    close(res.vcov, ref["vcov"], rtol)
    assert res.df_resid == ref["df_resid"]


def test_probit(dclus1, dstrat):
    res = olr(dclus1, FORMULA, method="probit")
    assert res.method == "probit"
    check(res, REF["clus1_probit"])
    # R's default svyolr (optim reltol 1e-8, ndeps 1e-3 Hessian) is looser
    close(res.params, REF["clus1_probit_default"]["estimate"], 1e-4)
    rt = regterm_test(res, "~ `avg.ed` + stype")
    ref = REF["clus1_probit"]["regterm"]
    close([rt.statistic, rt.p], [ref["F"], ref["p"]])
    assert (rt.ndf, rt.ddf) == (ref["ndf"], ref["ddf"])
    check(olr(dstrat, "apicat ~ ell + meals", method="probit"), REF["strat_probit"])


def test_cloglog(dclus1, dstrat):
    res = olr(dclus1, FORMULA, method="cloglog")
    check(res, REF["clus1_cloglog"])
    close(res.params, REF["clus1_cloglog"]["polr_estimate"], 1e-6)   # MASS::polr(method="cloglog")
    check(olr(dstrat, "apicat ~ ell + meals", method="cloglog"), REF["strat_cloglog"])


def test_loglog_is_r_svyolr_cloglog(dclus1):
    # survey 4.1.1's svyolr(method = "cloglog") on a svydesign fits F(x) = exp(-exp(-x))
    check(olr(dclus1, FORMULA, method="loglog"), REF["clus1_r_cloglog"])


@pytest.mark.parametrize("method", ["probit", "cloglog"])
def test_replicate_refits_use_the_link(dclus1, method):
    """The JK1 covariance combines fits of the same link to each replicate's weights
    (an independent route: one Design(weights=...) fit per replicate), with the
    design's scale (R-1)/R and first-stage fpc (1 - 15/757)."""
    rep = dclus1.replicate("jk1")
    res = olr(rep, FORMULA, method=method)
    W = rep.replicate_weights
    thetas = np.array([olr(Design(dclus1.data, weights=W[:, r]), FORMULA, method=method).params
                       for r in range(W.shape[1])])
    R = W.shape[1]
    dev = thetas - thetas.mean(axis=0)
    close(res.vcov, (R - 1) / R * (1 - 15 / 757) * dev.T @ dev, 1e-6)
    close(res.params, olr(dclus1, FORMULA, method=method).params, 1e-9)


def test_unknown_method(dclus1):
    with pytest.raises(DesignError, match=r"olr: method must be one of \('logistic', 'logit', "
                                          r"'probit', 'cloglog', 'loglog'\); got 'cauchit'"):
        olr(dclus1, FORMULA, method="cauchit")
