"""クロス集計 layout and small-cell suppression.

Layout (the Japanese tabulation-shop convention): one block per question ×
attribute (表側); per group two lines — 上段 the unweighted count n, 下段 the
weighted row % — with the base n in front. A base under ``small_base`` (30)
is marked ``*`` (percentages on so few respondents are unstable).

Suppression rules (documented in README "Privacy"):

1. a cell whose unweighted count is between 1 and ``min_count − 1`` is
   suppressed (shown as ``x``), its % too;
2. complementary suppression: a row (group) or a column (level) with exactly
   one suppressed cell would let the value be recovered by subtraction from
   the base or from the grand total, so the smallest other non-zero cell of
   that row/column is suppressed as well; repeated until no row or column
   has a single suppressed cell.

Zero cells are shown (``-``): a zero reveals nothing about a person.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.report.format import fmt_count, fmt_percent

__all__ = ["suppression_mask", "crosstab_block", "crosstab_long", "SUPPRESSED", "SMALL_BASE_MARK"]

SUPPRESSED = "x"
SMALL_BASE_MARK = "*"


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


def crosstab_block(long: pd.DataFrame, *, min_count: int = 0, small_base: int = 30) -> pd.DataFrame:
    """Two-line layout of one question × attribute from
    :func:`survey.measures.frequencies.crosstab_question` output."""
    groups = list(dict.fromkeys(long["group"]))
    levels = list(dict.fromkeys(long["level"]))
    n = long.pivot(index="group", columns="level", values="n").loc[groups, levels]
    pct = long.pivot(index="group", columns="level", values="percent").loc[groups, levels]
    base = long.groupby("group", sort=False)["base_n"].first().loc[groups]
    hidden = suppression_mask(n.to_numpy(), min_count)
    rows = []
    for i, g in enumerate(groups):
        b = int(base[g])
        mark = SMALL_BASE_MARK if 0 < b < small_base else ""
        top = {"表側": f"{g}{mark}", "": "n", "基数": fmt_count(b)}
        bottom = {"表側": "", "": "%", "基数": "100.0" if b else ""}
        for j, lev in enumerate(levels):
            if hidden[i, j]:
                top[lev] = SUPPRESSED
                bottom[lev] = SUPPRESSED
            else:
                top[lev] = fmt_count(n.iloc[i, j])
                bottom[lev] = fmt_percent(pct.iloc[i, j]) if b else ""
        rows.extend([top, bottom])
    return pd.DataFrame(rows, columns=["表側", "", "基数", *levels])


def crosstab_long(long: pd.DataFrame, *, min_count: int = 0) -> pd.DataFrame:
    """The tidy (CSV) form of a cross table with the same suppression as
    :func:`crosstab_block`: suppressed ``n`` and ``percent`` are blank and
    ``suppressed`` is True."""
    groups = list(dict.fromkeys(long["group"]))
    levels = list(dict.fromkeys(long["level"]))
    n = long.pivot(index="group", columns="level", values="n").loc[groups, levels]
    hidden = pd.DataFrame(suppression_mask(n.to_numpy(), min_count), index=groups, columns=levels)
    out = long.copy()
    flags = np.array([hidden.loc[g, lev] for g, lev in zip(out["group"], out["level"])], dtype=bool)
    out["n"] = pd.Series([None if f else int(v) for v, f in zip(out["n"], flags)], index=out.index, dtype=object)
    pct = (100 * out["percent"]).round(1)
    out["percent"] = pd.Series([None if f else float(v) for v, f in zip(pct, flags)], index=out.index, dtype=object)
    out["suppressed"] = flags
    return out
