"""Formatting in one place: numbers → the strings planners read.

Rules (Japanese municipal report conventions):

* percentages to one decimal (``12.3``), shown without the % sign inside
  tables whose header says (%);
* yen with thousands separators (``1,000``);
* ``-`` for a zero count, blank for a suppressed cell;
* data text that would start a spreadsheet formula (``= + - @``, tab, CR),
  at the start of a cell or after a line break in it, is neutralised with
  an apostrophe;
* weighted and unweighted figures are always labelled.
"""
from __future__ import annotations

import math

import pandas as pd

from survey.safetext import neutralise_formula as _neutralise

__all__ = [
    "fmt_percent",
    "fmt_yen",
    "fmt_count",
    "fmt_number",
    "neutralise_formula",
    "neutralise_frame",
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
