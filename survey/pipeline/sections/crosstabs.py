"""The cross-table section (kind ``crosstabs``, sheet クロス集計).

Every coded question (single, likert and its items, multi, ranking) × each
``by`` attribute (the plan's groups): 上段 the unweighted n, 下段 the
weighted row %, bases under 30 marked ``*``, small cells hidden as the
run's one suppression decides (:class:`survey.report.disclosure.SmallCells`:
the same cells in every table of the report).  The tidy form goes to
``<sheet>.csv``.
"""
from __future__ import annotations

import pandas as pd

from survey.measures.tables.tabulate import crosstab_question
from survey.pipeline.base import SectionResult
from survey.report.crosstab import LONG_COLUMNS, crosstab_block, crosstab_long
from survey.report.format import UNWEIGHTED, WEIGHTED
from survey.report.labels import label_frame
from survey.report.present import question_title
from survey.report.tableinfo import Measure, describe
from survey.report.prose import prose

__all__ = ["build", "cross_tables"]

CROSS_TYPES = ("single", "likert", "multi", "ranking")


def cross_tables(design, questionnaire, by, min_cell: int, cells=None):
    """``([(caption, block)], long frame)`` of every coded question × each ``by`` attribute.
    ``cells``: the run's :class:`~survey.report.disclosure.SmallCells` (the same hidden cells as
    every other table of the report); without it each table is suppressed on its own."""
    blocks, longs = [], []
    data, w = design.data, design.weights.to_numpy()
    for q in questionnaire.questions:
        if q.attribute or q.type not in CROSS_TYPES:
            continue
        columns = [it.column for it in q.items] if (q.type == "likert" and q.items) else [q.id]
        for column in columns:
            for attribute in by:
                if cells is None:
                    long, hidden = label_frame(crosstab_question(data, w, questionnaire, column, attribute),
                                               questionnaire), None
                else:
                    long, hidden = cells.crosstab(column, attribute), cells.hidden(column, attribute)
                # headings, never ids (issue 16 item 11): 問8 みどりのチカラの重要度：雨水の浸透・貯留 × 問3 地区
                title, by_title = question_title(questionnaire, column), questionnaire[attribute].header
                blocks.append((f"{title} × {by_title}", crosstab_block(long, min_count=min_cell, hidden=hidden)))
                longs.append(crosstab_long(long, min_count=min_cell, question=title, by=by_title, hidden=hidden))
    return blocks, pd.concat(longs, ignore_index=True)


def build(spec, ctx) -> SectionResult:
    cells = ctx.small_cells
    blocks, long = cross_tables(ctx.design, ctx.questionnaire, spec.by, ctx.min_cell, cells=cells)
    question, side, group, level, n, share, base = LONG_COLUMNS
    describe(long, base=prose("sections.crosstabs.base"),
             dims={question: "設問", side: "区分", group: "グループ", level: "項目"},
             values={n: Measure(f"回答者数{UNWEIGHTED}", "人"), share: Measure(f"割合{WEIGHTED}", "%"),
                     base: Measure(f"基数{UNWEIGHTED}", "人")})
    note = prose("sections.crosstabs.note", rule=cells.rule)
    return SectionResult(title=spec.get("title", prose("sections.crosstabs.title")),
                         blocks=tuple(blocks), notes=(note,),
                         files={"{sheet}": (prose("sections.crosstabs.file_title"), long)})
