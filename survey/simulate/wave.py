"""One survey wave: mailed sample, non-response, delivery, truth.

``simulate_wave`` draws a simple random sample of the population (or, given
a mailing per district x age band cell, a stratified one), lets people answer with a probability that rises with age, turns the respondents'
answers into the contractor's delivery and injects the bundled list of
realistic defects.  ``write_wave`` writes the three bundled files;
``run_simulate`` is what ``survey simulate`` calls.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from survey.errors import SurveyError
from survey.simulate.answers import BASE_TARGETS, check_supported, simulate_answers
from survey.simulate.comments import draw_comments
from survey.simulate.defects import Defect, inject_defect
from survey.simulate.delivery import reported_attributes, to_delivery, write_delivery
from survey.simulate.population import make_rng, population_margins, simulate_population
from survey.simulate.truth import population_truth

__all__ = [
    "BUNDLED_DEFECTS",
    "BUNDLED_SEEDS",
    "DEFAULT_SHIFTS",
    "POPULATION_SEED",
    "SimulatedWave",
    "default_questionnaire_path",
    "run_simulate",
    "simulate_wave",
    "stratified_sample",
    "write_wave",
]

# Every wave samples the same register frame (see data/SIMULATION.md).
POPULATION_SEED = 2025
# Seeds of the bundled waves: the first seed from 2025 (2030) whose raked
# estimates lie within 0.005 / 0.5 of the wave's true values, skipping seeds
# already used by another wave (data/SIMULATION.md).
BUNDLED_SEEDS: Mapping[str, int] = {"FY2025": 2052, "FY2030": 2105}
# Changes of the population values against the FY2025 baselines, per wave:
# indicator ids add to the baseline, "response" multiplies response propensities.
DEFAULT_SHIFTS: Mapping[str, Mapping[str, float]] = {
    "FY2030": {"satisfaction_index": 0.01, "park_use": 1.0, "response": 0.95},
}
# Response propensity by age band; women x1.06, men x0.94, 内間木 x1.05.
RESPONSE_AGE = np.array([0.25, 0.33, 0.41, 0.49, 0.56, 0.60])
RESPONSE_SEX = np.array([0.94, 1.06])
RESPONSE_DISTRICT = np.array([1.05, 1.0, 1.0, 1.0, 1.0])
# (kind, question or None) injected into every simulated delivery, in this order.
BUNDLED_DEFECTS = (
    ("fullwidth_digits", "years_lived"), ("fullwidth_digits", "years_lived"),
    ("fullwidth_digits", "allocation"), ("fullwidth_digits", "allocation"),
    ("multi_over_limit", "activity"),
    ("allocation_total", None), ("allocation_total", None), ("allocation_total", None),
    ("duplicate_id", None),
    ("out_of_range_code", "satisfaction"),
    ("skip_violation", "park_reason"),
    ("personal_info", "comment"), ("personal_info", "comment"),
)
_SHIFT_KEYS = ("satisfaction_index", "park_use", "response")


@dataclass(frozen=True)
class SimulatedWave:
    """A simulated survey wave.

    Attributes
    ----------
    wave : str
        Fiscal-year label, e.g. ``"FY2025"``.
    seed : int
        Seed of the wave (answers, sample, response, reporting, defects).
    questionnaire : Questionnaire
    population : DataFrame
        The answered population (register attributes + every answer).
    mailed : DataFrame
        The mailed sample: ``person_id``, register attributes, ``responded``,
        ``respondent_id`` (empty string for non-respondents).
    respondents : DataFrame
        Clean tidy answers of the respondents, in delivery order (before the
        defects), attributes as reported.
    delivery : DataFrame
        The delivered text frame, defects included.
    truth : dict
        True population values and the wave's metadata (JSON-ready).
    margins : DataFrame
        Population counts by district x age band x sex.
    defects : tuple of Defect
    """

    wave: str
    seed: int
    questionnaire: Any
    population: pd.DataFrame = field(repr=False)
    mailed: pd.DataFrame = field(repr=False)
    respondents: pd.DataFrame = field(repr=False)
    delivery: pd.DataFrame = field(repr=False)
    truth: dict = field(repr=False)
    margins: pd.DataFrame = field(repr=False)
    defects: tuple[Defect, ...] = ()


def default_questionnaire_path() -> Path:
    """The bundled ``midori_2025.yaml`` (:func:`survey.bundled.bundled_path`)."""
    from survey.bundled import bundled_path

    return bundled_path()


def _targets(questionnaire, shift: Mapping[str, float]) -> dict:
    """Answer-model targets: indicator baselines of the questionnaire + shift."""
    targets = dict(BASE_TARGETS)
    for ind in questionnaire.indicators:
        if ind.get("question") in targets and ind.get("baseline") is not None:
            targets[ind["question"]] = float(ind["baseline"])
    by_indicator = {ind.get("id"): ind.get("question") for ind in questionnaire.indicators}
    for key, delta in shift.items():
        if key == "response":
            continue
        question = by_indicator.get(key, "satisfaction" if key == "satisfaction_index" else key)
        targets[question] = targets[question] + float(delta)
    return {k: round(v, 10) for k, v in targets.items()}


def _check_shift(shift) -> dict:
    shift = dict(shift or {})
    unknown = sorted(set(shift) - set(_SHIFT_KEYS))
    if unknown:
        raise SurveyError(f"unknown shift keys {unknown}; use {list(_SHIFT_KEYS)}, e.g. "
                          "{'satisfaction_index': 0.01, 'park_use': 1.0, 'response': 0.95}")
    if "response" in shift and not 0 < float(shift["response"]) <= 1.6:
        raise SurveyError(f"shift['response'] multiplies response propensities and must be in (0, 1.6], "
                          f"got {shift['response']!r}")
    return shift


def _mailing_counts(mailing) -> pd.Series:
    """Questionnaires mailed per ``(district, age_band)`` cell of a mailing frame."""
    if not isinstance(mailing, pd.DataFrame) or not {"district", "age_band", "mailed"} <= set(mailing.columns):
        raise SurveyError("mailing must be a DataFrame with columns district, age_band, mailed "
                          "(e.g. pd.read_csv('reports/FY2025-plan/mailing.csv', encoding='utf-8-sig'))")
    counts = mailing.groupby(["district", "age_band"])["mailed"].sum()
    bad = [key for key, m in counts.items() if not (np.isfinite(m) and float(m).is_integer() and m >= 0)]
    if bad:
        raise SurveyError(f"mailing: mailed must be whole numbers >= 0; cell (district, age_band) {bad[0]} has "
                          f"{counts[bad[0]]!r}")
    return counts.astype(np.int64)


def stratified_sample(population: pd.DataFrame, mailing: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Positions (sorted) in ``population`` of a stratified simple random
    sample: ``mailed`` people drawn without replacement in every district x
    age band cell of ``mailing`` (columns ``district, age_band, mailed``),
    cells in code order."""
    counts = _mailing_counts(mailing)
    cells = population.reset_index(drop=True).groupby(["district", "age_band"]).indices
    picked = []
    for (district, age_band), m in counts.items():
        idx = cells.get((int(district), int(age_band)), np.array([], dtype=np.int64))
        if m > len(idx):
            raise SurveyError(f"mailing: {m} mailed in district {district}, age_band {age_band}, "
                              f"which has {len(idx)} people")
        if m > 0:
            picked.append(rng.choice(idx, size=int(m), replace=False))
    return np.sort(np.concatenate(picked))


def simulate_wave(questionnaire, *, seed: int, mailed: int | None = None, population: pd.DataFrame | None = None,
                  wave: str = "FY2025", shift: Mapping[str, float] | None = None,
                  mailing: pd.DataFrame | None = None) -> SimulatedWave:
    """Simulate one mailed survey wave with known population values.

    Parameters
    ----------
    questionnaire : Questionnaire
        ``load_questionnaire("questionnaires/midori_2025.yaml")``.
    seed : int
        Seed of ``Generator(PCG64(seed))``; same seed, identical wave.
    mailed : int, default 3000
        Questionnaires mailed (simple random sample without replacement).
        With ``mailing`` it may be left out (it is the mailing's total).
    population : DataFrame, optional
        From :func:`simulate_population`; default the register frame of
        seed :data:`POPULATION_SEED` (120,000 adults).
    wave : str, default "FY2025"
    shift : mapping, optional
        Changes against the FY2025 baselines: ``satisfaction_index`` and
        ``park_use`` (added to the calibration targets), ``response``
        (multiplies response propensities).  Default
        ``DEFAULT_SHIFTS.get(wave, {})``; pass ``{}`` for none.
    mailing : DataFrame, optional
        ``district, age_band, mailed``: mail a stratified simple random
        sample (without replacement) of ``mailed`` people in every cell
        instead of a simple random sample -- e.g. the ``mailing.csv`` that
        ``survey plan`` writes.  ``truth["fielding"]["mailing"]`` records it.

    Returns
    -------
    SimulatedWave
    """
    check_supported(questionnaire)
    q = questionnaire
    shift = _check_shift(DEFAULT_SHIFTS.get(wave, {}) if shift is None else shift)
    if population is None:
        population = simulate_population(seed=POPULATION_SEED)
    n_pop = len(population)
    counts = None if mailing is None else _mailing_counts(mailing)
    if counts is not None:
        if mailed is not None and mailed != int(counts.sum()):
            raise SurveyError(f"mailed={mailed!r} differs from the mailing's total {int(counts.sum())}; "
                              "leave mailed out")
        mailed = int(counts.sum())
    elif mailed is None:
        mailed = 3000
    if not isinstance(mailed, (int, np.integer)) or not 50 <= mailed <= n_pop:
        raise SurveyError(f"mailed must be an integer between 50 and the population size {n_pop}, got {mailed!r}")
    root = make_rng(seed)
    s_answers, s_sample, s_response, s_report, s_defects = root.spawn(5)
    targets = _targets(q, shift)
    answered, intercepts = simulate_answers(population.reset_index(drop=True), q, rng=s_answers, targets=targets)

    if mailing is None:
        picked = np.sort(s_sample.choice(n_pop, size=int(mailed), replace=False))
    else:
        picked = stratified_sample(population, mailing, s_sample)
    sample = answered.iloc[picked].reset_index(drop=True)
    a, sx, d = (sample[c].to_numpy() - 1 for c in ("age_band", "sex", "district"))
    propensity = RESPONSE_AGE[a] * RESPONSE_SEX[sx] * RESPONSE_DISTRICT[d] * float(shift.get("response", 1.0))
    responded = s_response.random(len(sample)) < np.minimum(propensity, 1.0)
    returned = np.flatnonzero(responded)[s_response.permutation(int(responded.sum()))]  # order of return
    width = max(4, len(str(len(returned))))
    ids = np.full(len(sample), "", dtype=object)
    ids[returned] = [f"{i:0{width}d}" for i in range(1, len(returned) + 1)]
    mailed_frame = sample[["person_id", "sex", "age_band", "district", "children"]].assign(
        responded=responded, respondent_id=ids)

    resp = sample.iloc[returned].reset_index(drop=True)
    reported = reported_attributes(resp, q, s_report)
    tidy = resp.assign(**reported)
    tidy[q.respondent_id] = ids[returned]
    tidy[q["comment"].id] = draw_comments(s_report, len(tidy))
    respondents = tidy[list(q.columns)]
    delivery = to_delivery(respondents, q)

    defects = []
    for kind, column in BUNDLED_DEFECTS:
        delivery, defect = inject_defect(delivery, kind, questionnaire=q, seed=s_defects, column=column,
                                         exclude={x.row for x in defects})
        defects.append(defect)

    truth = {
        "wave": wave,
        "seed": int(seed),
        "questionnaire": {"id": q.id, "version": q.version, "sha256": q.sha256},
        "shift": shift,
        "calibration": {"targets": targets, "intercepts": {k: round(v, 10) for k, v in intercepts.items()}},
        "indicators": {},
        **population_truth(answered, q),
        "fielding": {
            "mailed": int(mailed),
            "returned": len(returned),
            "response_rate": round(len(returned) / int(mailed), 10),
            "returned_by_age_band": {str(k): int(((a + 1 == k) & responded).sum()) for k in range(1, 7)},
            "mailed_by_age_band": {str(k): int((a + 1 == k).sum()) for k in range(1, 7)},
        },
        "defects": [x.to_dict() for x in defects],
    }
    if counts is not None:
        truth["fielding"]["mailing"] = [{"district": int(d), "age_band": int(g), "mailed": int(m)}
                                        for (d, g), m in counts.items()]
    for ind in q.indicators:
        key = {"satisfaction": "satisfaction_index", "park_use": "park_use"}.get(ind.get("question"))
        if key:
            truth["indicators"][ind["id"]] = truth[key]["overall"]
    return SimulatedWave(
        wave=wave, seed=int(seed), questionnaire=q, population=answered, mailed=mailed_frame,
        respondents=respondents, delivery=delivery, truth=truth,
        margins=population_margins(population, q), defects=tuple(defects),
    )


def _year(wave: str) -> str:
    digits = re.findall(r"\d{4}", wave)
    if not digits:
        raise SurveyError(f"wave {wave!r} holds no four-digit year; use a label like 'FY2025'")
    return digits[0]


def write_wave(wave: SimulatedWave, out_dir, *, name: str | None = None, force: bool = False) -> dict[str, Path]:
    """Write a wave's delivery, margins and truth.

    An existing delivery (``raw/<name>_sample.csv``) is a raw file, which is
    never overwritten unless ``force=True``: the call then stops before
    writing anything.  The margins and truth files are rewritten.

    Files (``name`` defaults to ``<questionnaire id>_<year>``):

    * ``<out_dir>/raw/<name>_sample.csv``: the delivery, CP932, CRLF;
    * ``<out_dir>/<questionnaire id>_margins.csv``: UTF-8, LF;
    * ``<out_dir>/<name>_truth.json``: UTF-8, LF, 1-space indent.

    Returns
    -------
    dict
        ``{"delivery": path, "margins": path, "truth": path}``.
    """
    q = wave.questionnaire
    name = name or f"{q.id}_{_year(wave.wave)}"
    out = Path(out_dir)
    paths = {
        "delivery": out / "raw" / f"{name}_sample.csv",
        "margins": out / f"{q.id}_margins.csv",
        "truth": out / f"{name}_truth.json",
    }
    _refuse_overwrite(paths["delivery"], force)
    write_delivery(wave.delivery, paths["delivery"])
    paths["margins"].write_bytes(wave.margins.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    text = json.dumps(wave.truth, ensure_ascii=False, indent=1) + "\n"
    paths["truth"].write_bytes(text.encode("utf-8"))
    return paths


def _refuse_overwrite(delivery: Path, force: bool) -> None:
    if delivery.exists() and not force:
        raise SurveyError(f"[file {delivery}] a raw delivery already exists there and is never overwritten; "
                          "pass --force (force=True) to replace it, or write to another folder with --out")


def run_simulate(out_dir, *, seed: int | None = None, wave: str = "FY2025", questionnaire_path=None,
                 mailed: int = 3000, force: bool = False) -> dict[str, Path]:
    """Simulate a wave and write its files (what ``survey simulate`` runs).

    Parameters
    ----------
    out_dir : path-like
        Receives ``raw/<id>_<year>_sample.csv``, ``<id>_margins.csv`` and
        ``<id>_<year>_truth.json`` (see :func:`write_wave`).
    seed : int, optional
        Default :data:`BUNDLED_SEEDS` of the wave, so that
        ``run_simulate("data")`` and ``run_simulate("data", wave="FY2030")``
        rewrite the bundled files byte for byte.
    wave : str, default "FY2025"
    questionnaire_path : path-like, optional
        Default ``questionnaires/midori_2025.yaml`` of the source tree.
    mailed : int, default 3000
    force : bool, default False
        Replace an existing raw delivery (otherwise a SurveyError, raised
        before anything is simulated or written).

    Returns
    -------
    dict
        ``{"delivery": path, "margins": path, "truth": path}``.
    """
    from survey.questionnaire import load_questionnaire

    if seed is None:
        if wave not in BUNDLED_SEEDS:
            raise SurveyError(f"no bundled seed for wave {wave!r} (known: {sorted(BUNDLED_SEEDS)}); pass seed=")
        seed = BUNDLED_SEEDS[wave]
    q = load_questionnaire(questionnaire_path or default_questionnaire_path())
    _refuse_overwrite(Path(out_dir) / "raw" / f"{q.id}_{_year(wave)}_sample.csv", force)  # before the work
    return write_wave(simulate_wave(q, seed=seed, mailed=mailed, wave=wave), out_dir, force=force)
