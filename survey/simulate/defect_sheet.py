"""What the defect injector works on: the delivery copy with its header <-> question
look-ups, the :class:`Defect` record, and the picking of a row and column
(:mod:`survey.simulate.defects` holds the defect kinds and :func:`~survey.simulate.defects.inject_defect`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from survey.errors import SurveyError
from survey.simulate.delivery import cp932_text

__all__ = ["Defect", "DeliverySheet", "choose", "coded_single", "pick_row", "set_cells", "unknown_code", "with_column"]


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


class DeliverySheet:
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


def pick_row(rng, eligible: np.ndarray, row, exclude, kind) -> int:
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


def set_cells(sheet, kind, row, changes: dict, question=None) -> Defect:
    rid = str(sheet.frame.iat[row, sheet.frame.columns.get_loc(sheet.id_head)])
    first = next(iter(changes))
    before = str(sheet.frame.at[row, first])
    for head, value in changes.items():
        sheet.frame.at[row, head] = value
    return Defect(kind=kind, row=row, column=first, respondent_id=rid, before=before,
                  after=str(changes[first]), question=question, cells=tuple(changes))


def coded_single(sheet) -> list[str]:
    return [h for h, q in sheet.owner.items() if q.type in ("single", "likert") and q.codes and not q.attribute]


def choose(rng, options):
    return options[int(rng.integers(len(options)))]


def with_column(sheet, rng, candidates, eligible_of, row, exclude, kind):
    """Pick a (header, row) among candidate headers whose eligible rows are non-empty."""
    rng_order = [candidates[i] for i in rng.permutation(len(candidates))]
    for head in rng_order:
        eligible = eligible_of(head)
        if row is not None and eligible[row] or row is None and eligible.any():
            return head, pick_row(rng, eligible, row, exclude, kind)
    return rng_order[0], pick_row(rng, eligible_of(rng_order[0]), row, exclude, kind)


def unknown_code(q) -> int:
    value = max(q.codes) + 1
    while value in q.missing:
        value += 1
    return value
