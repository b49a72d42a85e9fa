"""The plan's ``opendata:`` block: who publishes the open data, under which licence.

``survey run`` writes the report's aggregate tables as open data
(``<wave>/opendata/``) when the questionnaire's analysis plan says how they
may be used::

    analysis:
      opendata:
        licence: クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）
        publisher: 朝霞市              # 地方公共団体名 (optional)
        municipality_code: "112275"     # 全国地方公共団体コード (optional, 6 digits)
        source: ...                     # 出典 (optional; default: the title and wave)
        notes: [...]                    # lines for the data dictionary (optional)

The city's name and code live in the questionnaire, never in code.  The
code must be quoted text (YAML reads ``011002`` unquoted as an octal
number) and is checked by its check digit, so a typo cannot publish
another city's code.
"""
from __future__ import annotations

from dataclasses import dataclass

from survey.errors import SpecError

__all__ = ["OpenDataSpec", "municipality_check_digit", "parse_opendata"]

_KEYS = ("licence", "publisher", "municipality_code", "source", "notes")


@dataclass(frozen=True)
class OpenDataSpec:
    """The parsed ``analysis.opendata`` block."""

    licence: str
    publisher: str = ""
    municipality_code: str = ""
    source: str = ""
    notes: tuple[str, ...] = ()


def municipality_check_digit(first5: str) -> int:
    """The check digit of a 全国地方公共団体コード from its first five digits
    (総務省: 11 minus the weighted sum 6,5,4,3,2 modulo 11, last digit).

    >>> municipality_check_digit("11227")   # 朝霞市 112275
    5
    """
    total = sum(int(d) * w for d, w in zip(first5, (6, 5, 4, 3, 2)))
    return (11 - total % 11) % 10


def _text(raw, key, path, *, what):
    if not isinstance(raw, str) or not raw.strip() or any(ch in raw for ch in "\r\n"):
        raise SpecError(f"{what} must be one line of non-empty text, got {raw!r}", path=path, key=key)
    return raw.strip()


def parse_opendata(raw, *, path=None) -> OpenDataSpec | None:
    """Check ``analysis.opendata``; None when the plan has none (no open data is written)."""
    key = "analysis.opendata"
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SpecError(f"opendata must be a mapping with licence: ..., got {raw!r}", path=path, key=key)
    unknown = sorted(str(k) for k in raw if k not in _KEYS)
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r}; opendata has {', '.join(_KEYS)}", path=path,
                        key=f"{key}.{unknown[0]}")
    if "licence" not in raw:
        raise SpecError("open data needs its licence: add licence: (e.g. CC BY 4.0) under analysis.opendata",
                        path=path, key=key)
    licence = _text(raw["licence"], f"{key}.licence", path, what="licence")
    publisher = _text(raw["publisher"], f"{key}.publisher", path, what="publisher") if "publisher" in raw else ""
    source = _text(raw["source"], f"{key}.source", path, what="source") if "source" in raw else ""
    code = raw.get("municipality_code", "")
    if code != "":   # text only: YAML reads 011002 unquoted as the octal number 4610
        if not isinstance(code, str) or len(code) != 6 or not code.isascii() or not code.isdigit():
            raise SpecError(f"municipality_code must be the six digits of a 全国地方公共団体コード in quotes "
                            f"(e.g. \"112275\"), got {raw.get('municipality_code')!r}", path=path,
                            key=f"{key}.municipality_code")
        if municipality_check_digit(code[:5]) != int(code[5]):
            raise SpecError(f"municipality_code {code} fails its check digit (expected "
                            f"{code[:5]}{municipality_check_digit(code[:5])}); copy the code from the 総務省 list",
                            path=path, key=f"{key}.municipality_code")
    notes = raw.get("notes", [])
    if not isinstance(notes, list):
        raise SpecError(f"notes must be a list of lines, got {notes!r}", path=path, key=f"{key}.notes")
    notes = tuple(_text(n, f"{key}.notes", path, what="a note") for n in notes)
    return OpenDataSpec(licence=licence, publisher=publisher, municipality_code=code, source=source, notes=notes)
