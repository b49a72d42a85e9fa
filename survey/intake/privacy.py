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
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from survey.errors import InputError

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

#: Kinds of personal data, in the order they are searched (earlier kinds win overlaps).
PERSONAL_DATA_KINDS = ("email", "account", "postal", "phone", "address", "name")
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

# --------------------------------------------------------------- the shadow text
_HYPHENS = "-‐‑‒–—―−－ーｰ─━﹣"
_SHADOW = {ord(c): "-" for c in _HYPHENS}
_SHADOW.update({0xFF01 + i: chr(0x21 + i) for i in range(0x5E) if chr(0xFF01 + i) not in _HYPHENS})
_SHADOW.update({ord(c): str(i) for i, c in enumerate("〇一二三四五六七八九")})
_SHADOW.update({0x3000: " ", ord("\t"): " ", ord("\n"): " ", ord("\r"): " ", ord("＠"): "@"})


def _shadow(text: str) -> str:
    """Same length as ``text``: digits, hyphens, letters and spaces in ASCII."""
    return text.translate(_SHADOW)


# Characters of the scripts (original text).
_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ"
_KATA = "\u30a1-\u30fa\u30fc\uff66-\uff9f"
_HIRA = "\u3041-\u3096"
_IS_KANJI = re.compile(f"[{_KANJI}]")
_IS_KATA = re.compile(f"[{_KATA}]")
_IS_HIRA = re.compile(f"[{_HIRA}]")

# Units after a number: such numbers are amounts, counts or dates, not phones or addresses.
_UNITS = "円年月日人名回件本個歳才時分秒度倍点台枚坪階万千億%℃mkgKGcCLl"

_AT = r"(?:@|\(\s?at\s?\)|\[\s?at\s?\]|アットマ-ク|あっとま-く)"
_DOT = r"(?:\.|。|\(\s?dot\s?\)|\[\s?dot\s?\]|ドット)"
_EMAIL = re.compile(
    rf"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9](?:[A-Za-z0-9._%+\-]|{_DOT})*\s?{_AT}\s?"
    rf"[A-Za-z0-9\-]+(?:\s?{_DOT}\s?[A-Za-z0-9\-]+)+", re.IGNORECASE)
_ACCOUNT = re.compile(r"(?<![A-Za-z0-9._%+\-])@[A-Za-z0-9_]{2,30}")
_POSTAL = re.compile(r"(?:〒|郵便番号\s?:?\s?)\s?(\d{3}\s?-?\s?\d{4})(?!\d)")
# between the groups of a phone number: a hyphen, dot, slash, middle dot or wave dash, with up
# to two spaces around it, or one or two spaces alone
_SEP = r"(?:\s{0,2}[\-./・･〜~]\s{0,2}|\s{1,2})"
_PHONE = re.compile(
    rf"(?<![\d\-+.,/])(?:\+\s?81{_SEP}?(?:\(0\){_SEP}?)?|\(?(?=0))"
    rf"\d{{1,5}}\)?(?:{_SEP}?\(?\d{{1,4}}\)?){{0,2}}{_SEP}?\d{{3,4}}(?![\d])")
_SHORT = re.compile(rf"(?<![\d\-.,])\d{{3}}-\d{{4}}(?![\d]|-\d|\s?[{_UNITS}])")
_PLACE_AFTER = re.compile(r"\s?(?:\S{0,3}[都道府県]|\S{1,5}?[市区町村])")
_ADDRESS = re.compile(
    r"\d{1,3}\s?丁目(?:\s?\d{1,5}\s?(?:番地の|番地|番|号|-|の)?){0,3}"
    r"|\d{1,5}\s?番地(?:\s?の?\s?\d{1,5}\s?号?(?:室)?)?"
    r"|\d{1,5}\s?番\s?\d{1,5}\s?号(?:室)?"
    r"|\d{1,5}\s?号[室棟]"
    rf"|(?<=[{_KANJI}{_KATA}])\d{{1,4}}-\d{{1,4}}(?:-\d{{1,5}})?(?![\d]|\s?[{_UNITS}])"
)
_NOT_PLACE_BEFORE = set("問第約計各全vV")
_STOP_PLACE = set("市区郡県都府")

_HONORIFIC = re.compile(r"様|さま|さん|氏|君|くん|ちゃん")
# Next characters that show the honorific is part of another word.
_FORBIDDEN_NEXT = {
    "様": set("々子式相態変性"), "さま": set("ざさよ々"), "氏": set("名族神"),
    "君": set("主臨"), "くん": set("せれ"), "ちゃん": set(),
    "さん": set("ぽせごぷぱぶざぜじずくそ"),
}
# Runs (whole) that are not names before an honorific …
_NOT_NAMES_WHOLE = set("皆奥客孫嫁婿娘父母兄姉弟妹爺婆神仏王姫若殿同多模仕異一有左彼貴諸暴主名両各某源平御方赤犬猫")
# Last characters of kanji runs (two or more) that are organisations, not people.
_NOT_NAME_ENDINGS = set("会店課局署校社")
# … and endings (two characters or more) that are not names either.
_NOT_NAMES = (
    "皆々", "息子", "旦那", "主人", "子供", "職員", "業者", "大家", "管理人", "近所", "店員", "市長",
    "議員", "先生", "医者", "学生", "住民", "役所", "農家", "作業員", "清掃員", "警備員", "係員",
    "担当者", "担当", "地主", "大工", "植木屋", "庭師", "患者", "利用者", "高齢者", "方々", "お客",
    "ワン", "ネコ", "ボランティア", "スタッフ", "ママ", "パパ",
    "たく", "みな", "みんな", "おじ", "おば", "おじい", "おばあ", "おかあ", "おとう", "おにい", "おねえ",
    "かあ", "とう", "ばあ", "じい", "ねえ", "にい", "あか", "おく", "おこ", "おまわり", "おひさ",
)


@dataclass(frozen=True)
class PersonalData:
    """One finding: its kind, where it is in the text (``start``, ``end``) and the text."""

    kind: str
    start: int
    end: int
    text: str


def _free(taken: np.ndarray, start: int, end: int) -> bool:
    return not taken[start:end].any()


def _place_start(text: str, start: int, taken: np.ndarray, limit: int = 10) -> int:
    """Extend an address to the left over the place name (kanji, katakana),
    stopping at 市・区・郡・県・都・府, a masked span or another script."""
    i = start
    while i > 0 and start - i < limit:
        ch = text[i - 1]
        if ch in _STOP_PLACE or taken[i - 1] or not (_IS_KANJI.match(ch) or _IS_KATA.match(ch)):
            break
        i -= 1
    return i


def _name_span(text: str, hon_start: int, hon: str) -> tuple[int, int] | None:
    """The name before an honorific at ``hon_start``, or ``None`` if it is not a name."""
    end = hon_start
    if end == 0:
        return None
    nxt = text[end + len(hon): end + len(hon) + 2]
    if nxt[:1] and nxt[:1] in _FORBIDDEN_NEXT[hon]:
        return None
    if hon == "さん" and nxt[:1] in ("か", "ま") and nxt not in ("から", "まで"):
        return None
    last = text[end - 1]
    i = end
    if _IS_KANJI.match(last):
        while i > 0 and end - i < 6 and _IS_KANJI.match(text[i - 1]):
            i -= 1
        if (i >= 2 and end - i <= 4 and text[i - 1] in " 　" and _IS_KANJI.match(text[i - 2])):
            j = i - 1
            while j > 0 and (i - 1) - j < 4 and _IS_KANJI.match(text[j - 1]):
                j -= 1
            i = j
        script = "kanji"
    elif _IS_KATA.match(last):
        while i > 0 and end - i < 10 and (_IS_KATA.match(text[i - 1]) or text[i - 1] == "・"):
            i -= 1
        script = "kata"
    elif _IS_HIRA.match(last):
        while i > 0 and end - i < 4 and _IS_HIRA.match(text[i - 1]):
            i -= 1
        if i > 0 and (_IS_KANJI.match(text[i - 1]) or _IS_KATA.match(text[i - 1]) or _IS_HIRA.match(text[i - 1])):
            return None   # okurigana or a particle: a word ending, not a name
        script = "hira"
    else:
        return None
    run = text[i:end]
    if hon == "ちゃん" and nxt[:1] == "と" and run.endswith("っと"):
        return None       # もっとちゃんと: the adverb ちゃんと
    if script == "kanji" and len(run) >= 2 and run[-1] in _NOT_NAME_ENDINGS:
        return None       # 自治会さん, 販売店さん
    if i > 0 and text[i - 1] in "おご御" and script != "hira":
        return None       # お客様, お子さん, ご主人様, 御嬢様
    if run in _NOT_NAMES_WHOLE or any(run.endswith(w) for w in _NOT_NAMES):
        return None
    return i, end


def _phone_end(candidate: str) -> int | None:
    """End (in ``candidate``) of the longest run of its digit groups that is a
    phone number: 10 or 11 digits starting with 0 (+81 replaces the 0).  A
    match may run on into a following number (``090-0000-1234 / 090-…``);
    the number ends at a group boundary."""
    intl = candidate.startswith("+")
    digits, end = "", None
    for run in re.finditer(r"\d+", candidate):
        digits += run.group()
        number = (digits[2:] if digits[2:3] == "0" else "0" + digits[2:]) if intl else digits
        if number.startswith("0") and len(number) in (10, 11):
            end = run.end() + (1 if candidate[run.end():run.end() + 1] == ")" else 0)
    return end


def find_personal_data(text: str) -> list[PersonalData]:
    """Every piece of personal data in ``text``, in order of position.

    See the module documentation for the rules.  Overlaps are resolved in
    the order of :data:`PERSONAL_DATA_KINDS` (an e-mail address is never
    also a phone number).

    >>> [(p.kind, p.text) for p in find_personal_data("連絡先 ０９０－１２３４－５６７８ 山田様")]
    [('phone', '０９０－１２３４－５６７８'), ('name', '山田')]
    """
    if not isinstance(text, str):
        raise InputError(f"find_personal_data expects a string; got {type(text).__name__}. "
                         "Use mask_series for a column with missing values.")
    shadow = _shadow(text)
    taken = np.zeros(len(text) + 1, dtype=bool)
    found: list[PersonalData] = []

    def take(kind, start, end):
        if start < end and _free(taken, start, end):
            taken[start:end] = True
            found.append(PersonalData(kind, start, end, text[start:end]))

    for m in _EMAIL.finditer(shadow):
        take("email", m.start(), m.end())
    for m in _ACCOUNT.finditer(shadow):
        take("account", m.start(), m.end())
    for m in _POSTAL.finditer(shadow):
        take("postal", m.start() if shadow[m.start()] == "〒" else m.start(1), m.end(1))
    pos = 0
    while (m := _PHONE.search(shadow, pos)) is not None:
        end = _phone_end(m.group())
        if end is not None:
            take("phone", m.start(), m.start() + end)
        pos = m.start() + end if end else m.end()
    for m in _SHORT.finditer(shadow):
        kind = "postal" if _PLACE_AFTER.match(shadow, m.end()) else "phone"
        take(kind, m.start(), m.end())
    for m in _ADDRESS.finditer(shadow):
        start, end = m.start(), m.end()
        while end > start and shadow[end - 1] in " -の":
            end -= 1
        if start > 0 and shadow[start - 1] in _NOT_PLACE_BEFORE:
            continue
        if _free(taken, start, end):
            take("address", _place_start(text, start, taken), end)
    for m in _HONORIFIC.finditer(text):
        span = _name_span(text, m.start(), m.group())
        if span is not None:
            take("name", *span)
    return sorted(found, key=lambda p: p.start)


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
