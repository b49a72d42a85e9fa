import numpy as np
import pandas as pd

from survey.measures.tables.tabulate import crosstab_question, frequencies
from survey.report.crosstab import crosstab_block, suppression_mask
from survey.report.labels import label_frame


def test_primary_and_complementary_suppression():
    counts = np.array([[10, 2, 30],
                       [20, 15, 25],
                       [12, 18, 40]])
    mask = suppression_mask(counts, 5)
    # hand trace: the 2 at (0,1) is hidden. Rows pass: row 0 has one hidden → its
    # smallest other, the 10 at (0,0). Columns pass: column 0 has one hidden → its
    # smallest other, 12 at (2,0); column 1 → 15 at (1,1). Rows pass: row 1 → 20 at
    # (1,0); row 2 → 18 at (2,1). Now every row and column hides 0 or >= 2 cells.
    expected = np.array([[True, True, False],
                         [True, True, False],
                         [True, True, False]])
    np.testing.assert_array_equal(mask, expected)
    # no row or column has exactly one hidden cell: nothing recoverable by subtraction
    assert not (mask.sum(axis=0) == 1).any() and not (mask.sum(axis=1) == 1).any()


def test_no_suppression_when_disabled_and_zeros_stay():
    counts = np.array([[0, 3], [4, 0]])
    assert not suppression_mask(counts, 0).any()
    assert suppression_mask(counts, 5).tolist() == [[False, True], [True, False]]


def _toy(questionnaire):
    data = pd.DataFrame({
        "sex": [1, 1, 1, 2, 2, np.nan],
        "satisfaction": [1, 2, 1, 5, 9, 1],
    })
    data.loc[data.satisfaction == 9, "satisfaction"] = np.nan
    return data


def test_crosstab_weighted_row_percent(questionnaire):
    data = _toy(questionnaire)
    w = np.array([1, 1, 2, 1, 3, 1.0])
    codes = crosstab_question(data, w, questionnaire, "satisfaction", "sex")
    # the estimator returns codes (issue 17): sex 1, 2, 3 after 全体, a missing group (無回答) last; the answers
    # 1..6 (6 わからない) and a missing level (無回答) last
    assert list(codes.columns) == ["question", "by", "group", "level", "n", "percent", "base_n"]
    assert set(codes["by"]) == {"sex"} and list(dict.fromkeys(codes["group"]))[:3] == ["全体", 1, 2]
    assert pd.isna(codes["group"].iloc[-1]) and codes["level"].iloc[:6].tolist() == [1, 2, 3, 4, 5, 6]
    assert pd.isna(codes["level"].iloc[6]) and len(codes) == 5 * 7     # 全体, 1, 2, 3 (回答しない), 無回答
    men_codes = codes[codes.group == 1].set_index("level")
    assert men_codes.loc[1, "percent"] == 0.75 and men_codes.loc[2, "n"] == 1
    # the report names them (survey.report.label_frame): the same cells by name
    long = label_frame(codes, questionnaire)
    assert set(long["by"]) == {"性別"} and list(dict.fromkeys(long["group"])) == ["全体", "男性", "女性", "回答しない", "無回答"]
    assert long["level"].iloc[:7].tolist() == ["そう思う", "ややそう思う", "どちらともいえない", "あまりそう思わない",
                                               "そう思わない", "わからない", "無回答"]
    assert long[["n", "percent", "base_n"]].equals(codes[["n", "percent", "base_n"]])
    men = long[(long.group == "男性")].set_index("level")
    # men: weights 1,1,2 with answers 1,2,1 → そう思う (1+2)/4 = 0.75, ややそう思う 0.25
    assert men.loc["そう思う", "percent"] == 0.75 and men.loc["ややそう思う", "n"] == 1
    women = long[(long.group == "女性")].set_index("level")
    # women: そう思わない weight 1, 無回答 weight 3 → 0.25 / 0.75
    assert women.loc["無回答", "percent"] == 0.75 and women.loc["そう思わない", "percent"] == 0.25
    total = long[long.group == "全体"].set_index("level")
    assert total["base_n"].iloc[0] == 6 and total.loc["そう思う", "n"] == 3
    assert long[long.group == "無回答"]["base_n"].iloc[0] == 1


def test_crosstab_block_layout_marks_small_bases(questionnaire):
    data = _toy(questionnaire)
    long = label_frame(crosstab_question(data, np.ones(6), questionnaire, "satisfaction", "sex"), questionnaire)
    block = crosstab_block(long, min_count=0)
    assert list(block.columns[:3]) == ["表側", "", "基数"]
    # cells are numbers: counts as int, row % as float to one decimal (issue 16 item 9)
    assert block.iloc[0]["表側"] == "全体*" and block.iloc[0]["基数"] == 6 and block.iloc[1]["基数"] == 100.0
    assert block.iloc[2]["表側"] == "男性*" and block.iloc[2]["そう思う"] == 2
    # hand calculation: men answered 1, 2, 1 with weight 1 each → そう思う 2/3
    assert block.iloc[3]["そう思う"] == 66.7 and block.iloc[3]["そう思わない"] == 0.0
    assert block.iloc[2]["そう思わない"] == 0 and isinstance(block.iloc[2]["そう思わない"], int)
    assert block.attrs["kinds"]["そう思う"] == "percent"  # the workbook shows 0.0 on % lines, #,##0 on n lines


def test_crosstab_suppressed_cells_are_x_in_block_and_long(questionnaire):
    from survey.report.crosstab import LONG_COLUMNS, crosstab_long

    data = _toy(questionnaire)
    long = label_frame(crosstab_question(data, np.ones(6), questionnaire, "satisfaction", "sex"), questionnaire)
    block = crosstab_block(long, min_count=2)
    # 男性: そう思う 2, ややそう思う 1 → the 1 is hidden, and so its complement in the row
    men_n, men_pct = block.iloc[2], block.iloc[3]
    assert men_n["ややそう思う"] == "x" and men_pct["ややそう思う"] == "x"
    tidy = crosstab_long(long, min_count=2, question="問6 みどりの満足度", by="問1 性別")
    assert tuple(tidy.columns) == LONG_COLUMNS
    assert set(tidy["設問"]) == {"問6 みどりの満足度"} and set(tidy["表側"]) == {"問1 性別"}
    cell = tidy[(tidy["区分"] == "男性") & (tidy["選択肢"] == "ややそう思う")].iloc[0]
    assert cell["回答者数 n（重みなし）"] == "x" and cell["%（重み付け）"] == "x"
    shown = tidy[(tidy["区分"] == "全体") & (tidy["選択肢"] == "そう思う")].iloc[0]
    assert shown["回答者数 n（重みなし）"] == 3 and shown["%（重み付け）"] == 50.0  # 3 of 6, hand count


def test_frequencies_single_and_multi(questionnaire):
    cols = {c: [0.0, 0.0] for c in questionnaire["activity"].columns}
    cols["activity_1"] = [1.0, 1.0]
    cols["activity_3"] = [1.0, np.nan]
    data = pd.DataFrame({"sex": [1.0, 2.0], **cols})
    data.loc[1, list(questionnaire["activity"].columns)] = np.nan
    codes = frequencies(data, [3.0, 1.0], questionnaire, questions=["sex", "activity"])
    # codes from the estimator (a multi-answer question's item codes, none for 無回答), labels from the report
    assert list(codes.columns) == ["question", "code", "n", "weighted_n", "percent", "unweighted_percent", "base_n"]
    assert codes["code"].iloc[:3].tolist() == [1, 2, 3] and pd.isna(codes["code"].iloc[3])
    assert codes[codes.question == "activity"]["code"].iloc[:2].tolist() == [1, 2]
    f = label_frame(codes, questionnaire)
    assert list(f.columns) == ["question", "code", "label", "n", "weighted_n", "percent", "unweighted_percent",
                               "base_n"]
    assert f["label"].iloc[:4].tolist() == ["男性", "女性", "回答しない", "無回答"]
    sex = f[f.question == "sex"].set_index("label")
    assert sex.loc["男性", "percent"] == 0.75 and sex.loc["女性", "n"] == 1
    act = f[f.question == "activity"].set_index("label")
    # respondent 1 (weight 3) chose 1 and 3; respondent 2 (weight 1) left it blank → 無回答
    assert act.loc["市民農園などで野菜や草花を生産する", "percent"] == 0.75
    assert act.loc["無回答", "percent"] == 0.25
    assert act["percent"].sum() > 1  # multi-answer % on respondents can exceed 100


def test_skip_condition_on_free_text_reads_a_blank_as_not_answered(tmp_path):
    """A question asked only of those who wrote something (``blank: false`` on a
    text column): its base is the writers, also when the text column is pandas
    ``str`` with NaN for blanks (as normalise returns it)."""
    import yaml

    from conftest import QUESTIONNAIRE
    from survey.questionnaire import load_questionnaire

    spec = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))
    ids = [q["id"] for q in spec["questions"]]
    note = {"id": "park_note", "header": "公園メモ", "text": "メモ", "type": "text", "required": False}
    spec["questions"].insert(ids.index("park_reason"), note)
    reason = spec["questions"][ids.index("park_reason") + 1]
    reason["asked_if"] = [{"column": "park_note", "blank": False}]
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    q = load_questionnaire(path)
    data = pd.DataFrame({"park_note": pd.array(["よく行く", None, "雨の日も"], dtype="str"),
                         "park_reason": [1.0, np.nan, 2.0]})
    f = label_frame(frequencies(data, [1.0, 1.0, 1.0], q, questions=["park_reason"]), q).set_index("label")
    # respondent 2 wrote nothing, so was not asked: base 2, no 無回答
    assert f["base_n"].iloc[0] == 2
    assert f.loc["無回答", "n"] == 0
