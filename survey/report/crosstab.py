"""クロス集計 layout and small-cell suppression.

Layout (the Japanese tabulation-shop convention): one block per question ×
attribute (表側); per group two lines — 上段 the unweighted count n, 下段 the
weighted row % — with the base n in front. A base under ``small_base`` (30)
is marked ``*`` (percentages on so few respondents are unstable).

Suppression: ``survey run`` decides which cells to hide once for the whole
report (:class:`survey.report.disclosure.SmallCells`: cells of 1 to
``min_count − 1`` respondents, and complementary cells across every table
that shows a cell of the question) and passes the decision in (``hidden=``).
Without it a single table is suppressed on its own
(:func:`suppression_mask`):

1. a cell whose unweighted count is between 1 and ``min_count − 1`` is
   suppressed (shown as ``x``), its % too;
2. complementary suppression: a row (group) or a column (level) with exactly
   one suppressed cell would let the value be recovered by subtraction from
   the base or from the grand total, so the smallest other non-zero cell of
   that row/column is suppressed as well; repeated until no row or column
   has a single suppressed cell.

Zero cells are shown (``-``): a zero reveals nothing about a person.

Cells are numbers (issue 16 item 9): counts are integers, percentages
floats rounded to one decimal, and the block declares its level columns
``percent`` (:func:`survey.report.format.with_kinds`), so the workbook shows
``#,##0`` (``-`` for zero) on the n line and ``0.0`` on the % line; only a
suppressed cell is text (``x``).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from survey.report.format import with_kinds
from survey.report.prose import prose

__all__ = ["suppression_mask", "cell_grid", "crosstab_block", "crosstab_long", "SUPPRESSED", "SMALL_BASE",
           "SMALL_BASE_MARK", "LONG_COLUMNS", "is_small_base", "mark_small_base", "unmark_small_base", "has_small_base", "small_base_note",
           "small_base_sheet_note"]

#: Columns of the tidy cross table (クロス集計.csv), see :func:`crosstab_long`.
LONG_COLUMNS = ("設問", "表側", "区分", "選択肢", "回答者数 n（重みなし）", "%（重み付け）", "基数 n（重みなし）")

SUPPRESSED = "x"
#: A group whose base (its unweighted respondents in the table) is under this is marked: one
#: threshold for every table of the report (cross tables, index, park use, allocation, ranking,
#: drivers, free text).
SMALL_BASE = 30
SMALL_BASE_MARK = "*"
_MARKED = re.compile(re.escape(SMALL_BASE_MARK) + r"(?=$| − )")


def is_small_base(n) -> bool:
    """Whether a base of ``n`` respondents is marked (1 to :data:`SMALL_BASE` − 1; none or 0: not)."""
    return n is not None and n == n and 0 < float(n) < SMALL_BASE


def mark_small_base(label, n) -> str:
    """``label`` with :data:`SMALL_BASE_MARK` when its base ``n`` is small (``内間木*``)."""
    return f"{label}{SMALL_BASE_MARK}" if is_small_base(n) else str(label)


def unmark_small_base(label: str) -> tuple[str, bool]:
    """A printed group label without its marks (at its end, or before a comparison's `` − ``)
    and whether it had one: ``'内間木* − 北部'`` → ``('内間木 − 北部', True)``."""
    text, count = _MARKED.subn("", label)
    return text, count > 0


def has_small_base(*labels) -> bool:
    """Whether any of ``labels`` (sequences of printed labels or headings) carries a mark."""
    return any(isinstance(v, str) and _MARKED.search(v) for seq in labels for v in seq)


def small_base_note() -> str:
    """The note under a table with marked groups (``small_base.note`` of the prose catalogue)."""
    return prose("small_base.note", threshold=SMALL_BASE)


def small_base_sheet_note(captions) -> str:
    """The sheet's note naming its tables with marked groups (「満足度指数」・「回答分布」の * は…)."""
    return prose("small_base.sheet_note", tables="・".join(f"「{c}」" for c in captions), threshold=SMALL_BASE)


def suppression_mask(counts, min_count: int) -> np.ndarray:
    """Cells to hide in a 2-D table of counts (primary + complementary)."""
    counts = np.asarray(counts, dtype=float)
    if min_count <= 1:
        return np.zeros(counts.shape, dtype=bool)
    mask = (counts > 0) & (counts < min_count)
    changed = True
    while changed:
        changed = False
        for axis in (1, 0):
            singles = np.flatnonzero(mask.sum(axis=axis) == 1)
            for k in singles:
                line = counts[k] if axis == 1 else counts[:, k]
                hidden = mask[k] if axis == 1 else mask[:, k]
                candidates = np.flatnonzero((line > 0) & ~hidden)
                if len(candidates) == 0:
                    continue
                pick = candidates[np.argmin(line[candidates])]  # first of equals: deterministic
                if axis == 1:
                    mask[k, pick] = True
                else:
                    mask[pick, k] = True
                changed = True
    return mask


def _hidden(n: pd.DataFrame, min_count: int, hidden) -> np.ndarray:
    """The cells to hide: ``hidden`` (groups × levels, from the run's
    :class:`survey.report.disclosure.SmallCells`) when given, else this table's own
    :func:`suppression_mask`."""
    if hidden is None:
        return suppression_mask(n.to_numpy(), min_count)
    return hidden.loc[list(n.index), list(n.columns)].to_numpy(dtype=bool)


def cell_grid(long: pd.DataFrame):
    """A long cross table (one row per group and level, as
    :func:`~survey.measures.tables.tabulate.crosstab_question` returns it) as a grid: the
    groups and levels in order of appearance, each row's group and level position, and the
    counts ``n`` as a groups × levels array (NaN for a cell the table lacks)."""
    g, groups = pd.factorize(long["group"], sort=False)
    lv, levels = pd.factorize(long["level"], sort=False)
    groups, levels = list(groups), list(levels)
    if len(set(zip(g.tolist(), lv.tolist()))) != len(long):
        raise ValueError("the cross table has a group and level twice; give one row per cell")
    n = np.full((len(groups), len(levels)), np.nan)
    n[g, lv] = long["n"].to_numpy(dtype=float)
    return groups, levels, g, lv, n


def _grid(long: pd.DataFrame):
    """:func:`cell_grid` with the counts as a groups × levels frame."""
    groups, levels, g, lv, n = cell_grid(long)
    return groups, levels, g, lv, pd.DataFrame(n, index=groups, columns=levels)


def crosstab_block(long: pd.DataFrame, *, min_count: int = 0, small_base: int = SMALL_BASE, hidden=None) -> pd.DataFrame:
    """Two-line layout of one question × attribute from
    :func:`survey.measures.tables.tabulate.crosstab_question` output.  ``hidden``: the cells
    to suppress (a boolean DataFrame, groups × levels) decided for the whole report;
    without it, this table alone is suppressed at ``min_count``."""
    groups, levels, g, lv, n = _grid(long)
    pct = np.full(n.shape, np.nan)
    pct[g, lv] = long["percent"].to_numpy(dtype=float)
    first = np.unique(g, return_index=True)[1]          # the first row of each group
    base = long["base_n"].to_numpy()[first]
    hidden = _hidden(n, min_count, hidden)
    counts = n.to_numpy()
    rows = []
    for i, group in enumerate(groups):
        b = int(base[i])
        mark = SMALL_BASE_MARK if 0 < b < small_base else ""
        top = {"表側": f"{group}{mark}", "": "n", "基数": b}
        bottom = {"表側": "", "": "%", "基数": 100.0 if b else None}
        for j, lev in enumerate(levels):
            if hidden[i, j]:
                top[lev] = SUPPRESSED
                bottom[lev] = SUPPRESSED
            else:
                top[lev] = int(counts[i, j])
                bottom[lev] = round(100 * float(pct[i, j]), 1) if b else None
        rows.extend([top, bottom])
    block = pd.DataFrame(rows, columns=["表側", "", "基数", *levels], dtype=object)
    return with_kinds(block, {c: "percent" for c in ["基数", *levels]})


def crosstab_long(long: pd.DataFrame, *, min_count: int = 0, question: str | None = None,
                  by: str | None = None, hidden=None) -> pd.DataFrame:
    """The tidy (CSV) form of a cross table, columns :data:`LONG_COLUMNS`,
    with the same suppression as :func:`crosstab_block`: a suppressed cell's
    n and % are ``x``.  ``question`` and ``by`` are the headings shown for the
    question and the attribute (default: the ids in ``long``); ``hidden`` as in
    :func:`crosstab_block`."""
    _groups, _levels, g, lv, n = _grid(long)
    flags = _hidden(n, min_count, hidden)[g, lv]
    pct = (100 * long["percent"].astype(float)).round(1)
    out = pd.DataFrame({
        LONG_COLUMNS[0]: long["question"].to_numpy() if question is None else question,
        LONG_COLUMNS[1]: long["by"].to_numpy() if by is None else by,
        LONG_COLUMNS[2]: long["group"].to_numpy(),
        LONG_COLUMNS[3]: long["level"].to_numpy(),
        LONG_COLUMNS[4]: pd.Series([SUPPRESSED if f else int(v) for v, f in zip(long["n"], flags)], dtype=object),
        LONG_COLUMNS[5]: pd.Series([SUPPRESSED if f else (None if np.isnan(v) else float(v)) for v, f in zip(pct, flags)],
                                   dtype=object),
        LONG_COLUMNS[6]: long["base_n"].astype(int).to_numpy(),
    })
    return with_kinds(out, {LONG_COLUMNS[5]: "percent"})
