"""Allocation arithmetic of the mailing plan (numbers only, no frames).

Notation (Cochran 1977, ch. 5): cell ``h`` of the mailing frame has ``N_h``
people (``W_h = N_h / N``), response rate ``r_h``, item answer rate
``a_h``, item variance ``S_h^2`` and cost per mailing ``k_h = c_mail +
c_return r_h`` (postage and printing, plus data entry of each returned
form).  Mailing ``m_h`` gives ``n_h = m_h r_h a_h`` answers, and the
stratified mean over a domain ``D`` (the city, a district) has variance

    V_D = deff_w * sum_{h in D} (N_h / N_D)^2 S_h^2 / n_h  [* (1 - m_h / N_h)]

where ``deff_w`` is the design effect of the weights beyond the
stratification (Kish 1965) and the finite population correction in
brackets is optional (respondents are a simple random sample of the
``N_h r_h`` people who would answer: ``1 - n_h / (N_h r_h) = 1 - m_h / N_h``).

For a district or an age band the report's standard error (respondents
raked to age x sex x district margins, no strata declared) also carries the
spread of the domain's cells around the domain mean, because the number of
respondents per cell is random and the raking margins control districts and
age bands only city-wide.  :func:`domain_variance` adds
``W_{h|D}^2 (mu_h - mu_D)^2 / (m_h r_h)`` with the additive-model cell
means ``mu_h``; the true sampling variance has ``(1 - r_h)`` times this
term, so the planned half-widths of districts are slightly conservative.
Repeated simulated waves (``benchmarks/planning_simulation.py``) put the
planned half-widths within 5 % of the printed ones when the inputs are
well estimated.

Optimum allocation of mailings.  Minimise ``V = sum A_h / m_h`` with
``A_h = deff_w W_h^2 S_h^2 / (r_h a_h)`` subject to the budget
``sum k_h m_h = C``.  The Lagrangian ``V + lambda (sum k_h m_h - C)`` gives
``A_h / m_h^2 = lambda k_h``, so

    m_h  proportional to  W_h S_h / sqrt(r_h a_h k_h),

Neyman's (1934) optimum allocation of respondents ``n_h ~ W_h S_h /
sqrt(c_h)`` (Cochran 1977, sec. 5.5) with the cost per answer ``c_h = k_h /
(r_h a_h)``, translated into mailings.  With equal costs per mailing it is
``m_h ~ W_h S_h / sqrt(r_h a_h)``: cells that answer less get more
questionnaires, but only by the square root of their lower rate.  Mailing
``m_h ~ W_h S_h / r_h`` (respondents in Neyman's ``n_h ~ W_h S_h``, the
optimum only when every answer costs the same) spends too much on the cells
that answer least.  The minimum variance at cost ``C`` is ``(sum sqrt(A_h
k_h))^2 / C``.

Groups (districts) with a floor -- a minimum number of respondents or a
half-width of their own -- are handled by iterative fixing: allocate by the
shape, fix every group below its floor at the floor, share what is left over
the other groups by the shape, and repeat until no group is below its floor
(Cochran 1977, ch. 5, revises an optimum allocation that asks for more
than a whole stratum the same way; here a cell is also never mailed more
than its ``N_h`` people).  :func:`water_fill` returns the fixed point directly: ``x_g =
clip(lambda T_g, L_g, U_g)`` with the one ``lambda`` that spends the budget.
"""
from __future__ import annotations

import numpy as np

from survey.errors import DesignError
from survey.validation import check_option

__all__ = [
    "METHODS",
    "allocate",
    "cell_shape",
    "domain_variance",
    "round_to_budget",
    "round_up",
    "smallest_total",
    "water_fill",
]

#: Allocation methods: mailing proportional to the population, mailing that
#: makes the *respondents* proportional to the population, and the optimum.
METHODS = ("proportional", "proportional_respondents", "neyman")


def cell_shape(method: str, population, variance, rate, answer, unit_cost) -> np.ndarray:
    """Relative mailing per cell (``m_h`` up to a constant) of ``method``."""
    N = np.asarray(population, dtype=float)
    if method == "proportional":
        return N.copy()
    if method == "proportional_respondents":
        return N / np.asarray(rate, dtype=float)
    if method == "neyman":
        return N * np.sqrt(np.asarray(variance, dtype=float)) / np.sqrt(
            np.asarray(rate, dtype=float) * np.asarray(answer, dtype=float) * np.asarray(unit_cost, dtype=float))
    check_option(method, tuple(METHODS), name="method")


def water_fill(total: float, shape, lower, upper, weight=None) -> np.ndarray:
    """``x = clip(lambda * shape, lower, upper)`` with ``sum(weight * x) = total``.

    The fixed point of iterative fixing: elements that would fall below
    (rise above) their bound are fixed there and the rest of ``total`` is
    shared in proportion to ``shape``.  Elements with ``shape == 0`` stay at
    ``lower``.  ``g(lambda) = sum(weight * x)`` is piecewise linear and
    non-decreasing, so ``lambda`` is found exactly between two breakpoints.
    """
    s = np.asarray(shape, dtype=float)
    lo = np.asarray(lower, dtype=float) * np.ones_like(s)
    hi = np.asarray(upper, dtype=float) * np.ones_like(s)
    wt = np.ones_like(s) if weight is None else np.asarray(weight, dtype=float) * np.ones_like(s)
    if np.any(lo > hi + 1e-12):
        raise DesignError("a lower bound exceeds its upper bound")
    low_total, high_total = float(wt @ lo), float(wt @ np.where(s > 0, hi, lo))
    tol = 1e-9 * max(1.0, abs(total))
    if total < low_total - tol or total > high_total + tol:
        raise DesignError(f"cannot spend {total:.6g} between the bounds ({low_total:.6g} to {high_total:.6g})")
    pos = s > 0
    if total >= high_total - tol:
        return np.where(pos, hi, lo)
    if total <= low_total + tol:
        return lo.copy()
    bps = np.concatenate([lo[pos] / s[pos], hi[pos] / s[pos]])
    bps = np.unique(bps[np.isfinite(bps)])

    def g(lam):
        return float(wt @ np.where(pos, np.clip(lam * s, lo, hi), lo))

    vals = np.array([g(b) for b in bps])
    j = int(np.searchsorted(vals, total))
    if j == len(bps):                      # beyond the last finite bound: only unbounded elements grow
        slope = float(wt[pos & ~np.isfinite(hi)] @ s[pos & ~np.isfinite(hi)])
        lam = bps[-1] + (total - vals[-1]) / slope
    elif j == 0:
        lam = bps[0]
    else:
        a, b, ga, gb = bps[j - 1], bps[j], vals[j - 1], vals[j]
        lam = a if gb == ga else a + (total - ga) * (b - a) / (gb - ga)
    return np.where(pos, np.clip(lam * s, lo, hi), lo)


def allocate(total_cost: float, shape, unit_cost, cap, groups, group_floor) -> np.ndarray:
    """Mailings per cell spending ``total_cost``: groups first, then cells.

    Group ``g`` gets ``C_g = clip(lambda T_g, floor_g, U_g)`` with ``T_g =
    sum_{h in g} k_h s_h`` and ``U_g = sum_{h in g} k_h N_h``; within the
    group ``m_h = clip(mu_g s_h, 0, N_h)`` spends ``C_g``.
    """
    s = np.asarray(shape, dtype=float)
    k = np.asarray(unit_cost, dtype=float)
    cap = np.asarray(cap, dtype=float)
    groups = np.asarray(groups)
    levels = np.unique(groups)
    T = np.array([np.sum(k[groups == g] * s[groups == g]) for g in levels])
    U = np.array([np.sum(k[groups == g] * np.where(s[groups == g] > 0, cap[groups == g], 0.0)) for g in levels])
    C = water_fill(total_cost, T, np.minimum(group_floor, U), U)
    m = np.zeros_like(s)
    for g, cg in zip(levels, C):
        sel = groups == g
        m[sel] = within_group(cg, s[sel], k[sel], cap[sel])
    return m


def within_group(cost: float, shape, unit_cost, cap) -> np.ndarray:
    """``m_h = clip(mu s_h, 0, N_h)`` with ``sum k_h m_h = cost``."""
    return water_fill(cost, shape, 0.0, cap, unit_cost)


def domain_variance(m, population, variance, rate, answer, deff: float, mask=None, *,
                    fpc: bool = False, means=None) -> float:
    """Expected variance of the weighted mean over the cells in ``mask``.

    With ``means`` (cell means) the spread of the cells around the domain
    mean is added: ``W_{h|D}^2 (mu_h - mu_D)^2 / (m_h r_h)`` (see the module
    notes); leave it out for the city, whose raking margins absorb it.
    """
    m = np.asarray(m, dtype=float)
    N = np.asarray(population, dtype=float)
    sel = (np.ones_like(N, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)) & (N > 0)
    S2 = np.asarray(variance, dtype=float)[sel]
    n = (m * np.asarray(rate, dtype=float) * np.asarray(answer, dtype=float))[sel]
    Wd = N[sel] / N[sel].sum()
    if np.any((n <= 0) & (S2 > 0)):
        return float("inf")
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(S2 > 0, Wd ** 2 * S2 / n, 0.0)
    if fpc:
        term = term * (1.0 - m[sel] / N[sel])
    if means is not None:
        mu = np.asarray(means, dtype=float)[sel]
        r = np.asarray(rate, dtype=float)[sel]
        units = m[sel] * r
        dev = (mu - np.sum(Wd * mu)) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            term = term + np.where(dev > 0, Wd ** 2 * dev / units, 0.0)
    return float(deff * term.sum())


def smallest_total(violation, low: float, high: float) -> float | None:
    """Smallest ``t`` in ``[low, high]`` with ``violation(t) <= 0`` (a
    non-increasing function); ``None`` when even ``high`` violates."""
    if violation(low) <= 0:
        return float(low)
    if violation(high) > 0:
        return None
    return float(brentq(violation, low, high, xtol=1e-9 * max(1.0, high), rtol=1e-12, maxiter=500))


def brentq(f, a: float, b: float, *, xtol: float, rtol: float, maxiter: int) -> float:
    """``scipy.optimize.brentq(f, a, b, xtol=, rtol=, maxiter=)``: Brent's method as scipy's C
    code steps it (Charles Harris's ``brentq.c``: the same tests, steps and arithmetic, so the
    same root bit for bit: ``tests/test_planning.py``), without importing scipy.optimize, a
    tenth of a second of ``survey run`` (issue 18).  ``f(a)`` and ``f(b)`` must differ in sign;
    a root not within tolerance after ``maxiter`` steps is a :class:`DesignError`."""
    x_prev, x_cur = float(a), float(b)
    f_prev, f_cur = float(f(x_prev)), float(f(x_cur))
    if f_prev * f_cur > 0:
        raise DesignError(f"no root between {a} and {b}: the function has the same sign at both ends")
    if f_prev == 0:
        return x_prev
    if f_cur == 0:
        return x_cur
    x_blk = f_blk = s_prev = s_cur = 0.0
    for _ in range(maxiter):
        if f_prev * f_cur < 0:             # the root between the last two points: they bracket it
            x_blk, f_blk = x_prev, f_prev
            s_prev = s_cur = x_cur - x_prev
        if abs(f_blk) < abs(f_cur):        # the best estimate is the one with the smaller value
            x_prev, x_cur, x_blk = x_cur, x_blk, x_cur
            f_prev, f_cur, f_blk = f_cur, f_blk, f_cur
        delta = (xtol + rtol * abs(x_cur)) / 2
        s_bis = (x_blk - x_cur) / 2
        if f_cur == 0 or abs(s_bis) < delta:
            return x_cur
        bisect = True
        if abs(s_prev) > delta and abs(f_cur) < abs(f_prev):
            if x_prev == x_blk:            # secant
                s_try = -f_cur * (x_cur - x_prev) / (f_cur - f_prev)
            else:                          # inverse quadratic extrapolation
                d_prev = (f_prev - f_cur) / (x_prev - x_cur)
                d_blk = (f_blk - f_cur) / (x_blk - x_cur)
                s_try = -f_cur * (f_blk * d_blk - f_prev * d_prev) / (d_blk * d_prev * (f_blk - f_prev))
            limit = 3 * abs(s_bis) - delta
            if 2 * abs(s_try) < (abs(s_prev) if abs(s_prev) < limit else limit):     # C's MIN(a, b)
                s_prev, s_cur = s_cur, s_try
                bisect = False
        if bisect:
            s_prev = s_cur = s_bis
        x_prev, f_prev = x_cur, f_cur
        x_cur += s_cur if abs(s_cur) > delta else (delta if s_bis > 0 else -delta)
        f_cur = float(f(x_cur))
    raise DesignError(f"no root within the tolerance after {maxiter} steps (last {x_cur})")


def round_up(m, cap) -> np.ndarray:
    """Whole questionnaires, never fewer than planned (targets stay met)."""
    return np.minimum(np.ceil(np.asarray(m, dtype=float) - 1e-9), np.floor(np.asarray(cap, dtype=float)))


def round_to_budget(m, unit_cost, cap, budget: float, keep=None) -> np.ndarray:
    """Whole questionnaires within ``budget``: cells in ``keep`` (groups at
    their floor) are rounded up, the others down, then the cells with the
    largest fractions get one more while the budget allows."""
    m = np.asarray(m, dtype=float)
    k = np.asarray(unit_cost, dtype=float)
    cap = np.floor(np.asarray(cap, dtype=float))
    keep = np.zeros(m.shape, dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    out = np.where(keep, np.ceil(m - 1e-9), np.floor(m + 1e-9))
    out = np.minimum(out, cap)
    left = budget - float(k @ out)
    frac = np.where(keep, -1.0, m - out)
    for i in np.argsort(-frac, kind="stable"):
        if frac[i] <= 1e-9:
            break
        if k[i] <= left + 1e-9 and out[i] + 1 <= cap[i]:
            out[i] += 1
            left -= k[i]
    return out
