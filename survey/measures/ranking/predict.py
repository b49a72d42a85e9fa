"""Choice probabilities of the exploded logit and their delta-method SEs.

Internal helpers of :mod:`survey.measures.ranking.estimators`; nothing here is public.

For utilities ``v`` (all items available) the first-choice probability is
``softmax(v)``.  The probability that item ``j`` is among the first ``k``
choices sums, over every ordered prefix of distinct items not containing
``j``, the prefix probability times the chance of ``j`` next:
``P(j in top k) = sum_{s<k} sum_{prefix, |prefix|=s} P(prefix) e_j / (S - e_prefix)``.
The prefixes are enumerated exactly (``1 + m + m(m-1)`` of them for
``k = 3``).  Derivatives with respect to ``v`` use the complex step
``Im f(v + i h e_l) / h``, exact to rounding because ``f`` is analytic.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special

from survey.design.distributions import norm_ppf
from survey.errors import DesignError

__all__: list[str] = []

MAX_PREFIXES = 200_000
_H = 1e-30


def n_prefixes(m: int, k: int) -> int:
    return sum(math.perm(m, s) for s in range(k))


def topk_inclusion(V: np.ndarray, k: int) -> np.ndarray:
    """``P(item j among the first k choices)`` for every row of ``V`` (N, m).

    Works for real or complex ``V`` (complex for the complex-step derivative).
    """
    N, m = V.shape
    k = min(k, m)
    if n_prefixes(m, k) > MAX_PREFIXES:
        raise DesignError(f"Exact top-{k} probabilities over {m} items need "
                          f"{n_prefixes(m, k):,} ordered prefixes (limit {MAX_PREFIXES:,}); "
                          "ask for a smaller k.")
    e = np.exp(V - V.real.max(axis=1, keepdims=True))
    S = e.sum(axis=1)
    prob = np.ones((N, 1), dtype=e.dtype)
    used = np.zeros((N, 1), dtype=e.dtype)
    mask = np.zeros((1, m), dtype=bool)
    incl = np.zeros((N, m), dtype=e.dtype)
    for s in range(k):
        q = prob[:, :, None] * e[:, None, :] / (S[:, None] - used)[:, :, None]
        q = np.where(mask[None], 0.0, q)
        incl += q.sum(axis=1)
        if s < k - 1:
            f_idx, j_idx = np.nonzero(~mask)
            prob = q[:, f_idx, j_idx]
            used = used[:, f_idx] + e[:, j_idx]
            mask = mask[f_idx]
            mask[np.arange(len(j_idx)), j_idx] = True
    return incl


def first_choice(V: np.ndarray) -> np.ndarray:
    return special.softmax(V, axis=1)


def with_gradients(V: np.ndarray, k: int):
    """First-choice and top-k probabilities and their Jacobians in ``V``.

    Returns ``(first, d_first, topk, d_topk)`` with ``d_*[i, j, l] =
    d P_ij / d V_il``.
    """
    N, m = V.shape
    first = first_choice(V)
    d_first = first[:, :, None] * (np.eye(m)[None] - first[:, None, :])
    topk = topk_inclusion(V, k)
    d_topk = np.empty((N, m, m))
    Vc = V.astype(complex)
    for ell in range(m):
        Vc[:, ell] += 1j * _H
        d_topk[:, :, ell] = topk_inclusion(Vc, k).imag / _H
        Vc[:, ell] = V[:, ell]
    return first, d_first, topk.real, d_topk


def delta_se(d_prob: np.ndarray, J: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    """SE of probabilities given d prob / d V ``(N, m, m)`` and d V / d theta ``(N, m, p)``."""
    G = np.einsum("njl,nlp->njp", d_prob, J)
    return np.sqrt(np.maximum(np.einsum("njp,pq,njq->nj", G, vcov, G), 0.0))


def logit_ci(p: np.ndarray, se: np.ndarray, level: float):
    """Wald interval on the logit scale, mapped back to (0, 1)."""
    z = norm_ppf(0.5 + level / 2.0)
    pc = np.clip(p, 1e-300, 1.0 - 1e-16)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * se / (pc * (1.0 - pc))
        lo = special.expit(special.logit(pc) - half)
        hi = special.expit(special.logit(pc) + half)
    return lo, hi
