"""Evaluating ratio-type estimates and assembling an :class:`Estimate`.

Every estimator of :class:`~survey.design.estimators.EstimatorsMixin` ends
here: ``theta_k = sum(w A_k) / sum(w B_k)`` over each column's domain, the
linearised influence, the design covariance (linearised or replicate),
degrees of freedom and design effects.

The columns come in one or more :class:`Part`\\ s.  A part is a set of
rows (units: rows, or atoms of interchangeable rows,
:mod:`survey.design.collapse`) with its own columns, zero outside those
rows -- the groups of ``by``, which are disjoint.  Each part is evaluated
on its own rows only, and a linearised design combines their influence in
:func:`survey.design.blockvar.block_vcov` without ever building the
(n, groups x variables) array.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.design import blockvar
from survey.design.collapse import enabled
from survey.design.estimate import Estimate
from survey.design.ratios import Columns, _deff

__all__: list[str] = []


@dataclass
class Part:
    """Columns that are zero outside ``rows`` (unit positions; None: all units).

    ``A`` (len(rows), k), ``B`` (None, ``"domain"`` or an array like ``A``),
    ``domains`` row masks over ``rows``, ``dom_of_col`` the domain of each
    column (an index into ``domains``).
    """

    rows: np.ndarray | None
    A: np.ndarray
    B: object
    domains: list
    dom_of_col: list


def use_parts(design, n_units: int, n_groups: int) -> bool:
    """Split a ``by`` estimate into one part per group: a linearised design
    that :func:`survey.design.blockvar.block_vcov` handles, and more than
    one group."""
    return (n_groups > 1 and enabled("blocks") and not getattr(design, "is_replicate", False)
            and blockvar.applicable(design._stages, design._steps))


def fit_parts(design, parts, index, statistic, *, level, df=None, ci_method="wald", deff=True, atoms=None):
    """The :class:`Estimate` of the columns of ``parts`` (in order)."""
    w_units = design._w if atoms is None else design._w[atoms.rep] * atoms.count
    n_units = len(w_units)
    thetas, zs, nobs, psums, s1s, s2s, dom_cols = [], [], [], [], [], [], []
    all_domains: dict = {}          # id -> (full-length mask, part)
    reps = None
    for part in parts:
        w = w_units if part.rows is None else w_units[part.rows]
        cols = Columns(part.A, part.B, part.domains, np.asarray(part.dom_of_col, dtype=np.intp))
        theta, den = cols.evaluate(w)
        if len(parts) == 1:
            reps = design._replicate_estimates(cols)       # before A is overwritten
        z = cols.influence(w, theta, den)
        wpos = w != 0
        counted: dict = {}
        for d in part.domains:
            if id(d) not in counted:
                counted[id(d)] = (np.count_nonzero(d & wpos) if atoms is None
                                  else int(atoms.count[part.rows][d & wpos].sum()) if part.rows is not None
                                  else int(atoms.count[d & wpos].sum()))
                all_domains[id(d)] = (d, part)
        nobs_dom = np.array([counted[id(d)] for d in part.domains])
        nobs.append(nobs_dom[cols.dom_of_col])
        psums.append(cols.domain_sums(w)[cols.dom_of_col])
        if deff:
            s1s.append(z.sum(axis=0))
            with np.errstate(divide="ignore"):
                inv_w = np.where(wpos, 1.0 / np.where(wpos, w, 1.0), 0.0)
            s2s.append(np.einsum("ik,ik,i->k", z, z, inv_w))
        dom_cols.extend(id(part.domains[j]) for j in cols.dom_of_col)
        thetas.append(theta)
        zs.append(z)
    theta = np.concatenate(thetas)
    union = np.zeros(n_units, dtype=bool)
    full_masks: dict = {}
    for key, (d, part) in all_domains.items():
        if part.rows is None:
            full = d
        else:
            full = np.zeros(n_units, dtype=bool)
            full[part.rows] = d
        full_masks[key] = full
        union |= full
    if len(parts) == 1:
        z = zs[0]
        V = (design._vcov_columns(theta, union, z, reps) if atoms is None      # may overwrite z
             else design._vcov_columns(theta, union, z, reps, atoms=atoms))
    else:
        V = _vcov_parts(design, parts, zs, len(theta), union, atoms)
    if df is None:
        dfs = np.full(len(theta), np.inf)
    elif isinstance(df, np.ndarray):
        dfs = df.astype(float)
    elif df == "design":
        wpos_units = w_units != 0
        extra = [] if atoms is None else [atoms]
        cache = {key: design._domain_degf(full & wpos_units, *extra) for key, full in full_masks.items()}
        dfs = np.array([cache[key] for key in dom_cols], dtype=float)
    else:
        dfs = np.full(len(theta), float(df))
    nobs = np.concatenate(nobs)
    if deff:
        dvals = _deff(np.diag(V), np.concatenate(s1s), np.concatenate(s2s), np.concatenate(psums), nobs)
    else:
        dvals = np.full(len(theta), np.nan)
    if reps is not None:
        reps = pd.DataFrame(reps, columns=index)
    return Estimate(index=index, estimate=theta, vcov=V, df=dfs, deff=dvals, n=nobs,
                    statistic=statistic, level=level, ci_method=ci_method, replicates=reps)


def _vcov_parts(design, parts, zs, K, union, atoms):
    var_rows = design._var_rows if atoms is None else design._var_rows[atoms.rep]
    present = var_rows if design._calibrated else (var_rows & union)
    blocks, start = [], 0
    for part, z in zip(parts, zs):
        k = z.shape[1]
        rows = np.arange(len(present)) if part.rows is None else part.rows
        blocks.append((rows, np.arange(start, start + k), z))
        start += k
    return blockvar.block_vcov(blocks, K, stages=design._stages, steps=design._steps,
                               lonely_psu=design._lonely, present=present, atoms=atoms)
