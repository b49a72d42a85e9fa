"""The workbooks as Excel users expect them (issue 16 items 9–11): numbers are
number cells with number formats, every sheet has frozen headings, filters on
long tables, fitting column widths and an A4 landscape print setup, and
questions are named by their Japanese heading, never by their id."""
from __future__ import annotations

import html
import re

import openpyxl
import pandas as pd
import pytest

from survey.cli import main
from survey.report.format import NUMBER_FORMATS, cell_kind, fmt_p, kind_text, p_values, with_kinds
from survey.report.writers import FILTER_ROWS, Sheet, write_workbook
from survey.xlsx_layout import display_width, page_breaks

from conftest import QUESTIONNAIRE, ROOT

DATA = ROOT / "data/raw/midori_2025_sample.csv"
MARGINS = ROOT / "data/midori_margins.csv"
ARGS = ["--questionnaire", str(QUESTIONNAIRE), "--data", str(DATA), "--margins", str(MARGINS), "--quiet"]
COUNT, PERCENT, YEN, P = (NUMBER_FORMATS[k] for k in ("count", "percent", "yen", "p"))
TITLE = "朝霞市 みどりの市民アンケート"
NUMERIC_TEXT = re.compile(r"^[+\-−]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?%?$")


@pytest.fixture(scope="module")
def out(bundled_run, tmp_path_factory):
    """The session's bundled run (conftest) and a `survey plan` of the same wave."""
    root = tmp_path_factory.mktemp("workbook")
    assert main(["plan", *ARGS, "--out", str(root / "plan")]) == 0
    return {"run": bundled_run.out_dir, "plan": root / "plan" / "FY2025-plan"}


@pytest.fixture(scope="module")
def book(out):
    return openpyxl.load_workbook(out["run"] / "集計表.xlsx")


@pytest.fixture(scope="module")
def plan_book(out):
    return openpyxl.load_workbook(out["plan"] / "計画.xlsx")


@pytest.fixture(scope="module")
def design():
    import survey
    from survey.weighting import read_margins, weight_wave

    q = survey.load_questionnaire(QUESTIONNAIRE)
    return weight_wave(survey.load(DATA, q), read_margins(MARGINS)), q


def _rows(ws):
    return [list(r) for r in ws.iter_rows()]


def _find(ws, text):
    """(row, column) 1-based of the first cell whose value is ``text``."""
    for row in ws.iter_rows():
        for c in row:
            if c.value == text:
                return c.row, c.column
    raise AssertionError(f"{text!r} not in sheet {ws.title}")


# ----------------------------------------------------------------- item 9: numbers are numbers


@pytest.mark.parametrize("which", ["book", "plan_book"])
def test_no_sheet_holds_numbers_as_text(which, request):
    wb = request.getfixturevalue(which)
    numbers = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    assert not NUMERIC_TEXT.match(c.value.strip()), (ws.title, c.coordinate, c.value)
                elif isinstance(c.value, (int, float)):
                    numbers += 1
                    assert c.data_type == "n" and c.number_format != "General", (ws.title, c.coordinate)
    assert numbers > (4000 if which == "book" else 400)


def test_cross_table_cells_are_counts_and_percentages(book, design):
    """The 3,168 numbers stored as text before are numbers: n lines #,##0 (− for 0), % lines 0.0."""
    from survey.measures.tables.tabulate import crosstab_question

    d, q = design
    ws = book["クロス集計"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert sum(isinstance(c.value, (int, float)) for c in cells) > 3168
    r, _ = _find(ws, "問6 みどりの満足度 × 問2 年齢")
    header = [c.value for c in ws[r + 1]]
    assert header[:4] == ["表側", "", "基数", "そう思う"]
    long = crosstab_question(d.data, d.weights.to_numpy(), q, "satisfaction", "age_band")
    total = long[(long["group"] == "全体") & (long["level"] == 1)].iloc[0]          # 1: そう思う
    n_cell, pct_cell, base_cell = ws.cell(r + 2, 4), ws.cell(r + 3, 4), ws.cell(r + 2, 3)
    assert n_cell.value == int(total["n"]) and n_cell.number_format == COUNT
    assert pct_cell.value == pytest.approx(round(100 * total["percent"], 1)) and pct_cell.number_format == PERCENT
    assert base_cell.value == int(total["base_n"]) == 1352 and ws.cell(r + 3, 3).value == 100
    suppressed = [c for c in cells if c.value == "x"]
    assert suppressed and all(c.data_type == "s" for c in suppressed)
    assert "x で秘匿" in ws["A2"].value  # the note says what x means


def test_counts_rates_and_diagnostics_of_the_overview_are_numbers(book):
    ws = book["調査概要"]
    values = {r[0].value: r[1] for r in ws.iter_rows(min_col=1, max_col=2) if r[0].value}
    assert values["配布数"].value == 3000 and values["配布数"].number_format == COUNT
    # 1,352 kept of 3,000 mailed (fielding.mailed): 45.1%
    assert values["有効回収率(%)"].value == 45.1 and values["有効回収率(%)"].number_format == "#,##0.0"
    assert values["周辺度数の最大誤差"].number_format == NUMBER_FORMATS["scientific"]
    assert 0 < values["周辺度数の最大誤差"].value < 1e-6


def test_p_values_read_below_0001_never_0(book, out):
    ws = book["満足度"]
    r, c = _find(ws, "p値（調整後）")
    end = next(i for i in range(r + 1, ws.max_row + 2) if ws.cell(i, 1).value is None)
    column = [ws.cell(i, c) for i in range(r + 1, end)]
    # 15 pairs of age bands, 10 of districts, 3 of sexes
    assert len(column) == 28 and all(x.number_format == P and x.data_type == "n" for x in column)
    tiny = [x.value for x in column if x.value < 0.001]
    assert tiny and all(v > 0 or v == 0.0 for v in tiny)  # shown as <0.001 by the format
    csv = pd.read_csv(out["run"] / "満足度_グループ間の差.csv", encoding="utf-8-sig", dtype=str)
    assert (csv["p値（調整後）"] == "<0.001").sum() == len(tiny)
    assert not csv["p値（調整後）"].isin(["0", "0.0", "0.000"]).any()
    page = (out["run"] / "report.html").read_text(encoding="utf-8")
    assert page.count("&lt;0.001") >= len(tiny)


def test_yen_without_decimals(book, out, design):
    import survey

    d, q = design
    parts = list(q["allocation"].columns)
    mean = survey.allocation_means(d, parts)
    first = float(mean[mean["part"] == parts[0]]["estimate"].iloc[0])
    ws = book["配分"]
    r, c = _find(ws, "雨水の浸透・貯留")
    cell = ws.cell(r, c + 1)
    assert cell.value == round(first) and cell.number_format == YEN  # shows ¥97
    csv = (out["run"] / "配分_平均配分額.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv[1].split(",")[1] == str(round(first))  # no ".0"


# ----------------------------------------------------------------- item 10: panes, filters, widths, print


@pytest.mark.parametrize("which", ["book", "plan_book"])
def test_every_sheet_prints_on_a4_landscape_one_page_wide(which, request):
    wb = request.getfixturevalue(which)
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert ps.paperSize == 9 and ps.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and (ps.fitToWidth or 1) == 1 and ps.fitToHeight == 0
        assert ws.oddHeader.left.text == TITLE and ws.oddHeader.right.text == ws.title
        assert ws.oddFooter.center.text == "&P / &N"
        assert ws.freeze_panes is not None and ws.print_title_rows, ws.title


def test_one_table_sheets_freeze_filter_and_repeat_their_heading(book):
    ws = book["単純集計"]
    r, _ = _find(ws, "設問")
    assert ws.freeze_panes == f"A{r + 1}"
    assert ws.print_title_rows == f"${r}:${r}"
    n = sum(1 for i in range(r + 1, ws.max_row + 1) if ws.cell(i, 3).value is not None and ws.cell(i, 2).value)
    assert n >= FILTER_ROWS and ws.auto_filter.ref == f"A{r}:E{r + n}"


def test_sheets_of_several_tables_freeze_title_and_label_columns(book):
    assert book["クロス集計"].freeze_panes == "C2"  # title row; 表側 and n/% columns
    assert book["満足度"].freeze_panes == "B2"
    assert book["クロス集計"].print_title_rows == "$1:$1"
    assert book["重要施策"].auto_filter.ref.startswith("A")  # its 144-row table is filterable
    assert not book["標本誤差"].auto_filter.ref  # 7 rows: no filter


def test_column_widths_count_japanese_as_two(book):
    ws = book["単純集計"]
    longest = max(display_width(c.value) for c in ws["B"] if isinstance(c.value, str) and c.row > 4)
    # the 選択肢 column fits its longest label (Japanese characters two wide) plus padding
    assert ws.column_dimensions["B"].width >= longest
    assert ws.column_dimensions["D"].width < 20  # a % column is not as wide as its heading (it wraps)


def test_cross_table_prints_whole_tables_on_few_pages(book):
    """Before: 140 portrait pages with split columns.  Now one page wide, breaks only
    before a table's caption."""
    ws = book["クロス集計"]
    breaks = [b.id for b in ws.row_breaks.brk]
    assert 5 <= len(breaks) + 1 <= 20
    for b in breaks:  # xlsxwriter's break at 0-based row b starts a page at 1-based row b + 1
        assert " × " in str(ws.cell(b + 1, 1).value), b


def test_page_breaks_never_cut_a_table_that_fits_a_page():
    # one page holds 487 pt (A4 landscape inside the margins) of 15-pt rows at 100%: 32 rows
    widths = [10.0] * 3
    blocks = [(2, 21), (23, 42), (44, 143)]  # 20, 20 and 100 rows
    # hand calculation: page 1 has 2 rows above table 1, its 20 rows and a blank (345 pt);
    # table 2 (300 pt) fits a page of its own but not the rest of page 1: it starts page 2.
    # Table 3 (1,500 pt) fits no page: it follows at once (315 pt used: 11 more rows, 44–54)
    # and is cut every 32 rows (487 // 15) after that.
    assert page_breaks(blocks, {}, widths) == [23, 55, 87, 119]
    # wider columns shrink the page (fit to width): 200 characters ≈ 1,405 px on 988 px
    assert len(page_breaks(blocks, {}, [200.0])) < 4


def test_write_workbook_layout_of_a_small_sheet(tmp_path):
    table = with_kinds(pd.DataFrame({"地区": ["内間木", "北部"], "割合(%)": [12.0, 7.5], "p値": [0.0, 0.2],
                                     "金額": [97.0, 1203.0], "n": [12, 0]}), {"割合(%)": "percent", "金額": "yen"})
    sheet = Sheet("表", [("表1", table)], title="タイトル", notes=["注"])
    path = write_workbook([sheet], tmp_path / "t.xlsx", properties={"title": "調査 & 集計"}, provenance=["出典"])
    ws = openpyxl.load_workbook(path)["表"]
    assert [c.value for c in ws[5]] == ["地区", "割合(%)", "p値", "金額", "n"]
    assert [(c.value, c.number_format) for c in ws[6][1:]] == [(12, PERCENT), (0, P), (97, YEN), (12, COUNT)]
    assert ws["E7"].value == 0 and ws["E7"].number_format == COUNT  # shown as -
    assert ws.freeze_panes == "A6" and ws.print_title_rows == "$5:$5" and not ws.auto_filter.ref
    assert ws.oddHeader.left.text == "調査 && 集計"  # & doubled: a single & starts an Excel field code
    assert ws["A9"].value == "入力ファイルと処理の記録" and ws["A10"].value == "出典"


def test_kinds_as_text():
    assert [fmt_p(v) for v in (0.0, 1e-12, 0.000999, 0.001, 0.04321)] == ["<0.001"] * 3 + ["0.001", "0.043"]
    assert list(p_values([1e-9, 0.01234, 0.5])) == [1e-9, 0.012, 0.5]
    assert kind_text(1234.0, "yen") == "¥1,234" and kind_text(1234.0, "yen", thousands=False) == "1234"
    assert kind_text(0, "count") == "-" and kind_text(1352, "count") == "1,352"
    assert cell_kind(3, "percent") == "count" and cell_kind(3.0, "percent") == "percent"
    assert cell_kind(52.434, None) == "decimal3" and cell_kind(8.71e-11, None) == "scientific"
    assert cell_kind("12", None) is None and cell_kind(True, None) is None
    with pytest.raises(ValueError, match="unknown kind"):
        with_kinds(pd.DataFrame({"a": [1]}), {"a": "money"})


# ----------------------------------------------------------------- item 11: headings, never ids


def _id_pattern(q):
    ids = {x.id for x in q.questions} | {c for x in q.questions for c in x.columns}
    return re.compile(r"(?<![A-Za-z_])(" + "|".join(map(re.escape, sorted(ids, key=len, reverse=True)))
                      + r")(?![A-Za-z_0-9])")


def test_no_question_id_in_any_sheet_csv_or_html_table(book, plan_book, out, questionnaire):
    pattern = _id_pattern(questionnaire)
    for wb in (book, plan_book):
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for v in row:
                    assert not (isinstance(v, str) and pattern.search(v)), (ws.title, v)
    for path in sorted(out["run"].glob("*.csv")) + sorted(out["plan"].glob("*.csv")):
        if path.name == "mailing.csv":  # machine-readable input of `survey run --mailing`
            continue
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            assert not pattern.search(line), (path.name, line)
    page = (out["run"] / "report.html").read_text(encoding="utf-8")
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", page, re.S)
    assert len(cells) > 1000
    assert not [c for c in cells if pattern.search(html.unescape(c))]


def test_questions_are_named_by_heading_and_label(book, out):
    rows = [r for r in book["単純集計"].iter_rows(values_only=True)]
    firsts = {r[0] for r in rows if r[0]}
    assert {"問1 性別", "問6 みどりの満足度", "問8 みどりのチカラの重要度：雨水の浸透・貯留",
            "問10 今後力を入れるべき取組（1位）", "問11 参加したい活動"} <= firsts
    captions = {c.value for c in book["クロス集計"]["A"] if isinstance(c.value, str) and " × " in c.value}
    assert "問8 みどりのチカラの重要度：雨水の浸透・貯留 × 問3 地区" in captions  # was 'imp_rain × 問3 地区'
    assert len(captions) == 15 * 3  # satisfaction, park use and reason, 10 importance items, policy, activity
    tidy = pd.read_csv(out["run"] / "クロス集計.csv", encoding="utf-8-sig", dtype=str)
    assert list(tidy.columns[:4]) == ["設問", "表側", "区分", "選択肢"]
    assert set(tidy["表側"]) == {"問1 性別", "問2 年齢", "問3 地区"}
    changes = pd.read_csv(out["run"] / "修正セル.csv", encoding="utf-8-sig", dtype=str)
    assert "問6 みどりの満足度" in set(changes["列 (column)"])


def test_numbers_and_formats_are_deterministic(out, tmp_path):
    again = tmp_path / "again"
    assert main(["plan", *ARGS, "--out", str(again)]) == 0
    assert (again / "FY2025-plan" / "計画.xlsx").read_bytes() == (out["plan"] / "計画.xlsx").read_bytes()


def test_plan_notes_name_attributes_not_ids():
    """The planning API's notes (English, with cell keys) as the 計画 sheet shows them."""
    from types import SimpleNamespace

    from survey.report.planning_tables import note_ja

    inputs = SimpleNamespace(names={"district": "地区", "age_band": "年齢"})
    cases = {
        "10 respondent(s) with unknown district/age_band spread over the cells (returned counts x 1.0075)":
            "10人は地区・年齢が不明のため、各セルに按分した（回収数 × 1.0075）",
        "mailing per cell not recorded: expected counts of a simple random sample of 3000 "
        "(fielding.mailed x population share) were used":
            "セル別の配布数の記録がないため、配布数 3000 の単純無作為抽出の期待値（調査票の配布数 × 母集団構成比）を用いた",
        "2 population cell(s) absent from the mailing counts were taken as 0 mailed":
            "配布数ファイルにない母集団セル 2 個は配布数0とした",
        "the cheapest plan meeting the targets uses 1,816 of 2,000": "目標を満たす最も安い計画は 2,000 のうち 1,816 を使う",
        "the targets need 2,500 but only 2,000 is available; the plan below is the best the budget allows":
            "目標には 2,500 が必要だが 2,000 しかないため、予算の範囲で最もよい計画を示す",
        "200,000 exceeds mailing every adult of the cells (120,000); capped":
            "200,000 は全セルの成人全員への配布（120,000）を超えるため、120,000 とした",
        "the group floors do not fit in the budget; they were scaled down alike":
            "グループごとの最低数が予算に収まらないため、同じ割合で縮小した",
        "something new": "something new",
    }
    for note, expected in cases.items():
        assert note_ja(inputs, note) == expected
