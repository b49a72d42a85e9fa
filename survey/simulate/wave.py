"""One survey wave: mailed sample, non-response, delivery, truth.

``simulate_wave`` answers the whole population (the model's ``answers:``), draws
a simple random sample of it (or, given a mailing per cell of the plan, a
stratified one), lets people respond with the model's propensity, turns the
respondents' answers into the contractor's delivery (what they write: the
model's ``reporting:``) and injects the model's list of realistic defects.
``write_wave`` writes the three files (delivery, margins, truth);
``run_simulate`` is what ``survey simulate`` calls.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from survey.errors import SurveyError
from survey.simulate.answers import simulate_answers
from survey.simulate.comments import text_answers
from survey.simulate.defects import Defect, inject_defect
from survey.simulate.delivery import reported_attributes, to_delivery, write_delivery
from survey.simulate.model import Binary, Ordinal
from survey.simulate.model_parse import bundled_model, load_model, model_for
from survey.simulate.population import make_rng, population_margins, simulate_population
from survey.simulate.sampling import mailing_cells, mailing_counts, response_propensity, stratified_sample
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
    "write_wave",
]


def __getattr__(name: str):
    """The bundled model's waves, defects and population seed (read on first use):
    ``BUNDLED_SEEDS`` {wave: seed}, ``DEFAULT_SHIFTS`` {wave: shift},
    ``BUNDLED_DEFECTS`` ((kind, question), ...), ``POPULATION_SEED``."""
    if name not in ("BUNDLED_SEEDS", "DEFAULT_SHIFTS", "BUNDLED_DEFECTS", "POPULATION_SEED"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    model = bundled_model()
    return {
        "BUNDLED_SEEDS": MappingProxyType({w: v.seed for w, v in model.waves.items()}),
        "DEFAULT_SHIFTS": MappingProxyType({w: v.shift for w, v in model.waves.items() if v.shift}),
        "BUNDLED_DEFECTS": model.defects,
        "POPULATION_SEED": model.population.seed,
    }[name]


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
    model : SimulationModel
        The model the wave was simulated with.
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
    model: Any = field(default=None, repr=False)


def default_questionnaire_path() -> Path:
    """The bundled ``midori_2025.yaml`` (:func:`survey.bundled.bundled_path`)."""
    from survey.bundled import bundled_path

    return bundled_path()


def _targets(model, shift: Mapping[str, float]) -> dict:
    """Calibration targets by question: the indicator baselines + the wave's shift."""
    targets = dict(model.targets)
    question = {m.calibrate: m.question for m in model.answers if isinstance(m, Ordinal) and m.calibrate}
    for key, delta in shift.items():
        if key != "response":
            targets[question[key]] = targets[question[key]] + float(delta)
    return {k: round(v, 10) for k, v in targets.items()}


def _check_shift(model, shift) -> dict:
    shift = dict(shift or {})
    unknown = sorted(set(shift) - set(model.shift_keys))
    if unknown:
        raise SurveyError(f"unknown shift keys {unknown}; use {list(model.shift_keys)}: a change of a calibrated "
                          "indicator's population value, or response (multiplies response propensities), e.g. "
                          "{'response': 0.95}")
    if "response" in shift and not 0 < float(shift["response"]) <= 1.6:
        raise SurveyError(f"shift['response'] multiplies response propensities and must be in (0, 1.6], "
                          f"got {shift['response']!r}")
    return shift


def _levels(model, column) -> tuple[int, ...]:
    """The codes a register column takes."""
    for cell in model.population.cells:
        if cell.question == column:
            return cell.codes
    return next(tuple(sorted(p.codes)) for p in model.population.persons
                if isinstance(p, Binary) and p.column == column)


def simulate_wave(questionnaire, *, seed: int, mailed: int | None = None, population: pd.DataFrame | None = None,
                  wave: str | None = None, shift: Mapping[str, float] | None = None,
                  mailing: pd.DataFrame | None = None, model=None) -> SimulatedWave:
    """Simulate one mailed survey wave with known population values.

    Parameters
    ----------
    questionnaire : Questionnaire
        ``load_questionnaire("questionnaires/midori_2025.yaml")``.
    seed : int
        Seed of ``Generator(PCG64(seed))``; same seed, identical wave.
    mailed : int, optional
        Questionnaires mailed (simple random sample without replacement);
        default the model's ``fielding.mailed``, else the questionnaire's
        (3000).  With ``mailing`` it may be left out (it is the mailing's total).
    population : DataFrame, optional
        From :func:`simulate_population`; default the register frame of the
        model's ``population.seed`` (bundled: 120,000 adults, seed 2025).
    wave : str, optional
        Default the questionnaire's ``wave`` (midori: ``"FY2025"``).
    shift : mapping, optional
        Changes against the baselines: a calibrated indicator's id
        (``satisfaction_index``, ``park_use``: added to its calibration target)
        and ``response`` (multiplies response propensities).  Default the
        model's ``waves.<wave>.shift``; pass ``{}`` for none.
    mailing : DataFrame, optional
        The cells of the questionnaire's plan (``district, age_band``) and
        ``mailed``: mail a stratified simple random sample (without
        replacement) of ``mailed`` people in every cell instead of a simple
        random sample -- e.g. the ``mailing.csv`` that ``survey plan``
        writes.  ``truth["fielding"]["mailing"]`` records it.
    model : SimulationModel or path, optional
        Default the model beside the questionnaire (``midori_2025_simulation.yaml``).

    Returns
    -------
    SimulatedWave
    """
    model = model_for(questionnaire, model)
    q = questionnaire
    wave = wave or q.wave or "FY2025"
    default = model.waves[wave].shift if wave in model.waves else {}
    shift = _check_shift(model, default if shift is None else shift)
    if population is None:
        population = simulate_population(seed=model.population.seed, model=model)
    n_pop = len(population)
    cells = None if mailing is None else mailing_cells(model)
    counts = None if mailing is None else mailing_counts(mailing, cells)
    if counts is not None:
        if mailed is not None and mailed != int(counts.sum()):
            raise SurveyError(f"mailed={mailed!r} differs from the mailing's total {int(counts.sum())}; "
                              "leave mailed out")
        mailed = int(counts.sum())
    elif mailed is None:
        mailed = model.fielding.mailed or q.fielding.get("mailed")
        if mailed is None:
            raise SurveyError(f"how many were mailed? questionnaire {q.id} has no fielding.mailed and the model no "
                              "fielding.mailed; pass mailed=")
    if not isinstance(mailed, (int, np.integer)) or not 50 <= mailed <= n_pop:
        raise SurveyError(f"mailed must be an integer between 50 and the population size {n_pop}, got {mailed!r}")
    root = make_rng(seed)
    s_answers, s_sample, s_response, s_report, s_defects = root.spawn(5)
    targets = _targets(model, shift)
    answered, intercepts = simulate_answers(population.reset_index(drop=True), q, rng=s_answers, targets=targets,
                                            model=model)

    if mailing is None:
        picked = np.sort(s_sample.choice(n_pop, size=int(mailed), replace=False))
    else:
        picked = stratified_sample(population, mailing, s_sample, cells=cells)
    sample = answered.iloc[picked].reset_index(drop=True)
    propensity = response_propensity(sample, model) * float(shift.get("response", 1.0))
    responded = s_response.random(len(sample)) < np.minimum(propensity, 1.0)
    returned = np.flatnonzero(responded)[s_response.permutation(int(responded.sum()))]  # order of return
    width = max(4, len(str(len(returned))))
    ids = np.full(len(sample), "", dtype=object)
    ids[returned] = [f"{i:0{width}d}" for i in range(1, len(returned) + 1)]
    register = [c for c in model.population.columns if c in q and q[c].codes]
    mailed_frame = sample[["person_id", *register]].assign(responded=responded, respondent_id=ids)

    resp = sample.iloc[returned].reset_index(drop=True)
    tidy = resp.assign(**reported_attributes(resp, q, s_report, model=model))
    tidy[q.respondent_id] = ids[returned]
    for column, text in text_answers(model, s_report, len(tidy)).items():
        tidy[column] = text
    respondents = tidy[list(q.columns)]
    delivery = to_delivery(respondents, q)

    defects = []
    for kind, column in model.defects:
        delivery, defect = inject_defect(delivery, kind, questionnaire=q, seed=s_defects, column=column,
                                         exclude={x.row for x in defects})
        defects.append(defect)

    by = model.fielding.report_by
    groups, levels = sample[by].to_numpy(), _levels(model, by)
    truth = {
        "wave": wave,
        "seed": int(seed),
        "questionnaire": {"id": q.id, "version": q.version, "sha256": q.sha256},
        "shift": shift,
        "calibration": {"targets": targets, "intercepts": {k: round(v, 10) for k, v in intercepts.items()}},
        "indicators": {},
        **population_truth(answered, q, model=model),
        "fielding": {
            "mailed": int(mailed),
            "returned": len(returned),
            "response_rate": round(len(returned) / int(mailed), 10),
            f"returned_by_{by}": {str(k): int(((groups == k) & responded).sum()) for k in levels},
            f"mailed_by_{by}": {str(k): int((groups == k).sum()) for k in levels},
        },
        "defects": [x.to_dict() for x in defects],
    }
    if counts is not None:
        truth["fielding"]["mailing"] = [{**{c: int(k) for c, k in zip(cells, key if isinstance(key, tuple) else
                                                                      (key,))}, "mailed": int(m)}
                                        for key, m in counts.items()]
    for ind in q.indicators:
        value = next((tv.key for tv in model.truth if tv.question == ind.get("question")
                      and tv.statistic == ind.get("statistic")), None)
        if value:
            truth["indicators"][ind["id"]] = truth[value]["overall"]
    return SimulatedWave(
        wave=wave, seed=int(seed), questionnaire=q, population=answered, mailed=mailed_frame,
        respondents=respondents, delivery=delivery, truth=truth,
        margins=population_margins(population, q, model=model), defects=tuple(defects), model=model,
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
    * ``<out_dir>/<questionnaire id>_margins.csv`` (or the model's
      ``margins_file``): UTF-8, LF;
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
        "margins": out / (getattr(wave.model, "margins_file", None) or f"{q.id}_margins.csv"),
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


def run_simulate(out_dir, *, seed: int | None = None, wave: str | None = None, questionnaire_path=None,
                 model_path=None, mailed: int | None = None, force: bool = False) -> dict[str, Path]:
    """Simulate a wave and write its files (what ``survey simulate`` runs).

    Parameters
    ----------
    out_dir : path-like
        Receives ``raw/<id>_<year>_sample.csv``, ``<id>_margins.csv`` (or the
        model's ``margins_file``) and
        ``<id>_<year>_truth.json`` (see :func:`write_wave`).
    seed : int, optional
        Default the model's seed of the wave (``waves:``), so that
        ``run_simulate("data")`` and ``run_simulate("data", wave="FY2030")``
        rewrite the bundled files byte for byte.
    wave : str, optional
        Default the questionnaire's ``wave`` (midori: ``"FY2025"``, kawabe: ``"FY2026"``).
    questionnaire_path : path-like, optional
        Default the questionnaire the model names, else the bundled
        ``midori_2025.yaml``.
    model_path : path-like, optional
        The simulation model; default ``<questionnaire>_simulation.yaml``
        beside the questionnaire.
    mailed : int, optional
        Default the model's or the questionnaire's ``fielding.mailed``.
    force : bool, default False
        Replace an existing raw delivery (otherwise a SurveyError, raised
        before anything is simulated or written).

    Returns
    -------
    dict
        ``{"delivery": path, "margins": path, "truth": path}``.
    """
    from survey.questionnaire import load_questionnaire

    if questionnaire_path is None and model_path is not None:
        model = load_model(model_path)
        q = model.questionnaire
    else:
        q = load_questionnaire(questionnaire_path or default_questionnaire_path())
        model = model_for(q, model_path)
    wave = wave or q.wave or "FY2025"
    if seed is None:
        if wave not in model.waves:
            raise SurveyError(f"no bundled seed for wave {wave!r} (known: {sorted(model.waves)}); pass --seed (seed=) "
                              "or add the wave under waves: in the model")
        seed = model.waves[wave].seed
    _refuse_overwrite(Path(out_dir) / "raw" / f"{q.id}_{_year(wave)}_sample.csv", force)  # before the work
    return write_wave(simulate_wave(q, seed=seed, mailed=mailed, wave=wave, model=model), out_dir, force=force)
