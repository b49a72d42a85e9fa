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

import numpy as np
import pandas as pd

from survey.errors import InputError, SurveyError
from survey.intake.cleaners import _largest_remainder, _normalise_question  # noqa: F401
from survey.intake.dtypes import column_dtypes, compact_column
from survey.intake.ledger import Dataset, Ledger, _Changes, _typed_frame
from survey.intake.readers import RawTable
from survey.intake.skip_logic import _apply_skip_logic, condition_mask  # noqa: F401
from survey.intake.values import (
    REASON_BLANK,
    REASON_INVALID,
    REASON_MISSING_CODE,
    REASON_NOT_APPLICABLE,
    HeaderMap,
    _present,
    clean_column,
    clean_text,
    code_lookup,
    map_headers,
    parse_number,
)
from survey.questionnaire import Questionnaire

# the step's public names are re-exported here, so `from survey.intake.normalise import X`
# keeps working; condition_mask and _largest_remainder too (not in __all__)
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
