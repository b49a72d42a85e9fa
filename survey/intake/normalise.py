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
from survey.intake.dtypes import column_dtypes, compact_column
from survey.intake.readers import Provenance, RawTable
from survey.questionnaire import Question, Questionnaire

__all__ = [
    "clean_text",
    "clean_column",
    "code_lookup",
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
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


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
    text = text.replace("円", "").replace("−", "-").replace("ー", "-")
    if "," in text:
        # only thousands separators: "1,000" is a number, "1,2" is two marks, not 12
        if not _THOUSANDS.fullmatch(text):
            return None
        text = text.replace(",", "")
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
    """A normalised wave: tidy data (one row per kept respondent), why each
    missing cell is missing, and the ledger.

    Column dtypes come from the questionnaire, never from the data
    (:func:`survey.intake.dtypes.column_dtypes`):

    ============================================  =====================================
    column                                        dtype
    ============================================  =====================================
    respondent id, ``text``                       ``str`` (missing: NaN)
    ``single``, ``likert`` (and matrix items),    ``Int16`` (pandas nullable; ``Int32``
    ``ranking`` slots: answer codes               if a declared code is beyond ±32767)
    ``multi``: the 0/1 dummies                    ``Int8``
    ``numeric`` with ``integer: true`` and both   ``Int16`` (``Int32`` for wider bounds)
    ``minimum`` and ``maximum``
    other ``numeric`` questions                   ``float64`` (NaN for missing)
    ``allocation`` parts                          ``float64`` (the cleaning keeps
                                                  fractional amounts, and amounts above
                                                  the total under ``total_policy: flag``)
    ============================================  =====================================

    Missing values in the nullable columns are ``<NA>``: comparisons give
    ``<NA>`` too (``data["sex"] == 1`` is a nullable boolean, use
    ``.fillna(False)`` before indexing with it), and
    ``data[col].to_numpy(dtype=float, na_value=np.nan)`` gives the codes as
    floats with NaN, which is how the design layer reads every column.
    """

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


_CHANGE_COLUMNS = ["row", "respondent_id", "column", "before", "after", "rule"]


def _objects(values, n: int) -> np.ndarray:
    """``values`` (a list, an array or one value for all) as an object array of
    length ``n`` whose elements are what iterating ``values`` gives."""
    out = np.empty(n, dtype=object)
    if isinstance(values, (list, tuple, np.ndarray)):
        out[:] = values if isinstance(values, np.ndarray) and values.dtype == object else list(values)
    else:
        out[:] = [values] * n
    return out


def _typed_frame(columns: dict) -> pd.DataFrame:
    """A frame from equal-length object arrays with the dtypes pandas would
    infer from the same values given row by row (int64, float64, str, object)."""
    return pd.DataFrame(columns).infer_objects()


class _Changes:
    """Changed cells, kept as array blocks (one per rule and column) in
    ledger order; :meth:`frame` assembles them once."""

    def __init__(self):
        self.blocks: list[tuple] = []

    def add(self, rows, ids, column, before, after, rule):
        self.add_cells(rows, ids, column, before, after, rule)

    def add_cells(self, rows, ids, columns, before, after, rule):
        """Like :meth:`add` with one column per change (already in ledger order)."""
        n = len(rows)
        if n:
            self.blocks.append((np.asarray(rows, dtype=np.int64), _objects(ids, n), _objects(columns, n),
                                _objects(before, n), _objects(after, n), _objects(rule, n)))

    def frame(self) -> pd.DataFrame:
        if not self.blocks:
            return pd.DataFrame([], columns=_CHANGE_COLUMNS)
        parts = [np.concatenate([b[k] for b in self.blocks]) for k in range(len(_CHANGE_COLUMNS))]
        parts[0] = parts[0].astype(object)
        return _typed_frame(dict(zip(_CHANGE_COLUMNS, parts)))


def code_lookup(q: Question) -> dict:
    lookup = {}
    for code, label in list(q.codes.items()) + list(q.missing.items()):
        lookup[clean_text(label)] = code
        lookup[str(code)] = code
    return lookup


def _per_unique(series: pd.Series, fn, *, fill=None) -> np.ndarray:
    """``fn`` applied once per distinct non-missing cell, broadcast back
    (an object array; ``fill`` where the cell is ``None``)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = [fn(u) for u in uniques]
    table[-1] = fill  # factorize marks missing cells with -1
    return table[codes]


def clean_column(series: pd.Series) -> pd.Series:
    """:func:`clean_text` on every cell (computed once per distinct value;
    printable ASCII without spaces or ``~``, which it leaves unchanged, is
    passed through without the call: IDs are all distinct)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    plain = pd.Series(uniques, dtype=object).str.fullmatch(r"[!-}]+").fillna(False).to_numpy(dtype=bool)
    table[:-1][plain] = np.asarray(uniques, dtype=object)[plain]
    table[:-1][~plain] = [clean_text(u) for u in np.asarray(uniques, dtype=object)[~plain]]
    table[-1] = None
    return pd.Series(table[codes], index=series.index, dtype=object)


def _parse_codes(series: pd.Series, q: Question):
    """Return (float codes with NaN, reasons) for a single-code column."""
    lookup = code_lookup(q)
    valid = set(q.codes)
    missing = set(q.missing)

    def classify(raw):
        text = clean_text(raw)
        if text is None:
            return (np.nan, REASON_BLANK, None)
        code = lookup.get(text)
        if code is None:
            num = parse_number(text)
            if num is not None and float(num).is_integer():
                code = int(num)
        if code is not None and int(code) in valid:
            return (float(int(code)), None, text)
        if code is not None and int(code) in missing:
            return (np.nan, REASON_MISSING_CODE, text)
        return (np.nan, REASON_INVALID, text)

    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = [classify(u) for u in uniques] + [(np.nan, REASON_BLANK, None)]
    values = np.array([t[0] for t in table], dtype=float)[codes]
    reasons = np.array([t[1] for t in table] + [None], dtype=object)[:-1][codes]
    cleaned = pd.Series(np.array([t[2] for t in table] + [None], dtype=object)[:-1][codes],
                        index=series.index, dtype=object)
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
    heading = {col: header for q in questionnaire.questions for col, header in zip(q.columns, q.raw_headers)}
    required_missing = [f"{c} (heading {heading.get(c, c)!r})" for c in hmap.missing if "#slot" not in c]
    slot_qs = [q for q in questionnaire.by_type("multi") if q.form == "slots"]
    for q in slot_qs:
        if all(f"{q.id}#slot{k}" in hmap.missing for k in range(1, len(q.raw_headers) + 1)):
            required_missing.append(f"{q.id} (heading {q.raw_headers[0]!r})")
    if required_missing:
        raise InputError(
            f"{len(required_missing)} questionnaire column(s) are missing from the file: "
            f"{', '.join(required_missing[:8])}{' ...' if len(required_missing) > 8 else ''}; "
            "check the header row against the questionnaire (run `survey validate` for the full list)",
            path=raw.provenance.path,
        )
    rows = frame.index.to_numpy()
    ids = clean_column(frame[hmap.columns[rid]]).to_numpy(dtype=object)
    changes = _Changes()
    data: dict[str, np.ndarray] = {}
    reasons: dict[str, np.ndarray] = {}
    for q in questionnaire.questions:
        _normalise_question(q, frame, hmap, rows, ids, data, reasons, changes)
    _apply_skip_logic(questionnaire, rows, ids, data, reasons, changes)
    dtypes = column_dtypes(questionnaire)
    tidy = pd.DataFrame({col: compact_column(col, values, dtypes[col]) for col, values in data.items()},
                        index=frame.index)
    tidy.insert(0, rid, ids)
    why = pd.DataFrame(reasons, index=frame.index, dtype=object)  # None where observed (no str inference)

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


def _codes_column(q, column, frame, hmap, rows, ids, data, reasons, changes):
    """One coded column; a value that is no declared code is cleared and logged."""
    series = _series_or_blank(frame, hmap, column)
    data[column], reasons[column], _ = _parse_codes(series, q)
    _log_invalid(changes, rows, ids, column, series, reasons[column], "invalid_code_cleared")


def _log_invalid(changes, rows, ids, column, series, why, rule):
    bad = why == REASON_INVALID
    if bad.any():
        changes.add(rows[bad], ids[bad], column, series.to_numpy(dtype=object)[bad], [None] * int(bad.sum()), rule)


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
        reasons[q.id] = np.where(series.isna(), REASON_BLANK, None)
    elif q.type == "multi":
        _multi(q, frame, hmap, rows, ids, data, reasons, changes)
    elif q.type == "allocation":
        _allocation(q, frame, hmap, rows, ids, data, reasons, changes)
    elif q.type == "ranking":
        _ranking(q, frame, hmap, rows, ids, data, reasons, changes)


def _number_or_nan(raw) -> float:
    number = parse_number(raw)
    return np.nan if number is None else number


def _numeric(q, series, rows, ids, data, reasons, changes):
    cleaned = clean_column(series)
    values = _per_unique(series, _number_or_nan, fill=np.nan).astype(float)
    why = np.full(len(series), None, dtype=object)
    blank = cleaned.isna().to_numpy()
    why[blank] = REASON_BLANK
    unparsable = ~blank & np.isnan(values)
    why[unparsable] = REASON_INVALID
    _log_invalid(changes, rows, ids, q.id, series, why, "invalid_number_cleared")
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
            present, arr = _marks(_series_or_blank(frame, hmap, item.column))
            bad[:, j] = present & ~np.isin(arr, [0.0, 1.0])
            marks[:, j] = np.where(bad[:, j], np.nan, arr)
        blank = np.all(np.isnan(marks), axis=1)
        dummies = np.nan_to_num(marks, nan=0.0)
        invalid = bad.any(axis=1)
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
        why = np.full(n, None, dtype=object)
        why[blank] = REASON_BLANK
        why[invalid & ~blank & (dummies[:, j] == 0)] = None
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
    why = np.full(n, None, dtype=object)
    why[none] = REASON_BLANK
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


def _largest_remainder_rows(parts: np.ndarray, total: int) -> np.ndarray:
    """:func:`_largest_remainder` on every row of a 2-D array at once."""
    scaled = parts * total / parts.sum(axis=1, keepdims=True)
    floor = np.floor(scaled)
    short = np.round(total - floor.sum(axis=1)).astype(int)
    order = np.argsort(-(scaled - floor), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(parts.shape[1])[None, :].repeat(len(parts), axis=0), axis=1)
    return floor + (rank < short[:, None])


def _marks(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_mark` on a column: (delivered, number or NaN), once per distinct cell."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = [_mark(u) for u in uniques] + [(False, np.nan)]  # the last entry: empty cells (code -1)
    present = np.array([t[0] for t in table], dtype=bool)[codes]
    number = np.array([t[1] for t in table], dtype=float)[codes]
    return present, number


def _mark(raw):
    """A multi-answer dummy cell: (delivered, number or NaN); ○ 〇 ● count as 1."""
    text = clean_text(raw)
    if text is None:
        return (False, np.nan)
    number = {"○": 1.0, "〇": 1.0, "●": 1.0}.get(text, parse_number(text))
    return (True, np.nan if number is None else number)


def _ranking(q, frame, hmap, rows, ids, data, reasons, changes):
    n = len(frame)
    slots = np.full((n, q.depth), np.nan)
    whys = []
    for r, item in enumerate(q.items):
        series = _series_or_blank(frame, hmap, item.column)
        values, why, _ = _parse_codes(series, q)
        _log_invalid(changes, rows, ids, item.column, series, why, "invalid_code_cleared")
        slots[:, r] = values
        whys.append(why)
    cols = np.array([item.column for item in q.items], dtype=object)
    # a repeat of an item ranked higher up is cleared (phase 0)
    original = slots.copy()
    dup = np.zeros(slots.shape, dtype=bool)
    for r in range(1, q.depth):
        dup[:, r] = ~np.isnan(original[:, r]) & (original[:, :r] == original[:, [r]]).any(axis=1)
        slots[dup[:, r], r] = np.nan
        whys[r][dup[:, r]] = REASON_INVALID
    # compact gaps: rank 3 without rank 2 moves up (phase 1)
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
    for r, item in enumerate(q.items):
        data[item.column] = slots[:, r]
        reasons[item.column] = whys[r]


def _int_or_none(values: np.ndarray) -> np.ndarray:
    """Float codes as Python ints, NaN as None (an object array)."""
    out = np.empty(len(values), dtype=object)
    ok = ~np.isnan(values)
    out[ok] = values[ok].astype(np.int64).tolist()
    return out


def _present(values: np.ndarray) -> np.ndarray:
    """Cells of an object column that hold a value (not None)."""
    return np.not_equal(values, None).astype(bool)


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
            why[~asked] = REASON_NOT_APPLICABLE
            reasons[col] = why


def _exclusions(questionnaire, tidy, why, rows, ids) -> pd.DataFrame:
    rid = questionnaire.respondent_id
    question_cols = [c for c in tidy.columns if c != rid]
    blank_or_na = why[question_cols].isin([REASON_BLANK, REASON_NOT_APPLICABLE]).to_numpy()
    # dummies of an unanswered multi question are NaN with reason blank; a 0 is an answer
    all_blank = blank_or_na.all(axis=1)
    no_id = ~_present(ids)
    # duplicates among real returns only: a blank return sharing an id must not
    # push the real return out
    candidates = ~no_id & ~all_blank
    dup = np.zeros(len(ids), dtype=bool)
    dup[candidates] = pd.Series(ids[candidates]).duplicated(keep="first").to_numpy()
    parts = [(all_blank, "blank_return"), (no_id & ~all_blank, "missing_respondent_id"),
             (dup, "duplicate_respondent_id")]
    if not any(mask.any() for mask, _ in parts):
        return pd.DataFrame([], columns=["row", "respondent_id", "reason"])
    frame = _typed_frame({
        "row": np.concatenate([rows[mask] for mask, _ in parts]).astype(np.int64).astype(object),
        "respondent_id": np.concatenate([ids[mask] for mask, _ in parts]),
        "reason": np.concatenate([np.full(int(mask.sum()), reason, dtype=object) for mask, reason in parts]),
    })
    return frame.sort_values("row", kind="stable").reset_index(drop=True)
