"""Contractor validation (issue 4) on hand-made deliveries.

Every expected finding below is a hand calculation from the edit that makes
it: the delivery helper (tests/delivery.py) writes clean returns, each test
changes a few cells and asserts exactly which rows, columns, values and rule
codes come back, and what the row ledger says.
"""
import json
import sys
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from survey.errors import InputError
from survey.intake.normalise import normalise
from survey.intake.readers import read_raw
from survey.intake.rules import RULES, Rule, Severity
from survey.intake.validate import FAILURE_COLUMNS, SUMMARY_COLUMNS, validate_file
from survey.intake.validate_output import HEADERS, REPORT_COLUMNS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from delivery import delivery

QUESTIONNAIRE = Path(__file__).resolve().parents[1] / "questionnaires" / "midori_2025.yaml"


def _check(tmp_path, q, frame, *, name="d.csv", encoding="utf-8"):
    path = tmp_path / name
    frame.to_csv(path, index=False, encoding=encoding)
    return validate_file(path, q)


def _found(report):
    """(row, column_id, value, rule) of every finding, in table order."""
    f = report.failures
    return [(None if pd.isna(r) else int(r), c, v, rule)
            for r, c, v, rule in zip(f["row"], f["column_id"], f["value"], f["rule"])]


# --------------------------------------------------------------------------- the rule set


def test_rule_codes_are_stable():
    # the codes are an interface (outputs, scripts): this list only ever grows
    assert [r.value for r in Rule] == [
        "undecodable_bytes", "missing_column", "unknown_column", "missing_id", "duplicate_id",
        "blank_return", "invalid_code", "multiple_marks", "not_a_number", "out_of_range", "not_integer",
        "outlier", "answered_when_skipped", "blank_when_asked", "contradiction", "multi_over_limit",
        "allocation_total", "ranking_duplicate", "ranking_gap", "straightlining", "required_blank",
        "personal_info", "mojibake", "short_row", "heading_row", "unreadable_cell", "value_label", "hidden_row",
    ]
    errors = {r.value for r, info in RULES.items() if info.severity is Severity.ERROR}
    assert errors == {"undecodable_bytes", "missing_column", "missing_id", "duplicate_id", "invalid_code",
                      "multiple_marks", "not_a_number", "out_of_range", "not_integer", "contradiction",
                      "mojibake", "short_row", "heading_row", "unreadable_cell", "value_label"}
    assert str(Rule.INVALID_CODE) == "invalid_code" and Rule("outlier") is Rule.OUTLIER


def test_clean_delivery_exits_zero(tmp_path, questionnaire):
    report = _check(tmp_path, questionnaire, delivery(questionnaire, n=4))
    assert report.status == "clean" and report.exit_code == 0 and report.ok
    assert len(report.failures) == 0 and tuple(report.failures.columns) == FAILURE_COLUMNS
    assert tuple(report.summary.columns) == SUMMARY_COLUMNS
    assert len(report.summary) == len(Rule) and report.summary["findings"].sum() == 0
    lg = report.ledger
    assert (lg.rows_read, lg.rows_kept, lg.rows_excluded, len(lg.changes)) == (4, 4, 0, 0)


# --------------------------------------------------------------------------- cell rules


def test_codes_numbers_and_marks(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=8, edits=[
        (0, "問1 性別", "4"),                  # codes are 1-3 (+ 9): 非指定値
        (1, "問2 年齢", "1・3"),               # two marks in a single answer
        (2, "問6 みどりの満足度", "1,2"),
        (3, "問4 居住年数", "abc"),
        (4, "問4 居住年数", "150"),            # maximum 100
        (5, "問4 居住年数", "3.5"),            # integer: true
        (6, "問4 居住年数", "999"),            # its missing code: fine
        (6, "問1 性別", "女性"),               # label: fine
        (7, "問4 居住年数", "１５"),           # full-width digits: fine
        (7, "問6 みどりの満足度", "9"),        # 無回答: fine
    ])
    report = _check(tmp_path, q, frame)
    assert _found(report) == [
        (1, "sex", "4", "invalid_code"),
        (2, "age_band", "1・3", "multiple_marks"),
        (3, "satisfaction", "1,2", "multiple_marks"),
        (4, "years_lived", "abc", "not_a_number"),
        (5, "years_lived", "150", "out_of_range"),
        (6, "years_lived", "3.5", "not_integer"),
    ]
    f = report.failures
    assert list(f["column"]) == ["問1 性別", "問2 年齢", "問6 みどりの満足度"] + ["問4 居住年数"] * 3
    assert list(f["respondent_id"]) == ["R0001", "R0002", "R0003", "R0004", "R0005", "R0006"]
    assert set(f["severity"]) == {"error"} and report.exit_code == 1 and report.status == "errors"
    assert list(f["category"]) == ["非指定値", "非指定値", "非指定値", "異常値", "異常値", "異常値"]
    assert f["message_ja"].iloc[0] == ("「問1 性別」の値「4」は指定された値（1〜3、無回答 9）にありません。"
                                       "調査票を確認して正しいコードを入力してください。")
    assert "outside 0 to 100" in f["message_en"].iloc[4]
    # normalisation clears the impossible values and logs them: the ledger is part of the report
    ch = report.ledger.changes
    # (undeclared codes and non-numbers are cleared too, each cell logged with its value as read)
    assert ch[["row", "column", "before", "rule"]].values.tolist() == [
        [1, "sex", "4", "invalid_code_cleared"], [2, "age_band", "1・3", "invalid_code_cleared"],
        [4, "years_lived", "abc", "invalid_number_cleared"],
        [5, "years_lived", "150", "impossible_value"], [6, "years_lived", "3.5", "impossible_value"],
        [3, "satisfaction", "1,2", "invalid_code_cleared"]]


def test_invalid_codes_agree_with_normalisation(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=6, edits=[(0, "問3 地区", "6"), (1, "問6 みどりの満足度", "x"), (2, "問8_4 生き物", "0"),
                                    (3, "問7 公園の利用頻度", "７"), (4, "問8_4 生き物", "５"), (5, "問3 地区", "西部")])
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    report = validate_file(path, q)
    reasons = normalise(read_raw(path), q).missing_reasons
    for col in ("district", "satisfaction", "imp_wildlife", "park_use"):
        flagged = set(report.failures.loc[report.failures["column_id"] == col, "row"])
        invalid = set(reasons.index[reasons[col] == "invalid"])
        assert flagged == invalid
    assert _found(report) == [(1, "district", "6", "invalid_code"), (2, "satisfaction", "x", "invalid_code"),
                              (3, "imp_wildlife", "0", "invalid_code"), (4, "park_use", "７", "invalid_code"),
                              (5, "imp_wildlife", "５", "invalid_code")]


def test_blanks_and_skip_logic(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=5, edits=[
        (0, "問6 みどりの満足度", ""),                                     # required: 未記入 (warning)
        (1, "問7 公園の利用頻度", "6"), (1, "問7-1 利用しない理由", ""),   # asked but blank
        (2, "問7 公園の利用頻度", "6"), (2, "問7-1 利用しない理由", "9"),  # asked, 無回答: fine
        (3, "問7-1 利用しない理由", "2"),                                  # not asked (park_use 3) but answered
        (4, "問7 公園の利用頻度", "6"), (4, "問7-1 利用しない理由", "1"),  # asked and answered: fine
    ])
    report = _check(tmp_path, q, frame)
    assert _found(report) == [
        (1, "satisfaction", None, "required_blank"),
        (2, "park_reason", None, "blank_when_asked"),
        (4, "park_reason", "2", "answered_when_skipped"),
    ]
    assert set(report.failures["severity"]) == {"warning"} and report.exit_code == 0
    assert report.status == "warnings"
    msg = report.failures["message_ja"]
    assert "無回答なら9を入力してください" in msg.iloc[0]
    assert msg.iloc[2].startswith("「問7-1 利用しない理由」に回答「2」がありますが、「問7 公園の利用頻度」が6（利用しない）の人だけ")
    assert report.ledger.changes["rule"].tolist() == ["answered_although_skipped"]


def test_multi_allocation_ranking_policies(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=8, edits=[
        *[(0, f"問11 参加したい活動_{k}", "1") for k in (2, 5, 7)],      # 4 marks, limit 3
        (1, "問11 参加したい活動_3", "2"),                                 # a dummy must be 0/1
        (2, "問9_1 雨水の浸透・貯留", "200"),                             # total 1,100
        (3, "問9_2 涼しさ", "-100"), (4, "問9_3 炭素固定", "abc"),
        *[(5, it.header, "") for it in q["allocation"].items],             # allocation unanswered
        (6, "問10 今後力を入れるべき取組_2位", "1"),                      # rank 2 repeats rank 1
        (7, "問10 今後力を入れるべき取組_1位", "99"),                     # rank 1 no answer, ranks 2-3 filled
    ])
    report = _check(tmp_path, q, frame)
    assert _found(report) == [
        (1, "activity", "1,2,5,7", "multi_over_limit"),
        (2, "activity_3", "2", "invalid_code"),
        (3, "allocation", "1100", "allocation_total"),
        (4, "alloc_cool", "-100", "out_of_range"),
        (5, "alloc_carbon", "abc", "not_a_number"),
        (6, "allocation", None, "required_blank"),
        (7, "policy_2", "1", "ranking_duplicate"),
        (8, "policy_1", "99", "ranking_gap"),
    ]
    f = report.failures.set_index("row")
    assert "1,2,5,7" in f.loc[1, "message_ja"] and "番号の小さい順に3つを採用" in f.loc[1, "message_ja"]
    assert f.loc[2, "message_en"].startswith("'2' in '問11 参加したい活動_3' is not one of the declared codes (0, 1 (or a mark ○ 〇 ◯ ● ◎ ✓ ✔ ☑))")
    assert "負の金額" in f.loc[4, "message_ja"] and "無回答なら空欄のままで構いません" in f.loc[6, "message_ja"]
    ch = report.ledger.changes
    assert ch.loc[ch["rule"] == "multi_over_limit_keep_lowest", ["row", "column"]].values.tolist() == [[1, "activity_7"]]
    assert ch.loc[ch["rule"] == "ranking_duplicate_item", ["row", "column"]].values.tolist() == [[7, "policy_2"]]


@pytest.mark.parametrize("edits,expected", [
    ([(0, "問10 今後力を入れるべき取組_2位", "")], [(1, "policy_2", None, "ranking_gap")]),
    ([(0, "問10 今後力を入れるべき取組_1位", "13")], [(1, "policy_1", "13", "invalid_code")]),
    ([(0, "問10 今後力を入れるべき取組_3位", "1")], [(1, "policy_3", "1", "ranking_duplicate")]),
    ([(0, "問10 今後力を入れるべき取組_2位", ""), (0, "問10 今後力を入れるべき取組_3位", "")], []),  # top 1 only: fine
    ([(0, h, "") for h in ("問10 今後力を入れるべき取組_1位", "問10 今後力を入れるべき取組_2位",
                           "問10 今後力を入れるべき取組_3位")], [(1, "policy", None, "required_blank")]),
])
def test_ranking_defects(tmp_path, questionnaire, edits, expected):
    assert _found(_check(tmp_path, questionnaire, delivery(questionnaire, n=2, edits=edits))) == expected


def test_straightlining_contradictions_personal_info(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=4, edits=[
        *[(0, it.header, "2") for it in q["importance"].items],
        (1, "問2 年齢", "18～29歳"), (1, "問4 居住年数", "35"),
        (2, "問11 参加したい活動_8", "1"),                       # 'nothing' besides activity 1
        (3, "問12 自由意見", "連絡は０９０－１２３４－５６７８へ"),
    ])
    report = _check(tmp_path, q, frame)
    assert _found(report) == [
        (1, "importance", "2（やや重要）", "straightlining"),
        (2, "age_band / years_lived", "18～29歳 / 35", "contradiction"),
        (3, "activity_8 / activity_1", "1 / 1", "contradiction"),
        (4, "comment", "連絡は＜電話番号＞へ", "personal_info"),   # the finding shows the masked text
    ]
    f = report.failures
    assert f["column"].iloc[1] == "問2 年齢 / 問4 居住年数"
    assert f["message_ja"].iloc[1] == ("論理矛盾（years_exceed_age）: 18〜29歳なのに居住年数が30年以上です。"
                                       "年齢または居住年数を調査票で確認してください。")
    assert list(f["severity"]) == ["warning", "error", "error", "warning"]
    assert "電話番号" in f["message_ja"].iloc[3]


def test_outlier_rule_uses_type7_quartiles(tmp_path, questionnaire):
    q = questionnaire
    q2 = replace(q, questions=tuple(replace(x, outlier_iqr=1.5) if x.id == "years_lived" else x
                                    for x in q.questions))
    years = ["10", "11", "12", "13", "14", "15", "16", "60"]
    frame = delivery(q, n=8, edits=[(i, "問4 居住年数", v) for i, v in enumerate(years)])
    report = _check(tmp_path, q2, frame)
    # by hand (R quantile type 7): Q1 = 11 + 0.75 = 11.75, Q3 = 15 + 0.25 = 15.25, IQR 3.5,
    # upper fence 15.25 + 1.5 * 3.5 = 20.5, lower 11.75 - 5.25 = 6.5: only 60 is outside
    assert _found(report) == [(8, "years_lived", "60", "outlier")]
    assert "上限の目安 20.5 を超える" in report.failures["message_ja"].iloc[0]
    assert report.exit_code == 0


def test_multi_answer_delivered_as_slots(tmp_path, questionnaire):
    q = replace(questionnaire, questions=tuple(replace(x, form="slots") if x.id == "activity" else x
                                               for x in questionnaire.questions))
    frame = delivery(questionnaire, n=5).drop(columns=[it.header for it in questionnaire["activity"].items])
    slots = q["activity"].raw_headers  # 問11 参加したい活動_1 .. _3: the chosen codes
    for header, values in zip(slots, (["1", "9", "12", "", "1・2"], ["3", "", "", "", ""], ["", "", "", "", ""])):
        frame[header] = values
    report = _check(tmp_path, q, frame)
    assert _found(report) == [(3, "activity#slot1", "12", "invalid_code"), (4, "activity", None, "required_blank"),
                              (5, "activity#slot1", "1・2", "multiple_marks")]
    assert list(report.failures["column"])[:1] == ["問11 参加したい活動_1"]


def test_xlsx_delivery_reads_like_csv(tmp_path, questionnaire):
    frame = delivery(questionnaire, n=3, edits=[(1, "問1 性別", "5"), (2, "問6 みどりの満足度", "")])
    path = tmp_path / "d.xlsx"
    frame.replace({"": None}).to_excel(path, index=False)
    from_xlsx = validate_file(path, questionnaire)
    assert _found(from_xlsx) == _found(_check(tmp_path, questionnaire, frame)) == [
        (2, "sex", "5", "invalid_code"), (3, "satisfaction", None, "required_blank")]
    assert from_xlsx.provenance.format == "xlsx"


# --------------------------------------------------------------------------- rows and columns


def test_ids_and_blank_returns_match_the_ledger(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=6, edits=[(3, "回答者ID", "R0001"), (4, "回答者ID", "")])
    for h in frame.columns[1:]:
        frame.loc[5, h] = ""
    report = _check(tmp_path, q, frame)
    assert _found(report) == [(1, "id", "R0001", "duplicate_id"), (4, "id", "R0001", "duplicate_id"),
                              (5, "id", None, "missing_id"), (6, None, None, "blank_return")]
    assert "（1行目、4行目）" in report.failures["message_ja"].iloc[0]
    lg = report.ledger
    assert (lg.rows_read, lg.rows_kept, lg.rows_excluded) == (6, 3, 3)
    assert lg.exclusions[["row", "reason"]].values.tolist() == [
        [4, "duplicate_respondent_id"], [5, "missing_respondent_id"], [6, "blank_return"]]


def test_missing_and_unknown_columns(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=3, edits=[(0, "問6 みどりの満足度", "")]).drop(columns=["問6 みどりの満足度", "問9_4 生き物"])
    frame["備考"] = ["", "=SUM(A1)", ""]
    report = _check(tmp_path, q, frame)
    # file-level findings first; no blank-cell warnings for the absent columns
    assert _found(report) == [(None, "satisfaction", None, "missing_column"),
                              (None, "alloc_wildlife", None, "missing_column"),
                              (None, None, None, "unknown_column")]
    assert list(report.failures["column"]) == ["問6 みどりの満足度", "問9_4 生き物", "備考"]
    assert report.exit_code == 1
    assert report.ledger.rows_kept == 3  # normalisation still ran, with the missing columns blank


def test_missing_id_column_is_reported_not_fatal(tmp_path, questionnaire):
    frame = delivery(questionnaire, n=2).drop(columns=["回答者ID"])
    report = _check(tmp_path, questionnaire, frame)
    assert _found(report) == [(None, "id", None, "missing_column")]
    assert report.ledger.exclusions["reason"].tolist() == ["missing_respondent_id"] * 2


def test_undecodable_bytes_located_after_a_multiline_cell(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=3, edits=[(0, "問12 自由意見", "一行目\n二行目"), (2, "問12 自由意見", "BAD")])
    path = tmp_path / "d.csv"
    blob = frame.to_csv(index=False, lineterminator="\r\n").encode("cp932").replace(b"BAD", b"\x85\x40")
    path.write_bytes(blob)
    report = validate_file(path, q)
    # physical lines: 1 header, 2-3 row 1 (quoted line break), 4 row 2, 5 row 3
    assert _found(report) == [(3, "comment", "\ufffd@", "undecodable_bytes")]
    assert report.failures["message_ja"].iloc[0].startswith("ファイルの5行目にCP932として読めないバイト列（85）")


def test_headings_that_match_nothing_are_unusable(tmp_path, questionnaire):
    path = tmp_path / "other.csv"
    pd.DataFrame({"a": ["1"], "b": ["2"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"none of the column headings match questionnaire midori"):
        validate_file(path, questionnaire)


# --------------------------------------------------------------------------- unusable inputs


def _write(path, blob):
    path.write_bytes(blob)
    return path


@pytest.fixture
def header_line(questionnaire):
    return ",".join(delivery(questionnaire, n=1).columns).encode("utf-8")


UNUSABLE = {
    "empty": (lambda h: b"", r"the file is empty"),
    "header_only": (lambda h: h + b"\n", r"has a header but no data rows"),
    "binary": (lambda h: b"PK\x03\x04\x00\x00\x14\x00" * 20, r"NUL bytes and looks binary"),
    "utf16": (lambda h: (h.decode() + "\n" + "R1," * 40 + "\n").encode("utf-16"), r"UTF-16|NUL bytes"),
    "truncated": (lambda h: h + b"\nR0001,1,3", r"looks truncated"),
}


@pytest.mark.parametrize("kind", sorted(UNUSABLE))
def test_unusable_files_raise_input_error(tmp_path, questionnaire, header_line, kind):
    make, pattern = UNUSABLE[kind]
    path = _write(tmp_path / f"{kind}.csv", make(header_line))
    with pytest.raises(InputError, match=pattern):
        validate_file(path, questionnaire)


@pytest.mark.parametrize("kind", sorted(UNUSABLE))
def test_cli_exit_code_2_for_unusable_files(tmp_path, questionnaire, header_line, kind, capsys):
    from survey.cli import main

    make, pattern = UNUSABLE[kind]
    path = _write(tmp_path / f"{kind}.csv", make(header_line))
    assert main(["validate", str(path), "--questionnaire", str(QUESTIONNAIRE)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(path) in err
    import re
    assert re.search(pattern, err)


def test_cli_exit_codes_0_1_and_bad_questionnaire(tmp_path, questionnaire, capsys):
    from survey.cli import main

    clean = tmp_path / "clean.csv"
    delivery(questionnaire, n=2).to_csv(clean, index=False)
    broken = tmp_path / "broken.csv"
    delivery(questionnaire, n=2, edits=[(1, "問1 性別", "7")]).to_csv(broken, index=False)
    assert main(["validate", str(clean), "--questionnaire", str(QUESTIONNAIRE)]) == 0
    assert "Result: OK" in capsys.readouterr().out
    assert main(["validate", str(broken), "--questionnaire", str(QUESTIONNAIRE), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 1 and doc["failures"][0]["rule"] == "invalid_code" and doc["failures"][0]["row"] == 2
    bad_q = tmp_path / "q.yaml"
    bad_q.write_text("id: x\nversion: 1\nquestions: [", encoding="utf-8")
    assert main(["validate", str(clean), "--questionnaire", str(bad_q)]) == 2
    assert "invalid YAML" in capsys.readouterr().err


# --------------------------------------------------------------------------- outputs


@pytest.fixture
def messy(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=4, edits=[(0, "問1 性別", "=cmd|' /C calc'!A0"), (1, "問6 みどりの満足度", ""),
                                    (2, "問4 居住年数", "150"), (3, "問7-1 利用しない理由", "+1")])  # "+1" reads as 1
    return _check(tmp_path, q, frame)


def test_text_and_json_outputs(tmp_path, messy, capsys):
    text = messy.render("text")
    assert "結果 Result: ERRORS — 2 error(s), 2 warning(s); exit code 1（エラーあり：エラー 2件、警告 2件、終了コード 1）" in text
    assert "行 Rows: read 4 = kept 4 + excluded 0（読込 4 = 採用 4 + 除外 0）" in text
    # data row 3 is on line 4 of the delivered CSV, Excel row 4 (heading row + 3)
    assert "row 3 (Excel 4, line 4) id R0003  問4 居住年数 [years_lived]  value '150'  エラー error out_of_range" in text
    # errors first (rows 1, 3), then warnings (rows 2, 4), each by row
    order = [line.split(" (")[0].strip() for line in text.splitlines() if line[:7] in ("  row 1", "  row 2", "  row 3", "  row 4")]
    assert order == ["row 1", "row 3", "row 2", "row 4"]
    # one summary line per rule that found something, errors first, with its counts
    import re
    lines = [line for line in text.splitlines() if re.match(r"  (エラー error|警告 warning) ", line)]
    assert [line.split()[2] for line in lines] == ["invalid_code", "out_of_range", "answered_when_skipped",
                                                   "required_blank"]
    assert re.search(r"エラー error\s+invalid_code\s+非指定値\s+1\s+1\s+選択肢にない値 / value not a declared code", text)
    assert "該当なしのルール 24件 (rules with no findings: 24)" in text
    assert messy.write("text") is None and capsys.readouterr().out == text
    assert messy.render("text", max_lines=1).count("\n      ") == 2  # one finding, two message lines
    doc = json.loads(messy.render("json"))
    assert doc["errors"] == 2 and doc["warnings"] == 2 and doc["status"] == "errors"
    assert doc["ledger"]["rows_read"] == 4 and doc["ledger"]["changes"][0]["rule"] == "invalid_code_cleared"
    assert [f["row"] for f in doc["failures"]] == [1, 3, 2, 4]  # errors first, then warnings
    assert [f["excel_row"] for f in doc["failures"]] == [2, 4, 3, 5] and doc["status_ja"] == "エラーあり"
    assert [s["rule"] for s in doc["summary"][:2]] == ["invalid_code", "out_of_range"]
    assert doc["questionnaire"]["id"] == "midori" and doc["file"]["rows_read"] == 4
    out = messy.write("json", tmp_path / "r.json")
    assert json.loads(out.read_text(encoding="utf-8")) == doc


def test_csv_output_with_ledger_siblings(tmp_path, messy):
    path = messy.write("csv", tmp_path / "check.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back.columns.tolist() == [HEADERS[c] for c in REPORT_COLUMNS]
    assert back.columns[:4].tolist() == ["重要度 severity", "行 row", "Excel行 excel_row", "ファイル行 line"]
    assert back["ルール rule"].tolist() == ["invalid_code", "out_of_range", "required_blank", "answered_when_skipped"]
    assert back["Excel行 excel_row"].tolist() == ["2", "4", "3", "5"]
    # a spreadsheet opens the CSV: the formula gets an apostrophe (issue 15 item 16); JSON keeps it as read
    assert back["値 value"].iloc[0] == "'=cmd|' /C calc'!A0"
    assert json.loads(messy.render("json"))["failures"][0]["value"] == "=cmd|' /C calc'!A0"
    summary = pd.read_csv(tmp_path / "check_summary.csv", encoding="utf-8-sig")
    assert summary.set_index("ルール rule").loc["invalid_code", "件数 findings"] == 1
    changes = pd.read_csv(tmp_path / "check_changes.csv", encoding="utf-8-sig")
    assert changes["ルール rule"].tolist() == ["invalid_code_cleared", "impossible_value", "answered_although_skipped"]
    assert (tmp_path / "check_exclusions.csv").exists()
    assert messy.render("csv").splitlines()[0] == ",".join(HEADERS[c] for c in REPORT_COLUMNS)


def test_xlsx_output_is_filterable_and_formula_free(tmp_path, messy):
    path = messy.write("xlsx", tmp_path / "check.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["一覧 Failures", "集計 Summary", "除外 Exclusions", "変更 Changes", "情報 About"]
    sheet = book["一覧 Failures"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:L5"
    assert [c.value for c in sheet[1]][:4] == ["重要度 severity", "行 row", "Excel行 excel_row", "ファイル行 line"]
    assert sheet.column_dimensions["K"].width > 30  # Japanese messages get wide columns
    cell = sheet["H2"]  # value of row 1: a formula injection attempt
    assert cell.value == "=cmd|' /C calc'!A0" and cell.data_type == "s" and cell.quotePrefix
    assert sheet["H5"].value == "+1" and sheet["H5"].quotePrefix  # row 4, the last warning
    assert [sheet[f"B{i}"].value for i in range(2, 6)] == [1, 3, 2, 4]  # errors first, then warnings
    assert sheet["C2"].value == 2 and sheet["C2"].number_format == "0" and sheet["A2"].value == "error"
    ps = sheet.page_setup
    assert ps.paperSize == 9 and ps.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
    assert sheet.oddHeader.right.text == "一覧 Failures" and sheet.oddHeader.left.text.startswith("朝霞市")
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f"
    about = {r[0].value: r[1].value for r in book["情報 About"].iter_rows(min_row=2)}
    assert about["読込行数 rows read"] == 4 and about["エラー errors"] == 2 and about["結果 status"] == "エラーあり ERRORS"
    summary = [[c.value for c in row] for row in book["集計 Summary"].iter_rows(min_row=2, max_row=3)]
    assert [r[0] for r in summary] == ["invalid_code", "out_of_range"] and summary[0][5] == 1
    with pytest.raises(InputError, match="needs|output path"):
        messy.write("xlsx")
    with pytest.raises(InputError, match="unknown report format"):
        messy.write("pdf", tmp_path / "x.pdf")
