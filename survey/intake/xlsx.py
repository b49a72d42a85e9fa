"""Reading a delivered ``.xlsx`` workbook: which sheet, what each cell shows,
and what a reader must not pass on silently.

* **Which sheet.** Without ``sheet=`` the one visible sheet that holds cells is
  read; a hidden or veryHidden sheet never is.  When several visible sheets
  hold cells (or none does) the workbook is refused with the list of its
  sheets.  ``sheet=`` takes a name or a position counted from 1 in the
  workbook's tab order (hidden sheets included).
* **Hidden rows** are read (they are respondents) and listed, so that
  validation can warn about them and the ledger can name them.
* **Cells a number cannot be read from**: a number formatted as a date (Excel
  shows 2025/7/1 for 45839) or as a percentage (2 shows 200%), a formula whose result was never saved (openpyxl
  and other writers leave it empty) and an error value (``#N/A``) are listed
  with their cell reference; normalisation refuses them in a questionnaire
  column.
* **Resource limits**, checked on the zip directory before anything is parsed:
  a part larger than :data:`MAX_PART_BYTES` (shared strings:
  :data:`MAX_SHARED_STRINGS_BYTES`) or all parts above :data:`MAX_TOTAL_BYTES`
  uncompressed; a used range (cells holding a value) of more than
  :data:`MAX_CELLS` cells; any DTD (OOXML never has one).

Every cell comes back as the text a CSV export would hold: whole numbers
without ``.0``, booleans as ``True``/``False``, dates as ISO text.
"""
from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from survey.errors import InputError

__all__ = ["MAX_CELLS", "MAX_PART_BYTES", "MAX_SHARED_STRINGS_BYTES", "MAX_TOTAL_BYTES", "XlsxSheet",
           "read_xlsx"]

MAX_PART_BYTES = 256 * 2**20
MAX_SHARED_STRINGS_BYTES = 64 * 2**20
MAX_TOTAL_BYTES = 1024 * 2**20
MAX_CELLS = 20_000_000

_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")
_HAS_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")


@dataclass(frozen=True)
class XlsxSheet:
    """One worksheet as read: ``frame`` (object cells, ``None`` when empty, the heading
    row as columns), ``header`` as written, ``sheet`` (its name), ``hidden_rows``
    ``((data row, sheet row), ...)`` and ``problems`` ``((data row, column position from
    0, cell ref, kind, shown), ...)`` with kind ``date``, ``formula`` or ``error``;
    ``sheet_rows`` the sheet row of each data row (blank rows are skipped)."""

    frame: pd.DataFrame
    header: list
    sheet: str
    hidden_rows: tuple
    problems: tuple
    sheet_rows: tuple = ()


@dataclass(frozen=True)
class _SheetInfo:
    position: int  # from 1
    name: str
    state: str  # visible, hidden, veryHidden
    part: str | None  # the sheet XML inside the zip (None: a chart sheet or a broken link)
    active: bool


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _check_sizes(zf: zipfile.ZipFile, path) -> None:
    """The declared sizes of the zip directory (zipfile stops at them: a part that
    inflates further fails its CRC) and a DTD in any XML part's prolog."""
    total = 0
    for info in zf.infolist():
        total += info.file_size
        name = info.filename
        limit = MAX_SHARED_STRINGS_BYTES if name.lower().endswith("sharedstrings.xml") else MAX_PART_BYTES
        if info.file_size > limit:
            raise InputError(f"the workbook part {name} expands to {info.file_size:,} bytes (limit {limit:,}): "
                             "too large to be a delivery, or a zip bomb; export the data as CSV", path=path)
    if total > MAX_TOTAL_BYTES:
        raise InputError(f"the workbook expands to {total:,} bytes (limit {MAX_TOTAL_BYTES:,}): too large to be a "
                         "delivery, or a zip bomb; export the data as CSV", path=path)
    for info in zf.infolist():
        if info.filename.lower().endswith((".xml", ".rels", ".vml")) and _declares_dtd(zf, info):
            raise InputError(f"the workbook part {info.filename} declares a DTD, which no spreadsheet program "
                             "writes; re-save the workbook in Excel", path=path)


_PROLOG_END = re.compile(rb"<[A-Za-z_]")  # the root element opens: no DTD can follow


def _declares_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """A ``<!DOCTYPE`` before the root element (read up to it, in chunks)."""
    seen = b""
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 14):
            seen = seen[-16:] + chunk
            dtd = seen.find(b"<!DOCTYPE")
            root = _PROLOG_END.search(seen)
            if dtd >= 0 and (root is None or dtd < root.start()):
                return True
            if root is not None:
                return False
    return False


def _xml(zf: zipfile.ZipFile, name: str, path):
    try:
        blob = zf.read(name)
    except KeyError:
        return None
    return ElementTree.fromstring(blob)


def _sheets(zf: zipfile.ZipFile, path) -> list[_SheetInfo]:
    """Sheet names, states and XML parts from workbook.xml and its relationships."""
    book = "xl/workbook.xml"
    rels = _xml(zf, "_rels/.rels", path)
    if rels is not None:
        for rel in rels:
            if rel.get("Type", "").endswith("/officeDocument"):
                book = rel.get("Target", book).lstrip("/")
    root = _xml(zf, book, path)
    if root is None:
        raise KeyError(book)
    base = posixpath.dirname(book)
    book_rels = _xml(zf, posixpath.join(base, "_rels", posixpath.basename(book) + ".rels"), path)
    targets = {}
    for rel in (book_rels if book_rels is not None else []):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        targets[rel.get("Id")] = (target, rel.get("Type", ""))
    active = 0
    for el in root.iter():
        if _local(el.tag) == "workbookView":
            try:
                active = int(el.get("activeTab", "0"))
            except ValueError:
                active = 0
            break
    out = []
    for el in root.iter():
        if _local(el.tag) != "sheet":
            continue
        target, kind = targets.get(el.get(_REL_ID), (None, ""))
        part = target if target and kind.endswith("/worksheet") and target in zf.namelist() else None
        out.append(_SheetInfo(position=len(out) + 1, name=el.get("name", ""), state=el.get("state", "visible"),
                              part=part, active=len(out) == active))
    return out


def _has_cells(zf: zipfile.ZipFile, part: str | None) -> bool:
    if part is None:
        return False
    with zf.open(part) as fh:
        tail = b""
        while chunk := fh.read(1 << 16):
            if _HAS_CELL.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _listing(sheets: list[_SheetInfo]) -> str:
    def one(s):
        notes = [s.state] if s.state != "visible" else []
        if s.active:
            notes.append("active")
        return f"{s.position} {s.name!r}" + (f" ({', '.join(notes)})" if notes else "")

    return ", ".join(one(s) for s in sheets)


def _choose(zf: zipfile.ZipFile, sheets: list[_SheetInfo], sheet, path) -> _SheetInfo:
    if not sheets:
        raise KeyError("no sheets")
    if sheet is not None:
        by_name = [s for s in sheets if s.name == str(sheet)]
        if not by_name and (isinstance(sheet, int) or str(sheet).strip().isdigit()) and not isinstance(sheet, bool):
            n = int(sheet)
            if not 1 <= n <= len(sheets):
                raise InputError(f"cannot read the workbook: there is no sheet {n} (sheets are counted from 1: "
                                 f"{_listing(sheets)}); check the sheet name or number", path=path)
            by_name = [sheets[n - 1]]
        if not by_name:
            raise InputError(f"cannot read the workbook: Worksheet named {str(sheet)!r} not found; check the sheet "
                             f"name (the workbook has {_listing(sheets)})", path=path)
        chosen = by_name[0]
        if chosen.part is None:
            raise InputError(f"sheet {chosen.name!r} is a chart, not a table; give the data sheet "
                             f"({_listing(sheets)})", path=path)
        return chosen
    visible = [s for s in sheets if s.state == "visible"]
    if len(visible) == 1 and visible[0].part is not None and (
            _has_cells(zf, visible[0].part) or not any(_has_cells(zf, s.part) for s in sheets)):
        return visible[0]
    filled = [s for s in visible if _has_cells(zf, s.part)]
    if len(filled) == 1:
        return filled[0]
    if filled:
        raise InputError(f"the workbook has {len(filled)} visible sheets with data ({_listing(sheets)}); say which "
                         "one holds the responses with --sheet NAME or --sheet N (sheet= in Python)", path=path)
    raise InputError(f"no visible sheet of the workbook holds data ({_listing(sheets)}); unhide the data sheet in "
                     "Excel or name it with --sheet (sheet= in Python)", path=path)


def _scan_rows(zf: zipfile.ZipFile, part: str, name: str, path):
    """The sheet XML in one pass: the extent of the cells holding a value or formula
    (refused past :data:`MAX_CELLS` as soon as it gets there), the hidden rows and the
    formula cells without a saved result ({(row, column): ref})."""
    max_row = max_col = 0
    hidden: set = set()
    uncached: dict = {}
    row_number = col_number = 0
    with zf.open(part) as fh:
        for event, el in ElementTree.iterparse(fh, events=("start", "end")):
            tag = _local(el.tag)
            if event == "start":
                if tag == "row":
                    r = el.get("r")
                    row_number = int(r) if r and r.isdigit() else row_number + 1
                    col_number = 0
                    if el.get("hidden") in ("1", "true"):
                        hidden.add(row_number)
                continue
            if tag == "c":
                ref = el.get("r")
                m = _CELL_REF.fullmatch(ref) if ref else None
                if m:
                    col_number, row_number = _column_number(m.group(1)), int(m.group(2))
                else:
                    col_number += 1
                children = {_local(child.tag): child for child in el}
                value = children.get("v")
                has_value = (value is not None and value.text not in (None, "")) or "is" in children
                if "f" in children and not has_value:
                    uncached[(row_number, col_number)] = f"{_column_letters(col_number)}{row_number}"
                if has_value or "f" in children:
                    max_row, max_col = max(max_row, row_number), max(max_col, col_number)
                    if max_row * max_col > MAX_CELLS:
                        raise InputError(
                            f"sheet {name!r} has a value in cell {_column_letters(col_number)}{row_number}: the used "
                            f"range would hold {max_row * max_col:,} cells (limit {MAX_CELLS:,}); delete the stray "
                            "cells far from the data, or export the data as CSV", path=path)
                el.clear()
            elif tag == "row":
                el.clear()
    return max_row, max_col, hidden, uncached


def _text(value) -> str | None:
    """A cell value as the text a CSV export holds (pandas' reading of the cell, then ``str``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and np.isfinite(value) and value.is_integer():
            return str(int(value))
        return str(value)
    text = str(value)
    return text or None


def read_xlsx(path: Path, sheet=None) -> XlsxSheet:
    """Read one worksheet of a delivered workbook (see the module doc)."""
    import openpyxl

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"not a readable .xlsx workbook ({type(exc).__name__}); re-save it in Excel",
                         path=path) from None
    with zf:
        _check_sizes(zf, path)
        try:
            sheets = _sheets(zf, path)
            chosen = _choose(zf, sheets, sheet, path)
            max_row, max_col, hidden, uncached = _scan_rows(zf, chosen.part, chosen.name, path)
        except InputError:
            raise
        except Exception as exc:  # KeyError, ParseError, BadZipFile from a damaged package
            raise InputError(f"not a readable .xlsx workbook ({type(exc).__name__}); re-save it in Excel",
                             path=path) from None
    rows: list[tuple[int, list]] = []
    problems: list = []
    if max_row and max_col:
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                ws = book[chosen.name]
                for r, cells in enumerate(ws.iter_rows(min_row=1, max_row=max_row, min_col=1, max_col=max_col),
                                          start=1):
                    values = []
                    for c, cell in enumerate(cells, start=1):
                        value = cell.value
                        kind = None
                        if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
                            kind, value = "date", value.isoformat() if hasattr(value, "isoformat") else str(value)
                        elif getattr(cell, "data_type", None) == "e":
                            kind = "error"
                        elif (isinstance(value, (int, float)) and not isinstance(value, bool)
                              and "%" in str(getattr(cell, "number_format", "") or "")):
                            kind = "percent"     # 2 formatted 0% shows 200%: not the number the cell shows
                        elif (r, c) in uncached:
                            kind = "formula"
                        if kind:
                            problems.append((r, c - 1, f"{_column_letters(c)}{r}", kind,
                                             "" if value is None else str(value)))
                        if kind == "error":
                            value = None
                        values.append(_text(value))
                    while len(values) < max_col:
                        values.append(None)
                    rows.append((r, values))
            finally:
                book.close()
        except InputError:
            raise
        except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError flavours on broken files
            raise InputError(f"not a readable .xlsx workbook ({type(exc).__name__}); re-save it in Excel",
                             path=path) from None
    filled = [(r, v) for r, v in rows if any(x is not None for x in v)]
    if not filled:
        raise InputError(f"sheet {chosen.name!r} is empty; the first row must name the columns", path=path)
    width = max(max((j for j, x in enumerate(v) if x is not None), default=-1) for _, v in filled) + 1
    head_row, head = filled[0]
    header = [x if x is not None else "" for x in head[:width]]
    columns = [h if h != "" else f"Unnamed: {j}" for j, h in enumerate(header)]
    data = filled[1:]
    sheet_rows = [r for r, _ in data]
    frame = pd.DataFrame([v[:width] for _, v in data], columns=range(width), dtype=object)
    if len(frame) == 0:
        frame = pd.DataFrame({j: pd.Series(dtype=object) for j in range(width)})
    frame.columns = columns
    data_row = {r: i for i, r in enumerate(sheet_rows, start=1)}
    hidden_rows = tuple((data_row[r], r) for r in sorted(hidden) if r in data_row)
    located = tuple((data_row[r], c, ref, kind, shown) for r, c, ref, kind, shown in problems
                    if r in data_row and c < width)
    return XlsxSheet(frame=frame, header=header, sheet=chosen.name, hidden_rows=hidden_rows, problems=located,
                     sheet_rows=tuple(sheet_rows))
