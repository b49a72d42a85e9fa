"""Read back what `survey run` wrote, as a reader (or another program) sees it.

The consistency tests (tests/test_consistency.py, tests/test_report_figures.py) must check the
files, not re-run the code that wrote them, so everything here parses the outputs themselves:
report.html with the standard library's HTML parser (tables, headline cards, notes, figure
captions), the CSVs as text, and 集計表.xlsx with openpyxl (the tables of a sheet found by their
heading rows).  Nothing here imports survey.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["HtmlTable", "Headline", "Page", "read_page", "read_csvs", "csv_with", "sheet_rows", "find_block",
           "number", "numbers_in"]

_NUMBER = re.compile(r"^[+\-−]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def number(text):
    """A printed number as a float (``1,234`` → 1234.0, ``−0.5`` → −0.5); None when the text is no number."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    t = str(text).strip()
    if not _NUMBER.match(t):
        return None
    return float(t.replace(",", "").replace("−", "-"))


def numbers_in(text) -> list[float]:
    """Every number in a piece of text (``17.5〜78.7`` → [17.5, 78.7], minus signs U+2212 kept)."""
    return [float(m.replace(",", "").replace("−", "-"))
            for m in re.findall(r"[−-]?\d+(?:,\d{3})*(?:\.\d+)?", str(text))]


@dataclass
class HtmlTable:
    number: int
    caption: str
    section: str
    header: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    classes: list = field(default_factory=list)   # the class of every body cell, row by row
    note: str = ""

    def column(self, name) -> list[str]:
        j = self.header.index(name)
        return [r[j] for r in self.rows]

    def records(self) -> list[dict]:
        return [dict(zip(self.header, r)) for r in self.rows]


@dataclass
class Headline:
    label: str
    value: str = ""
    unit: str = ""
    ci: str = ""
    facts: dict = field(default_factory=dict)
    note: str = ""


@dataclass
class Page:
    tables: list
    headline: list
    figures: list     # (section id, caption)
    notes: dict       # section id -> [note, ...]
    intros: dict      # section id -> [paragraph, ...]
    text: str

    def table(self, caption_part: str, section: str | None = None) -> HtmlTable:
        hits = [t for t in self.tables if caption_part in t.caption and (section is None or t.section == section)]
        if len(hits) != 1:
            raise AssertionError(f"{len(hits)} tables of report.html have {caption_part!r} in their caption: "
                                 f"{[t.caption for t in self.tables]}")
        return hits[0]


class _Parser(HTMLParser):
    """Tables (caption, header, body cells and their classes, note), figure captions, the
    intro paragraphs and notes of each section."""

    _COLLECT = {"figcaption", "th", "td", "li"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.figures, self.notes, self.intros = [], [], {}, {}
        self.section = ""
        self._open = None          # (tag, class) whose text is being collected
        self._text = []
        self._table = None
        self._row = None
        self._notes = False
        self._depth = 0            # nesting inside a headline card (skipped here)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class") or ""
        if tag == "section":
            self.section = a.get("id", "")
        elif tag == "figure" and "table-block" in cls:
            self._table = HtmlTable(number=int(a["id"].split("-")[1]), caption="", section=self.section)
        elif tag == "figure" and "chart" in cls:
            self.figures.append([self.section, ""])
        elif tag == "tr" and self._table is not None:
            self._row = ([], [])
        elif tag == "ul" and cls == "notes":
            self._notes = True
        if (tag in self._COLLECT and (tag != "li" or self._notes)) or (tag == "p" and cls in ("", "table-note")):
            self._open, self._text = (tag, cls), []

    def handle_endtag(self, tag):
        if self._open is not None and self._open[0] == tag:
            text, (_, cls) = "".join(self._text).strip(), self._open
            self._open = None
            if tag == "figcaption" and self._table is not None:
                self._table.caption = re.sub(r"^表\d+\u3000?", "", text)
            elif tag == "figcaption" and self.figures:
                self.figures[-1][1] = re.sub(r"^図\d+\u3000?", "", text)
            elif tag == "th" and self._table is not None:
                self._table.header.append(text)
            elif tag == "td" and self._row is not None:
                self._row[0].append(text)
                self._row[1].append(cls)
            elif tag == "p" and cls == "table-note" and self._table is not None:
                self._table.note = text
            elif tag == "p" and self._table is None and self.section:
                self.intros.setdefault(self.section, []).append(text)
            elif tag == "li":
                self.notes.setdefault(self.section, []).append(text)
        if tag == "tr" and self._row is not None:
            if self._row[0]:
                self._table.rows.append(self._row[0])
                self._table.classes.append(self._row[1])
            self._row = None
        elif tag == "figure" and self._table is not None:
            self.tables.append(self._table)
            self._table = None
        elif tag == "ul":
            self._notes = False

    def handle_data(self, data):
        if self._open is not None:
            self._text.append(data)


def _cards(text: str) -> list:
    part = re.search(r'<section id="headline">(.*?)</section>', text, re.S)
    cards = []
    for card in re.findall(r'<div class="indicator">(.*?)</dl>(.*?)</div>', part.group(1) if part else "", re.S):
        body, tail = card

        def field_(cls, src=body):
            m = re.search(rf'<p class="{cls}">(.*?)</p>', src, re.S)
            return re.sub(r"<[^>]+>", "", m.group(1)).strip() if m else ""

        unit = re.search(r'<span class="unit">([^<]*)</span>', body)
        value = re.search(r'<p class="indicator-value">([^<]*)', body)
        facts = dict(zip(re.findall(r"<dt>([^<]*)</dt>", body), re.findall(r"<dd>([^<]*)</dd>", body)))
        cards.append(Headline(label=field_("indicator-label"), value=value.group(1).strip() if value else "",
                              unit=unit.group(1) if unit else "",
                              ci=field_("indicator-ci").replace("95%信頼区間", "").strip(), facts=facts,
                              note=field_("indicator-note", tail)))
    return cards


def read_page(path) -> Page:
    """report.html, parsed."""
    import html as _html

    text = Path(path).read_text(encoding="utf-8")
    p = _Parser()
    p.feed(text)
    return Page(tables=p.tables, headline=[Headline(**{k: (_html.unescape(v) if isinstance(v, str) else v)
                                                       for k, v in vars(c).items()}) for c in _cards(text)],
                figures=[tuple(f) for f in p.figures], notes=p.notes, intros=p.intros, text=text)


def read_csvs(out_dir, pattern: str = "*.csv") -> dict:
    """The CSVs of the folder (``pattern``: "**/*.csv" for subfolders too) as ``{relative path: (header, rows)}``, cells as printed."""
    out = {}
    for path in sorted(Path(out_dir).glob(pattern)):
        raw = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(raw)))
        out[str(path.relative_to(out_dir))] = (rows[0], rows[1:])
    return out


def csv_with(csvs: dict, *columns, without=()) -> tuple[str, list, list]:
    """The one CSV whose header holds every one of ``columns`` (and none of ``without``):
    ``(name, header, rows)``.  Found by content, so a renamed file is still found."""
    hits = [(name, h, r) for name, (h, r) in csvs.items()
            if all(c in h for c in columns) and not any(c in h for c in without)]
    if len(hits) != 1:
        raise AssertionError(f"{len(hits)} CSVs have the columns {columns}: {[h[0] for h in hits]}")
    return hits[0]


def sheet_rows(workbook_path) -> dict:
    """``{sheet name: [row values, ...]}`` of 集計表.xlsx (values as stored: numbers or text)."""
    import openpyxl

    wb = openpyxl.load_workbook(workbook_path, read_only=True, data_only=True)
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def find_block(rows: list, header: list) -> list:
    """The table of a sheet whose heading row starts with ``header`` (a CSV's header): its body
    rows, cut to the header's width, until the first empty row."""
    width = len(header)
    for i, row in enumerate(rows):
        cells = [("" if v is None else str(v)) for v in row[:width]]
        if cells == [str(h) for h in header]:
            body = []
            for r in rows[i + 1:]:
                r = (list(r) + [None] * width)[:width]
                if all(v is None or v == "" for v in r):
                    break
                body.append(r)
            return body
    raise AssertionError(f"no table with the heading {header[:4]}... in the sheet")


def bare(row) -> list:
    """A printed row with the small-base marks taken off its labels (``内間木*`` → ``内間木``,
    ``北部 − 内間木*`` → ``北部 − 内間木``), to look a group up by its name; tests/test_small_base.py
    checks the marks themselves."""
    from survey.report.crosstab import unmark_small_base

    return [unmark_small_base(c)[0] if isinstance(c, str) else c for c in row]
