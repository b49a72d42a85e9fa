"""The answer model: what every person of the population would answer.

Each person gets a complete set of tidy answers (integer codes, including the
questionnaire's missing codes and skips) so that the true population values are
plain means over the population frame.  The model file's ``answers:`` section
gives one answer model per question (see :mod:`survey.simulate.model_answers`);
question ids, codes, scores and columns come from the questionnaire.  A
question with ``asked_if`` is left blank where its conditions do not hold.

An ordinal question may be *calibrated*: its latent intercept is found by
bisection with the random draws held fixed, so that the realised population
value (score or numeric mean) hits its indicator's baseline (plus any wave
shift) to within a few ten-thousandths.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.intake.skip_logic import condition_mask
from survey.simulate.choices import allocation_answers, multi_answers, ranking_answers
from survey.simulate.model import (
    Categorical,
    Dirichlet,
    Ordinal,
    PlackettLuce,
    categorical,
    int_codes,
    latent,
    mask,
    rate,
)

__all__ = ["simulate_answers"]


def _floats(values) -> np.ndarray:
    return pd.array(values, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)


def _bisect(fn, target, lo=-4.0, hi=4.0, steps=40) -> float:
    """Smallest-error intercept of a non-decreasing step function."""
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if fn(mid) < target:
            lo = mid
        else:
            hi = mid
    return lo if abs(fn(lo) - target) <= abs(fn(hi) - target) else hi


def _ordinal(m: Ordinal, q, people, rng, target, intercept):
    n = len(people)
    items = len(q.items) if q.items else None
    z = latent(m.latent, people, rng, items=items)
    dont_know = rng.random(n) < rate(m.dont_know, people) if m.dont_know is not None else None
    straight = line = None
    if m.straightlining is not None:
        s = m.straightlining
        straight = rng.random(n) < rate(s.rate, people)
        line = np.asarray(s.codes)[categorical(rng, np.tile(np.asarray(s.probs), (n, 1)))]
    item_na = rng.random((n, items)) < rate(m.item_no_answer, people) if m.item_no_answer is not None else None
    no_answer = rng.random(n) < rate(m.no_answer, people) if m.no_answer is not None else None
    ranks = dict(q.scores if m.order == "scores" else q.numeric_map)
    ordered = sorted(ranks, key=lambda c: ranks[c])                   # lowest ... highest
    cuts = np.asarray(m.cuts)
    if m.calibrate:
        values = np.array([ranks[c] for c in ordered])
        valid = np.ones(n, dtype=bool)
        for drop in (dont_know, no_answer):
            if drop is not None:
                valid &= ~drop

        def mean(c):
            return values[np.digitize(z[valid] + c, cuts)].mean()

        if intercept is None:
            intercept = _bisect(mean, target)
        z = z + intercept
    codes = np.asarray(ordered)[np.digitize(z, cuts)]
    missing = min(q.missing) if q.missing else None
    if dont_know is not None:
        codes = np.where(dont_know, m.dont_know_code, codes)
    if straight is not None:
        codes = np.where(straight[:, None], line[:, None], codes)
    if item_na is not None:
        codes = np.where(item_na, missing, codes)
    if no_answer is not None:
        codes = np.where(no_answer[:, None] if items else no_answer, missing, codes)
    if items:
        return {item.column: codes[:, j] for j, item in enumerate(q.items)}, intercept
    return {q.id: codes}, intercept


def _categorical(m: Categorical, q, people, rng):
    n = len(people)
    probs = np.broadcast_to(np.asarray(m.probs), (n, len(m.probs)))
    for conditions, override in m.overrides:
        probs = np.where(mask(people, conditions)[:, None], np.asarray(override), probs)
    codes = np.asarray(list(q.codes))[categorical(rng, probs)]
    if m.no_answer is not None:
        codes = np.where(rng.random(n) < rate(m.no_answer, people), min(q.missing), codes)
    return {q.id: codes}


def simulate_answers(people: pd.DataFrame, questionnaire, *, rng, targets=None, intercepts=None, model=None):
    """Answer every question of the model for every person.

    Parameters
    ----------
    people : DataFrame
        The register columns of the model (bundled: ``sex, age_band, age,
        district, children, years_lived``).
    questionnaire : Questionnaire
        Ids, codes and scores are read from it.
    rng : numpy.random.Generator
        Source of all draws; one child stream is spawned per answered question.
    targets : mapping, optional
        ``{question id: population value}`` the calibrated intercepts hit on
        ``people`` (default the model's: the indicator baselines); ignored for
        a question whose intercept is given.
    intercepts : mapping, optional
        Fixed latent intercepts ``{question id: c}``.
    model : SimulationModel or path, optional
        Default the model beside the questionnaire (:func:`~survey.simulate.model_parse.model_for`).

    Returns
    -------
    (DataFrame, dict)
        ``people`` plus one tidy column per answer, and the intercepts used.
    """
    from survey.simulate.model_parse import model_for

    model = model_for(questionnaire, model)
    q = questionnaire
    targets = {**model.targets, **dict(targets or {})}
    intercepts = dict(intercepts or {})
    streams = rng.spawn(len(model.answers))
    cols: dict[str, object] = {}
    used = {}
    for m, stream in zip(model.answers, streams):
        question = q[m.question]
        if isinstance(m, Ordinal):
            out, c = _ordinal(m, question, people, stream, targets.get(m.question), intercepts.get(m.question))
            if m.calibrate:
                used[m.question] = float(c)
        elif isinstance(m, Categorical):
            out = _categorical(m, question, people, stream)
        elif isinstance(m, Dirichlet):
            out = allocation_answers(m, question, people, stream)
        elif isinstance(m, PlackettLuce):
            out = ranking_answers(m, question, people, stream)
        else:
            out = multi_answers(m, question, people, stream)
        na = None
        if question.asked_if:        # skipped: blank
            known = {**{c: people[c] for c in people.columns}, **cols}
            na = ~condition_mask(question.asked_if, {c.column: _floats(known[c.column]) for c in question.asked_if})
        for column, values in out.items():
            if isinstance(values, pd.arrays.IntegerArray):
                values = values.copy() if na is not None else values
                if na is not None:
                    values[na] = pd.NA
                cols[column] = values
            else:
                cols[column] = int_codes(values, na)
    return people.assign(**cols), used
