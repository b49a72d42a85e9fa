"""What a contractor delivers: a CP932 CSV with Japanese headers.

The delivered frame holds text exactly as it reads back from the file
(``pd.read_csv(path, encoding="cp932", dtype=str, keep_default_na=False)``):
every cell is a string, a blank cell is ``""``.  Conventions (see
``data/SIMULATION.md``):

* headers: the respondent-id header, then ``Question.raw_headers`` in
  questionnaire order;
* attribute questions with codes (性別, 年齢, 地区, 子ども) as Japanese labels,
  their missing code as its label (無回答); everything else as numeric codes;
* blanks: a skipped question, an unused ranking slot, an unanswered
  multi-answer or allocation question, no comment;
* text is passed through CP932 once, so the wave dash 〜 (U+301C) of the
  questionnaire's labels arrives as the fullwidth tilde ～ (U+FF5E), as in a
  real Windows file;
* lines end with CRLF (``\\r\\n``), fields are quoted only when needed.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "ENCODING",
    "LINE_TERMINATOR",
    "cp932_text",
    "delivery_bytes",
    "delivery_columns",
    "delivery_headers",
    "reported_attributes",
    "to_delivery",
    "write_delivery",
]

ENCODING = "cp932"
LINE_TERMINATOR = "\r\n"


def cp932_text(text: str) -> str:
    """``text`` as it reads back after being written in CP932 (〜 -> ～)."""
    return text.encode(ENCODING).decode(ENCODING)


def delivery_headers(questionnaire) -> list[str]:
    """Column headings of a delivery, respondent id first."""
    heads = [questionnaire.respondent_id_header]
    for q in questionnaire.questions:
        heads.extend(q.raw_headers)
    return [cp932_text(h) for h in heads]


def _as_float(values) -> np.ndarray:
    return pd.array(values, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)


def _code_text(values, labels=None) -> np.ndarray:
    """Integer codes (with NA) -> strings via a small lookup table."""
    arr = _as_float(values)
    out = np.full(arr.shape, "", dtype=object)
    ok = ~np.isnan(arr)
    ints = arr[ok].astype(np.int64)
    uniq = np.unique(ints)
    if labels is None:
        table = np.array([str(u) for u in uniq], dtype=object)
    else:
        table = np.array([cp932_text(labels(int(u))) for u in uniq], dtype=object)
    out[ok] = table[np.searchsorted(uniq, ints)]
    return out


def _text(values) -> np.ndarray:
    ser = pd.Series(values, dtype=object).fillna("").astype(str).astype(object)
    wide = ~ser.str.isascii().to_numpy(dtype=bool)
    if wide.any():
        uniq = {v: cp932_text(v) for v in pd.unique(ser[wide])}
        ser[wide] = ser[wide].map(uniq)
    return ser.to_numpy(dtype=object)


def to_delivery(respondents: pd.DataFrame, questionnaire) -> pd.DataFrame:
    """Turn tidy respondent answers into the delivered text frame.

    Parameters
    ----------
    respondents : DataFrame
        Tidy columns ``questionnaire.columns`` (integer codes, NA for blank).
    questionnaire : Questionnaire

    Returns
    -------
    DataFrame
        One string column per delivered header (see :func:`delivery_headers`).
    """
    return pd.DataFrame(delivery_columns(respondents, questionnaire), dtype=object).astype(str)


def delivery_columns(respondents: pd.DataFrame, questionnaire) -> dict[str, np.ndarray]:
    """Delivered columns as object arrays of strings, header -> cells."""
    cols: dict[str, np.ndarray] = {}
    rid = questionnaire.respondent_id
    cols[cp932_text(questionnaire.respondent_id_header)] = _text(respondents[rid])
    for q in questionnaire.questions:
        if q.type == "text":
            cols[cp932_text(q.header)] = _text(respondents[q.id])
        elif q.type == "multi" and q.form == "slots":
            ticks = respondents[list(q.columns)].to_numpy(dtype=float, na_value=np.nan)
            codes = np.array([it.code for it in q.items], dtype=float)
            chosen = np.where(ticks == 1, codes, np.inf)
            chosen.sort(axis=1)
            for s, head in enumerate(q.raw_headers):
                slot = chosen[:, s] if s < chosen.shape[1] else np.full(len(chosen), np.inf)
                cols[cp932_text(head)] = _code_text(np.where(np.isinf(slot), np.nan, slot))
        else:
            labels = q.label if (q.attribute and q.codes) else None
            for col, head in zip(q.columns, q.raw_headers):
                cols[cp932_text(head)] = _code_text(respondents[col], labels)
    return cols


def delivery_bytes(delivery, *, header: bool = True) -> bytes:
    """A delivered frame (or :func:`delivery_columns` dict) as CP932 CSV
    bytes: CRLF line ends, fields quoted only when needed."""
    if isinstance(delivery, pd.DataFrame):
        heads = list(delivery.columns)
        columns = [delivery[h].to_numpy(dtype=object) for h in heads]
    else:
        heads, columns = list(delivery), list(delivery.values())
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=LINE_TERMINATOR, quoting=csv.QUOTE_MINIMAL)
    if header:
        writer.writerow(heads)
    writer.writerows(zip(*columns))
    return buf.getvalue().encode(ENCODING)


def write_delivery(delivery: pd.DataFrame, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(delivery_bytes(delivery))
    return path


def reported_attributes(people: pd.DataFrame, questionnaire, rng: np.random.Generator, *, model=None) -> dict:
    """What respondents write for the register attributes (the model's ``reporting:``).

    The register values are reported, except, per attribute and in the model's
    order: another code chosen at a rate (回答しない for sex, more often among
    the young), a number heaped to a round multiple by some respondents (years
    lived, never above the age), and the missing code (無回答) at a rate.
    """
    from survey.simulate.model import rate
    from survey.simulate.model_parse import model_for

    model = model_for(questionnaire, model)
    n = len(people)
    out = {}
    for r in model.reporting:
        values = people[r.question].to_numpy().copy()
        if r.other_code is not None:
            values = np.where(rng.random(n) < rate(r.other_rate, people), r.other_code, values)
        if r.heaping is not None:
            h = r.heaping
            heap = (values > h.above) & (rng.random(n) < rate(h.rate, people))
            rounded = h.multiple * np.round(values / h.multiple)
            if h.at_most is not None:
                rounded = np.minimum(rounded, people[h.at_most].to_numpy())
            values = np.where(heap, rounded, values).astype(np.int64)
        if r.no_answer is not None:
            values = np.where(rng.random(n) < rate(r.no_answer, people), min(questionnaire[r.question].missing), values)
        out[r.question] = pd.array(values, dtype="Int64")
    return out
