"""A corpus of broken deliveries built from the simulator (issue 4).

One small simulated wave gives a clean delivery (CP932, Japanese headers,
labels for attributes, as a contractor writes it).  Each test injects one
known defect (``survey.simulate.inject_defect``), writes the file and checks
that validation reports exactly the expected rule at exactly the injected
row, nothing else new, and the row ledger change the defect implies; a last
file carries every defect at once.

The clean delivery itself has findings (the answer model leaves some
questions unanswered and lets some respondents straight-line the matrix);
they are warnings, and every test compares against them.
"""

import pytest

from survey.intake.validate import validate_file
from survey.simulate import (
    DEFECT_KINDS,
    inject_defect,
    simulate_population,
    simulate_wave,
    to_delivery,
)
from survey.simulate.delivery import write_delivery

SLOT = "<the ranking slot the defect changed>"
# kind -> (column passed to inject_defect, expected new findings as (rule, column_id));
# the row is always the injected one.  Columns are pinned so that the outcome
# does not depend on which question the seed would pick.
EXPECTED = {
    "out_of_range_code": ("satisfaction", {("invalid_code", "satisfaction")}),
    "fullwidth_digits": ("years_lived", set()),              # ２５ reads as 25: nothing to report
    "multi_over_limit": ("activity", {("multi_over_limit", "activity")}),
    "allocation_total": (None, {("allocation_total", "allocation")}),
    "duplicate_id": (None, {("duplicate_id", "id")}),         # + the other row with that ID
    "blank_return": (None, {("blank_return", None)}),
    "rank_duplicate": ("policy", {("ranking_duplicate", "policy_2")}),
    "rank_gap": ("policy", {("ranking_gap", SLOT)}),          # the slot the seed emptied
    "rank_unknown_item": ("policy", {("invalid_code", SLOT)}),
    "skip_violation": ("park_reason", {("answered_when_skipped", "park_reason")}),
    "missing_required": ("satisfaction", {("required_blank", "satisfaction")}),
    "contradiction": ("years_exceed_age", {("contradiction", "age_band / years_lived")}),
    "straightlining": ("importance", {("straightlining", "importance")}),
    "outlier_numeric": ("years_lived", {("out_of_range", "years_lived")}),   # 25 -> 255 > maximum 100
    "several_marks_single": ("satisfaction", {("multiple_marks", "satisfaction")}),
    "personal_info": ("comment", {("personal_info", "comment")}),
}
# ledger consequences: (rows excluded, {change rule: count}) added by the defect
LEDGER = {
    "duplicate_id": (1, {}),
    "blank_return": (1, {}),
    "multi_over_limit": (0, {"multi_over_limit_keep_lowest": 1}),
    "skip_violation": (0, {"answered_although_skipped": 1}),
    "outlier_numeric": (0, {"impossible_value": 1}),
    "rank_duplicate": (0, {"ranking_duplicate_item": 1}),
}


@pytest.fixture(scope="module")
def wave(questionnaire):
    population = simulate_population(seed=2025, size=3000)
    return simulate_wave(questionnaire, seed=7, mailed=400, population=population)


@pytest.fixture(scope="module")
def clean(wave, questionnaire, tmp_path_factory):
    frame = to_delivery(wave.respondents, questionnaire)
    path = write_delivery(frame, tmp_path_factory.mktemp("clean") / "clean.csv")
    return frame, validate_file(path, questionnaire)


def _keys(report):
    f = report.failures
    return {(int(r), rule, c) for r, rule, c in zip(f["row"], f["rule"], f["column_id"])}


def _changes(report):
    return report.ledger.changes.groupby("rule").size().to_dict()


def test_clean_delivery_has_warnings_only(clean):
    frame, report = clean
    assert report.exit_code == 0 and report.errors == 0
    assert set(report.failures["rule"]) <= {"required_blank", "straightlining"}
    assert report.ledger.rows_read == len(frame) == report.ledger.rows_kept
    assert report.provenance.encoding == "cp932"


def test_every_simulator_defect_is_in_the_corpus():
    assert set(EXPECTED) == set(DEFECT_KINDS)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.hostile("silent")
def test_one_defect(kind, clean, questionnaire, tmp_path):
    frame, base = clean
    column, expected = EXPECTED[kind]
    broken, defect = inject_defect(frame, kind, questionnaire=questionnaire, seed=11, column=column)
    report = validate_file(write_delivery(broken, tmp_path / f"{kind}.csv"), questionnaire)
    row = defect.row + 1                       # delivered frame row (0-based) -> data row (1-based)
    new = _keys(report) - _keys(base)
    gone = _keys(base) - _keys(report)
    slots = {it.header: it.column for it in questionnaire["policy"].items}
    wanted = {(row, rule, slots[defect.column] if col == SLOT else col) for rule, col in expected}
    if kind == "duplicate_id":  # both rows holding the ID are listed: also the row it was copied from
        first = int(frame.index[frame.iloc[:, 0] == defect.after][0]) + 1
        wanted.add((first, "duplicate_id", "id"))
    assert new == wanted, kind
    # only the altered row may lose earlier findings (e.g. a blank return's blanks)
    assert {r for r, _, _ in gone} <= {row}
    excluded, changes = LEDGER.get(kind, (0, {}))
    lg = report.ledger
    assert lg.rows_read == len(frame) and lg.rows_read == lg.rows_kept + lg.rows_excluded
    assert lg.rows_excluded == base.ledger.rows_excluded + excluded
    base_changes = _changes(base)
    for rule, count in changes.items():
        assert _changes(report).get(rule, 0) - base_changes.get(rule, 0) == count
    assert report.exit_code == (1 if any(r in {"invalid_code", "duplicate_id", "contradiction", "out_of_range",
                                                "multiple_marks"} for r, _ in expected) else 0)


@pytest.mark.hostile("silent")
def test_all_defects_in_one_file(clean, questionnaire, tmp_path):
    frame, base = clean
    broken, defects = frame, []
    kinds = sorted(EXPECTED, key=lambda k: (k == "blank_return", k))  # blank the row last
    for i, kind in enumerate(kinds):
        broken, d = inject_defect(broken, kind, questionnaire=questionnaire, seed=100 + i,
                                  column=EXPECTED[kind][0], exclude={x.row for x in defects})
        defects.append(d)
    report = validate_file(write_delivery(broken, tmp_path / "all.csv"), questionnaire)
    new = _keys(report) - _keys(base)
    rows_with_news = {r for r, _, _ in new}
    for d in defects:
        rules = {rule for r, rule, _ in new if r == d.row + 1}
        expected = {rule for rule, _ in EXPECTED[d.kind][1]}
        assert expected <= rules, d.kind
    expected_rows = {d.row + 1 for d in defects if EXPECTED[d.kind][1]}
    dup = next(d for d in defects if d.kind == "duplicate_id")
    expected_rows.add(int(broken.index[(broken.iloc[:, 0] == dup.after)].min()) + 1)
    assert rows_with_news == expected_rows
    assert set(report.failures["rule"]) >= {rule for kind in EXPECTED for rule, _ in EXPECTED[kind][1]}
    lg = report.ledger
    assert (lg.rows_read, lg.rows_excluded) == (len(frame), base.ledger.rows_excluded + 2)
    assert lg.exclusions["reason"].value_counts().to_dict() == {"duplicate_respondent_id": 1, "blank_return": 1}
    assert report.exit_code == 1
    summary = report.summary.set_index("rule")
    assert summary.loc["duplicate_id", "findings"] == 2 and summary.loc["blank_return", "rows"] == 1
