"""Rows that cannot be read as delivered, and cells a number cannot be read from.

A row is *unreadable* when

* ``undecodable_bytes``: a cell holds bytes the file's encoding cannot decode
  (shown as U+FFFD);
* ``mojibake``: a questionnaire cell holds UTF-8 text that was read as CP932
  and saved again (:func:`survey.intake.mojibake.utf8_read_as_cp932`);
* ``short_row``: the CSV record has fewer fields than the heading row (a line
  break inside an unquoted cell splits a row in two; a row cut short) —
  pandas would pad it with blanks, and blank allocation parts read as ¥0;
* ``heading_row``: the row repeats the heading row, or is a row of column ids
  or variable names (q1, Q8_1) under it (two files pasted together, a
  two-line heading).

Normalisation refuses a file with such rows, or with ``exclude_undecodable``
leaves them out (the ledger names each with its reason); validation reports
every one.  Cells of an XLSX sheet that hold a date, a formula without a saved
result or an error value (:mod:`survey.intake.xlsx`) are refused when they
lie in a questionnaire column.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.intake.mojibake import utf8_read_as_cp932
from survey.intake.values import HeaderMap, clean_text, factorized

__all__ = ["DAMAGE_COLUMNS", "UNREADABLE_REASONS", "located_decode_errors", "problem_cells", "refuse_file_level",
           "refuse_problem_cells", "refuse_unreadable", "unreadable_rows"]

UNREADABLE_REASONS = ("undecodable_bytes", "mojibake", "short_row", "heading_row")
DAMAGE_COLUMNS = ("row", "reason", "line", "column", "value", "detail", "info")
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "cp932": "CP932"}
# a variable name: letters, then a number (q1, Q8_1, v12, Q10-2, q3a); never an answer code or label
_VARIABLE_NAME = re.compile(r"[A-Za-z][A-Za-z_]*\d+(?:[_.\-]\d+)*[A-Za-z]?")


def located_decode_errors(raw) -> list[tuple]:
    """``(line, row or None, column or None, bytes as hex)`` for every undecodable byte
    sequence, at the cells holding U+FFFD.

    The reader gives the physical line of each one; a quoted cell spanning lines shifts
    lines against data rows, so the bad lines are matched in order to the rows holding
    U+FFFD when their numbers agree.  Rows holding U+FFFD that no line accounts for are
    listed with line ``None``."""
    if not raw.decode_errors:
        return []
    frame = raw.frame
    rows = frame.index.to_numpy(dtype=np.int64)
    cells: dict[int, list] = {}
    for c in frame.columns:
        col = frame[c]
        bad = col.notna().to_numpy() & col.astype(str).str.contains("\ufffd", regex=False).to_numpy()
        for r in rows[bad]:
            cells.setdefault(int(r), []).append(c)
    errors = sorted(raw.decode_errors)
    located_rows = sorted(cells)
    if len(located_rows) == len(errors):
        pairs = [(e, r) for e, r in zip(errors, located_rows)]
    else:
        pairs = [(e, e[1] if e[1] in cells else None) for e in errors]
    out = []
    for (line, _, hexbytes), row in pairs:
        if row is None:
            out.append((line, None, None, hexbytes))
        else:
            out.extend((line, row, c, hexbytes) for c in cells[row])
    seen = {r for _, r, _, _ in out if r is not None}
    for row in located_rows:
        if row not in seen:
            out.extend((None, row, c, "") for c in cells[row])
    return out


def _spaced(hexbytes: str) -> str:
    return " ".join(hexbytes[i:i + 2] for i in range(0, len(hexbytes), 2)) or "?"


def unreadable_rows(raw, hmap: HeaderMap, questionnaire) -> pd.DataFrame:
    """One line per unreadable cell or row, columns :data:`DAMAGE_COLUMNS`: ``row`` the data
    row (``<NA>``: outside every row), ``line`` the file line where known, ``column`` the raw
    heading, ``detail`` the reason in words and ``info`` its key datum (the bytes, what the
    text reads as, the number of fields, the number of heading cells)."""
    frame = raw.frame
    found: list[tuple] = []
    encoding = _ENCODING_NAMES.get(raw.provenance.encoding, raw.provenance.encoding)
    for line, row, column, hexbytes in located_decode_errors(raw):
        where = f"line {line}" if line is not None else "the row"
        found.append((row, "undecodable_bytes", line, column, None if row is None else frame.at[row, column],
                      f"{where} holds bytes ({_spaced(hexbytes)}) that are not valid {encoding}", _spaced(hexbytes)))
    # one pass over the questionnaire columns, once per distinct value: mojibake, and for the
    # heading-row test the cells that hold their column's heading or id as written
    inverse = {}
    for key, column in hmap.columns.items():
        inverse.setdefault(column, []).append(key)
    same = np.zeros(len(frame), dtype=np.int64)
    filled = np.zeros(len(frame), dtype=np.int64)
    names_like = np.zeros(len(frame), dtype=np.int64)  # variable names (q1, Q8_1, v12) in answer columns
    answers = np.zeros(len(frame), dtype=np.int64)
    id_column = hmap.columns.get(questionnaire.respondent_id)
    text_columns = {hmap.columns.get(x.id) for x in questionnaire.by_type("text")}
    for column, keys in inverse.items():
        if column not in frame.columns:
            continue
        codes, uniques = factorized(frame[column])
        uniques = np.asarray(uniques, dtype=object)
        names = {column, column.strip(), clean_text(column)} | {k for key in keys
                                                                for k in (key, key.replace("#slot", "_slot"))}
        is_name = np.append(np.array([u in names for u in uniques], dtype=bool), False)  # -1: empty
        same += is_name[codes]
        filled += codes >= 0
        if column != id_column and column not in text_columns:
            ident = np.append(np.array([isinstance(u, str) and _VARIABLE_NAME.fullmatch(u.strip()) is not None
                                        for u in uniques], dtype=bool), False)
            names_like += ident[codes]
            answers += codes >= 0
        for k, u in enumerate(uniques):
            reads = utf8_read_as_cp932(u)
            if reads is not None:
                for row in frame.index[codes == k]:
                    found.append((int(row), "mojibake", None, column, u,
                                  f"{column} holds UTF-8 text read as CP932 and saved again (it reads "
                                  f"{_shown(reads)!r})", _shown(reads)))
    width = frame.shape[1]
    for row, line, fields in raw.short_rows:
        found.append((int(row), "short_row", line, None, None,
                      f"line {line} has {fields} of the heading's {width} fields: a line break inside an "
                      "unquoted cell, or a row cut short", fields))
    heading = (same >= 2) & (2 * same >= filled)
    found.extend((int(row), "heading_row", None, None, None,
                  f"{int(same[i])} of its {int(filled[i])} filled cells repeat their column's heading or id: a "
                  "heading row inside the data", int(same[i]))
                 for i, row in zip(np.flatnonzero(heading), frame.index[heading]))
    code_row = ~heading & (names_like >= 3) & (5 * names_like >= 4 * answers)
    found.extend((int(row), "heading_row", None, None, None,
                  f"{int(names_like[i])} of its {int(answers[i])} filled answer cells are variable names (such as "
                  "q1, Q8_1): a row of column codes inside the data", int(names_like[i]))
                 for i, row in zip(np.flatnonzero(code_row), frame.index[code_row]))
    out = pd.DataFrame(found, columns=list(DAMAGE_COLUMNS))
    out["row"] = out["row"].astype("Int64")
    return out.sort_values(["row", "line"], kind="stable", na_position="first").reset_index(drop=True)


def _shown(text: str) -> str:
    return text.replace("\ufffd", "?")


def refuse_unreadable(damage: pd.DataFrame, path) -> None:
    """D26: refuse a file with unreadable rows (``survey run`` without ``--exclude-undecodable``)."""
    if not len(damage):
        return
    rows = damage.dropna(subset=["row"]).drop_duplicates("row")
    shown = "; ".join(f"row {r.row}: {r.detail}" for r in rows.head(3).itertuples())
    more = f" (and {len(rows) - 3} more)" if len(rows) > 3 else ""
    raise InputError(f"{len(rows)} row(s) cannot be read as delivered — {shown}{more}; run `survey validate` on the "
                     "file for the list and ask for a corrected file, or pass --exclude-undecodable to survey run "
                     "(exclude_undecodable=True) to leave those rows out of the analysis", path=path)


def refuse_file_level(damage: pd.DataFrame, path) -> None:
    """D25: undecodable bytes outside every data row (in the heading line) cannot be excluded."""
    file_level = damage[damage["row"].isna()]
    if len(file_level):
        first = file_level.iloc[0]
        raise InputError(f"{first['detail']}, outside every data row (the heading row?); re-save the file as UTF-8 "
                         "or CP932 and deliver it again", path=path)


def problem_cells(raw, hmap: HeaderMap) -> list[tuple]:
    """``(data row, raw heading, cell, kind, shown)`` of the XLSX cells in questionnaire columns
    that hold a date, a formula without a saved result or an error value."""
    if not raw.cell_problems:
        return []
    columns = list(raw.frame.columns)
    mapped = set(hmap.columns.values())
    return [(row, columns[c], ref, kind, shown) for row, c, ref, kind, shown in raw.cell_problems
            if columns[c] in mapped]


_PROBLEM_TEXT = {
    "date": ("numbers formatted as dates", "format the column as a number (or text) in Excel and check the values"),
    "percent": ("numbers formatted as percentages", "format the column as a number (or text) in Excel and check "
                "the values"),
    "formula": ("formulas without a saved result", "open the workbook in Excel and save it (Excel calculates the "
                "formulas), or paste the values"),
    "error": ("error values", "correct the formulas or key the values"),
}


def refuse_problem_cells(raw, hmap: HeaderMap) -> None:
    """D27: an XLSX questionnaire cell whose number cannot be read, named by its cell."""
    found = problem_cells(raw, hmap)
    if not found:
        return
    kind = found[0][3]
    same = [f for f in found if f[3] == kind]
    cells = ", ".join(f"{ref} ({column}{': ' + shown if shown else ''})" for _, column, ref, _, shown in same[:5])
    more = f" and {len(same) - 5} more" if len(same) > 5 else ""
    what, fix = _PROBLEM_TEXT[kind]
    raise InputError(f"cells {cells}{more} of sheet {raw.provenance.sheet!r} hold {what}, so the number the cell "
                     f"shows cannot be read; {fix}", path=raw.provenance.path)
