"""Known defects injected into a delivered frame, for validation tests.

:func:`inject_defect` changes one respondent (row) of a delivery the way a
real return or keying error would, and says exactly which cell(s) changed.
Rows are 0-based positions in the delivered frame (file line = row + 2).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from survey.errors import SurveyError
from survey.simulate.comments import EMAIL_PATTERN, PHONE_PATTERN, personal_info_text
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


@dataclass(frozen=True)
class Defect:
    """One injected defect.

    ``row`` is the 0-based row of the delivered frame, ``column`` the
    delivered header of the (first) changed cell, or ``None`` when the whole
    row changed (blank_return); ``cells`` lists every changed header;
    ``before``/``after`` are the first changed cell's text; ``question`` is
    the question id (for ``contradiction`` the contradiction id, for
    ``duplicate_id`` None).
    """

    kind: str
    row: int
    column: str | None
    respondent_id: str
    before: str | None
    after: str | None
    question: str | None = None
    cells: tuple[str, ...] = ()

    @property
    def cell(self) -> tuple[int, str | None]:
        return (self.row, self.column)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["cells"] = list(self.cells)
        return out


class _Sheet:
    """A delivery copy with header <-> question look-ups."""

    def __init__(self, delivery: pd.DataFrame, questionnaire):
        self.q = questionnaire
        self.frame = delivery.reset_index(drop=True).copy()
        self.id_head = cp932_text(questionnaire.respondent_id_header)
        self.head = {}       # tidy column -> delivered header
        self.owner = {}      # delivered header -> question
        for q in questionnaire.questions:
            if q.type == "multi" and q.form == "slots":
                raise SurveyError("inject_defect supports multi-answer questions delivered as dummies only; "
                                  f"{q.id} is delivered as slots")
            for col, head in zip(q.columns, q.raw_headers):
                self.head[col] = cp932_text(head)
                self.owner[cp932_text(head)] = q
        missing = [h for h in [self.id_head, *self.owner] if h not in self.frame.columns]
        if missing:
            raise SurveyError(f"the delivery lacks headers {missing[:3]}; pass a frame made by to_delivery() "
                              "for the same questionnaire")

    def text(self, head) -> np.ndarray:
        return self.frame[head].to_numpy(dtype=object)

    def codes(self, head) -> np.ndarray:
        """Cell codes as floats (labels mapped back for attributes), NaN if not a single code."""
        q = self.owner[head]
        raw = pd.Series(self.text(head), dtype=object)
        if q.attribute and q.codes:
            labels = {cp932_text(q.label(c)): c for c in [*q.codes, *q.missing]}
            return raw.map(labels).to_numpy(dtype=float, na_value=np.nan)
        ascii_digits = raw.str.fullmatch(r"[0-9]+").fillna(False).to_numpy(dtype=bool)
        out = np.full(len(raw), np.nan)
        out[ascii_digits] = raw[ascii_digits].astype(np.int64).to_numpy()
        return out

    def raw_code(self, head, code) -> str:
        q = self.owner[head]
        return cp932_text(q.label(code)) if (q.attribute and q.codes) else str(int(code))

    def resolve(self, column, candidates: list[str]) -> list[str]:
        """Restrict candidate headers to ``column`` (header, tidy column or question id)."""
        if column is None:
            return candidates
        if column in self.head:
            wanted = [self.head[column]]
        elif column in self.q:
            wanted = [self.head[c] for c in self.q[column].columns]
        else:
            wanted = [cp932_text(str(column))]
        out = [h for h in candidates if h in wanted]
        if not out:
            raise SurveyError(f"column {column!r} cannot take this defect; choose one of {candidates}")
        return out


def _pick_row(rng, eligible: np.ndarray, row, exclude, kind) -> int:
    eligible = np.asarray(eligible, dtype=bool).copy()
    if row is not None:
        if not (0 <= row < len(eligible)) or not eligible[row]:
            raise SurveyError(f"row {row} cannot take a {kind} defect (it lacks the needed answers); "
                              "pass another row or row=None to let the seed choose")
        return int(row)
    for r in exclude:
        if 0 <= r < len(eligible):
            eligible[r] = False
    rows = np.flatnonzero(eligible)
    if rows.size == 0:
        raise SurveyError(f"no row of the delivery can take a {kind} defect; the delivery is too small or "
                          "already altered")
    return int(rows[rng.integers(rows.size)])


def _set(sheet, kind, row, changes: dict, question=None) -> Defect:
    rid = str(sheet.frame.iat[row, sheet.frame.columns.get_loc(sheet.id_head)])
    first = next(iter(changes))
    before = str(sheet.frame.at[row, first])
    for head, value in changes.items():
        sheet.frame.at[row, head] = value
    return Defect(kind=kind, row=row, column=first, respondent_id=rid, before=before,
                  after=str(changes[first]), question=question, cells=tuple(changes))


def _coded_single(sheet) -> list[str]:
    return [h for h, q in sheet.owner.items() if q.type in ("single", "likert") and q.codes and not q.attribute]


def _choose(rng, options):
    return options[int(rng.integers(len(options)))]


def _with_column(sheet, rng, candidates, eligible_of, row, exclude, kind):
    """Pick a (header, row) among candidate headers whose eligible rows are non-empty."""
    rng_order = [candidates[i] for i in rng.permutation(len(candidates))]
    for head in rng_order:
        eligible = eligible_of(head)
        if row is not None and eligible[row] or row is None and eligible.any():
            return head, _pick_row(rng, eligible, row, exclude, kind)
    return rng_order[0], _pick_row(rng, eligible_of(rng_order[0]), row, exclude, kind)


def _unknown_code(q) -> int:
    value = max(q.codes) + 1
    while value in q.missing:
        value += 1
    return value


def _out_of_range(sheet, rng, row, column, exclude):
    cands = sheet.resolve(column, _coded_single(sheet))
    head, r = _with_column(sheet, rng, cands, lambda h: np.isin(sheet.codes(h), list(sheet.owner[h].codes)),
                           row, exclude, "out_of_range_code")
    q = sheet.owner[head]
    return _set(sheet, "out_of_range_code", r, {head: str(_unknown_code(q))}, q.id)


def _fullwidth(sheet, rng, row, column, exclude):
    cands = [h for h, q in sheet.owner.items() if q.type in ("numeric", "allocation")]
    cands = sheet.resolve(column, cands)

    def ok(h):
        return pd.Series(sheet.text(h), dtype=object).str.fullmatch(r"[0-9]{2,}").fillna(False).to_numpy(bool)

    head, r = _with_column(sheet, rng, cands, ok, row, exclude, "fullwidth_digits")
    return _set(sheet, "fullwidth_digits", r, {head: sheet.frame.at[r, head].translate(_FULLWIDTH)},
                sheet.owner[head].id)


def _multi_over(sheet, rng, row, column, exclude):
    qs = [q for q in sheet.q.by_type("multi") if q.max_choices]
    q = sheet.q[column] if column in sheet.q else _choose(rng, qs)
    heads = [sheet.head[c] for c in q.columns]
    ticks = np.column_stack([sheet.codes(h) for h in heads])
    eligible = (np.nansum(ticks == 1, axis=1) == q.max_choices) & (ticks[:, -1] == 0)
    r = _pick_row(rng, eligible, row, exclude, "multi_over_limit")
    free = [h for h, t in zip(heads[:-1], ticks[r, :-1]) if t == 0]  # the last code is the 'none' box
    return _set(sheet, "multi_over_limit", r, {_choose(rng, free): "1"}, q.id)


def _allocation_total(sheet, rng, row, column, exclude):
    q = _choose(rng, sheet.q.by_type("allocation"))
    heads = [sheet.head[c] for c in q.columns]
    values = np.column_stack([sheet.codes(h) for h in heads])
    eligible = np.nansum(values, axis=1) == q.total
    eligible &= ~np.isnan(values).any(axis=1)
    r = _pick_row(rng, eligible, row, exclude, "allocation_total")
    step = int(q.total) // 20                              # 50 of 1,000 yen, 5 of 100 points
    big = [h for h, v in zip(heads, values[r]) if v >= 2 * step]
    head = _choose(rng, big)
    value = int(values[r, heads.index(head)])
    delta = int(_choose(rng, [-2 * step, -step, step, 2 * step]))
    return _set(sheet, "allocation_total", r, {head: str(value + delta)}, q.id)


def _duplicate_id(sheet, rng, row, column, exclude):
    n = len(sheet.frame)
    r = _pick_row(rng, np.ones(n, dtype=bool), row, exclude, "duplicate_id")
    other = int(_choose(rng, [i for i in range(n) if i != r]))
    return _set(sheet, "duplicate_id", r, {sheet.id_head: sheet.frame.at[other, sheet.id_head]})


def _blank_return(sheet, rng, row, column, exclude):
    heads = list(sheet.owner)
    filled = (sheet.frame[heads] != "").any(axis=1).to_numpy()
    r = _pick_row(rng, filled, row, exclude, "blank_return")
    defect = _set(sheet, "blank_return", r, {h: "" for h in heads if sheet.frame.at[r, h] != ""})
    return Defect(**{**asdict(defect), "column": None, "before": None, "after": None})


def _ranking(sheet, rng, column):
    q = sheet.q[column] if column in sheet.q else _choose(rng, sheet.q.by_type("ranking"))
    heads = [sheet.head[c] for c in q.columns]
    codes = np.column_stack([sheet.codes(h) for h in heads])
    return q, heads, np.isin(codes, list(q.codes))


def _rank_duplicate(sheet, rng, row, column, exclude):
    q, heads, valid = _ranking(sheet, rng, column)
    r = _pick_row(rng, valid[:, 0] & valid[:, 1], row, exclude, "rank_duplicate")
    return _set(sheet, "rank_duplicate", r, {heads[1]: sheet.frame.at[r, heads[0]]}, q.id)


def _rank_gap(sheet, rng, row, column, exclude):
    q, heads, valid = _ranking(sheet, rng, column)
    r = _pick_row(rng, valid.all(axis=1), row, exclude, "rank_gap")
    return _set(sheet, "rank_gap", r, {heads[int(rng.integers(len(heads) - 1))]: ""}, q.id)


def _rank_unknown(sheet, rng, row, column, exclude):
    q, heads, valid = _ranking(sheet, rng, column)
    r = _pick_row(rng, valid[:, 0], row, exclude, "rank_unknown_item")
    head = _choose(rng, [h for h, ok in zip(heads, valid[r]) if ok])
    return _set(sheet, "rank_unknown_item", r, {head: str(_unknown_code(q))}, q.id)


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

    head, r = _with_column(sheet, rng, cands, eligible, row, exclude, "skip_violation")
    q = sheet.owner[head]
    return _set(sheet, "skip_violation", r, {head: str(_choose(rng, list(q.codes)))}, q.id)


def _missing_required(sheet, rng, row, column, exclude):
    cands = [h for h, q in sheet.owner.items()
             if q.required and not q.asked_if and q.type != "text" and len(q.columns) == 1]
    cands = sheet.resolve(column, cands)
    head, r = _with_column(sheet, rng, cands, lambda h: sheet.text(h) != "", row, exclude, "missing_required")
    return _set(sheet, "missing_required", r, {head: ""}, sheet.owner[head].id)


def _contradiction(sheet, rng, row, column, exclude):
    rules = list(sheet.q.contradictions)
    if not rules:
        raise SurveyError(f"questionnaire {sheet.q.id} declares no contradictions; add one under 'contradictions'")
    if column is not None:
        rules = [c for c in rules if c.id == column or any(w.column == column for w in c.when)]
        if not rules:
            raise SurveyError(f"no contradiction named or using {column!r}; known: "
                              f"{[c.id for c in sheet.q.contradictions]}")
    rule = _choose(rng, rules)
    holds = np.all([_holds(sheet, c) for c in rule.when], axis=0)
    answered = np.all([~np.isnan(sheet.codes(sheet.head[c.column])) for c in rule.when], axis=0)
    room = np.ones(len(sheet.frame), dtype=bool)   # keep multi-answer rows within their limit
    for qid in {sheet.owner[sheet.head[c.column]].id for c in rule.when}:
        q = sheet.q[qid]
        if q.type == "multi" and q.max_choices:
            ticks = np.column_stack([sheet.codes(sheet.head[c]) == 1 for c in q.columns]).sum(axis=1)
            room &= ticks + sum(c.column in q.columns for c in rule.when) <= q.max_choices
    r = _pick_row(rng, answered & ~holds & room, row, exclude, "contradiction")
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
    defect = _set(sheet, "contradiction", r, changes, sheet.owner[next(iter(changes))].id)
    return Defect(**{**asdict(defect), "question": rule.id})


def _straightlining(sheet, rng, row, column, exclude):
    qs = [q for q in sheet.q.questions if q.straightlining and q.items]
    q = sheet.q[column] if column in sheet.q else _choose(rng, qs)
    heads = [sheet.head[c] for c in q.columns]
    codes = np.column_stack([sheet.codes(h) for h in heads])
    valid = np.isin(codes, list(q.codes)).all(axis=1)
    varied = np.nanmax(codes, axis=1) != np.nanmin(codes, axis=1)
    r = _pick_row(rng, valid & varied, row, exclude, "straightlining")
    value = sheet.frame.at[r, heads[0]]
    return _set(sheet, "straightlining", r, {h: value for h in heads if sheet.frame.at[r, h] != value}, q.id)


def _outlier_numeric(sheet, rng, row, column, exclude):
    cands = sheet.resolve(column, [h for h, q in sheet.owner.items() if q.type == "numeric"])

    def eligible(h):
        v = sheet.codes(h)
        return (v >= 11) & ~np.isin(v, list(sheet.owner[h].missing))

    head, r = _with_column(sheet, rng, cands, eligible, row, exclude, "outlier_numeric")
    q = sheet.owner[head]
    value = int(sheet.codes(head)[r])
    wrong = value * 10 + value % 10                   # a digit keyed twice: 25 -> 255
    if q.maximum is not None and wrong <= q.maximum:
        wrong = int(q.maximum) + value
    return _set(sheet, "outlier_numeric", r, {head: str(wrong)}, q.id)


def _several_marks(sheet, rng, row, column, exclude):
    cands = sheet.resolve(column, _coded_single(sheet))
    head, r = _with_column(sheet, rng, cands, lambda h: np.isin(sheet.codes(h), list(sheet.owner[h].codes)),
                           row, exclude, "several_marks_single")
    q = sheet.owner[head]
    own = int(sheet.codes(head)[r])
    other = int(_choose(rng, [c for c in q.codes if c != own]))
    return _set(sheet, "several_marks_single", r, {head: f"{min(own, other)},{max(own, other)}"}, q.id)


def _personal_info(sheet, rng, row, column, exclude):
    cands = sheet.resolve(column, [h for h, q in sheet.owner.items() if q.type == "text"])
    head = _choose(rng, cands)
    r = _pick_row(rng, np.ones(len(sheet.frame), dtype=bool), row, exclude, "personal_info")
    before = sheet.frame.at[r, head]
    text = pd.Series(sheet.text(head), dtype=object)
    phones, emails = (int(text.str.contains(p, regex=True).sum()) for p in (PHONE_PATTERN, EMAIL_PATTERN))
    extra = cp932_text(personal_info_text(rng, form="phone" if phones <= emails else "email"))
    return _set(sheet, "personal_info", r, {head: f"{before}　{extra}" if before else extra}, sheet.owner[head].id)


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
    sheet = _Sheet(delivery, questionnaire)
    defect = _KINDS[kind](sheet, make_rng(seed), row, column, set(exclude))
    return sheet.frame, defect
