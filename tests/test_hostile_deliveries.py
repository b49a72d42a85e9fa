"""Broken and hostile deliveries (issue 15): each is built here, and the exact outcome is
asserted — the exit code, the message naming file, row, column and the fix, and that no
figure is computed from input that cannot be read as delivered.

Items: 1 headings that collide after normalisation; 2 workbooks (hidden sheets, several
sheets, hidden rows, dates, uncalculated formulas); 3 SPSS value labels and user-missing
values; 4 multi-answer marks; 8 undecodable rows, EUC-JP, UTF-8 read as CP932; 9 damaged
CSV structure; 14 resource bombs in a workbook.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import survey
from survey.cli import main
from survey.errors import InputError
from survey.intake.readers import read_raw
from survey.intake.validate import validate_file
from survey.intake.values import MULTI_MARKS

from conftest import QUESTIONNAIRE, ROOT
from delivery import delivery, sav_delivery, workbook, xlsx_parts, zip_parts

SAMPLE = ROOT / "data" / "raw" / "midori_2025_sample.csv"
MARGINS = ROOT / "data" / "midori_margins.csv"


def _cli(args, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _validate(path, capsys, *extra):
    return _cli(["validate", path, "--questionnaire", QUESTIONNAIRE, *extra], capsys)


def _run(tmp, data, capsys, *extra):
    return _cli(["run", "--questionnaire", QUESTIONNAIRE, "--data", data, "--margins", MARGINS,
                 "--out", tmp / "out", "--quiet", *extra], capsys)


def _reason(err: str) -> str:
    """The one-line reason of a refused command (never a traceback)."""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1, err
    return lines[0]


def _write_csv(path: Path, frame: pd.DataFrame, encoding="utf-8") -> Path:
    frame.to_csv(path, index=False, encoding=encoding)
    return path


# =========================================================================== 1 headings that collide


@pytest.mark.parametrize("twin,why", [
    ("問6 みどりの満足度 ", "a trailing space"),
    ("問6　みどりの満足度", "a full-width space"),
    ("問６ みどりの満足度", "a full-width digit (NFKC twin)"),
])
@pytest.mark.hostile("silent")
def test_heading_twins_are_refused_naming_both_columns(tmp_path, questionnaire, capsys, twin, why):
    """A second 問6 column with reversed answers: before, the last one silently won (the
    index flipped sign) and validate told the contractor to delete the real column."""
    frame = delivery(questionnaire, n=4)
    frame[twin] = (6 - frame["問6 みどりの満足度"].astype(int)).astype(str)
    path = _write_csv(tmp_path / "twin.csv", frame)
    code, out, err = _validate(path, capsys)
    assert code == 2 and out == ""
    reason = _reason(err)
    assert f"[file {path}] column heading(s) '問6 みどりの満足度' appear more than once" in reason
    assert f"column 7 '問6 みどりの満足度' and column 42 {twin!r} differ only in spaces or full-width" in reason
    assert "check which column holds the answers, then rename or delete the other" in reason
    code, _, err = _run(tmp_path, path, capsys)
    assert code == 2 and "appear more than once" in _reason(err)
    assert not (tmp_path / "out").exists()  # nothing computed, nothing written


@pytest.mark.hostile("silent")
def test_bundled_wave_with_a_reversed_twin_is_refused_not_flipped(tmp_path, questionnaire, capsys):
    """The issue's case on the bundled wave: index +0.287 would have been published as −0.287."""
    frame = pd.read_csv(SAMPLE, encoding="cp932", dtype=str, keep_default_na=False)
    reversed_ = frame["問6 みどりの満足度"].map({"1": "5", "2": "4", "4": "2", "5": "1"}).fillna(frame["問6 みどりの満足度"])
    frame.insert(len(frame.columns), "問6 みどりの満足度 ", reversed_)
    path = _write_csv(tmp_path / "twin.csv", frame, encoding="cp932")
    code, _, err = _run(tmp_path, path, capsys)
    assert code == 2 and "'問6 みどりの満足度' appear more than once" in _reason(err)
    # the untouched wave still gives +0.287 (README: +0.29)
    ds = survey.load(SAMPLE, questionnaire)
    design = survey.weight_wave(ds, survey.read_margins(MARGINS))
    index = survey.satisfaction_index(design, "satisfaction", questionnaire=questionnaire).to_frame()
    assert round(float(index["estimate"].iloc[0]), 3) == 0.287


@pytest.mark.hostile("silent")
def test_a_heading_and_an_id_claiming_one_question_are_refused(tmp_path, questionnaire, capsys):
    frame = delivery(questionnaire, n=3)
    frame["sex"] = "2"  # the question id as a second heading of 問1
    path = _write_csv(tmp_path / "both.csv", frame)
    code, _, err = _validate(path, capsys)
    assert code == 2
    assert ("columns '問1 性別' and 'sex' both match questionnaire column sex (by heading, by id or by variable "
            "label); keep the one that holds the answers and delete or rename the other") in _reason(err)


@pytest.mark.hostile("silent")
def test_exact_repeated_heading_in_a_workbook_is_refused(tmp_path, questionnaire):
    frame = delivery(questionnaire, n=3)
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(list(frame.columns) + ["問1 性別"])
    for row in frame.itertuples(index=False):
        ws.append(list(row) + ["2"])
    path = tmp_path / "d.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"'問1 性別' appear more than once; every column needs its own heading \("):
        read_raw(path)


@pytest.mark.hostile("crash")
def test_columns_without_a_heading_are_unknown_columns_not_repeats(tmp_path, questionnaire, capsys):
    """An Excel export with two empty columns after the data: one such column was an unknown
    column (a warning) but two were refused as a repeated heading '' with the advice to rename
    or delete "the other"."""
    frame = delivery(questionnaire, n=3)
    lines = frame.to_csv(index=False, lineterminator="\n").splitlines()
    path = _damaged(tmp_path, [line + ",," for line in lines])
    report = validate_file(path, questionnaire)
    f = report.failures
    assert report.exit_code == 0
    assert f[["column", "rule"]].values.tolist() == [["Unnamed: 41", "unknown_column"],
                                                     ["Unnamed: 42", "unknown_column"]]
    clean = survey.load(_write_csv(tmp_path / "clean.csv", frame), questionnaire)
    pd.testing.assert_frame_equal(survey.load(path, questionnaire).data, clean.data)
    # a title above the heading row leaves every other column without a heading: named as such
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["朝霞市みどりの市民アンケート 納品データ"])
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    book.save(tmp_path / "title.xlsx")
    code, _, err = _validate(tmp_path / "title.xlsx", capsys)
    assert code == 2
    assert ("none of the column headings match questionnaire midori 2025.1 (expected e.g. 問1 性別, 問2 年齢, 問3 地区; "
            "found 朝霞市みどりの市民アンケート 納品データ, Unnamed: 1, Unnamed: 2); check that the first line is the "
            "header row") in _reason(err)


# =========================================================================== 4 multi-answer marks


@pytest.mark.hostile("silent")
def test_every_mark_validate_accepts_is_chosen_by_run(tmp_path, questionnaire):
    """One set of marks for both: ◯ was accepted by validate and dropped by run."""
    frame = delivery(questionnaire, n=len(MULTI_MARKS))
    for i, mark in enumerate(MULTI_MARKS):
        frame.loc[i, "問11 参加したい活動_2"] = mark
    path = _write_csv(tmp_path / "marks.csv", frame)
    report = validate_file(path, questionnaire)
    assert report.errors == 0 and report.rules_found() == {}
    ds = survey.load(path, questionnaire)
    assert ds.data["activity_2"].tolist() == [1] * len(MULTI_MARKS)
    assert len(ds.ledger.changes) == 0


@pytest.mark.hostile("silent")
def test_a_mark_read_as_not_chosen_is_in_the_ledger_and_the_summary(tmp_path, questionnaire, capsys):
    frame = delivery(questionnaire, n=3)
    frame.loc[1, "問11 参加したい活動_3"] = "レ"  # a tick in katakana: not a mark the tool reads
    frame.loc[2, "問11 参加したい活動_4"] = "2"
    path = _write_csv(tmp_path / "marks.csv", frame)
    ds = survey.load(path, questionnaire)
    assert ds.data["activity_3"].tolist() == [0, 0, 0] and ds.data["activity_4"].tolist() == [0, 0, 0]
    changes = ds.ledger.changes[["row", "respondent_id", "column", "before", "after", "rule"]]
    assert changes.values.tolist() == [[2, "R0002", "activity_3", "レ", 0, "invalid_mark_cleared"],
                                       [3, "R0003", "activity_4", "2", 0, "invalid_mark_cleared"]]
    code, out, _ = _validate(path, capsys)
    assert code == 1
    assert "cells changed by cleaning: 2 (invalid_mark_cleared 2)" in out
    assert "'レ' in '問11 参加したい活動_3' is not one of the declared codes (0, 1 (or a mark ○ 〇 ◯ ● ◎ ✓ ✔ ☑))" in out


@pytest.mark.hostile("silent")
def test_an_unreadable_multi_slot_code_is_in_the_ledger(tmp_path):
    """Slots form: a code that is no choice is read as "not chosen" and logged."""
    import yaml

    spec = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))
    activity = next(x for x in spec["questions"] if x["id"] == "activity")
    activity.update(form="slots", max_choices=2)
    qpath = tmp_path / "q.yaml"
    qpath.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    q = survey.load_questionnaire(qpath)
    base = delivery(survey.load_questionnaire(QUESTIONNAIRE), n=2)
    frame = base.drop(columns=[c for c in base if c.startswith("問11")])
    frame["問11 参加したい活動_1"] = ["1", "3"]
    frame["問11 参加したい活動_2"] = ["12", ""]  # 12: no such activity
    path = _write_csv(tmp_path / "slots.csv", frame)
    ds = survey.load(path, q)
    assert ds.data["activity_1"].tolist() == [1, 0] and ds.data["activity_3"].tolist() == [0, 1]
    ch = ds.ledger.changes
    assert ch[["row", "column", "before", "after", "rule"]].values.tolist() == [
        [1, "activity_slot2", "12", None, "invalid_code_cleared"]]


# =========================================================================== 8 undecodable rows, encodings


def _bundled_bytes() -> bytes:
    return SAMPLE.read_bytes()


def _corrupt_line(blob: bytes, line: int, junk: bytes = b"\x81\x20") -> bytes:
    """Line ``line`` (1 = heading) with undecodable CP932 bytes in its free-text cell."""
    lines = blob.split(b"\r\n" if b"\r\n" in blob else b"\n")
    lines[line - 1] = lines[line - 1] + junk
    return (b"\r\n" if b"\r\n" in blob else b"\n").join(lines)


@pytest.mark.hostile("silent")
def test_run_refuses_undecodable_rows_and_names_them(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(_corrupt_line(_bundled_bytes(), 6))
    code, _, err = _run(tmp_path, path, capsys)
    assert code == 2
    reason = _reason(err)
    assert (f"[file {path}] 1 row(s) cannot be read as delivered — row 5: line 6 holds bytes (81) that are not valid "
            "CP932; run `survey validate` on the file for the list") in reason
    assert "or pass --exclude-undecodable to survey run (exclude_undecodable=True) to leave those rows out" in reason
    assert not (tmp_path / "out").exists()
    code, out, _ = _validate(path, capsys)
    assert code == 1 and "row 5 (Excel 6, line 6) id 0005  問12 自由意見" in out and "error undecodable_bytes" in out


@pytest.mark.hostile("silent")
def test_exclude_undecodable_leaves_the_rows_out_and_lists_them(tmp_path, questionnaire, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(_corrupt_line(_bundled_bytes(), 6))
    clean = survey.load(SAMPLE, questionnaire)
    ds = survey.load(path, questionnaire, exclude_undecodable=True)
    assert (ds.ledger.rows_read, ds.ledger.rows_kept) == (clean.ledger.rows_read, clean.ledger.rows_kept - 1)
    ex = ds.ledger.exclusions
    assert ex[ex["row"] == 5][["respondent_id", "reason"]].values.tolist() == [["0005", "undecodable_bytes"]]
    assert 5 not in ds.data.index and ds.ledger.changes["row"].isin([5]).sum() == 0
    code, _, err = _run(tmp_path, path, capsys, "--exclude-undecodable")
    assert code == 0, err
    excluded = pd.read_csv(tmp_path / "out" / "FY2025" / "除外行.csv", encoding="utf-8-sig")
    assert excluded[excluded["データ行 (row)"] == 5]["理由 (reason)"].tolist() == [
        "文字コードとして読めないバイトを含む (undecodable_bytes)"]


@pytest.mark.hostile("silent")
def test_euc_jp_file_is_named_and_refused(tmp_path, questionnaire, capsys):
    path = _write_csv(tmp_path / "euc.csv", delivery(questionnaire, n=3), encoding="euc_jp")
    code, _, err = _validate(path, capsys)
    assert code == 2
    reason = _reason(err)
    assert f"[file {path}] the file is EUC-JP encoded, which this tool does not read; save it as UTF-8" in reason
    assert "(it begins '回答者ID,問1 性別,問2 年齢" in reason


def _mojibake(text: str) -> str:
    """UTF-8 opened as CP932 by a program that replaces what it cannot show by '?'."""
    return text.encode("utf-8").decode("cp932", errors="replace").replace("\ufffd", "?")


@pytest.mark.hostile("silent")
def test_utf8_read_as_cp932_headings_are_named_and_refused(tmp_path, questionnaire, capsys):
    frame = delivery(questionnaire, n=3)
    frame.columns = [_mojibake(c) for c in frame.columns]
    frame = frame.map(lambda v: _mojibake(v) if isinstance(v, str) else v)
    path = _write_csv(tmp_path / "garbled.csv", frame, encoding="cp932")
    code, _, err = _validate(path, capsys)
    assert code == 2
    reason = _reason(err)
    assert "the headings are garbled: UTF-8 text that was opened as CP932 (Shift_JIS) and saved again" in reason
    assert "('蝗樒ｭ碑\\x80?ID' reads '回答??ID')" in reason  # 者 lost a byte to the '?'
    assert "deliver the original UTF-8 file" in reason


@pytest.mark.hostile("silent")
def test_garbled_cells_are_found_reported_and_refused(tmp_path, questionnaire, capsys):
    frame = delivery(questionnaire, n=4)
    frame.loc[2, "問3 地区"] = _mojibake("北部")
    frame.loc[2, "問12 自由意見"] = _mojibake("公園をもっと増やしてほしい")
    path = _write_csv(tmp_path / "cells.csv", frame, encoding="cp932")
    report = validate_file(path, questionnaire)
    f = report.failures
    assert report.exit_code == 1 and f["rule"].tolist() == ["mojibake", "mojibake"]
    assert f["row"].tolist() == [3, 3] and f["column"].tolist() == ["問3 地区", "問12 自由意見"]
    assert "(it reads '北部')" in f["message_en"].iloc[0]
    code, _, err = _run(tmp_path, path, capsys)
    assert code == 2 and "1 row(s) cannot be read as delivered — row 3: 問3 地区 holds UTF-8 text read as CP932" \
        in _reason(err)
    ds = survey.load(path, questionnaire, exclude_undecodable=True)
    assert ds.ledger.exclusions.values.tolist() == [[3, "R0003", "mojibake"]]


# =========================================================================== 9 damaged CSV structure


def _damaged(tmp_path, lines) -> Path:
    path = tmp_path / "damaged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.hostile("silent")
def test_an_unquoted_line_break_splits_no_respondent_into_two(tmp_path, questionnaire, capsys):
    lines = delivery(questionnaire, n=4).to_csv(index=False, lineterminator="\n").splitlines()
    cells = lines[2].split(",")  # data row 2: a line break keyed into 問4 居住年数
    lines[2] = ",".join(cells[:4]) + ",1"
    lines.insert(3, "0," + ",".join(cells[5:]))
    path = _damaged(tmp_path, lines)
    code, out, _ = _validate(path, capsys)
    assert code == 1
    assert "Line 3 of the file has 5 of the heading's 41 fields" in out
    assert "Line 4 of the file has 37 of the heading's 41 fields" in out
    assert "required_blank" not in out and "allocation" not in out  # reported as damage, not cell by cell
    code, _, err = _run(tmp_path, path, capsys)
    assert code == 2
    assert ("2 row(s) cannot be read as delivered — row 2: line 3 has 5 of the heading's 41 fields: a line break "
            "inside an unquoted cell, or a row cut short; row 3: line 4 has 37") in _reason(err)
    ds = survey.load(path, questionnaire, exclude_undecodable=True)
    lg = ds.ledger
    assert (lg.rows_read, lg.rows_kept, lg.rows_excluded) == (5, 3, 2)
    assert lg.exclusions["reason"].tolist() == ["short_row", "short_row"]
    assert len(lg.changes) == 0  # nothing padded with ¥0
    assert ds.data["id"].tolist() == ["R0001", "R0003", "R0004"]


@pytest.mark.hostile("silent")
def test_a_line_break_in_the_last_free_text_cell(tmp_path, questionnaire):
    lines = delivery(questionnaire, n=3).to_csv(index=False, lineterminator="\n").splitlines()
    lines.insert(2, "とても好きです")  # the rest of row 1's comment on a line of its own
    path = _damaged(tmp_path, lines)
    report = validate_file(path, questionnaire)
    f = report.failures
    assert f[["row", "rule"]].values.tolist() == [[2, "short_row"]]
    assert f["message_en"].iloc[0].startswith("Line 3 of the file has 1 of the heading's 41 fields")
    ds = survey.load(path, questionnaire, exclude_undecodable=True)
    assert ds.ledger.rows_kept == 3 and ds.data["id"].tolist() == ["R0001", "R0002", "R0003"]


@pytest.mark.hostile("silent")
def test_a_row_cut_short_mid_file_is_not_padded_with_zero_yen(tmp_path, questionnaire):
    lines = delivery(questionnaire, n=4).to_csv(index=False, lineterminator="\n").splitlines()
    lines[2] = ",".join(lines[2].split(",")[:22])  # row 2 stops after 問9_2
    path = _damaged(tmp_path, lines)
    with pytest.raises(InputError, match=r"row 2: line 3 has 22 of the heading's 41 fields"):
        survey.load(path, questionnaire)
    ds = survey.load(path, questionnaire, exclude_undecodable=True)
    assert ds.ledger.exclusions.values.tolist() == [[2, "R0002", "short_row"]]
    assert "allocation_blank_as_zero" not in set(ds.ledger.changes["rule"])
    assert (ds.data[[c for c in ds.data if c.startswith("alloc_")]].sum(axis=1) == 1000).all()


@pytest.mark.parametrize("extra,row,first_id,refusal", [
    ("heading", 3, "回答者ID", "row 3: 41 of its 41 filled cells repeat their column's heading or id"),
    ("ids", 1, "id", "row 1: 41 of its 41 filled cells repeat their column's heading or id"),
    ("names", 1, "No", "row 1: 39 of its 39 filled answer cells are variable names (such as q1, Q8_1)"),
])
@pytest.mark.hostile("silent")
def test_a_second_heading_row_is_not_a_respondent(tmp_path, questionnaire, extra, row, first_id, refusal):
    frame = delivery(questionnaire, n=3)
    lines = frame.to_csv(index=False, lineterminator="\n").splitlines()
    if extra == "heading":  # two deliveries pasted together
        lines.insert(3, lines[0])
    elif extra == "ids":  # a row of column ids under the heading
        lines.insert(1, ",".join(questionnaire.columns[:1] + tuple(
            c for x in questionnaire.questions for c in x.columns)))
    else:  # the contractor's variable names under the heading (the free text column is "q12")
        lines.insert(1, ",".join(["No"] + [f"q{j}" for j in range(1, 41)]))
    path = _damaged(tmp_path, lines)
    report = validate_file(path, questionnaire)
    f = report.failures
    assert report.exit_code == 1 and f[f["row"] == row]["rule"].tolist() == ["heading_row"]
    assert f[f["row"] == row]["message_en"].iloc[0].startswith(
        "This row repeats the heading (or the column ids, or variable names): ")
    with pytest.raises(InputError, match=re.escape(refusal)):
        survey.load(path, questionnaire)
    ds = survey.load(path, questionnaire, exclude_undecodable=True)
    assert ds.ledger.exclusions.values.tolist() == [[row, first_id, "heading_row"]]
    assert ds.ledger.rows_kept == 3


# =========================================================================== 2 workbooks


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
@pytest.mark.hostile("silent")
def test_a_hidden_first_sheet_is_not_read(tmp_path, questionnaire, capsys, state):
    real = delivery(questionnaire, n=3)
    old = delivery(questionnaire, n=5)
    old["問6 みどりの満足度"] = "5"
    path = workbook([("旧データ", old, state), ("回答", real, "visible")], tmp_path / "d.xlsx", active=1)
    raw = read_raw(path)
    assert raw.provenance.sheet == "回答" and raw.rows_read == 3
    assert raw.frame["問6 みどりの満足度"].tolist() == ["2", "2", "2"]
    ds = survey.load(path, questionnaire)
    assert ds.provenance.as_dict()["sheet"] == "回答"
    # asked for by name or number, the hidden sheet is read
    assert read_raw(path, sheet="旧データ").rows_read == 5 and read_raw(path, sheet=1).rows_read == 5
    code, out, _ = _validate(path, capsys, "--sheet", "1")
    assert code == 0 and f"File: {path} (xlsx, sheet '旧データ', sha256" in out and "5 data rows" in out


@pytest.mark.hostile("silent")
def test_several_visible_sheets_are_refused_with_their_list(tmp_path, questionnaire, capsys):
    codes = pd.DataFrame({"設問": ["問1 性別"], "コード": ["1=男性"]})
    path = workbook([("回答", delivery(questionnaire, n=3), "visible"), ("コード表", codes, "visible"),
                  ("メモ", None, "visible"), ("旧", codes, "hidden")], tmp_path / "d.xlsx")
    code, _, err = _validate(path, capsys)
    assert code == 2
    assert (f"[file {path}] the workbook has 2 visible sheets with data (1 '回答' (active), 2 'コード表', 3 'メモ', "
            "4 '旧' (hidden)); say which one holds the responses with --sheet NAME or --sheet N") in _reason(err)
    code, out, _ = _validate(path, capsys, "--sheet", "回答")
    assert code == 0 and "3 data rows" in out
    code, _, err = _validate(path, capsys, "--sheet", "9")
    assert code == 2 and "there is no sheet 9 (sheets are counted from 1: 1 '回答' (active)" in _reason(err)
    code, _, err = _run(tmp_path, path, capsys)
    assert code == 2 and "2 visible sheets with data" in _reason(err)


@pytest.mark.hostile("silent")
def test_no_visible_sheet_with_data_is_refused(tmp_path, questionnaire):
    path = workbook([("空", None, "visible"), ("data", delivery(questionnaire, n=2), "hidden")], tmp_path / "d.xlsx")
    with pytest.raises(InputError, match=r"no visible sheet of the workbook holds data \(1 '空' \(active\), 2 'data' "
                                         r"\(hidden\)\); unhide the data sheet"):
        read_raw(path)


@pytest.mark.hostile("silent")
def test_hidden_rows_are_warned_about_and_listed_in_the_ledger(tmp_path, questionnaire, capsys):
    path = workbook([("回答", delivery(questionnaire, n=4), "visible")], tmp_path / "d.xlsx")
    book = openpyxl.load_workbook(path)
    book["回答"].row_dimensions[3].hidden = True  # sheet row 3 = data row 2
    book["回答"].row_dimensions[5].hidden = True
    book.save(path)
    report = validate_file(path, questionnaire)
    f = report.failures
    assert report.exit_code == 0 and f[["row", "respondent_id", "rule", "severity"]].values.tolist() == [
        [2, "R0002", "hidden_row", "warning"], [4, "R0004", "hidden_row", "warning"]]
    assert f["message_en"].iloc[0] == ("This row is hidden in the workbook (sheet '回答', row 3); it is analysed like "
                                       "any other. If it should not be, delete it and deliver the file again.")
    lg = survey.load(path, questionnaire).ledger
    assert lg.rows_kept == 4 and lg.notes.values.tolist() == [[2, "R0002", "hidden_row"], [4, "R0004", "hidden_row"]]
    assert lg.summary().set_index("item")["count"]["kept, noted: hidden_row"] == 2
    assert report.to_dict()["ledger"]["notes"] == [{"row": 2, "respondent_id": "R0002", "note": "hidden_row"},
                                                   {"row": 4, "respondent_id": "R0004", "note": "hidden_row"}]
    code, out, _ = _validate(path, capsys)
    assert code == 0 and ("Rows: read 4 = kept 4 + excluded 0（読込 4 = 採用 4 + 除外 0）\n"
                           "  採用したがブックで非表示の行 kept, but hidden in the workbook: rows 2, 4\n") in out


def _sheet_with(tmp_path, questionnaire, edit) -> Path:
    path = workbook([("回答", delivery(questionnaire, n=3), "visible")], tmp_path / "d.xlsx")
    book = openpyxl.load_workbook(path)
    edit(book["回答"])
    book.save(path)
    return path


@pytest.mark.hostile("silent")
def test_a_date_formatted_number_is_refused_naming_the_cell(tmp_path, questionnaire, capsys):
    def edit(ws):
        ws["E3"].value = 10  # 問4 居住年数 of data row 2, shown as 1900/1/10
        ws["E3"].number_format = "yyyy/m/d"
    path = _sheet_with(tmp_path, questionnaire, edit)
    code, _, err = _run(tmp_path, path, capsys)
    assert code == 2
    assert (f"[file {path}] cells E3 (問4 居住年数: 1900-01-10T00:00:00) of sheet '回答' hold numbers formatted as "
            "dates, so the number the cell shows cannot be read; format the column as a number") in _reason(err)
    report = validate_file(path, questionnaire)
    f = report.failures[report.failures["rule"] == "unreadable_cell"]
    assert f[["row", "column", "value"]].values.tolist() == [[2, "問4 居住年数", "1900-01-10T00:00:00"]]
    assert f["message_en"].iloc[0].startswith("Cell E3 ('問4 居住年数') holds a number formatted as a date")


@pytest.mark.hostile("silent")
def test_a_percent_formatted_number_is_refused_naming_the_cell(tmp_path, questionnaire, capsys):
    # 問6 keyed as 2 in a column formatted 0%: Excel shows 200%, the tool read 2 (やや満足) silently
    def edit(ws):
        ws["G3"].value = 2
        ws["G3"].number_format = "0%"
    path = _sheet_with(tmp_path, questionnaire, edit)
    code, _, err = _run(tmp_path, path, capsys)
    assert code == 2
    assert (f"[file {path}] cells G3 (問6 みどりの満足度: 2) of sheet '回答' hold numbers formatted as percentages, "
            "so the number the cell shows cannot be read; format the column as a number (or text) in Excel and "
            "check the values") in _reason(err)
    f = validate_file(path, questionnaire).failures
    assert f[["row", "column", "rule", "value"]].values.tolist() == [[2, "問6 みどりの満足度", "unreadable_cell", "2"]]
    assert f["message_en"].iloc[0].startswith("Cell G3 ('問6 みどりの満足度') holds a number formatted as a percentage")


def test_a_date_outside_the_questionnaire_columns_is_read_as_text(tmp_path, questionnaire):
    path = _sheet_with(tmp_path, questionnaire, lambda ws: ws.cell(1, 42, "回収日") and ws.cell(2, 42,
                                                                                          dt.datetime(2025, 7, 3)))
    raw = read_raw(path)
    assert raw.frame.loc[1, "回収日"] == "2025-07-03T00:00:00"
    assert survey.load(path, questionnaire).ledger.rows_kept == 3


@pytest.mark.hostile("silent")
def test_a_formula_without_a_saved_result_is_refused(tmp_path, questionnaire, capsys):
    def edit(ws):
        ws["G2"].value = "=1+1"  # 問6 みどりの満足度: openpyxl saves no result
    path = _sheet_with(tmp_path, questionnaire, edit)
    with pytest.raises(InputError, match=r"cells G2 \(問6 みどりの満足度\) of sheet '回答' hold formulas without a "
                                         r"saved result, so the number the cell shows cannot be read; open the "
                                         r"workbook in Excel and save it"):
        survey.load(path, questionnaire)
    code, out, _ = _validate(path, capsys)
    assert code == 1 and "Cell G2 ('問6 みどりの満足度') holds a formula whose result was never saved" in out


@pytest.mark.hostile("silent")
def test_sheet_on_a_csv_is_refused(tmp_path, questionnaire, capsys):
    path = _write_csv(tmp_path / "d.csv", delivery(questionnaire, n=2))
    code, _, err = _validate(path, capsys, "--sheet", "1")
    assert code == 2 and "a sheet ('1') was given, but a .csv file has no sheets; leave out --sheet" in _reason(err)


# =========================================================================== 14 resource bombs in a workbook


HANG = 30.0   # seconds: a hang guard, not a speed target (unlimited, these take minutes and gigabytes)


@pytest.mark.hostile("crash")
def test_shared_strings_past_the_limit_are_refused_at_once(tmp_path, capsys):
    from survey.intake.xlsx import MAX_SHARED_STRINGS_BYTES

    sheet = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
    shared = b"<sst>" + b"<si><t>x</t></si>" * (MAX_SHARED_STRINGS_BYTES // 16 + 1) + b"</sst>"  # 64 MiB, 0.2 MB zipped
    path = zip_parts(tmp_path / "bomb.xlsx", xlsx_parts(sheet, shared))
    assert path.stat().st_size < 1_000_000
    start = time.perf_counter()
    code, _, err = _validate(path, capsys)
    elapsed = time.perf_counter() - start
    assert code == 2 and elapsed < HANG        # refused before parsing; speed: benchmarks/bench_bombs.py
    assert (f"[file {path}] the workbook part xl/sharedStrings.xml expands to {len(shared):,} bytes (limit "
            "67,108,864): too large to be a delivery, or a zip bomb; export the data as CSV") in _reason(err)


@pytest.mark.hostile("crash")
def test_a_stray_cell_far_away_is_refused_before_the_sheet_is_built(tmp_path):
    cells = '<row r="1"><c r="A1" t="inlineStr"><is><t>回答者ID</t></is></c></row>' \
            '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             f"{cells}</sheetData></worksheet>").encode()
    path = zip_parts(tmp_path / "far.xlsx", xlsx_parts(sheet))
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"sheet 'data' has a value in cell XFD1048576: the used range would hold "
                                         r"17,179,869,184 cells \(limit 20,000,000\); delete the stray cells"):
        read_raw(path)
    assert time.perf_counter() - start < HANG    # a hang guard; speed: benchmarks/bench_bombs.py


@pytest.mark.hostile("crash")
def test_a_dtd_in_a_workbook_part_is_refused(tmp_path):
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>' \
             b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>'
    parts = xlsx_parts(b"<worksheet/>")
    parts["xl/workbook.xml"] = laughs
    path = zip_parts(tmp_path / "dtd.xlsx", parts)
    with pytest.raises(InputError, match=r"the workbook part xl/workbook.xml declares a DTD, which no spreadsheet "
                                         r"program writes"):
        read_raw(path)


# =========================================================================== 3 SPSS .sav


def test_variable_labels_match_headings(tmp_path, questionnaire):
    path = sav_delivery(tmp_path / "d.sav", questionnaire, value_labels={"Q2": {1: "男性", 2: "女性", 3: "回答しない"}})
    ds = survey.load(path, questionnaire)
    csv = survey.load(_write_csv(tmp_path / "d.csv", delivery(questionnaire, n=3)), questionnaire)
    pd.testing.assert_frame_equal(ds.data, csv.data)
    assert validate_file(path, questionnaire).rules_found() == {}


@pytest.mark.hostile("silent")
def test_value_labels_that_disagree_are_an_error_naming_both(tmp_path, questionnaire, capsys):
    path = sav_delivery(tmp_path / "d.sav", questionnaire, value_labels={"Q2": {1: "女性", 2: "男性"}, "Q4": {6: "朝霞台"}})
    report = validate_file(path, questionnaire)
    f = report.failures
    assert report.exit_code == 1 and f["rule"].tolist() == ["value_label"] * 3
    assert f["message_en"].tolist() == [
        "The value labels of variable Q2 ('Q2') disagree with the questionnaire: labels code 1 '女性', but the "
        "questionnaire's code 1 is '男性'; recode the variable or fix its labels.",
        "The value labels of variable Q2 ('Q2') disagree with the questionnaire: labels code 2 '男性', but the "
        "questionnaire's code 2 is '女性'; recode the variable or fix its labels.",
        "The value labels of variable Q4 ('Q4') disagree with the questionnaire: labels code 6 '朝霞台', a code the "
        "questionnaire does not have; recode the variable or fix its labels."]
    code, _, err = _run(tmp_path, path, capsys)
    assert code == 2
    assert (f"[file {path}] the file's value labels disagree with the questionnaire: variable Q2 (sex) labels code 1 "
            "'女性', but the questionnaire's code 1 is '男性' (and 2 more; `survey validate` lists them all)") \
        in _reason(err)


@pytest.mark.hostile("silent")
def test_user_missing_values_become_the_questionnaires_missing_code(tmp_path, questionnaire):
    def edit(frame):
        frame.loc[1, "Q7"] = -1  # 問6: SPSS user-missing -1 (no answer)
    path = sav_delivery(tmp_path / "d.sav", questionnaire, missing={"Q7": [-1]}, edit=edit)
    ds = survey.load(path, questionnaire)
    assert ds.data["satisfaction"].isna().tolist() == [False, True, False]
    # missing_reasons is categorical: NaN where the cell holds an answer
    assert ds.missing_reasons["satisfaction"].astype(object).where(ds.missing_reasons["satisfaction"].notna(),
                                                                   None).tolist() == [None, "missing_code", None]
    assert ds.ledger.changes[["row", "column", "before", "after", "rule"]].values.tolist() == [
        [2, "satisfaction", "-1", "9", "sav_user_missing"]]
    assert validate_file(path, questionnaire).rules_found() == {}


@pytest.mark.hostile("silent")
def test_a_missing_code_may_be_worded_otherwise_when_both_say_missing(tmp_path, questionnaire):
    labels = {1: "そう思う", 2: "ややそう思う", 3: "どちらともいえない", 4: "あまりそう思わない", 5: "そう思わない",
              6: "わからない", 9: "不明"}
    declared = sav_delivery(tmp_path / "a.sav", questionnaire, value_labels={"Q7": labels}, missing={"Q7": [9]})
    assert validate_file(declared, questionnaire).rules_found() == {}
    undeclared = sav_delivery(tmp_path / "b.sav", questionnaire, value_labels={"Q7": labels})
    with pytest.raises(InputError, match=r"variable Q7 \(satisfaction\) labels code 9 '不明', but the "
                                         r"questionnaire's code 9 is '無回答'"):
        survey.load(undeclared, questionnaire)


@pytest.mark.hostile("silent")
def test_a_declared_missing_value_that_is_an_answer_code_is_an_error(tmp_path, questionnaire):
    path = sav_delivery(tmp_path / "d.sav", questionnaire, missing={"Q7": [{"lo": 5, "hi": 9}]})
    with pytest.raises(InputError, match=r"variable Q7 \(satisfaction\) declares 5 a missing value, but the "
                                         r"questionnaire's code 5 is the answer 'そう思わない' \(and 1 more"):
        survey.load(path, questionnaire)
