"""Personal data in free-text answers: find it and mask it before anything is shown.

Free-text answers (自由記述) are screened once, in the intake layer, so every
later step (word counts, quotes in ``report.html``, the workbook) only ever
sees masked text.  Each finding is replaced by a fixed token:

============  ==================  ===============================================
kind          token               what is masked
============  ==================  ===============================================
``email``     ＜メール＞          ``local@domain.tld``; ``＠``, ``(at)``, ``[at]``, アットマーク
                                  for the at sign, ``。``, ``(dot)``, ``[dot]``, ドット for a dot
``account``   ＜アカウント＞      SNS handles ``@name`` (2–30 letters, digits, ``_``)
``postal``    ＜郵便番号＞        ``〒351-0011``, ``〒3510011``, ``郵便番号 351-0011``; a bare
                                  ``NNN-NNNN`` followed by a prefecture or city name
``phone``     ＜電話番号＞        10 or 11 digits starting with 0 (or +81), with or without
                                  separators -- hyphens, ``. / ・ 〜``, spaces, any of
                                  them with spaces around (``090 - 1234 - 5678``) -- or
                                  brackets (``048(463)1111``); a bare ``NNN-NNNN`` not
                                  followed by a unit (a local number)
``address``   ＜住所＞            ``…丁目``, ``…番地``, ``…番…号``, ``…号室``/``号棟`` and
                                  ``町名1-2-3`` (numbers joined by hyphens right after a
                                  place name), with the place name before them back to
                                  (not including) 市・区・郡・県・都・府
``name``      ＜氏名＞            the run of kanji (1–6, one inner space allowed, as in
                                  ``山田 太郎``), katakana (1–10) or hiragana (1–4) before
                                  様・さま・さん・氏・君・くん・ちゃん
============  ==================  ===============================================

Digits may be ASCII, full-width (０-９) or kanji (〇一二…九); hyphens may be any
of ``-‐‑‒–—―−－ーｰ─━``; letters may be full-width.  Matching runs on a
*shadow* of the text in which each of these characters is replaced one for
one by its ASCII form, so the positions found are those of the original text
and everything that is not masked is returned unchanged.

The rules prefer false positives to leaks: a masked ``問8-1`` or ``本町2丁目``
costs little, a printed phone number costs a lot.  Not masked, so that the
text stays readable: years (``2025年``), yen amounts (``1,000円``), ranges
with a unit (``100-1000円``, ``2-3回``), dates (``2025-07-01``), road numbers
(``国道254号``), and the usual words before honorifics (皆さん, お客様, 同様,
多様, たくさん, 職員さん, 業者さん …, see ``_NOT_NAMES``).

Known limits (read the masked quotes before publishing a report):

* names without an honorific (``山田に連絡を``), names followed by 先生 or by a
  title (``山田課長``), and names in hiragana written after other hiragana
  (``ともだちのゆいちゃん`` keeps ``ゆい`` hidden only when it starts a phrase);
* phone numbers written in words, with fewer than 10 digits other than the
  ``NNN-NNNN`` local form (``63-1111``), or split over several sentences;
* addresses without numbers (``本町の山田さん宅`` masks only the name), and
  numbers after a place name in hiragana;
* masking is per cell: several answers that together identify a person
  (district + age + a unique story) are not detected.

``mask_personal_data`` is idempotent: masking masked text changes nothing.

Personal data typed into a *coded* cell (a phone number where the age
belongs) is cleaned away by normalisation, but its value before cleaning is
kept in the ledger; :func:`mask_text_columns` masks those before-values too
(:func:`mask_changes`), so 修正セル.csv never shows it verbatim.
"""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.intake.personal_data import PERSONAL_DATA_KINDS, PersonalData, find_personal_data

__all__ = [
    "MASK_TOKENS",
    "PERSONAL_DATA_KINDS",
    "PERSONAL_DATA_LABELS_JA",
    "RULE_MASKED",
    "PersonalData",
    "find_personal_data",
    "mask_changes",
    "mask_personal_data",
    "mask_series",
    "mask_text_columns",
    "masked_counts",
]

MASK_TOKENS = {
    "email": "＜メール＞", "account": "＜アカウント＞", "postal": "＜郵便番号＞",
    "phone": "＜電話番号＞", "address": "＜住所＞", "name": "＜氏名＞",
}
PERSONAL_DATA_LABELS_JA = {
    "email": "メールアドレス", "account": "SNSアカウント", "postal": "郵便番号",
    "phone": "電話番号", "address": "住所", "name": "氏名",
}
#: Ledger rule of a masked cell (``Dataset.ledger.changes``).
RULE_MASKED = "personal_data_masked"

def mask_personal_data(text: str) -> tuple[str, tuple[str, ...]]:
    """Mask personal data in one answer.

    Returns the masked text and the kinds found (in the order of
    :data:`PERSONAL_DATA_KINDS`, each once).

    >>> mask_personal_data("〒351-0011 朝霞市本町1-2-3 山田太郎さん TEL 048(463)1111")
    ('＜郵便番号＞ 朝霞市＜住所＞ ＜氏名＞さん TEL ＜電話番号＞', ('postal', 'phone', 'address', 'name'))
    >>> mask_personal_data("2025年に1,000円の寄付をしました。")
    ('2025年に1,000円の寄付をしました。', ())
    """
    found = find_personal_data(text)
    if not found:
        return text, ()
    parts, pos = [], 0
    for p in found:
        parts.append(text[pos:p.start])
        parts.append(MASK_TOKENS[p.kind])
        pos = p.end
    parts.append(text[pos:])
    kinds = {p.kind for p in found}
    return "".join(parts), tuple(k for k in PERSONAL_DATA_KINDS if k in kinds)


def mask_series(series: pd.Series, *, with_kinds: bool = False):
    """Mask every answer of a text column; missing values stay missing.

    Each distinct answer is screened once.  With ``with_kinds=True`` also
    returns a Series of the kinds found per row (``()`` when none or missing).
    """
    if not isinstance(series, pd.Series):
        raise InputError(f"mask_series expects a pandas Series; got {type(series).__name__}. "
                         "Wrap a list with pd.Series(...) first.")
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    masked_u, kinds_u = [], []
    for value in uniques:
        if not isinstance(value, str):
            value = str(value)
        masked, kinds = mask_personal_data(value)
        masked_u.append(masked)
        kinds_u.append(kinds)
    values = series.to_numpy(dtype=object, copy=True)
    kinds_out = np.empty(len(series), dtype=object)
    kinds_out[:] = [()] * len(series)
    present = codes >= 0
    if present.any():
        values[present] = np.asarray(masked_u, dtype=object)[codes[present]]
        table = np.empty(len(kinds_u), dtype=object)
        table[:] = kinds_u
        kinds_out[present] = table[codes[present]]
    masked = pd.Series(values, index=series.index, name=series.name, dtype=object)
    if with_kinds:
        return masked, pd.Series(kinds_out, index=series.index, name=series.name, dtype=object)
    return masked


def mask_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """The ledger's changed cells with personal data masked in their
    ``before`` and ``after`` values (e.g. a phone number typed into a coded
    cell: ``090-1234-5678`` -> ``＜電話番号＞``); other values unchanged."""
    out = changes
    for col in ("before", "after"):
        if col not in changes.columns or not len(changes):
            continue
        values = changes[col]
        text = values.map(lambda v: isinstance(v, str))
        if not text.any():
            continue
        masked = mask_series(values[text].astype(object))
        if (masked != values[text]).any():
            if out is changes:
                out = changes.copy()
            column = out[col].astype(object)
            column[text] = masked
            out[col] = column
    return out


def mask_text_columns(dataset, questionnaire=None):
    """The dataset with every free-text (``type: text``) column masked.

    Every masked cell is added to the ledger (rule ``personal_data_masked``):
    *before* names only the kinds found (``（個人情報：電話番号）``), never
    the original text; *after* is the masked answer.  The ledger's other
    changes are masked too (:func:`mask_changes`: personal data typed into a
    coded cell).

    Parameters
    ----------
    dataset : survey.intake.Dataset
    questionnaire : survey.questionnaire.Questionnaire, optional
        Defaults to ``dataset.questionnaire``.
    """
    questionnaire = questionnaire if questionnaire is not None else dataset.questionnaire
    data = dataset.data.copy()
    rid = questionnaire.respondent_id
    rows = []
    for q in questionnaire.by_type("text"):
        if q.id not in data.columns:
            raise InputError(f"text question {q.id!r} is not a column of the dataset "
                             f"(columns: {list(data.columns)[:10]} ...); pass the dataset "
                             "normalised with this questionnaire")
        masked, kinds = mask_series(data[q.id], with_kinds=True)
        data[q.id] = masked
        hit = np.flatnonzero([len(k) > 0 for k in kinds])
        ids = data[rid].to_numpy(dtype=object) if rid in data.columns else np.full(len(data), None)
        for i in hit:
            label = "・".join(PERSONAL_DATA_LABELS_JA[k] for k in kinds.iloc[i])
            rows.append((int(data.index[i]), ids[i], q.id, f"（個人情報：{label}）", masked.iloc[i], RULE_MASKED))
    old = mask_changes(dataset.ledger.changes)
    if not rows:
        if old is dataset.ledger.changes:
            return replace(dataset, data=data)
        return replace(dataset, data=data, ledger=replace(dataset.ledger, changes=old))
    new = pd.DataFrame(rows, columns=["row", "respondent_id", "column", "before", "after", "rule"])
    changes = pd.concat([old, new], ignore_index=True) if len(old) else new
    return replace(dataset, data=data, ledger=replace(dataset.ledger, changes=changes))


_LABEL_KINDS = {label: kind for kind, label in PERSONAL_DATA_LABELS_JA.items()}
_LEDGER_BEFORE = re.compile(r"^（個人情報：(.+)）$")


def masked_counts(changes: pd.DataFrame, column: str, *, rows=None) -> pd.DataFrame:
    """How many answers of ``column`` were masked, per kind, as the ledger records it.

    Masking happens once, in :func:`mask_text_columns`, which logs every
    masked cell (rule :data:`RULE_MASKED`, *before* naming the kinds found);
    this reads those rows back, so a report counts each masked answer
    exactly once, where it was masked.

    Parameters
    ----------
    changes : pandas.DataFrame
        ``Dataset.ledger.changes``.
    column : str
        The text column.
    rows : array-like, optional
        Count only these ledger rows (e.g. the respondents of a design).

    Returns
    -------
    pandas.DataFrame
        ``kind, label, answers`` for every kind of :data:`PERSONAL_DATA_KINDS`
        (an answer holding two kinds counts under both).
    """
    hits = changes[(changes["rule"] == RULE_MASKED) & (changes["column"] == column)] if len(changes) else changes
    if rows is not None and len(hits):
        hits = hits[np.isin(hits["row"].to_numpy(dtype=np.int64), np.asarray(rows, dtype=np.int64))]
    counts = dict.fromkeys(PERSONAL_DATA_KINDS, 0)
    for before in (hits["before"] if len(hits) else ()):
        m = _LEDGER_BEFORE.match(str(before))
        if m is None:
            raise InputError(f"the ledger's masked cell holds {before!r}, not the kinds mask_text_columns "
                             "writes; pass the ledger of survey.load + mask_text_columns")
        for label in m.group(1).split("・"):
            counts[_LABEL_KINDS[label]] += 1
    return pd.DataFrame({"kind": list(PERSONAL_DATA_KINDS),
                         "label": [PERSONAL_DATA_LABELS_JA[k] for k in PERSONAL_DATA_KINDS],
                         "answers": [counts[k] for k in PERSONAL_DATA_KINDS]})
