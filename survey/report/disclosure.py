"""Small-cell suppression for a whole report: one rule, one answer per cell, in every table.

A *cell* is the number of respondents (unweighted) who gave one answer in one
group: 18〜29歳 × そう思う.  The same cell is printed in many places — the
cross table (its count and row %), the tally (the 全体 row), the answer
distribution and its chart, a share in the park-use or ranking table — often
as a percentage on another base.  A count hidden in one table and printed as
a percentage in another is not hidden (the base n is printed beside it), so
one :class:`SmallCells` decides for the whole run and every table asks it.

The rule (:func:`rule_text` says it in the report):

1. **Primary**: a cell of 1 to ``min_count − 1`` respondents is hidden, its
   count and every percentage of it, wherever printed.  Zero is shown (a
   zero describes nobody).  Cells of non-response — the 無回答 answer, and
   the group of respondents whose attribute is unknown (also 無回答) — are
   not hidden for their own sake: they state no answer and describe no group
   a reader could recognise (the 18〜29歳 answers used to vanish because 2
   people of that age left the question blank).
2. **Complementary**: the tables of one question are linked — the 全体 row
   (shared by the tally and every cross table) and, for each attribute, one
   row per group.  Every line whose cells add up to a printed figure — a
   group's row to its base n, an answer's column over the groups to its
   全体 cell, the 全体 row to the number of respondents — that holds exactly
   one hidden cell would give it away by subtraction, so a second cell of
   the line is hidden: the cheapest — never a 全体 cell while another will
   do, preferably one whose other line already holds a hidden cell (it
   closes both), a non-response cell before an answer, then the smallest
   count (a zero last).  Repeated over all the linked tables until no line
   has exactly one hidden cell.

Derived cells that no cross table shows (the top-k inclusion of a ranking, a
free-text theme by group) are a family of their own
(:meth:`SmallCells.family`), with the same rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.labels import NO_ANSWER_LABEL, TOTAL_LABEL
from survey.report.crosstab import cell_grid
from survey.report.prose import prose

__all__ = ["SmallCells", "rule_text", "suppress_family", "HIDDEN"]

#: What a hidden count or percentage shows.
HIDDEN = "x"


def rule_text(min_count: int) -> str:
    """The rule, for the report's notes and methods (Japanese: ``disclosure.rule`` of the prose catalogue)."""
    return prose("disclosure.rule", largest=min_count - 1)


@dataclass
class _Family:
    """One question's linked tables: the 全体 row and each attribute's group rows."""

    levels: list
    total: np.ndarray                                  # counts of the 全体 row, per level
    tables: dict = field(default_factory=dict)         # by -> (groups, counts [g, l])
    masks: dict = field(default_factory=dict)          # by -> hidden [g, l]; None -> 全体 row


def suppress_family(total, tables: dict, levels, *, min_count: int, subsets=(), rows_add: bool = True,
                    unknown_level=NO_ANSWER_LABEL, unknown_group=NO_ANSWER_LABEL) -> dict:
    """Primary and complementary suppression over linked tables (see the module docstring).

    Parameters
    ----------
    total : array (levels,)
        Counts of the whole-sample row.
    tables : dict
        ``{by: (groups, counts)}``: each attribute's group labels and counts
        ``(groups, levels)``; the groups of an attribute add up to ``total``.
    levels : list
        Level labels (columns).
    subsets : sequence of sets of level labels
        Parts of a row whose sum the report prints too (an index's n counts
        the scored answers; a share of the answering respondents has the
        answers without 無回答 as its base): each is a line of every row, and
        so is the rest of the row.  A line of one cell publishes that cell,
        which is then never used to hide another.
    rows_add : bool
        Whether a row adds up to a printed base (False for cells that
        overlap, such as the items of a top-k ranking).

    Returns
    -------
    dict
        ``{None: hidden levels of the total row, by: hidden (groups, levels)}``.
    """
    levels = list(levels)
    total = np.asarray(total, dtype=float)
    unknown_col = np.array([lev == unknown_level for lev in levels])
    # every cell once: (table, row, col); table None is the 全体 row
    cells, counts, low = [], [], []
    index = {}
    rows = [(None, 0, unknown_level)]
    for j in range(len(levels)):
        index[(None, 0, j)] = len(cells)
        cells.append((None, 0, j))
        counts.append(total[j])
        low.append(bool(unknown_col[j]))
    for by, (groups, c) in tables.items():
        c = np.asarray(c, dtype=float)
        for i, g in enumerate(groups):
            rows.append((by, i, g))
            for j in range(len(levels)):
                index[(by, i, j)] = len(cells)
                cells.append((by, i, j))
                counts.append(c[i, j])
                low.append(bool(unknown_col[j]) or g == unknown_group)
    counts = np.array(counts)
    low = np.array(low)
    hidden = np.zeros(len(cells), dtype=bool)
    if min_count > 1:
        hidden = (counts > 0) & (counts < min_count) & ~low
    parts = [list(range(len(levels)))] if rows_add else []
    for subset in subsets:
        inside = [j for j, lev in enumerate(levels) if lev in subset]
        parts += [inside, [j for j in range(len(levels)) if j not in inside]]
    lines = [[index[(by, i, j)] for j in part] for by, i, _g in rows for part in parts if part]
    for by, (groups, _c) in tables.items():
        for j in range(len(levels)):
            lines.append([index[(None, 0, j)]] + [index[(by, i, j)] for i in range(len(groups))])
    published = np.zeros(len(cells), dtype=bool)     # a line of one cell prints it
    for line in lines:
        if len(line) == 1:
            published[line[0]] = True
    hidden &= ~published
    lines = [np.array(line) for line in lines if len(line) > 1]
    member = [[] for _ in cells]                       # the lines each cell is in
    for n_line, line in enumerate(lines):
        for k in line:
            member[k].append(n_line)
    is_total = np.array([c[0] is None for c in cells])
    changed = hidden.any()
    while changed:
        changed = False
        for n_line, line in enumerate(lines):
            if hidden[line].sum() != 1:
                continue
            open_ = line[~hidden[line] & ~published[line]]
            if not len(open_):
                continue
            pick = min(open_, key=lambda k: _cost(k, n_line, lines, member, hidden, is_total, low, counts))
            hidden[pick] = True
            changed = True
    return _masks(hidden, index, tables, len(levels))
def _masks(hidden, index, tables, n_levels) -> dict:
    out = {None: np.array([hidden[index[(None, 0, j)]] for j in range(n_levels)])}
    for by, (groups, _c) in tables.items():
        out[by] = np.array([[hidden[index[(by, i, j)]] for j in range(n_levels)] for i in range(len(groups))],
                           dtype=bool).reshape(len(groups), n_levels)
    return out


def _cost(k, n_line, lines, member, hidden, is_total, low, counts) -> tuple:
    """How much hiding cell ``k`` (to protect line ``n_line``) costs, smallest first: a cell of the
    全体 row last (the tally and every cross table show it); then the fewest new lines with a
    single hidden cell (a cell whose other line already has one hidden closes two lines at once);
    then a non-response cell, a non-zero count before a zero, the smallest count, the position."""
    other = [m for m in member[k] if m != n_line]
    opened = sum(1 for m in other if hidden[lines[m]].sum() == 0)
    closed = sum(1 for m in other if hidden[lines[m]].sum() == 1)
    return (bool(is_total[k]), opened - closed, not low[k], counts[k] == 0, counts[k], k)


class SmallCells:
    """The run's small-cell suppression (see the module docstring).

    Parameters
    ----------
    crosstab : callable
        ``crosstab(column, by)``: the wave's weighted cross table of a question by an
        attribute, as :func:`~survey.measures.tables.tabulate.crosstab_question` returns it
        (the pipeline passes the wave's design and questionnaire; the report computes nothing).
    attributes : sequence of str
        Every attribute a table of the report breaks a question down by (the
        plan's groups and the sections' ``by``): the linked tables of a
        question.
    min_count : int
        ``--min-cell``: counts below it are hidden (1: nothing is).
    subsets : dict, optional
        ``{column: [set of level labels, ...]}``: parts of a row whose sum the
        report prints elsewhere (see :func:`suppress_family`).
    """

    def __init__(self, crosstab, attributes, *, min_count: int, subsets=None):
        self._crosstab = crosstab
        self.attributes = tuple(dict.fromkeys(attributes))
        self.min_count = int(min_count)
        self.subsets = {k: [frozenset(v) for v in vs] for k, vs in (subsets or {}).items()}
        self._families: dict = {}
        self._long: dict = {}

    @property
    def rule(self) -> str:
        return rule_text(self.min_count)

    def crosstab(self, column: str, by: str) -> pd.DataFrame:
        """:func:`~survey.measures.tables.tabulate.crosstab_question` of ``column`` × ``by`` (computed once)."""
        key = (column, by)
        if key not in self._long:
            self._long[key] = self._crosstab(column, by)
        return self._long[key]

    def _family(self, column: str) -> _Family:
        if column not in self._families:
            tables, levels, total = {}, None, None
            for by in self.attributes:
                groups, levels, _g, _lv, n = cell_grid(self.crosstab(column, by))
                total = n[groups.index(TOTAL_LABEL)]
                keep = [i for i, g in enumerate(groups) if g != TOTAL_LABEL]
                tables[by] = ([groups[i] for i in keep], n[keep])
            fam = _Family(levels=levels, total=total, tables=tables)
            fam.masks = suppress_family(total, tables, levels, min_count=self.min_count,
                                        subsets=self.subsets.get(column, ()))
            self._families[column] = fam
        return self._families[column]

    def hidden(self, column: str, by: str | None) -> pd.DataFrame:
        """Which cells of ``column`` × ``by`` are hidden: groups (全体 first, then the
        attribute's levels and 無回答) × answer levels (無回答 last); ``by=None``: the 全体 row only."""
        fam = self._family(column)
        total = pd.DataFrame([fam.masks[None]], index=[TOTAL_LABEL], columns=fam.levels)
        if by is None:
            return total
        if by not in fam.tables:
            raise KeyError(f"{by!r} is not an attribute of the report's linked tables {self.attributes}")
        groups, _ = fam.tables[by]
        return pd.concat([total, pd.DataFrame(fam.masks[by], index=groups, columns=fam.levels)])

    def family(self, key: str, counts: dict, levels, *, rows_add: bool = False) -> dict:
        """Suppress a family of derived cells (e.g. a ranking's top-k inclusion): ``counts`` is
        ``{None: total counts per level, by: DataFrame (groups × levels)}``; returns
        ``{None: Series over levels, by: DataFrame of bools}`` (computed once per ``key``).
        ``rows_add``: whether a group's cells add up to a printed figure (not for overlapping
        cells such as top-k inclusion or themes of one comment)."""
        if key not in self._families:
            levels = list(levels)
            tables = {by: (list(frame.index), frame.loc[:, levels].to_numpy(dtype=float))
                      for by, frame in counts.items() if by is not None}
            masks = suppress_family(np.asarray(counts[None], dtype=float), tables, levels, min_count=self.min_count,
                                    rows_add=rows_add)
            fam = _Family(levels=levels, total=np.asarray(counts[None], dtype=float), tables=tables, masks=masks)
            self._families[key] = fam
        fam = self._families[key]
        out = {None: pd.Series(fam.masks[None], index=fam.levels)}
        for by, (groups, _c) in fam.tables.items():
            out[by] = pd.DataFrame(fam.masks[by], index=groups, columns=fam.levels)
        return out

    def is_hidden(self, column: str, by: str | None, group: str, level: str) -> bool:
        """One cell: ``group`` 全体 is the whole-sample row."""
        mask = self.hidden(column, by)
        return bool(mask.loc[group, level])
