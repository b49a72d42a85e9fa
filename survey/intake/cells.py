"""Column-at-a-time cell parsing for validation, with a status per cell.

The cell parsers are normalisation's own (:func:`clean_text`,
:func:`parse_number`, the code/label lookup); they run once per *distinct*
value of a column (``pandas.factorize``) and are broadcast back, so the cost
grows with the number of distinct values, not with the number of rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.intake.values import clean_text, code_lookup, mark_value, parse_number, several_codes
from survey.questionnaire import Question

__all__ = ["Parsed", "Status", "parse_amount", "parse_coded", "parse_dummy", "parse_numeric", "parse_text"]


class Status:
    """Cell status codes (small ints so columns stay compact numpy arrays)."""

    BLANK = 0
    VALID = 1
    MISSING_CODE = 2
    INVALID = 3
    MULTIPLE = 4
    NOT_NUMBER = 5
    OUT_OF_RANGE = 6
    NOT_INTEGER = 7


@dataclass(frozen=True)
class Parsed:
    """One raw column: values as read, parsed value (NaN unless valid), status."""

    raw: np.ndarray      # object: str or None, exactly as delivered
    value: np.ndarray    # float
    status: np.ndarray   # int8, see Status

    @property
    def valid(self) -> np.ndarray:
        return self.status == Status.VALID

    @property
    def blank(self) -> np.ndarray:
        return self.status == Status.BLANK




def _by_unique(series: pd.Series, parse) -> Parsed:
    """Apply ``parse(text) -> (value, status)`` once per distinct non-empty cell."""
    raw = series.to_numpy(dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    k = len(uniques)
    values = np.full(k + 1, np.nan)
    status = np.full(k + 1, Status.BLANK, dtype=np.int8)  # slot k: None (index -1)
    for i, u in enumerate(uniques):
        text = clean_text(u)
        if text is not None:
            values[i], status[i] = parse(text)
    return Parsed(raw=raw, value=values[codes], status=status[codes])


def parse_coded(series: pd.Series, q: Question) -> Parsed:
    """A single-code cell (single, likert, ranking slot, multi slot)."""
    lookup = code_lookup(q)
    valid, missing = set(q.codes), set(q.missing)

    def code_of(text):
        code = lookup.get(text)
        if code is None:
            num = parse_number(text) if "," not in text else None  # "1,2" is two marks, not 12
            if num is not None and float(num).is_integer():
                code = int(num)
        return code

    def parse(text):
        code = code_of(text)
        if code in valid:
            return float(code), Status.VALID
        if code in missing:
            return np.nan, Status.MISSING_CODE
        if several_codes(text, q):
            return np.nan, Status.MULTIPLE
        return np.nan, Status.INVALID

    return _by_unique(series, parse)


def parse_numeric(series: pd.Series, q: Question) -> Parsed:
    """A numeric answer: missing codes first, then range and integer checks
    (the order normalisation uses)."""
    missing = {float(c) for c in q.missing}
    low = -np.inf if q.minimum is None else q.minimum
    high = np.inf if q.maximum is None else q.maximum

    def parse(text):
        num = parse_number(text)
        if num is None:
            return np.nan, Status.NOT_NUMBER
        if num in missing:
            return np.nan, Status.MISSING_CODE
        if num < low or num > high:
            return num, Status.OUT_OF_RANGE
        if q.integer and not float(num).is_integer():
            return num, Status.NOT_INTEGER
        return num, Status.VALID

    return _by_unique(series, parse)


def parse_dummy(series: pd.Series) -> Parsed:
    """A multi-answer 0/1 cell (the marks of :data:`survey.intake.values.MULTI_MARKS`
    count as 1, exactly as normalisation reads them)."""

    def parse(text):
        num = mark_value(text)
        if num in (0.0, 1.0):
            return float(num), Status.VALID
        return np.nan, Status.INVALID

    return _by_unique(series, parse)


def parse_amount(series: pd.Series) -> Parsed:
    """An allocation part: a non-negative number."""

    def parse(text):
        num = parse_number(text)
        if num is None:
            return np.nan, Status.NOT_NUMBER
        if num < 0:
            return num, Status.OUT_OF_RANGE
        return num, Status.VALID

    return _by_unique(series, parse)


def parse_text(series: pd.Series) -> Parsed:
    """Free text: valid when not blank (value is 0.0 for answered cells)."""
    return _by_unique(series, lambda text: (0.0, Status.VALID))
