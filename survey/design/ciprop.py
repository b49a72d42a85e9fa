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
from survey.errors import DesignError
from survey.validation import check_option

__all__ = ["CIPROP_METHODS"]

#: ``proportion(method=)`` -> the interval method of :class:`Estimate` (R ``svyciprop``)
CIPROP_METHODS = {"logit": "logit", "likelihood": "likelihood", "asin": "asin", "beta": "beta",
                  "mean": "wald", "xlogit": "xlogit"}


def proportion(design, variable: str, *, by=None, level: float = 0.95,
               method: str = "logit") -> Estimate:
    """See ``Design.proportion``."""
    check_option(method, tuple(CIPROP_METHODS), name="proportion: method")
    if not isinstance(variable, str):
        raise DesignError(f"proportion: variable must be one column name; got {variable!r}.")
    codes, levels = design._categorical(design._column(variable))
    if not levels:
        raise DesignError(f"proportion: column {variable!r} has no non-missing value.")
    keys, gmasks, bynames = design._groups(by)
    A = np.zeros((len(design.data), len(keys) * len(levels)), order="F")
    domains, dom_of_col, rows, dfs, nrows, phis = [], [], [], [], [], []
    w = design._w
    wpos = w != 0
    calibrated = getattr(design, "_calibrated", False)
    for key, g in zip(keys, gmasks):
        d = g & (codes >= 0)
        domains.append(d)
        # R: df = degf(design) and nrow(design) of the design it was given
        # (the by group), before svymean(na.rm=TRUE) leaves NA rows out
        group_df = design._domain_degf(g & wpos)
        group_rows = design.n if calibrated else np.count_nonzero(g & wpos)
        phi = _dispersion(w, g & wpos, d & wpos, group_rows, calibrated)
        for j, lev in enumerate(levels):
            A[:, len(rows)] = (codes == j) & d
            dom_of_col.append(len(domains) - 1)
            rows.append(key + (lev,))
            dfs.append(group_df)
            nrows.append(group_rows)
            phis.append(phi)
    index = design._index(rows, bynames + [variable])
    est = design._fit(A, "domain", domains, dom_of_col, index, "proportion", level=level,
                      df=np.array(dfs, dtype=float), ci_method=CIPROP_METHODS[method])
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


def _dispersion(w, group, answered, group_rows, calibrated) -> float:
    """R's dispersion for ``svyciprop(method="likelihood")`` on a linearised design.

    ``summary.svyglm`` takes ``svyvar`` of the Pearson residuals, which
    ``svyglm`` scales by ``sqrt(m1 / m0)``: ``m0`` the mean weight over the
    rows of the design it was given (the prior weights are normalised
    there, NA rows included), ``m1`` over the rows of the design after NA
    rows are dropped (a calibrated design keeps them at weight 0).  So
    ``phi = n / (n - 1) * m1 / m0`` with ``n`` the rows that answered;
    1 + 1/(n - 1) without missing values.
    """
    n = np.count_nonzero(answered)
    if n < 2:
        return np.nan
    m0 = w[group].sum() / group_rows
    rows_after = group_rows if calibrated else group_rows - np.count_nonzero(group & ~answered)
    m1 = w[answered].sum() / rows_after
    return n / (n - 1) * m1 / m0
