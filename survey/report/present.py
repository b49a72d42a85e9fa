"""Presentation helpers shared by the report's tables: rounding, intervals as text.

Each section of ``survey run`` (:mod:`survey.pipeline.sections`) presents
its own tables with these: numbers rounded once (percentages to one decimal
on a 0–100 scale, yen to whole yen, indices to three decimals), intervals as
``low〜high`` text, and headings that say whether a figure is weighted or
unweighted.  A table declares the kind of figure of its columns where the
values alone do not tell (percentages, yen, p-values:
:func:`survey.report.format.with_kinds`, :func:`p_values`), so the workbook
holds numbers with number formats and the CSV and HTML show ``<0.001`` for
a small p-value.  Questions are named by their heading in the questionnaire
(:func:`question_title`), never by their id.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.report.format import p_values, with_kinds

__all__ = ["pct", "rounded", "signed", "ci_text", "diagnostics_table", "question_title", "p_values", "with_kinds"]


def question_title(questionnaire, column: str) -> str:
    """The heading a planner reads for a question id or a tidy column.

    A question is its ``header`` (``問6 みどりの満足度``); an item of a
    matrix is the question's header and the item's label
    (``問8 みどりのチカラの重要度：雨水の浸透・貯留``); a ranking, which the
    frequency tables show by its first choice, says so (``…（1位）``).
    """
    if column in questionnaire:
        q = questionnaire[column]
        return f"{q.header}（1位）" if q.type == "ranking" else q.header
    q = questionnaire.question_of(column)
    item = next(it for it in q.items if it.column == column)
    return f"{q.header}：{item.label}"


def pct(x):
    """0–1 share → percentage with one decimal (NaN stays NaN)."""
    return np.round(100 * np.asarray(x, dtype=float), 1)


def rounded(x, digits):
    """Numbers rounded to ``digits`` decimals (NaN stays NaN)."""
    return np.round(np.asarray(x, dtype=float), digits)


def signed(value: float, digits: int) -> str:
    """A number for running text: negatives with the minus sign U+2212, so a
    range such as −0.03〜0.06 never starts like a spreadsheet formula."""
    text = f"{value:.{digits}f}"
    return "\u2212" + text[1:] if text.startswith("-") else text


def ci_text(low, high, *, digits=2, scale=1.0) -> list[str]:
    return [("" if np.isnan(a) or np.isnan(b) else f"{signed(a * scale, digits)}〜{signed(b * scale, digits)}")
            for a, b in zip(np.asarray(low, dtype=float), np.asarray(high, dtype=float))]


def diagnostics_table(diag) -> pd.DataFrame:
    """Weighting diagnostics (``Design.diagnostics()``) in Japanese."""
    names = [("n", "回答者数"), ("sum", "重みの合計（母集団）"), ("kish_deff", "デザイン効果（Kish）"),
             ("n_effective", "有効標本サイズ"), ("cv", "重みの変動係数"), ("min", "重みの最小値"),
             ("q05", "重みの5%点"), ("median", "重みの中央値"), ("q95", "重みの95%点"), ("max", "重みの最大値"),
             ("max_min_ratio", "最大/最小"), ("n_iter", "レイキングの反復回数"),
             ("max_margin_error", "周辺度数の最大誤差")]
    rows = []
    for key, label in names:
        if key in diag.index:
            v = float(diag[key])
            rows.append((label, float(f"{v:.3g}") if key == "max_margin_error" else
                         (int(round(v)) if key in ("n", "sum", "n_iter", "n_effective") else round(v, 3))))
    return pd.DataFrame(rows, columns=["項目", "値"], dtype=object)  # numbers stay numbers (a number format each)
