"""svyquantile: every qrule= and interval.type= of R survey 4.1.1.

Every reference number comes from tests/reference/design_quantiles.R ->
design_quantiles.json, run on the CSV copies of R's `api` data in tests/data.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design.quantiles import QRULES, qrule
from survey.errors import DesignError

import helpers
from helpers import close_at

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "design_quantiles.json").read_text())
PROBS = [0.1, 0.25, 0.5, 0.9]
RTOL = 1e-9


close = close_at(RTOL, atol=0)


@pytest.fixture(scope="module")
def dclus1():
    return helpers.dclus1()


@pytest.fixture(scope="module")
def dstrat():
    return helpers.dstrat()


def check(est, ref, rtol=RTOL):
    f = est.to_frame()
    close(f["estimate"], ref["estimate"], rtol)
    close(f["ci_low"], ref["ci_low"], rtol)
    close(f["ci_high"], ref["ci_high"], rtol)
    close(f["se"], ref["se"], rtol)


@pytest.mark.parametrize("rule", QRULES)
def test_qrules(dclus1, dstrat, rule):
    check(dclus1.quantile("api00", PROBS, qrule=rule), REF[f"clus1_{rule}"])
    # ell has many ties (hf3 works on the distinct values)
    check(dstrat.quantile("ell", PROBS, qrule=rule), REF[f"strat_ell_{rule}"])


def test_qrule_function_by_hand():
    # x = 1..4 with weights 1, 1, 1, 1: the unweighted Hyndman-Fan types (R quantile(type=))
    x, w = np.array([3.0, 1.0, 4.0, 2.0]), np.ones(4)
    assert qrule(x, w, 0.5, "math") == 2.0          # type 1
    assert qrule(x, w, 0.5, "school") == 2.5        # type 2: average at an exact 1/2
    assert qrule(x, w, 0.3, "hf7") == pytest.approx(1.9)   # 1 + 0.3 * 3
    assert qrule(x, w, 0.3, "hf6") == pytest.approx(1.5)   # (n + 1) p = 1.5
    assert np.isnan(qrule(x, np.zeros(4), 0.5))


@pytest.mark.parametrize("kind", ["mean", "beta", "xlogit", "asin", "score"])
def test_interval_types(dclus1, dstrat, kind):
    check(dclus1.quantile("api00", PROBS, interval_type=kind), REF[f"clus1_int_{kind}"])
    check(dstrat.quantile("api00", [0.25, 0.5], interval_type=kind, qrule="hf7"),
          REF[f"strat_int_{kind}"])


@pytest.mark.parametrize("kind", ["mean", "beta", "xlogit", "asin", "score"])
def test_missing_values_and_calibration(dclus1, kind):
    # acs.k3 is missing for high schools; R drops those rows from an uncalibrated
    # design but keeps them (weight 0, value 0) in a post-stratified one
    check(dclus1.quantile("acs.k3", [0.25, 0.5], interval_type=kind), REF[f"clus1_na_{kind}"])
    post = dclus1.poststratify("stype", pd.Series({"E": 4421.0, "H": 755.0, "M": 1018.0}))
    check(post.quantile("acs.k3", [0.25, 0.5], interval_type=kind), REF[f"post_na_{kind}"])


def test_level_df_and_combined_options(dclus1):
    check(dclus1.quantile("api00", PROBS, interval_type="beta", level=0.9),
          REF["clus1_int_beta_90"])
    check(dclus1.quantile("api00", PROBS, interval_type="score", df=np.inf),
          REF["clus1_int_score_dfinf"])
    check(dclus1.quantile("api00", PROBS, interval_type="xlogit", qrule="hf7"),
          REF["clus1_xlogit_hf7"])


@pytest.mark.parametrize("kind", ["beta", "score"])
def test_by_groups(dclus1, kind):
    ref = REF[f"clus1_by_{kind}"]
    est = dclus1.quantile("api00", 0.5, by="stype", interval_type=kind)
    close(est.estimate, ref["estimate"])
    close(est.se, ref["se"])
    # R's confint() of svyby is estimate +- 1.96 se, not the stored interval
    close(np.column_stack([est.estimate - 1.959963984540054 * est.se,
                           est.estimate + 1.959963984540054 * est.se]), ref["ci"])


def test_replicate_intervals(dclus1):
    rep = dclus1.replicate("jk1")
    est = rep.quantile("api00", PROBS, interval_type="quantile")
    check(est, REF["jk1_quantile"])
    assert est.replicates.shape == (15, 4)
    close(np.diag(est.vcov), np.asarray(REF["jk1_quantile"]["se"]) ** 2)
    check(rep.quantile("api00", PROBS, interval_type="quantile", qrule="hf7"),
          REF["jk1_quantile_hf7"])
    check(rep.quantile("api00", PROBS, qrule="school"), REF["jk1_mean_school"])


def test_errors(dclus1):
    with pytest.raises(DesignError, match=r"qrule must be one of \('math', 'school'"):
        dclus1.quantile("api00", 0.5, qrule="hf10")
    with pytest.raises(DesignError, match="interval_type must be one of"):
        dclus1.quantile("api00", 0.5, interval_type="wald")
    with pytest.raises(DesignError, match="interval_type='quantile' needs a replicate design"):
        dclus1.quantile("api00", 0.5, interval_type="quantile")
    with pytest.raises(DesignError, match="interval_type='score' needs a linearised design"):
        dclus1.replicate("jk1").quantile("api00", 0.5, interval_type="score")
