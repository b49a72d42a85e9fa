"""Mailing and non-response: who gets a questionnaire and who sends it back.

A wave mails a simple random sample of the register, or (given a mailing per
cell, e.g. the ``mailing.csv`` of ``survey plan``) a stratified one: exactly
``mailed`` people drawn without replacement in every cell of the
questionnaire's plan (``analysis.weighting.cells``).  Each mailed person
answers with the model's response propensity (``fielding.response``: the
product of its rates, e.g. by age band, sex and district).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import SurveyError
from survey.simulate.model import rate

__all__ = ["mailing_cells", "mailing_counts", "response_propensity", "stratified_sample"]


def _model(model):
    if model is None:
        from survey.simulate.model_parse import bundled_model

        return bundled_model()
    return model


def mailing_cells(model=None) -> tuple[str, ...]:
    """The cells of a mailing: the plan's ``weighting.cells`` of the model's questionnaire."""
    model = _model(model)
    plan = getattr(model.questionnaire, "plan", None)
    if plan is None or not plan.cells:
        raise SurveyError(f"questionnaire {model.questionnaire.id} declares no mailing cells "
                          "(analysis.weighting.cells); add them to mail per cell")
    return tuple(plan.cells)


def mailing_counts(mailing, cells) -> pd.Series:
    """Questionnaires mailed per cell of a mailing frame (columns ``cells`` and ``mailed``)."""
    cells = list(cells)
    if not isinstance(mailing, pd.DataFrame) or not {*cells, "mailed"} <= set(mailing.columns):
        raise SurveyError(f"mailing must be a DataFrame with columns {', '.join(cells)}, mailed "
                          "(e.g. pd.read_csv('reports/FY2025-plan/mailing.csv', encoding='utf-8-sig'))")
    counts = mailing.groupby(cells)["mailed"].sum()
    bad = [key for key, m in counts.items() if not (np.isfinite(m) and float(m).is_integer() and m >= 0)]
    if bad:
        raise SurveyError(f"mailing: mailed must be whole numbers >= 0; cell ({', '.join(cells)}) {bad[0]} has "
                          f"{counts[bad[0]]!r}")
    return counts.astype(np.int64)


def stratified_sample(population: pd.DataFrame, mailing: pd.DataFrame, rng: np.random.Generator, *,
                      cells=None) -> np.ndarray:
    """Positions (sorted) in ``population`` of a stratified simple random
    sample: ``mailed`` people drawn without replacement in every cell of
    ``mailing`` (columns ``cells``, default :func:`mailing_cells` of the bundled
    model -- district, age_band -- and ``mailed``), cells in code order."""
    cells = mailing_cells() if cells is None else tuple(cells)
    counts = mailing_counts(mailing, cells)
    def codes(key) -> tuple[int, ...]:
        return tuple(int(k) for k in (key if isinstance(key, tuple) else (key,)))

    groups = {codes(k): v for k, v in population.reset_index(drop=True).groupby(list(cells)).indices.items()}
    picked = []
    for key, m in counts.items():
        key = codes(key)
        idx = groups.get(key, np.array([], dtype=np.int64))
        if m > len(idx):
            where = ", ".join(f"{c} {k}" for c, k in zip(cells, key))
            raise SurveyError(f"mailing: {m} mailed in {where}, which has {len(idx)} people")
        if m > 0:
            picked.append(rng.choice(idx, size=int(m), replace=False))
    return np.sort(np.concatenate(picked))


def response_propensity(people: pd.DataFrame, model=None) -> np.ndarray:
    """The model's response probability of every person of ``people`` (before any
    wave shift; may exceed 1 where the rates multiply up)."""
    model = _model(model)
    out = None
    for r in model.fielding.response:
        value = rate(r, people)
        out = value if out is None else out * value
    return out
