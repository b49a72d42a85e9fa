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
from survey.intake.damage import (
    UNREADABLE_REASONS,
    refuse_file_level,
    refuse_problem_cells,
    refuse_unreadable,
    unreadable_rows,
)
from survey.intake.dtypes import column_dtypes, compact_column
from survey.intake.ledger import Dataset, Ledger, _Changes, _no_notes, _typed_frame
from survey.intake.readers import RawTable
from survey.intake.sav import apply_user_missing, refuse_label_disagreements
from survey.intake.skip_logic import _apply_skip_logic, condition_mask  # noqa: F401
from survey.intake.values import (
    MISSING_REASONS,
    REASON_BLANK,
    REASON_INVALID,
    REASON_MISSING_CODE,
    REASON_NOT_APPLICABLE,
    WHY_BLANK,
    WHY_NOT_APPLICABLE,
    HeaderMap,
    remembered_factorizations,
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


def normalise(raw: RawTable, questionnaire: Questionnaire, *, exclude_undecodable: bool = False,
              _damage: pd.DataFrame | None = None) -> Dataset:
    """Turn a :class:`RawTable` into a tidy :class:`Dataset` (see module doc).

    Rows that cannot be read as delivered (undecodable bytes, mojibake, a CSV
    record with too few fields, a repeated heading row:
    :func:`survey.intake.damage.unreadable_rows`) are refused with an
    :class:`InputError`, or with ``exclude_undecodable=True`` excluded, each
    with its reason in the ledger.  An SPSS file whose value labels disagree
    with the questionnaire, and XLSX questionnaire cells holding dates,
    formulas without a saved result or error values, are refused.  (``_damage``:
    :func:`unreadable_rows` when the caller has it already, as validation does.)"""
    frame = raw.frame
    hmap = map_headers(list(frame.columns), questionnaire, labels=raw.column_labels)
    refuse_ambiguous_headings(hmap, raw.provenance.path)
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
    path = raw.provenance.path
    refuse_problem_cells(raw, hmap)
    refuse_label_disagreements(raw, hmap, questionnaire)
    with remembered_factorizations(raw.frame):
        return _normalise(raw, questionnaire, hmap, path, exclude_undecodable, _damage)


def _normalise(raw, questionnaire, hmap, path, exclude_undecodable, _damage) -> Dataset:
    """:func:`normalise` once the headings are known to match."""
    rid = questionnaire.respondent_id
    damage = unreadable_rows(raw, hmap, questionnaire) if _damage is None else _damage
    refuse_file_level(damage, path)
    if not exclude_undecodable:
        refuse_unreadable(damage, path)
    frame, recoded = apply_user_missing(raw, hmap, questionnaire)
    rows = frame.index.to_numpy()
    ids = clean_column(frame[hmap.columns[rid]]).to_numpy(dtype=object)
    damaged = damage.dropna(subset=["row"]).drop_duplicates("row")
    if len(damaged):  # excluded rows are read as blank: nothing of them is cleaned, padded or logged
        others = [c for c in frame.columns if c != hmap.columns[rid]]
        frame = frame.copy()
        frame.loc[frame.index.isin(damaged["row"].astype(int)), others] = None
    changes = _Changes()
    for where, column, before, after in recoded:
        at = frame.index.get_indexer(where)
        changes.add(where, ids[at], column, before, [after] * len(where), "sav_user_missing")
    data: dict[str, np.ndarray] = {}
    reasons: dict[str, np.ndarray] = {}
    for q in questionnaire.questions:
        _normalise_question(q, frame, hmap, rows, ids, data, reasons, changes)
    _apply_skip_logic(questionnaire, rows, ids, data, reasons, changes)
    exclusions = _exclusions(reasons, rows, ids, dict(zip(damaged["row"].astype(int), damaged["reason"])))
    keep = ~frame.index.isin(exclusions["row"])
    index = frame.index[keep]
    dtypes = column_dtypes(questionnaire)
    tidy = {rid: ids[keep]}
    for col in list(data):      # column by column, each full-length array freed once compacted
        tidy[col] = compact_column(col, data.pop(col)[keep], dtypes[col])
    tidy = pd.DataFrame(tidy, index=index)
    why = pd.DataFrame({col: pd.Categorical.from_codes(codes[keep], categories=MISSING_REASONS)
                        for col, codes in reasons.items()}, index=index)
    hidden = np.array([r for r, _ in raw.hidden_rows], dtype=np.int64)
    hidden = hidden[np.isin(hidden, rows[keep])]
    at = frame.index.get_indexer(hidden)
    ledger = Ledger(
        rows_read=raw.rows_read,
        rows_kept=int(keep.sum()),
        exclusions=exclusions,
        changes=changes.frame(),
        notes=_typed_frame({"row": hidden.astype(object), "respondent_id": ids[at],
                            "note": np.full(len(hidden), "hidden_row", dtype=object)}) if len(hidden)
        else _no_notes(),
    )
    if ledger.rows_read != ledger.rows_kept + ledger.rows_excluded:
        raise SurveyError(
            f"internal check failed: rows read {ledger.rows_read} != kept {ledger.rows_kept} + "
            f"excluded {ledger.rows_excluded}; please report this with the input file"
        )
    return Dataset(
        data=tidy, missing_reasons=why, questionnaire=questionnaire,
        provenance=raw.provenance, ledger=ledger,
    )


def refuse_ambiguous_headings(hmap: HeaderMap, path) -> None:
    """D21: a questionnaire column claimed by two raw columns (or a raw column by two
    questionnaire columns) is refused: picking one would be a guess."""
    if not hmap.ambiguous:
        return
    col, raws = hmap.ambiguous[0]
    if len(raws) > 1:
        shown = " and ".join(repr(r) for r in raws)
        raise InputError(f"columns {shown} both match questionnaire column {col} (by heading, by id or by "
                         "variable label); keep the one that holds the answers and delete or rename the other",
                         path=path)
    others = [c for c, r in hmap.ambiguous if r == raws and c != col]
    raise InputError(f"column {raws[0]!r} matches several questionnaire columns ({', '.join([col] + others)}); "
                     "give each question its own heading in the file and in the questionnaire", path=path)


def _exclusions(reasons: dict, rows, ids, damaged: dict) -> pd.DataFrame:
    """Rows left out, each once: unreadable rows (``damaged``: {row: reason}) first, then
    blank returns, rows without an id and repeats of an id among the usable returns
    (``reasons``: the question columns' reason codes, :mod:`survey.intake.cleaners`)."""
    unreadable = np.isin(rows, list(damaged))
    # dummies of an unanswered multi question are NaN with reason blank; a 0 is an answer
    all_blank = ~unreadable
    for codes in reasons.values():
        all_blank &= (codes == WHY_BLANK) | (codes == WHY_NOT_APPLICABLE)
    no_id = ~_present(ids)
    # duplicates among real returns only: a blank return (or an unreadable row) sharing an id
    # must not push the real return out
    candidates = ~no_id & ~all_blank & ~unreadable
    dup = np.zeros(len(ids), dtype=bool)
    dup[candidates] = pd.Series(ids[candidates]).duplicated(keep="first").to_numpy()
    parts = [(unreadable & np.isin(rows, [r for r, why in damaged.items() if why == reason]), reason)
             for reason in UNREADABLE_REASONS]
    parts += [(all_blank, "blank_return"), (no_id & ~all_blank & ~unreadable, "missing_respondent_id"),
              (dup, "duplicate_respondent_id")]
    if not any(mask.any() for mask, _ in parts):
        return pd.DataFrame([], columns=["row", "respondent_id", "reason"])
    frame = _typed_frame({
        "row": np.concatenate([rows[mask] for mask, _ in parts]).astype(np.int64).astype(object),
        "respondent_id": np.concatenate([ids[mask] for mask, _ in parts]),
        "reason": np.concatenate([np.full(int(mask.sum()), reason, dtype=object) for mask, reason in parts]),
    })
    return frame.sort_values("row", kind="stable").reset_index(drop=True)
