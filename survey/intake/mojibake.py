"""Text in the wrong encoding that still decodes: EUC-JP files, and UTF-8 text
that was opened as CP932 (Shift_JIS) and saved again.

Neither fails to decode, so neither shows up as undecodable bytes: an EUC-JP
file reads in CP932 as half-width katakana (``男性`` → ``ﾃﾋﾀｭ``), and UTF-8
read as CP932 gives rare kanji (``回答者ID`` → ``蝗樒ｭ碑閠・D``).  Both are
recognised here so that a reader can name them instead of passing garbage on.
"""
from __future__ import annotations

import re

__all__ = ["looks_euc_jp", "utf8_read_as_cp932"]

_JAPANESE = re.compile(r"[\u3041-\u30ff\u3400-\u9fff]")
_HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]")


def looks_euc_jp(blob: bytes) -> bool:
    """True when ``blob`` is EUC-JP text: not UTF-8, decodes as EUC-JP, and read as CP932
    it is undecodable or mostly half-width katakana (which real CP932 Japanese rarely is:
    its hiragana, katakana and kanji have lead bytes 0x81–0x9F, which EUC-JP never has).

    >>> looks_euc_jp("男性です".encode("euc_jp")), looks_euc_jp("男性です".encode("cp932"))
    (True, False)
    """
    try:
        blob.decode("utf-8")
        return False
    except UnicodeDecodeError:
        pass
    try:
        euc = blob.decode("euc_jp")
    except UnicodeDecodeError:
        return False
    if not _JAPANESE.search(euc):
        return False
    try:
        sjis = blob.decode("cp932")
    except UnicodeDecodeError:
        return True
    wide = len(_JAPANESE.findall(sjis))
    half = len(_HALFWIDTH_KANA.findall(sjis))
    return half > 2 * wide


def utf8_read_as_cp932(text) -> str | None:
    """What ``text`` reads as when it is UTF-8 that was decoded as CP932, or ``None``
    when it does not look like that.

    The test: encoded back to CP932, the bytes decode as UTF-8 into at least two kana or
    kanji, and into at least one for every three non-ASCII characters of ``text``.  UTF-8
    read as CP932 turns every Japanese character into one or two (about 1.5) characters
    and gives most of them back, even after Excel has replaced some bytes by ``・`` or
    ``?``; genuine Japanese text gives next to none (its CP932 bytes are almost never
    valid UTF-8).

    >>> utf8_read_as_cp932("公園が好き".encode("utf-8").decode("cp932", errors="replace"))[:4]
    '公園が好'
    >>> utf8_read_as_cp932("公園が好き") is None
    True
    """
    if not isinstance(text, str) or text.isascii():
        return None
    blob = text.encode("cp932", errors="replace")  # U+FFFD and the like: lost bytes
    decoded = blob.decode("utf-8", errors="replace")
    good = len(_JAPANESE.findall(decoded))
    foreign = sum(1 for ch in text if ord(ch) > 127)
    if good >= 2 and 3 * good >= foreign:
        return decoded
    return None
    try:
        blob = text.encode("cp932")
    except UnicodeEncodeError:  # U+FFFD or characters CP932 has not: not a CP932 reading of anything
        blob = text.encode("cp932", errors="replace")
    decoded = blob.decode("utf-8", errors="replace")
    good = len(_JAPANESE.findall(decoded))
    lost = decoded.count("\ufffd") + sum(decoded.count(c) for c in "?・") - sum(text.count(c) for c in "?")
    if good >= 2 and 3 * max(lost, 0) <= good and decoded != text:
        return decoded
    return None
