"""Collecting validation findings into the failure table, and the wording
helpers (allowed codes, skip conditions) the messages share."""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.intake.messages import message
from survey.intake.rules import RULES, Rule
from survey.intake.values import MULTI_MARKS
from survey.questionnaire import Condition, Question, Questionnaire

__all__ = ["FAILURE_COLUMNS", "Collector", "allowed_codes", "describe_condition", "no_answer_fix"]

FAILURE_COLUMNS = (
    "row", "respondent_id", "column", "column_id", "value", "rule", "category", "severity",
    "message_ja", "message_en",
)
_RULE_ORDER = {rule.value: i for i, rule in enumerate(Rule)}


class Collector:
    """Accumulates findings one rule/column at a time (vectorised over rows)
    and builds the failure table sorted by row, column position, rule."""

    def __init__(self, questionnaire: Questionnaire, ids: np.ndarray):
        self._ids = ids
        self._parts: list[dict] = []
        position = {questionnaire.respondent_id: 0}
        for q in questionnaire.questions:
            start = len(position)
            position.setdefault(q.id, start)
            for col in q.columns:
                position.setdefault(col, len(position))
            for k in range(1, len(q.raw_headers) + 1):
                position.setdefault(f"{q.id}#slot{k}", start + k - 1)
        self._position = position

    def add(self, rule: Rule, rows, *, column=None, column_id=None, value=None, **params) -> None:
        """Record findings of ``rule`` at 1-based data ``rows`` (``None``: the
        whole file).  ``value`` and every ``params`` entry are a scalar or an
        array aligned with ``rows``; they fill the rule's message templates
        together with ``header`` (= ``column``) and ``column_id``."""
        file_level = rows is None
        rows = np.array([-1]) if file_level else np.asarray(rows, dtype=np.int64)
        n = len(rows)
        if n == 0:
            return
        info = RULES[rule]
        values = _column(value, n)
        fields = {k: _column(v, n) for k, v in params.items()}
        fields["header"] = _column(column, n)
        fields["column_id"] = _column(column_id, n)
        fields["value"] = np.array(["" if v is None else str(v) for v in values], dtype=object)
        names = list(fields)
        cols = [fields[k] for k in names]
        ja, en = info.message_ja, info.message_en
        msg_ja = [ja.format(**dict(zip(names, vals))) for vals in zip(*cols)]
        msg_en = [en.format(**dict(zip(names, vals))) for vals in zip(*cols)]
        ids = np.full(n, None, dtype=object) if file_level else self._ids[rows - 1]
        key = str(column_id).split(" / ")[0] if column_id is not None else None
        self._parts.append({
            "row": np.full(n, -1) if file_level else rows, "respondent_id": ids,
            "column": _column(column, n), "column_id": _column(column_id, n), "value": values,
            "rule": np.full(n, rule.value, dtype=object), "category": np.full(n, info.category, dtype=object),
            "severity": np.full(n, info.severity.value, dtype=object),
            "message_ja": np.array(msg_ja, dtype=object), "message_en": np.array(msg_en, dtype=object),
            "_pos": np.full(n, self._position.get(key, len(self._position))), "_rule": np.full(n, _RULE_ORDER[rule.value]),
        })

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            out = pd.DataFrame({c: pd.Series(dtype=object) for c in FAILURE_COLUMNS})
            out["row"] = out["row"].astype("Int64")
            return out
        merged = {k: np.concatenate([p[k] for p in self._parts]) for k in self._parts[0]}
        order = np.lexsort((merged["_rule"], merged["_pos"], merged["row"]))
        out = pd.DataFrame({c: pd.Series(merged[c][order], dtype=object) for c in FAILURE_COLUMNS})
        rows = out["row"].to_numpy(dtype=np.int64)
        out["row"] = pd.Series(rows, dtype="Int64").mask(rows < 0)
        return out


def _column(value, n: int) -> np.ndarray:
    if isinstance(value, (np.ndarray, pd.Series, list, tuple)):
        arr = np.asarray(value, dtype=object)
        if len(arr) != n:
            raise ValueError(f"finding field has {len(arr)} values for {n} rows")
        return arr
    return np.full(n, value, dtype=object)


def _ranges(codes) -> list[str]:
    codes = sorted(codes)
    out, start = [], None
    for i, c in enumerate(codes):
        if start is None:
            start = c
        if i + 1 == len(codes) or codes[i + 1] != c + 1:
            out.append(str(start) if start == c else (f"{start}〜{c}" if c > start + 1 else f"{start}, {c}"))
            start = None
    return out


def allowed_codes(q: Question, *, dummy: bool = False) -> tuple[str, str]:
    """The values a cell may hold, in Japanese and English ("1〜5、無回答 9")."""
    if dummy:
        marks = " ".join(MULTI_MARKS)
        return message("wording.allowed_marks.ja", marks=marks), message("wording.allowed_marks.en", marks=marks)
    ranges = ", ".join(_ranges(q.codes))
    if q.missing:
        miss = ", ".join(str(c) for c in q.missing)
        return (message("wording.allowed_with_missing.ja", ranges=ranges, missing=miss),
                message("wording.allowed_with_missing.en", ranges=ranges.replace("〜", "–"), missing=miss))
    return ranges, ranges.replace("〜", "–")


def no_answer_fix(q: Question) -> tuple[str, str]:
    """How to key 'no answer' for this question (Japanese, English)."""
    if q.type in ("multi", "allocation", "text") or not q.missing:
        return message("wording.no_answer_blank.ja"), message("wording.no_answer_blank.en")
    code = next(iter(q.missing))
    return message("wording.no_answer_code.ja", code=code), message("wording.no_answer_code.en", code=code)


def _values_text(q: Question, cond: Condition, lang: str) -> str:
    if cond.op == "between":
        low, high = cond.values
        return f"{low:g}〜{high:g}" if lang == "ja" else f"{low:g} to {high:g}"
    parts = []
    for v in cond.values:
        label = q.codes.get(v) if q.type in ("single", "likert") else None
        parts.append(f"{v}（{label}）" if label and lang == "ja" else (f"{v} ({label})" if label else str(v)))
    return "・".join(parts) if lang == "ja" else " or ".join(parts)


def describe_condition(questionnaire: Questionnaire, conditions) -> tuple[str, str]:
    """Skip logic in words: ("「問7 公園の利用頻度」が6（利用しない）", "'問7 ...' is 6 (利用しない)")."""
    ja, en = [], []
    for cond in conditions:
        q = questionnaire.question_of(cond.column) if cond.column != questionnaire.respondent_id else None
        header = cond.column
        if q is not None:
            header = dict(zip(q.columns, q.raw_headers)).get(cond.column, q.header)
        if cond.op == "blank":
            state = "blank" if cond.values[0] else "answered"
            ja.append(message(f"wording.cell_{state}.ja", header=header))
            en.append(message(f"wording.cell_{state}.en", header=header))
            continue
        test = "not_in" if cond.op == "not_in" else "in"
        ja.append(message(f"wording.value_{test}.ja", header=header, values=_values_text(q, cond, "ja")))
        en.append(message(f"wording.value_{test}.en", header=header, values=_values_text(q, cond, "en")))
    return message("wording.and.ja").join(ja), message("wording.and.en").join(en)
