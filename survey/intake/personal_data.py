"""Finding personal data in free text: e-mail addresses, SNS accounts, postal codes,
phone numbers, addresses and names (with an honorific), as character spans.

The search runs on a "shadow" of the text (every kind of hyphen made ``-``,
same length, so spans map back); which kinds are searched, in which order, and
what counts as each is documented in :mod:`survey.intake.privacy`, which masks
what is found here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from survey.errors import InputError

__all__ = ["PERSONAL_DATA_KINDS", "PersonalData", "find_personal_data"]

#: Kinds of personal data, in the order they are searched (earlier kinds win overlaps).
PERSONAL_DATA_KINDS = ("email", "account", "postal", "phone", "address", "name")

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
