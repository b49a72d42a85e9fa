"""Satisfaction index, its distribution, group comparisons and drivers (issue 5).

Reference numbers: tests/reference/satisfaction_svymean.json, written by the
committed R script tests/reference/satisfaction_svymean.R (R survey 4.1.1) on
tests/data/satisfaction_test.csv (tests/reference/satisfaction_make_data.py).
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design.design import Design
from survey.errors import DesignError, InputError, SurveyError
from survey.measures.differences import VERDICTS, compare_groups
from survey.report.verdicts import verdict_text
from survey.report.labels import label_frame
from survey.measures.satisfaction.index import (
    DEFAULT_SCORES,
    resolve_scores,
    satisfaction_distribution,
    satisfaction_index,
)
from survey.measures.satisfaction.drivers import satisfaction_drivers

from helpers import close

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "reference" / "satisfaction_svymean.json").read_text(encoding="utf-8"))
DATA = pd.read_csv(HERE / "data" / "satisfaction_test.csv")
POP_AGE = pd.Series([21000, 19200, 21600, 21000, 13800, 23400], index=range(1, 7))
POP_SEX = pd.Series([59000, 61000], index=[1, 2])


def wave(year):
    return DATA[DATA["wave"] == year].reset_index(drop=True)


@pytest.fixture(scope="module")
def des():
    return Design(wave(2025), weights="wt", strata="stratum")


@pytest.fixture(scope="module")
def raked(des):
    return des.rake({"age_band": POP_AGE, "sex": POP_SEX})


# ------------------------------------------------------------------ the index
def test_index_matches_r_svymean_na_rm(des):
    f = satisfaction_index(des, "satisfaction").to_frame()
    assert list(f.columns) == ["estimate", "se", "ci_low", "ci_high", "deff", "n"]
    r = REF["index"]
    close(f["estimate"], r["estimate"])
    close(f["se"], r["se"])
    close(f["deff"], r["deff"])
    close(f["ci_low"], r["ci_low_normal"])
    close(f["ci_high"], r["ci_high_normal"])
    assert int(f["n"].iloc[0]) == REF["counts"]["scored25"] == 428


def test_index_by_district_matches_r_svyby_with_covariance(des):
    est = satisfaction_index(des, "satisfaction", by="district")
    r = REF["index_by_district"]
    close(est.estimate, r["estimate"])
    close(est.se, r["se"])
    close(est.deff, r["deff"])
    close(est.vcov.to_numpy(), r["vcov"], atol=1e-15)
    assert list(est.n) == r["n"]
    assert est.estimate.index.names == ["district", "variable"]


def test_index_by_age_matches_r(des):
    est = satisfaction_index(des, "satisfaction", by="age_band")
    close(est.estimate, REF["index_by_age"]["estimate"])
    close(est.se, REF["index_by_age"]["se"])


def test_default_scores_equal_questionnaire_scores(des, questionnaire):
    a = satisfaction_index(des, "satisfaction")
    b = satisfaction_index(des, "satisfaction", questionnaire=questionnaire)
    c = satisfaction_index(des, "satisfaction", scores={1: 1, 2: 0.5, 3: 0, 4: -0.5, 5: -1})
    close(a.estimate, b.estimate)
    close(a.se, c.se)
    assert resolve_scores("satisfaction", questionnaire=questionnaire) == {
        float(k): v for k, v in DEFAULT_SCORES.items()}


def test_raked_index_matches_r_calibrate_raking(raked):
    # R calibrate(calfun = "raking") gives the weights of rake() (ratio 1 +- 1e-13) and the
    # regression-residual variance of Design.rake (see the R script for rake()'s own variance).
    close(raked.weights.to_numpy()[:10], REF["raked_weights_head"], rtol=1e-8)
    f = satisfaction_index(raked, "satisfaction").to_frame()
    close(f["estimate"], REF["cal_index"]["estimate"], rtol=1e-8)
    close(f["se"], REF["cal_index"]["se"], rtol=1e-7)
    close(f["deff"], REF["cal_index"]["deff"], rtol=1e-7)
    by = satisfaction_index(raked, "satisfaction", by="district")
    close(by.estimate, REF["cal_by_district"]["estimate"], rtol=1e-8)
    close(by.se, REF["cal_by_district"]["se"], rtol=1e-7)


def test_index_equals_design_mean_of_a_prebuilt_score_column(raked):
    # the derived-variable path must give what Design.mean gives for a real column
    data = wave(2025).assign(score=lambda d: d["satisfaction"].map(DEFAULT_SCORES))
    d2 = Design(data, weights="wt", strata="stratum").rake({"age_band": POP_AGE, "sex": POP_SEX})
    ours = satisfaction_index(raked, "satisfaction", by="sex").to_frame()
    theirs = d2.mean("score", by="sex").to_frame()
    close(ours.to_numpy(), theirs.to_numpy(), rtol=1e-10)


def test_index_on_a_subset_keeps_the_full_design(des):
    sub = des.subset(wave(2025)["district"] == 1)
    f = satisfaction_index(sub, "satisfaction").to_frame()
    close(f["estimate"], REF["index_by_district"]["estimate"][0])
    close(f["se"], REF["index_by_district"]["se"][0])


def test_index_errors_say_what_to_do(des):
    with pytest.raises(InputError, match="not in the design data"):
        satisfaction_index(des, "satisfactoin")
    with pytest.raises(InputError, match="map answer codes to numbers"):
        satisfaction_index(des, "satisfaction", scores={1: "high"})
    with pytest.raises(InputError, match="at least two"):
        satisfaction_index(des, "satisfaction", scores={1: 1.0})
    with pytest.raises(SurveyError, match="level"):
        satisfaction_index(des, "satisfaction", level=95)
    with pytest.raises(DesignError, match="survey design"):
        satisfaction_index(wave(2025), "satisfaction")


# ------------------------------------------------------------------ distribution
def test_distribution_matches_r(des, questionnaire):
    t = satisfaction_distribution(des, "satisfaction", questionnaire=questionnaire)
    assert list(t["kind"]) == ["level"] * 5 + ["top", "bottom", "net", "excluded", "excluded"]
    # codes from the estimator (issue 17): the scored answers, わからない (6), then none for 無回答; the
    # boxes' codes in attrs
    assert list(t.columns) == ["kind", "code", "base", "estimate", "se", "ci_low", "ci_high", "deff", "n", "count"]
    assert t["code"].iloc[:5].tolist() == [1, 2, 3, 4, 5] and t["code"].iloc[8] == 6
    assert t["code"].iloc[5:8].isna().all() and pd.isna(t["code"].iloc[9])
    assert (t.attrs["column"], t.attrs["top_codes"], t.attrs["bottom_codes"]) == ("satisfaction", (1, 2), (4, 5))
    # and the report's names of them (survey.report.label_frame)
    t = label_frame(t, questionnaire)
    assert list(t["label"]) == ["そう思う", "ややそう思う", "どちらともいえない", "あまりそう思わない", "そう思わない",
                                "そう思う・ややそう思う", "あまりそう思わない・そう思わない", "ネット（肯定−否定）",
                                "わからない", "無回答"]
    lev = t[t["kind"] == "level"]
    close(lev["estimate"], REF["levels"]["estimate"])
    close(lev["se"], REF["levels"]["se"])
    close(lev["deff"], REF["levels"]["deff"])
    assert lev["estimate"].sum() == pytest.approx(1.0)
    for kind, key in [("top", "top2"), ("bottom", "bottom2"), ("net", "net")]:
        row = t[t["kind"] == kind].iloc[0]
        close(row["estimate"], REF[key]["estimate"])
        close(row["se"], REF[key]["se"])
        close(row["deff"], REF[key]["deff"])
    net = t[t["kind"] == "net"].iloc[0]          # net score: Wald interval, normal quantiles
    close([net["ci_low"], net["ci_high"]], [REF["net"]["ci_low_normal"], REF["net"]["ci_high_normal"]])
    for label, key in [("わからない", "dontknow"), ("無回答", "noanswer")]:
        row = t[t["label"] == label].iloc[0]
        close(row["estimate"], REF[key]["estimate"])
        close(row["se"], REF[key]["se"])
        assert row["base"] == "all" and row["n"] == 480


def test_distribution_share_intervals_match_r_svyciprop_logit(des, questionnaire):
    t = satisfaction_distribution(des, "satisfaction", questionnaire=questionnaire)
    rows = {"lev1": t.iloc[0], "lev5": t.iloc[4], "top2": t.iloc[5], "noanswer": t.iloc[9]}
    for key, row in rows.items():
        r = REF["ciprop"][key]
        close([row["ci_low"], row["ci_high"]], [r["ci_low"], r["ci_high"]], rtol=1e-8)


def test_distribution_counts_and_groups(des, questionnaire):
    t = satisfaction_distribution(des, "satisfaction", questionnaire=questionnaire, by="district")
    d = wave(2025)
    # hand count: respondents answering 1 (そう思う) in district 2
    row = t[(t["district"] == 2) & (t["kind"] == "level") & (t["code"] == 1)].iloc[0]
    assert row["count"] == int(((d["district"] == 2) & (d["satisfaction"] == 1)).sum())
    # R coef(svyby(~lev1+...+lev5, ~district)): level-major, districts vary fastest
    ref = np.array(REF["levels_by_district"]["estimate"], dtype=float).reshape(5, 5).T
    ours = t[t["kind"] == "level"].pivot(index="district", columns="code", values="estimate")
    close(ours.to_numpy(), ref)
    close(ours.sum(axis=1), np.ones(5))
    top = t[t["kind"] == "top"]
    close(top["estimate"], REF["top2_by_district"]["estimate"])
    close(top["se"], REF["top2_by_district"]["se"])


def test_distribution_without_questionnaire_uses_default_missing_code(des):
    t = satisfaction_distribution(des, "satisfaction")
    assert t["code"].iloc[8] == 6 and pd.isna(t["code"].iloc[9])     # 6: unscored, 9: the default missing code
    assert t[t["kind"] == "excluded"]["n"].tolist() == [480, 480]
    close(t["estimate"].iloc[9], REF["noanswer"]["estimate"])
    with pytest.raises(InputError, match="top must be"):
        satisfaction_distribution(des, "satisfaction", top=3)


# ------------------------------------------------------------------ group comparisons
def test_pairwise_district_comparisons_match_r_with_holm(des, questionnaire):
    est = satisfaction_index(des, "satisfaction", by="district")
    cmp = compare_groups(est, df=des.degf)
    names = dict(questionnaire["district"].codes)                  # the report names the codes
    r = REF["pairwise_district"]
    close(cmp.pairs["estimate"], r["estimate"])
    close(cmp.pairs["se"], r["se"])
    close(cmp.pairs["p"], r["p_t"], rtol=1e-7)
    close(cmp.pairs["p_adjusted"], r["p_t_holm"], rtol=1e-7)
    assert cmp.pairs["group"].iloc[0] == 2 and cmp.pairs["reference"].iloc[0] == 1          # 北部 - 内間木
    # only 西部 vs 東部 survives Holm at 5 % (R p.adjust: 0.00124)
    assert list(cmp.pairs["verdict"]) == ["no_difference"] * 7 + ["higher"] + ["no_difference"] * 2
    # the report words the codes (survey.report.verdicts), naming the pair's groups
    assert list(cmp.pairs.columns) == ["group", "reference", "estimate", "se", "ci_low", "ci_high", "statistic",
                                       "p", "p_adjusted", "verdict"]
    west = cmp.pairs.iloc[7]
    group, reference = names[west["group"]], names[west["reference"]]
    assert verdict_text(west["verdict"], group=group, reference=reference) == "西部は東部より高い（統計的に有意な差）"
    assert verdict_text(west["verdict"], group=group, reference=reference, lang="en") == \
        "西部 is higher than 東部 (statistically significant)"
    w = REF["wald_district"]
    assert cmp.overall.chisq == pytest.approx(w["statistic"], rel=1e-9)
    assert cmp.overall.p == pytest.approx(w["p_F"], rel=1e-7)
    assert cmp.overall.ndf == 4 and cmp.overall.ddf == 475


def test_other_adjustments_and_normal_reference(des):
    est = satisfaction_index(des, "satisfaction", by="district")
    r = REF["pairwise_district"]
    close(compare_groups(est, df=des.degf, adjust="bonferroni").pairs["p_adjusted"], r["p_t_bonferroni"],
          rtol=1e-7)
    close(compare_groups(est, df=des.degf, adjust="fdr_bh").pairs["p_adjusted"], r["p_t_BH"], rtol=1e-7)
    z = compare_groups(est)
    close(z.pairs["p_adjusted"], r["p_z_holm"], rtol=1e-7)
    assert np.isinf(z.overall.ddf)
    ref = compare_groups(est, reference=3).pairs
    assert list(ref["reference"].unique()) == [3] and list(ref["group"]) == [1, 2, 4, 5]
    close(ref["estimate"].iloc[2], r["estimate"][7])          # 4 minus 3


def test_compare_groups_errors(des):
    with pytest.raises(DesignError, match="at least 2 groups"):
        compare_groups(satisfaction_index(des, "satisfaction"))
    est = satisfaction_index(des, "satisfaction", by="district")
    with pytest.raises(DesignError, match="adjust must be"):
        compare_groups(est, adjust="tukey")
    with pytest.raises(DesignError, match="reference group"):
        compare_groups(est, reference=9)
    with pytest.raises(DesignError, match="unknown verdict"):
        verdict_text("great")


def test_every_verdict_code_has_japanese_and_english_words_and_no_other():
    from survey.report.prose import _catalogue

    worded = {key.split(".")[1] for key in _catalogue() if key.startswith("verdicts.")}
    assert worded == set(VERDICTS) and len(VERDICTS) == 18
    for code in VERDICTS:
        for lang in ("ja", "en"):
            assert verdict_text(code, group="G", reference="R", lang=lang), (code, lang)
    assert verdict_text("no_difference", group="北部", reference="内間木") == "北部と内間木の差は統計的に明らかではない"
    assert verdict_text("") == ""                        # the reference row of a table (the city)
    with pytest.raises(DesignError, match=r"verdict language 'fr' is not one of \['ja', 'en'\]"):
        verdict_text("higher", lang="fr")


# ------------------------------------------------------------------ drivers
#: The drivers of the midori plan (questionnaires/midori_2025.yaml, section drivers): R's model terms.
DRIVERS = ("C(age_band)", "C(district)", "C(sex)", "C(park_use, contr.treatment(base=6))")


def test_drivers_match_r_svyolr(des, questionnaire):
    res = satisfaction_drivers(des, "satisfaction", questionnaire=questionnaire, predictors=DRIVERS)
    r = REF["olr"]
    k = len(res.odds_ratios)
    assert k == 15 and res.orientation == -1
    # R: ordered(score) least -> most satisfied, so R's coefficients are ours, exp() the odds ratios
    close(res.odds_ratios["estimate"], r["estimate"][:k], rtol=1e-6)
    close(res.odds_ratios["odds_ratio"], np.exp(r["estimate"][:k]), rtol=1e-6)
    close(res.odds_ratios["se"], r["se"][:k], rtol=1e-6)
    assert res.model.df_resid == r["df_resid"]
    # hand check of one interval: exp(b -+ t(403) se)
    from scipy import stats
    q = stats.t.ppf(0.975, r["df_resid"])
    row = res.odds_ratios.iloc[4]                      # age 70+ vs 18-29
    close([row["ci_low"], row["ci_high"]], np.exp(r["estimate"][4] + np.array([-q, q]) * r["se"][4]),
          rtol=1e-6)
    assert row["odds_ratio"] > 5                          # older residents are more satisfied
    assert (row["variable"], row["level"], row["level_label"]) == ("age_band", "6", "70歳以上")
    assert list(res.odds_ratios["level_label"][10:]) == ["ほぼ毎日", "週に2〜3回", "週に1回程度", "月に1〜2回",
                                                         "年に数回"]        # against 利用しない


def test_drivers_reject_non_monotone_scores(des):
    with pytest.raises(InputError, match="not monotone"):
        satisfaction_drivers(des, "satisfaction", predictors=DRIVERS, scores={1: 1.0, 2: -1.0, 3: 0.5})
    with pytest.raises(InputError, match="list of formula terms"):
        satisfaction_drivers(des, "satisfaction", predictors="C(sex)")


def test_replicate_design_gives_what_design_mean_gives():
    # JKn replicate weights: the derived-score path equals ReplicateDesign.mean on a real column
    data = wave(2025).assign(score=lambda d: d["satisfaction"].map(DEFAULT_SCORES))
    rep = Design(data, weights="wt", strata="stratum").replicate("jkn")
    ours = satisfaction_index(rep, "satisfaction", by="district").to_frame()
    theirs = rep.mean("score", by="district").to_frame()
    close(ours.to_numpy(), theirs.to_numpy(), rtol=1e-10)


def test_holm_adjustment_is_statsmodels_multipletests():
    """adjust_pvalues(method="holm") computes Holm itself (statsmodels runs
    gc.collect() on every call, issue 18): the same numbers, bit for bit,
    ties and NaN included."""
    from statsmodels.stats.multitest import multipletests

    from survey.measures.differences import adjust_pvalues

    rng = np.random.default_rng(18)
    for n in (1, 2, 3, 7, 40):
        p = rng.uniform(0, 1, n) ** 3
        p[: n // 2] = p[0]                       # ties
        np.testing.assert_array_equal(adjust_pvalues(p), multipletests(p, method="holm")[1])
    got = adjust_pvalues([0.01, np.nan, 0.04, 0.03])
    np.testing.assert_array_equal(got, [0.03, np.nan, 0.06, 0.06])   # by hand: 3 x 0.01, 2 x 0.03, max(1 x 0.04, 0.06)
