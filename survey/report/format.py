"""Formatting in one place: numbers → the strings planners read.

Rules (Japanese municipal report conventions):

* percentages to one decimal (``12.3``), shown without the % sign inside
  tables whose header says (%);
* yen with thousands separators (``1,000``);
* ``-`` for a zero count, ``x`` for a suppressed cell;
* p-values to three decimals, ``<0.001`` below that (never ``0``);
* data text that would start a spreadsheet formula (``= + - @``, tab, CR),
  at the start of a cell or after a line break in it, is neutralised with
  an apostrophe;
* weighted and unweighted figures are always labelled.

In the workbook a figure stays a number: the cell holds the value and an
Excel number format shows it (:data:`NUMBER_FORMATS`).  A table says which
kind of figure a column holds with :func:`with_kinds` (``percent``,
``count``, ``yen``, ``p`` ...); columns without a declared kind are read
from their values: whole numbers are counts, other numbers keep the decimals
they were rounded to (:func:`cell_kind`).  The CSV and HTML writers show the
same kinds as text (:func:`kind_text`).
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from survey.safetext import neutralise_formula as _neutralise

__all__ = [
    "bare",
    "fmt_percent",
    "fmt_yen",
    "fmt_count",
    "fmt_number",
    "neutralise_formula",
    "neutralise_frame",
    "fmt_p",
    "p_values",
    "with_kinds",
    "column_kinds",
    "cell_kind",
    "kind_text",
    "excel_format",
    "KINDS_ATTR",
    "NUMBER_FORMATS",
    "WEIGHTED",
    "UNWEIGHTED",
]

WEIGHTED = "（重み付け）"
UNWEIGHTED = "（重みなし）"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_percent(value, *, digits: int = 1) -> str:
    """A proportion (0–1) as a percentage string with one decimal."""
    if _missing(value):
        return ""
    return f"{100 * value:.{digits}f}"


def fmt_yen(value, *, digits: int = 0) -> str:
    if _missing(value):
        return ""
    return f"{value:,.{digits}f}"


def fmt_count(value) -> str:
    """Counts: ``-`` for zero, thousands separators otherwise."""
    if _missing(value):
        return ""
    if value == 0:
        return "-"
    return f"{int(round(value)):,}"


def fmt_number(value, *, digits: int = 2) -> str:
    if _missing(value):
        return ""
    return f"{value:.{digits}f}"


def fmt_p(value) -> str:
    """A p-value: three decimals, ``<0.001`` below 0.001 (an underflow to 0
    included), blank when missing.

    >>> fmt_p(0.04321), fmt_p(0.0004), fmt_p(0.0)
    ('0.043', '<0.001', '<0.001')
    """
    if _missing(value):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def p_values(values) -> np.ndarray:
    """p-values rounded for a report: three decimals from 0.001 up; smaller
    ones are kept as they are, since they are only ever shown as ``<0.001``
    (rounding them would print ``0``)."""
    p = np.asarray(values, dtype=float)
    return np.where(p < 0.001, p, np.round(p, 3))


#: ``DataFrame.attrs`` key holding ``{column: kind}`` (see :func:`with_kinds`).
KINDS_ATTR = "kinds"

#: Excel number format of each kind of figure.  ``percent`` is a percentage
#: already on the 0–100 scale (the heading says %); ``share`` a 0–1
#: proportion shown with a % sign; ``decimalN`` a number with N decimals.
NUMBER_FORMATS = {
    "count": '#,##0;-#,##0;"-"',
    "integer": "0",
    "percent": "0.0",
    "share": "0.0%",
    "yen": '"¥"#,##0',
    "p": '[<0.001]"<0.001";0.000',
    "scientific": "0.00E+00",
    "decimal0": "#,##0",
    "decimal1": "#,##0.0",
    "decimal2": "#,##0.00",
    "decimal3": "#,##0.000",
    "decimal4": "#,##0.0000",
}
_INTEGER_KINDS = ("count", "integer", "yen")


def with_kinds(frame: pd.DataFrame, kinds: dict) -> pd.DataFrame:
    """Declare the kind of figure of some columns (returns ``frame``).

    ``kinds`` maps column → a key of :data:`NUMBER_FORMATS`.  Whole numbers
    in a column declared ``percent`` stay counts (the two-line cross table
    holds counts and percentages in one column).
    """
    unknown = {k for k in kinds.values() if k not in NUMBER_FORMATS}
    if unknown:
        raise ValueError(f"unknown kind(s) {sorted(unknown)}; use one of {', '.join(NUMBER_FORMATS)}")
    frame.attrs[KINDS_ATTR] = {**frame.attrs.get(KINDS_ATTR, {}), **kinds}
    return frame


def bare(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its ``attrs`` (the same data, not copied), for reading it column by
    column: pandas deep-copies a frame's ``attrs`` into every column it hands out, and the
    report's tables carry their kinds and open-data description there (that copying was
    14,000 deep copies in one ``survey run``)."""
    return pd.DataFrame(frame) if frame.attrs else frame


def _decimals(value: float) -> int | None:
    """Decimals a rounded number was rounded to (``None``: not rounded to ≤ 4)."""
    for d in range(5):
        if abs(round(value, d) - value) <= 1e-9 * abs(value):
            return d
    return None


def _float_kind(values) -> str:
    """``decimalN`` for numbers rounded to N decimals (the most any needs)."""
    finite = [float(v) for v in values if isinstance(v, numbers.Real) and not isinstance(v, bool)
              and math.isfinite(float(v))]
    places = [_decimals(v) for v in finite]
    if any(p is None for p in places):
        return "decimal4"
    return f"decimal{max(places, default=0)}"


def column_kinds(frame: pd.DataFrame) -> dict:
    """``{column: kind}``: declared (:func:`with_kinds`), else ``p`` for a
    heading with ``p値``, else for a float column the decimals its values were
    rounded to; ``None`` for other columns (each cell decides)."""
    declared = frame.attrs.get(KINDS_ATTR, {})
    frame = bare(frame)
    out = {}
    for col in frame.columns:
        if col in declared:
            out[col] = declared[col]
        elif isinstance(col, str) and "p値" in col:
            out[col] = "p"
        elif pd.api.types.is_float_dtype(frame[col].dtype):
            out[col] = _float_kind(frame[col].tolist())
        else:
            out[col] = None
    return out


def cell_kind(value, column_kind: str | None) -> str | None:
    """The kind a numeric cell is shown as (``None`` for text and blanks).

    Whole numbers (Python or numpy integers) are counts unless the column
    declares an integer kind; other numbers take the column's kind, or in a
    column of mixed content the decimals they were rounded to (a number not
    rounded to four decimals or fewer: four, or scientific below 0.001).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        return None
    if isinstance(value, (numbers.Integral, np.integer)):
        return column_kind if column_kind in _INTEGER_KINDS else "count"
    if not math.isfinite(float(value)):
        return None
    if column_kind is not None:
        return column_kind
    places = _decimals(float(value))
    if places is None:
        return "scientific" if abs(float(value)) < 0.001 else "decimal4"
    return f"decimal{places}"


def kind_text(value, kind: str | None, *, thousands: bool = True) -> str:
    """A number as the text its Excel format shows (CSV: ``thousands=False``)."""
    if _missing(value) or value is pd.NA:
        return ""
    sep = "," if thousands else ""
    if kind == "p":
        return fmt_p(float(value))
    if kind == "count":
        return "-" if value == 0 and thousands else f"{int(round(value)):{sep}d}"
    if kind in ("integer",):
        return f"{int(round(value))}"
    if kind == "yen":
        return f"¥{value:{sep}.0f}" if thousands else f"{value:.0f}"
    if kind == "percent":
        return f"{value:.1f}"
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "scientific":
        return f"{value:.2E}"
    if kind and kind.startswith("decimal"):
        return f"{value:{sep}.{int(kind[7:])}f}"
    return str(value)


def excel_format(kind: str | None) -> str | None:
    """The Excel number format of a kind (``None`` for text)."""
    return NUMBER_FORMATS.get(kind) if kind else None


def neutralise_formula(value):
    """Make a data string inert in a spreadsheet (OWASP CSV injection rule).

    Numbers pass through; a string starting with ``= + - @`` (or tab/CR) gets a
    leading apostrophe so Excel and LibreOffice show it as text, and so does
    every line after a line break inside it (:func:`survey.safetext.neutralise_formula`).

    >>> neutralise_formula('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> neutralise_formula("-0.5")
    '-0.5'
    """
    return _neutralise(value)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Neutralise every string cell and header of a table before writing it."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = pd.Series([neutralise_formula(v) for v in out[col]], index=out.index, dtype=object)
    out.columns = [neutralise_formula(c) if isinstance(c, str) else c for c in out.columns]
    return out
