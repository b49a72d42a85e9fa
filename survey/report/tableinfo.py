"""What a presented table is: its base, and how it reads as open data.

A section presents its tables as DataFrames with Japanese headings (the
workbook and ``report.html`` show them as they are).  :func:`describe`
attaches a :class:`TableInfo` to such a frame (in ``frame.attrs``, which
pandas carries through copies): the table's **base** (基数: whom its
percentages and means are of, listed in ``目次.csv``) and, for a table that
goes into the open data, which columns name the row (``dims``), which hold
numbers and what they are (``values``: a :class:`Measure`, the statistic
and its unit), which hold an interval as text (``intervals``: ``0.25〜0.33``
read back as its two limits), and whether the remaining columns are values
too (``melt``: a wide table, its headings become 項目 or グループ).
:mod:`survey.report.opendata` turns a described table into the tidy long
layout, one value per row.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["INFO_ATTR", "Measure", "TableInfo", "describe", "table_info"]

#: ``DataFrame.attrs`` key holding the table's :class:`TableInfo`.
INFO_ATTR = "table_info"


@dataclass(frozen=True)
class Measure:
    """What the numbers of a column are: ``statistic`` (統計量, e.g. 割合（重み付け）),
    ``unit`` (単位: %, 円, ポイント, 人, 回/年; empty for a ratio; None: the
    row's value of the table's ``unit_column``) and, for a column about one
    thing, its ``item`` (項目; None: taken from the row; ``""``: a number of the
    row's group, such as its base, written once per group in the open data
    however many items' rows repeat it)."""

    statistic: str
    unit: str | None = ""
    item: str | None = None


@dataclass(frozen=True)
class TableInfo:
    """A presented table's base and open-data layout (see the module).

    ``dims``: ``((column, open column), ...)`` with open columns 設問, 区分,
    グループ, 項目 (columns sharing an open column are joined with ×); ``values``: ``((column, Measure), ...)``; ``intervals``:
    ``((column, Measure low, Measure high), ...)``; ``melt``: the Measure of
    every other column (None: other columns are left out), whose heading
    goes to ``melt_to``, split at ``split`` into 区分 and グループ when given
    (``年齢:18〜29歳``); ``fixed``: constant open columns; ``suppressed``: a
    boolean column marking suppressed rows; ``exclude``: ``((column,
    values), ...)`` rows left out; ``unit_column``: the column giving each
    row's unit (for Measures whose unit is None); ``opendata``: False for a table that
    never goes into the open data (row-level records, quoted text, words).
    """

    base: str = ""
    dims: tuple = ()
    values: tuple = ()
    intervals: tuple = ()
    melt: Measure | None = None
    melt_to: str = "項目"
    split: str | None = None
    fixed: tuple = ()
    suppressed: str | None = None
    exclude: tuple = ()
    unit_column: str | None = None
    opendata: bool = True

    @property
    def is_open(self) -> bool:
        """Whether the table has an open-data layout (some value to publish)."""
        return self.opendata and bool(self.values or self.intervals or self.melt)


def describe(frame: pd.DataFrame, *, base: str = "", dims=None, values=None, intervals=None, melt=None,
             melt_to: str = "項目", split=None, fixed=None, suppressed=None, exclude=None, unit_column=None,
             opendata: bool = True) -> pd.DataFrame:
    """Attach a :class:`TableInfo` to ``frame`` (returned, for chaining); mappings
    are given as dicts, ``intervals`` as ``{column: (Measure low, Measure high)}``."""
    pairs = lambda m: tuple((m or {}).items())  # noqa: E731
    info = TableInfo(base=base, dims=pairs(dims), values=pairs(values),
                     intervals=tuple((c, lo, hi) for c, (lo, hi) in (intervals or {}).items()), melt=melt,
                     melt_to=melt_to, split=split, fixed=pairs(fixed), suppressed=suppressed,
                     exclude=tuple((c, tuple(v)) for c, v in (exclude or {}).items()), unit_column=unit_column,
                     opendata=opendata)
    frame.attrs[INFO_ATTR] = info
    return frame


def table_info(frame: pd.DataFrame) -> TableInfo:
    """The frame's :class:`TableInfo` (an empty one, not open, when none was attached)."""
    info = frame.attrs.get(INFO_ATTR)
    return info if isinstance(info, TableInfo) else TableInfo(opendata=False)
