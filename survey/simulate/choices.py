"""Answer models of questions with several columns: allocations, rankings, multi-answers.

* ``dirichlet`` (allocation): Dirichlet shares of the total around the model's
  base shares (tilted per person), parts set to zero, some all-in-one answers,
  rounded by largest remainder to round units, so every answer adds up to the
  total exactly;
* ``plackett_luce`` (ranking): the top ``depth`` codes of utility + Gumbel noise
  (the Gumbel trick), some rankings cut short or left unanswered (the missing
  code in every slot);
* ``top_k`` (multi): k boxes (k drawn) by utility + Gumbel noise, or the
  exclusive code (特にない) alone.
"""
from __future__ import annotations

import numpy as np

from survey.simulate.model import categorical, int_codes, latent, rate

__all__ = ["allocation_answers", "multi_answers", "ranking_answers", "round_to_units"]


def _na(m, people, rng):
    return None if m.no_answer is None else rng.random(len(people)) < rate(m.no_answer, people)


def _tilted(base: np.ndarray, tilt, people, *, exp: bool) -> np.ndarray:
    """``base`` per person, each tilted column plus (or times exp of) its terms."""
    out = np.tile(base, (len(people), 1)) if not exp else np.ones((len(people), len(base)))
    for j, terms in tilt:
        t = latent(terms, people)
        if exp:
            out[:, j] = np.exp(t)
        else:
            out[:, j] += t
    return out


def round_to_units(shares: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding of each row to ``units`` (per row) whole units."""
    slots = units[:, None]
    raw = shares * slots
    base = np.floor(raw).astype(np.int64)
    short = (slots[:, 0] - base.sum(axis=1)).astype(np.int64)
    order = np.argsort(-(raw - base), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(shares.shape[1])[None, :], axis=1)
    return base + (rank < short[:, None])


def allocation_answers(m, q, people, rng) -> dict:
    """Amounts per part (NA for an unanswered question)."""
    n, k = len(people), len(q.items)
    total = int(q.total)
    alpha = np.asarray(m.shares) * _tilted(np.asarray(m.shares), m.tilt, people, exp=True)
    alpha = m.concentration * alpha / alpha.sum(axis=1, keepdims=True)
    shares = rng.gamma(alpha)
    top = np.argmax(shares, axis=1)
    keep = rng.random((n, k)) >= m.zero
    keep[np.arange(n), top] = True
    one = rng.random(n) < m.all_in_one
    keep[one] = False
    keep[one, top[one]] = True
    shares = np.where(keep, shares, 0.0)
    shares = shares / shares.sum(axis=1, keepdims=True)
    units = np.asarray(m.units)
    unit = units[categorical(rng, np.tile(np.asarray(m.unit_probs), (n, 1)))]
    amounts = round_to_units(shares, total // unit) * unit[:, None]
    na = _na(m, people, rng)
    return {item.column: int_codes(amounts[:, j], na) for j, item in enumerate(q.items)}


def ranking_answers(m, q, people, rng) -> dict:
    """Item codes per slot: blank after the last filled slot, the missing code in
    every slot of an unanswered ranking."""
    n, depth = len(people), int(q.depth)
    u = _tilted(np.asarray(m.utility), m.tilt, people, exp=False)
    u += rng.gumbel(size=u.shape)
    order = np.argsort(-u, axis=1, kind="stable")[:, :depth]
    codes = np.asarray(list(q.codes))[order]
    filled = categorical(rng, np.tile(np.asarray(m.filled), (n, 1)))       # 0 = unanswered
    out = {}
    for r, item in enumerate(q.items):
        col = np.where(filled == 0, min(q.missing), codes[:, r])
        out[item.column] = int_codes(col, (filled > 0) & (filled <= r))
    return out


def multi_answers(m, q, people, rng) -> dict:
    """0/1 per box (NA for an unanswered question)."""
    n = len(people)
    u = _tilted(np.asarray(m.utility), m.tilt, people, exp=False)
    u += rng.gumbel(size=u.shape)
    k = 1 + categorical(rng, np.tile(np.asarray(m.choices), (n, 1)))
    rank = np.argsort(np.argsort(-u, axis=1, kind="stable"), axis=1, kind="stable")
    ticks = (rank < k[:, None]).astype(np.int64)
    codes = [it.code for it in q.items]
    if m.exclusive_code is not None:
        alone = rng.random(n) < rate(m.exclusive_rate, people)
        ticks[alone] = 0
        ticks = np.insert(ticks, codes.index(m.exclusive_code), alone.astype(np.int64), axis=1)
    na = _na(m, people, rng)
    return {item.column: int_codes(ticks[:, j], na) for j, item in enumerate(q.items)}
