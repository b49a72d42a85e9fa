"""The linearised covariance of estimates in disjoint groups, without the (n, K) array.

``svyby``-style estimates (every level of ``by``, several variables) have
influence columns that are zero outside their group: group ``g``'s rows
carry values only in its own ``k_g`` columns.  After a calibration step
the residuals ``e = z - w1 F[cell]`` fill every column, so the direct
computation works on an (n, K) array with K = groups x variables and costs
``n K^2``.  Here each group's rows are handled in their own columns only
(``n_g k_g^2``), and what the residualisation and the stratum means add
to the other columns -- a function of the row's cell, stratum and weight
-- is summed per (cell, stratum) first:

* per row, ``dev = t - mu_h`` with ``t = z / m - w1 F[cell]`` (``m`` rows
  per atom, ``w1`` the weight after the step, ``F`` the step's fitted cell
  values, zero for rows R does not keep) and ``mu_h`` the stratum mean;
* ``V = sum_u a_u m_u dev_u dev_u'`` (``a`` the stratum's factor:
  ``n_h/(n_h-1)``, fpc, lonely PSUs), split into the group's own block
  (its rows' ``dev`` in its columns, exact), the other rows' background
  ``-(w1 F[cell] + mu_h)`` (sums of ``a m w1^2``, ``a m w1``, ``a m`` per
  cell and stratum), and the cross terms between them.

Every sum is of the same squares and products as the direct computation
(no difference of large quantities), so the two agree to rounding
(``tests/test_collapse.py``).  Used for linearised designs whose clusters
are single rows (or atoms of them) with at most one calibration step on
cells; otherwise the caller assembles the (n, K) array.
"""
from __future__ import annotations

import numpy as np

from survey.design.calstep import column_sums
from survey.design.variance import stage_factors

__all__: list[str] = []


def applicable(stages, steps) -> bool:
    """Designs the block computation handles: one stage used, every cluster
    one row, at most one calibration step on cells."""
    if len(stages) > 1 and stages[0].popsize is not None:
        return False
    if not stages[0].singletons or len(steps) > 1:
        return False
    return all(step.codes is not None for step in steps)


def block_vcov(parts, K: int, *, stages, steps, lonely_psu: str, present: np.ndarray, atoms=None) -> np.ndarray:
    """Covariance (K, K) of the column totals of an influence array given by
    disjoint row blocks.

    ``parts``: ``(rows, cols, z)`` with ``rows`` unit positions (atoms or
    rows), ``cols`` column positions, ``z`` (len(rows), len(cols)) the
    influence totals of those units in those columns (zero elsewhere);
    the rows of different parts are disjoint.  ``present``: per unit, the
    rows R keeps for the variance.
    """
    st = stages[0]
    rep = None if atoms is None else atoms.rep
    U = len(present)
    m = np.ones(U) if atoms is None else atoms.count
    h = st.strata if rep is None else st.strata[rep]
    H = st.n_strata
    factor, center, all_lonely = stage_factors(st, h, present, None if atoms is None else m,
                                               np.ones(H), lonely_psu, 1)
    if all_lonely:
        return np.full((K, K), np.nan)
    if not np.any(factor):
        return np.zeros((K, K))
    a = factor[h]
    pres = present.astype(float)
    group = np.full(U, -1, dtype=np.int64)
    for g, (rows, _, _) in enumerate(parts):
        group[rows] = g
    step = steps[0] if steps else None
    if step is None:
        C, cell, w1 = 1, np.zeros(U, dtype=np.int64), np.zeros(U)
        F = np.zeros((1, K))
    else:
        C = step.model.shape[0]
        cell = step.codes if rep is None else step.codes[rep]
        w1 = step.w_after if rep is None else step.w_after[rep]
        F = _fitted(step, parts, K, cell, rep)
    # stratum means of t (t is zero for the units R does not keep)
    zh = np.zeros((H, K))
    for rows, cols, z in parts:
        hp, pr = h[rows], pres[rows]
        for j, k in enumerate(cols):
            zh[:, k] = np.bincount(hp, weights=z[:, j] * pr, minlength=H)
    mw = np.bincount(h * C + cell, weights=pres * m * w1, minlength=H * C).reshape(H, C)
    S = zh - mw @ F
    npsu = st.npsu.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = np.where(center[:, None], S / npsu[:, None], 0.0)
    # background sums per group (index G: rows in no group)
    G = len(parts)
    key = (group + 1) * (C * H) + cell * H + h
    size = (G + 1) * C * H
    am = a * m
    a2 = np.bincount(key, weights=am * w1 * w1 * pres, minlength=size).reshape(G + 1, C, H)
    a1 = np.bincount(key, weights=am * w1 * pres, minlength=size).reshape(G + 1, C, H)
    a0 = np.bincount(key, weights=am, minlength=size).reshape(G + 1, C, H)
    V = np.zeros((K, K))
    E1, E0 = [], []
    for g, (rows, cols, z) in enumerate(parts):
        cols = np.asarray(cols)
        cg, hg, pg = cell[rows], h[rows], pres[rows]
        dev = np.asarray(z / m[rows][:, None], order="F")
        dev -= (w1[rows] * pg)[:, None] * F[:, cols][cg]     # the group's columns, then its rows:
        dev *= pg[:, None]                                      # never an (n_g, K) array
        dev -= mu[:, cols][hg]
        wt = am[rows]
        V[np.ix_(cols, cols)] = (dev * wt[:, None]).T @ dev
        E1.append(column_sums(dev * (wt * w1[rows] * pg)[:, None], cg, C))
        E0.append(column_sums(dev * wt[:, None], hg, H))
    for g, (_, cols_g, _) in enumerate(parts):
        for g2, (_, cols_2, _) in enumerate(parts):
            if g2 < g:
                continue
            rest = [x for x in range(G + 1) if x != g + 1 and x != g2 + 1]
            block = _background(a2[rest].sum(axis=0), a1[rest].sum(axis=0), a0[rest].sum(axis=0),
                                F, mu, cols_g, cols_2)
            if g2 == g:
                V[np.ix_(cols_g, cols_g)] += block
                continue
            cross = -(E1[g].T @ F[:, cols_2] + E0[g].T @ mu[:, cols_2]) \
                - (E1[g2].T @ F[:, cols_g] + E0[g2].T @ mu[:, cols_g]).T
            V[np.ix_(cols_g, cols_2)] = cross + block
            V[np.ix_(cols_2, cols_g)] = (cross + block).T
    return V


def _background(a2, a1, a0, F, mu, cols_x, cols_y) -> np.ndarray:
    """``sum a m b_x b_y'`` over units whose values in these columns are the
    background ``b = -(w1 F[cell] + mu_h)`` (``-mu_h`` for units not kept):
    from the sums ``a2 = sum a m w1^2``, ``a1 = sum a m w1`` (kept units)
    and ``a0 = sum a m`` (all) per (cell, stratum)."""
    Fx, Fy, Mx, My = F[:, cols_x], F[:, cols_y], mu[:, cols_x], mu[:, cols_y]
    out = (Fx * a2.sum(axis=1)[:, None]).T @ Fy
    out += Fx.T @ (a1 @ My) + Mx.T @ (a1.T @ Fy)
    out += (Mx * a0.sum(axis=0)[:, None]).T @ My
    return out


def _fitted(step, parts, K, cell, rep) -> np.ndarray:
    """The step's fitted cell values ``F`` (cells, K) of the influence."""
    M = step.model
    C = M.shape[0]
    solve = step.solver()
    ratio = step._cell_ratio()
    row = None if ratio is not None else (step._row_ratio() if rep is None else step._row_ratio()[rep])
    T0 = np.zeros((C, K))
    for rows, cols, z in parts:
        cg = cell[rows]
        for j, k in enumerate(cols):
            T0[:, k] = np.bincount(cg, weights=z[:, j] if row is None else z[:, j] * row[rows], minlength=C)
    if ratio is not None:
        T0 *= ratio[:, None]
    return M @ solve(M.T @ T0)
