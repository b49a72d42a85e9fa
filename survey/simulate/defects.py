"""Known defects injected into a delivered frame, for validation tests.

:func:`inject_defect` changes one respondent (row) of a delivery the way a
real return or keying error would, and says exactly which cell(s) changed.
Rows are 0-based positions in the delivered frame (file line = row + 2).
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from survey.errors import SurveyError
from survey.simulate.comments import EMAIL_PATTERN, PHONE_PATTERN, personal_info_text
from survey.simulate.defect_sheet import (
    Defect, DeliverySheet, choose, coded_single, pick_row, set_cells, unknown_code, with_column,
)
from survey.simulate.delivery import cp932_text
from survey.simulate.population import make_rng

__all__ = ["DEFECT_KINDS", "Defect", "inject_defect"]

DEFECT_KINDS = (
    "out_of_range_code", "fullwidth_digits", "multi_over_limit", "allocation_total", "duplicate_id",
    "blank_return", "rank_duplicate", "rank_gap", "rank_unknown_item", "skip_violation",
    "missing_required", "contradiction", "straightlining", "outlier_numeric", "several_marks_single",
    "personal_info",
)
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _out_of_range(sheet, rng, row, column, exclude):
    cands = sheet.resolve(column, coded_single(sheet))
    head, r = with_column(sheet, rng, cands, lambda h: np.isin(sheet.codes(h), list(sheet.owner[h].codes)),
                           row, exclude, "out_of_range_code")
    q = sheet.owner[head]
    return set_cells(sheet, "out_of_range_code", r, {head: str(unknown_code(q))}, q.id)


def _fullwidth(sheet, rng, row, column, exclude):
    cands = [h for h, q in sheet.owner.items() if q.type in ("numeric", "allocation")]
    cands = sheet.resolve(column, cands)

    def ok(h):
        return pd.Series(sheet.text(h), dtype=object).str.fullmatch(r"[0-9]{2,}").fillna(False).to_numpy(bool)

    head, r = with_column(sheet, rng, cands, ok, row, exclude, "fullwidth_digits")
    return set_cells(sheet, "fullwidth_digits", r, {head: sheet.frame.at[r, head].translate(_FULLWIDTH)},
                sheet.owner[head].id)


def _multi_over(sheet, rng, row, column, exclude):
    qs = [q for q in sheet.q.by_type("multi") if q.max_choices]
    q = sheet.q[column] if column in sheet.q else choose(rng, qs)
    heads = [sheet.head[c] for c in q.columns]
    ticks = np.column_stack([sheet.codes(h) for h in heads])
    eligible = (np.nansum(ticks == 1, axis=1) == q.max_choices) & (ticks[:, -1] == 0)
    r = pick_row(rng, eligible, row, exclude, "multi_over_limit")
    free = [h for h, t in zip(heads[:-1], ticks[r, :-1]) if t == 0]  # the last code is the 'none' box
    return set_cells(sheet, "multi_over_limit", r, {choose(rng, free): "1"}, q.id)


def _allocation_total(sheet, rng, row, column, exclude):
    q = choose(rng, sheet.q.by_type("allocation"))
    heads = [sheet.head[c] for c in q.columns]
    values = np.column_stack([sheet.codes(h) for h in heads])
    eligible = np.nansum(values, axis=1) == q.total
    eligible &= ~np.isnan(values).any(axis=1)
    r = pick_row(rng, eligible, row, exclude, "allocation_total")
    step = int(q.total) // 20                              # 50 of 1,000 yen, 5 of 100 points
    big = [h for h, v in zip(heads, values[r]) if v >= 2 * step]
    head = choose(rng, big)
    value = int(values[r, heads.index(head)])
    delta = int(choose(rng, [-2 * step, -step, step, 2 * step]))
    return set_cells(sheet, "allocation_total", r, {head: str(value + delta)}, q.id)


def _duplicate_id(sheet, rng, row, column, exclude):
    n = len(sheet.frame)
    r = pick_row(rng, np.ones(n, dtype=bool), row, exclude, "duplicate_id")
    other = int(choose(rng, [i for i in range(n) if i != r]))
    return set_cells(sheet, "duplicate_id", r, {sheet.id_head: sheet.frame.at[other, sheet.id_head]})


def _blank_return(sheet, rng, row, column, exclude):
    heads = list(sheet.owner)
    filled = (sheet.frame[heads] != "").any(axis=1).to_numpy()
    r = pick_row(rng, filled, row, exclude, "blank_return")
    defect = set_cells(sheet, "blank_return", r, {h: "" for h in heads if sheet.frame.at[r, h] != ""})
    return Defect(**{**asdict(defect), "column": None, "before": None, "after": None})


def _ranking(sheet, rng, column):
    q = sheet.q[column] if column in sheet.q else choose(rng, sheet.q.by_type("ranking"))
    heads = [sheet.head[c] for c in q.columns]
    codes = np.column_stack([sheet.codes(h) for h in heads])
    return q, heads, np.isin(codes, list(q.codes))


def _rank_duplicate(sheet, rng, row, column, exclude):
    q, heads, valid = _ranking(sheet, rng, column)
    r = pick_row(rng, valid[:, 0] & valid[:, 1], row, exclude, "rank_duplicate")
    return set_cells(sheet, "rank_duplicate", r, {heads[1]: sheet.frame.at[r, heads[0]]}, q.id)


def _rank_gap(sheet, rng, row, column, exclude):
    q, heads, valid = _ranking(sheet, rng, column)
    r = pick_row(rng, valid.all(axis=1), row, exclude, "rank_gap")
    return set_cells(sheet, "rank_gap", r, {heads[int(rng.integers(len(heads) - 1))]: ""}, q.id)


def _rank_unknown(sheet, rng, row, column, exclude):
    q, heads, valid = _ranking(sheet, rng, column)
    r = pick_row(rng, valid[:, 0], row, exclude, "rank_unknown_item")
    head = choose(rng, [h for h, ok in zip(heads, valid[r]) if ok])
    return set_cells(sheet, "rank_unknown_item", r, {head: str(unknown_code(q))}, q.id)


def _holds(sheet, cond) -> np.ndarray:
    values = sheet.codes(sheet.head[cond.column])
    if cond.op == "blank":
        return (sheet.text(sheet.head[cond.column]) == "") == bool(cond.values[0])
    if cond.op == "in":
        return np.isin(values, cond.values)
    if cond.op == "not_in":
        return ~np.isin(values, cond.values) & ~np.isnan(values)
    return (values >= cond.values[0]) & (values <= cond.values[1])


def _skip_violation(sheet, rng, row, column, exclude):
    qs = [q for q in sheet.q.questions if q.asked_if and q.codes and len(q.columns) == 1]
    cands = sheet.resolve(column, [sheet.head[q.id] for q in qs])

    def eligible(head):
        q = sheet.owner[head]
        asked = np.ones(len(sheet.frame), dtype=bool)
        for cond in q.asked_if:
            asked &= _holds(sheet, cond)
        answered_before = np.all([~np.isnan(sheet.codes(sheet.head[c.column])) for c in q.asked_if], axis=0)
        return ~asked & answered_before & (sheet.text(head) == "")

    head, r = with_column(sheet, rng, cands, eligible, row, exclude, "skip_violation")
    q = sheet.owner[head]
    return set_cells(sheet, "skip_violation", r, {head: str(choose(rng, list(q.codes)))}, q.id)


def _missing_required(sheet, rng, row, column, exclude):
    cands = [h for h, q in sheet.owner.items()
             if q.required and not q.asked_if and q.type != "text" and len(q.columns) == 1]
    cands = sheet.resolve(column, cands)
    head, r = with_column(sheet, rng, cands, lambda h: sheet.text(h) != "", row, exclude, "missing_required")
    return set_cells(sheet, "missing_required", r, {head: ""}, sheet.owner[head].id)


def _contradiction(sheet, rng, row, column, exclude):
    rules = list(sheet.q.contradictions)
    if not rules:
        raise SurveyError(f"questionnaire {sheet.q.id} declares no contradictions; add one under 'contradictions'")
    if column is not None:
        rules = [c for c in rules if c.id == column or any(w.column == column for w in c.when)]
        if not rules:
            raise SurveyError(f"no contradiction named or using {column!r}; known: "
                              f"{[c.id for c in sheet.q.contradictions]}")
    rule = choose(rng, rules)
    holds = np.all([_holds(sheet, c) for c in rule.when], axis=0)
    answered = np.all([~np.isnan(sheet.codes(sheet.head[c.column])) for c in rule.when], axis=0)
    room = np.ones(len(sheet.frame), dtype=bool)   # keep multi-answer rows within their limit
    for qid in {sheet.owner[sheet.head[c.column]].id for c in rule.when}:
        q = sheet.q[qid]
        if q.type == "multi" and q.max_choices:
            ticks = np.column_stack([sheet.codes(sheet.head[c]) == 1 for c in q.columns]).sum(axis=1)
            room &= ticks + sum(c.column in q.columns for c in rule.when) <= q.max_choices
    r = pick_row(rng, answered & ~holds & room, row, exclude, "contradiction")
    changes = {}
    for cond in rule.when:
        head = sheet.head[cond.column]
        if _holds(sheet, cond)[r]:
            continue
        q = sheet.owner[head]
        if cond.op == "in" or cond.op == "between":
            value = cond.values[0]
        elif cond.op == "not_in":
            value = next(c for c in q.codes if c not in cond.values)
        else:
            changes[head] = "" if cond.values[0] else "1"
            continue
        changes[head] = sheet.raw_code(head, value)
    defect = set_cells(sheet, "contradiction", r, changes, sheet.owner[next(iter(changes))].id)
    return Defect(**{**asdict(defect), "question": rule.id})


def _straightlining(sheet, rng, row, column, exclude):
    qs = [q for q in sheet.q.questions if q.straightlining and q.items]
    q = sheet.q[column] if column in sheet.q else choose(rng, qs)
    heads = [sheet.head[c] for c in q.columns]
    codes = np.column_stack([sheet.codes(h) for h in heads])
    valid = np.isin(codes, list(q.codes)).all(axis=1)
    varied = np.nanmax(codes, axis=1) != np.nanmin(codes, axis=1)
    r = pick_row(rng, valid & varied, row, exclude, "straightlining")
    value = sheet.frame.at[r, heads[0]]
    return set_cells(sheet, "straightlining", r, {h: value for h in heads if sheet.frame.at[r, h] != value}, q.id)


def _outlier_numeric(sheet, rng, row, column, exclude):
    cands = sheet.resolve(column, [h for h, q in sheet.owner.items() if q.type == "numeric"])

    def eligible(h):
        v = sheet.codes(h)
        return (v >= 11) & ~np.isin(v, list(sheet.owner[h].missing))

    head, r = with_column(sheet, rng, cands, eligible, row, exclude, "outlier_numeric")
    q = sheet.owner[head]
    value = int(sheet.codes(head)[r])
    wrong = value * 10 + value % 10                   # a digit keyed twice: 25 -> 255
    if q.maximum is not None and wrong <= q.maximum:
        wrong = int(q.maximum) + value
    return set_cells(sheet, "outlier_numeric", r, {head: str(wrong)}, q.id)


def _several_marks(sheet, rng, row, column, exclude):
    cands = sheet.resolve(column, coded_single(sheet))
    head, r = with_column(sheet, rng, cands, lambda h: np.isin(sheet.codes(h), list(sheet.owner[h].codes)),
                           row, exclude, "several_marks_single")
    q = sheet.owner[head]
    own = int(sheet.codes(head)[r])
    other = int(choose(rng, [c for c in q.codes if c != own]))
    return set_cells(sheet, "several_marks_single", r, {head: f"{min(own, other)},{max(own, other)}"}, q.id)


def _personal_info(sheet, rng, row, column, exclude):
    cands = sheet.resolve(column, [h for h, q in sheet.owner.items() if q.type == "text"])
    head = choose(rng, cands)
    r = pick_row(rng, np.ones(len(sheet.frame), dtype=bool), row, exclude, "personal_info")
    before = sheet.frame.at[r, head]
    text = pd.Series(sheet.text(head), dtype=object)
    phones, emails = (int(text.str.contains(p, regex=True).sum()) for p in (PHONE_PATTERN, EMAIL_PATTERN))
    extra = cp932_text(personal_info_text(rng, form="phone" if phones <= emails else "email"))
    return set_cells(sheet, "personal_info", r, {head: f"{before}　{extra}" if before else extra}, sheet.owner[head].id)


_KINDS = {
    "out_of_range_code": _out_of_range, "fullwidth_digits": _fullwidth, "multi_over_limit": _multi_over,
    "allocation_total": _allocation_total, "duplicate_id": _duplicate_id, "blank_return": _blank_return,
    "rank_duplicate": _rank_duplicate, "rank_gap": _rank_gap, "rank_unknown_item": _rank_unknown,
    "skip_violation": _skip_violation, "missing_required": _missing_required, "contradiction": _contradiction,
    "straightlining": _straightlining, "outlier_numeric": _outlier_numeric, "several_marks_single": _several_marks,
    "personal_info": _personal_info,
}


def inject_defect(delivery: pd.DataFrame, kind: str, *, questionnaire, seed, row=None, column=None,
                  exclude=()) -> tuple[pd.DataFrame, Defect]:
    """Return a copy of ``delivery`` with one defect of ``kind`` injected.

    Parameters
    ----------
    delivery : DataFrame
        A delivered text frame (``SimulatedWave.delivery`` or
        :func:`~survey.simulate.delivery.to_delivery`); not modified.
    kind : str
        One of :data:`DEFECT_KINDS`:

        ``out_of_range_code`` a code outside the declared ones (e.g. 7);
        ``fullwidth_digits`` a number keyed in fullwidth digits (２５);
        ``multi_over_limit`` one box more than ``max_choices``;
        ``allocation_total`` one part off by a twentieth or a tenth of the
        total (50 or 100 of 1,000), so the sum != total;
        ``duplicate_id`` the respondent id of another row;
        ``blank_return`` every answer blank (a returned empty form);
        ``rank_duplicate`` slot 2 repeats slot 1; ``rank_gap`` a blank slot
        before a filled one; ``rank_unknown_item`` an item code not listed;
        ``skip_violation`` a skipped question answered; ``missing_required``
        a required single answer left blank; ``contradiction`` one declared
        contradiction made true; ``straightlining`` every matrix item the
        same; ``outlier_numeric`` a digit keyed twice (25 -> 255);
        ``several_marks_single`` two codes in a single-answer cell ("1,2");
        ``personal_info`` a fictitious phone number (090-0000-nnnn) or
        e-mail (@example.jp) added to the comment -- whichever the text
        column holds fewer of, phone first.
    questionnaire : Questionnaire
        The questionnaire the delivery follows (headers and codes).
    seed : int or numpy.random.Generator
        Chooses the row, the column and the wrong value.
    row : int, optional
        0-based row to alter (must be able to take the defect).
    column : str, optional
        Delivered header, tidy column or question id to alter (for
        ``contradiction``: a contradiction id).
    exclude : iterable of int
        Rows the seed must not choose.

    Returns
    -------
    (DataFrame, Defect)
        The altered copy and what changed (``defect.cell`` is ``(row, column)``).
    """
    if kind not in _KINDS:
        raise SurveyError(f"unknown defect kind {kind!r}; use one of {', '.join(DEFECT_KINDS)}")
    sheet = DeliverySheet(delivery, questionnaire)
    defect = _KINDS[kind](sheet, make_rng(seed), row, column, set(exclude))
    return sheet.frame, defect
