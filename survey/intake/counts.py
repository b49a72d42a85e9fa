"""Checked columns of the side tables: cell codes and counts.

The population margins, a wave's mailing file and the planner's mailing
counts are small CSVs keyed by questionnaire codes (``district``,
``age_band`` ...) with a count per row.  Their columns are checked here, once,
so every reader refuses the same bad values with the same message naming the
file, row and column: a code must be a whole number (``'北部'``, ``2.5`` or
``inf`` are not), a count a finite non-negative number (whole if asked).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import InputError

__all__ = ["CODE_LIMIT", "cell_codes", "count_column"]

CODE_LIMIT = 2**31  # codes beyond this cannot be the questionnaire's (and would overflow int casts)


def count_column(frame: pd.DataFrame, column: str, rule: str, *, path=None, whole: bool = False) -> pd.Series:
    """``frame[column]`` as finite non-negative floats (whole numbers if
    ``whole``); the first cell that is not is an InputError ``rule; got …``."""
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    bad = ~np.isfinite(values) | (values < 0)  # NaN (not a number or empty), inf, negative
    if whole:
        bad |= values != values.round()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        value = frame[column].iloc[row]
        shown = "an empty cell" if pd.isna(value) else repr(str(value))
        raise InputError(f"{rule}; got {shown}", path=path, row=row + 1, column=column)
    return values


def cell_codes(frame: pd.DataFrame, keys, *, path=None) -> pd.DataFrame:
    """The key columns as int64 codes; the first cell that is not a whole
    number is an InputError naming its row and column."""
    codes = {}
    for key in keys:
        col = pd.to_numeric(frame[key], errors="coerce").astype(float)
        bad = ~np.isfinite(col) | (col.abs() > CODE_LIMIT) | (col != col.round())  # NaN, inf: not finite
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            what = "is not a number" if np.isnan(col.iloc[row]) else "is not a whole-number code"
            raise InputError(f"the cell code {str(frame[key].iloc[row])!r} {what}; use the questionnaire's "
                             "numeric codes (labels may stay in another column)", path=path, row=row + 1, column=key)
        codes[key] = col.astype(np.int64)
    return pd.DataFrame(codes, index=frame.index)
