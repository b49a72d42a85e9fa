"""Cronbach's alpha of the importance scale (issue 5).

Reference numbers: tests/reference/satisfaction_svymean.json (committed R
script tests/reference/satisfaction_svymean.R: cov(), Feldt interval by qf,
cov.wt correlations, svyvar with a delta-method SE); pingouin for the
unweighted alpha.
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design.design import Design
from survey.errors import DesignError, InputError
from survey.measures.satisfaction.reliability import cronbach_alpha

from helpers import close

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "reference" / "satisfaction_svymean.json").read_text(encoding="utf-8"))["alpha"]
DATA = pd.read_csv(HERE / "data" / "satisfaction_test.csv")
W25 = DATA[DATA["wave"] == 2025].reset_index(drop=True)


@pytest.fixture(scope="module")
def des():
    return Design(W25, weights="wt", strata="stratum")


def test_alpha_matches_r_and_pingouin(des, questionnaire):
    res = cronbach_alpha(des, "importance", questionnaire=questionnaire)
    assert res.n == REF["n"] == 431 and res.k == 10
    close(res.alpha, REF["alpha"])
    close([res.ci_low, res.ci_high], [REF["ci_low"], REF["ci_high"]])
    import pingouin

    items = [it.column for it in questionnaire["importance"].items]
    a, ci = pingouin.cronbach_alpha(W25[items].dropna())
    close(res.alpha, a)
    close([round(res.ci_low, 3), round(res.ci_high, 3)], ci)       # pingouin rounds to 3 decimals
    # pingouin 0.5-0.7 with nan_policy="listwise" takes n for the interval before dropping
    # incomplete rows (480 instead of 431): same alpha, a slightly narrower interval
    a2, ci2 = pingouin.cronbach_alpha(W25[items], nan_policy="listwise")
    close(a2, a)
    assert ci2[0] > ci[0] and ci2[1] < ci[1]


def test_item_statistics_match_r(des, questionnaire):
    items = cronbach_alpha(des, "importance", questionnaire=questionnaire).items
    assert list(items["label"][:2]) == ["雨水の浸透・貯留", "涼しさ"]
    close(items["item_rest"], REF["item_rest"])
    close(items["item_rest_weighted"], REF["item_rest_weighted"])
    close(items["alpha_if_deleted"], REF["alpha_if_deleted"])
    # weighted mean score of the first item, by hand on the complete cases
    cols = [it.column for it in questionnaire["importance"].items]
    ok = W25[cols].notna().all(axis=1)
    score = 5 - W25.loc[ok, "imp_rain"]
    assert items["mean"].iloc[0] == pytest.approx(np.average(score, weights=W25.loc[ok, "wt"]))


def test_weighted_alpha_matches_r_svyvar_delta_method(des, questionnaire):
    res = cronbach_alpha(des, "importance", questionnaire=questionnaire)
    close(res.weighted_alpha, REF["weighted_alpha"])
    close(res.weighted_se, REF["weighted_se"], rtol=1e-7)
    f = res.to_frame()
    assert list(f.index) == ["unweighted", "weighted"]
    close(f.loc["weighted", "ci_high"] - f.loc["weighted", "ci_low"], 2 * 1.959963984540054 * REF["weighted_se"],
          rtol=1e-7)


def test_alpha_is_the_same_for_codes_or_scores(des, questionnaire):
    cols = [it.column for it in questionnaire["importance"].items]
    a = cronbach_alpha(des, cols)                      # raw codes 1..4, reversed scale
    close(a.alpha, REF["alpha"])
    close(a.weighted_se, REF["weighted_se"], rtol=1e-7)


def test_alpha_errors(des):
    with pytest.raises(InputError, match="at least 2 item columns"):
        cronbach_alpha(des, ["imp_rain"])
    with pytest.raises(InputError, match="question id together with questionnaire"):
        cronbach_alpha(des, "importance")
    with pytest.raises(DesignError, match="level"):
        cronbach_alpha(des, ["imp_rain", "imp_cool"], level=1.5)


def test_weighted_alpha_se_from_replicate_weights(des, questionnaire):
    # stratified jackknife (JKn) and linearisation estimate the same variance: agree within 5 %
    rep = des.replicate("jkn")
    res = cronbach_alpha(rep, "importance", questionnaire=questionnaire)
    close(res.weighted_alpha, REF["weighted_alpha"])
    assert res.weighted_se == pytest.approx(REF["weighted_se"], rel=0.05)
