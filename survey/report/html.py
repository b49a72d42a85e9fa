"""``report.html``: one self-contained, deterministic HTML report.

The page holds a table of contents, the headline indicators, one section per
analysis (intro, charts, tables, notes), the methods (weights, variance,
formulas, sampling error, references) and the provenance of the inputs.
Charts are embedded as ``data:`` URIs (base64 PNG or SVG inside ``<img>``,
so an SVG can never run script), the CSS is inline and a
Content-Security-Policy forbids every script and remote load: the file opens
offline, prints cleanly and can be mailed as is.

Every piece of data text (titles, free-text answers, labels, column names)
goes through Jinja2 autoescaping, so ``<script>alert(1)</script>`` is shown as
text.  Nothing varies between runs: the only date on the page comes from
``SOURCE_DATE_EPOCH`` when that variable is set.
"""
from __future__ import annotations

import base64
import datetime as _dt
import math
import numbers
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import pandas as pd

from survey.errors import InputError
from survey.report.format import UNWEIGHTED, WEIGHTED

__all__ = [
    "Figure",
    "Table",
    "Section",
    "Indicator",
    "Methods",
    "render_html",
    "write_html",
    "sampling_error_table",
    "DEFAULT_FORMULAS",
    "DEFAULT_REFERENCES",
    "DEFAULT_SAMPLING_ERROR_NOTE",
    "DEFAULT_WEIGHTING_NOTE",
]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_RESERVED_IDS = {"toc", "headline", "methods", "provenance", "top"}
_SHORT_LABEL = 16
_NUMERIC_TEXT = re.compile(r"^[+\-−±]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?%?$|^-$")

DEFAULT_WEIGHTING_NOTE = (f"表の % と平均は重み付け集計{WEIGHTED}、n は重みなしの回答者数{UNWEIGHTED}です。"
                          "% は小数第2位を四捨五入しているため、合計が100.0にならないことがあります。")
DEFAULT_SAMPLING_ERROR_NOTE = (
    "この調査は標本調査のため、結果には標本誤差があります。回答者数 n の区分で回答比率 p のとき、"
    "95%信頼区間の半幅の目安は ±1.96 × √(deff × p(1−p) / n) です（deff はデザイン効果）。"
    "回答者数が少ない区分（おおむね n < 30）の結果は誤差が大きいため、参考値として扱ってください。")
DEFAULT_FORMULAS = (
    ("重み付き平均・割合", "ȳ = Σ wᵢ yᵢ / Σ wᵢ（割合は yᵢ = 0/1）。R: svymean(~y, design)"),
    ("分散（線形化）", "V(ȳ) は線形化変数 zᵢ = wᵢ (yᵢ − ȳ) / Σ wᵢ の層・集落間分散。"
                     "レイキング後は補助変数への回帰残差を用いる。R: svymean(~y, rake(design, ...))"),
    ("信頼区間", "ȳ ± z₀.₉₇₅ × SE(ȳ)、z₀.₉₇₅ = 1.96。R: confint(svymean(...))"),
    ("デザイン効果", "deff = V_design(ȳ) / V_SRS(ȳ)。重みのみによる Kish の deff = n Σ wᵢ² / (Σ wᵢ)²"),
)
DEFAULT_REFERENCES = (
    "Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley.",
    "Lumley, T. (2004). Analysis of complex survey samples. Journal of Statistical Software, 9(8), 1–19.",
    "Deville, J.-C., Särndal, C.-E. & Sautory, O. (1993). Generalized raking procedures in survey sampling. "
    "Journal of the American Statistical Association, 88(423), 1013–1020.",
    "Kish, L. (1965). Survey Sampling. Wiley.",
)


def _paragraphs(text) -> tuple[str, ...]:
    """A string (blank lines separate paragraphs) or a sequence of paragraphs."""
    if text is None:
        return ()
    if isinstance(text, str):
        return tuple(p.strip() for p in re.split(r"\n\s*\n", text) if p.strip())
    return tuple(str(p) for p in text)


@dataclass(frozen=True, eq=False)
class Figure:
    """A chart: PNG bytes or SVG text, with its caption (alt text defaults to it)."""

    image: bytes | str
    caption: str
    alt: str = ""

    def __post_init__(self):
        if isinstance(self.image, (bytes, bytearray)):
            if not bytes(self.image[:8]) == _PNG_SIGNATURE:
                raise InputError(f"figure {self.caption!r}: bytes must be a PNG file (they start with "
                                 f"{bytes(self.image[:8])!r}); render charts with image_format='png'")
        elif isinstance(self.image, str):
            if "<svg" not in self.image[:2000]:
                raise InputError(f"figure {self.caption!r}: text must be an SVG document "
                                 f"(it starts with {self.image[:40]!r})")
        else:
            raise InputError(f"figure {self.caption!r}: image must be PNG bytes or SVG text, "
                             f"got {type(self.image).__name__}")

    @property
    def data_uri(self) -> str:
        if isinstance(self.image, str):
            return "data:image/svg+xml;base64," + base64.b64encode(self.image.encode("utf-8")).decode("ascii")
        return "data:image/png;base64," + base64.b64encode(bytes(self.image)).decode("ascii")


@dataclass(frozen=True, eq=False)
class Table:
    """A table: caption, DataFrame, optional per-column formatters and a note.

    Cells are shown as given when they are strings; numbers go through
    ``formats[column]`` (a callable returning text, e.g.
    :func:`survey.report.format.fmt_percent`) or the defaults: integers with
    thousands separators, other numbers with one decimal, missing as blank.
    Columns whose every cell is a number (or numeric text such as ``1,234``,
    ``12.3`` or ``-``) are right-aligned.  A non-default index is shown as
    leading columns.
    """

    caption: str
    frame: pd.DataFrame
    formats: Mapping[str, Callable] = field(default_factory=dict)
    note: str = ""

    def __post_init__(self):
        if not isinstance(self.frame, pd.DataFrame):
            raise InputError(f"table {self.caption!r}: expected a pandas DataFrame, got {type(self.frame).__name__}")
        unknown = [c for c in self.formats if c not in self.frame.columns]
        if unknown:
            raise InputError(f"table {self.caption!r}: formats name columns {unknown} that the frame lacks "
                             f"(columns: {list(self.frame.columns)})")


@dataclass(frozen=True, eq=False)
class Section:
    """One analysis: ``id`` (HTML anchor: letters, digits, ``-``, ``_``), title,
    intro paragraphs, figures, tables (``Table`` or ``(caption, DataFrame)``) and notes."""

    id: str
    title: str
    intro: str | Sequence[str] = ""
    figures: Sequence[Figure] = ()
    tables: Sequence = ()
    notes: Sequence[str] = ()

    def __post_init__(self):
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise InputError(f"section id {self.id!r} is not a valid anchor; use ASCII letters, digits, "
                             "'-' or '_', starting with a letter (e.g. 'satisfaction')")
        if self.id in _RESERVED_IDS:
            raise InputError(f"section id {self.id!r} is reserved for the page itself; choose another")
        figures = tuple(self.figures)
        for f in figures:
            if not isinstance(f, Figure):
                raise InputError(f"section {self.id}: figures must be Figure objects, got {type(f).__name__}")
        tables = []
        for t in self.tables:
            if isinstance(t, Table):
                tables.append(t)
            elif isinstance(t, tuple) and len(t) == 2:
                tables.append(Table(str(t[0]), t[1]))
            else:
                raise InputError(f"section {self.id}: a table is Table(...) or (caption, DataFrame), "
                                 f"got {type(t).__name__}")
        object.__setattr__(self, "figures", figures)
        object.__setattr__(self, "tables", tuple(tables))
        object.__setattr__(self, "intro", _paragraphs(self.intro))
        object.__setattr__(self, "notes", tuple(str(n) for n in self.notes))


@dataclass(frozen=True)
class Indicator:
    """A headline indicator, already formatted (see :mod:`survey.report.format`)."""

    label: str
    value: str
    ci: str = ""
    baseline: str = ""
    target: str = ""
    unit: str = ""
    n: str = ""
    note: str = ""


@dataclass(frozen=True, eq=False)
class Methods:
    """The methods section: weighting and variance paragraphs, formulas
    ``(name, text)``, the sampling-error note, extra tables and references."""

    weighting: str | Sequence[str]
    variance: str | Sequence[str]
    formulas: Sequence[tuple[str, str]] = DEFAULT_FORMULAS
    sampling_error: str | Sequence[str] = DEFAULT_SAMPLING_ERROR_NOTE
    tables: Sequence = ()
    references: Sequence[str] = DEFAULT_REFERENCES

    def __post_init__(self):
        object.__setattr__(self, "weighting", _paragraphs(self.weighting))
        object.__setattr__(self, "variance", _paragraphs(self.variance))
        object.__setattr__(self, "sampling_error", _paragraphs(self.sampling_error))
        object.__setattr__(self, "formulas", tuple((str(a), str(b)) for a, b in self.formulas))
        object.__setattr__(self, "references", tuple(str(r) for r in self.references))
        object.__setattr__(self, "tables", Section("methods-tables", "", tables=self.tables).tables)


def sampling_error_table(ns, *, ps=(0.1, 0.2, 0.3, 0.4, 0.5), z: float = 1.959963984540054,
                         deff: float = 1.0, population: int | None = None) -> pd.DataFrame:
    """標本誤差早見表: the 95% half-width ``z √(deff p(1−p)/n)`` in points (%).

    With ``population`` the finite population correction ``√((N−n)/(N−1))``
    is applied.  Rows are the bases ``ns``, columns the answer shares
    ``p`` (also valid for ``1 − p``).
    """
    ns = [int(n) for n in ns]
    if not ns or min(ns) < 1:
        raise InputError(f"sampling_error_table needs bases n ≥ 1, got {ns}")
    if deff <= 0:
        raise InputError(f"deff must be positive, got {deff}")
    rows = []
    for n in ns:
        fpc = 1.0 if population is None else math.sqrt(max(population - n, 0) / (population - 1))
        row = {"回答者数 n": n}
        for p in ps:
            label = f"{100 * p:.0f}%" if abs(p - 0.5) < 1e-12 else f"{100 * p:.0f}%（{100 * (1 - p):.0f}%）"
            row[label] = 100 * z * fpc * math.sqrt(deff * p * (1 - p) / n)
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(value, formatter) -> tuple[str, bool]:
    """(text, numeric?) of one table cell."""
    if formatter is not None and not (isinstance(value, float) and math.isnan(value)):
        text = str(formatter(value))
        return text, bool(_NUMERIC_TEXT.match(text.strip())) or isinstance(value, numbers.Number)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "", True
    if isinstance(value, bool):
        return ("はい" if value else "いいえ"), False
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}", True
    if isinstance(value, numbers.Real):
        return f"{float(value):,.1f}", True
    text = str(value)
    return text, bool(_NUMERIC_TEXT.match(text.strip())) and text.strip() != ""


def _table_view(table: Table, number: int) -> dict:
    frame = table.frame
    if not isinstance(frame.index, pd.RangeIndex) or any(n is not None for n in frame.index.names):
        frame = frame.reset_index()
    header = [" / ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in frame.columns]
    formatters = [table.formats.get(c) for c in frame.columns]
    cells = [[_cell(v, f) for v, f in zip(row, formatters)] for row in frame.itertuples(index=False, name=None)]
    numeric = []
    for j in range(len(header)):
        flags = [num for text, num in (r[j] for r in cells) if text != ""]
        numeric.append(bool(flags) and all(flags))
    # short labels (attribute names, levels) never break inside a word; free text wraps
    short = [all(len(r[j][0]) <= _SHORT_LABEL for r in cells) for j in range(len(header))]
    rows = [[{"text": txt, "num": numeric[j], "short": short[j]} for j, (txt, _) in enumerate(r)] for r in cells]
    return {"number": number, "caption": table.caption, "header": list(zip(header, numeric)), "rows": rows,
            "note": table.note}


def _generated_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch.isdigit():
        return ""
    return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc).strftime("%Y-%m-%d")


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("survey.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def render_html(sections: Sequence[Section], *, title: str, provenance_lines: Sequence[str], methods: Methods,
                headline: Sequence[Indicator] = (), subtitle: str = "",
                weighting_note: str = DEFAULT_WEIGHTING_NOTE) -> str:
    """Render the report page as a string.

    Parameters
    ----------
    sections : sequence of Section
        The analyses, in page order (ids unique).
    title : str, keyword-only
        Page and ``<h1>`` title (e.g. the questionnaire title and wave).
    provenance_lines : sequence of str, keyword-only
        Input files and hashes, questionnaire version, package version
        (:func:`survey.report.run.provenance_lines`).
    methods : Methods, keyword-only
    headline : sequence of Indicator, keyword-only
        Shown first, before the analyses.
    weighting_note : str, keyword-only
        The weighted/unweighted legend shown under the title.

    Returns
    -------
    str
        A complete HTML5 document; identical for identical inputs.
    """
    sections = list(sections)
    for s in sections:
        if not isinstance(s, Section):
            raise InputError(f"sections must be Section objects, got {type(s).__name__}")
    seen: set[str] = set()
    for s in sections:
        if s.id in seen:
            raise InputError(f"section id {s.id!r} is used twice; ids must be unique anchors")
        seen.add(s.id)
    if not isinstance(methods, Methods):
        raise InputError(f"methods must be a Methods object, got {type(methods).__name__}")
    if not str(title).strip():
        raise InputError("the report needs a non-empty title")
    headline = list(headline)
    for ind in headline:
        if not isinstance(ind, Indicator):
            raise InputError(f"headline items must be Indicator objects, got {type(ind).__name__}")
    fig_no = tab_no = 0
    views = []
    for s in sections:
        figures = []
        for f in s.figures:
            fig_no += 1
            figures.append({"number": fig_no, "caption": f.caption, "alt": f.alt or f.caption, "src": f.data_uri})
        tables = []
        for t in s.tables:
            tab_no += 1
            tables.append(_table_view(t, tab_no))
        views.append({"id": s.id, "title": s.title, "intro": s.intro, "figures": figures, "tables": tables,
                      "notes": s.notes})
    method_tables = []
    for t in methods.tables:
        tab_no += 1
        method_tables.append(_table_view(t, tab_no))
    template = _environment().get_template("report.html.j2")
    return template.render(title=str(title), subtitle=str(subtitle), sections=views, headline=headline,
                           methods=methods, method_tables=method_tables,
                           provenance_lines=[str(p) for p in provenance_lines],
                           weighting_note=weighting_note, generated=_generated_date())


def write_html(sections: Sequence[Section], path, *, title: str, provenance_lines: Sequence[str],
               methods: Methods, headline: Sequence[Indicator] = (), subtitle: str = "",
               weighting_note: str = DEFAULT_WEIGHTING_NOTE) -> Path:
    """Render (see :func:`render_html`) and write UTF-8 with LF line ends; returns the path."""
    text = render_html(sections, title=title, provenance_lines=provenance_lines, methods=methods,
                       headline=headline, subtitle=subtitle, weighting_note=weighting_note)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path
