"""The free-text tables' cells under the run's one small-cell rule.

Two families of cells (:meth:`survey.report.disclosure.SmallCells.family`), each with the
run's rule — 1 to ``min_count − 1`` respondents hidden, complements so that nothing can be
recovered by subtraction:

* **themes**: the respondents of a group who mention a theme (a comment may have several
  themes, so a group's themes add up to nothing printed; only the columns over the groups
  add up to the 全体 cell);
* **comments** (記入状況): the respondents of a group who wrote a comment and those who did not.
  The two add up to the group's printed number of respondents, so 1–2 non-writers are as
  visible as 1–2 writers (a group of 40 with 38 writers), and the writers of each column add
  up to the 全体 row.  A group with a hidden cell shows ``x`` for its number of writers, its
  comment rate and the rate's interval, and wherever else the report prints its number of
  comments (the theme table's last row, the characteristic words' 記述数, the open data).

The estimator's tables come in with their groups named
(:func:`survey.report.labels.label_frame`); the decision is stored in a ``hidden`` column of
``themes`` and of ``summary``, which :mod:`survey.report.freetext_section` reads.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from survey.labels import TOTAL_LABEL

__all__ = ["comments_hidden", "suppress_freetext"]

#: The two cells of a group in 記入状況: who wrote a comment and who did not.
_WROTE, _DID_NOT = "wrote", "did_not"


def suppress_freetext(tables, cells, *, question: str):
    """``tables`` (:class:`~survey.measures.freetext.analyse.FreeTextTables`, groups named) with
    a ``hidden`` column in ``themes`` and in ``summary``, decided by ``cells`` (the run's
    :class:`~survey.report.disclosure.SmallCells`); ``question`` keys the families."""
    return replace(tables, themes=_themes(tables.themes, cells, question),
                   summary=_comments(tables.summary, cells, question))


def _themes(th: pd.DataFrame, cells, question: str) -> pd.DataFrame:
    themes = list(dict.fromkeys(th["theme"]))
    total = th[th["by"] == TOTAL_LABEL].set_index("theme")["mentions"].reindex(themes).fillna(0)
    counts = {None: total}
    for name, sub in th[th["by"] != TOTAL_LABEL].groupby("by", sort=False):
        counts[name] = sub.pivot_table(index="group", columns="theme", values="mentions", sort=False,
                                       aggfunc="sum").reindex(columns=themes).fillna(0)
    masks = cells.family(f"{question}:themes", counts, themes)
    hidden = [bool(masks[None].loc[t]) if b == TOTAL_LABEL else bool(masks[b].loc[g, t])
              for b, g, t in zip(th["by"], th["group"], th["theme"])]
    return th.assign(hidden=hidden)


def _comments(summary: pd.DataFrame, cells, question: str) -> pd.DataFrame:
    """The writers and non-writers of each group (only the printed groups: the respondents
    whose attribute is unknown have no row of 記入状況)."""
    def grid(frame):
        wrote = frame["comments"].to_numpy(dtype=float)
        return pd.DataFrame({_WROTE: wrote, _DID_NOT: frame["respondents"].to_numpy(dtype=float) - wrote},
                            index=list(frame["group"]))

    total = summary[summary["by"] == TOTAL_LABEL]
    if total.empty:
        return summary.assign(hidden=False)
    counts = {None: grid(total).iloc[0]}
    for name, sub in summary[summary["by"] != TOTAL_LABEL].groupby("by", sort=False):
        counts[name] = grid(sub)
    masks = cells.family(f"{question}:comments", counts, [_WROTE, _DID_NOT], rows_add=True)
    hidden = [bool(masks[None].any()) if b == TOTAL_LABEL else bool(masks[b].loc[g].any())
              for b, g in zip(summary["by"], summary["group"])]
    return summary.assign(hidden=hidden)


def comments_hidden(tables) -> set:
    """``{(by, group)}`` whose number of comments the report hides (``summary``'s ``hidden``)."""
    s = tables.summary
    if "hidden" not in s.columns:
        return set()
    s = s[s["hidden"].astype(bool)]
    return set(zip(s["by"], s["group"]))
