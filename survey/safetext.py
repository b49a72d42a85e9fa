"""Untrusted text made safe for the places it is written to (issue 15, items 16 and 18).

Data and questionnaire text reach three kinds of output, each with its own
way of turning text into something else:

* **spreadsheets** (CSV, XLSX): a cell starting with ``= + - @`` (or tab /
  carriage return) is a formula.  :func:`neutralise_formula` puts an
  apostrophe before it -- at the start of the cell and after every line
  break inside it, since a spreadsheet or a line-based tool may start a new
  row or cell there;
* **CSV structure**: a field holding a line break must be quoted, a lone
  carriage return included (Python's csv writer quotes only the characters
  of its line terminator, so ``x\\r=cmd`` used to go out unquoted and begin a
  row of its own in Excel).  :func:`csv_text` writes a table with every such
  field quoted and LF line ends;
* **terminals**: control characters (C0 and C1, DEL), line and paragraph
  separators and the Unicode bidirectional controls can move the cursor,
  recolour, retitle the window, or make one line look like two or like
  another line.  :func:`terminal_safe` shows each as a visible escape
  (``\\x1b``, ``\\n``, ``\\u202e``), so one line stays one line and shows
  what is there.  :func:`json_safe` does the same inside JSON text, as
  ``\\u`` escapes (the JSON value is unchanged).

Nothing here is specific to a questionnaire; the module sits below every
other (see the import-linter contract in ``setup.cfg``).
"""
from __future__ import annotations

import io
import re

__all__ = ["FORMULA_START", "csv_text", "json_safe", "neutralise_formula", "terminal_safe"]

#: First characters that make a spreadsheet cell a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_BREAK = re.compile(r"(\r\n|\r|\n)")
# C0 and C1 controls, DEL, line/paragraph separators, bidirectional and invisible format controls
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064"
                     "\u2066-\u2069\ufeff\ufff9-\ufffb]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064"
                          "\u2066-\u2069\ufeff\ufff9-\ufffb]")   # json.dumps escapes C0 itself
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _inert_line(line: str) -> bool:
    if not line.startswith(FORMULA_START):
        return True
    if line.strip("-") == "":
        return True  # the zero-count dash (or a rule line) is not a formula
    try:
        float(line)
        return True  # a plain negative number written as text stays readable
    except ValueError:
        return False


def neutralise_formula(value):
    """Make a data string inert in a spreadsheet: an apostrophe before a
    formula at the start of the text and after every line break in it.

    Numbers (and non-strings) pass through; so do plain negative numbers and
    dashes written as text.

    >>> neutralise_formula('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> neutralise_formula("公園\\r=cmd|' /C calc'!A0")
    "公園\\r'=cmd|' /C calc'!A0"
    >>> neutralise_formula("-0.5")
    '-0.5'
    """
    if not isinstance(value, str):
        return value
    if not value.startswith(FORMULA_START) and "\n" not in value and "\r" not in value:
        return value                     # one line, not a formula: the common case, as it is
    parts = _BREAK.split(value)          # text, break, text, break, ...
    for i in range(0, len(parts), 2):
        if not _inert_line(parts[i]):
            parts[i] = "'" + parts[i]
    return "".join(parts)


_QUOTED_OR_ROW_END = re.compile(r'"(?:[^"]|"")*"|\r\n')


def csv_text(frame, **to_csv) -> str:
    """``frame`` as CSV text (pandas ``to_csv`` formatting, no index by
    default) with LF row ends and every field that holds ``\\r`` or ``\\n``
    quoted.

    >>> import pandas as pd
    >>> csv_text(pd.DataFrame({"a": ["x\\ry", "ok"], "b": [1, 2]}))
    'a,b\\n"x\\ry",1\\nok,2\\n'
    """
    to_csv.setdefault("index", False)
    buffer = io.StringIO()
    # with CR LF as the terminator the csv writer quotes any field holding CR or LF;
    # outside quoted fields CR LF then only ends rows, and becomes LF
    frame.to_csv(buffer, lineterminator="\r\n", **to_csv)
    return _QUOTED_OR_ROW_END.sub(lambda m: "\n" if m.group(0) == "\r\n" else m.group(0), buffer.getvalue())


def _escape(match) -> str:
    ch = match.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_safe(text) -> str:
    """``str(text)`` with every control, separator and bidirectional
    character shown as an escape: safe to print on one terminal line.

    >>> terminal_safe("北部\\x1b[2J\\nResult: OK \\u202eKO")
    '北部\\\\x1b[2J\\\\nResult: OK \\\\u202eKO'
    """
    return _UNSAFE.sub(_escape, str(text))


def json_safe(text: str) -> str:
    """JSON text with the characters :func:`terminal_safe` escapes written as
    ``\\uXXXX`` (``json.dumps(..., ensure_ascii=False)`` leaves DEL, C1 and
    the bidirectional controls raw); the JSON value is the same."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
