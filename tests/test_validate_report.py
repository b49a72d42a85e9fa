"""The contractor's validation report (issue 16 item 13): errors first, then
warnings, each by row; a summary line per rule; the frame in Japanese and
English; each finding's data row, Excel row and file line; command-line
errors in Japanese and English."""
from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from survey.cli import main, usage_message
from survey.errors import InputError
from survey.intake.validate import validate_file
from survey.intake.validate_output import REPORT_COLUMNS, ordered_failures, ordered_summary

from conftest import QUESTIONNAIRE
from delivery import delivery


@pytest.fixture
def shifted(tmp_path, questionnaire):
    """A CSV whose rows are not where 'data row + 1' puts them: a blank line after
    data row 1 and a comment with a line break in data row 2; data row 3 has an
    undeclared sex code (error), data row 1 a blank satisfaction (warning)."""
    frame = delivery(questionnaire, n=3, edits=[(0, "問6 みどりの満足度", ""), (2, "問1 性別", "7"),
                                                (1, "問12 自由意見", "公園が\n好きです")])
    text = frame.to_csv(index=False, lineterminator="\n")
    lines = text.split("\n")
    # heading, row 1, (blank), row 2 (two lines), row 3
    text = "\n".join(lines[:2] + [""] + lines[2:])
    path = tmp_path / "shifted.csv"
    path.write_text(text, encoding="utf-8")
    return validate_file(path, questionnaire)


def test_rows_are_data_rows_excel_rows_and_file_lines(shifted):
    f = ordered_failures(shifted)
    assert tuple(f.columns) == REPORT_COLUMNS
    # hand count: Excel shows the heading on row 1, data row 1 on 2, the blank line on 3,
    # data row 2 on 4 (its two file lines 4-5 in one cell) and data row 3 on 5; the file
    # line of data row 3 is 6
    error = f.iloc[0]
    assert (error["severity"], error["rule"], error["row"], error["excel_row"], error["line"]) == \
        ("error", "invalid_code", 3, 5, 6)
    warning = f[f["rule"] == "required_blank"].iloc[0]
    assert (warning["row"], warning["excel_row"], warning["line"]) == (1, 2, 2)
    text = shifted.render("text")
    assert "row 3 (Excel 5, line 6) id R0003  問1 性別 [sex]  value '7'  エラー error invalid_code" in text
    assert json.loads(shifted.render("json"))["failures"][0]["excel_row"] == 5


def test_errors_come_first_then_warnings_each_by_row(shifted):
    f = ordered_failures(shifted)
    severities = f["severity"].tolist()
    assert severities == sorted(severities, key=lambda s: s != "error") and "warning" in severities
    for sev in ("error", "warning"):
        rows = f[f["severity"] == sev]["row"].tolist()
        assert rows == sorted(rows)
    # the failure table itself stays in row order (the API's order)
    assert shifted.failures["row"].tolist() == sorted(shifted.failures["row"].tolist())


def test_xlsx_report_rows_and_summary(shifted, tmp_path):
    book = openpyxl.load_workbook(shifted.write("xlsx", tmp_path / "r.xlsx"))
    ws = book["一覧 Failures"]
    assert [c.value for c in ws[2]][:5] == ["error", 3, 5, 6, "R0003"]
    summary = ordered_summary(shifted)
    found = summary[summary["findings"] > 0]
    assert found["severity"].tolist()[0] == "error" and (summary["findings"].iloc[len(found):] == 0).all()
    sws = book["集計 Summary"]
    assert [c.value for c in sws[1]][:3] == ["ルール rule", "区分 category", "重要度 severity"]
    assert sws["A2"].value == "invalid_code" and sws["F2"].value == 1 and sws["F2"].number_format == "#,##0"
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape" and sheet.freeze_panes == "A2"


def test_usage_errors_in_japanese_and_english(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--colour", "green"])
    assert info.value.code == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert err == "survey: error: 知らないオプションです（--help を参照） / unrecognized arguments: --colour green (see --help)"
    assert usage_message("argument --format: invalid choice: 'pdf'").startswith("指定できない値です")
    assert usage_message("the following arguments are required: file").startswith("必要な引数が指定されていません")
    assert usage_message("something new").startswith("コマンドの指定に誤りがあります")


def test_output_path_errors_in_japanese_and_english(shifted, tmp_path):
    with pytest.raises(InputError, match="出力先がフォルダです。ファイル名を指定してください / the output path is a folder"):
        shifted.write("csv", tmp_path)
    with pytest.raises(InputError, match="出力先のフォルダがありません。先に作成してください / the output folder does not exist"):
        shifted.write("csv", tmp_path / "no" / "r.csv")
    with pytest.raises(InputError, match="^xlsx 形式のレポートはファイルに書き出します"):
        shifted.render("xlsx")
    with pytest.raises(InputError, match="その形式のレポートはありません.* / unknown report format 'pdf'"):
        shifted.write("pdf", tmp_path / "r.pdf")


def test_csv_report_has_bilingual_headings_and_the_same_order(shifted, tmp_path):
    path = shifted.write("csv", tmp_path / "r.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back.columns.tolist()[:4] == ["重要度 severity", "行 row", "Excel行 excel_row", "ファイル行 line"]
    assert back["行 row"].tolist() == [str(r) for r in ordered_failures(shifted)["row"]]
    summary = pd.read_csv(tmp_path / "r_summary.csv", encoding="utf-8-sig")
    assert summary.columns.tolist()[:3] == ["ルール rule", "区分 category", "重要度 severity"]


def test_default_questionnaire_is_used_without_the_option(tmp_path, questionnaire, capsys, monkeypatch):
    """`survey validate FILE` from another folder: the questionnaire installed with the package."""
    path = tmp_path / "d.csv"
    delivery(questionnaire, n=2).to_csv(path, index=False)
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(path)]) == 0
    assert "(midori 2025.1)" in capsys.readouterr().out
    assert QUESTIONNAIRE.is_file()


def test_xlsx_delivery_rows_are_sheet_rows(tmp_path, questionnaire):
    """A blank sheet row between data rows 1 and 2: data row 2 is on sheet row 4."""
    frame = delivery(questionnaire, n=2, edits=[(1, "問1 性別", "7")])
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(list(frame.columns))
    ws.append(list(frame.iloc[0]))
    ws.append([None] * len(frame.columns))
    ws.append(list(frame.iloc[1]))
    path = tmp_path / "d.xlsx"
    book.save(path)
    report = validate_file(path, questionnaire)
    error = ordered_failures(report).iloc[0]
    assert (error["rule"], error["row"], error["excel_row"]) == ("invalid_code", 2, 4) and pd.isna(error["line"])
    assert "row 2 (Excel 4) id R0002  問1 性別 [sex]" in report.render("text")
