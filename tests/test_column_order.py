"""One column order for every long frame an estimator returns (issue 17 item 2; README "Python
API"): the ``by`` columns first (in the order given), then what the row estimates (``part``,
``measure``/``item`` ...), then the fixed columns ``estimate, se, ci_low, ci_high, deff, n``
(those the frame has, in that order), and only then the row's own extras (a test, a count,
a rank).  An ``Estimate``'s ``to_frame()`` holds the same order with ``by`` and ``variable``
in its index.  Each estimator runs on the bundled wave (survey.examples.bundled_wave)."""
from __future__ import annotations

import pandas as pd
import pytest

import survey
from survey.design.results import COLUMNS as FIXED
from survey.examples import bundled_wave

BY = ["district", "sex"]


@pytest.fixture(scope="module")
def wave():
    return bundled_wave()


def _alloc(q):
    return list(q["allocation"].columns), survey.allocation_policy(q["allocation"])


def _rank(q):
    return list(q["policy"].columns)


#: name -> (call(design, questionnaire, by) -> frame, identifiers, fixed columns, extras)
ESTIMATORS = {
    "allocation_means": (lambda d, q, by: survey.allocation_means(d, _alloc(q)[0], by=by, **_alloc(q)[1]),
                         ["part"], FIXED, []),
    "allocation_zero_shares": (
        lambda d, q, by: survey.allocation_zero_shares(d, _alloc(q)[0], by=by, **_alloc(q)[1]), ["part"], FIXED, []),
    "allocation_mean_shares": (
        lambda d, q, by: survey.allocation_mean_shares(d, _alloc(q)[0], by=by, **_alloc(q)[1]), ["part"], FIXED, []),
    "allocation_threshold_shares": (
        lambda d, q, by: survey.allocation_threshold_shares(d, _alloc(q)[0], by=by, **_alloc(q)[1]),
        ["part"], FIXED, []),
    "closed_geometric_mean": (
        lambda d, q, by: survey.closed_geometric_mean(d, _alloc(q)[0], by=by, **_alloc(q)[1]), ["part"], FIXED, []),
    "allocation_top_k": (
        lambda d, q, by: survey.allocation_top_k(d, _alloc(q)[0], by=by, replicates=20, **_alloc(q)[1]),
        ["part"], FIXED, ["rank", "p_top1", "p_top_k", "k", "mean_rank", "rank_low", "rank_high"]),
    "replacement_sensitivity": (
        lambda d, q, by: survey.replacement_sensitivity(d, _alloc(q)[0], by=by, deltas=(1.0,), **_alloc(q)[1]),
        ["delta", "part"], ["estimate"], ["rank"]),
    "topk_shares": (lambda d, q, by: survey.topk_shares(d, _rank(q), by=by), ["measure", "item"], FIXED, []),
    "satisfaction_distribution": (
        lambda d, q, by: survey.satisfaction_distribution(d, "satisfaction", questionnaire=q, by=by),
        ["kind", "code", "base"], FIXED, ["count"]),
    # Estimates: by and variable in the index, the fixed columns after them
    "satisfaction_index": (
        lambda d, q, by: survey.satisfaction_index(d, "satisfaction", questionnaire=q, by=by).to_frame().reset_index(),
        ["variable"], FIXED, []),
    "park_use_times": (
        lambda d, q, by: survey.park_use_times(d, "park_use", questionnaire=q, by=by).to_frame().reset_index(),
        ["variable"], FIXED, []),
    "park_nonuse": (
        lambda d, q, by: survey.park_nonuse(d, "park_use", questionnaire=q, by=by).to_frame().reset_index(),
        ["variable"], FIXED, []),
    "Design.mean": (lambda d, q, by: d.mean(["satisfaction", "park_use"], by=by).to_frame().reset_index(),
                    ["variable"], FIXED, []),
    "trend_table": (
        lambda d, q, by: survey.trend_table(survey.wave_estimates({"FY2025": d, "again": d}, survey.satisfaction_index,
                                                                  "satisfaction", questionnaire=q, by=by)),
        ["wave", "variable"], FIXED,
        ["reference_wave", "change", "change_se", "change_ci_low", "change_ci_high", "p", "verdict"]),
    # the waves' figures, and the changes with the fixed columns of a difference (as compare_groups' pairs)
    "compare_waves.estimates": (lambda d, q, by: _waves(d, q, by).estimates, ["wave", "variable"], FIXED, []),
    "compare_waves.changes": (lambda d, q, by: _waves(d, q, by).changes, ["wave", "reference_wave", "variable"],
                              ["estimate", "se", "ci_low", "ci_high"], ["p", "verdict"]),
}


def _waves(d, q, by):
    index = survey.satisfaction_index(d, "satisfaction", questionnaire=q, by=by)
    return survey.compare_waves(index, index, labels=("FY2025", "again"))


def check_order(frame: pd.DataFrame, by: list, identifiers: list, fixed: list, extras: list) -> None:
    """The rule, then the exact columns."""
    cols = list(frame.columns)
    assert cols[:len(by)] == by, f"the by columns come first: {cols}"
    present = [c for c in cols if c in FIXED]
    start = cols.index("estimate")
    assert present == [c for c in FIXED if c in present] == cols[start:start + len(present)], \
        f"the fixed columns together, in the order {FIXED}: {cols}"
    assert not set(by) & set(cols[len(by):]), f"a by column after the first: {cols}"
    assert cols == [*by, *identifiers, *fixed, *extras]


@pytest.mark.parametrize("by", [None, ["district"], BY], ids=["no_by", "district", "district_sex"])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_by_columns_then_identifiers_then_the_fixed_columns_then_extras(wave, name, by):
    design, q = wave
    call, identifiers, fixed, extras = ESTIMATORS[name]
    frame = call(design, q, by)
    check_order(frame, by or [], identifiers, list(fixed), extras)


def test_the_tables_with_their_own_group_columns(wave):
    design, q = wave
    parks = survey.park_use_table(design, "park_use", by="district", questionnaire=q)
    check_order(parks, ["district"], ["measure"], FIXED, ["diff", "diff_se", "p", "p_adjusted", "verdict"])
    # one row per indicator: what it is, its figure, then the plan's figures and the change
    check_order(survey.indicator_table(design, questionnaire=q), [], ["id", "label", "unit", "source", "wave"], FIXED,
                ["decimals", "baseline", "baseline_year", "target", "target_year", "reference", "reference_value",
                 "change", "change_se", "change_p", "change_verdict", "verdict"])
    pairs = survey.compare_groups(survey.satisfaction_index(design, "satisfaction", questionnaire=q, by="sex")).pairs
    check_order(pairs, [], ["group", "reference"], ["estimate", "se", "ci_low", "ci_high"],
                ["statistic", "p", "p_adjusted", "verdict"])
    # groups are codes (the report names them): the data's values, and 全体 for park use's whole city
    assert set(pairs["group"]) | set(pairs["reference"]) <= set(design.data["sex"].dropna())
    assert list(parks["district"].iloc[-2:]) == [survey.TOTAL_LABEL] * 2 and survey.TOTAL_LABEL == "全体"
    assert set(parks["district"].iloc[:-2]) == set(design.data["district"].dropna())
    parts, _ = _alloc(q)
    test = survey.allocation_group_test(design, parts, by="sex", policy="reject")
    check_order(test.differences, [], ["group", "reference", "part"], ["estimate", "se", "ci_low", "ci_high"], ["p"])
    # the free text and the cross table: the groups as codes too (by = the attribute, group = the level's
    # code, 全体 the whole sample; the report names them: survey.report.label_frame)
    text = survey.analyse_freetext(design, questionnaire=q, by="district")
    check_order(text.summary, ["by", "group"], [], FIXED, ["respondents", "comments"])
    check_order(text.themes, ["by", "group"], ["theme", "theme_group", "label"], FIXED, ["mentions"])
    assert set(text.summary["by"]) == {survey.TOTAL_LABEL, "district"}
    assert set(text.summary["group"]) - {survey.TOTAL_LABEL} == set(design.data["district"].dropna())
    table = survey.crosstab_question(design.data, design.weights.to_numpy(), q, "satisfaction", "district")
    assert set(table["group"].dropna()) - {survey.TOTAL_LABEL} == set(design.data["district"].dropna())
    assert set(table["level"].dropna()) == set(q["satisfaction"].codes)


def test_the_top_k_column_does_not_depend_on_k(wave):
    design, q = wave
    parts, policy = _alloc(q)
    two, three = (survey.allocation_top_k(design, parts, k=k, replicates=20, **policy) for k in (2, 3))
    assert list(two.columns) == list(three.columns)
    assert (two["k"] == 2).all() and (three["k"] == 3).all() and (two.attrs["k"], three.attrs["k"]) == (2, 3)
    # the same replicates (seed=0): the share in the top k grows with k; 10 parts, so the k shares add to k
    assert (three["p_top_k"] >= two["p_top_k"]).all()
    assert two["p_top_k"].sum() == pytest.approx(2.0) and three["p_top_k"].sum() == pytest.approx(3.0)
