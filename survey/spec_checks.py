"""Checks of a questionnaire's texts: what a delivered file could not tell apart,
and names that become part of a path.

* :func:`check_labels`: two answer codes with one label, or a label that is
  another code's number, make a delivered cell ambiguous -- refused (never
  matched "where unambiguous");
* :func:`check_headings`: two columns that one delivered heading could match;
* :func:`check_path_name`: the ``wave`` and the questionnaire ``id`` become
  folder and file names (``reports/<wave>/``, ``<id>_keywords.yaml``), so they
  may not hold path separators, ``..`` and the like.

Texts are compared as the intake matches them (:func:`text_key`).
"""
from __future__ import annotations

import math
import re
import unicodedata

from survey.errors import SpecError

__all__ = ["MAX_NAME_LENGTH", "check_headings", "check_labels", "check_path_name", "text_key"]

#: Longest wave label or questionnaire id (characters).
MAX_NAME_LENGTH = 64

_TILDES = str.maketrans({"\u301c": "〜", "\uff5e": "〜", "~": "〜"})
_SPACES = re.compile(r"\s+")


def text_key(value) -> str:
    """A heading or label as the intake matches it: NFKC, one tilde form (〜),
    whitespace collapsed and stripped (the same steps as
    :func:`survey.intake.values.clean_text`).  Two spec texts with the same key
    cannot be told apart in a delivered file.

    >>> text_key("１８～２９歳　") == text_key("18〜29歳")
    True
    """
    text = unicodedata.normalize("NFKC", str(value)).translate(_TILDES)
    return _SPACES.sub(" ", text).strip()


_FORBIDDEN = set('/\\:*?"<>|')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def check_path_name(value, *, what: str, path=None, key=None, example: str = "FY2025") -> str:
    """``value`` if it can be one file or folder name on every system, else a SpecError.

    Refused: anything but text; empty text; more than
    :data:`MAX_NAME_LENGTH` characters; path separators (``/`` ``\\``) and the
    other characters Windows forbids (``: * ? " < > |``); control
    characters; ``..``; a leading or trailing ``.``; leading or trailing spaces; the
    Windows device names (``CON``, ``NUL``, ``COM1`` ...).  Japanese text is
    fine (``令和7年度``).
    """
    fix = f"use letters, digits, '_' or '-' (e.g. {example})"
    if not isinstance(value, str):
        raise SpecError(f"{what} must be text (e.g. {example}; quote it if it looks like a number), got "
                        f"{type(value).__name__} {value!r}"[:200], path=path, key=key)
    if not value:
        raise SpecError(f"{what} is empty; {fix}", path=path, key=key)
    if len(value) > MAX_NAME_LENGTH:
        raise SpecError(f"{what} has {len(value)} characters, more than {MAX_NAME_LENGTH}; {fix}", path=path, key=key)
    bad = sorted({c for c in value if c in _FORBIDDEN or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")})
    if bad:
        raise SpecError(f"{what} {value!r} cannot be a file or folder name: it holds {', '.join(map(repr, bad))}; "
                        f"{fix}", path=path, key=key)
    # Windows drops a trailing '.': FY2025. would write into FY2025
    if ".." in value or value.startswith(".") or value.endswith(".") or value != value.strip():
        raise SpecError(f"{what} {value!r} cannot be a file or folder name (no '..', no leading or trailing '.', "
                        f"no leading or trailing spaces); {fix}", path=path, key=key)
    if value.split(".")[0].upper() in _RESERVED:
        raise SpecError(f"{what} {value!r} is a reserved device name on Windows; {fix}", path=path, key=key)
    return value


def _numeral(text: str):
    """The whole number a label reads as (``'2'``, ``'２'``, ``'2.0'``), else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value.is_integer() else None


def check_labels(codes, missing, *, path=None, where=None) -> None:
    """Refuse labels a delivered cell could not be read back from.

    Two codes with one label (after :func:`text_key`; only missing codes may
    share one, such as 9 and 99 無回答), and a label that is another code's
    number (``{1: '2', 2: '1'}``: a delivered ``2`` could be either).
    """
    def key(code):
        return f"{where}.{'codes' if code in codes else 'missing'}.{code}"

    owner: dict[str, int] = {}
    for code, label in [*codes.items(), *missing.items()]:
        first = owner.setdefault(text_key(label), code)
        if first != code and not (first in missing and code in missing):
            raise SpecError(f"codes {first} and {code} both have the label {text_key(label)!r}; a delivered label "
                            "must name one answer: give each code its own label", path=path, key=key(code))
    for code, label in [*codes.items(), *missing.items()]:
        number = _numeral(text_key(label))
        if number is not None and number != code and (number in codes or number in missing):
            raise SpecError(f"the label {label!r} of code {code} is the number of code {number}, so a delivered "
                            f"{number} could mean either; give code {code} a label in words", path=path, key=key(code))


def check_headings(candidates, *, path=None) -> None:
    """Refuse two columns that one delivered heading could match.

    ``candidates``: ``(question id, column, names)`` per raw column, the names
    being what the intake matches a heading against (the heading, the id).
    """
    owner: dict[str, tuple[str, str]] = {}
    for qid, col, names in candidates:
        for name in names:
            first = owner.setdefault(text_key(name), (qid, col))
            if first[1] != col:
                raise SpecError(f"the heading {text_key(name)!r} would match both {first[1]} ({first[0]}) and {col} "
                                f"({qid}); every question needs its own heading and id", path=path,
                                key=f"questions ({qid}).header")
