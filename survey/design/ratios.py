"""Ratio-type estimates on domains: the numerical core of the estimators.

Every estimator is ``theta_k = sum(w A_k) / sum(w B_k)`` over a domain;
:class:`Columns` evaluates it for any weights (full sample or replicate
columns), builds the linearised influence and the design effect.
"""
from __future__ import annotations

import numpy as np

from survey.errors import ColumnError

__all__: list[str] = []


def _as_list(x, what: str) -> list:
    if isinstance(x, str):
        return [x]
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, str) for v in x):
        return list(x)
    raise ColumnError(f"{what} must be a column name or a list of column names; got {x!r}.")


class Columns:
    """Ratio-type estimates ``theta_k = sum(w A_k) / sum(w B_k)``.

    Domains are boolean row masks; the same mask object may serve several
    columns (computed once).  A domain covering every row is never
    materialised as floats.
    """

    def __init__(self, A, B, domains, dom_of_col):
        self.A, self.B, self.domains, self.dom_of_col = A, B, domains, dom_of_col
        self._info: dict = {}

    def _domain(self, j: int):
        d = self.domains[j]
        key = id(d)
        if key not in self._info:
            full = bool(d.all())
            self._info[key] = (full, None if full else d.astype(float))
        return self._info[key]

    def dvec(self, j: int):
        """Domain ``j`` as a float indicator, or None when it is every row."""
        return self._domain(j)[1]

    def bcol(self, k: int):
        if self.B is None:
            return None
        if isinstance(self.B, str):
            return self.dvec(int(self.dom_of_col[k]))
        return self.B[:, k]

    def domain_sums(self, W: np.ndarray) -> np.ndarray:
        """``W' d_j`` for every domain: shape (n_domains,) or (n_domains, R)."""
        cache: dict = {}
        out = []
        for j, d in enumerate(self.domains):
            if id(d) not in cache:
                dv = self.dvec(j)
                cache[id(d)] = W.sum(axis=0) if dv is None else W.T @ dv
            out.append(cache[id(d)])
        return np.array(out)

    def denominators(self, W: np.ndarray) -> np.ndarray:
        """``W' B`` for weights ``W`` (n,) or (n, R) -> (K,) or (R, K)."""
        K = self.A.shape[1]
        if self.B is None:
            return np.ones(K) if W.ndim == 1 else np.ones((W.shape[1], K))
        if isinstance(self.B, str):
            per = self.domain_sums(W)
            return per[self.dom_of_col] if W.ndim == 1 else per[self.dom_of_col].T
        return W.T @ self.B

    def evaluate(self, w: np.ndarray):
        num = self.A.T @ w
        den = self.denominators(w)
        if self.B is None:
            return num, den
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / den, den

    def rows(self, j: int):
        """Row positions of domain ``j`` (None when it is every row)."""
        d = self.domains[j]
        key = ("rows", id(d))
        if key not in self._info:
            self._info[key] = None if self._domain(j)[0] else np.flatnonzero(d)
        return self._info[key]

    def influence(self, w: np.ndarray, theta: np.ndarray, den: np.ndarray) -> np.ndarray:
        """Weighted linearised influence ``w (A_k - theta_k B_k) / den_k``
        (``w A_k`` for totals), Fortran-ordered (n, K), zero outside each
        column's domain (only the domain rows are computed).  Overwrites and
        returns ``A`` (large inputs are not copied); ``A`` is unusable after."""
        K = self.A.shape[1]
        z = self.A
        for k in range(K):
            if self.B is not None and (den[k] == 0 or not np.isfinite(theta[k])):
                z[:, k] = 0.0
                continue
            idx = self.rows(int(self.dom_of_col[k]))
            a = self.A[:, k] if idx is None else self.A[idx, k]
            ww = w if idx is None else w[idx]
            if self.B is None:
                val = a * ww
            else:
                if isinstance(self.B, str):
                    val = a - theta[k]
                else:
                    b = self.B[:, k] if idx is None else self.B[idx, k]
                    val = a - theta[k] * b
                val *= ww
                val *= 1.0 / den[k]
            if idx is None:
                z[:, k] = val
            else:
                z[idx, k] = val
        return z


def _deff(var, s1, s2, psum, nobs):
    """R ``svymean/svytotal(deff=TRUE)``: design variance over the variance
    of simple random sampling without replacement of ``nobs`` rows from a
    population of ``psum``; ``u = z / w`` is the per-row linearised value,
    ``s1 = sum(z)``, ``s2 = sum(z^2 / w)``."""
    out = np.full(len(var), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (nobs >= 2) & (psum > 0) & (psum >= nobs)
        svyvar = nobs / (nobs - 1) * (s2 - s1 ** 2 / psum) / psum
        vsrs = svyvar * psum ** 2 * (psum - nobs) / (psum * nobs)
        out[ok] = (var / vsrs)[ok]
    return out
