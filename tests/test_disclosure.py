"""Small-cell suppression over linked tables (survey/report/disclosure.py; issue 16 item 7,
issue 15 item 11).  Every expected mask below is worked out by hand from the rule in the
module docstring."""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.measures.tables.tabulate import crosstab_question
from survey.report.labels import label_frame
from survey.report.disclosure import SmallCells, rule_text, suppress_family

LEVELS = ["A", "B", "C", "無回答"]


def test_primary_cells_and_complements_by_hand():
    # one attribute, groups g1, g2 and the unknown group; total row = column sums
    counts = np.array([[10, 1, 20, 2],       # g1: B = 1 is primary; 無回答 = 2 is not (no answer)
                       [12, 8, 15, 0],       # g2
                       [0, 0, 1, 0]])        # 無回答 group: 1 is not primary (no stated attribute)
    total = counts.sum(axis=0)
    masks = suppress_family(total, {"a": (["g1", "g2", "無回答"], counts)}, LEVELS, min_count=3)
    # row g1 needs a second hidden cell: the non-response cell 無回答 (2) is the cheapest; column B
    # needs one too: g2's B (8) is the only non-total candidate left (the unknown row's B is 0, a
    # zero comes last but is cheaper than the 全体 cell); column 無回答 then holds g1 alone and takes
    # the next cheapest non-response cell
    hidden = masks["a"]
    assert hidden[0].tolist() == [False, True, False, True]
    assert not masks[None].any()                          # the 全体 row is never needed here
    for line in [*hidden, *hidden.T]:
        assert line.sum() != 1
    for j in range(len(LEVELS)):                          # column with the 全体 cell
        assert hidden[:, j].sum() + masks[None][j] != 1


def test_non_response_alone_hides_nothing():
    counts = np.array([[16, 29, 25, 2], [20, 48, 50, 1]])
    masks = suppress_family(counts.sum(axis=0), {"age": (["18〜29歳", "30〜39歳"], counts)}, LEVELS, min_count=3)
    assert not masks["age"].any() and not masks[None].any()


def test_linked_tables_share_the_total_row():
    # the same question by two attributes: a total cell hidden for one is hidden for the other
    by_a = np.array([[1, 5, 5, 0], [1, 6, 7, 0]])          # A: 1 and 1 (primary in both rows)
    by_b = np.array([[2, 11, 12, 0]])                      # one group holding everybody
    masks = suppress_family(by_a.sum(axis=0), {"a": (["x1", "x2"], by_a), "b": (["y1"], by_b)},
                            LEVELS, min_count=3)
    # b's only group equals the total row: its A (2) is primary, so the column A of table b (total +
    # y1) needs the total's A hidden too -- and then table a's column A holds three hidden cells
    assert masks["b"][0, 0] and masks[None][0]
    assert masks["a"][:, 0].all()


def test_a_printed_part_of_a_row_is_a_line_and_a_published_cell_never_hides():
    counts = np.array([[4, 5, 1, 0]])        # the index counts A, B, C (n = 10 printed)
    masks = suppress_family(counts.sum(axis=0), {"d": (["内間木"], counts)}, LEVELS, min_count=3,
                            subsets=[{"A", "B", "C"}])
    # C = 1 is primary; within the scored part {A, B, C} the complement is A (4, the smallest);
    # 無回答 alone is the rest of the row, printed as base − n, so it is never hidden
    assert masks["d"][0].tolist() == [True, False, True, False]


def test_min_count_one_hides_nothing():
    counts = np.array([[1, 1, 1, 1]])
    masks = suppress_family(counts.sum(axis=0), {"a": (["g"], counts)}, LEVELS, min_count=1)
    assert not masks["a"].any()


def test_rule_text_names_the_threshold():
    assert rule_text(3).startswith("秘匿の規則：回答者数（重みなし）が1〜2人のセル")
    assert "無回答のセル" in rule_text(5) and "1〜4人" in rule_text(5)


def test_small_cells_on_the_bundled_wave_against_its_cross_table(bundled_run, questionnaire):
    design = bundled_run.design

    def crosstab(column, by):      # as the run gives it: the codes named (WaveContext.crosstab)
        return label_frame(crosstab_question(design.data, design.weights.to_numpy(), questionnaire, column, by),
                           questionnaire)

    cells = SmallCells(crosstab, ["age_band", "district", "sex"], min_count=3)
    hidden = cells.hidden("satisfaction", "district")
    long = cells.crosstab("satisfaction", "district")
    n = long.pivot(index="group", columns="level", values="n").loc[hidden.index, hidden.columns]
    # every primary cell (1-2 respondents, an answer by a stated group) is hidden
    primary = (n > 0) & (n < 3)
    primary.loc["無回答", :] = False
    primary.loc[:, "無回答"] = False
    assert hidden[primary].stack().all()
    assert hidden.loc["内間木", "どちらともいえない"] and hidden.loc["内間木", "わからない"]
    assert isinstance(cells.family("k", {None: pd.Series([1, 9], index=["p", "q"]),
                                         "a": pd.DataFrame([[1, 4], [0, 5]], index=["g", "h"], columns=["p", "q"])},
                                   ["p", "q"])[None], pd.Series)
