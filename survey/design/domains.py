"""Means of many derived variables over many domains in one pass (issue 18).

The measures estimate means of variables that are not columns of the data
(a score mapped from answer codes, 0/1 indicators of answer levels, yen
after a transform) over domains (``by`` groups, the rows a policy keeps).
:func:`domain_means` backs ``Design.domain_means``: every (domain, variable)
pair in one ratio fit, with the joint covariance, through the same
estimator core as ``Design.mean``: on the atoms of interchangeable rows
when the rows collapse (:mod:`survey.design.collapse`), and the variables
are never repeated per domain by the caller.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.collapse import group_codes
from survey.design.fit import Part, fit_parts, use_parts
from survey.design.ratios import _as_list
from survey.errors import DesignError
from survey.validation import check_level

__all__: list[str] = []


def _masks(domains, n: int) -> list[np.ndarray]:
    if isinstance(domains, np.ndarray) and domains.ndim == 2:
        masks = [domains[:, g] for g in range(domains.shape[1])]
    elif isinstance(domains, np.ndarray) and domains.ndim == 1:
        masks = [domains]
    else:
        masks = list(domains)
    out = []
    for m in masks:
        m = np.asarray(m)
        if m.shape != (n,):
            raise DesignError(f"domain_means: every domain needs one value per row ({n}); got shape {m.shape}.")
        out.append(m.astype(bool, copy=False))
    if not out:
        raise DesignError("domain_means: give at least one domain (a row mask).")
    return out


def domain_means(design, values, domains, *, index=None, level: float = 0.95, statistic: str = "mean",
                 ci_method: str = "wald", df=None):
    """See ``Design.domain_means``."""
    level = check_level(level)
    n = design.n
    Y = np.asarray(values, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != n:
        raise DesignError(f"domain_means: values must have {n} rows; got shape {Y.shape}.")
    masks = _masks(domains, n)
    G, p = len(masks), Y.shape[1]
    if index is None:
        index = pd.MultiIndex.from_product([range(G), range(p)], names=["domain", "variable"])
    elif len(index) != G * p:
        raise DesignError(f"domain_means: index needs {G * p} labels (domains x variables); got {len(index)}.")
    w = design._w
    wpos = w != 0
    ok = ~np.isnan(Y)
    masks = [m & wpos for m in masks]
    atoms = design._collapse(masks + [Y[:, j] for j in range(p)])
    if atoms is not None:          # the same estimate on the atoms' first rows
        rep = atoms.rep
        masks, Y, ok = [m[rep] for m in masks], Y[rep], ok[rep]
        w = w[rep] * atoms.count
    full = ok.all(axis=0)
    disjoint = G > 1 and int(np.sum(masks, axis=0, dtype=np.int64).max()) <= 1
    split = disjoint and use_parts(design, len(w), G)
    parts, den = [], np.empty(G * p)
    if not split:
        A = np.zeros((len(w), G * p), order="F")
        domains_k, dom_of_col = [], []
        parts.append(Part(None, A, "domain", domains_k, dom_of_col))
    for g, m in enumerate(masks):
        if split:                      # one part per domain: its rows, its columns
            at = np.flatnonzero(m)
            A = np.zeros((len(at), p), order="F")
            domains_k, dom_of_col = [], []
            parts.append(Part(at, A, "domain", domains_k, dom_of_col))
            m, Yg, okg, wg, start = np.ones(len(at), dtype=bool), Y[at], ok[at], w[at], 0
        else:
            Yg, okg, wg, start = Y, ok, w, g * p
        for j in range(p):
            d = m if full[j] else m & okg[:, j]
            if not domains_k or d is not domains_k[-1]:
                domains_k.append(d)
            dom_of_col.append(len(domains_k) - 1)
            idx = np.flatnonzero(d)
            A[idx, start + j] = Yg[idx, j]
            den[g * p + j] = wg[idx].sum()
    if np.any(den <= 0):
        empty = [index[k] for k in np.flatnonzero(den <= 0)]
        raise DesignError(f"no respondent with a positive weight in the domain(s) {empty}; "
                          "drop those groups or collapse levels")
    return fit_parts(design, parts, index, statistic, level=level, df=df, ci_method=ci_method, atoms=atoms)


def _group_columns(key, g, prepared, full: bool, A, k, domains, dom_of_col, rows, shared, same_rows):
    """Fill the columns of one group ``g`` (a unit mask) from ``k`` on; returns the next column.

    ``prepared``: ``(name, "numeric", y, ok)`` (values with 0 for missing,
    non-missing mask) or ``(name, "categorical", codes, levels)``; ``full``:
    ``g`` covers every unit (its values are copied whole)."""
    for p in prepared:
        if p[1] == "numeric":
            _, _, y, ok = p
            if ok.all():
                d = g                        # share the mask when nothing is missing
            else:
                ok = same_rows[id(ok)]
                d = shared.get((id(g), id(ok)))
                if d is None:
                    d = shared[(id(g), id(ok))] = g & ok
            domains.append(d)
            if d is g and full:
                A[:, k] = y
            else:
                idx = np.flatnonzero(d)
                A[idx, k] = y[idx]
            dom_of_col.append(len(domains) - 1)
            rows.append(key + (p[0],))
            k += 1
        else:
            _, _, codes, levels = p
            d = g & (codes >= 0)
            domains.append(d)
            for j, lev in enumerate(levels):
                A[:, k] = (codes == j) & d
                dom_of_col.append(len(domains) - 1)
                rows.append(key + (f"{p[0]}={lev}",))
                k += 1
    return k


def _restrict(prepared, rows):
    return [(p[0], p[1], p[2][rows], p[3][rows]) if p[1] == "numeric" else (p[0], p[1], p[2][rows], p[3])
            for p in prepared]


def _same_rows(prepared) -> dict:
    """Variables missing on the same rows share one non-missing mask (and so
    one domain mask per group: Columns keeps a float copy of each)."""
    same: dict[int, np.ndarray] = {}
    for p in prepared:
        if p[1] == "numeric" and not p[3].all():
            same[id(p[3])] = next((o for o in same.values() if np.array_equal(o, p[3])), p[3])
    return same


def linear_estimate(design, variable, by, statistic, level):
    """Means and totals of columns (``Design.mean``/``total``), every ``by`` group."""
    names = _as_list(variable, "variable")
    keys, gmasks, bynames = design._groups(by)
    prepared = []
    for name in names:
        s = design._column(name)
        if design._is_numeric(s):
            prepared.append((name, "numeric") + design._numeric(name))
        else:
            codes, levels = design._categorical(s)
            prepared.append((name, "categorical", codes, levels))
    same = _same_rows(prepared)      # masks: read once for the columns missing on the same rows, never when full
    read = {p[0]: [p[2]] + ([same[id(p[3])]] if id(p[3]) in same else []) if p[1] == "numeric" else [p[2]]
            for p in prepared}
    atoms = design._collapse(([group_codes(gmasks)] if by is not None else [])
                             + design._collapse_inputs(names, read.get))
    if atoms is not None:         # the same estimate on the atoms' first rows
        gmasks = [g[atoms.rep] for g in gmasks]
        prepared = _restrict(prepared, atoms.rep)
    width = sum(1 if p[1] == "numeric" else len(p[3]) for p in prepared)
    B = None if statistic == "total" else "domain"
    rows: list = []
    if by is not None and use_parts(design, len(gmasks[0]), len(keys)):
        parts = []
        for key, g in zip(keys, gmasks):          # one part per group: its rows, its columns
            at = np.flatnonzero(g)
            local = _restrict(prepared, at)
            A = np.zeros((len(at), width), order="F")
            domains, dom_of_col = [], []
            _group_columns(key, np.ones(len(at), dtype=bool), local, True, A, 0, domains, dom_of_col, rows,
                           {}, _same_rows(local))
            parts.append(Part(at, A, B, domains, dom_of_col))
    else:
        A = np.zeros((len(gmasks[0]), width * len(keys)), order="F")
        domains, dom_of_col = [], []
        k, shared, same = 0, {}, _same_rows(prepared)
        for key, g in zip(keys, gmasks):
            k = _group_columns(key, g, prepared, by is None, A, k, domains, dom_of_col, rows, shared, same)
        parts = [Part(None, A, B, domains, dom_of_col)]
    index = design._index(rows, bynames + ["variable"])
    del prepared, read, same     # the columns now live in the parts (0.1 GB at 1M rows and 11 columns)
    return fit_parts(design, parts, index, statistic, level=level, atoms=atoms)
