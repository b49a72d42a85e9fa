"""A synthetic adult population of Asaka City (the sampling frame).

The population stands in for the resident register (住民基本台帳): every
person has a register sex (1 男性 / 2 女性 -- binary, as in the register),
an age and age band (6 bands), a district (5 districts), whether a child
under 18 lives in the household, and years lived in the city.  The
assumptions behind every number are written down in ``data/SIMULATION.md``.

Column names are the questionnaire's tidy names (``sex``, ``age_band``,
``district``, ``children``, ``years_lived``) so that answers and truths can
be joined without renaming.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import SurveyError

__all__ = [
    "AGE_SHARES",
    "DISTRICT_SHARES",
    "draw_people",
    "make_rng",
    "population_margins",
    "simulate_population",
]

# 1 内間木 (small riverside farming area), 2 北部, 3 東部, 4 西部, 5 南部.
DISTRICT_SHARES = np.array([0.015, 0.215, 0.245, 0.235, 0.290])
# Adults by age band (18-29, 30-39, 40-49, 50-59, 60-69, 70+): a young commuter city.
AGE_SHARES = np.array([0.175, 0.160, 0.180, 0.175, 0.115, 0.195])
# District tilts of the age distribution (内間木 older, 南部 near the stations younger).
_AGE_TILT = np.array([
    [0.70, 0.70, 0.90, 1.00, 1.30, 1.50],
    [0.95, 0.95, 1.00, 1.00, 1.05, 1.10],
    [1.05, 1.05, 1.00, 1.00, 0.95, 0.95],
    [0.95, 1.00, 1.00, 1.05, 1.00, 1.00],
    [1.20, 1.15, 1.05, 0.95, 0.90, 0.85],
])
# Share of men by age band (women outlive men).
_MALE_SHARE = np.array([0.52, 0.52, 0.51, 0.51, 0.49, 0.44])
# Probability that a child under 18 lives in the household, by age band.
_CHILDREN = np.array([0.10, 0.50, 0.60, 0.30, 0.06, 0.02])
# Probability of having lived in Asaka since childhood, by age band.
_NATIVE = np.array([0.30, 0.15, 0.12, 0.12, 0.10, 0.08])
_BAND_LOW = np.array([18, 30, 40, 50, 60, 70])


def make_rng(seed) -> np.random.Generator:
    """``numpy.random.Generator(PCG64(seed))``; a Generator is passed through."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SurveyError(f"seed must be a non-negative integer, got {seed!r}; pass e.g. seed=2025")
    return np.random.Generator(np.random.PCG64(int(seed)))


def _cell_probabilities() -> np.ndarray:
    """P(district, age band, sex) as a (5, 6, 2) array summing to 1."""
    age = AGE_SHARES * _AGE_TILT
    age = age / age.sum(axis=1, keepdims=True)
    joint = DISTRICT_SHARES[:, None] * age
    sex = np.stack([_MALE_SHARE, 1.0 - _MALE_SHARE], axis=-1)
    return joint[:, :, None] * sex[None, :, :]


def _attributes(rng: np.random.Generator, district, age_band, sex) -> pd.DataFrame:
    n = len(district)
    a = age_band - 1
    offset = rng.integers(0, 10, size=n)                              # 18-29 has 12 years
    offset = np.where(a == 0, rng.integers(0, 12, size=n), offset)
    old = np.minimum(rng.exponential(8.0, size=n).astype(np.int64), 29)  # 70-99
    age = _BAND_LOW[a] + np.where(a == 5, old, offset)
    children = np.where(rng.random(n) < _CHILDREN[a], 1, 2)
    native = rng.random(n) < _NATIVE[a]
    moved = np.floor(rng.random(n) ** 1.6 * (age - 15)).astype(np.int64)
    years = np.where(native, age - rng.integers(0, 6, size=n), moved)
    years = np.clip(years, 0, age)
    return pd.DataFrame({
        "sex": sex.astype(np.int64), "age_band": age_band.astype(np.int64), "age": age.astype(np.int64),
        "district": district.astype(np.int64), "children": children.astype(np.int64),
        "years_lived": years.astype(np.int64),
    })


def simulate_population(*, seed: int, size: int = 120_000) -> pd.DataFrame:
    """Simulate the adult (18+) population of Asaka City.

    Cell counts (district x age band x sex) are one multinomial draw, so the
    frame has exactly ``size`` rows; persons are then put in random order and
    numbered ``person_id`` 1..size.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.Generator(PCG64(seed))``; same seed, same frame.
    size : int, default 120_000
        Number of adults.

    Returns
    -------
    pandas.DataFrame
        Columns ``person_id, sex, age_band, age, district, children,
        years_lived`` (integer codes of the questionnaire).
    """
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 100:
        raise SurveyError(f"size must be an integer of at least 100 adults, got {size!r}")
    rng = make_rng(seed)
    p = _cell_probabilities().ravel()
    counts = rng.multinomial(int(size), p)
    cells = np.repeat(np.arange(p.size), counts)
    cells = rng.permutation(cells)
    district, age_band, sex = np.unravel_index(cells, (5, 6, 2))
    frame = _attributes(rng, district + 1, age_band + 1, sex + 1)
    frame.insert(0, "person_id", np.arange(1, size + 1, dtype=np.int64))
    return frame


def draw_people(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """``n`` independent adults from the same cell distribution (no finite
    population); used for large benchmark deliveries."""
    p = _cell_probabilities().ravel()
    cells = rng.choice(p.size, size=n, p=p)
    district, age_band, sex = np.unravel_index(cells, (5, 6, 2))
    return _attributes(rng, district + 1, age_band + 1, sex + 1)


def population_margins(population: pd.DataFrame, questionnaire=None) -> pd.DataFrame:
    """Population counts by district x age band x sex (all 60 cells).

    With a questionnaire, ``*_label`` columns carry the Japanese labels.
    The counts sum to ``len(population)``.
    """
    missing = [c for c in ("district", "age_band", "sex") if c not in population.columns]
    if missing:
        raise SurveyError(f"population frame lacks columns {missing}; pass the frame from simulate_population()")
    idx = pd.MultiIndex.from_product([range(1, 6), range(1, 7), range(1, 3)], names=["district", "age_band", "sex"])
    counts = population.groupby(["district", "age_band", "sex"]).size().reindex(idx, fill_value=0)
    out = counts.rename("count").reset_index()
    if questionnaire is not None:
        for col in ("district", "age_band", "sex"):
            q = questionnaire[col]
            pos = out.columns.get_loc(col) + 1
            out.insert(pos, f"{col}_label", [q.label(int(c)) for c in out[col]])
    return out.astype({"count": np.int64})
