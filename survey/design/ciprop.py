"""Proportions with the intervals of R ``svyciprop`` (every method).

:func:`proportion` backs ``Design.proportion`` and
``ReplicateDesign.proportion``: the share of every level of a column, its
linearised or replicate SE (R ``svymean``), and the interval of
``svyciprop(~I(x == level), design, method=, na.rm=TRUE)`` computed in
:mod:`survey.design.intervals`.  Like R, the degrees of freedom and the
Korn-Graubard row count come from the design (or ``by`` group) as given,
not from its rows with a non-missing value (R evaluates ``df =
degf(design)`` before ``na.rm`` drops anything): on R's yrbs data the df is
41, not the 39 of the rows that answered ``qn8``.
"""
from __future__ import annotations

import numpy as np

from survey.design.estimate import Estimate
from survey.design.collapse import group_codes, raw_values
from survey.design.fit import Part, fit_parts, use_parts
from survey.errors import DesignError
from survey.validation import check_option

__all__ = ["CIPROP_METHODS"]

#: ``proportion(method=)`` -> the interval method of :class:`Estimate` (R ``svyciprop``)
CIPROP_METHODS = {"logit": "logit", "likelihood": "likelihood", "asin": "asin", "beta": "beta",
                  "mean": "wald", "xlogit": "xlogit"}


def proportion(design, variable, *, by=None, level: float = 0.95,
               method: str = "logit") -> Estimate:
    """See ``Design.proportion``.

    Several variables (a list) are estimated in one pass with their joint
    covariance; the index is then ``[by...,] variable, level``.
    """
    check_option(method, tuple(CIPROP_METHODS), name="proportion: method")
    several = isinstance(variable, (list, tuple))
    names = list(variable) if several else [variable]
    if not names or not all(isinstance(v, str) for v in names):
        raise DesignError(f"proportion: variable must be a column name or a list of column names; got {variable!r}.")
    columns = [(name, design._column(name)) for name in names]
    keys, gmasks, bynames = design._groups(by)
    w = design._w
    calibrated = getattr(design, "_calibrated", False)
    # the design df, row counts and dispersions of the groups come from the rows
    wpos_rows = w != 0
    group_info = [(design._domain_degf(g & wpos_rows), design.n if calibrated else np.count_nonzero(g & wpos_rows))
                  for g in gmasks]
    atoms = design._collapse(([group_codes(gmasks)] if by is not None else [])
                             + design._collapse_inputs(names, lambda name: [raw_values(design._column(name))]))
    counts = None
    if atoms is not None:          # the same estimate on the atoms' first rows
        gmasks = [g[atoms.rep] for g in gmasks]
        columns = [(name, col.iloc[atoms.rep]) for name, col in columns]   # (every value has its atom)
        w, counts = w[atoms.rep] * atoms.count, atoms.count
    coded = []
    for name, col in columns:
        codes, levels = design._categorical(col)
        if not levels:
            raise DesignError(f"proportion: column {name!r} has no non-missing value.")
        coded.append((name, codes, levels))
    wpos = w != 0
    width = sum(len(levels) for _, _, levels in coded)
    split = by is not None and use_parts(design, len(w), len(keys))
    if not split:
        A = np.zeros((len(w), len(keys) * width), order="F")
        domains, dom_of_col = [], []
    parts, rows, dfs, nrows, phis = [], [], [], [], []
    for key, g, (group_df, group_rows) in zip(keys, gmasks, group_info):
        # R: df = degf(design) and nrow(design) of the design it was given
        # (the by group), before svymean(na.rm=TRUE) leaves NA rows out
        phi = [_dispersion(w, g & wpos, g & (codes >= 0) & wpos, group_rows, calibrated, counts)
               for _, codes, _ in coded]
        if split:                    # one part per group: its rows, its columns
            at = np.flatnonzero(g)
            local = [(name, codes[at], levels) for name, codes, levels in coded]
            A = np.zeros((len(at), width), order="F")
            domains, dom_of_col = [], []
            parts.append(Part(at, A, "domain", domains, dom_of_col))
            g = np.ones(len(at), dtype=bool)
            start = 0
        else:
            local, start = coded, len(rows)
        for (name, codes, levels), ph in zip(local, phi):
            d = g & (codes >= 0)
            domains.append(d)
            for j, lev in enumerate(levels):
                A[:, start] = (codes == j) & d
                start += 1
                dom_of_col.append(len(domains) - 1)
                rows.append(key + ((name, lev) if several else (lev,)))
                dfs.append(group_df)
                nrows.append(group_rows)
                phis.append(ph)
    if not split:
        parts = [Part(None, A, "domain", domains, dom_of_col)]
    index = design._index(rows, bynames + (["variable", "level"] if several else [variable]))
    est = fit_parts(design, parts, index, "proportion", level=level, df=np.array(dfs, dtype=float),
                    ci_method=CIPROP_METHODS[method], atoms=atoms)
    if method == "beta":
        est._neff = np.array(nrows, dtype=float)
    est._phi = np.array(phis, dtype=float)
    if method in ("logit", "likelihood") and est.replicates is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            reps = est.replicates.to_numpy()
            p = est.estimate.to_numpy()
            V = design.replicate_vcov(np.log(reps / (1 - reps)), np.log(p / (1 - p)))
        est._link_se = np.sqrt(np.diag(V))
    est._ci = est._interval(level)
    return est


def _dispersion(w, group, answered, group_rows, calibrated, counts=None) -> float:
    """R's dispersion for ``svyciprop(method="likelihood")`` on a linearised design.

    ``summary.svyglm`` takes ``svyvar`` of the Pearson residuals, which
    ``svyglm`` scales by ``sqrt(m1 / m0)``: ``m0`` the mean weight over the
    rows of the design it was given (the prior weights are normalised
    there, NA rows included), ``m1`` over the rows of the design after NA
    rows are dropped (a calibrated design keeps them at weight 0).  So
    ``phi = n / (n - 1) * m1 / m0`` with ``n`` the rows that answered;
    1 + 1/(n - 1) without missing values.
    """
    count = np.count_nonzero if counts is None else (lambda mask: counts[mask].sum())
    n = count(answered)
    if n < 2:
        return np.nan
    m0 = w[group].sum() / group_rows
    rows_after = group_rows if calibrated else group_rows - count(group & ~answered)
    m1 = w[answered].sum() / rows_after
    return n / (n - 1) * m1 / m0
