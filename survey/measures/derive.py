"""Deriving a measure's variables from answer codes, for the design to estimate.

Every measure is: resolve the spec (scores, a numeric map, the allocation
policy) → derive variables (a score, 0/1 indicators, times a year) → ask the
design (``Design.with_columns(...).subset(...).mean(..., by=...)``).  This
module holds the small steps the measures share: reading a column of answer
codes, mapping codes to values, coding a categorical the design can take a
proportion of, and refusing a group nobody answered in.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import DesignError, InputError
from survey.validation import check_columns

__all__ = ["answer_codes", "categories", "mapped", "require_answers"]


def answer_codes(design, column: str, *, what: str) -> np.ndarray:
    """A column of answer codes as floats (NaN for missing).

    :class:`~survey.errors.ColumnError` when the column is not in the data,
    :class:`~survey.errors.InputError` when it does not hold numbers.
    """
    check_columns(design.data, column, what=f"{what}: column")
    s = design.data[column]
    if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        raise InputError(f"{what}: column {column!r} must hold numeric answer codes (dtype "
                         f"{s.dtype}); read the data with survey.intake.load", column=column)
    return s.to_numpy(dtype=float, na_value=np.nan)


def mapped(codes: np.ndarray, mapping: dict) -> np.ndarray:
    """``mapping[code]`` per row; NaN for codes it does not map (and for NaN)."""
    return pd.Series(codes).map(mapping).to_numpy(dtype=float)


def categories(positions: np.ndarray, levels) -> pd.Categorical:
    """A categorical of ``levels`` from each row's position in them (-1: missing),
    for ``Design.proportion``: every level gets a row, answered or not."""
    return pd.Categorical.from_codes(np.asarray(positions, dtype=np.int64), categories=list(levels))


def require_answers(estimate, what: str):
    """``estimate`` unless a domain of it has no answering respondent (n = 0)."""
    empty = [estimate.estimate.index[k] for k in np.flatnonzero(estimate.n.to_numpy() == 0)]
    if empty:
        raise DesignError(f"{what}: no respondent with a positive weight answered in the domain(s) {empty}; "
                          "drop those groups or collapse levels")
    return estimate
