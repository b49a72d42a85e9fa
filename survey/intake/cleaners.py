"""The questionnaire's cleaning policies, one function per question type.

Each cleaner reads its raw columns, writes float codes (or objects, for text)
into ``data`` and why each missing cell is missing into ``reasons`` (int8
positions in :data:`survey.intake.values.MISSING_REASONS`, ``OBSERVED`` where
answered), and
logs every cell it changes to ``changes`` (a :class:`survey.intake.ledger._Changes`)
in the ledger's order.
"""
from __future__ import annotations

import numpy as np

from survey.intake.values import (
    OBSERVED,
    WHY_BLANK,
    WHY_INVALID,
    WHY_MISSING_CODE,
    WHY_TIED,
    _marks,
    _number_or_nan,
    _parse_codes,
    _per_unique,
    _series_or_blank,
    clean_column,
    reasons_array,
    several_codes,
)

__all__: list[str] = []


def _normalise_question(q, frame, hmap, rows, ids, data, reasons, changes):
    if q.type in ("single", "likert") and not q.items:
        _codes_column(q, q.id, frame, hmap, rows, ids, data, reasons, changes)
    elif q.type == "likert":
        for item in q.items:
            _codes_column(q, item.column, frame, hmap, rows, ids, data, reasons, changes)
    elif q.type == "numeric":
        _numeric(q, _series_or_blank(frame, hmap, q.id), rows, ids, data, reasons, changes)
    elif q.type == "text":
        series = clean_column(_series_or_blank(frame, hmap, q.id))
        data[q.id] = series.to_numpy(dtype=object)
        reasons[q.id] = np.where(series.isna().to_numpy(), WHY_BLANK, OBSERVED).astype(np.int8)
    elif q.type == "multi":
        _multi(q, frame, hmap, rows, ids, data, reasons, changes)
    elif q.type == "allocation":
        _allocation(q, frame, hmap, rows, ids, data, reasons, changes)
    elif q.type == "ranking":
        _ranking(q, frame, hmap, rows, ids, data, reasons, changes)


def _codes_column(q, column, frame, hmap, rows, ids, data, reasons, changes):
    """One coded column; a value that is no declared code is cleared and logged."""
    series = _series_or_blank(frame, hmap, column)
    data[column], reasons[column], _ = _parse_codes(series, q)
    _log_invalid(changes, rows, ids, column, series, reasons[column], "invalid_code_cleared")


def _log_invalid(changes, rows, ids, column, series, why, rule):
    bad = why == WHY_INVALID
    if bad.any():
        changes.add(rows[bad], ids[bad], column, series.to_numpy(dtype=object)[bad], [None] * int(bad.sum()), rule)


def _numeric(q, series, rows, ids, data, reasons, changes):
    cleaned = clean_column(series)
    values = _per_unique(series, _number_or_nan, fill=np.nan).astype(float)
    why = reasons_array(len(series))
    blank = cleaned.isna().to_numpy()
    why[blank] = WHY_BLANK
    unparsable = ~blank & np.isnan(values)
    why[unparsable] = WHY_INVALID
    _log_invalid(changes, rows, ids, q.id, series, why, "invalid_number_cleared")
    missing = ~blank & np.isin(values, list(q.missing))
    why[missing] = WHY_MISSING_CODE
    values[missing] = np.nan
    low = -np.inf if q.minimum is None else q.minimum
    high = np.inf if q.maximum is None else q.maximum
    impossible = ~np.isnan(values) & ((values < low) | (values > high) | (q.integer & (values != np.floor(values))))
    if impossible.any():
        changes.add(rows[impossible], ids[impossible], q.id, series.to_numpy(dtype=object)[impossible],
                    [None] * int(impossible.sum()), "impossible_value")
        values[impossible] = np.nan
        why[impossible] = WHY_INVALID
    data[q.id] = values
    reasons[q.id] = why


def _multi(q, frame, hmap, rows, ids, data, reasons, changes):
    n = len(frame)
    codes = list(q.codes)
    dummies = np.zeros((n, len(codes)))
    if q.form == "slots":
        any_answer = np.zeros(n, dtype=bool)
        invalid = np.zeros(n, dtype=bool)
        for k in range(1, len(q.raw_headers) + 1):
            series = _series_or_blank(frame, hmap, f"{q.id}#slot{k}")
            values, why, _ = _parse_codes(series, q)
            _log_invalid(changes, rows, ids, f"{q.id}_slot{k}", series, why, "invalid_code_cleared")
            for j, code in enumerate(codes):
                dummies[:, j] += values == code
            any_answer |= ~np.isnan(values)
            invalid |= why == WHY_INVALID
        dummies = np.minimum(dummies, 1)
        blank = ~any_answer
    else:
        marks = np.full((n, len(codes)), np.nan)
        bad = np.zeros((n, len(codes)), dtype=bool)
        delivered = []
        for j, item in enumerate(q.items):
            series = _series_or_blank(frame, hmap, item.column)
            present, arr = _marks(series)
            bad[:, j] = present & ~np.isin(arr, [0.0, 1.0])
            marks[:, j] = np.where(bad[:, j], np.nan, arr)
            delivered.append(series.to_numpy(dtype=object))
        blank = np.all(np.isnan(marks), axis=1)
        dummies = np.nan_to_num(marks, nan=0.0)
        invalid = bad.any(axis=1)
        # a mark that is neither 0/1 nor a circle or tick is read as "not chosen" (blank when no cell
        # of the question is readable): every such cell goes to the ledger
        i, j = np.nonzero(bad)
        cols = np.array([item.column for item in q.items], dtype=object)
        changes.add_cells(rows[i], ids[i], cols[j], np.stack(delivered, axis=1)[i, j] if len(i) else [],
                          np.where(blank[i], None, 0).astype(object), "invalid_mark_cleared")
    chosen = dummies.sum(axis=1)
    if q.max_choices is not None:
        over = chosen > q.max_choices
        if over.any() and q.over_limit in ("keep_lowest", "drop"):
            picked = (dummies != 0) & over[:, None]
            if q.over_limit == "keep_lowest":
                picked &= np.cumsum(dummies != 0, axis=1) > q.max_choices
            i, j = np.nonzero(picked)  # row by row, lowest code first: the ledger's order
            cols = np.array([item.column for item in q.items], dtype=object)
            after = 0 if q.over_limit == "keep_lowest" else None
            changes.add_cells(rows[i], ids[i], cols[j], [1] * len(i), [after] * len(i),
                              f"multi_over_limit_{q.over_limit}")
            dummies[picked] = 0
            if q.over_limit == "drop":
                blank = blank | over
    dummies[blank] = np.nan
    for j, item in enumerate(q.items):
        data[item.column] = dummies[:, j]
        why = reasons_array(n)
        why[blank] = WHY_BLANK
        reasons[item.column] = why


def _allocation(q, frame, hmap, rows, ids, data, reasons, changes):
    n = len(frame)
    cols = [item.column for item in q.items]
    amounts = np.full((n, len(cols)), np.nan)
    raw_vals = []
    delivered = np.zeros((n, len(cols)), dtype=bool)
    for j, col in enumerate(cols):
        series = _series_or_blank(frame, hmap, col)
        raw_vals.append(series.to_numpy(dtype=object))
        delivered[:, j] = series.notna().to_numpy()
        amounts[:, j] = _per_unique(series, _number_or_nan, fill=np.nan).astype(float)
    invalid_cell = delivered & np.isnan(amounts)
    col_names = np.array(cols, dtype=object)
    negative = amounts < 0
    answered = ~np.isnan(amounts)
    none = ~answered.any(axis=1)
    partial = answered.any(axis=1) & ~answered.all(axis=1) & ~invalid_cell.any(axis=1)
    # blank parts beside answered ones mean ¥0 (the respondent wrote nothing there)
    fill = partial[:, None] & ~answered
    i, j = np.nonzero(fill)
    changes.add_cells(rows[i], ids[i], col_names[j], [None] * len(i), [0] * len(i), "allocation_blank_as_zero")
    amounts[fill] = 0
    unusable = invalid_cell.any(axis=1) | negative.any(axis=1)
    totals = np.nansum(amounts, axis=1)
    off = ~none & ~unusable & (np.abs(totals - q.total) > q.tolerance)
    why = reasons_array(n)
    why[none] = WHY_BLANK
    if q.total_policy == "reject":
        bad = off | unusable
        rule = "allocation_total_reject"
    elif q.total_policy == "rescale":
        bad = unusable | (off & (totals <= 0))
        rule = "allocation_total_rescale"
        todo = off & ~bad
        if todo.any():
            new = _largest_remainder_rows(amounts[todo], q.total)
            old = amounts[todo]
            k, j = np.nonzero(new != old)
            i = np.flatnonzero(todo)[k]
            changes.add_cells(rows[i], ids[i], col_names[j], old[k, j], new[k, j], rule)
            amounts[todo] = new
    else:
        bad = unusable
        rule = "allocation_invalid"
    logged = bad[:, None] & (~np.isnan(amounts) | delivered)
    i, j = np.nonzero(logged)
    before = np.stack(raw_vals, axis=1)[i, j] if len(i) else []
    changes.add_cells(rows[i], ids[i], col_names[j], before, [None] * len(i),
                      rule if q.total_policy == "reject" else "allocation_invalid")
    amounts[bad] = np.nan
    why[bad] = WHY_INVALID
    for j, col in enumerate(cols):
        data[col] = amounts[:, j]
        reasons[col] = why.copy()


def _largest_remainder(parts: np.ndarray, total: int) -> np.ndarray:
    """Rescale non-negative parts to integers summing exactly to ``total``
    (Hamilton's largest-remainder method; ties to the earlier part)."""
    scaled = parts * total / parts.sum()
    floor = np.floor(scaled)
    short = int(round(total - floor.sum()))
    order = np.argsort(-(scaled - floor), kind="stable")
    floor[order[:short]] += 1
    return floor


def _largest_remainder_rows(parts: np.ndarray, total: int) -> np.ndarray:
    """:func:`_largest_remainder` on every row of a 2-D array at once."""
    scaled = parts * total / parts.sum(axis=1, keepdims=True)
    floor = np.floor(scaled)
    short = np.round(total - floor.sum(axis=1)).astype(int)
    order = np.argsort(-(scaled - floor), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(parts.shape[1])[None, :].repeat(len(parts), axis=0), axis=1)
    return floor + (rank < short[:, None])


def _ranking(q, frame, hmap, rows, ids, data, reasons, changes):
    """Rank boxes: a tie stops the ranking, repeats are cleared, gaps close up.

    Phase 0, ties: a box with two or more items ("1,10") is a tie; the
    ranking is known only above it, so the tied box and every box below it
    become missing (reason ``tied``, ledger rule ``ranking_tie_truncated``),
    never moved up (a third choice is not a first choice).  Phase 1: a
    repeat of an item ranked higher up is cleared.  Phase 2: a rank without
    the rank above it moves up (rank 3 without rank 2 becomes rank 2).
    """
    n = len(frame)
    slots = np.full((n, q.depth), np.nan)
    tied = np.zeros((n, q.depth), dtype=bool)
    delivered = np.empty((n, q.depth), dtype=object)
    whys = []
    for r, item in enumerate(q.items):
        series = _series_or_blank(frame, hmap, item.column)
        values, why, cleaned = _parse_codes(series, q)
        tied[:, r] = (why == WHY_INVALID) & _per_unique(cleaned, lambda t: several_codes(t, q), fill=False).astype(bool)
        _log_invalid(changes, rows, ids, item.column, series, np.where(tied[:, r], OBSERVED, why), "invalid_code_cleared")
        slots[:, r] = values
        delivered[:, r] = series.to_numpy(dtype=object)
        whys.append(why)
    cols = np.array([item.column for item in q.items], dtype=object)
    # a tie stops the ranking there (phase 0): that box and the ones below are unknown
    below = np.cumsum(tied, axis=1) > 0
    cut = below & (tied | ~np.isnan(slots))
    i_t, r_t = np.nonzero(cut)
    if len(i_t):
        before = np.where(tied[i_t, r_t], delivered[i_t, r_t], _int_or_none(slots[i_t, r_t]))
        changes.add_cells(rows[i_t], ids[i_t], cols[r_t], before, np.full(len(i_t), None, dtype=object),
                          "ranking_tie_truncated")
    slots[below] = np.nan
    for r in range(q.depth):
        whys[r] = np.where(below[:, r], WHY_TIED, whys[r]).astype(np.int8)
    # a repeat of an item ranked higher up is cleared (phase 1)
    original = slots.copy()
    dup = np.zeros(slots.shape, dtype=bool)
    for r in range(1, q.depth):
        dup[:, r] = ~np.isnan(original[:, r]) & (original[:, :r] == original[:, [r]]).any(axis=1)
        slots[dup[:, r], r] = np.nan
        whys[r][dup[:, r]] = WHY_INVALID
    # compact gaps: rank 3 without rank 2 moves up (phase 2), never past a tie
    order = np.argsort(np.isnan(slots), axis=1, kind="stable")
    compact = np.take_along_axis(slots, order, axis=1)
    moved = ~(np.isnan(compact) & np.isnan(slots)) & (compact != slots)
    i0, r0 = np.nonzero(dup)
    i1, r1 = np.nonzero(moved)
    # the ledger's order: row by row, duplicates before moves, then by rank
    pos = np.lexsort((np.concatenate([r0, r1]), np.repeat([0, 1], [len(i0), len(i1)]), np.concatenate([i0, i1])))
    i_all, r_all = np.concatenate([i0, i1])[pos], np.concatenate([r0, r1])[pos]
    before = _int_or_none(np.concatenate([original[i0, r0], slots[i1, r1]])[pos])
    after = np.concatenate([np.full(len(i0), np.nan), compact[i1, r1]])[pos]
    rule = np.where(pos < len(i0), "ranking_duplicate_item", "ranking_gap_compacted").astype(object)
    changes.add_cells(rows[i_all], ids[i_all], cols[r_all], before, _int_or_none(after), rule)
    slots = compact
    # a moved-up rank leaves its reason behind: reasons follow the compaction too
    why_all = np.stack(whys, axis=1)
    why_all = np.take_along_axis(why_all, order, axis=1)
    for r, item in enumerate(q.items):
        data[item.column] = slots[:, r]
        reasons[item.column] = why_all[:, r]


def _int_or_none(values: np.ndarray) -> np.ndarray:
    """Float codes as Python ints, NaN as None (an object array)."""
    out = np.empty(len(values), dtype=object)
    ok = ~np.isnan(values)
    out[ok] = values[ok].astype(np.int64).tolist()
    return out
