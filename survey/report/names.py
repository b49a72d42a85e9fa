"""File names a planner can read, made safe: ``満足度_回答分布.csv``, not ``満足度_2.csv``.

A table's CSV is named after its sheet and its title (:func:`table_stem`):
the title without its bracketed qualifiers (``（重み付け）``, ``(%)``), so
the name says what the table is and stays the same from wave to wave.
Titles come from the questionnaire's plan and its labels, so every name is
made safe first (:func:`safe_stem`): no path separator, no character that
Windows or macOS refuses (``< > : " | ? *``), no control, format or
separator character (a right-to-left override would disguise the
extension), no ``..`` and no leading dot (a hidden file), no reserved
device name (``CON``, ``NUL``, ``COM1`` …), and at most
:data:`MAX_STEM_BYTES` bytes of UTF-8, so ``<stem>.csv`` fits every file
system.  :func:`unique_stems` numbers repeats (``_2``, ``_3``) without
regard to case, as case-insensitive file systems would see them.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_STEM_BYTES", "safe_stem", "short_title", "table_stem", "unique_stems"]

#: Longest stem in bytes of UTF-8 (file systems allow 255 bytes for a name; room for ``_99.csv``).
MAX_STEM_BYTES = 180
_FORBIDDEN = set('/\\<>:"|?*')
_BRACKETED = re.compile(r"[（(][^（）()]*[）)]")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def short_title(title: str) -> str:
    """A title without its bracketed qualifiers: ``回答分布（重み付け%）`` → ``回答分布``
    (nested brackets too); the title itself when nothing would be left."""
    text, previous = str(title), None
    while text != previous:
        previous, text = text, _BRACKETED.sub("", text)
    return text.strip() or str(title).strip()


def safe_stem(text: str, *, fallback: str = "表") -> str:
    """``text`` as a file name without extension that is safe on every file system.

    >>> safe_stem("満足度/地区別..\\u202ecsv")
    '満足度_地区別._csv'
    >>> safe_stem("..")
    '表'
    """
    out = []
    for ch in unicodedata.normalize("NFC", str(text)):
        cat = unicodedata.category(ch)
        bad = ch in _FORBIDDEN or cat[0] in "CZ" or ch.isspace()
        out.append("_" if bad else ch)
    stem = re.sub(r"_+", "_", "".join(out))
    stem = re.sub(r"\.{2,}", ".", stem).strip("._ ")
    stem = _truncate(stem, MAX_STEM_BYTES).rstrip("._ ")
    if not stem:
        stem = fallback
    if stem.split(".")[0].upper() in _RESERVED:
        stem = f"{stem}_"
    return stem


def table_stem(sheet: str, title: str = "") -> str:
    """The stem of a table's CSV: ``<sheet>_<short title>``, or the sheet's name
    when the table has no title of its own (or its title is the sheet's)."""
    short = short_title(title) if title else ""
    if not short or short == sheet:
        return safe_stem(sheet)
    return safe_stem(f"{sheet}_{short}")


def unique_stems(stems) -> list[str]:
    """The stems in order, later repeats numbered ``_2``, ``_3`` … (compared without case)."""
    seen: set[str] = set()
    out = []
    for stem in stems:
        name, k = stem, 1
        while name.casefold() in seen:
            k += 1
            name = f"{_truncate(stem, MAX_STEM_BYTES - 4)}_{k}"
        seen.add(name.casefold())
        out.append(name)
    return out


def _truncate(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")
