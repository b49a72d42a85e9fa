"""The free-text tables under the run's small-cell rule (issue: small bases and small counts,
item 2): 記入状況 printed the writers of a group of 1-2 (or beside 1-2 non-writers) as is.

The tiny wave is written here; every expected cell is worked out by hand in the comments
(the rule: survey/report/disclosure.py, --min-cell 3).
"""
from __future__ import annotations

import pandas as pd
import pytest

from survey.design import Design
from survey.measures.freetext.analyse import analyse_freetext
from survey.report.disclosure import SmallCells
from survey.report.freetext_cells import suppress_freetext
from survey.report.freetext_section import (characteristic_table, comment_status, freetext_section,
                                            freetext_sheet, theme_long, theme_table)
from survey.report.labels import label_frame
from survey.report.opendata import long_table

WROTE = "公園にベンチが欲しい。"
OTHER = "黒目川沿いの遊歩道を歩きやすくしてほしい。"


def _rows(age, district, writers, others):
    return ([(age, district, WROTE if k % 2 else OTHER) for k in range(writers)]
            + [(age, district, "特になし" if k % 2 else None) for k in range(others)])


#: 24 respondents, weight 1.  Age 1 (18〜29歳): 4 respondents, 1 writer; age 2 (30〜39歳): 10, 8
#: writers (2 non-writers); age 3 (40〜49歳): 10, 5 writers.  District 1 (内間木): 4, 2 writers
#: (2 non-writers); district 2 (北部): 10, 5 writers; district 3 (東部): 10, 7 writers.
TINY = pd.DataFrame(
    _rows(1, 1, 1, 1) + _rows(1, 2, 0, 2) + _rows(2, 1, 1, 1) + _rows(2, 3, 7, 1)
    + _rows(3, 2, 5, 3) + _rows(3, 3, 0, 2), columns=["age_band", "district", "comment"]).assign(w=1.0)


@pytest.fixture(scope="module")
def tables(questionnaire):
    coded = analyse_freetext(Design(TINY, weights="w"), questionnaire=questionnaire, by=("age_band", "district"),
                             min_comments=3)
    cells = SmallCells(None, (), min_count=3)       # families need no cross table
    return suppress_freetext(label_frame(coded, questionnaire), cells, question="comment")


def test_the_tiny_wave_is_what_the_comments_say(tables):
    s = tables.summary.set_index(["by", "group"])
    assert s["respondents"].tolist() == [24, 4, 10, 10, 4, 10, 10]
    assert s["comments"].tolist() == [14, 1, 8, 5, 2, 5, 7]


def test_writers_and_non_writers_follow_the_small_cell_rule(tables):
    # age: 18〜29歳 has 1 writer (primary), so its 3 non-writers go too (the row adds up to the
    # printed 4); 30〜39歳 has 2 non-writers (primary: 10 − 8 would give them away), so its 8
    # writers go; each column then holds two hidden cells.  40〜49歳 and 全体 stay.
    # district: 内間木 has 2 writers and 2 non-writers (both primary); the writers' column
    # [14; 2, 5, 7] then has one hidden cell: the cheapest other is 北部's 5 (smaller than 東部's
    # 7), whose row then hides its 5 non-writers (which also closes the non-writers' column).
    status = comment_status(tables)
    rows = [list(r) for r in status[["by", "group", "respondents", "comments", "estimate"]].itertuples(index=False)]
    # (every base is under 30: every label is marked *, the whole wave's too)
    assert rows == [["全体", "全体*", 24, 14, 58.3],            # 14 / 24 = 58.33 %
                    ["年齢", "18〜29歳*", 4, "x", "x"], ["年齢", "30〜39歳*", 10, "x", "x"],
                    ["年齢", "40〜49歳*", 10, 5, 50.0],       # 5 / 10
                    ["地区", "内間木*", 4, "x", "x"], ["地区", "北部*", 10, "x", "x"],
                    ["地区", "東部*", 10, 7, 70.0]]          # 7 / 10
    hidden = status["comments"] == "x"
    assert (status.loc[hidden, ["ci_low", "ci_high"]] == "x").all().all()
    assert not (status.loc[~hidden, ["ci_low", "ci_high"]] == "x").any().any()


def test_a_hidden_number_of_writers_is_hidden_wherever_printed(tables):
    # the theme table's last row and the characteristic words print each group's comments too
    theme = theme_table(tables)
    last = theme.iloc[-1]
    assert last["テーマ"] == "記述数 n（重みなし）"
    assert [last[c] for c in theme.columns[3:]] == [14, "", "x", "x", 5, "x", "x", 7]
    assert list(theme.columns[5:]) == ["18〜29歳*", "30〜39歳*", "40〜49歳*", "内間木*", "北部*", "東部*"]
    n = theme_long(tables).drop_duplicates(["区分", "グループ"]).set_index("グループ")["記述数 n（重みなし）"]
    assert n.to_dict() == {"全体": 14, "18〜29歳*": "x", "30〜39歳*": "x", "40〜49歳*": 5, "内間木*": "x",
                           "北部*": "x", "東部*": 7}
    # groups with a listed or a "none listed" word (18〜29歳's and 内間木's comments hold no word of 3)
    chars = characteristic_table(tables)
    assert chars[["区分", "記述数（重みなし）"]].values.tolist() == [["30〜39歳*", "x"], ["40〜49歳*", 5],
                                                                  ["北部*", "x"], ["東部*", 7]]


def test_the_sheet_and_the_open_data_show_x(tables):
    sheet = freetext_sheet(tables)
    caption, status = sheet.blocks[0]
    assert caption == "記入状況"
    row = status[status["区分"] == "北部*"].iloc[0]
    assert row.tolist()[3:] == ["x", "x", "x", "x"]
    opened = long_table(status, question="問12 自由意見")
    north = opened[opened["グループ"] == "北部"].set_index("統計量")
    # the group is published by its name; its base (10) is small, which 注記 says beside 秘匿
    small = "参考値（基数30未満）"
    assert north.loc["回答者数（重みなし）", "値"] == 10 and north.loc["回答者数（重みなし）", "注記"] == small
    assert north.loc["記述者数（重みなし）", "値"] is None and north.loc["記述者数（重みなし）", "注記"] == f"秘匿、{small}"
    assert north.loc["記入率（重み付け）", "注記"] == f"秘匿、{small}"


def test_a_hidden_whole_wave_says_so_in_the_introduction(questionnaire):
    # 2 writers of 20: the 全体 cell itself is 1-2 (primary)
    wave = pd.DataFrame(_rows(1, 2, 2, 8) + _rows(2, 3, 0, 10), columns=["age_band", "district", "comment"]).assign(w=1.0)
    coded = analyse_freetext(Design(wave, weights="w"), questionnaire=questionnaire, by=("age_band",), min_comments=3)
    tables = suppress_freetext(label_frame(coded, questionnaire), SmallCells(None, (), min_count=3), question="comment")
    assert comment_status(tables)["comments"].tolist() == ["x", "x", 0]     # 全体, 18〜29歳, 30〜39歳 (zero shown)
    assert freetext_section(tables).intro[0].startswith(
        "問12（自由意見）の記入者数と記入率は、記入した人またはしなかった人が少ないため秘匿した（回答者 20人、x）。")


def test_min_cell_one_hides_nothing(tables, questionnaire):
    coded = analyse_freetext(Design(TINY, weights="w"), questionnaire=questionnaire, by=("age_band", "district"))
    shown = suppress_freetext(label_frame(coded, questionnaire), SmallCells(None, (), min_count=1), question="comment")
    assert comment_status(shown)["comments"].tolist() == [14, 1, 8, 5, 2, 5, 7]


def test_the_run_hides_a_district_of_two_writers(tmp_path):
    # the bundled delivery with 内間木 cut to three of its 12 returns (pandas rows 71, 331, 641 of
    # data/raw/midori_2025_sample.csv): 3 respondents, 2 writers (primary) and 1 non-writer.  The
    # district column of writers [247; 2, 65, 54, 64, 61] then needs a second hidden cell: the
    # smallest other, 東部's 54, whose row hides its 276 non-writers too.  The 9 rows cut are aged
    # 30〜39 (1), 50〜59 (2), 60〜69 (2) and 70+ (4, one of them a writer): the bundled counts
    # (1352/248, 171, 263, 217, 359/60) less those; no age cell is under 3.
    from conftest import ROOT
    from survey.cli import main

    raw = pd.read_csv(ROOT / "data" / "raw" / "midori_2025_sample.csv", encoding="cp932", dtype=str,
                      keep_default_na=False)
    cut = raw.index[raw["問3 地区"] == "内間木"].difference([71, 331, 641])
    path = tmp_path / "three_in_uchimagi.csv"
    raw.drop(cut).to_csv(path, index=False, encoding="cp932", lineterminator="\r\n")
    assert main(["run", "--data", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    folder = tmp_path / "out" / "FY2025"
    status = pd.read_csv(folder / "自由記述_記入状況.csv", encoding="utf-8-sig", dtype=str)
    counts = dict(zip(status["区分"], zip(status["回答者数（重みなし）"], status["記述者数（重みなし）"])))
    assert counts == {"全体": ("1343", "247"), "18〜29歳": ("127", "17"), "30〜39歳": ("170", "41"),
                      "40〜49歳": ("212", "44"), "50〜59歳": ("261", "52"), "60〜69歳": ("215", "33"),
                      "70歳以上": ("355", "59"), "内間木*": ("3", "x"), "北部": ("293", "65"), "東部": ("330", "x"),
                      "西部": ("302", "64"), "南部": ("408", "61")}
    hidden = status[status["記述者数（重みなし）"] == "x"]
    assert (hidden[["記入率 %（重み付け）", "95%CI 下限", "95%CI 上限"]] == "x").all().all()
    themes = pd.read_csv(folder / "自由記述_テーマ別の記述の割合.csv", encoding="utf-8-sig", dtype=str)
    last = themes.iloc[-1]
    assert (last["内間木*"], last["東部"], last["北部"]) == ("x", "x", "65")
    opened = pd.read_csv(folder / "opendata" / "自由記述_記入状況.csv", dtype=str, keep_default_na=False)
    east = opened[opened["グループ"] == "東部"].set_index("統計量")
    assert east.loc["記述者数（重みなし）", ["値", "注記"]].tolist() == ["", "秘匿"]
