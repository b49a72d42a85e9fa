"""The questionnaire's frozen objects: questions, items, codes, scores, skip logic, contradictions.

:mod:`survey.questionnaire` parses a questionnaire's YAML into these (and
re-exports them); everything downstream reads the questionnaire through them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from survey.questionnaire_plan import AnalysisPlan

__all__ = [
    "MULTI_FORMS",
    "OVER_LIMIT_POLICIES",
    "QUESTION_TYPES",
    "TOTAL_POLICIES",
    "Condition",
    "Contradiction",
    "Item",
    "Question",
    "Questionnaire",
]

QUESTION_TYPES = ("single", "multi", "likert", "allocation", "ranking", "numeric", "text")
OVER_LIMIT_POLICIES = ("keep_lowest", "drop", "flag")
TOTAL_POLICIES = ("reject", "rescale", "flag")
MULTI_FORMS = ("dummies", "slots")



@dataclass(frozen=True)
class Condition:
    """``column`` satisfies one test: ``in`` codes, ``not_in`` codes,
    ``between`` [low, high] (inclusive), or ``blank`` (True/False)."""

    column: str
    op: str
    values: tuple = ()

    def describe(self) -> str:
        if self.op == "blank":
            return f"{self.column} is {'blank' if self.values[0] else 'answered'}"
        return f"{self.column} {self.op} {list(self.values)}"


@dataclass(frozen=True)
class Item:
    """A sub-column of a question: a matrix item, an allocation part, or a
    multi-answer choice.  ``column`` is the tidy column name, ``header`` the
    heading in a contractor's raw file."""

    column: str
    label: str
    header: str
    code: int | None = None


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: str
    header: str
    codes: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))
    missing: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))
    attribute: bool = False
    not_in_margins: tuple[int, ...] = ()  # answer codes without a population count (weighted as 不明)
    required: bool = True
    asked_if: tuple[Condition, ...] = ()
    # likert
    scores: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    items: tuple[Item, ...] = ()
    straightlining: bool = False
    # single with a numeric meaning (e.g. times a year per category)
    numeric_map: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    numeric_unit: str = ""
    # multi
    max_choices: int | None = None
    over_limit: str = "keep_lowest"
    form: str = "dummies"
    # allocation
    total: int | None = None
    total_policy: str = "flag"
    tolerance: int = 0
    # ranking
    depth: int | None = None
    # numeric
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    outlier_iqr: float | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Tidy column names this question occupies in a respondent frame."""
        if self.type in ("multi", "allocation", "ranking") or (self.type == "likert" and self.items):
            return tuple(item.column for item in self.items)
        return (self.id,)

    @property
    def raw_headers(self) -> tuple[str, ...]:
        """Column headings in a contractor's raw file (same order as
        :attr:`columns`, except multi-answer questions given as slots)."""
        if self.type == "multi" and self.form == "slots":
            return tuple(f"{self.header}_{k}" for k in range(1, (self.max_choices or len(self.codes)) + 1))
        if self.items:
            return tuple(item.header for item in self.items)
        return (self.header,)

    @property
    def valid_codes(self) -> tuple[int, ...]:
        return tuple(self.codes)

    def label(self, code) -> str:
        """Japanese label of a code (answer or missing code)."""
        if code in self.codes:
            return self.codes[code]
        if code in self.missing:
            return self.missing[code]
        return str(code)


@dataclass(frozen=True)
class Contradiction:
    """A logical contradiction (論理矛盾): all ``when`` conditions hold."""

    id: str
    when: tuple[Condition, ...]
    message_ja: str
    message_en: str


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: str
    title: str
    wave: str
    respondent_id: str
    respondent_id_header: str
    questions: tuple[Question, ...]
    contradictions: tuple[Contradiction, ...] = ()
    fielding: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: The municipality that runs the survey (``朝霞市``), named by the report's sentences; '' when
    #: the questionnaire does not say.
    municipality: str = ""
    indicators: tuple[Mapping[str, Any], ...] = ()
    path: str | None = None
    sha256: str | None = None
    #: The analysis plan (``analysis:``), or None when the file declares none.
    plan: AnalysisPlan | None = None

    def __getitem__(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        known = ", ".join(q.id for q in self.questions)
        raise KeyError(f"no question {question_id!r} in questionnaire {self.id}; known: {known}")

    def __contains__(self, question_id: str) -> bool:
        return any(q.id == question_id for q in self.questions)

    @property
    def attributes(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.attribute)

    def indicators_of(self, source: str) -> tuple[Mapping[str, Any], ...]:
        """The declared indicators of one source (``survey``: estimated from the answers;
        ``admin``: a ratio of the admin file's columns), in the file's order."""
        return tuple(i for i in self.indicators if i.get("source", "survey") == source)

    def by_type(self, qtype: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.type == qtype)

    @property
    def columns(self) -> tuple[str, ...]:
        """All tidy columns in questionnaire order, respondent id first."""
        cols = [self.respondent_id]
        for q in self.questions:
            cols.extend(q.columns)
        return tuple(cols)

    def question_of(self, column: str) -> Question:
        """The question a tidy column belongs to."""
        for q in self.questions:
            if column in q.columns:
                return q
        raise KeyError(f"column {column!r} belongs to no question of {self.id}")
