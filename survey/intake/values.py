"""Reading one delivered cell: text, numbers and answer codes, and which raw
column holds each questionnaire column.

Everything here interprets a single value (or a column of them, once per
distinct value); the policies that change answers live in
:mod:`survey.intake.cleaners` and :mod:`survey.intake.skip_logic`, and
:func:`survey.intake.normalise.normalise` puts the step together.
"""
from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.questionnaire import Question, Questionnaire

__all__ = [
    "REASON_BLANK",
    "REASON_INVALID",
    "REASON_MISSING_CODE",
    "REASON_NOT_APPLICABLE",
    "REASON_TIED",
    "MISSING_REASONS",
    "MARK_SPLIT",
    "MULTI_MARKS",
    "HeaderMap",
    "clean_column",
    "clean_text",
    "code_lookup",
    "map_headers",
    "mark_value",
    "parse_number",
    "several_codes",
]

REASON_BLANK = "blank"
REASON_MISSING_CODE = "missing_code"
REASON_INVALID = "invalid"
REASON_NOT_APPLICABLE = "not_applicable"
#: A rank box with two or more items (a tie) and every rank below it: the respondent's
#: ranking is known only above the tie (ledger rule ``ranking_tie_truncated``).
REASON_TIED = "tied"
#: Every reason a tidy cell can be missing: the categories of ``Dataset.missing_reasons``.
MISSING_REASONS = (REASON_BLANK, REASON_MISSING_CODE, REASON_INVALID, REASON_NOT_APPLICABLE, REASON_TIED)
# While normalising, the reasons of a column are an int8 array of positions in
# MISSING_REASONS (the categorical's codes), OBSERVED where the cell holds an answer:
# one byte a cell instead of an object pointer (issue 18: 40 columns x 1M rows).
OBSERVED = -1
WHY_BLANK, WHY_MISSING_CODE, WHY_INVALID, WHY_NOT_APPLICABLE, WHY_TIED = range(len(MISSING_REASONS))
#: What separates several marks keyed into one cell ("1,10", "1・10", "1 10").
MARK_SPLIT = re.compile(r"\s*[,、・/／;；]\s*|\s+")

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


def _number_or_nan(raw) -> float:
    number = parse_number(raw)
    return np.nan if number is None else number


def code_lookup(q: Question) -> dict:
    lookup = {}
    for code, label in list(q.codes.items()) + list(q.missing.items()):
        lookup[clean_text(label)] = code
        lookup[str(code)] = code
    return lookup


_REMEMBERED: dict | None = None


def _array_key(values: np.ndarray) -> tuple:
    return values.__array_interface__["data"][0], values.shape, values.strides


@contextmanager
def remembered_factorizations(*frames):
    """Inside the block :func:`factorized` works out the distinct cells of each text column
    of ``frames`` once (normalisation reads a column in several steps: the damage checks,
    the cleaners; hashing a million strings takes 50 ms a column).  The frames must not
    change inside the block."""
    global _REMEMBERED
    keys = {_array_key(frame[c].to_numpy()) for frame in frames for c in frame.columns
            if frame[c].dtype == object}
    _REMEMBERED = {"keys": keys, "found": {}}
    try:
        yield
    finally:
        _REMEMBERED = None


def factorized(series: pd.Series):
    """``pd.factorize(series, use_na_sentinel=True)``, remembered for the columns of the frames
    of :func:`remembered_factorizations` (the codes are then read-only)."""
    memo = _REMEMBERED
    if memo is None or series.dtype != object:
        return pd.factorize(series, use_na_sentinel=True)
    key = _array_key(series.to_numpy())
    if key not in memo["keys"]:
        return pd.factorize(series, use_na_sentinel=True)
    if key not in memo["found"]:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        for small in (np.int8, np.int16, np.int32):    # kept in the smallest integers that hold them
            if len(uniques) < np.iinfo(small).max:
                codes = codes.astype(small)
                break
        codes.flags.writeable = False
        memo["found"][key] = (codes, uniques)
    return memo["found"][key]


def _per_unique(series: pd.Series, fn, *, fill=None) -> np.ndarray:
    """``fn`` applied once per distinct non-missing cell, broadcast back
    (an object array; ``fill`` where the cell is ``None``)."""
    codes, uniques = factorized(series)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = [fn(u) for u in uniques]
    table[-1] = fill  # factorize marks missing cells with -1
    return table[codes]


def clean_column(series: pd.Series) -> pd.Series:
    """:func:`clean_text` on every cell (computed once per distinct value;
    printable ASCII without spaces or ``~``, which it leaves unchanged, is
    passed through without the call: IDs are all distinct)."""
    codes, uniques = factorized(series)
    table = np.empty(len(uniques) + 1, dtype=object)
    plain = pd.Series(uniques, dtype=object).str.fullmatch(r"[!-}]+").fillna(False).to_numpy(dtype=bool)
    table[:-1][plain] = np.asarray(uniques, dtype=object)[plain]
    table[:-1][~plain] = [clean_text(u) for u in np.asarray(uniques, dtype=object)[~plain]]
    table[-1] = None
    return pd.Series(table[codes], index=series.index, dtype=object)


def reasons_array(n: int) -> np.ndarray:
    """The reasons of a column of ``n`` answered cells (:data:`OBSERVED` everywhere)."""
    return np.full(n, OBSERVED, dtype=np.int8)


def _parse_codes(series: pd.Series, q: Question):
    """Return (float codes with NaN, reasons as :data:`MISSING_REASONS` codes, cleaned text)
    for a single-code column."""
    lookup = code_lookup(q)
    valid = set(q.codes)
    missing = set(q.missing)

    def classify(raw):
        text = clean_text(raw)
        if text is None:
            return (np.nan, WHY_BLANK, None)
        code = lookup.get(text)
        if code is None:
            num = parse_number(text)
            if num is not None and float(num).is_integer():
                code = int(num)
        if code is not None and int(code) in valid:
            return (float(int(code)), OBSERVED, text)
        if code is not None and int(code) in missing:
            return (np.nan, WHY_MISSING_CODE, text)
        return (np.nan, WHY_INVALID, text)

    codes, uniques = factorized(series)
    table = [classify(u) for u in uniques] + [(np.nan, WHY_BLANK, None)]
    values = np.array([t[0] for t in table], dtype=float)[codes]
    reasons = np.array([t[1] for t in table], dtype=np.int8)[codes]
    cleaned = pd.Series(np.array([t[2] for t in table] + [None], dtype=object)[:-1][codes],
                        index=series.index, dtype=object)
    return values, reasons, cleaned


def several_codes(text, q: Question) -> bool:
    """Does a cleaned cell hold two or more of the question's codes or labels ("1,10")?
    In a single-answer cell that is several marks; in a rank box, a tie."""
    if text is None:
        return False
    lookup = code_lookup(q)
    known = set(q.codes) | set(q.missing)

    def code_of(part):
        code = lookup.get(part)
        if code is None:
            num = parse_number(part) if "," not in part else None
            if num is not None and float(num).is_integer():
                code = int(num)
        return code

    parts = [p for p in MARK_SPLIT.split(text) if p]
    return len(parts) > 1 and all(code_of(p) in known for p in parts)


#: The marks a multi-answer (0/1) cell may hold for "chosen", besides 1: circles and ticks, as
#: keyed by data-entry teams or exported by OCR.  Intake and validation read them through
#: :func:`mark_value` alone, so a mark `survey validate` accepts is never dropped by `survey run`.
MULTI_MARKS = ("○", "〇", "◯", "●", "◎", "✓", "✔", "☑")
_MARK_SET = frozenset(MULTI_MARKS)


def mark_value(text) -> float | None:
    """A cleaned multi-answer cell as a number: a mark of :data:`MULTI_MARKS` is 1.0,
    anything else :func:`parse_number` (``None`` when it is no number).

    >>> mark_value("◯"), mark_value("０"), mark_value("レ")
    (1.0, 0.0, None)
    """
    if text in _MARK_SET:
        return 1.0
    return parse_number(text)


def _marks(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_mark` on a column: (delivered, number or NaN), once per distinct cell."""
    codes, uniques = factorized(series)
    table = [_mark(u) for u in uniques] + [(False, np.nan)]  # the last entry: empty cells (code -1)
    present = np.array([t[0] for t in table], dtype=bool)[codes]
    number = np.array([t[1] for t in table], dtype=float)[codes]
    return present, number


def _mark(raw):
    """A multi-answer dummy cell: (delivered, number or NaN); the marks of
    :data:`MULTI_MARKS` count as 1."""
    text = clean_text(raw)
    if text is None:
        return (False, np.nan)
    number = mark_value(text)
    return (True, np.nan if number is None else number)


def _present(values: np.ndarray) -> np.ndarray:
    """Cells of an object column that hold a value (not None)."""
    return np.not_equal(values, None).astype(bool)


@dataclass(frozen=True)
class HeaderMap:
    """Which raw column holds each tidy column; what is missing or unknown.

    ``ambiguous`` lists ``(tidy column, raw columns)`` where more than one raw
    column claims a questionnaire column (one by its heading, another by the
    question id or an SPSS variable label), or one raw column claims several
    questionnaire columns: normalisation refuses such a file rather than pick one."""

    columns: dict  # tidy column -> raw header
    missing: tuple  # tidy columns with no raw column
    unknown: tuple  # raw headers that belong to no question
    ambiguous: tuple = ()  # (tidy column, (raw header, ...)) claimed more than once


def map_headers(raw_columns, questionnaire: Questionnaire, *, labels=None) -> HeaderMap:
    """Match raw headings to the questionnaire (by Japanese header or by id,
    after NFKC and whitespace cleaning).

    ``labels`` ({raw column: label}, e.g. SPSS variable labels) lets a column
    whose name matches nothing be found by its label ("Q1" labelled "問1 性別")."""
    by_name: dict = {}
    for c in raw_columns:
        by_name.setdefault(clean_text(c), c)  # headings that read the same are refused by the reader (D12)
    by_label: dict = {}
    for c, label in (labels or {}).items():
        if c in raw_columns and label is not None and clean_text(label) is not None:
            by_label.setdefault(clean_text(label), []).append(c)
    mapping: dict[str, str] = {}
    missing = []
    ambiguous = []
    wanted = [(questionnaire.respondent_id, (questionnaire.respondent_id_header, questionnaire.respondent_id))]
    for q in questionnaire.questions:
        if q.type == "multi" and q.form == "slots":
            for k, header in enumerate(q.raw_headers, start=1):
                wanted.append((f"{q.id}#slot{k}", (header, f"{q.id}_slot{k}")))
            continue
        for col, header in zip(q.columns, q.raw_headers):
            wanted.append((col, (header, col)))
    for col, candidates in wanted:
        found = []
        for cand in candidates:
            key = clean_text(cand)
            if key in by_name:
                found.append(by_name[key])
            found.extend(by_label.get(key, ()))
        found = list(dict.fromkeys(found))
        if not found:
            missing.append(col)
            continue
        mapping[col] = found[0]
        if len(found) > 1:
            ambiguous.append((col, tuple(found)))
    claimed: dict = {}
    for col, raw in mapping.items():
        claimed.setdefault(raw, []).append(col)
    for raw, cols in claimed.items():
        if len(cols) > 1:
            ambiguous.extend((col, (raw,)) for col in cols)
    used = set(mapping.values())
    unknown = tuple(c for c in raw_columns if c not in used)
    return HeaderMap(columns=mapping, missing=tuple(missing), unknown=unknown, ambiguous=tuple(ambiguous))


def _series_or_blank(raw: pd.DataFrame, hmap: HeaderMap, col: str) -> pd.Series:
    if col in hmap.columns:
        return raw[hmap.columns[col]]
    return pd.Series([None] * len(raw), index=raw.index, dtype=object)
