"""The record a calibration step leaves for the linearised variance.

Variance after calibration (R ``svyrecvar`` with ``postStrata``): the
weighted contributions ``z`` are replaced by residuals
``e = z - w1 * (M @ beta)`` where ``beta`` is the weighted least-squares fit
(weights ``w0 / sigma2``, the weights before the step over the working
variance of a heteroscedastic GREG, 1 otherwise) of ``z / w1`` on the
calibration model matrix ``M``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.sparse as sp

__all__: list[str] = []


@dataclass(frozen=True)
class CalStep:
    """One calibration step, enough to residualise linearised scores.

    Either ``codes`` (cell of each row) with a cell-level model matrix
    ``model`` of shape (n_cells, q), or ``codes=None`` with a row-level
    model matrix of shape (n, q) and optionally ``sigma2``, the working
    variance of each row (R ``calibrate(variance=)``, linear calibration).
    """

    kind: str
    model: np.ndarray
    w_before: np.ndarray
    w_after: np.ndarray
    codes: np.ndarray | None = None
    n_iter: int = 1
    max_error: float = 0.0
    sigma2: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def _cell_sum(self, x: np.ndarray) -> np.ndarray:
        return column_sums(x, self.codes, self.model.shape[0], self._cache)

    def _cell_ratio(self):
        """``w_before / w_after`` per cell when it is constant in every cell
        (raking, post-stratification, categorical calibration), else None."""
        if "cell_ratio" not in self._cache:
            C = self.model.shape[0]
            w0, w1 = self.w_before, self.w_after
            s0 = np.bincount(self.codes, weights=w0, minlength=C)
            s1 = np.bincount(self.codes, weights=w1, minlength=C)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(s1 > 0, s0 / s1, 0.0)
                row = np.where(w1 != 0, w0 / w1, 0.0)
            same = np.allclose(row[w1 != 0], r[self.codes][w1 != 0], rtol=1e-12, atol=0)
            self._cache["cell_ratio"] = r if same else None
        return self._cache["cell_ratio"]

    def solver(self):
        """Solve the weighted normal equations of the calibration model (cached)."""
        solve = self._cache.get("solve")
        if solve is None:
            M, w0 = self.model, self.w_before
            if self.codes is not None:
                cw = np.bincount(self.codes, weights=w0, minlength=M.shape[0])
                gram = (M * cw[:, None]).T @ M
            else:
                w0s = w0 if self.sigma2 is None else w0 / self.sigma2
                gram = (M * w0s[:, None]).T @ M
            solve = _solver(gram)
            self._cache["solve"] = solve
        return solve

    def residualise(self, z: np.ndarray, atoms=None) -> np.ndarray:
        """Replace ``z`` (n, p), in place, by its residuals from the
        calibration model; returns ``z``.

        ``atoms`` (:class:`~survey.design.collapse.Atoms`): ``z`` holds the
        totals of atoms of interchangeable rows (same cell, same weights
        before and after), whose residual totals are ``z - m w1 fitted``.
        """
        w0, w1 = self.w_before, self.w_after
        M = self.model
        solve = self.solver()
        if atoms is not None:
            return self._residualise_atoms(z, atoms, solve)
        if self.codes is not None:
            ratio = self._cell_ratio()
            if ratio is not None:
                rhs = M.T @ (self._cell_sum(z) * ratio[:, None])
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    row = np.where(w1 != 0, w0 / w1, 0.0)
                rhs = M.T @ self._cell_sum(z * row[:, None])
            fitted = M @ solve(rhs)                       # (cells, p)
            for k in range(z.shape[1]):
                z[:, k] -= w1 * np.take(fitted[:, k], self.codes)
        else:
            if "mr" not in self._cache:
                row = self._row_ratio(sigma=True)
                self._cache["mr"] = M * row[:, None]
                self._cache["mw"] = M * w1[:, None]
            beta = solve(self._cache["mr"].T @ z)
            z -= self._cache["mw"] @ beta
        return z

    def _row_ratio(self, *, sigma: bool = False) -> np.ndarray:
        """``w0 / w1`` per row (``sigma``: over ``sigma2``, for a heteroscedastic GREG)."""
        w0, w1 = self.w_before, self.w_after
        with np.errstate(divide="ignore", invalid="ignore"):
            row = np.where(w1 != 0, w0 / w1, 0.0)
        return row if self.sigma2 is None or not sigma else row / self.sigma2

    def _residualise_atoms(self, z: np.ndarray, atoms, solve) -> np.ndarray:
        rep, m = atoms.rep, atoms.count
        M = self.model
        w1m = self.w_after[rep] * m
        if self.codes is not None:
            codes = self.codes[rep]
            ratio = self._cell_ratio()
            if ratio is not None:
                rhs = M.T @ (column_sums(z, codes, M.shape[0]) * ratio[:, None])
            else:
                rhs = M.T @ column_sums(z * self._row_ratio()[rep][:, None], codes, M.shape[0])
            fitted = M @ solve(rhs)
            for k in range(z.shape[1]):
                z[:, k] -= w1m * np.take(fitted[:, k], codes)
        else:
            Mr = M[rep]
            beta = solve((Mr * self._row_ratio(sigma=True)[rep][:, None]).T @ z)
            z -= (Mr * w1m[:, None]) @ beta
        return z


def column_sums(x: np.ndarray, codes: np.ndarray, size: int, cache: dict | None = None):
    """Sum the rows of ``x`` (n, p) by integer ``codes`` -> (size, p)."""
    if x.shape[1] <= 32 or np.isfortran(x):
        out = np.empty((size, x.shape[1]), order="F")
        for k in range(x.shape[1]):
            out[:, k] = np.bincount(codes, weights=x[:, k], minlength=size)
        return out
    ind = None if cache is None else cache.get("ind")
    if ind is None:
        n = codes.size
        ind = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(size, n))
        if cache is not None:
            cache["ind"] = ind
    return np.asarray(ind @ x)


def _solver(gram: np.ndarray):
    """Solve ``gram @ x = b``: Cholesky when positive definite, otherwise the
    pseudo-inverse (rank-deficient calibration models, e.g. empty cells)."""
    try:
        factor = scipy.linalg.cho_factor(gram)
        return lambda b: scipy.linalg.cho_solve(factor, b)
    except np.linalg.LinAlgError:
        pinv = np.linalg.pinv(gram, rcond=1e-12, hermitian=True)
        return lambda b: pinv @ b


def _col0(w: np.ndarray) -> np.ndarray:
    """First column as a contiguous vector (a view when ``w`` has one column)."""
    return np.ascontiguousarray(w[:, 0])


