"""Reading a delivered CSV: the encoding (UTF-8, UTF-8 with BOM or CP932; EUC-JP is
named and refused), pandas' parse as text, and what pandas does not say: the file
cut off at the end, records with fewer fields than the heading row, the lines whose
bytes do not decode."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.intake.mojibake import looks_euc_jp

__all__ = ["CSV_ENCODINGS", "detect_encoding", "read_csv_text"]

CSV_ENCODINGS = ("utf-8-sig", "cp932")


def detect_encoding(blob: bytes) -> tuple[str, list[int]]:
    """Pick the encoding of a CSV among UTF-8 (with or without BOM) and CP932.

    Returns the codec name and the 1-based line numbers whose bytes do not
    decode in it (empty when the whole file decodes).  When neither decodes
    cleanly the one with fewer bad lines wins (UTF-8 on a tie).
    """
    return _detect(blob)[:2]


def _detect(blob: bytes) -> tuple[str, list[int], str | None]:
    """:func:`detect_encoding`, and the decoded text when the whole file decodes."""
    if blob.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            "the file is UTF-16 encoded; save it as UTF-8 (CSV UTF-8 in Excel) or as CP932 (Shift_JIS) CSV"
        )
    for codec in CSV_ENCODINGS:  # the usual case: one codec decodes the whole file
        try:
            return codec, [], blob.decode(codec)
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
    return codec, bad, None


def _check_binary(blob: bytes, path) -> None:
    sample = blob[:65536]
    if b"\x00" in sample:
        raise InputError(
            "the file contains NUL bytes and looks binary (or UTF-16), not a CSV; "
            "export the data as CSV (UTF-8 or CP932), XLSX, SAV or Parquet",
            path=path,
        )


def read_csv_text(path, blob: bytes, encoding: str | None) -> tuple[pd.DataFrame, str, tuple, list | None, tuple,
                                                                   tuple]:
    """``(frame, encoding, decode errors, heading row as written, short rows, positions)`` of a
    CSV's bytes (see :class:`survey.intake.readers.RawTable`; ``positions`` holds the
    ``(excel_row, line)`` of each data row)."""
    if not blob.strip():
        raise InputError("the file is empty; ask the contractor for the data file", path=path)
    if blob.startswith((b"\xff\xfe", b"\xfe\xff")):  # before the NUL test, which UTF-16 text also fails
        raise InputError("the file is UTF-16 encoded; save it as UTF-8 (CSV UTF-8 in Excel) or as CP932 "
                         "(Shift_JIS) CSV", path=path)
    _check_binary(blob, path)
    bad_lines: list[int] = []
    text = None
    if encoding is None and looks_euc_jp(blob):
        raise InputError("the file is EUC-JP encoded, which this tool does not read; save it as UTF-8 (CSV UTF-8 in "
                         f"Excel) or CP932 (Shift_JIS) and deliver it again (it begins {_euc_sample(blob)})", path=path)
    if encoding is None:
        try:
            encoding, bad_lines, text = _detect(blob)
        except InputError as exc:
            raise InputError(str(exc), path=path) from None
    if text is None:
        text = blob.decode(encoding, errors="replace")
    if encoding != "utf-8-sig" and text.startswith("\ufeff"):
        text = text[1:]
    data = text.encode("utf-8", errors="surrogatepass")
    # of the text only what is read below is kept (the heading row, the last line): the whole
    # of it is 0.2 GB at 1,000,000 rows, beside its bytes and the frame at the reading's peak
    head, last_line, ends_with_break = text[:1 << 20], text[text.rfind("\n") + 1:], text.endswith(("\n", "\r"))
    del text
    try:
        # the parser reads UTF-8 bytes directly (a StringIO is re-encoded chunk by chunk: 3x slower)
        frame = pd.read_csv(
            io.BytesIO(data), encoding="utf-8", encoding_errors="replace",
            dtype=object, keep_default_na=False, na_values=[], skipinitialspace=False, skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError:
        raise InputError("the file has no header row; the first line must name the columns", path=path) from None
    except pd.errors.ParserError as exc:
        raise _parser_error(exc, path) from None
    if frame.shape[0] == 0:
        raise InputError("the file has a header but no data rows", path=path)
    _check_truncated(last_line, ends_with_break, frame, path)
    records = _records(data, frame.shape)
    del data            # before the blanks are replaced, which copies the frame's cells column by column
    frame = _blank_to_none(frame)
    bad = _bad_lines_to_rows(bad_lines, blob, encoding)
    try:
        header = next(csv.reader(io.StringIO(head)))  # the heading row is near the top
    except (csv.Error, StopIteration):
        header = None
    return (frame, encoding, bad, header, *records)


def _euc_sample(blob: bytes) -> str:
    line = next((x for x in blob.split(b"\n") if not x.isascii()), b"")[:60]
    euc, sjis = (line.decode(codec, errors="replace").strip() for codec in ("euc_jp", "cp932"))
    return f"{euc!r}, which reads {sjis!r} as CP932"


class RowPositions(Sequence):
    """``(excel_row, line)`` of every data row of a CSV (:attr:`RawTable.positions`), kept as
    two integer arrays instead of a million tuples."""

    def __init__(self, excel_rows: np.ndarray, lines: np.ndarray):
        self._excel = np.asarray(excel_rows, dtype=np.int64)
        self._lines = np.asarray(lines, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._excel)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[k] for k in range(*i.indices(len(self))))
        return int(self._excel[i]), int(self._lines[i])

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(other) == len(self) and all(
            tuple(a) == b for a, b in zip(other, self))

    __hash__ = None

    def __repr__(self) -> str:
        return f"RowPositions({len(self)} rows)"


def _records(data: bytes, shape: tuple[int, int]) -> tuple[tuple, Sequence]:
    """``(short rows, positions)``: the ``(data_row, line, fields)`` of the records with fewer
    fields than the heading row, and the ``(excel_row, line)`` of every data row.

    pandas pads a short record with blanks; the csv module counts the fields of every
    record (quoted line breaks included) and knows the line each starts on.  Excel opens a
    CSV with one row per record, blank lines included (pandas skips them), so a data row's
    Excel row counts the records and blank lines above it.  When the csv module and pandas
    disagree on the number of records (a shape pandas reads differently) nothing is
    claimed.  A file of one line per record without blank lines (the usual case) needs
    no positions: each data row is then on Excel row and line row + 1.

    ``data`` is the file's text in UTF-8.  A record can span lines only through a quoted field, so
    only the lines holding a double quote go through the csv module; every other line is
    one record of its commas + 1 fields (none when blank), counted on the bytes
    (:func:`_line_records`).  A file the csv module would read differently from that
    (a bare carriage return, a NUL, a line beyond its field size limit) is read by the
    csv module whole, as before."""
    spans = _line_records(data)
    if spans is None:
        return (), ()
    starts, lengths, n_lines = spans
    n_rows, n_cols = shape
    filled = lengths > 0                                   # pandas skips blank lines
    if int(filled.sum()) != n_rows + 1:
        return (), ()
    simple = len(lengths) == n_lines and bool(filled.all())
    data_rows = np.flatnonzero(filled)[1:]                 # the first filled record is the heading
    fields = lengths[data_rows]
    if simple and (len(fields) == 0 or int(fields.min()) >= n_cols):
        return (), ()
    lines = starts[data_rows] + 1
    short_at = np.flatnonzero(fields < n_cols)
    short = tuple((int(k) + 1, int(lines[k]), int(fields[k])) for k in short_at)
    return short, (() if simple else RowPositions(data_rows + 1, lines))




def _line_records(data: bytes):
    """``(start line (0-based), fields, lines)`` of every record of the file (``data``: its
    text in UTF-8), a blank line being a record of no fields (what ``csv.reader`` gives), or
    None when the csv module stops with an error."""
    arr = np.frombuffer(data, dtype=np.uint8)
    returns = _where_byte(arr, 13)
    if b"\x00" in data or (len(returns) and (returns[-1] + 1 == len(arr) or (arr[returns + 1] != 10).any())):
        # a NUL, or a carriage return that does not end a line
        return _csv_records(data.decode("utf-8", errors="surrogatepass"))
    breaks = _where_byte(arr, 10)
    starts = np.concatenate([[0], breaks + 1])
    if starts[-1] == len(arr):                      # the file ends with a line break
        starts = starts[:-1]
    n_lines = len(starts)
    ends = np.append(starts[1:], len(arr))          # each line with its line break
    if int((ends - starts).max()) > csv.field_size_limit():   # the csv module might refuse a field
        return _csv_records(data.decode("utf-8", errors="surrogatepass"))
    fields = _commas_per_line(arr, starts) + 1
    content = ends - starts - (arr[ends - 1] == 10)  # without "\n"
    blank = (content == 0) | ((content == 1) & (arr[starts] == 13))
    fields[blank] = 0
    record = np.ones(n_lines, dtype=bool)           # False: a line inside a quoted field
    quoted = np.unique(np.searchsorted(starts, _where_byte(arr, 34), side="right") - 1)
    done = 0
    for i in quoted.tolist():
        if i < done:
            continue
        lines = (data[starts[j]:ends[j]].decode("utf-8", errors="surrogatepass") for j in range(i, n_lines))
        reader = csv.reader(lines)
        try:
            fields[i] = len(next(reader))
        except csv.Error:
            return None
        done = i + reader.line_num
        record[i + 1:done] = False
    return np.flatnonzero(record), fields[record], n_lines


def _where_byte(arr: np.ndarray, byte: int, block: int = 1 << 24) -> np.ndarray:
    """Positions of ``byte`` in ``arr``, 16 MB at a time (``arr == byte`` whole would be one
    byte of scratch per byte of the file)."""
    parts = [np.flatnonzero(arr[k:k + block] == byte) + k for k in range(0, len(arr), block)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)


def _commas_per_line(arr: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Commas on each line (``starts``: the lines' first bytes), a block of lines at a time."""
    out = np.empty(len(starts), dtype=np.int64)
    step = 1 << 16
    for k in range(0, len(starts), step):
        first = starts[k:k + step]
        stop = int(starts[k + step]) if k + step < len(starts) else len(arr)
        lo = int(first[0])
        commas = np.flatnonzero(arr[lo:stop] == 44)
        out[k:k + step] = np.diff(np.searchsorted(commas, np.append(first - lo, stop - lo)))
    return out


def _csv_records(text: str):
    """:func:`_line_records` by the csv module alone, over the whole text."""
    starts, lengths = [], []
    reader = csv.reader(io.StringIO(text))
    last = 0
    try:
        for record in reader:
            starts.append(last)
            lengths.append(len(record))
            last = reader.line_num
    except csv.Error:  # a field above the csv module's size limit: leave it to pandas
        return None
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    return np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64), lines


def _blank_to_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells ("") as ``None``, column by column (``DataFrame.replace`` is 5x slower).
    The columns stay separate arrays (``copy=False``): gathering them into one 2-D block
    would copy the whole table once more (1.1 s and 0.33 GB at 1,000,000 rows)."""
    out = {}
    for j in range(frame.shape[1]):
        values = frame.iloc[:, j].to_numpy(dtype=object, copy=True)
        values[values == ""] = None
        out[j] = values
    result = pd.DataFrame(out, index=frame.index, dtype=object, copy=False)
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


def _check_truncated(last: str, ends_with_break: bool, frame: pd.DataFrame, path) -> None:
    """A last line (``last``, the text after the file's last line break) with fewer fields than
    the header and no line end was cut off."""
    if ends_with_break:
        return
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


def _bad_lines_to_rows(bad_lines: list[int], blob: bytes, encoding: str) -> tuple:
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
