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

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

from survey.errors import InputError

__all__ = ["Provenance", "RawTable", "read_raw", "detect_encoding", "read_side_table", "CSV_ENCODINGS"]

CSV_ENCODINGS = ("utf-8-sig", "cp932")


@dataclass(frozen=True)
class Provenance:
    """Where a table came from: enough to reproduce and to audit."""

    path: str
    sha256: str
    format: str
    encoding: str | None
    rows_read: int
    size_bytes: int

    def as_dict(self) -> dict:
        return {
            "path": self.path, "sha256": self.sha256, "format": self.format,
            "encoding": self.encoding, "rows_read": self.rows_read, "size_bytes": self.size_bytes,
        }


@dataclass(frozen=True)
class RawTable:
    """A delivered file as read: every cell a string or ``None``.

    ``decode_errors`` lists ``(line, data_row, bytes_hex)`` for lines whose
    bytes could not be decoded in the detected encoding (the offending bytes
    were replaced by U+FFFD in ``frame``).  ``value_labels`` holds SPSS value
    labels ({column: {code: label}}) when the file carried them.
    """

    frame: pd.DataFrame
    provenance: Provenance
    decode_errors: tuple = ()
    value_labels: Mapping = field(default_factory=lambda: MappingProxyType({}))

    @property
    def rows_read(self) -> int:
        return self.provenance.rows_read


def _sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def detect_encoding(blob: bytes) -> tuple[str, list[int]]:
    """Pick the encoding of a CSV among UTF-8 (with or without BOM) and CP932.

    Returns the codec name and the 1-based line numbers whose bytes do not
    decode in it (empty when the whole file decodes).  When neither decodes
    cleanly the one with fewer bad lines wins (UTF-8 on a tie).
    """
    if blob.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            "the file is UTF-16 encoded; save it as UTF-8 (CSV UTF-8 in Excel) or as CP932 (Shift_JIS) CSV"
        )
    for codec in CSV_ENCODINGS:  # the usual case: one codec decodes the whole file
        try:
            blob.decode(codec)
            return codec, []
        except UnicodeDecodeError:
            pass
    scores = []
    for codec in CSV_ENCODINGS:
        bad = []
        for number, line in enumerate(blob.split(b"\n"), start=1):
            try:
                line.decode(codec)
            except UnicodeDecodeError:
                bad.append(number)
        scores.append((len(bad), codec, bad))
    scores.sort(key=lambda s: s[0])
    _, codec, bad = scores[0]
    return codec, bad


def _check_binary(blob: bytes, path) -> None:
    sample = blob[:65536]
    if b"\x00" in sample:
        raise InputError(
            "the file contains NUL bytes and looks binary (or UTF-16), not a CSV; "
            "export the data as CSV (UTF-8 or CP932), XLSX, SAV or Parquet",
            path=path,
        )


def _read_csv(path: Path, blob: bytes, encoding: str | None) -> tuple[pd.DataFrame, str, tuple, list | None]:
    if not blob.strip():
        raise InputError("the file is empty; ask the contractor for the data file", path=path)
    if blob.startswith((b"\xff\xfe", b"\xfe\xff")):  # before the NUL test, which UTF-16 text also fails
        raise InputError("the file is UTF-16 encoded; save it as UTF-8 (CSV UTF-8 in Excel) or as CP932 "
                         "(Shift_JIS) CSV", path=path)
    _check_binary(blob, path)
    bad_lines: list[int] = []
    if encoding is None:
        try:
            encoding, bad_lines = detect_encoding(blob)
        except InputError as exc:
            raise InputError(str(exc), path=path) from None
    text = blob.decode(encoding, errors="replace")
    if encoding != "utf-8-sig" and text.startswith("\ufeff"):
        text = text[1:]
    try:
        # the parser reads UTF-8 bytes directly (a StringIO is re-encoded chunk by chunk: 3x slower)
        frame = pd.read_csv(
            io.BytesIO(text.encode("utf-8", errors="surrogatepass")), encoding="utf-8", encoding_errors="replace",
            dtype=object, keep_default_na=False, na_values=[], skipinitialspace=False, skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError:
        raise InputError("the file has no header row; the first line must name the columns", path=path) from None
    except pd.errors.ParserError as exc:
        raise _parser_error(exc, path) from None
    if frame.shape[0] == 0:
        raise InputError("the file has a header but no data rows", path=path)
    _check_truncated(text, frame, path)
    frame = _blank_to_none(frame)
    bad = _bad_lines_to_rows(text, bad_lines, blob, encoding)
    try:
        header = next(csv.reader(io.StringIO(text[:1 << 20])))  # the heading row is near the top
    except (csv.Error, StopIteration):
        header = None
    return frame, encoding, bad, header


def _blank_to_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells ("") as ``None``, column by column (``DataFrame.replace`` is 5x slower)."""
    out = {}
    for j in range(frame.shape[1]):
        values = frame.iloc[:, j].to_numpy(dtype=object, copy=True)
        values[values == ""] = None
        out[j] = values
    result = pd.DataFrame(out, index=frame.index, dtype=object)
    result.columns = frame.columns
    return result


def _parser_error(exc: Exception, path) -> InputError:
    """pandas' tokenizer message → what is wrong, where, and what to do."""
    message = " ".join(str(exc).split())
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        expected, line, saw = (int(g) for g in fields.groups())
        return InputError(f"line {line} has {saw} fields but the header has {expected}; check that line for "
                          "unquoted commas in free text (quote the field or remove the comma)",
                          path=path, row=line - 1)
    unclosed = re.search(r"EOF inside string starting at row (\d+)", message)
    if unclosed:  # the tokenizer counts the heading line as row 0
        row = int(unclosed.group(1))
        where = "in the heading row" if row == 0 else f"opened on data row {row}"
        return InputError(f"a quoted field {where} is never closed; check it for an unmatched double quote (\")",
                          path=path, row=row or None)
    return InputError(f"the CSV cannot be parsed ({message}); re-export it as CSV from the source program",
                      path=path)


def _repeated_headings(columns: list[str], header: list[str] | None) -> list[str]:
    """Headings given to more than one column, as written in the file.

    With the CSV heading row at hand it is exact; otherwise (XLSX) the
    ``x``, ``x.1`` pairs pandas makes of a repeated ``x`` are recognised."""
    if header is not None and len(header) == len(columns):
        counts = Counter(header)
        return [h for h in counts if counts[h] > 1]
    counts = Counter(columns)
    repeated = [c for c in counts if counts[c] > 1]
    present = set(columns)
    for c in columns:
        base, dot, number = c.rpartition(".")
        if dot and number.isdigit() and base in present and base not in repeated:
            repeated.append(base)
    return repeated


def _check_truncated(text: str, frame: pd.DataFrame, path) -> None:
    """A last line with fewer fields than the header and no line end was cut off."""
    if text.endswith(("\n", "\r")):
        return
    last = text.rsplit("\n", 1)[-1]
    try:
        fields = next(csv.reader([last]))
    except (csv.Error, StopIteration):
        fields = []
    if len(fields) < frame.shape[1]:
        raise InputError(
            f"the last line ends without a line break after {len(fields)} of {frame.shape[1]} fields: "
            "the file looks truncated; ask for a complete copy",
            path=path, row=frame.shape[0],
        )


def _bad_lines_to_rows(text: str, bad_lines: list[int], blob: bytes, encoding: str) -> tuple:
    if not bad_lines:
        return ()
    lines = blob.split(b"\n")
    out = []
    for line in bad_lines:
        raw = lines[line - 1]
        bad_bytes = b""
        try:
            raw.decode(encoding)
        except UnicodeDecodeError as exc:
            bad_bytes = raw[exc.start: exc.end]
        # data row = physical line - 1 when no quoted field spans lines (the usual case)
        out.append((line, line - 1, bad_bytes.hex()))
    return tuple(out)


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


def _read_xlsx(path: Path, sheet) -> pd.DataFrame:
    try:
        frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=object, engine="openpyxl")
    except ValueError as exc:
        raise InputError(f"cannot read the workbook: {exc}; check the sheet name", path=path) from None
    except Exception as exc:  # openpyxl raises zipfile/KeyError flavours on broken files
        raise InputError(f"not a readable .xlsx workbook ({type(exc).__name__}); re-save it in Excel", path=path) from None
    return frame


def _read_sav(path: Path):
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise InputError(f"not a readable SPSS .sav file ({exc}); re-export it from SPSS", path=path) from None
    labels = {
        col: MappingProxyType({int(k) if float(k).is_integer() else k: v for k, v in mapping.items()})
        for col, mapping in (meta.variable_value_labels or {}).items()
    }
    return frame, MappingProxyType(labels)


def read_raw(path, *, encoding: str | None = None, sheet=None) -> RawTable:
    """Read a delivered respondent file without changing anything.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.xlsx``, ``.sav`` or ``.parquet``.
    encoding : str, optional
        Force a CSV encoding (``"utf-8-sig"`` or ``"cp932"``); detected otherwise.
    sheet : str or int, optional
        Worksheet of an ``.xlsx`` file (the first by default).
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
    labels: Mapping = MappingProxyType({})
    bad: tuple = ()
    used_encoding = None
    header = None  # the heading row as written (CSV), before pandas renames repeats to "x.1"
    if suffix in (".csv", ".txt"):
        if encoding is not None and encoding.replace("_", "-").lower() in ("shift-jis", "shiftjis", "sjis"):
            raise InputError("use encoding='cp932' instead of shift_jis, which mangles ～ and －", path=path)
        frame, used_encoding, bad, header = _read_csv(path, blob, encoding)
        fmt = "csv"
    elif suffix in (".xlsx", ".xlsm"):
        frame, fmt = _stringify(_read_xlsx(path, sheet)), "xlsx"
    elif suffix == ".sav":
        raw, labels = _read_sav(path)
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
        shown = ", ".join(repr(d) for d in dupes[:5]) + (" ..." if len(dupes) > 5 else "")
        raise InputError(f"column heading(s) {shown} appear more than once; every column needs its own heading "
                         "(rename or delete the repeated column)", path=path)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    provenance = Provenance(
        path=str(path), sha256=_sha256(blob), format=fmt, encoding=used_encoding,
        rows_read=int(frame.shape[0]), size_bytes=len(blob),
    )
    return RawTable(frame=frame, provenance=provenance, decode_errors=bad, value_labels=labels)


def read_side_table(path, *, what: str, expected: str) -> pd.DataFrame:
    """Read a small UTF-8 input table (margins, admin figures, mailing counts).

    ``what`` names the table in messages ("margins"), ``expected`` says what
    it must hold ("columns district, age_band, mailed"); every failure is an
    :class:`InputError` naming the file and the fix.
    """
    path = Path(path)
    try:
        return pd.read_csv(path, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"no such {what} file; give a UTF-8 CSV with {expected}", path=path) from None
    except IsADirectoryError:
        raise InputError(f"this is a folder, not the {what} file", path=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the {what} ({type(exc).__name__}); it must be a UTF-8 CSV with {expected}",
                         path=path) from None
