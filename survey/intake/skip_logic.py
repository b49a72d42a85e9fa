"""Skip logic: which rows a question was asked of (:func:`condition_mask`),
and clearing answers given although the question was skipped."""
from __future__ import annotations

import numpy as np

from survey.intake.values import WHY_NOT_APPLICABLE, _present

__all__ = ["condition_mask"]


def _condition_mask(cond, data) -> np.ndarray:
    values = data[cond.column]
    if values.dtype == object:
        values = np.where(_present(values), 0.0, np.nan)
    if cond.op == "blank":
        return np.isnan(values) if cond.values[0] else ~np.isnan(values)
    if cond.op == "in":
        return np.isin(values, list(cond.values))
    if cond.op == "not_in":
        return ~np.isnan(values) & ~np.isin(values, list(cond.values))
    low, high = cond.values
    return (values >= low) & (values <= high)


def condition_mask(conditions, data) -> np.ndarray:
    """Rows where all conditions hold (missing values never satisfy in/between)."""
    n = len(next(iter(data.values())))
    mask = np.ones(n, dtype=bool)
    for cond in conditions:
        mask &= _condition_mask(cond, data)
    return mask


def _apply_skip_logic(questionnaire, rows, ids, data, reasons, changes):
    for q in questionnaire.questions:
        if not q.asked_if:
            continue
        asked = condition_mask(q.asked_if, data)
        for col in q.columns:
            values = data[col]
            answered = _present(values) if values.dtype == object else ~np.isnan(values)
            wrong = ~asked & answered
            if wrong.any():
                changes.add(rows[wrong], ids[wrong], col, values[wrong], [None] * int(wrong.sum()), "answered_although_skipped")
                values = values.copy()
                values[wrong] = None if values.dtype == object else np.nan
                data[col] = values
            why = reasons[col].copy()
            why[~asked] = WHY_NOT_APPLICABLE
            reasons[col] = why
