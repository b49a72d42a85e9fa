"""Degenerate statistics are never reported as findings (issue 15, item 10).

* A group whose answers are all the same has a standard error of zero: a
  comparison with it is "cannot be tested", never "significantly different"
  (compare_groups, park use against the city, change between waves, the
  indicator table and the index table's target column);
* Cronbach's alpha of items without variance, of items that cancel out, or
  below -1 is undefined (NaN) with a reason, never a number outside [-1, 1];
* no RuntimeWarning reaches the user: ``survey run`` on the bundled wave and
  on a degenerate wave runs under ``python -W error::RuntimeWarning``.

Reference numbers: tests/reference/satisfaction_svymean.json (R survey 4.1.1,
tests/reference/satisfaction_svymean.R) for the comparisons that do not
involve the degenerate group; Holm's adjustment by hand (formula in
``_holm``) as R ``p.adjust(p, "holm")`` computes it with the untested
comparisons left out (NA).
"""
from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design.design import Design
from survey.measures.differences import adjust_pvalues, compare_groups, degenerate_se, difference_p
from survey.measures.indicators.headline import indicator_table
from survey.measures.tables.parkuse import park_use_table
from survey.measures.satisfaction.reliability import ALPHA_UNDEFINED, cronbach_alpha
from survey.report.verdicts import alpha_undefined_text
from survey.measures.satisfaction.index import satisfaction_index
from survey.measures.indicators.waves import compare_waves
from survey.report.verdicts import verdict_text

from conftest import ROOT

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "reference" / "satisfaction_svymean.json").read_text(encoding="utf-8"))
DATA = pd.read_csv(HERE / "data" / "satisfaction_test.csv")
W25 = DATA[DATA["wave"] == 2025].reset_index(drop=True)
UNTESTABLE_JA = "の差は検定できない（標準誤差が0か計算できない：回答が全員同じ、または少なすぎる）"


def _holm(p):
    """R p.adjust(p, "holm"): p_(i) * (m - i + 1) in ascending order, running maximum, capped at 1."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    m = len(p)
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adj
    return out


@pytest.fixture(scope="module")
def flat_uchimagi():
    """The 2025 test wave with every 内間木 (district 1) respondent answering 1 (満足)."""
    data = W25.copy()
    data.loc[data["district"] == 1, "satisfaction"] = 1.0
    return Design(data, weights="wt", strata="stratum")


# ----------------------------------------------------------------- the shared rule
def test_zero_and_undefined_standard_errors_are_degenerate():
    assert degenerate_se([0.05, 0.0, 3e-17, np.nan, np.inf, 1e-9], [0.3, 1.0, 1.0, 0.2, 0.0, 0.0]).tolist() == \
        [False, True, True, True, True, False]
    # a yen amount of 1000 with rounding noise 1e-8 is zero; 1e-6 is not
    assert degenerate_se([1e-8, 1e-6], [1000.0, 1000.0]).tolist() == [True, False]


@pytest.mark.hostile("silent")
def test_a_difference_without_variance_has_no_p_value():
    # 1 / 0 used to give t = inf and p = 0 ("significant")
    assert np.isnan(difference_p(1.0, 0.0, 30))
    assert np.isnan(difference_p(0.0, 0.0))
    assert difference_p(1.96, 1.0) == pytest.approx(0.04999579029644087, rel=1e-12)   # 2 * (1 - pnorm(1.96))


@pytest.mark.hostile("silent")
def test_untested_p_values_do_not_count_in_the_adjustment():
    # R: p.adjust(c(0.01, NA, 0.04), "holm") -> 0.02 NA 0.04 (m = 2 tests)
    out = adjust_pvalues([0.01, np.nan, 0.04], "holm")
    assert out[0] == pytest.approx(0.02) and np.isnan(out[1]) and out[2] == pytest.approx(0.04)


# ----------------------------------------------------------------- group comparisons
@pytest.mark.hostile("silent")
def test_a_group_without_variance_is_not_significantly_different(flat_uchimagi, questionnaire):
    est = satisfaction_index(flat_uchimagi, "satisfaction", by="district")
    assert est.estimate.iloc[0] == pytest.approx(1.0) and est.se.iloc[0] < 1e-12
    cmp = compare_groups(est, df=flat_uchimagi.degf).pairs
    names = dict(questionnaire["district"].codes)                  # the report names the codes
    # the four pairs with 内間木 (index 0) are untested; before: all "lower" with p < 1e-20
    assert list(cmp["verdict"][:4]) == ["untestable"] * 4
    assert cmp["p"][:4].isna().all() and cmp["p_adjusted"][:4].isna().all() and cmp["ci_low"][:4].isna().all()
    first = cmp.iloc[0]
    assert (first["group"], first["reference"]) == (2, 1)
    group, reference = names[first["group"]], names[first["reference"]]
    assert verdict_text(first["verdict"], group=group, reference=reference) == "北部と内間木" + UNTESTABLE_JA
    assert verdict_text(first["verdict"], group=group, reference=reference, lang="en") == (
        "北部 vs 内間木: cannot be tested (standard error zero or undefined: every answer the same, or too few)")
    # the other six pairs are R's, and Holm counts six comparisons, not ten
    r = REF["pairwise_district"]
    np.testing.assert_allclose(cmp["p"][4:], r["p_t"][4:], rtol=1e-7)
    np.testing.assert_allclose(cmp["p_adjusted"][4:], _holm(r["p_t"][4:]), rtol=1e-7)
    # with six tests instead of ten, 南部 vs 西部 (R p = 0.0063: Holm 0.056 of ten, 0.031 of six) clears 5 %
    expected = ["no_difference" if a >= 0.05 else "higher" if d > 0 else "lower"
                for a, d in zip(_holm(r["p_t"][4:]), r["estimate"][4:])]
    assert list(cmp["verdict"][4:]) == expected == ["no_difference"] * 3 + ["higher", "no_difference", "lower"]


@pytest.mark.hostile("silent")
def test_the_joint_test_leaves_out_groups_without_variance(flat_uchimagi):
    est = satisfaction_index(flat_uchimagi, "satisfaction", by="district")
    overall = compare_groups(est, df=flat_uchimagi.degf).overall
    assert overall.ndf == 3                                  # 4 districts with variance: 3 constraints
    assert 0 <= overall.p <= 1


@pytest.mark.hostile("silent")
def test_all_groups_without_variance_give_no_joint_test():
    data = pd.DataFrame({"g": [1, 1, 2, 2, 3, 3], "y": [1.0, 1.0, 2.0, 2.0, 2.0, 2.0], "w": [1.0] * 6})
    est = Design(data, weights="w").mean("y", by="g")
    cmp = compare_groups(est)
    assert list(cmp.pairs["verdict"]) == ["untestable"] * 3
    assert np.isnan(cmp.overall.p) and cmp.overall.method == "untestable"


@pytest.mark.hostile("silent")
def test_park_use_group_without_variance_is_not_flagged(questionnaire):
    data = W25.copy()
    data.loc[data["district"] == 1, "park_use"] = 6.0      # every 内間木 respondent: never (100 %)
    t = park_use_table(Design(data, weights="wt", strata="stratum"), "park_use", by="district",
                       questionnaire=questionnaire, adjust="none")
    never = t[t["measure"] == "never"].reset_index(drop=True)
    assert never["estimate"].iloc[0] == pytest.approx(1.0)
    assert never["verdict"].iloc[0] == "untestable" and np.isnan(never["p"].iloc[0])
    assert (never["district"].iloc[0], never["district"].iloc[-1]) == (1, "全体")
    assert verdict_text(never["verdict"].iloc[0], group="内間木", reference="市全体") == "内間木と市全体" + UNTESTABLE_JA
    assert set(never["verdict"][1:5]) <= {"higher", "lower", "no_difference"}


@pytest.mark.hostile("silent")
def test_change_between_waves_without_variance_is_not_tested():
    a = pd.DataFrame({"y": [0.5, 0.5, 0.5, 0.5], "w": [1.0, 2.0, 1.0, 2.0]})
    b = pd.DataFrame({"y": [0.0, 1.0, 0.0, 1.0, 1.0], "w": [1.0] * 5})
    c = compare_waves(Design(a, weights="w").mean("y"), Design(b, weights="w").mean("y"), labels=("A", "B")).changes.iloc[0]
    assert c["verdict"] == "untestable_change" and np.isnan(c["p"])
    assert verdict_text(c["verdict"], group="B", reference="A") == \
        "AからBへの変化は検定できない（標準誤差が0か計算できない：回答が全員同じ、または少なすぎる）"


@pytest.mark.hostile("silent")
def test_indicator_without_variance_is_not_judged(questionnaire):
    data = W25.copy()
    data["satisfaction"] = 2.0                            # everyone: まあ満足 (score 0.5)
    # a later wave (FY2030) against the plan's baseline: on FY2025 itself no change is measured
    t = indicator_table(Design(data, weights="wt", strata="stratum"), questionnaire=questionnaire, wave="FY2030").set_index("id")
    s = t.loc["satisfaction_index"]
    # before: 0.5 (0.5, 0.5) was "met" (target 0.30) and an "increase" with p = 0
    assert s["estimate"] == pytest.approx(0.5)
    assert s["verdict"] == "untestable_target" and s["change_verdict"] == "untestable_change"
    assert np.isnan(s["change_p"])
    assert verdict_text(s["verdict"]) == "目標との比較はできない（標準誤差が0か計算できない：回答が全員同じ、または少なすぎる）"
    assert t.loc["park_use", "verdict"] in ("met", "not_met", "indistinguishable")   # park use still varies


# ----------------------------------------------------------------- Cronbach's alpha
IMP = [f"imp_{x}" for x in ("rain", "cool", "carbon", "wildlife", "scenery", "farm", "health", "children",
                            "community", "disaster")]


def _alpha(frame, items):
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # no RuntimeWarning from 0/0
        return cronbach_alpha(Design(frame, weights="wt", strata="stratum"), items)


@pytest.mark.hostile("silent")
def test_alpha_of_items_without_variance_is_undefined():
    data = W25.copy()
    data[IMP] = 4.0
    r = _alpha(data, IMP)
    assert np.isnan(r.alpha) and np.isnan(r.weighted_alpha) and np.isnan(r.weighted_se)
    assert np.isnan(r.ci_low) and np.isnan(r.weighted_ci_high)
    assert r.reason == r.weighted_reason == "no_variance"
    # a code in the measure, words in the report (issue 17): survey.report.alpha_undefined_text
    assert "no_variance" in ALPHA_UNDEFINED and alpha_undefined_text(r.reason) == "算出できない：全員が全項目に同じ回答（分散0）"
    assert r.items["item_rest"].isna().all() and r.items["alpha_if_deleted_weighted"].isna().all()


@pytest.mark.hostile("silent")
def test_alpha_of_identical_items_is_exactly_one():
    data = W25.dropna(subset=["imp_rain"]).copy()
    for c in IMP[1:]:
        data[c] = data["imp_rain"]
    r = _alpha(data, IMP)
    # k/(k-1) * (1 - k s / (k^2 s)) = 1 by hand; never 1 + 1e-16 (above 1 is impossible); a BLAS may
    # sum the covariances in another order and give 1 - 1e-16, so below 1 by rounding is allowed
    for alpha in (r.alpha, r.weighted_alpha):
        assert 1 - 1e-12 <= alpha <= 1.0
    assert r.reason == ""


@pytest.mark.hostile("silent")
def test_alpha_of_items_that_cancel_out_is_undefined():
    data = W25.dropna(subset=["imp_rain"]).copy()
    data["imp_mirror"] = 5 - data["imp_rain"]             # x and 5 - x: the total score is always 5
    r = _alpha(data, ["imp_rain", "imp_mirror"])
    assert np.isnan(r.alpha) and r.reason == "no_total_variance" and r.weighted_reason == "no_total_variance"


@pytest.mark.hostile("silent")
def test_alpha_below_minus_one_is_undefined():
    # two items with variances 1 and covariance -0.9: 2 * (1 - 2 / 0.2) = -18 by hand
    x = np.array([1.0, 2.0, 3.0, 4.0] * 10)
    y = 5 - x + np.tile([0.0, 0.0, 0.0, 0.5, 0.0, 0.0, -0.5, 0.0], 5)
    data = pd.DataFrame({"x": x, "y": y, "wt": 1.0, "stratum": 1})
    cov = np.cov(np.column_stack([x, y]), rowvar=False)
    assert 2 * (1 - np.trace(cov) / cov.sum()) < -1
    r = _alpha(data, ["x", "y"])
    assert np.isnan(r.alpha) and r.reason == "below_minus_one"
    assert alpha_undefined_text(r.reason, lang="en").startswith("undefined: alpha below -1")


# ----------------------------------------------------------------- no RuntimeWarning reaches the user
def _survey_run(tmp_path, data=None):
    args = [sys.executable, "-W", "error::RuntimeWarning", "-m", "survey", "run", "--out", str(tmp_path / "out"),
            "--quiet"] + (["--data", str(data)] if data else [])
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})


def test_bundled_run_raises_no_runtime_warning(tmp_path):
    done = _survey_run(tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    alpha = pd.read_csv(tmp_path / "out" / "FY2025" / "満足度_みどりのチカラの重要度の信頼性.csv", encoding="utf-8-sig")
    assert list(alpha["推定値"]) == [0.887, 0.888] and alpha["備考"].isna().all()


@pytest.mark.hostile("crash")
def test_degenerate_wave_runs_without_runtime_warning(tmp_path):
    """内間木 all 満足, every importance item answered 4 by everyone."""
    raw = pd.read_csv(ROOT / "data" / "raw" / "midori_2025_sample.csv", encoding="cp932", dtype=str,
                      keep_default_na=False)
    raw.loc[raw["問3 地区"] == "内間木", "問6 みどりの満足度"] = "1"
    for c in [c for c in raw.columns if c.startswith("問8_")]:
        raw[c] = "4"
    path = tmp_path / "degenerate.csv"
    raw.to_csv(path, index=False, encoding="cp932", lineterminator="\r\n")
    done = _survey_run(tmp_path, path)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    out = tmp_path / "out" / "FY2025"
    index = pd.read_csv(out / "満足度_満足度指数.csv", encoding="utf-8-sig").set_index("グループ")
    assert index.loc["内間木*", "目標値との比較"] == "判定できない（標準誤差0）"     # 11 scored answers: marked
    pairs = pd.read_csv(out / "満足度_グループ間の差.csv", encoding="utf-8-sig")
    with_uchimagi = pairs[pairs["比較"].str.contains("内間木")]
    assert len(with_uchimagi) == 4 and with_uchimagi["判定"].str.endswith(UNTESTABLE_JA).all()
    assert with_uchimagi["p値（調整後）"].isna().all()
    alpha = pd.read_csv(out / "満足度_みどりのチカラの重要度の信頼性.csv", encoding="utf-8-sig")
    assert alpha["推定値"].isna().all()
    assert list(alpha["備考"]) == ["算出できない：全員が全項目に同じ回答（分散0）"] * 2
