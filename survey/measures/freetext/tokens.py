"""Words of Japanese free-text answers: janome with an Asaka user dictionary.

Tokenising (形態素解析) uses janome, a pure-Python tokeniser that ships the
IPADIC dictionary, plus a user dictionary of local place and facility names
(``questionnaires/asaka_userdict.csv``) so that 内間木, 黒目川, 基地跡地 or
朝霞の森 stay one word instead of being split (内 + 間木).

Which words are kept (documented filter, applied to janome's IPADIC tags):

* nouns (名詞) except 非自立 (こと, よう), 数 (numbers), 代名詞 (これ, 私),
  接尾 (suffixes: さん, 的, 川 when split off), 副詞可能 (今後, 最近, 毎日),
  特殊 and other function-like nouns;
* verbs (動詞) and adjectives (形容詞) that are 自立 (independent), in their
  base form (歩き → 歩く, 少なく → 少ない); 非自立 and 接尾 forms (いる,
  しまう, ほしい, やすい, れる) are dropped;
* then: words in :data:`STOP_WORDS` (する, ある, 思う, お願い, 特に …),
  words without a letter (①, ―), and single kana are dropped.

Words are NFKC-normalised and lower-cased.  Mask tokens left by
:mod:`survey.intake.privacy` (＜電話番号＞ …) are removed before tokenising,
so masked personal data never becomes a word.

The tokenizer is built once per user dictionary (a module-level cache; about
0.5 s the first time) and nothing is built at import.
"""
from __future__ import annotations

import csv
import functools
import math
import re
import tempfile
import unicodedata
from pathlib import Path

import pandas as pd

from survey.errors import SpecError
from survey.intake.privacy import MASK_TOKENS

__all__ = [
    "DROP_NOUN_TYPES",
    "STOP_WORDS",
    "USERDICT_KINDS",
    "read_userdict",
    "tokenize",
    "tokenize_series",
    "tokenizer",
]

#: User-dictionary kinds → (IPADIC context id, part of speech).
USERDICT_KINDS = {
    "place": (1293, "名詞,固有名詞,地域,一般"),
    "facility": (1288, "名詞,固有名詞,一般,*"),
    "term": (1285, "名詞,一般,*,*"),
}
# Word cost of a user entry: 3000 − 2000 × its length.  IPADIC nouns cost
# about 3000–9000, so the whole name beats any split of it, and a longer
# entry beats a shorter one inside it (朝霞台駅 over 朝霞台 + 駅).
_COST_BASE, _COST_PER_CHAR = 3000, 2000

#: Noun sub-types (IPADIC 品詞細分類1) that are dropped.
DROP_NOUN_TYPES = frozenset({"非自立", "数", "代名詞", "接尾", "副詞可能", "特殊", "接続詞的", "動詞非自立的", "引用文字列"})

#: Words dropped after the part-of-speech filter (base forms).
STOP_WORDS = frozenset([
    # light verbs, auxiliaries and politeness
    "する", "なる", "ある", "いる", "できる", "出来る", "思う", "感じる", "考える", "おる", "れる", "られる",
    "いう", "言う", "行う", "くる", "来る", "もらう", "いただく", "くださる", "下さる", "ござる",
    # empty adjectives
    "ない", "よい", "いい", "良い", "欲しい", "ほしい", "多く",
    # formal nouns and fillers
    "様", "方", "人", "事", "物", "点", "等", "他", "中", "上", "下", "前", "後", "場合", "感じ", "気",
    "特に", "色々", "いろいろ", "今回", "毎回", "こちら", "ところ", "とき", "時", "所", "ため", "為",
    "そう", "形", "何", "など",
    # request and thanks formulas
    "意見", "要望", "お願い", "願い", "希望", "よろしく", "宜しく", "ありがとう", "思い", "是非", "ぜひ",
])

_MASK_RE = re.compile("|".join(
    sorted({re.escape(t) for t in MASK_TOKENS.values()}
           | {re.escape(unicodedata.normalize("NFKC", t)) for t in MASK_TOKENS.values()}, key=len, reverse=True)))
_LETTER = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u3400-\u9fffa-z]")
_SINGLE_KANA = re.compile(r"^[\u3041-\u3096\u30a1-\u30fc]$")


def read_userdict(path) -> tuple[tuple[str, str, str], ...]:
    """Read a user dictionary CSV: header ``surface,kind,reading,note``.

    ``kind`` is ``place`` (地名), ``facility`` (施設) or ``term`` (用語);
    ``reading`` is katakana or ``*`` when unknown; ``note`` is free text.
    Returns ``(surface, kind, reading)`` rows; raises :class:`SpecError`
    naming the line for a malformed row.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SpecError(f"cannot read the user dictionary: {exc.strerror}; check the path", path=path) from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip() for c in rows[0][:3]] != ["surface", "kind", "reading"]:
        raise SpecError("the first line must be the header 'surface,kind,reading,note' "
                        f"(got {rows[0] if rows else 'an empty file'})", path=path)
    entries, seen = [], set()
    for line, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        surface = unicodedata.normalize("NFKC", row[0].strip())
        kind = row[1].strip() if len(row) > 1 else ""
        reading = (row[2].strip() if len(row) > 2 else "") or "*"
        if not surface or kind not in USERDICT_KINDS:
            raise SpecError(f"line {line}: needs a surface and a kind in {sorted(USERDICT_KINDS)}; "
                            f"got {row[:2]}", path=path, key=f"line {line}")
        if "," in surface or surface in seen:
            raise SpecError(f"line {line}: {surface!r} is duplicated or contains a comma; "
                            "list each word once", path=path, key=f"line {line}")
        seen.add(surface)
        entries.append((surface, kind, reading))
    return tuple(entries)


@functools.lru_cache(maxsize=4)
def _build(entries: tuple) -> object:
    from janome.tokenizer import Tokenizer

    if not entries:
        return Tokenizer()
    lines = []
    for surface, kind, reading in entries:
        cid, pos = USERDICT_KINDS[kind]
        cost = _COST_BASE - _COST_PER_CHAR * len(surface)
        lines.append(f"{surface},{cid},{cid},{cost},{pos},*,*,{surface},{reading},{reading}")
    with tempfile.TemporaryDirectory() as tmp:   # janome reads the CSV while building
        path = Path(tmp) / "userdict.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return Tokenizer(str(path), udic_enc="utf8")


def tokenizer(userdict=None):
    """The janome ``Tokenizer`` for a user dictionary (path, entries from
    :func:`read_userdict`, or ``None`` for none), built once and cached."""
    if userdict is None:
        entries = ()
    elif isinstance(userdict, tuple):
        entries = userdict
    else:
        entries = read_userdict(userdict)
    return _build(entries)


def _keep(token) -> str | None:
    pos = token.part_of_speech.split(",")
    major, sub = pos[0], pos[1]
    if major == "名詞":
        if sub in DROP_NOUN_TYPES:
            return None
    elif major in ("動詞", "形容詞"):
        if sub != "自立":
            return None
    else:
        return None
    word = token.base_form if token.base_form not in ("*", "") else token.surface
    word = unicodedata.normalize("NFKC", word).lower()
    if word in STOP_WORDS or not _LETTER.search(word) or _SINGLE_KANA.match(word):
        return None
    return word


def tokenize(text, *, userdict=None) -> list[str]:
    """Content words of one answer, in order, repeated words kept.

    ``userdict`` is a path to a user dictionary CSV (or entries read with
    :func:`read_userdict`); ``None`` uses janome's dictionary alone.

    >>> tokenize("黒目川沿いの遊歩道をもっと歩きやすくしてほしい。")
    ['黒目', '遊歩道', '歩く']
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    text = _MASK_RE.sub("、", unicodedata.normalize("NFKC", str(text)))
    tok = tokenizer(userdict)
    return [w for w in (_keep(t) for t in tok.tokenize(text)) if w is not None]


def tokenize_series(series: pd.Series, *, userdict=None) -> list[list[str]]:
    """:func:`tokenize` for every row (``[]`` for missing); each distinct
    answer is tokenised once."""
    entries = read_userdict(userdict) if userdict is not None and not isinstance(userdict, tuple) else userdict
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    done = [tokenize(u, userdict=entries) for u in uniques]
    return [list(done[c]) if c >= 0 else [] for c in codes]
