"""Deterministic writers: CSV (UTF-8 with BOM) and XLSX workbooks.

Two runs on the same inputs give byte-identical files: the workbook's
creation date is fixed (``SOURCE_DATE_EPOCH`` when set, else 2000-01-01) and
xlsxwriter stores constant zip timestamps.  Every string cell is written as
text (never as a formula) and neutralised (see :mod:`survey.report.format`).

Workbook layout (issue 16 items 9–10): a figure is a number cell with an
Excel number format (``0.0`` for percentages, ``#,##0`` for counts with
``-`` for zero, ``"¥"#,##0`` for yen, ``<0.001`` for small p-values; see
:data:`~survey.report.format.NUMBER_FORMATS`), never text; a suppressed cell
is the text ``x``.  Each sheet has its title, its notes (wrapped across the
table's width), the tables (caption, heading row, data) and, at the bottom,
the provenance of the inputs.  The heading row of a one-table sheet is
frozen and repeated on every printed page (the title row of a sheet of
several tables, with the label columns); a table of 20 rows or more gets
a filter; columns are as wide as their content (Japanese characters count
two; long headings wrap); every sheet prints on A4 landscape, one page
wide, with the survey's and the sheet's name in the page header and page
breaks between tables (:mod:`survey.xlsx_layout`).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import io
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from survey.report.format import bare, cell_kind, column_kinds, excel_format, kind_text, neutralise_formula
from survey.xlsx_layout import DEFAULT_ROW_HEIGHT, MAX_WIDTH, display_width, page_breaks, page_setup, wrapped_lines
from survey.safetext import csv_text

__all__ = ["write_csv", "write_workbook", "fixed_timestamp", "Sheet", "FILTER_ROWS", "PROVENANCE_CAPTION"]

#: A table with at least this many data rows gets an autofilter.
FILTER_ROWS = 20
#: Caption of the provenance lines at the bottom of every sheet.
PROVENANCE_CAPTION = "入力ファイルと処理の記録"
_HEADING_WRAP = 16  # a heading wider than its data wraps at this width


def fixed_timestamp() -> _dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc).replace(tzinfo=None)
    return _dt.datetime(2000, 1, 1)


def write_csv(frame: pd.DataFrame, path, *, index: bool = False, bom: bool = True) -> Path:
    """UTF-8 with BOM (Excel opens it as Unicode; ``bom=False``: without, as open data is
    published), LF line ends, formulas neutralised (also after line breaks inside a cell),
    every field holding a line break quoted; p-values as ``<0.001``/``0.043`` and yen as
    whole numbers (the columns' kinds, see :func:`~survey.report.format.column_kinds`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    if index:
        out = out.reset_index()
    kinds = column_kinds(out)
    out = bare(out)
    for col in out.columns:
        if kinds.get(col) in ("p", "yen"):
            out[col] = pd.Series([kind_text(v, kinds[col], thousands=False) if cell_kind(v, kinds[col]) else v
                                  for v in out[col]], index=out.index, dtype=object)
        elif out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = pd.Series([neutralise_formula(v) for v in out[col]], index=out.index, dtype=object)
    out.columns = [neutralise_formula(str(c)) for c in out.columns]
    with _naming(path):   # every field holding CR or LF quoted (a lone CR must not start a row)
        path.write_bytes((("\ufeff" if bom else "") + csv_text(out, index=False)).encode("utf-8"))
    return path


class Sheet:
    """A worksheet to write: a title, notes above the table, and tables.

    ``blocks`` is a list of ``(caption, DataFrame)``; captions may be empty.
    """

    def __init__(self, name: str, blocks, *, title: str = "", notes=()):
        if len(name) > 31:
            raise ValueError(f"sheet name {name!r} is longer than Excel's 31 characters")
        self.name = name
        self.blocks = list(blocks)
        self.title = title
        self.notes = list(notes)


def write_workbook(sheets, path, *, properties: dict | None = None, provenance=()) -> Path:
    """Write sheets to an .xlsx file deterministically.

    ``properties`` are the document properties; its ``title`` (the survey's
    name) is printed in every page header.  ``provenance`` lines (input
    files, hashes, versions) are written at the bottom of every sheet.
    """
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()   # built in memory, written in one go (a full disk is one OSError, not a zip half-closed)
    wb = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                                      "nan_inf_to_errors": True})
    props = {"created": fixed_timestamp(), "author": "midori-survey", "company": ""}
    props.update(properties or {})
    wb.set_properties(props)
    styles = _Styles(wb)
    for sheet in sheets:
        _SheetWriter(wb.add_worksheet(sheet.name), sheet, styles).write(
            survey=str(props.get("title") or ""), provenance=[str(p) for p in provenance])
    wb.close()
    with _naming(path):
        path.write_bytes(buffer.getvalue())
    return path


@contextlib.contextmanager
def _naming(path):
    """An OSError while writing ``path`` names it (a full disk's error has no file name)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


class _Styles:
    """xlsxwriter formats, made once per workbook and kind."""

    def __init__(self, wb):
        self._wb = wb
        self._cache: dict = {}
        self.title = wb.add_format({"bold": True, "font_size": 13})
        self.head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                   "valign": "top"})
        self.note = wb.add_format({"italic": True, "font_color": "#555555", "text_wrap": True, "valign": "top"})
        self.caption = wb.add_format({"bold": True})

    def cell(self, kind: str | None = None, *, wrap: bool = False):
        key = (kind, wrap)
        if key not in self._cache:
            spec = {"border": 1, "valign": "top"}
            if kind is not None:
                spec["num_format"] = excel_format(kind)
            if wrap:
                spec["text_wrap"] = True
            self._cache[key] = self._wb.add_format(spec)
        return self._cache[key]


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and math.isnan(value))


def _text_columns(frame: pd.DataFrame) -> int:
    """Leading columns holding only text (labels), at most two."""
    k = 0
    frame = bare(frame)
    for col in list(frame.columns)[:2]:
        values = [v for v in frame[col] if not _missing(v)]
        if not values or not all(isinstance(v, str) for v in values):
            break
        k += 1
    return k


class _SheetWriter:
    def __init__(self, ws, sheet, styles: _Styles):
        self.ws, self.sheet, self.styles = ws, sheet, styles
        self.kinds = [column_kinds(frame) for _, frame in sheet.blocks]
        self.blocks = [(str(caption or ""), bare(frame)) for caption, frame in sheet.blocks]
        self.ncols = max([len(frame.columns) for _, frame in self.blocks] + [1])
        self.widths = self._widths()
        self.heights: dict[int, float] = {}

    def _cell_text(self, value, kind) -> str:
        if _missing(value):
            return ""
        k = cell_kind(value, kind)
        return kind_text(value, k) if k else str(value)

    def _widths(self) -> list[float]:
        data = [0] * self.ncols
        heads = [0] * self.ncols
        for (_, frame), kinds in zip(self.blocks, self.kinds):
            for j, col in enumerate(frame.columns):
                heads[j] = max(heads[j], max((display_width(p) for p in str(col).split("\n")), default=0))
                for v in frame[col]:
                    data[j] = max(data[j], display_width(self._cell_text(v, kinds[col])))
        return [float(min(max(max(d, min(h, _HEADING_WRAP)) + 2, 6), MAX_WIDTH)) for d, h in zip(data, heads)]

    def _height(self, row: int, lines: int) -> None:
        if lines > 1:
            self.heights[row] = max(self.heights.get(row, DEFAULT_ROW_HEIGHT), DEFAULT_ROW_HEIGHT * lines)
            self.ws.set_row(row, self.heights[row])

    def _line(self, row: int, text: str, fmt) -> None:
        """A note across the table's width, wrapped."""
        text = str(neutralise_formula(str(text)))
        if self.ncols > 1:
            self.ws.merge_range(row, 0, row, self.ncols - 1, text, fmt)
        else:
            self.ws.write_string(row, 0, text, fmt)
        self._height(row, wrapped_lines(text, sum(self.widths) - 1))

    def _value(self, row: int, col: int, value, kind) -> int:
        """Write one cell; returns the lines it needs."""
        ws, st = self.ws, self.styles
        if _missing(value):
            ws.write_blank(row, col, None, st.cell())
            return 1
        if isinstance(value, (bool, np.bool_)):
            ws.write_boolean(row, col, bool(value), st.cell())
            return 1
        k = cell_kind(value, kind)
        if k is not None:
            ws.write_number(row, col, float(value), st.cell(k))
            return 1
        text = str(neutralise_formula(str(value)))
        lines = wrapped_lines(text, self.widths[col] - 1)
        ws.write_string(row, col, text, st.cell(wrap=lines > 1))
        return lines

    def write(self, *, survey: str, provenance: list[str]) -> None:
        ws, st, sheet = self.ws, self.styles, self.sheet
        row = 0
        if sheet.title:
            ws.write_string(row, 0, str(neutralise_formula(str(sheet.title))), st.title)
            row += 1
        for note in sheet.notes:
            self._line(row, note, st.note)
            row += 1
        if sheet.title or sheet.notes:
            row += 1
        spans, headers = [], []
        for (caption, frame), kinds in zip(self.blocks, self.kinds):
            start = row
            if caption:
                ws.write_string(row, 0, str(neutralise_formula(caption)), st.caption)
                row += 1
            lines = 1
            for j, col in enumerate(frame.columns):
                ws.write_string(row, j, str(neutralise_formula(str(col))), st.head)
                lines = max(lines, wrapped_lines(str(col), self.widths[j] - 1))
            self._height(row, lines)
            headers.append(row)
            row += 1
            columns = list(frame.columns)
            for values in frame.itertuples(index=False, name=None):
                lines = max([self._value(row, j, v, kinds[columns[j]]) for j, v in enumerate(values)] + [1])
                self._height(row, lines)
                row += 1
            spans.append((start, row - 1))
            row += 1
        if provenance:
            ws.write_string(row, 0, PROVENANCE_CAPTION, st.caption)
            row += 1
            for line in provenance:
                self._line(row, line, st.note)
                row += 1
        for j, w in enumerate(self.widths):
            ws.set_column(j, j, w)
        self._panes_and_print(spans, headers, survey)

    def _panes_and_print(self, spans, headers, survey: str) -> None:
        ws = self.ws
        top = 1 if self.sheet.title else 0
        if len(self.blocks) == 1:
            header = headers[0]
            ws.freeze_panes(header + 1, 0)
            repeat = (header, header)
        else:
            columns = min([_text_columns(frame) for _, frame in self.blocks] + [2])
            if top or columns:
                ws.freeze_panes(top, columns)
            repeat = (0, 0) if top else None
        sizes = [len(frame) for _, frame in self.blocks]
        if sizes and max(sizes) >= FILTER_ROWS:
            i = sizes.index(max(sizes))
            ws.autofilter(headers[i], 0, headers[i] + sizes[i], len(self.blocks[i][1].columns) - 1)
        repeated = sum(self.heights.get(r, DEFAULT_ROW_HEIGHT) for r in range(repeat[0], repeat[1] + 1)) \
            if repeat else 0.0
        breaks = page_breaks(spans, self.heights, self.widths, first=0, repeated=repeated) if spans else []
        page_setup(ws, title=survey, sheet=self.sheet.name, repeat=repeat, breaks=breaks)
