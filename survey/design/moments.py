"""Population variances and covariances (R ``svyvar``).

``Design.var`` and ``ReplicateDesign.var`` call :func:`variance`.  The
estimate is ``n / (n - 1) * sum(w (x - xbar)(y - ybar)) / sum(w)`` over the
rows with every variable present, as R ``svyvar(~x + y, design,
na.rm=TRUE)``, with R's two conventions for ``n``:

* a linearised design: ``n`` is the number of rows with a non-zero weight
  in the design (or ``by`` group), *including* rows missing a variable, and
  the standard error is that of ``svymean`` of ``(x - xbar)(y - ybar) n /
  (n - 1)`` with ``xbar`` fixed (its own influence is zero at the weighted
  mean);
* a replicate design: ``n`` counts the rows with every variable present, and
  each replicate recomputes the means and the variance.

Several variables give the covariance matrix, flattened column by column
(rows ``(x_i, x_j)`` with ``j`` outer, as R's ``matrix(v, ncol = p)``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.estimate import Estimate
from survey.design.ratios import _as_list
from survey.errors import DesignError

__all__: list[str] = []


def variance(design, variable, *, by=None, level: float = 0.95) -> Estimate:
    """See ``Design.var``."""
    names = _as_list(variable, "var: variable")
    X = np.column_stack([design._numeric(c)[0] for c in names])
    ok = np.logical_and.reduce([design._numeric(c)[1] for c in names])
    keys, gmasks, bynames = design._groups(by)
    p = len(names)
    pairs = [(i, j) for j in range(p) for i in range(p)]
    w = design._w
    wpos = w != 0
    replicate = design.is_replicate
    n_rows = len(w)
    A = np.zeros((n_rows, len(keys) * len(pairs)), order="F")
    domains, dom_of_col, rows, theta, reps = [], [], [], [], []
    for key, g in zip(keys, gmasks):
        d = g & ok & wpos
        if not d.any():
            raise DesignError(f"var: no row with a positive weight has {names} in the group {key}.")
        n = np.count_nonzero(d) if replicate else np.count_nonzero(g & wpos)
        if n < 2:
            raise DesignError(f"var: the group {key} has {n} row(s); a variance needs at least 2.")
        xbar = w[d] @ X[d] / w[d].sum()
        Xc = np.where(d[:, None], X - xbar, 0.0)
        domains.append(d)
        for i, j in pairs:
            col = len(rows)
            A[:, col] = Xc[:, i] * Xc[:, j] * n / (n - 1)
            dom_of_col.append(len(domains) - 1)
            rows.append(key + ((names[i],) if p == 1 else (names[i], names[j])))
        if replicate:
            W = design._W[d]
            Xd = Xc[d]
            tot = W.sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                means = (W.T @ Xd) / tot[:, None]                              # (R, p)
                for i, j in pairs:
                    reps.append(n / (n - 1) * ((W.T @ (Xd[:, i] * Xd[:, j])) / tot
                                               - means[:, i] * means[:, j]))
    index = design._index(rows, bynames + (["variable"] if p == 1 else ["variable", "variable2"]))
    est = design._fit(A, "domain", domains, dom_of_col, index, "variance", level=level, deff=False)
    if replicate:
        R = np.column_stack(reps)
        V = design.replicate_vcov(R, est.estimate.to_numpy())
        est = Estimate(index=index, estimate=est.estimate.to_numpy(), vcov=V, df=np.inf,
                       deff=np.nan, n=est.n.to_numpy(), statistic="variance", level=level,
                       replicates=pd.DataFrame(R, columns=index))
    return est
