"""Worksheet layout shared by every workbook the toolkit writes (集計表.xlsx,
計画.xlsx and the ``survey validate --format xlsx`` report).

Print setup (issue 16 item 10): A4 landscape, fitted to one page wide, the
heading rows repeated on every page, a page header with the survey's name
on the left and the sheet's name on the right, page numbers in the footer,
and page breaks between tables so that no table is cut unless it is longer
than a page.  Column widths count East Asian wide characters (Japanese) as
two.  Nothing here depends on the rest of the package; both the report
layer and the intake layer use it.
"""
from __future__ import annotations

import functools
import math
import unicodedata

__all__ = [
    "A4", "DEFAULT_ROW_HEIGHT", "MAX_WIDTH", "display_width", "header_text", "page_breaks", "page_setup",
    "rows_per_page", "wrapped_lines",
]

#: Excel's paper code of A4.
A4 = 9
#: The row height xlsxwriter and Excel use (points).
DEFAULT_ROW_HEIGHT = 15.0
#: Widest column written (characters); longer text wraps.
MAX_WIDTH = 60
# A4 landscape inside Excel's default margins (0.7 in left/right, 0.75 in top/bottom):
# 11.69 − 1.4 in wide and 8.27 − 1.5 in high.
_PRINT_WIDTH_PX = (11.69 - 1.4) * 96
_PRINT_HEIGHT_PT = (8.27 - 1.5) * 72
_HEADER_LIMIT = 255  # characters Excel keeps in a page header


def display_width(text) -> int:
    """Columns a text takes in a grid of half-width cells (East Asian wide = 2).

    >>> display_width("満足度 n")
    8
    """
    text = str(text)
    return len(text) if text.isascii() else _wide_width(text)


@functools.lru_cache(maxsize=16384)
def _wide_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrapped_lines(text, width: float) -> int:
    """Lines a text needs in a column ``width`` characters wide (at least 1)."""
    if width <= 0:
        return 1
    return max(1, sum(max(1, math.ceil(display_width(part) / width)) for part in str(text).split("\n")))


def header_text(text: str) -> str:
    """``text`` for an Excel page header: ``&`` doubled (a single one starts a
    field code), control characters dropped, cut to fit Excel's limit."""
    clean = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in str(text))
    return clean.replace("&", "&&")[:100]


def _column_px(width: float) -> float:
    return int(width * 7 + 0.5) + 5  # Calibri 11: 7 px a character plus padding


def rows_per_page(widths, *, row_height: float = DEFAULT_ROW_HEIGHT) -> float:
    """Rows of ``row_height`` points that fit on an A4 landscape page once the
    columns (``widths`` in characters) are scaled to the page width."""
    total = sum(_column_px(w) for w in widths) or 1
    scale = min(1.0, _PRINT_WIDTH_PX / total)
    return _PRINT_HEIGHT_PT / (row_height * scale)


def page_breaks(blocks, heights, widths, *, first: int = 0, repeated: float = 0.0) -> list[int]:
    """Rows before which a new page starts.

    ``blocks`` are ``(first_row, last_row)`` of the tables (caption to last
    data row), ``heights`` maps a row to its height in points (default
    :data:`DEFAULT_ROW_HEIGHT`), ``widths`` the column widths in characters,
    ``repeated`` the height of the rows repeated on every page.  A table that
    does not fit in what is left of a page but fits on a page of its own
    starts a new page; a longer table is cut where each page is full.
    """
    total = sum(_column_px(w) for w in widths) or 1
    scale = min(1.0, _PRINT_WIDTH_PX / total)
    page = _PRINT_HEIGHT_PT / scale  # points of sheet rows a page holds
    height = lambda r: heights.get(r, DEFAULT_ROW_HEIGHT)  # noqa: E731
    breaks: list[int] = []
    used = sum(height(r) for r in range(first, blocks[0][0])) if blocks else 0.0
    for start, end in blocks:
        size = sum(height(r) for r in range(start, end + 1))
        if used > repeated and used + size > page and repeated + size <= page:
            breaks.append(start)  # the table fits on a page of its own: start one
            used = repeated
        for r in range(start, end + 1):
            if used + height(r) > page and used > repeated:
                breaks.append(r)
                used = repeated
            used += height(r)
        used += DEFAULT_ROW_HEIGHT  # the blank row after a table
    return sorted(set(b for b in breaks if b > first))


def page_setup(ws, *, title: str, sheet: str, repeat: tuple[int, int] | None = None, breaks=()) -> None:
    """A4 landscape, one page wide, header ``title`` (left) and ``sheet``
    (right), ``page / pages`` in the footer, ``repeat`` rows (first, last;
    0-based) on every page and manual page ``breaks`` (rows a page starts at)."""
    ws.set_paper(A4)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    left, right = header_text(title), header_text(sheet)
    ws.set_header(f"&L{left}&R{right}"[:_HEADER_LIMIT])
    ws.set_footer("&C&P / &N")
    if repeat is not None:
        ws.repeat_rows(*repeat)
    if breaks:
        ws.set_h_pagebreaks(list(breaks))
