"""What every section of a wave's report shares: its input, its output, helpers.

A section is a function ``build(spec, ctx) -> SectionResult``: it computes
its tables from the wave (:class:`WaveContext`), presents them (Japanese
headings, rounded), and returns the workbook blocks, the ``report.html``
section and anything else the report needs from it.  The pipeline places
the results where the questionnaire's plan says (:mod:`survey.pipeline.run`).

A section that cannot be computed on this wave (too few respondents, a
model that does not converge, ...) raises :class:`SectionUnavailable` with
the reason; the report then shows "推定できません" with that reason in the
section's place instead of stopping the run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from survey.labels import TOTAL_LABEL
from survey.measures.tables.tabulate import crosstab_question
from survey.report.format import bare, cell_kind, column_kinds, kind_text
from survey.report.disclosure import HIDDEN, SmallCells
from survey.report.html import Section, Table
from survey.report.labels import attribute_name, code_labels, label_frame

__all__ = [
    "HIDDEN", "TOTAL", "UNAVAILABLE", "SectionResult", "SectionUnavailable", "WaveContext", "attribute_name",
    "by_groups", "code_labels", "html_table", "pool_sparse", "printed_sums", "report_attributes", "tidy_index",
    "unavailable",
]

#: The label of the whole-sample row of group tables.
TOTAL = TOTAL_LABEL
#: How a section that cannot be estimated begins its reason ("cannot be estimated: ...").
UNAVAILABLE = "推定できません："


@dataclass(frozen=True, eq=False)
class WaveContext:
    """One wave, weighted, and what its report needs besides the data.

    ``mailing`` is the checked mailing per cell (or None), ``provenance`` the
    lines printed on every sheet and in the HTML, ``sampling_error`` the
    標本誤差 table with this wave's Kish deff.  ``small_cells`` is the run's
    one small-cell suppression (:class:`survey.report.disclosure.SmallCells`,
    built on first use): every section that prints a count or a share of
    answers by group asks it which cells to hide.  ``pending``: the sections'
    analyses the run's worker is computing (:meth:`analysed`).
    """

    questionnaire: Any
    design: Any
    dataset: Any
    margins: pd.DataFrame
    provenance: tuple = ()
    sampling_error: pd.DataFrame | None = None
    baseline_design: Any = None
    admin: Any = None
    seed: int = 2025
    min_cell: int = 3
    mailing: pd.DataFrame | None = None
    mailing_path: Any = None
    pending: dict = field(default_factory=dict)

    @property
    def plan(self):
        return self.questionnaire.plan

    def analysed(self, spec, analysis):
        """``analysis(spec, self)``: a section's heavy computation, or its result from the worker
        when the run asked it for this section in advance (``pending``: section id →
        :class:`~survey.report.background.Pending`, see :mod:`survey.pipeline.run`)."""
        pending = self.pending.get(spec.id)
        return analysis(spec, self) if pending is None else pending.result()

    def crosstab(self, column: str, by: str) -> pd.DataFrame:
        """The wave's weighted cross table of ``column`` by the attribute ``by`` (long form), its
        groups and answers by name (:func:`survey.report.labels.label_frame`)."""
        return label_frame(crosstab_question(self.design.data, self.design.weights.to_numpy(), self.questionnaire,
                                             column, by), self.questionnaire)

    @property
    def small_cells(self):
        cells = self.__dict__.get("_small_cells")
        if cells is None:
            cells = SmallCells(self.crosstab, report_attributes(self.plan), min_count=self.min_cell,
                               subsets=printed_sums(self.plan, self.questionnaire))
            object.__setattr__(self, "_small_cells", cells)
        return cells


def printed_sums(plan, questionnaire) -> dict:
    """``{question: [set of answer labels]}``: parts of a row of answers whose sum the
    report prints besides the cross table — an index's n (the scored answers), the base of a
    share among those who answered (every answer but 無回答: park use, a ranking's first
    choice).  Small-cell suppression must not leave one hidden cell in such a part."""
    out: dict = {}
    for spec in plan.sections.values():
        if spec.question is None or spec.kind not in ("index", "frequency", "ranking"):
            continue
        q = questionnaire[spec.question]
        if spec.kind == "index":
            part = {q.codes[c] for c in q.scores if c in q.codes}
        else:
            part = set(q.codes.values())
        out.setdefault(spec.question, []).append(part)
    return out


def report_attributes(plan) -> tuple:
    """Every attribute the report breaks answers down by: the plan's groups, then each
    section's ``by`` and ``chart_by`` (the linked tables of small-cell suppression)."""
    out = list(plan.groups)
    for spec in plan.sections.values():
        out.extend(spec.by)
        chart_by = spec.get("chart_by", ())
        out.extend([chart_by] if isinstance(chart_by, str) else chart_by)
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True, eq=False)
class SectionResult:
    """What one section gives the report.

    ``blocks``: ``(caption, DataFrame)`` for its sheet, in order; ``html``:
    its ``report.html`` section (None: none); ``title``: its heading (the
    sheet's title unless the plan gives one); ``notes``: lines above the
    sheet's tables; ``files``: CSV files ``{stem: DataFrame}`` it writes
    instead of one file per block (``{sheet}`` in a stem is the sheet's
    name; a value may be ``(title, DataFrame)`` to give the file a title
    for ``目次.csv``); ``headline``: indicators for the top of ``report.html``;
    ``methods``: sentences for the variance paragraph of the methods;
    ``opendata``: ``(title, DataFrame)`` tables published only as open data
    (described with :func:`survey.report.tableinfo.describe`; blocks so
    described are published too); ``unavailable``: the reason (推定できません：…)
    when the section could not be estimated on this wave.
    """

    title: str = ""
    blocks: tuple = ()
    html: Section | None = None
    notes: tuple = ()
    files: Mapping[str, Any] | None = None
    headline: tuple = ()
    methods: tuple = ()
    opendata: tuple = ()
    unavailable: str = ""


class SectionUnavailable(Exception):
    """The section cannot be estimated on this wave; ``reason`` says why (Japanese),
    ``title`` is the section's heading (default: the plan's ``title`` or the section's id)."""

    def __init__(self, reason: str, *, title: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.title = title


def unavailable(spec, title: str, reason: str) -> SectionResult:
    """The stand-in of a section that cannot be estimated: one block and one
    HTML section saying so, with the reason."""
    text = f"{UNAVAILABLE}{reason}"
    frame = pd.DataFrame({"項目": [title], "結果": [text]})
    return SectionResult(title=title, blocks=((title, frame),), notes=(f"{title}：{text}",),
                         html=Section(spec.id, title, notes=[text]), unavailable=text)


# --------------------------------------------------------------------------- labels and groups


def by_groups(fn, questionnaire, groups) -> pd.DataFrame:
    """Run ``fn(by)`` for the total (``by=None``) and each attribute; the
    frame gets ``by`` (the attribute's name, 全体) and ``group`` (the level's
    label) in front."""
    frames = []
    for by in (None, *groups):
        frame = fn(by).copy()
        if by is None:
            frame.insert(0, "group", TOTAL)
            frame.insert(0, "by", TOTAL)
        else:
            labels = code_labels(questionnaire, by)
            frame.insert(0, "group", frame.pop(by).map(lambda v: labels.get(float(v), str(v))))
            frame.insert(0, "by", attribute_name(questionnaire, by))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def tidy_index(frame: pd.DataFrame) -> pd.DataFrame:
    """An estimator's table with its index as columns, without the ``variable`` level."""
    frame = frame.reset_index()
    return frame.drop(columns=[c for c in ("variable",) if c in frame.columns])


def pool_sparse(values: pd.Series, labels: dict, *, min_n: int):
    """Pool levels with fewer than ``min_n`` respondents into the next code's
    level (the last one into the previous), repeatedly; returns the pooled
    codes (the first code of each pool) and ``{code: "label・label"}``."""
    codes = sorted(labels)
    groups = [[c] for c in codes]
    counts = values.value_counts()
    size = lambda g: int(sum(counts.get(c, 0) for c in g))  # noqa: E731
    while len(groups) > 2 and min(size(g) for g in groups) < min_n:
        i = min(range(len(groups)), key=lambda k: size(groups[k]))
        j = i + 1 if i + 1 < len(groups) else i - 1
        lo, hi = sorted((i, j))
        groups[lo] = groups[lo] + groups[hi]
        del groups[hi]
    mapping = {c: g[0] for g in groups for c in g}
    # the same as values.map(code -> first code of its pool, NaN elsewhere), per distinct value
    raw = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    uniq, inverse = np.unique(raw, return_inverse=True)
    to = np.array([mapping.get(float(v), np.nan) for v in uniq], dtype=float)
    pooled = pd.Series(to[inverse.reshape(-1)] if len(uniq) else raw, index=values.index, name=values.name)
    names = {float(g[0]): "・".join(labels[c] for c in g) for g in groups}
    return pooled, names


# --------------------------------------------------------------------------- html


def _decimals(values) -> int:
    """Decimals needed to show already-rounded numbers (at most 4)."""
    finite = [v for v in values if isinstance(v, float) and v == v]
    for d in range(5):
        if all(abs(round(v, d) - v) < 1e-9 for v in finite):
            return d
    return 4


def html_table(caption, frame: pd.DataFrame, note: str = "") -> Table:
    """A Table whose float columns keep the precision they were rounded to;
    p-values, yen and percentages as their kind says (``<0.001``, ``1,000``, ``12.0``)."""
    formats = {}
    kinds = column_kinds(frame)
    columns = bare(frame)
    for col in frame.columns:
        kind = kinds.get(col)
        if kind is None and columns[col].dtype == object:
            # text and numbers mixed (a suppressed x among figures): numbers keep their decimals
            numbers_ = [v for v in columns[col] if isinstance(v, float) and not isinstance(v, bool)]
            kind = f"decimal{_decimals(numbers_)}" if numbers_ else None
        if kind in ("p", "yen", "percent") or (kind or "").startswith("decimal"):
            formats[col] = (lambda v, k=kind: kind_text(v, k).lstrip("¥") if cell_kind(v, k) else
                            ("" if v is None or v != v else str(v)))
        elif pd.api.types.is_float_dtype(columns[col]):
            d = _decimals(columns[col].tolist())
            formats[col] = (lambda v, d=d: "" if v != v else f"{v:,.{d}f}")
    return Table(caption, frame, formats=formats, note=note)
