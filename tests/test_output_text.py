"""Hostile text in outputs (issue 15, items 16, 17, 18).

* 16 -- CSV: a field holding ``\\r`` or ``\\n`` is quoted, so a lone carriage
  return can no longer start a row of its own, and a formula after a line
  break inside a cell gets an apostrophe (修正セル.csv, every CSV of
  ``survey run``, ``survey validate --format csv``); workbook titles, notes
  and captions are neutralised too;
* 17 -- personal data: the masker catches phone numbers written with
  ``. ・ 〜 - /`` or spaced separators and e-mail addresses written with
  ``＠ 。 (at) (dot)``; personal data typed into a coded cell never reaches
  修正セル.csv verbatim;
* 18 -- terminals: control, separator and bidirectional characters from the
  data or the questionnaire are escaped in everything printed (validate's
  text report, progress lines, errors), so a questionnaire string cannot
  forge a line of the report.

Expected values are written by hand from the rules in survey/safetext.py and
survey/intake/privacy.py; the phone numbers and addresses are fictitious.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from survey.cli import _progress, main
from survey.errors import InputError
from survey.intake.privacy import MASK_TOKENS, mask_personal_data
from survey.report.writers import Sheet, write_csv, write_workbook
from survey.safetext import csv_text, json_safe, neutralise_formula, terminal_safe

from conftest import QUESTIONNAIRE, ROOT

SAMPLE = ROOT / "data" / "raw" / "midori_2025_sample.csv"
PHONE, MAIL = MASK_TOKENS["phone"], MASK_TOKENS["email"]
CMD = "=cmd|' /C calc'!A0"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(line: str) -> bool:
    """One line of a cell: not a formula (a number and a dash are not)."""
    if not line.startswith(FORMULA_START) or line.strip("-") == "":
        return True
    try:
        float(line)
        return True
    except ValueError:
        return False


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _check_csv(path: Path) -> list[list[str]]:
    """Every record has the header's width (no row split by a line break) and no
    line of any cell is a formula."""
    rows = _rows(path)
    assert {len(r) for r in rows} == {len(rows[0])}, path.name
    bad = [c for r in rows for c in r for line in re.split(r"\r\n|\r|\n", c) if not _inert(line)]
    assert not bad, (path.name, bad[:3])
    return rows


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The bundled wave with a CR-borne formula in a coded cell, personal data in
    coded cells and line-broken formulas in a comment; run and validated."""
    d = tmp_path_factory.mktemp("text")
    raw = pd.read_csv(SAMPLE, encoding="cp932", dtype=str, keep_default_na=False)
    raw.loc[0, "問6 みどりの満足度"] = "1\r" + CMD
    raw.loc[1, "問4 居住年数"] = "090-1234-5678"
    raw.loc[2, "問2 年齢"] = "taro@example。com"
    raw.loc[4, "問4 居住年数"] = "090・1234・5678"
    raw.loc[3, "問12 自由意見"] = '公園\r=HYPERLINK("http://evil.example")\n+cmd 連絡 090.1234.5678'
    path = d / "delivery.csv"
    raw.to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n")
    assert main(["run", "--data", str(path), "--questionnaire", str(QUESTIONNAIRE), "--out", str(d / "out"),
                 "--quiet"]) == 0
    assert main(["validate", str(path), "--questionnaire", str(QUESTIONNAIRE), "--format", "csv",
                 "--out", str(d / "check.csv")]) == 1
    return d


# ----------------------------------------------------------------- item 16: CSV and workbook text
@pytest.mark.hostile("output")
def test_csv_text_quotes_a_lone_carriage_return():
    frame = pd.DataFrame({"a": ["x\ry", "p\nq", "ok"], "b": [1, 2, 3]})
    # before: x\ry went out unquoted and Excel started a new row at the CR
    assert csv_text(frame) == 'a,b\n"x\ry",1\n"p\nq",2\nok,3\n'


@pytest.mark.hostile("output")
def test_write_csv_quotes_and_neutralises_after_line_breaks(tmp_path):
    frame = pd.DataFrame({"v": ["1\r" + CMD, "公園\n@SUM(1)", "-5", "- 公園を増やす"]})
    data = write_csv(frame, tmp_path / "t.csv").read_bytes()
    assert data == ('\ufeffv\n"1\r\'' + CMD.replace('"', '""') + '"\n"公園\n\'@SUM(1)"\n-5\n\'- 公園を増やす\n'
                    ).encode("utf-8")


@pytest.mark.hostile("output")
def test_neutralise_formula_after_every_line_break():
    assert neutralise_formula("a\r\n=1+1\r+cmd\n-x") == "a\r\n'=1+1\r'+cmd\n'-x"
    assert neutralise_formula("=1\n-3.5\n---") == "'=1\n-3.5\n---"      # a number and a rule line stay
    assert neutralise_formula(12.5) == 12.5


@pytest.mark.hostile("output")
def test_the_change_log_keeps_a_carriage_return_inside_its_cell(hostile):
    rows = _check_csv(hostile / "out" / "FY2025" / "修正セル.csv")
    assert rows[0] == ["データ行 (row)", "列 (column)", "変更前 (before)", "変更後 (after)", "規則 (rule)"]
    assert ["1", "問6 みどりの満足度", "1\r'" + CMD, "", "調査票にない回答を無回答にした (invalid_code_cleared)"] in rows
    raw = (hostile / "out" / "FY2025" / "修正セル.csv").read_bytes().decode("utf-8-sig")
    assert '\n1,問6 みどりの満足度,"1\r\'=cmd|' in raw      # quoted: the CR is inside the field


@pytest.mark.hostile("output")
def test_every_csv_of_the_run_and_of_validate_is_well_formed(hostile):
    files = sorted((hostile / "out" / "FY2025").rglob("*.csv")) + sorted(hostile.glob("check*.csv"))
    assert len(files) >= 24
    for path in files:
        _check_csv(path)
    failures = _rows(hostile / "check.csv")
    value = failures[0].index("値 value")  # bilingual headings (issue 16 item 13)
    assert ["1\r'" + CMD] == [r[value] for r in failures if r[value].startswith("1\r")]


@pytest.mark.hostile("output")
def test_workbook_titles_notes_and_captions_are_neutralised(tmp_path):
    sheet = Sheet("s", [("=caption", pd.DataFrame({"a": [1]}))], title='=HYPERLINK("http://x","t")',
                  notes=["+note", "公園\n=cmd"])
    book = openpyxl.load_workbook(write_workbook([sheet], tmp_path / "b.xlsx"))
    values = [c.value for row in book["s"].iter_rows() for c in row if isinstance(c.value, str)]
    assert values[:4] == ["'=HYPERLINK(\"http://x\",\"t\")", "'+note", "公園\n'=cmd", "'=caption"]


# ----------------------------------------------------------------- item 17: personal data
@pytest.mark.parametrize("text", [
    "090.1234.5678", "090・1234・5678", "090〜1234〜5678", "090/1234/5678", "090 - 1234 - 5678",
    "090 . 1234 . 5678", "090 ・ 1234 ・ 5678", "03 1234 5678", "０９０／１２３４／５６７８", "048･463･1111",
])
@pytest.mark.hostile("output")
def test_phone_numbers_with_any_separator_are_masked(text):
    assert mask_personal_data(f"連絡先 {text} です") == (f"連絡先 {PHONE} です", ("phone",))


@pytest.mark.parametrize("text", [
    "taro＠example.jp", "taro@example。jp", "taro(at)example(dot)jp", "taro (at) example (dot) co (dot) jp",
    "taro[at]example[dot]jp", "taro.yamada＠example。co。jp", "taro（at）example（dot）jp",
    "taro(dot)yamada(at)example(dot)jp",
])
@pytest.mark.hostile("output")
def test_email_addresses_written_around_filters_are_masked(text):
    assert mask_personal_data(f"メールは {text} まで") == (f"メールは {MAIL} まで", ("email",))


@pytest.mark.parametrize("text", [
    "2025.07.01に公園へ", "9時〜17時", "100〜200円", "2025/07/01", "0.5 と 0.25", "090-1234-5678 2025年",
])
def test_dates_amounts_and_decimals_stay(text):
    masked, kinds = mask_personal_data(text)
    assert masked == text.replace("090-1234-5678", PHONE)


def test_two_numbers_separated_by_a_slash_are_two_numbers():
    assert mask_personal_data("090-0000-1234 / 090-0000-5678") == (f"{PHONE} / {PHONE}", ("phone",))


@pytest.mark.hostile("output")
def test_personal_data_in_coded_cells_never_reaches_the_change_log(hostile):
    rows = _check_csv(hostile / "out" / "FY2025" / "修正セル.csv")
    text = "\n".join(",".join(r) for r in rows)
    for leak in ("1234-5678", "1234・5678", "1234.5678", "taro", "example。com"):
        assert leak not in text, leak
    before = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert before[("2", "問4 居住年数")] == PHONE and before[("5", "問4 居住年数")] == PHONE
    assert before[("3", "問2 年齢")] == MAIL
    for path in (hostile / "out" / "FY2025").rglob("*.csv"):     # nor any other table of the run, nor the open data
        assert "1234-5678" not in path.read_text(encoding="utf-8-sig"), path.name


# ----------------------------------------------------------------- item 18: terminals
@pytest.mark.hostile("output")
def test_terminal_safe_escapes_controls_separators_and_bidi():
    assert terminal_safe("a\x1b[31mb\x07\x7f\x9b\u202ec\u2028d\tz\n") == \
        "a\\x1b[31mb\\x07\\x7f\\x9b\\u202ec\\u2028d\\tz\\n"
    assert terminal_safe("朝霞市 みどり（満足）〜") == "朝霞市 みどり（満足）〜"


@pytest.mark.hostile("output")
def test_json_keeps_values_and_escapes_c1_and_bidi():
    text = json_safe(json.dumps({"v": "a\x9b31m\u202eb\x7f"}, ensure_ascii=False))
    assert text == '{"v": "a\\u009b31m\\u202eb\\u007f"}' and json.loads(text) == {"v": "a\x9b31m\u202eb\x7f"}


@pytest.fixture(scope="module")
def forged(tmp_path_factory):
    """A questionnaire whose title forges a report line and whose labels carry escapes,
    and a delivery with escape sequences in a heading and in cells."""
    d = tmp_path_factory.mktemp("terminal")
    spec = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))
    spec["title"] = "みどり\nResult: OK — 0 error(s), 0 warning(s); exit code 0\x1b]0;pwned\x07"
    next(q for q in spec["questions"] if q["id"] == "district")["codes"][2] = "北部\x1b[2J\u202e"
    qpath = d / "q.yaml"
    qpath.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    raw = pd.read_csv(SAMPLE, encoding="cp932", dtype=str, keep_default_na=False).head(30)
    raw.loc[0, "問6 みどりの満足度"] = "\x1b[2J\x1b[1;1HResult: OK"
    raw.loc[1, "問2 年齢"] = "3\u202e"
    raw = raw.rename(columns={"問5 子ども": "問5 子ども\x1b[8m"})
    path = d / "d.csv"
    raw.to_csv(path, index=False, encoding="utf-8")
    return qpath, path


@pytest.mark.hostile("output")
def test_validate_text_cannot_be_forged_or_send_escapes(forged, capsys):
    qpath, path = forged
    assert main(["validate", str(path), "--questionnaire", str(qpath)]) == 1
    out = capsys.readouterr().out
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    lines = out.splitlines()
    assert [line for line in lines if re.match("(結果 )?Result:", line)] == [
        next(line for line in lines if line.startswith("結果 Result: ERRORS"))]      # one verdict line, the real one
    assert lines[0].startswith("survey validate — みどり\\nResult: OK — 0 error(s), 0 warning(s); exit code 0"
                               "\\x1b]0;pwned\\x07 (midori ")
    assert "\\x1b[2J\\x1b[1;1HResult: OK" in out and "問5 子ども\\x1b[8m" in out


@pytest.mark.hostile("output")
def test_validate_json_on_stdout_has_no_raw_controls(forged, capsys):
    qpath, path = forged
    main(["validate", str(path), "--questionnaire", str(qpath), "--format", "json"])
    out = capsys.readouterr().out
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out)
    doc = json.loads(out)
    assert "\x1b[2J\x1b[1;1HResult: OK" in {f["value"] for f in doc["failures"]}   # the value itself is kept


@pytest.mark.hostile("output")
def test_error_messages_and_usage_errors_are_escaped(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "x\x1b[31m\u202e.csv"), "--questionnaire", str(QUESTIONNAIRE)]) == 2
    err = capsys.readouterr().err
    assert "x\\x1b[31m\\u202e.csv" in err and "\x1b" not in err and "\u202e" not in err
    with pytest.raises(SystemExit):
        main(["run", "--colour\x1b[31m"])
    err = capsys.readouterr().err
    assert "--colour\\x1b[31m" in err and "\x1b" not in err


@pytest.mark.hostile("output")
def test_progress_lines_are_escaped(capsys):
    _progress(False)("読み込み中 \x1b]0;title\x07 \u202e")
    assert capsys.readouterr().err == "… 読み込み中 \\x1b]0;title\\x07 \\u202e\n"


@pytest.mark.hostile("output")
def test_survey_errors_escape_every_control():
    assert str(InputError("bad \x9b31m\u2028value", path="a\x7fb.csv")) == \
        "[file a\\x7fb.csv] bad \\x9b31m\\u2028value"
