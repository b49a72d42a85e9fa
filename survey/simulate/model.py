"""The simulation model: a synthetic population and how it answers a questionnaire.

A model file (``questionnaires/<questionnaire file>_simulation.yaml``, format in
``data/SIMULATION.md``) is read by :func:`survey.simulate.model_parse.load_model`
into these frozen objects.  Question ids, codes, scores and columns come from the
questionnaire; the model holds parameters per question, and the engine
(population, answers, delivery, truth, wave) is generic over question types.

Building blocks shared by the sections:

* a **term** is one addend of a latent value (:class:`Lookup`, :class:`When`,
  :class:`Slope`, :class:`Constant`, :class:`Factor`, :class:`Noise`);
  :func:`latent` sums a list of them in order;
* a **rate** is a probability per person: a number, a :class:`Lookup` or a
  :class:`Scaled` number; :func:`rate` evaluates it.

Every term reads the register attributes of the people frame (never answers),
so a term can be evaluated for the whole population before anyone answers.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
import pandas as pd

__all__ = [
    "AgeInBand", "Binary", "CellAttribute", "Categorical", "Constant", "Dirichlet", "Factor", "Fielding",
    "Heaping", "Lookup", "Noise", "Normal", "Ordinal", "PlackettLuce", "Population", "Reported", "Scaled",
    "SimulationModel", "Slope", "Straightlining", "TextAnswers", "TopK", "TruthValue", "Wave", "When",
    "categorical", "int_codes", "latent", "mask", "rate",
]


# --------------------------------------------------------------------------- terms and rates


def mask(frame: pd.DataFrame, conditions) -> np.ndarray:
    """Rows where every ``(column, codes)`` condition holds."""
    out = np.ones(len(frame), dtype=bool)
    for column, codes in conditions:
        out &= np.isin(frame[column].to_numpy(), codes)
    return out


@dataclass(frozen=True)
class Lookup:
    """A value per code of a register attribute (``{by: Q, values: [...]}``)."""

    column: str
    codes: tuple[int, ...]
    values: tuple[float, ...]

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        order = np.argsort(self.codes)
        keys, table = np.asarray(self.codes)[order], np.asarray(self.values, dtype=float)[order]
        return table[np.searchsorted(keys, frame[self.column].to_numpy())]


@dataclass(frozen=True)
class When:
    """``add`` where every condition holds (``{if: {Q: [codes]}, add: x}``)."""

    conditions: tuple[tuple[str, tuple[int, ...]], ...]
    add: float | tuple[float, ...]


@dataclass(frozen=True)
class Slope:
    """``per_step`` times (attribute code − ``center``)."""

    column: str
    center: float
    per_step: float | tuple[float, ...]


@dataclass(frozen=True)
class Constant:
    add: float | tuple[float, ...]


@dataclass(frozen=True)
class Factor:
    """``loading`` times one standard normal draw per person, shared by the items."""

    loading: float


@dataclass(frozen=True)
class Noise:
    """``scale`` times a standard normal draw per person (and item)."""

    scale: float


Term = Union[Lookup, When, Slope, Constant, Factor, Noise]


def _per_item(value, column: np.ndarray, items: bool) -> np.ndarray:
    """``value`` (a number or one per item) times a per-person column."""
    if isinstance(value, tuple):
        return np.asarray(value) * column[:, None]
    out = value * column
    return out[:, None] if items else out


def _term(term, frame: pd.DataFrame, rng, items: int | None):
    n = len(frame)
    if isinstance(term, Lookup):
        out = term.evaluate(frame)
        return out[:, None] if items else out
    if isinstance(term, When):
        return _per_item(term.add, mask(frame, term.conditions), bool(items))
    if isinstance(term, Slope):
        return _per_item(term.per_step, frame[term.column].to_numpy() - term.center, bool(items))
    if isinstance(term, Constant):
        return np.asarray(term.add) if isinstance(term.add, tuple) else term.add
    if isinstance(term, Factor):
        return term.loading * rng.standard_normal((n, 1) if items else n)
    return term.scale * rng.standard_normal((n, items) if items else n)


def latent(terms, frame: pd.DataFrame, rng=None, *, items: int | None = None):
    """The sum of ``terms`` in order (random terms draw from ``rng`` in that order):
    shape ``(n,)``, or ``(n, items)`` for a matrix question."""
    total = None
    for term in terms:
        value = _term(term, frame, rng, items)
        total = value if total is None else total + value
    return total


@dataclass(frozen=True)
class Scaled:
    """``base``, times ``times`` where every condition holds."""

    base: float
    conditions: tuple[tuple[str, tuple[int, ...]], ...]
    times: float


def rate(spec, frame: pd.DataFrame):
    """A probability per person of ``frame`` (a number, or an array)."""
    if isinstance(spec, Lookup):
        return spec.evaluate(frame)
    if isinstance(spec, Scaled):
        return spec.base * np.where(mask(frame, spec.conditions), spec.times, 1.0)
    return spec


def categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (rows sum to 1); 0-based."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return (u >= cum).sum(axis=1)


def int_codes(values, mask_na=None):
    """Integer codes as a nullable ``Int64`` array, NA where ``mask_na``."""
    out = pd.array(np.asarray(values, dtype=np.int64), dtype="Int64")
    if mask_na is not None:
        out[np.asarray(mask_na)] = pd.NA
    return out


# --------------------------------------------------------------------------- the population


@dataclass(frozen=True)
class CellAttribute:
    """One attribute of the register's joint distribution: its levels (the first
    codes of the question), marginal ``shares`` (tilted per level of ``tilt_by``
    and renormalised) or conditional ``rows`` per level of ``given``."""

    question: str
    codes: tuple[int, ...]
    shares: tuple[float, ...] | None = None
    tilt_by: str | None = None
    tilt: tuple[tuple[float, ...], ...] | None = None
    given: str | None = None
    rows: tuple[tuple[float, ...], ...] | None = None


@dataclass(frozen=True)
class AgeInBand:
    """Age in years, uniform within the band's ``width`` (or ``widths``), an
    exponential in the open band."""

    column: str
    band: str
    codes: tuple[int, ...]            # the band's codes, in the order of ``lower``
    lower: tuple[int, ...]
    width: int
    widths: tuple[tuple[int, int], ...]
    open_code: int | None
    open_mean: float
    open_max: int


@dataclass(frozen=True)
class Binary:
    """``codes[0]`` with probability ``p``, else ``codes[1]``."""

    column: str
    p: Any
    codes: tuple[int, int]


@dataclass(frozen=True)
class YearsInCity:
    """Years lived in the city: natives their age minus 0..gap-1 years, others
    ``floor(U**power * (age - moved_from))``; never above the age."""

    column: str
    age: str
    native: Any
    native_gap: int
    moved_from: int
    moved_power: float


@dataclass(frozen=True)
class Normal:
    """A standard normal trait per person (e.g. a liking for parks that several
    questions share, read by their ``slope`` terms)."""

    column: str


@dataclass(frozen=True)
class Population:
    seed: int
    size: int
    columns: tuple[str, ...]
    cells: tuple[CellAttribute, ...]
    persons: tuple[Any, ...]


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Straightlining:
    rate: Any
    codes: tuple[int, ...]
    probs: tuple[float, ...]


@dataclass(frozen=True)
class Ordinal:
    """A latent value cut into the question's codes ordered by ``order``
    (``scores`` or ``numeric_map``), lowest first; one column or a matrix."""

    question: str
    latent: tuple[Term, ...]
    order: str
    cuts: tuple[float, ...]
    calibrate: str | None = None          # the indicator (or question) whose target sets the intercept
    target: float | None = None
    dont_know: Any = None
    dont_know_code: int | None = None
    straightlining: Straightlining | None = None
    item_no_answer: Any = None
    no_answer: Any = None


@dataclass(frozen=True)
class Categorical:
    question: str
    probs: tuple[float, ...]
    overrides: tuple[tuple[tuple, tuple[float, ...]], ...] = ()
    no_answer: Any = None


@dataclass(frozen=True)
class Dirichlet:
    """Shares of an allocation: Dirichlet draws, sparsity, round units."""

    question: str
    shares: tuple[float, ...]
    tilt: tuple[tuple[int, tuple[Term, ...]], ...]
    concentration: float
    zero: float
    all_in_one: float
    units: tuple[int, ...]
    unit_probs: tuple[float, ...]
    no_answer: Any = None


@dataclass(frozen=True)
class PlackettLuce:
    """A ranking: the top ``depth`` of utility + Gumbel noise."""

    question: str
    utility: tuple[float, ...]
    tilt: tuple[tuple[int, tuple[Term, ...]], ...]
    filled: tuple[float, ...]


@dataclass(frozen=True)
class TopK:
    """A multi-answer: k boxes (``choices``) by utility + Gumbel noise, or the
    exclusive code alone."""

    question: str
    utility: tuple[float, ...]
    tilt: tuple[tuple[int, tuple[Term, ...]], ...]
    choices: tuple[float, ...]
    exclusive_code: int | None
    exclusive_rate: Any
    no_answer: Any = None


# --------------------------------------------------------------------------- reporting, fielding, truth


@dataclass(frozen=True)
class Heaping:
    above: float
    multiple: int
    rate: Any
    at_most: str | None


@dataclass(frozen=True)
class Reported:
    """What a respondent writes for a register attribute."""

    question: str
    other_code: int | None = None
    other_rate: Any = None
    heaping: Heaping | None = None
    no_answer: Any = None


@dataclass(frozen=True)
class TextAnswers:
    question: str
    rate: float
    two: float
    sentences: tuple[str, ...]
    joiner: str = "　"


@dataclass(frozen=True)
class Fielding:
    response: tuple[Any, ...]
    report_by: str
    mailed: int | None = None


@dataclass(frozen=True)
class TruthValue:
    key: str
    question: str
    statistic: str


@dataclass(frozen=True)
class Wave:
    seed: int
    shift: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SimulationModel:
    """A parsed, checked model file (see the module notes)."""

    path: str | None
    questionnaire: Any
    population: Population
    answers: tuple[Any, ...]
    reporting: tuple[Reported, ...]
    text: tuple[TextAnswers, ...]
    fielding: Fielding
    waves: Mapping[str, Wave]
    defects: tuple[tuple[str, str | None], ...]
    truth_by: tuple[str, ...]
    truth: tuple[TruthValue, ...]
    #: file name of the written margins (default ``<questionnaire id>_margins.csv``)
    margins_file: str | None = None

    @property
    def targets(self) -> dict[str, float]:
        """Calibration targets by question id (the indicator baselines)."""
        return {m.question: m.target for m in self.answers if isinstance(m, Ordinal) and m.calibrate}

    @property
    def shift_keys(self) -> tuple[str, ...]:
        """What a wave's ``shift`` may change: the calibrated indicators, and ``response``."""
        return (*(m.calibrate for m in self.answers if isinstance(m, Ordinal) and m.calibrate), "response")

    @property
    def cells(self) -> tuple[str, ...]:
        """The cell attributes of the register, in the order of the joint draw."""
        return tuple(c.question for c in self.population.cells)
