"""Cell-level checks, one question at a time (vectorised over rows).

Each ``check_<type>`` parses the question's raw columns (through
:mod:`survey.intake.cells`), reports the cells that cannot be read as the
questionnaire says (非指定値, 異常値, several marks), the question-level
policies (multi-answer limit, allocation total, ranking defects) and leaves
in the :class:`Context` what the row-level checks need: the parsed values
(``data``, NaN unless valid, the layout normalisation produces) and one or
more answer *units* per question (what "blank" and "answered" mean for it).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.intake.cells import (
    Parsed,
    Status,
    parse_amount,
    parse_coded,
    parse_dummy,
    parse_numeric,
    parse_text,
)
from survey.intake.findings import Collector, allowed_codes
from survey.intake.messages import message
from survey.intake.rules import Rule
from survey.intake.values import HeaderMap
from survey.questionnaire import Question, Questionnaire

__all__ = ["Context", "Unit", "check_question"]


@dataclass(frozen=True)
class Unit:
    """What 'blank' and 'answered' mean for a question (or one matrix item)."""

    column_id: str
    header: str
    columns: tuple       # column keys the unit reads (to skip it when one is absent)
    blank: np.ndarray    # every cell blank
    answered: np.ndarray  # a valid answer is present
    value_of: Callable   # boolean row mask -> values to show for those rows (built only when needed)


@dataclass
class Context:
    questionnaire: Questionnaire
    frame: pd.DataFrame
    hmap: HeaderMap
    out: Collector
    parsed: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)

    def __post_init__(self):
        self.rows = self.frame.index.to_numpy(dtype=np.int64)
        self.n = len(self.frame)
        self.expected = {}
        for q in self.questionnaire.questions:
            if q.type == "multi" and q.form == "slots":
                for k, header in enumerate(q.raw_headers, start=1):
                    self.expected[f"{q.id}#slot{k}"] = header
            else:
                self.expected.update(zip(q.columns, q.raw_headers))
        self.absent = set(self.hmap.missing)

    def header(self, key: str) -> str:
        return self.hmap.columns.get(key, self.expected.get(key, key))

    def series(self, key: str) -> pd.Series:
        if key in self.hmap.columns:
            return self.frame[self.hmap.columns[key]]
        return pd.Series([None] * self.n, index=self.frame.index, dtype=object)

    def report_cells(self, key: str, p: Parsed, q: Question, *, dummy: bool = False, amount: bool = False):
        """Report the cells of one column that cannot be read."""
        if key in self.absent:
            return
        header = self.header(key)
        column_id = key
        for status in (Status.INVALID, Status.MULTIPLE, Status.NOT_NUMBER, Status.OUT_OF_RANGE, Status.NOT_INTEGER):
            hit = p.status == status
            if not hit.any():
                continue
            rows, values = self.rows[hit], p.raw[hit]
            if status == Status.INVALID:
                ja, en = allowed_codes(q, dummy=dummy)
                self.out.add(Rule.INVALID_CODE, rows, column=header, column_id=column_id, value=values,
                             allowed=ja, allowed_en=en)
            elif status == Status.MULTIPLE:
                missing = ", ".join(str(c) for c in q.missing) or "—"
                self.out.add(Rule.MULTIPLE_MARKS, rows, column=header, column_id=column_id, value=values,
                             missing=missing)
            elif status == Status.NOT_NUMBER:
                self.out.add(Rule.NOT_A_NUMBER, rows, column=header, column_id=column_id, value=values)
            elif status == Status.OUT_OF_RANGE:
                if amount:
                    ja, en = message("wording.negative_amount.ja"), message("wording.negative_amount.en")
                else:
                    low = "" if q.minimum is None else f"{q.minimum:g}"
                    high = "" if q.maximum is None else f"{q.maximum:g}"
                    ja = message("wording.outside_range.ja", low=low, high=high)
                    en = message("wording.outside_range.en", low=low, high=high)
                self.out.add(Rule.OUT_OF_RANGE, rows, column=header, column_id=column_id, value=values,
                             range_ja=ja, range_en=en)
            else:
                self.out.add(Rule.NOT_INTEGER, rows, column=header, column_id=column_id, value=values)


def _join_raw(parts: list[Parsed], mask: np.ndarray) -> np.ndarray:
    """' / '-joined raw values of the rows in ``mask``."""
    idx = np.flatnonzero(mask)
    return np.array([" / ".join("" if p.raw[i] is None else str(p.raw[i]) for p in parts) for i in idx],
                    dtype=object)


def _codes_text(chosen: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Chosen codes of each row as "1,3,5" (vectorised over rows)."""
    out = np.full(len(chosen), "", dtype=object)
    for j, c in enumerate(codes):
        out = out + np.where(chosen[:, j], f"{int(c)},", "").astype(object)
    return np.array([t[:-1] or None for t in out], dtype=object)


def _cell_unit(ctx, q, key, p: Parsed) -> Unit:
    return Unit(key, ctx.header(key), (key,), p.blank, p.valid, lambda mask: p.raw[mask])


def check_single(ctx: Context, q: Question) -> None:
    keys = q.columns
    units = []
    for key in keys:
        p = parse_coded(ctx.series(key), q)
        ctx.report_cells(key, p, q)
        ctx.parsed[key], ctx.data[key] = p, p.value
        units.append(_cell_unit(ctx, q, key, p))
    ctx.units[q.id] = units
    if q.type == "likert" and q.straightlining and len(keys) > 1:
        values = np.column_stack([ctx.data[k] for k in keys])
        same = np.all(~np.isnan(values), axis=1) & np.all(values == values[:, :1], axis=1)
        if same.any() and not any(k in ctx.absent for k in keys):
            code = values[same, 0].astype(int)
            ctx.out.add(Rule.STRAIGHTLINING, ctx.rows[same], column=q.header, column_id=q.id,
                        value=[f"{c}（{q.codes.get(c, '')}）" for c in code], items=len(keys))


def check_numeric(ctx: Context, q: Question) -> None:
    p = parse_numeric(ctx.series(q.id), q)
    ctx.report_cells(q.id, p, q)
    value = np.where(p.valid, p.value, np.nan)
    ctx.parsed[q.id], ctx.data[q.id] = p, value
    ctx.units[q.id] = [_cell_unit(ctx, q, q.id, p)]
    if q.outlier_iqr is not None and p.valid.sum() >= 4:
        # quartiles by linear interpolation (numpy's default = R quantile type 7)
        q1, q3 = np.percentile(value[p.valid], [25, 75])
        k = q.outlier_iqr
        low, high = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
        for mask, side, fence in ((p.valid & (value > high), "above", high), (p.valid & (value < low), "below", low)):
            if mask.any():
                ctx.out.add(Rule.OUTLIER, ctx.rows[mask], column=ctx.header(q.id), column_id=q.id,
                            value=p.raw[mask], fence=message(f"wording.{side}_fence.ja", fence=fence),
                            fence_en=message(f"wording.{side}_fence.en", fence=fence), k=f"{k:g}")


def check_text(ctx: Context, q: Question) -> None:
    p = parse_text(ctx.series(q.id))
    ctx.parsed[q.id] = p
    ctx.data[q.id] = np.where(p.valid, p.raw, None)
    ctx.units[q.id] = [_cell_unit(ctx, q, q.id, p)]


def check_multi(ctx: Context, q: Question) -> None:
    codes = np.array(list(q.codes), dtype=float)
    if q.form == "slots":
        keys = tuple(f"{q.id}#slot{k}" for k in range(1, len(q.raw_headers) + 1))
        parts = [parse_coded(ctx.series(k), q) for k in keys]
        for key, p in zip(keys, parts):
            ctx.report_cells(key, p, q)
        slot_values = np.column_stack([p.value for p in parts])
        chosen = np.column_stack([(slot_values == c).any(axis=1) for c in codes])
        answered_cells = np.column_stack([p.status != Status.BLANK for p in parts])
        if all(k in ctx.absent for k in keys):
            ctx.absent.update(q.columns)
    else:
        keys = q.columns
        parts = [parse_dummy(ctx.series(k)) for k in keys]
        for key, p in zip(keys, parts):
            ctx.report_cells(key, p, q, dummy=True)
        chosen = np.column_stack([p.valid & (p.value == 1) for p in parts])
        answered_cells = np.column_stack([p.valid for p in parts])
    any_cell = answered_cells.any(axis=1)
    for j, col in enumerate(q.columns):
        ctx.data[col] = np.where(any_cell, chosen[:, j].astype(float), np.nan)
    for key, p in zip(keys, parts):
        ctx.parsed[key] = p
    blank = np.all(np.column_stack([p.blank for p in parts]), axis=1)
    count = chosen.sum(axis=1)
    ctx.units[q.id] = [Unit(q.id, q.header, tuple(keys), blank, count > 0,
                            lambda mask: _codes_text(chosen[mask], codes))]
    if q.max_choices is not None:
        over = count > q.max_choices
        if over.any():
            ctx.out.add(Rule.MULTI_OVER_LIMIT, ctx.rows[over], column=q.header, column_id=q.id,
                        value=_codes_text(chosen[over], codes), limit=q.max_choices, count=count[over],
                        policy_ja=message(f"policy.multi.{q.over_limit}.ja", limit=q.max_choices),
                        policy_en=message(f"policy.multi.{q.over_limit}.en", limit=q.max_choices))


def check_allocation(ctx: Context, q: Question) -> None:
    keys = q.columns
    parts = [parse_amount(ctx.series(k)) for k in keys]
    for key, p in zip(keys, parts):
        ctx.report_cells(key, p, q, amount=True)
        ctx.parsed[key] = p
    status = np.column_stack([p.status for p in parts])
    amounts = np.column_stack([p.value for p in parts])
    blank = np.all(status == Status.BLANK, axis=1)
    usable = ~blank & np.all((status == Status.VALID) | (status == Status.BLANK), axis=1)
    totals = np.where(usable, np.nansum(np.where(status == Status.VALID, amounts, 0.0), axis=1), np.nan)
    for j, key in enumerate(keys):
        ctx.data[key] = np.where(usable, np.where(status[:, j] == Status.VALID, amounts[:, j], 0.0), np.nan)
    def shown(mask):
        return np.array([None if np.isnan(t) else f"{t:g}" for t in totals[mask]], dtype=object)

    ctx.units[q.id] = [Unit(q.id, q.header, tuple(keys), blank, usable, shown)]
    off = usable & (np.abs(totals - q.total) > q.tolerance)
    if off.any() and not any(k in ctx.absent for k in keys):
        ctx.out.add(Rule.ALLOCATION_TOTAL, ctx.rows[off], column=q.header, column_id=q.id, value=shown(off),
                    expected=q.total, tolerance=q.tolerance, policy_ja=message(f"policy.total.{q.total_policy}.ja"),
                    policy_en=message(f"policy.total.{q.total_policy}.en"))


def check_ranking(ctx: Context, q: Question) -> None:
    keys = q.columns
    parts = [parse_coded(ctx.series(k), q) for k in keys]
    for key, p in zip(keys, parts):
        ctx.report_cells(key, p, q)
        ctx.parsed[key], ctx.data[key] = p, p.value
    values = np.column_stack([p.value for p in parts])
    status = np.column_stack([p.status for p in parts])
    valid = status == Status.VALID
    for r in range(1, len(keys)):
        for earlier in range(r):
            dup = valid[:, r] & valid[:, earlier] & (values[:, r] == values[:, earlier])
            if dup.any():
                ctx.out.add(Rule.RANKING_DUPLICATE, ctx.rows[dup], column=ctx.header(keys[r]), column_id=keys[r],
                            value=parts[r].raw[dup], first=ctx.header(keys[earlier]))
                valid[dup, r] = False  # a repeat counts once
    empty = (status == Status.BLANK) | (status == Status.MISSING_CODE)
    for r in range(len(keys) - 1):
        later_valid = valid[:, r + 1:]
        gap = empty[:, r] & later_valid.any(axis=1)
        if gap.any():
            first_later = np.argmax(later_valid[gap], axis=1) + r + 1
            ctx.out.add(Rule.RANKING_GAP, ctx.rows[gap], column=ctx.header(keys[r]), column_id=keys[r],
                        value=parts[r].raw[gap], later=[ctx.header(keys[j]) for j in first_later])
    blank = np.all(status == Status.BLANK, axis=1)
    answered = valid.any(axis=1)
    ctx.units[q.id] = [Unit(q.id, q.header, tuple(keys), blank, answered, lambda mask: _join_raw(parts, mask))]


def check_question(ctx: Context, q: Question) -> None:
    """Run the cell-level checks of one question."""
    if q.type in ("single", "likert"):
        check_single(ctx, q)
    elif q.type == "numeric":
        check_numeric(ctx, q)
    elif q.type == "text":
        check_text(ctx, q)
    elif q.type == "multi":
        check_multi(ctx, q)
    elif q.type == "allocation":
        check_allocation(ctx, q)
    elif q.type == "ranking":
        check_ranking(ctx, q)
    else:  # pragma: no cover - the questionnaire parser only admits the types above
        raise ValueError(f"no validation for question type {q.type!r}")
