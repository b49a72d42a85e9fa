"""File- and row-level checks: columns, respondent IDs, blank
returns, skip logic (非該当), blanks (未記入) and declared contradictions
(論理矛盾).  They run after the cell-level checks of
:mod:`survey.intake.checks`, on the values those left in the context."""
from __future__ import annotations


import numpy as np
import pandas as pd

from survey.intake.checks import Context
from survey.intake.findings import describe_condition, no_answer_fix
from survey.intake.ledger import Ledger
from survey.intake.privacy import PERSONAL_DATA_LABELS_JA, mask_personal_data
from survey.intake.rules import Rule
from survey.intake.skip_logic import condition_mask

__all__ = [
    "check_columns",
    "check_contradictions",
    "check_ids",
    "check_personal_info",
    "check_skips_and_blanks",
]

_KIND_EN = {"email": "an e-mail address", "account": "an SNS account", "postal": "a postal code",
            "phone": "a phone number", "address": "a street address", "name": "a personal name"}


def check_columns(ctx: Context) -> None:
    """Missing questionnaire columns (error) and unknown columns (warning)."""
    q = ctx.questionnaire
    slot_groups = {x.id: [f"{x.id}#slot{k}" for k in range(1, len(x.raw_headers) + 1)]
                   for x in q.by_type("multi") if x.form == "slots"}
    for key in ctx.hmap.missing:
        if "#slot" in key:
            qid = key.split("#slot")[0]
            if key != slot_groups[qid][0] or not all(k in ctx.absent for k in slot_groups[qid]):
                continue  # numbered slots beyond those used may be left out
        header = q.respondent_id_header if key == q.respondent_id else ctx.expected.get(key, key)
        ctx.out.add(Rule.MISSING_COLUMN, None, column=header, column_id=key)
    for header in ctx.hmap.unknown:
        ctx.out.add(Rule.UNKNOWN_COLUMN, None, column=header)


def check_ids(ctx: Context, ledger: Ledger, ids: np.ndarray) -> None:
    """Blank and repeated IDs and blank returns, exactly as the ledger excludes them."""
    q = ctx.questionnaire
    ex = ledger.exclusions
    header = ctx.header(q.respondent_id) if q.respondent_id not in ctx.absent else q.respondent_id_header
    if q.respondent_id not in ctx.absent:
        miss = ex.loc[ex["reason"] == "missing_respondent_id", "row"].to_numpy(dtype=np.int64)
        ctx.out.add(Rule.MISSING_ID, miss, column=header, column_id=q.respondent_id)
    # every row of a repeated ID (the ledger keeps the first and excludes the others)
    blank_rows = ex.loc[ex["reason"] == "blank_return", "row"].to_numpy(dtype=np.int64)
    usable = pd.Series(ids, dtype=object).where(~np.isin(ctx.rows, blank_rows))
    repeated = usable.notna().to_numpy() & usable.duplicated(keep=False).to_numpy()
    if repeated.any():
        groups = pd.Series(ctx.rows[repeated]).groupby(usable[repeated].to_numpy()).agg(list)
        where = pd.Series(usable[repeated].to_numpy()).map(groups)
        ctx.out.add(Rule.DUPLICATE_ID, ctx.rows[repeated], column=header, column_id=q.respondent_id,
                    value=ctx.series(q.respondent_id).to_numpy(dtype=object)[repeated],
                    rows_ja=["、".join(f"{r}行目" for r in g) for g in where],
                    rows_en=["rows " + ", ".join(str(r) for r in g) for g in where])
    blank = ex.loc[ex["reason"] == "blank_return", "row"].to_numpy(dtype=np.int64)
    ctx.out.add(Rule.BLANK_RETURN, blank)


def check_skips_and_blanks(ctx: Context, blank_rows: np.ndarray) -> None:
    """Skip logic in questionnaire order, as normalisation applies it: answers
    to a question not asked (warning), blanks where it is asked (warning),
    blanks in required unconditional questions (未記入, warning).  Answers
    to questions not asked are cleared before later conditions are tested."""
    q = ctx.questionnaire
    considered = ~blank_rows
    for question in q.questions:
        fix_ja, fix_en = no_answer_fix(question)
        units = [u for u in ctx.units[question.id] if not any(c in ctx.absent for c in u.columns)]
        if not question.asked_if:
            if question.required:
                for u in units:
                    hit = u.blank & considered
                    ctx.out.add(Rule.REQUIRED_BLANK, ctx.rows[hit], column=u.header, column_id=u.column_id,
                                fix_ja=fix_ja, fix_en=fix_en)
            continue
        if any(c.column in ctx.absent for c in question.asked_if):
            continue
        asked = condition_mask(question.asked_if, ctx.data)
        cond_ja, cond_en = describe_condition(q, question.asked_if)
        for u in units:
            wrong = u.answered & ~asked
            ctx.out.add(Rule.ANSWERED_WHEN_SKIPPED, ctx.rows[wrong], column=u.header, column_id=u.column_id,
                        value=u.value_of(wrong) if wrong.any() else [], condition=cond_ja, condition_en=cond_en)
            if question.required:
                hit = u.blank & asked & considered
                ctx.out.add(Rule.BLANK_WHEN_ASKED, ctx.rows[hit], column=u.header, column_id=u.column_id,
                            condition=cond_ja, condition_en=cond_en, fix_ja=fix_ja, fix_en=fix_en)
        for col in question.columns:
            values = ctx.data[col]
            if values.dtype == object:
                ctx.data[col] = np.where(asked, values, None)
            else:
                ctx.data[col] = np.where(asked, values, np.nan)


def check_contradictions(ctx: Context) -> None:
    """The questionnaire's declared contradictions, on the cleaned values."""
    q = ctx.questionnaire
    for c in q.contradictions:
        if any(cond.column in ctx.absent for cond in c.when):
            continue
        hit = condition_mask(c.when, ctx.data)
        if not hit.any():
            continue
        cols = list(dict.fromkeys(cond.column for cond in c.when))
        shown = [" / ".join(_cell_text(ctx, col, i) for col in cols) for i in np.flatnonzero(hit)]
        ctx.out.add(Rule.CONTRADICTION, ctx.rows[hit], column=" / ".join(ctx.header(col) for col in cols),
                    column_id=" / ".join(cols), value=shown, contradiction=c.id,
                    text_ja=c.message_ja or c.id, text_en=c.message_en or c.id)


def _cell_text(ctx: Context, col: str, i: int) -> str:
    """The cell as read; for columns with no raw cell of their own (multi
    slots) the parsed 0/1 value."""
    if col in ctx.parsed:
        v = ctx.parsed[col].raw[i]
        return "" if v is None else str(v)
    v = ctx.data[col][i]
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:g}"


def check_personal_info(ctx: Context) -> None:
    """Personal data in free-text answers (warning), found by the same rules
    that mask it for reports (:mod:`survey.intake.privacy`); the value shown
    is the masked text, so the finding itself leaks nothing."""
    for question in ctx.questionnaire.by_type("text"):
        if question.id in ctx.absent:
            continue
        series = ctx.series(question.id)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        masked = [mask_personal_data(str(u)) for u in uniques] + [("", ())]
        found = np.array([bool(kinds) for _text, kinds in masked])[codes]
        if not found.any():
            continue
        picked = [masked[c] for c in codes[found]]
        ja = ["・".join(PERSONAL_DATA_LABELS_JA[k] for k in kinds) for _text, kinds in picked]
        en = [", ".join(_KIND_EN[k] for k in kinds) for _text, kinds in picked]
        ctx.out.add(Rule.PERSONAL_INFO, ctx.rows[found], column=ctx.header(question.id), column_id=question.id,
                    value=np.array([text for text, _kinds in picked], dtype=object),
                    kind_ja=np.array(ja, dtype=object), kind_en=np.array(en, dtype=object))
