"""Raw strings → a tidy, typed respondent frame, with a ledger of every change.

Normalisation is the only place where delivered values are interpreted:

* text: Unicode NFKC (full-width digits and letters, half-width kana), both
  tilde forms (〜 U+301C and ～ U+FF5E, and ASCII ~) unified to 〜, stray
  whitespace stripped;
* codes: ``"1"``, ``"１"``, ``"1.0"`` or the Japanese label → the integer code;
  missing codes (9/99 → 無回答) become missing with the reason kept;
* multi-answer questions given as 0/1 dummies or as numbered slots → dummies;
* the questionnaire's cleaning policies (multi-answer limit, allocation
  total, ranking defects, skip logic, impossible numeric values, duplicate
  ids, blank returns) are applied and every changed cell is written to the
  :class:`Ledger` with its value before and after.

Rows read = rows kept + rows excluded holds for every input: it is checked
here, inside the pipeline, not only in tests.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.errors import InputError, SurveyError
from survey.intake.readers import Provenance, RawTable
from survey.questionnaire import Question, Questionnaire

__all__ = [
    "clean_text",
    "parse_number",
    "map_headers",
    "HeaderMap",
    "Ledger",
    "Dataset",
    "normalise",
    "REASON_BLANK",
    "REASON_MISSING_CODE",
    "REASON_INVALID",
    "REASON_NOT_APPLICABLE",
]

REASON_BLANK = "blank"
REASON_MISSING_CODE = "missing_code"
REASON_INVALID = "invalid"
REASON_NOT_APPLICABLE = "not_applicable"

_TILDES = str.maketrans({"\u301c": "〜", "\uff5e": "〜", "~": "〜"})
_SPACES = re.compile(r"\s+")


def clean_text(value) -> str | None:
    """NFKC, one tilde form (〜), collapsed whitespace; ``None`` when empty.

    >>> clean_text("１８～２９歳 ")
    '18〜29歳'
    >>> clean_text("　") is None
    True
    """
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).translate(_TILDES)
    text = _SPACES.sub(" ", text).strip()
    return text or None


def parse_number(value) -> float | None:
    """A cleaned cell as a number (``"１,０００"`` → 1000.0); ``None`` if not a number."""
    text = clean_text(value)
    if text is None:
        return None
    text = text.replace(",", "").replace("円", "").replace("−", "-").replace("ー", "-")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) else None


@dataclass(frozen=True)
class HeaderMap:
    """Which raw column holds each tidy column; what is missing or unknown."""

    columns: dict  # tidy column -> raw header
    missing: tuple  # tidy columns with no raw column
    unknown: tuple  # raw headers that belong to no question


def map_headers(raw_columns, questionnaire: Questionnaire) -> HeaderMap:
    """Match raw headings to the questionnaire (by Japanese header or by id,
    after NFKC and whitespace cleaning)."""
    lookup = {clean_text(c): c for c in raw_columns}
    mapping: dict[str, str] = {}
    missing = []
    wanted = [(questionnaire.respondent_id, (questionnaire.respondent_id_header, questionnaire.respondent_id))]
    for q in questionnaire.questions:
        if q.type == "multi" and q.form == "slots":
            for k, header in enumerate(q.raw_headers, start=1):
                wanted.append((f"{q.id}#slot{k}", (header, f"{q.id}_slot{k}")))
            continue
        for col, header in zip(q.columns, q.raw_headers):
            wanted.append((col, (header, col)))
    for col, candidates in wanted:
        for cand in candidates:
            key = clean_text(cand)
            if key in lookup:
                mapping[col] = lookup[key]
                break
        else:
            missing.append(col)
    used = set(mapping.values())
    unknown = tuple(c for c in raw_columns if c not in used)
    return HeaderMap(columns=mapping, missing=tuple(missing), unknown=unknown)


@dataclass(frozen=True)
class Ledger:
    """Rows read = rows kept + rows excluded; every changed cell with before/after."""

    rows_read: int
    rows_kept: int
    exclusions: pd.DataFrame  # row, respondent_id, reason
    changes: pd.DataFrame  # row, respondent_id, column, before, after, rule

    @property
    def rows_excluded(self) -> int:
        return int(len(self.exclusions))

    def summary(self) -> pd.DataFrame:
        """One line per exclusion reason and per cleaning rule, with counts."""
        parts = [pd.DataFrame({"item": ["rows_read", "rows_kept", "rows_excluded"],
                               "count": [self.rows_read, self.rows_kept, self.rows_excluded]})]
        if len(self.exclusions):
            ex = self.exclusions.groupby("reason", sort=True).size()
            parts.append(pd.DataFrame({"item": [f"excluded: {r}" for r in ex.index], "count": ex.to_numpy()}))
        if len(self.changes):
            ch = self.changes.groupby("rule", sort=True).size()
            parts.append(pd.DataFrame({"item": [f"changed: {r}" for r in ch.index], "count": ch.to_numpy()}))
        return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class Dataset:
    """A normalised wave: tidy data (one row per kept respondent, float codes,
    NaN for missing), why each missing cell is missing, and the ledger."""

    data: pd.DataFrame
    missing_reasons: pd.DataFrame  # same shape as the question columns; None where observed
    questionnaire: Questionnaire
    provenance: Provenance
    ledger: Ledger

    def labelled(self, column: str) -> pd.Series:
        """The column as an ordered categorical with the questionnaire's labels."""
        q = self.questionnaire.question_of(column)
        codes = q.codes if q.type != "ranking" else q.codes
        cat = pd.Categorical(self.data[column].map(codes.get), categories=list(codes.values()), ordered=True)
        return pd.Series(cat, index=self.data.index, name=column)


class _Changes:
    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, rows, ids, column, before, after, rule):
        for r, i, b, a in zip(rows, ids, before, after):
            self.rows.append((int(r), i, column, b, a, rule))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["row", "respondent_id", "column", "before", "after", "rule"])


def _code_lookup(q: Question) -> dict:
    lookup = {}
    for code, label in list(q.codes.items()) + list(q.missing.items()):
        lookup[clean_text(label)] = code
        lookup[str(code)] = code
    return lookup


def _parse_codes(series: pd.Series, q: Question):
    """Return (float codes with NaN, reasons) for a single-code column."""
    lookup = _code_lookup(q)
    cleaned = series.map(clean_text)
    uniques = pd.unique(cleaned.dropna())
    table = {}
    for u in uniques:
        code = lookup.get(u)
        if code is None:
            num = parse_number(u)
            if num is not None and float(num).is_integer():
                code = int(num)
        table[u] = code
    codes = cleaned.map(table)
    values = np.full(len(series), np.nan)
    reasons = np.full(len(series), None, dtype=object)
    blank = cleaned.isna().to_numpy()
    reasons[blank] = REASON_BLANK
    parsed = codes.notna().to_numpy() & ~blank
    code_arr = codes.to_numpy(dtype=object)
    valid = set(q.codes)
    missing = set(q.missing)
    for i in np.flatnonzero(~blank):
        c = code_arr[i]
        if c is not None and not (isinstance(c, float) and np.isnan(c)) and int(c) in valid:
            values[i] = int(c)
        elif c is not None and not (isinstance(c, float) and np.isnan(c)) and int(c) in missing:
            reasons[i] = REASON_MISSING_CODE
        else:
            reasons[i] = REASON_INVALID
    del parsed
    return values, reasons, cleaned


def _series_or_blank(raw: pd.DataFrame, hmap: HeaderMap, col: str) -> pd.Series:
    if col in hmap.columns:
        return raw[hmap.columns[col]]
    return pd.Series([None] * len(raw), index=raw.index, dtype=object)


def normalise(raw: RawTable, questionnaire: Questionnaire) -> Dataset:
    """Turn a :class:`RawTable` into a tidy :class:`Dataset` (see module doc)."""
    frame = raw.frame
    hmap = map_headers(list(frame.columns), questionnaire)
    rid = questionnaire.respondent_id
    if rid in hmap.missing:
        raise InputError(
            f"no respondent id column (expected {questionnaire.respondent_id_header!r} or {rid!r}); "
            "add the id column the questionnaire declares",
            path=raw.provenance.path, column=questionnaire.respondent_id_header,
        )
    required_missing = [c for c in hmap.missing if "#slot" not in c]
    slot_qs = [q for q in questionnaire.by_type("multi") if q.form == "slots"]
    for q in slot_qs:
        if all(f"{q.id}#slot{k}" in hmap.missing for k in range(1, len(q.raw_headers) + 1)):
            required_missing.append(q.raw_headers[0])
    if required_missing:
        raise InputError(
            f"{len(required_missing)} questionnaire column(s) are missing from the file: "
            f"{', '.join(required_missing[:8])}{' ...' if len(required_missing) > 8 else ''}; "
            "check the header row against the questionnaire (run `survey validate` for the full list)",
            path=raw.provenance.path,
        )
    rows = frame.index.to_numpy()
    ids = frame[hmap.columns[rid]].map(clean_text).to_numpy(dtype=object)
    changes = _Changes()
    data: dict[str, np.ndarray] = {}
    reasons: dict[str, np.ndarray] = {}
    for q in questionnaire.questions:
        _normalise_question(q, frame, hmap, rows, ids, data, reasons, changes)
    _apply_skip_logic(questionnaire, rows, ids, data, reasons, changes)
    tidy = pd.DataFrame(data, index=frame.index)
    tidy.insert(0, rid, ids)
    why = pd.DataFrame(reasons, index=frame.index)

    exclusions = _exclusions(questionnaire, tidy, why, rows, ids)
    keep = ~frame.index.isin(exclusions["row"])
    ledger = Ledger(
        rows_read=raw.rows_read,
        rows_kept=int(keep.sum()),
        exclusions=exclusions,
        changes=changes.frame(),
    )
    if ledger.rows_read != ledger.rows_kept + ledger.rows_excluded:
        raise SurveyError(
            f"internal check failed: rows read {ledger.rows_read} != kept {ledger.rows_kept} + "
            f"excluded {ledger.rows_excluded}; please report this with the input file"
        )
    return Dataset(
        data=tidy.loc[keep], missing_reasons=why.loc[keep], questionnaire=questionnaire,
        provenance=raw.provenance, ledger=ledger,
    )


def _normalise_question(q, frame, hmap, rows, ids, data, reasons, changes):
    if q.type in ("single", "likert") and not q.items:
        data[q.id], reasons[q.id], _ = _parse_codes(_series_or_blank(frame, hmap, q.id), q)
    elif q.type == "likert":
        for item in q.items:
            data[item.column], reasons[item.column], _ = _parse_codes(_series_or_blank(frame, hmap, item.column), q)
    elif q.type == "numeric":
        _numeric(q, _series_or_blank(frame, hmap, q.id), rows, ids, data, reasons, changes)
    elif q.type == "text":
        series = _series_or_blank(frame, hmap, q.id).map(clean_text)
        data[q.id] = series.to_numpy(dtype=object)
        reasons[q.id] = np.where(series.isna(), REASON_BLANK, None)
    elif q.type == "multi":
        _multi(q, frame, hmap, rows, ids, data, reasons, changes)
    elif q.type == "allocation":
        _allocation(q, frame, hmap, rows, ids, data, reasons, changes)
    elif q.type == "ranking":
        _ranking(q, frame, hmap, rows, ids, data, reasons, changes)


def _numeric(q, series, rows, ids, data, reasons, changes):
    cleaned = series.map(clean_text)
    values = np.array([np.nan if v is None else (parse_number(v) if parse_number(v) is not None else np.nan)
                       for v in cleaned.to_numpy(dtype=object)], dtype=float)
    why = np.full(len(series), None, dtype=object)
    blank = cleaned.isna().to_numpy()
    why[blank] = REASON_BLANK
    unparsable = ~blank & np.isnan(values)
    why[unparsable] = REASON_INVALID
    missing = ~blank & np.isin(values, list(q.missing))
    why[missing] = REASON_MISSING_CODE
    values[missing] = np.nan
    low = -np.inf if q.minimum is None else q.minimum
    high = np.inf if q.maximum is None else q.maximum
    impossible = ~np.isnan(values) & ((values < low) | (values > high) | (q.integer & (values != np.floor(values))))
    if impossible.any():
        changes.add(rows[impossible], ids[impossible], q.id, series.to_numpy(dtype=object)[impossible],
                    [None] * int(impossible.sum()), "impossible_value")
        values[impossible] = np.nan
        why[impossible] = REASON_INVALID
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
            for j, code in enumerate(codes):
                dummies[:, j] += values == code
            any_answer |= ~np.isnan(values)
            invalid |= why == REASON_INVALID
        dummies = np.minimum(dummies, 1)
        blank = ~any_answer
    else:
        marks = np.full((n, len(codes)), np.nan)
        bad = np.zeros((n, len(codes)), dtype=bool)
        for j, item in enumerate(q.items):
            cleaned = _series_or_blank(frame, hmap, item.column).map(clean_text)
            num = cleaned.map(lambda v: None if v is None else ({"○": 1.0, "〇": 1.0, "●": 1.0}.get(v, parse_number(v))))
            arr = num.to_numpy(dtype=float, na_value=np.nan)
            bad[:, j] = cleaned.notna().to_numpy() & ~np.isin(arr, [0.0, 1.0])
            marks[:, j] = np.where(bad[:, j], np.nan, arr)
        blank = np.all(np.isnan(marks), axis=1)
        dummies = np.nan_to_num(marks, nan=0.0)
        invalid = bad.any(axis=1)
    chosen = dummies.sum(axis=1)
    if q.max_choices is not None:
        over = chosen > q.max_choices
        if over.any() and q.over_limit in ("keep_lowest", "drop"):
            for i in np.flatnonzero(over):
                picked = np.flatnonzero(dummies[i])
                drop = picked[q.max_choices:] if q.over_limit == "keep_lowest" else picked
                for j in drop:
                    changes.add([rows[i]], [ids[i]], q.items[j].column, [1], [0 if q.over_limit == "keep_lowest" else None],
                                f"multi_over_limit_{q.over_limit}")
                    dummies[i, j] = 0
            if q.over_limit == "drop":
                blank = blank | over
    dummies[blank] = np.nan
    for j, item in enumerate(q.items):
        data[item.column] = dummies[:, j]
        why = np.full(n, None, dtype=object)
        why[blank] = REASON_BLANK
        why[invalid & ~blank & (dummies[:, j] == 0)] = None
        reasons[item.column] = why


def _allocation(q, frame, hmap, rows, ids, data, reasons, changes):
    n = len(frame)
    cols = [item.column for item in q.items]
    amounts = np.full((n, len(cols)), np.nan)
    raw_vals = []
    for j, col in enumerate(cols):
        series = _series_or_blank(frame, hmap, col)
        raw_vals.append(series.to_numpy(dtype=object))
        amounts[:, j] = [np.nan if v is None else (np.nan if parse_number(v) is None else parse_number(v))
                         for v in series.to_numpy(dtype=object)]
    invalid_cell = np.array([[rv[i] is not None and np.isnan(amounts[i, j]) for j, rv in enumerate(raw_vals)]
                             for i in range(n)]).reshape(n, len(cols))
    negative = amounts < 0
    answered = ~np.isnan(amounts)
    none = ~answered.any(axis=1)
    partial = answered.any(axis=1) & ~answered.all(axis=1) & ~invalid_cell.any(axis=1)
    # blank parts beside answered ones mean ¥0 (the respondent wrote nothing there)
    for i in np.flatnonzero(partial):
        for j in np.flatnonzero(~answered[i]):
            changes.add([rows[i]], [ids[i]], cols[j], [None], [0], "allocation_blank_as_zero")
            amounts[i, j] = 0
    unusable = invalid_cell.any(axis=1) | negative.any(axis=1)
    totals = np.nansum(amounts, axis=1)
    off = ~none & ~unusable & (np.abs(totals - q.total) > q.tolerance)
    why = np.full(n, None, dtype=object)
    why[none] = REASON_BLANK
    if q.total_policy == "reject":
        bad = off | unusable
        rule = "allocation_total_reject"
    elif q.total_policy == "rescale":
        bad = unusable | (off & (totals <= 0))
        rule = "allocation_total_rescale"
        for i in np.flatnonzero(off & ~bad):
            new = _largest_remainder(amounts[i], q.total)
            for j in np.flatnonzero(new != amounts[i]):
                changes.add([rows[i]], [ids[i]], cols[j], [amounts[i, j]], [new[j]], rule)
            amounts[i] = new
    else:
        bad = unusable
        rule = "allocation_invalid"
    for i in np.flatnonzero(bad):
        for j in range(len(cols)):
            if not np.isnan(amounts[i, j]) or raw_vals[j][i] is not None:
                changes.add([rows[i]], [ids[i]], cols[j], [raw_vals[j][i]], [None], rule if q.total_policy == "reject" else "allocation_invalid")
        amounts[i] = np.nan
    why[bad] = REASON_INVALID
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


def _ranking(q, frame, hmap, rows, ids, data, reasons, changes):
    n = len(frame)
    slots = np.full((n, q.depth), np.nan)
    whys = []
    for r, item in enumerate(q.items):
        values, why, _ = _parse_codes(_series_or_blank(frame, hmap, item.column), q)
        slots[:, r] = values
        whys.append(why)
    for i in range(n):
        seen = set()
        for r in range(q.depth):
            v = slots[i, r]
            if np.isnan(v):
                continue
            if v in seen:
                changes.add([rows[i]], [ids[i]], q.items[r].column, [int(v)], [None], "ranking_duplicate_item")
                slots[i, r] = np.nan
                whys[r][i] = REASON_INVALID
            seen.add(v)
        # compact gaps: rank 3 without rank 2 moves up
        present = slots[i][~np.isnan(slots[i])]
        compact = np.concatenate([present, np.full(q.depth - len(present), np.nan)])
        if not np.array_equal(np.nan_to_num(compact, nan=-1), np.nan_to_num(slots[i], nan=-1)):
            for r in range(q.depth):
                if not (np.isnan(compact[r]) and np.isnan(slots[i, r])) and compact[r] != slots[i, r]:
                    before = None if np.isnan(slots[i, r]) else int(slots[i, r])
                    after = None if np.isnan(compact[r]) else int(compact[r])
                    changes.add([rows[i]], [ids[i]], q.items[r].column, [before], [after], "ranking_gap_compacted")
            slots[i] = compact
    for r, item in enumerate(q.items):
        data[item.column] = slots[:, r]
        reasons[item.column] = whys[r]


def _condition_mask(cond, data) -> np.ndarray:
    values = data[cond.column]
    if values.dtype == object:
        present = np.array([v is not None for v in values])
        values = np.where(present, 0.0, np.nan)
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
            answered = np.array([v is not None for v in values]) if values.dtype == object else ~np.isnan(values)
            wrong = ~asked & answered
            if wrong.any():
                changes.add(rows[wrong], ids[wrong], col, values[wrong], [None] * int(wrong.sum()), "answered_although_skipped")
                values = values.copy()
                values[wrong] = None if values.dtype == object else np.nan
                data[col] = values
            why = reasons[col].copy()
            why[~asked] = REASON_NOT_APPLICABLE
            reasons[col] = why


def _exclusions(questionnaire, tidy, why, rows, ids) -> pd.DataFrame:
    rid = questionnaire.respondent_id
    question_cols = [c for c in tidy.columns if c != rid]
    blank_or_na = why[question_cols].isin([REASON_BLANK, REASON_NOT_APPLICABLE]).to_numpy()
    # dummies of an unanswered multi question are NaN with reason blank; a 0 is an answer
    all_blank = blank_or_na.all(axis=1)
    out = []
    for r, i in zip(rows[all_blank], ids[all_blank]):
        out.append((int(r), i, "blank_return"))
    no_id = np.array([i is None for i in ids])
    for r in rows[no_id & ~all_blank]:
        out.append((int(r), None, "missing_respondent_id"))
    id_series = pd.Series(ids)
    dup = id_series.duplicated(keep="first").to_numpy() & ~no_id & ~all_blank
    for r, i in zip(rows[dup], ids[dup]):
        out.append((int(r), i, "duplicate_respondent_id"))
    frame = pd.DataFrame(out, columns=["row", "respondent_id", "reason"])
    return frame.sort_values("row", kind="stable").reset_index(drop=True)
