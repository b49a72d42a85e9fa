"""The dtypes of the tidy frame, chosen from the questionnaire alone.

Declared codes and numeric bounds decide each column's dtype, never the
delivered values, so one questionnaire gives one schema for every wave
(table in :class:`survey.intake.ledger.Dataset`; pandas nullable ``Int8``/
``Int16``/``Int32`` for codes and bounded whole numbers, ``float64`` for other
numbers and allocation amounts, ``str`` for text).  Normalisation cleans on
floats and converts each column once, at the end, with
:func:`compact_column`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import SurveyError
from survey.questionnaire import Question, Questionnaire

__all__ = ["column_dtypes", "compact_column", "question_dtype"]


_INTEGER_DTYPES = ("Int8", "Int16", "Int32", "Int64")


def _integer_dtype(low, high, *, smallest: str = "Int16") -> str:
    """The smallest nullable integer dtype (from ``smallest`` up) holding
    ``low .. high``; ``float64`` when none does."""
    for name in _INTEGER_DTYPES[_INTEGER_DTYPES.index(smallest):]:
        info = np.iinfo(name.lower())
        if info.min <= low and high <= info.max:
            return name
    return "float64"


def question_dtype(q: Question) -> str:
    """The dtype of one question's columns (all its columns share it)."""
    if q.type in ("single", "likert", "ranking"):
        codes = list(q.codes) or [0]
        return _integer_dtype(min(codes), max(codes))
    if q.type == "multi":
        return "Int8"
    if q.type == "numeric" and q.integer and q.minimum is not None and q.maximum is not None:
        # whole numbers within the bounds: the cleaning clears everything else
        return _integer_dtype(q.minimum, q.maximum)
    if q.type == "text":
        return "str"
    return "float64"  # numeric (may be fractional or unbounded), allocation amounts


def column_dtypes(questionnaire: Questionnaire) -> dict[str, str]:
    """The dtype of every tidy column, chosen from the questionnaire alone
    (declared codes, numeric bounds), never from the delivered values; see
    :class:`~survey.intake.ledger.Dataset` for the table (``midori_2025.yaml``: ``satisfaction``
    ``Int16``, ``activity_1`` ``Int8``, ``years_lived`` ``Int16``,
    ``alloc_rain`` ``float64``, ``comment`` ``str``).
    """
    out = {questionnaire.respondent_id: "str"}
    for q in questionnaire.questions:
        dtype = question_dtype(q)
        out.update({col: dtype for col in q.columns})
    return out


def compact_column(column: str, values: np.ndarray, dtype: str):
    """A cleaned column (floats with NaN, or objects for text) in its dtype."""
    if dtype == "str":  # as pandas infers it, also for a column nobody answered
        return pd.array(values, dtype="str")
    if dtype not in _INTEGER_DTYPES:
        return values
    missing = np.isnan(values)
    ints = np.where(missing, 0, values).astype(dtype.lower())
    if not np.array_equal(ints, np.where(missing, 0, values)):  # whole and in range, by construction
        raise SurveyError(f"internal check failed: column {column!r} holds values that are not {dtype}; "
                          "please report this with the input file")
    return pd.arrays.IntegerArray(ints, missing)
