"""The tally section (kind ``tally``, sheet 単純集計): every question's answers.

Weighted % and unweighted n of every answer of every question, with the
base (:func:`survey.measures.tables.tabulate.frequencies`); 無回答 is a level,
multi-answer shares have the respondents as base.  Written as ``<sheet>.csv``.
A cell hidden by the run's small-cell suppression (the 全体 row of the
question's cross tables) shows ``x`` here too.
"""
from __future__ import annotations

import pandas as pd

from survey.measures.tables.tabulate import frequencies
from survey.pipeline.base import HIDDEN, TOTAL, SectionResult
from survey.report.format import UNWEIGHTED, WEIGHTED, with_kinds
from survey.report.labels import label_frame
from survey.report.present import question_title
from survey.report.tableinfo import Measure, describe
from survey.report.prose import prose

__all__ = ["build", "tally_table"]


def tally_table(freq: pd.DataFrame, questionnaire, cells=None) -> pd.DataFrame:
    """Questions by their heading, never their id (issue 16 item 11); % a number to one decimal.
    ``cells``: the run's :class:`~survey.report.disclosure.SmallCells`; a hidden cell of the
    whole-sample row (the cross tables' 全体) shows ``x`` here too.  ``freq`` holds the answers'
    codes (:func:`~survey.measures.tables.tabulate.frequencies`); they are named here."""
    freq = label_frame(freq, questionnaire, columns=["code"])
    out = freq[["question", "label", "n", "percent", "base_n"]].copy().astype({"n": object})
    out["percent"] = pd.Series((100 * out["percent"]).round(1).tolist(), index=out.index, dtype=object)
    if cells is not None:
        masks: dict = {}      # each question's whole-sample row, looked up once
        flags = [_hidden(cells, questionnaire, q, masks, label) for q, label in zip(out["question"], out["label"])]
        out.loc[flags, ["n", "percent"]] = HIDDEN
    out["question"] = [question_title(questionnaire, q) for q in out["question"]]
    out.columns = ["設問", "選択肢", f"回答者数 n{UNWEIGHTED}", f"%{WEIGHTED}", f"基数 n{UNWEIGHTED}"]
    return with_kinds(out, {f"%{WEIGHTED}": "percent"})


def _hidden(cells, questionnaire, column: str, masks: dict, label: str) -> bool:
    """Is the whole-sample cell hidden?  (Each question's row is looked up once, kept in
    ``masks``.)  An attribute's counts are the bases every table prints, so they are never hidden."""
    if column not in masks:
        q = questionnaire[column] if column in questionnaire else questionnaire.question_of(column)
        masks[column] = None if q.attribute else cells.hidden(column, None).loc[TOTAL].to_dict()
    return False if masks[column] is None else bool(masks[column][label])


def build(spec, ctx) -> SectionResult:
    table = tally_table(frequencies(ctx.design.data, ctx.design.weights.to_numpy(), ctx.questionnaire),
                        ctx.questionnaire, ctx.small_cells)
    describe(table, base=prose("sections.tally.base"),
             dims={"設問": "設問", "選択肢": "項目"}, values={
                 f"回答者数 n{UNWEIGHTED}": Measure(f"回答者数{UNWEIGHTED}", "人"),
                 f"%{WEIGHTED}": Measure(f"割合{WEIGHTED}", "%"), f"基数 n{UNWEIGHTED}": Measure(f"基数{UNWEIGHTED}", "人")})
    note = prose("sections.tally.note", weighted=WEIGHTED, unweighted=UNWEIGHTED)
    return SectionResult(title=spec.get("title", "単純集計"), blocks=(("", table),), notes=(note,),
                         files={"{sheet}": ("全設問の回答分布（単純集計）", table)})
