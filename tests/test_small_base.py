"""Small bases marked the same way in every table (issue: small bases and small counts, item 1).

A group whose unweighted base is under 30 (survey.report.crosstab.SMALL_BASE, the threshold of the
cross tables) is marked ``*`` on its label in the report CSVs, report.html and the workbook, with a
note from the prose catalogue; the open data publish the label unmarked and say 参考値（基数30未満）
in 注記.  The bases are the bundled wave's, as the tables print them: 内間木 has 12 respondents (11 with
a scored satisfaction answer), 性別 回答しない 11 scored answers; every other group has more than 100.
"""
from __future__ import annotations

import pandas as pd
import pytest

from survey.report.crosstab import SMALL_BASE, is_small_base, mark_small_base, unmark_small_base
from report_outputs import csv_with, read_csvs, read_page, sheet_rows

NOTE = "* は回答者数30未満、誤差が大きいため参考値。"
SMALL = "参考値（基数30未満）"


@pytest.fixture(scope="module")
def out(bundled_run):
    d = bundled_run.out_dir
    return {"dir": d, "csvs": read_csvs(d), "page": read_page(d / "report.html"),
            "sheets": sheet_rows(d / "集計表.xlsx"), "open": read_csvs(d / "opendata")}


def test_the_mark_and_its_threshold():
    assert SMALL_BASE == 30
    assert [mark_small_base("内間木", n) for n in (11, 29, 30, 0, None, float("nan"))] == [
        "内間木*", "内間木*", "内間木", "内間木", "内間木", "内間木"]
    assert not is_small_base(30) and is_small_base(1)
    assert unmark_small_base("北部 − 内間木*") == ("北部 − 内間木", True)
    assert unmark_small_base("回答しない* − 男性") == ("回答しない − 男性", True)
    assert unmark_small_base("年齢:18〜29歳") == ("年齢:18〜29歳", False)


def test_the_index_table_marks_uchimagi_and_keeps_its_verdict(out):
    _, header, rows = csv_with(out["csvs"], "区分", "グループ", "満足度指数（重み付け）")
    n, verdict = header.index("回答者数 n（重みなし）"), header.index("目標値との比較")
    marked = {r[1]: (r[n], r[verdict]) for r in rows if r[1].endswith("*")}
    assert marked == {"内間木*": ("11", "目標値以上"), "回答しない*": ("11", "目標値以上")}
    # every row: marked exactly when its n is under 30
    assert all(r[1].endswith("*") == (int(r[n]) < 30) for r in rows)


@pytest.mark.parametrize("columns, label, base", [
    (("区分", "グループ", "基数 n（重みなし）", "そう思う"), "グループ", "基数 n（重みなし）"),         # 回答分布
    (("地区", "年間利用回数（重み付け）"), "地区", "回答者数 n（重みなし）"),                           # 公園利用
    (("属性", "区分", "記述者数（重みなし）"), "区分", "回答者数（重みなし）"),                          # 記入状況
])
def test_each_group_table_marks_exactly_its_small_bases(out, columns, label, base):
    _, header, rows = csv_with(out["csvs"], *columns)
    at, n = header.index(label), header.index(base)
    assert [r[at] for r in rows if r[at].endswith("*")] == ["内間木*"]        # its base: 12
    assert all(r[at].endswith("*") == (int(r[n].replace(",", "")) < 30) for r in rows)


def test_differences_drivers_allocation_and_ranking_mark_their_small_groups(out):
    _, header, rows = csv_with(out["csvs"], "区分", "比較", "判定")
    marked = [(r[1], r[-1]) for r in rows if "*" in r[1]]
    assert marked[0] == ("北部 − 内間木*", "北部と内間木の差は統計的に明らかではない")      # the verdict unmarked
    assert [m for m, _ in marked] == ["北部 − 内間木*", "東部 − 内間木*", "西部 − 内間木*", "南部 − 内間木*",
                                      "回答しない* − 男性", "回答しない* − 女性"]
    _, header, rows = csv_with(out["csvs"], "要因", "オッズ比")
    assert [r[1] for r in rows if r[1].endswith("*")] == ["回答しない*"]   # 11 of the model's respondents
    _, header, rows = csv_with(out["csvs"], "全体", "年齢:18〜29歳")          # 平均配分額: 内間木 12 allocations
    assert [h for h in header if h.endswith("*")] == ["地区:内間木*"]
    _, header, rows = csv_with(out["csvs"], "区分", "グループ", "1位に選んだ割合(%)（重み付け）")
    assert {r[1] for r in rows if r[1].endswith("*")} == {"内間木*"}
    assert sum(r[1] == "内間木*" for r in rows) == 12                        # one row per policy item


def test_the_open_data_publish_the_name_with_its_note(out):
    noted = {}
    for name, (header, rows) in out["open"].items():
        if "グループ" not in header:
            continue
        group, note = header.index("グループ"), header.index("注記")
        assert not any("*" in r[group] for r in rows), name
        groups = {r[group] for r in rows if SMALL in r[note]}
        if groups:
            noted[name] = groups
        # every value of a noted group carries the note
        assert all(SMALL in r[note] for r in rows if r[group] in groups), name
    assert noted == {
        "満足度_満足度指数.csv": {"内間木", "回答しない"}, "満足度_回答分布.csv": {"内間木"},
        "満足度_グループ間の差.csv": {"北部 − 内間木", "東部 − 内間木", "西部 − 内間木", "南部 − 内間木",
                                  "回答しない − 男性", "回答しない − 女性"},
        "満足度_地区別の公園利用.csv": {"内間木"}, "満足度_満足度の要因.csv": {"回答しない"},
        "配分_平均配分額.csv": {"内間木"}, "重要施策_1位・3位までに選んだ割合.csv": {"内間木"},
        "自由記述_記入状況.csv": {"内間木"},
        "自由記述_テーマ別の記述の割合.csv": {"18〜29歳", "内間木"},      # its base: 17 and 3 comments
    }
    header, rows = out["open"]["満足度_満足度指数.csv"]
    row = next(r for r in rows if r[header.index("グループ")] == "内間木" and r[header.index("統計量")] == "回答者数（重みなし）")
    assert (row[header.index("値")], row[header.index("注記")]) == ("11", SMALL)
    header, rows = out["open"]["満足度_回答分布.csv"]
    notes = {r[header.index("項目")]: r[header.index("注記")] for r in rows if r[header.index("グループ")] == "内間木"}
    assert notes["そう思う"] == f"秘匿、{SMALL}" and notes["ややそう思う"] == SMALL      # hidden and small: both said
    header, rows = out["open"]["データ辞書.csv"]
    assert any(SMALL in r[header.index("意味")] for r in rows)


def test_the_page_and_the_workbook_say_what_the_mark_means(out):
    page = out["page"]
    index = page.table("満足度指数（重み付け）")
    assert "内間木*" in [r[1] for r in index.rows] and NOTE in index.note
    assert NOTE in page.table("地区別の").note
    text = (out["dir"] / "report.html").read_text(encoding="utf-8")
    assert "回答者数（重みなし）が30未満の区分は、表の区分名に * を付けた（誤差が大きいため参考値）。" in text
    assert "* の区分の判定（目標値との比較、市全体との比較、グループ間の差）も参考とする。" in text
    sheet = out["sheets"]["満足度"]
    cells = [c for row in sheet for c in row if isinstance(c, str)]
    assert "内間木*" in cells and "回答しない*" in cells
    assert "「満足度指数」・「回答分布」・「グループ間の差」の * は回答者数30未満、誤差が大きいため参考値。" in cells
    free = [c for row in out["sheets"]["自由記述"] for c in row if isinstance(c, str)]
    assert "「記入状況」の * は回答者数30未満、誤差が大きいため参考値。" in free and "内間木*" in free
