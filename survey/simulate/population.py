"""A synthetic population: the sampling frame (the register, 住民基本台帳).

The model's ``population:`` section says what a person of the register is: the cell
attributes (a joint distribution drawn attribute by attribute: the bundled model has
district, then age band tilted by district, then sex given the age band) and the
person variables drawn once the cell is known (age in years, a child in the
household, years lived in the city).  Column names are the questionnaire's tidy
names, so answers and truths join without renaming.  The numbers of the bundled
model are in ``questionnaires/midori_2025_simulation.yaml``; what they mean is in
``data/SIMULATION.md``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import SurveyError
from survey.simulate.model import AgeInBand, Binary, Normal, rate

__all__ = ["cell_probabilities", "draw_people", "make_rng", "population_margins", "simulate_population"]


def make_rng(seed) -> np.random.Generator:
    """``numpy.random.Generator(PCG64(seed))``; a Generator is passed through."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SurveyError(f"seed must be a non-negative integer, got {seed!r}; pass e.g. seed=2025")
    return np.random.Generator(np.random.PCG64(int(seed)))


def _model(model):
    if model is None:
        from survey.simulate.model_parse import bundled_model

        return bundled_model()
    return model


def cell_probabilities(model=None) -> np.ndarray:
    """The joint probability of the cell attributes, one axis per attribute in
    the model's order (e.g. district × age band × sex), summing to 1."""
    cells = _model(model).population.cells
    names = [c.question for c in cells]
    joint = np.asarray(cells[0].shares)
    for c in cells[1:]:
        if c.given is None:
            cond = np.asarray(c.shares)
            if c.tilt is not None:
                cond = cond * np.asarray(c.tilt)
                cond = cond / cond.sum(axis=1, keepdims=True)
            parent = c.tilt_by
        else:
            cond, parent = np.asarray(c.rows), c.given
        if parent is not None:                 # put the parent's codes on the parent's axis
            axis = names.index(parent)
            cond = cond.reshape((1,) * axis + cond.shape + (1,) * (joint.ndim - 1 - axis))
        joint = joint[..., None] * cond
    return joint


def _people(rng: np.random.Generator, cells: np.ndarray, model) -> pd.DataFrame:
    """Register columns of people in the flat cells ``cells`` (in the model's column order)."""
    pop = model.population
    shape = tuple(len(c.codes) for c in pop.cells)
    frame = {}
    for attribute, index in zip(pop.cells, np.unravel_index(cells, shape)):
        frame[attribute.question] = np.asarray(attribute.codes, dtype=np.int64)[index]
    frame = pd.DataFrame(frame)
    for person in pop.persons:
        frame[person.column] = _person(rng, person, frame)
    return frame[list(pop.columns)]


def _person(rng, person, frame: pd.DataFrame) -> np.ndarray:
    n = len(frame)
    if isinstance(person, AgeInBand):
        band = frame[person.band].to_numpy()
        offset = rng.integers(0, person.width, size=n)
        for code, width in person.widths:
            offset = np.where(band == code, rng.integers(0, width, size=n), offset)
        if person.open_code is not None:
            tail = np.minimum(rng.exponential(person.open_mean, size=n).astype(np.int64), person.open_max)
            offset = np.where(band == person.open_code, tail, offset)
        low = np.asarray(person.lower, dtype=np.int64)[np.searchsorted(np.asarray(person.codes), band)]
        return (low + offset).astype(np.int64)
    if isinstance(person, Normal):
        return rng.standard_normal(n)
    if isinstance(person, Binary):
        return np.where(rng.random(n) < rate(person.p, frame), *person.codes).astype(np.int64)
    age = frame[person.age].to_numpy()
    native = rng.random(n) < rate(person.native, frame)
    moved = np.floor(rng.random(n) ** person.moved_power * (age - person.moved_from)).astype(np.int64)
    years = np.where(native, age - rng.integers(0, person.native_gap, size=n), moved)
    return np.clip(years, 0, age).astype(np.int64)


def simulate_population(*, seed: int, size: int | None = None, model=None) -> pd.DataFrame:
    """Simulate the adult population (the register) of the model.

    Cell counts (e.g. district × age band × sex) are one multinomial draw, so
    the frame has exactly ``size`` rows; persons are then put in random order
    and numbered ``person_id`` 1..size.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.Generator(PCG64(seed))``; same seed, same frame.
    size : int, optional
        Number of adults (default the model's ``population.size``: 120,000
        in the bundled model).
    model : SimulationModel, optional
        Default the bundled model (``questionnaires/midori_2025_simulation.yaml``).

    Returns
    -------
    pandas.DataFrame
        ``person_id`` and the model's ``population.columns`` (bundled: ``sex,
        age_band, age, district, children, years_lived``), integer codes.
    """
    model = _model(model)
    size = model.population.size if size is None else size
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 100:
        raise SurveyError(f"size must be an integer of at least 100 adults, got {size!r}")
    rng = make_rng(seed)
    p = cell_probabilities(model).ravel()
    counts = rng.multinomial(int(size), p)
    cells = rng.permutation(np.repeat(np.arange(p.size), counts))
    frame = _people(rng, cells, model)
    frame.insert(0, "person_id", np.arange(1, size + 1, dtype=np.int64))
    return frame


def draw_people(rng: np.random.Generator, n: int, model=None) -> pd.DataFrame:
    """``n`` independent adults from the same cell distribution (no finite
    population); used for large benchmark deliveries."""
    model = _model(model)
    p = cell_probabilities(model).ravel()
    return _people(rng, rng.choice(p.size, size=n, p=p), model)


def population_margins(population: pd.DataFrame, questionnaire=None, *, model=None) -> pd.DataFrame:
    """Population counts per cell of the model's cell attributes (every cell, also
    empty ones), columns named as the questionnaire's plan rakes them.

    With a questionnaire, ``*_label`` columns carry the Japanese labels.
    The counts sum to ``len(population)``.
    """
    model = _model(model)
    cells = model.population.cells
    names = [c.question for c in cells]
    missing = [c for c in names if c not in population.columns]
    if missing:
        raise SurveyError(f"population frame lacks columns {missing}; pass the frame from simulate_population()")
    idx = pd.MultiIndex.from_product([c.codes for c in cells], names=names)
    counts = population.groupby(names).size().reindex(idx, fill_value=0)
    out = counts.rename("count").reset_index()
    if questionnaire is not None:
        for col in names:
            q = questionnaire[col]
            pos = out.columns.get_loc(col) + 1
            out.insert(pos, f"{col}_label", [q.label(int(c)) for c in out[col]])
    plan = getattr(model.questionnaire if questionnaire is None else questionnaire, "plan", None)
    rename = {r.question: r.column for r in plan.rake} if plan is not None else {}
    out = out.rename(columns={**rename, **{f"{k}_label": f"{v}_label" for k, v in rename.items()}})
    return out.astype({"count": np.int64})
