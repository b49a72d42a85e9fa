"""Deterministic writers: CSV (UTF-8 with BOM) and XLSX workbooks.

Two runs on the same inputs give byte-identical files: the workbook's
creation date is fixed (``SOURCE_DATE_EPOCH`` when set, else 2000-01-01) and
xlsxwriter stores constant zip timestamps.  Every string cell is written as
text (never as a formula) and neutralised (see :mod:`survey.report.format`).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import io
import os
from pathlib import Path

import pandas as pd

from survey.report.format import neutralise_formula
from survey.safetext import csv_text

__all__ = ["write_csv", "write_workbook", "fixed_timestamp", "Sheet"]


def fixed_timestamp() -> _dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc).replace(tzinfo=None)
    return _dt.datetime(2000, 1, 1)


def write_csv(frame: pd.DataFrame, path, *, index: bool = False, bom: bool = True) -> Path:
    """UTF-8 with BOM (Excel opens it as Unicode; ``bom=False``: without, as open data is
    published), LF line ends, formulas neutralised (also after line breaks inside a cell),
    every field holding a line break quoted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    if index:
        out = out.reset_index()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
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


def write_workbook(sheets, path, *, properties: dict | None = None) -> Path:
    """Write sheets to an .xlsx file deterministically."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()   # built in memory, written in one go (a full disk is one OSError, not a zip half-closed)
    wb = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                                      "nan_inf_to_errors": True})
    props = {"created": fixed_timestamp(), "author": "midori-survey", "company": ""}
    props.update(properties or {})
    wb.set_properties(props)
    title_fmt = wb.add_format({"bold": True, "font_size": 13})
    head_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    cell_fmt = wb.add_format({"border": 1})
    note_fmt = wb.add_format({"italic": True, "font_color": "#555555"})
    caption_fmt = wb.add_format({"bold": True})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        row = 0
        if sheet.title:   # titles, notes and captions carry questionnaire text: neutralised too
            ws.write_string(row, 0, neutralise_formula(str(sheet.title)), title_fmt)
            row += 1
        for note in sheet.notes:
            ws.write_string(row, 0, neutralise_formula(str(note)), note_fmt)
            row += 1
        if sheet.title or sheet.notes:
            row += 1
        widths: dict[int, int] = {}
        for caption, frame in sheet.blocks:
            if caption:
                ws.write_string(row, 0, neutralise_formula(str(caption)), caption_fmt)
                row += 1
            for j, col in enumerate(frame.columns):
                ws.write_string(row, j, str(neutralise_formula(str(col))), head_fmt)
                widths[j] = max(widths.get(j, 0), _width(col))
            row += 1
            for values in frame.itertuples(index=False):
                for j, v in enumerate(values):
                    _write_cell(ws, row, j, v, cell_fmt)
                    widths[j] = max(widths.get(j, 0), _width(v))
                row += 1
            row += 1
        for j, w in widths.items():
            ws.set_column(j, j, min(max(w + 2, 6), 60))
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


def _width(value) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _write_cell(ws, row, col, value, fmt):
    if value is None or (isinstance(value, float) and value != value):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(row, col, float(value), fmt)
    elif hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        item = value.item()
        if isinstance(item, (int, float)):
            ws.write_number(row, col, float(item), fmt)
        else:
            ws.write_string(row, col, str(neutralise_formula(str(item))), fmt)
    else:
        ws.write_string(row, col, str(neutralise_formula(str(value))), fmt)
