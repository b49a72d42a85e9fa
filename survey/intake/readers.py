"""Raw respondent files → a table of strings with provenance.

Readers never modify the file they read and never guess silently: the
encoding that was used, the file's sha256 and the number of data rows are
kept in a :class:`Provenance`.  Every cell comes back as text exactly as
delivered (``None`` for an empty cell) so that validation can show the value
as read.

Supported: CSV (UTF-8, UTF-8 with BOM, CP932 — never the plain ``shift_jis``
codec, which cannot represent ～ U+FF5E or － U+FF0D), XLSX, SPSS ``.sav``
(with value labels, through pyreadstat) and Parquet.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.intake.csv_reader import CSV_ENCODINGS, detect_encoding, read_csv_text
from survey.intake.mojibake import utf8_read_as_cp932
from survey.intake.values import clean_text
from survey.intake.xlsx import read_xlsx

__all__ = ["Provenance", "RawTable", "read_raw", "detect_encoding", "CSV_ENCODINGS"]


@dataclass(frozen=True)
class Provenance:
    """Where a table came from: enough to reproduce and to audit."""

    path: str
    sha256: str
    format: str
    encoding: str | None
    rows_read: int
    size_bytes: int
    sheet: str | None = None  # the worksheet read (xlsx)

    def as_dict(self) -> dict:
        out = {
            "path": self.path, "sha256": self.sha256, "format": self.format,
            "encoding": self.encoding, "rows_read": self.rows_read, "size_bytes": self.size_bytes,
        }
        if self.sheet is not None:
            out["sheet"] = self.sheet
        return out


@dataclass(frozen=True)
class RawTable:
    """A delivered file as read: every cell a string or ``None``.

    ``decode_errors`` lists ``(line, data_row, bytes_hex)`` for lines whose
    bytes could not be decoded in the detected encoding (the offending bytes
    were replaced by U+FFFD in ``frame``).  ``short_rows`` lists
    ``(data_row, line, fields)`` for CSV records with fewer fields than the
    heading row (pandas pads them with blanks).  ``value_labels`` holds SPSS
    value labels ({column: {code: label}}), ``column_labels`` SPSS variable
    labels ({column: label}) and ``user_missing`` SPSS user-missing values
    ({column: ((low, high), ...)}).  ``hidden_rows`` lists ``(data_row,
    sheet_row)`` of an XLSX sheet's hidden rows and ``cell_problems``
    ``(data_row, column, cell, kind, shown)`` its cells that hold a date, a
    formula without a saved result or an error value
    (:mod:`survey.intake.xlsx`).  ``positions`` gives each data row's place in
    the delivered file as ``(excel_row, line)``: the row Excel shows it on
    (CSV: heading row, blank lines and records above it; XLSX: the sheet row)
    and, for a CSV, the file line its record starts on (``None`` otherwise);
    empty for SPSS and Parquet files, or when it cannot be told.
    """

    frame: pd.DataFrame
    provenance: Provenance
    decode_errors: tuple = ()
    value_labels: Mapping = field(default_factory=lambda: MappingProxyType({}))
    short_rows: tuple = ()
    column_labels: Mapping = field(default_factory=lambda: MappingProxyType({}))
    user_missing: Mapping = field(default_factory=lambda: MappingProxyType({}))
    hidden_rows: tuple = ()
    cell_problems: tuple = ()
    positions: tuple = ()

    @property
    def rows_read(self) -> int:
        return self.provenance.rows_read


def _sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _repeated_headings(columns: list[str], header: list[str] | None) -> list[list[tuple[int, str]]]:
    """Groups of columns whose headings read the same, each as ``[(position, heading as written)]``
    (position from 1).

    Headings are compared as the questionnaire matches them: after NFKC, one tilde form and
    collapsed spaces (:func:`~survey.intake.values.clean_text`), so ``'問6 満足度'``,
    ``'問6 満足度 '`` and ``'問6　満足度'`` are one heading.  With the CSV heading row at hand
    the comparison is exact; otherwise (pandas has renamed a repeated ``x`` to ``x.1``) the
    ``x``, ``x.1`` pairs are recognised too."""
    names = header if header is not None and len(header) == len(columns) else columns
    groups: dict[str, list[tuple[int, str]]] = {}
    for position, name in enumerate(names, start=1):
        if not clean_text(name):
            # a column without a heading is an unknown column ('Unnamed: 41', a warning), as one alone
            # always was: two of them (trailing empty columns of an Excel export) are no repeat
            continue
        groups.setdefault(clean_text(name), []).append((position, name))
    repeated = [g for g in groups.values() if len(g) > 1]
    if names is columns:
        present = {clean_text(c) for c in columns}
        for position, c in enumerate(columns, start=1):
            base, dot, number = c.rpartition(".")
            if dot and number.isdigit() and clean_text(base) in present and len(groups[clean_text(base) or ""]) == 1:
                repeated.append(groups[clean_text(base) or ""] + [(position, c)])
    return repeated


def _heading_error(groups: list[list[tuple[int, str]]], path) -> InputError:
    """D12: which columns share a heading, as written, and what to do without guessing which one
    holds the answers."""
    shown = ", ".join(repr(g[0][1]) for g in groups[:5]) + (" ..." if len(groups) > 5 else "")
    twins = [g for g in groups if len({name for _, name in g}) > 1]
    detail = ""
    if twins:
        g = twins[0]
        where = " and ".join(f"column {position} {name!r}" for position, name in g[:4])
        detail = (f"; {where} differ only in spaces or full-width/half-width forms, which the questionnaire "
                  "reads as one heading")
    return InputError(f"column heading(s) {shown} appear more than once; every column needs its own heading{detail} "
                      "(check which column holds the answers, then rename or delete the other)", path=path)


def _float_text(v) -> str:
    return f"{v:.0f}" if np.isfinite(v) and v == np.floor(v) else str(v)


def _cell_text(v) -> str | None:
    if v is None or (isinstance(v, str) and v == ""):
        return None
    return str(v)


def _stringify(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as delivered text (``None`` when empty or missing): whole
    numbers of a float column without ``.0``, anything else through ``str``.
    Computed once per distinct value; the result is object dtype (pandas
    would otherwise turn ``None`` into NaN in a string column)."""
    out = {}
    for col in frame.columns:
        values = frame[col]
        fn = _float_text if pd.api.types.is_float_dtype(values) else _cell_text
        try:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
        except TypeError:  # unhashable cells (lists in a Parquet column): one by one
            cells = values.to_numpy(dtype=object)
            text = np.array([None if _is_missing(v) else fn(v) for v in cells] + [None], dtype=object)[:-1]
        else:
            table = np.empty(len(uniques) + 1, dtype=object)
            table[:-1] = [fn(u) for u in np.asarray(uniques, dtype=object)]
            table[-1] = None  # factorize marks missing cells with -1
            text = table[codes]
        out[str(col)] = text
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)), columns=[str(c) for c in frame.columns], dtype=object)


def _is_missing(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # arrays and other containers are values
        return False


def _read_sav(path: Path):
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=True)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise InputError(f"not a readable SPSS .sav file ({exc}); re-export it from SPSS", path=path) from None
    labels = {
        str(col): MappingProxyType({_code_key(k): v for k, v in mapping.items()})
        for col, mapping in (meta.variable_value_labels or {}).items()
    }
    names = {str(c): label for c, label in (meta.column_names_to_labels or {}).items() if label}
    missing = {
        str(col): tuple((r.get("lo"), r.get("hi")) for r in ranges)
        for col, ranges in (getattr(meta, "missing_ranges", None) or {}).items() if ranges
    }
    return frame, MappingProxyType(labels), MappingProxyType(names), MappingProxyType(missing)


def _code_key(k):
    try:
        return int(k) if float(k).is_integer() else k
    except (TypeError, ValueError):
        return k


def read_raw(path, *, encoding: str | None = None, sheet=None) -> RawTable:
    """Read a delivered respondent file without changing anything.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.xlsx``, ``.sav`` or ``.parquet``.
    encoding : str, optional
        Force a CSV encoding (``"utf-8-sig"`` or ``"cp932"``); detected otherwise.
    sheet : str or int, optional
        Worksheet of an ``.xlsx`` file: its name, or its position counted from 1
        in tab order (hidden sheets included).  By default the one visible sheet
        that holds data; several such sheets (or none) are refused with their
        list (:mod:`survey.intake.xlsx`).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file; check the path", path=path)
    if path.is_dir():
        raise InputError("this is a folder, not a data file", path=path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=path) from None
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in (".xlsx", ".xlsm"):
        raise InputError(f"a sheet ({sheet!r}) was given, but a {suffix or 'suffix-less'} file has no sheets; "
                         "leave out --sheet (sheet=)", path=path)
    empty: Mapping = MappingProxyType({})
    labels = names = user_missing = empty
    bad: tuple = ()
    short: tuple = ()
    hidden: tuple = ()
    problems: tuple = ()
    positions: tuple = ()
    sheet_name = None
    used_encoding = None
    header = None  # the heading row as written (CSV, XLSX), before pandas renames repeats to "x.1"
    if suffix in (".csv", ".txt"):
        if encoding is not None and encoding.replace("_", "-").lower() in ("shift-jis", "shiftjis", "sjis"):
            raise InputError("use encoding='cp932' instead of shift_jis, which mangles ～ and －", path=path)
        frame, used_encoding, bad, header, short, positions = read_csv_text(path, blob, encoding)
        fmt = "csv"
    elif suffix in (".xlsx", ".xlsm"):
        book = read_xlsx(path, sheet)
        frame, header, fmt = book.frame, book.header, "xlsx"
        sheet_name, hidden, problems = book.sheet, book.hidden_rows, book.problems
        positions = tuple((r, None) for r in book.sheet_rows)
    elif suffix == ".sav":
        raw, labels, names, user_missing = _read_sav(path)
        frame, fmt = _stringify(raw), "sav"
    elif suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow errors
            raise InputError(f"not a readable Parquet file ({type(exc).__name__})", path=path) from None
        frame, fmt = _stringify(frame), "parquet"
    else:
        raise InputError(
            f"unsupported file type {suffix or '(none)'}; deliver .csv, .xlsx, .sav or .parquet", path=path
        )
    if fmt != "csv" and frame.shape[0] == 0:
        raise InputError("the file has a header but no data rows", path=path)
    frame.columns = [str(c) for c in frame.columns]
    dupes = _repeated_headings(list(frame.columns), header)
    if dupes:
        raise _heading_error(dupes, path)
    _refuse_mojibake_headings(list(frame.columns) + [v for v in names.values() if isinstance(v, str)], path)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    provenance = Provenance(
        path=str(path), sha256=_sha256(blob), format=fmt, encoding=used_encoding,
        rows_read=int(frame.shape[0]), size_bytes=len(blob), sheet=sheet_name,
    )
    return RawTable(frame=frame, provenance=provenance, decode_errors=bad, value_labels=labels, short_rows=short,
                    column_labels=names, user_missing=user_missing, hidden_rows=hidden, cell_problems=problems,
                    positions=positions)


def _refuse_mojibake_headings(headings: list[str], path) -> None:
    """Headings that are UTF-8 read as CP932 (at least half of the non-ASCII ones): the file
    went through a program that guessed the wrong encoding, and no heading will match."""
    foreign = [h for h in headings if not h.isascii()]
    garbled = [(h, utf8_read_as_cp932(h)) for h in foreign]
    garbled = [(h, r) for h, r in garbled if r is not None]
    if garbled and 2 * len(garbled) >= len(foreign):
        h, r = garbled[0]
        raise InputError(f"the headings are garbled: UTF-8 text that was opened as CP932 (Shift_JIS) and saved again "
                         f"({h!r} reads {r.replace(chr(0xFFFD), '?')!r}); deliver the original UTF-8 file, or "
                         "re-export it from the source program (the garbled text cannot be repaired reliably)",
                         path=path)
