"""The analysis plan's vocabulary: section kinds and the parsed plan's frozen objects.

:data:`KINDS` lists what each kind of section takes (its question's type,
what that question must carry, its options); :class:`AnalysisPlan` is the
checked ``analysis:`` block of a questionnaire
(:func:`survey.questionnaire_plan.parse_plan` builds it).  The pipeline
(:mod:`survey.pipeline.sections`) has one builder per kind.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from survey.plan_opendata import OpenDataSpec

__all__ = ["KINDS", "HTML_KINDS", "SHEET_NAME_LIMIT", "Kind", "AnalysisPlan", "RakeVariable", "SectionSpec",
           "SheetSpec"]

#: Longest worksheet name Excel accepts.
SHEET_NAME_LIMIT = 31


@dataclass(frozen=True)
class Kind:
    """What a section kind needs: ``question`` types it accepts (empty: no
    question), what that question must carry (``scores``, ``numeric_map``,
    ``items``), and its options ``{name: type}`` (types below)."""

    question: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)
    html: bool = True


_TEXT = {"title": "text"}
_PROSE = {"title": "text", "intro": "text"}
#: The section kinds and their options.  Option types: ``text``, ``bool``,
#: ``number`` (> 0), ``count`` (whole number >= 1), ``attributes`` (attribute
#: questions), ``attribute`` (one), ``questions`` (questions with codes),
#: ``codes`` ({question: one of its codes}), ``indicator`` (an id under
#: ``indicators:``), ``file`` (a path relative to the questionnaire).
KINDS: Mapping[str, Kind] = MappingProxyType({
    # the frame of the report: fielding, frequencies, cross tables, sampling error, next wave
    "overview": Kind(options=_TEXT, html=False),
    "tally": Kind(options=_TEXT, html=False),
    "crosstabs": Kind(options={**_TEXT, "by": "attributes"}, html=False),
    "sampling_error": Kind(options=_TEXT, html=False),
    "next_wave": Kind(options={**_TEXT, "half_width": "number", "group_half_width": "number"}, html=False),
    # the analyses
    "index": Kind(question=("likert",), needs=("scores", "one column"), options={
        **_PROSE, "by": "attributes", "chart_by": "attributes", "indicator": "indicator", "label": "text"}),
    "frequency": Kind(question=("single",), needs=("numeric_map",), options={
        **_PROSE, "by": "attribute", "label": "text", "value_label": "text"}),
    "drivers": Kind(question=("likert",), needs=("scores", "one column"), options={
        **_TEXT, "predictors": "questions", "reference": "codes"}),
    "reliability": Kind(question=("likert",), needs=("scores", "items"), options=_TEXT),
    "trend": Kind(question=("likert",), needs=("scores", "one column"), options={
        **_TEXT, "by": "attributes", "label": "text"}),
    "allocation": Kind(question=("allocation",), options={
        **_PROSE, "by": "attributes", "segments": "bool", "unit": "text", "amount_label": "text",
        "items_label": "text", "item_noun": "text"}),
    "ranking": Kind(question=("ranking",), options={
        **_PROSE, "by": "attributes", "model": "attributes", "min_model_n": "count", "item_noun": "text",
        "label": "text"}),
    "indicators": Kind(options={**_TEXT, "admin": "bool"}),
    "freetext": Kind(question=("text",), options={**_TEXT, "by": "attributes", "keywords": "file"}),
})
#: Kinds that have a section in ``report.html``.
HTML_KINDS = tuple(k for k, v in KINDS.items() if v.html)


@dataclass(frozen=True)
class RakeVariable:
    """A raked attribute: the ``question`` (attribute) and its ``column`` in the margins file."""

    question: str
    column: str


@dataclass(frozen=True)
class SectionSpec:
    """One declared section: ``id`` (its key under ``sections:``, also the
    HTML anchor), ``kind``, ``question`` (or None), ``by`` (attributes; the
    plan's groups unless the kind's option says otherwise) and the other
    options, checked against :data:`KINDS`."""

    id: str
    kind: str
    question: str | None = None
    by: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, name: str, default=None):
        """An option's value (``default`` when the plan leaves it out)."""
        return self.options.get(name, default)


@dataclass(frozen=True)
class SheetSpec:
    """A workbook sheet: its ``name``, ``title`` (None: the first section's
    title), extra ``notes`` and its ``sections`` in order."""

    name: str
    sections: tuple[str, ...]
    title: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisPlan:
    """The parsed ``analysis:`` block of a questionnaire."""

    groups: tuple[str, ...]
    rake: tuple[RakeVariable, ...]
    cells: tuple[str, ...]
    sections: Mapping[str, SectionSpec]
    workbook: tuple[SheetSpec, ...]
    html: tuple[str, ...]
    weighting_methods: str | None = None
    opendata: OpenDataSpec | None = None

    def section(self, section_id: str) -> SectionSpec:
        return self.sections[section_id]

    def of_kind(self, kind: str) -> tuple[SectionSpec, ...]:
        """The declared sections of one kind, in declaration order."""
        return tuple(s for s in self.sections.values() if s.kind == kind)

    @property
    def raked(self) -> tuple[str, ...]:
        """The raked attributes (question ids)."""
        return tuple(r.question for r in self.rake)
