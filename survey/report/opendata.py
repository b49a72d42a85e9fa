"""The report's aggregate tables as open data: tidy long CSV and a data dictionary.

``survey run`` writes ``<wave>/opendata/`` when the questionnaire's plan
declares ``opendata:`` (its licence and publisher: never names in code).
Every file is one table of the report in one layout, one value per row::

    [全国地方公共団体コード, 地方公共団体名,] 調査年度, 設問, 区分, グループ, 項目, 統計量, 値, 単位, 注記

read from the presented table (:mod:`survey.report.tableinfo`), so every
value is the figure the report prints, rounded as it is printed, and every
cell the report suppresses is suppressed here (値 empty, 注記 ``秘匿``).  A group the report
marks ``*`` (its base under 30) is published by its name, unmarked, each of its values noted
``参考値（基数30未満）`` in 注記 (:func:`small_base_note`).
Files are UTF-8 **without** a byte-order mark, LF line ends, formulas
neutralised as in every CSV of the report.  ``データ辞書.csv`` names, for
every file, each column with its meaning and unit, the table's base, its
source and the licence.  Only tables (aggregates) are published: never a
respondent's row, id, comment or word.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from survey.report.crosstab import SMALL_BASE, SUPPRESSED, unmark_small_base
from survey.report.format import cell_kind, column_kinds, kind_text
from survey.report.prose import prose
from survey.report.tableinfo import TableInfo, table_info
from survey.report.writers import write_csv

__all__ = [
    "DICTIONARY_FILE", "NOTE_BELOW", "small_base_note", "NOTE_SUPPRESSED", "NOTE_UNDEFINED", "OPEN_COLUMNS", "OpenDataMeta", "OpenTable",
    "dictionary_table", "long_table", "parse_interval", "write_opendata",
]

#: The columns of every open-data table after the publisher's columns.
OPEN_COLUMNS = ("調査年度", "設問", "区分", "グループ", "項目", "統計量", "値", "単位", "注記")
#: The data dictionary's file name.
DICTIONARY_FILE = "データ辞書"
NOTE_SUPPRESSED = "秘匿"
NOTE_UNDEFINED = "算出できない"
NOTE_BELOW = "未満"
_OVERALL = "全体"


def small_base_note() -> str:
    """注記 of a value of a group whose base is under :data:`~survey.report.crosstab.SMALL_BASE`."""
    return prose("small_base.opendata", threshold=SMALL_BASE)


def _unmarked(where: dict) -> tuple[dict, bool]:
    """The row's 区分 and グループ without the report's small-base marks, and whether one had one."""
    out, small = dict(where), False
    for key in ("区分", "グループ"):
        out[key], marked = unmark_small_base(str(out[key]))
        small |= marked
    return out, small
_DASH = re.compile(r"^\s*([+\-\u2212]?\d[\d,]*(?:\.\d+)?)\s*〜\s*([+\-\u2212]?\d[\d,]*(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class OpenDataMeta:
    """What every file carries: the ``licence`` line, the ``source`` (出典:
    the survey and wave), the ``wave`` and, when the plan gives them, the
    ``publisher`` (地方公共団体名) and its six-digit ``municipality_code``
    (全国地方公共団体コード); ``notes`` are added to the dictionary."""

    licence: str
    source: str
    wave: str
    publisher: str = ""
    municipality_code: str = ""
    notes: tuple = ()


@dataclass(frozen=True)
class OpenTable:
    """One file: ``stem`` (file name without ``.csv``), ``title``, ``base`` and its long ``frame``."""

    stem: str
    title: str
    base: str
    frame: pd.DataFrame


def parse_interval(text) -> tuple[float, float]:
    """``'−0.087〜0.149'`` → ``(-0.087, 0.149)``; NaNs for an empty cell.

    >>> parse_interval("−0.087〜0.149")
    (-0.087, 0.149)
    """
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return math.nan, math.nan
    m = _DASH.match(str(text))
    if not m:
        raise ValueError(f"not an interval 'low〜high': {text!r}")
    low, high = (float(g.replace("\u2212", "-").replace(",", "")) for g in m.groups())
    return low, high


def _number(value, column):
    """``(value, note)`` of a presented cell: a number, or blank with the reason
    (``x`` suppressed; ``<0.001`` is 0.001 noted 未満)."""
    note = ""
    if isinstance(value, str):
        text = value.strip()
        if text == SUPPRESSED:
            return None, NOTE_SUPPRESSED
        if text in ("", "-"):
            return (None, NOTE_UNDEFINED) if text == "" else (0, "")
        if text.startswith("<"):
            text, note = text[1:], NOTE_BELOW
        try:
            value = float(text.replace(",", "").replace("\u2212", "-").lstrip("¥"))
        except ValueError:
            raise ValueError(f"column {column!r} holds {value!r}, not a number") from None
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None, NOTE_UNDEFINED
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return int(value), note
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value), note
    return value, note


def _label(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def long_table(frame: pd.DataFrame, *, question: str = "", info: TableInfo | None = None) -> pd.DataFrame:
    """The presented ``frame`` in the open layout (``OPEN_COLUMNS`` without
    調査年度): one row per value, with its statistic and unit; ``question``
    fills 設問 unless the table names it."""
    info = info or table_info(frame)
    named = {c for c, _ in info.dims} | {c for c, _ in info.values} | {c for c, *_ in info.intervals}
    named |= {c for c, _ in info.exclude} | {c for c in (info.suppressed, info.unit_column) if c}
    missing = sorted(str(c) for c in named if c not in frame.columns)
    if missing:
        raise KeyError(f"the table has no column(s) {missing}; its columns: {list(frame.columns)}")
    melted = [c for c in frame.columns if c not in named] if info.melt is not None else []
    excluded = dict(info.exclude)
    kinds = column_kinds(frame)

    def printed(value, col):
        """A p-value or an amount of yen as the report's CSV prints it (``<0.001``, whole yen)."""
        kind = kinds.get(col)
        if kind in ("p", "yen") and cell_kind(value, kind):
            return kind_text(value, kind, thousands=False)
        return value

    rows = []
    group_level: dict[tuple, object] = {}  # a base of the group (item ""), written once per group
    for record in frame.to_dict("records"):
        if any(record[c] in values for c, values in excluded.items()):
            continue
        hidden = bool(record[info.suppressed]) if info.suppressed else False
        dims = {"設問": question, "区分": _OVERALL, "グループ": _OVERALL, "項目": "", **dict(info.fixed)}
        joined: dict = {}
        for col, target in info.dims:
            joined.setdefault(target, []).append(_label(record[col]))
        dims.update({target: "×".join(parts) for target, parts in joined.items()})
        row_unit = _label(record[info.unit_column]) if info.unit_column else ""

        def emit(measure, value, where=dims):
            number, note = _number(value, measure.statistic)
            if hidden and number is None:
                note = NOTE_SUPPRESSED
            where, small = _unmarked(where)
            if small:
                note = "、".join(n for n in (note, small_base_note()) if n)
            if measure.item == "":
                key = (*{**where, "項目": ""}.values(), measure.statistic)
                if key in group_level and group_level[key] == (number, note):
                    return  # the same group's base again on the next item's row
                group_level[key] = (number, note)
            rows.append({**where, **({"項目": measure.item} if measure.item is not None else {}),
                         "統計量": measure.statistic, "値": number,
                         "単位": row_unit if measure.unit is None else measure.unit, "注記": note})

        for col, measure in info.values:
            emit(measure, printed(record[col], col))
        for col, low, high in info.intervals:
            cell = record[col]
            if isinstance(cell, str) and cell.strip() == SUPPRESSED:
                emit(low, cell)
                emit(high, cell)
                continue
            lo, hi = parse_interval(cell)
            emit(low, lo)
            emit(high, hi)
        for col in melted:
            where = dict(dims)
            heading = str(col)
            if info.split and info.split in heading:
                where["区分"], where["グループ"] = heading.split(info.split, 1)
            elif info.split:
                where["区分"], where["グループ"] = heading, heading
            else:
                where[info.melt_to] = heading
            emit(info.melt, printed(record[col], col), where)
    columns = list(OPEN_COLUMNS[1:])
    # 値 keeps whole numbers whole (1352, not 1352.0) and blanks blank
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in columns}, columns=columns)


#: Each column's meaning in the data dictionary: ``opendata.meanings.<key>`` of the prose catalogue.
_MEANINGS = {
    "全国地方公共団体コード": "municipality_code", "地方公共団体名": "publisher", "調査年度": "wave", "設問": "question",
    "区分": "breakdown", "グループ": "group", "項目": "item", "統計量": "statistic", "値": "value", "単位": "unit",
}


def _meaning(column: str) -> str:
    if column == "注記":
        return prose("opendata.note_meaning", suppressed=NOTE_SUPPRESSED, undefined=NOTE_UNDEFINED, below=NOTE_BELOW,
                     small=small_base_note(), threshold=SMALL_BASE)
    return prose(f"opendata.meanings.{_MEANINGS[column]}")


def _columns(meta: OpenDataMeta) -> list[str]:
    head = []
    if meta.municipality_code:
        head.append("全国地方公共団体コード")
    if meta.publisher:
        head.append("地方公共団体名")
    return head + list(OPEN_COLUMNS)


def _published(table: OpenTable, meta: OpenDataMeta) -> pd.DataFrame:
    frame = table.frame.copy()
    frame.insert(0, "調査年度", meta.wave)
    if meta.publisher:
        frame.insert(0, "地方公共団体名", meta.publisher)
    if meta.municipality_code:
        frame.insert(0, "全国地方公共団体コード", meta.municipality_code)
    return frame[_columns(meta)]


def dictionary_table(tables, meta: OpenDataMeta) -> pd.DataFrame:
    """One row per file and column: ファイル, 表題, 列, 意味, 単位, 基数, 出典, ライセンス."""
    rows = []
    for t in tables:
        for col in _columns(meta):
            meaning, unit = _meaning(col), ""
            if col == "統計量":
                meaning += "：" + "、".join(dict.fromkeys(t.frame["統計量"]))
            if col == "値":
                unit = "、".join(u for u in dict.fromkeys(t.frame["単位"]) if u) or "なし"
            rows.append({"ファイル": f"{t.stem}.csv", "表題": t.title, "列": col, "意味": meaning, "単位": unit,
                         "基数": t.base, "出典": meta.source, "ライセンス": meta.licence})
    for note in meta.notes:
        rows.append({"ファイル": "", "表題": "注記", "列": "", "意味": note, "単位": "", "基数": "",
                     "出典": meta.source, "ライセンス": meta.licence})
    return pd.DataFrame(rows, columns=["ファイル", "表題", "列", "意味", "単位", "基数", "出典", "ライセンス"])


def write_opendata(tables, folder, meta: OpenDataMeta) -> list[Path]:
    """Write each :class:`OpenTable` as ``<folder>/<stem>.csv`` and the dictionary
    ``<folder>/データ辞書.csv`` (UTF-8 without BOM); returns the paths written."""
    folder = Path(folder)
    files = [write_csv(_published(t, meta), folder / f"{t.stem}.csv", bom=False) for t in tables]
    files.append(write_csv(dictionary_table(tables, meta), folder / f"{DICTIONARY_FILE}.csv", bom=False))
    return files
