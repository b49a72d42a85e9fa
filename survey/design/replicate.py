"""Replicate-weight designs (R ``svrepdesign`` / ``as.svrepdesign``).

A :class:`ReplicateDesign` carries the full-sample weights and ``R``
columns of replicate weights.  Every estimator is recomputed with each
replicate's weights and the variance is

``V = scale * sum_r rscales_r (theta_r - c)(theta_r - c)'``

with ``c`` the mean of the replicates (``mse=False``, R's default) or the
full-sample estimate (``mse=True``), as R ``svrVar``.

Weighting steps (``rake``, ``poststratify``, ``calibrate``, ``trim``,
``subset``) are applied to the full-sample weights and to every replicate
column separately, which is how replicate weights carry the variance of
the weighting itself.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from survey.design import calibration as cal
from survey.design import greg, modelvcov
from survey.design.estimators import EstimatorsMixin
from survey.design.spec import as_mask, names
from survey.design.weights import trim_weights, weight_diagnostics
from survey.errors import DesignError
from survey.validation import check_option

__all__ = ["ReplicateDesign"]

METHODS = ("jk1", "jkn", "bootstrap", "brr", "fay", "other")


def _rank(M: np.ndarray, tol: float = 1e-5) -> int:
    """Column rank with LINPACK ``dqrdc2``'s rule (R ``qr(x, tol=1e-5)``):
    a column is dependent when its part orthogonal to the accepted columns
    is shorter than ``tol`` times its own norm.  Tall matrices are first
    reduced to the triangular factor of their QR (same column geometry)."""
    if M.shape[0] > 4 * M.shape[1]:
        M = np.linalg.qr(M, mode="r")
    Q = np.zeros((M.shape[0], 0))
    rank = 0
    for j in range(M.shape[1]):
        col = M[:, j].astype(float)
        norm = np.linalg.norm(col)
        if norm == 0:
            continue
        r = col - Q @ (Q.T @ col)
        r = r - Q @ (Q.T @ r)
        rn = np.linalg.norm(r)
        if rn >= tol * norm:
            Q = np.column_stack([Q, r / rn])
            rank += 1
    return rank


class ReplicateDesign(EstimatorsMixin):
    """A survey design with replicate weights (R ``svrepdesign``); immutable.

    Parameters
    ----------
    data : pandas.DataFrame
    weights : str or array-like
        Full-sample weights.
    replicate_weights : array-like (n, R) or list of column names
        Replicate weights.  ``combined=True`` (default, as R
        ``svrepdesign``): they already include the sampling weights;
        ``combined=False``: they are factors multiplied by ``weights``.
    method : {"jk1", "jkn", "bootstrap", "brr", "fay", "other"}
        Determines the default ``scale``: jk1 ``(R-1)/R``, brr ``1/R``,
        fay ``1/(R (1-rho)^2)``, bootstrap ``1/(R-1)``; "jkn" and "other"
        need ``scale``/``rscales``.
    scale : float, optional
    rscales : array-like (R,), optional
        Per-replicate multipliers (default 1).
    fay_rho : float
        Fay's coefficient for ``method="fay"``.
    mse : bool
        Centre on the full-sample estimate (R ``mse=TRUE``).
    """

    __slots__ = (
        "_W",
        "_data",
        "_degf",
        "_info",
        "_method",
        "_mse",
        "_pattern",
        "_rho",
        "_rscales",
        "_scale",
        "_w",
    )

    is_replicate = True

    def __init__(self, data: pd.DataFrame, *, weights, replicate_weights, method: str = "other",
                 scale=None, rscales=None, fay_rho: float = 0.0, mse: bool = False,
                 combined: bool = True):
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
        n = len(data)
        check_option(method, METHODS, name="method")
        if isinstance(weights, str):
            if weights not in data.columns:
                raise DesignError(f"weights column {weights!r} is not in the data.")
            w = data[weights].to_numpy(dtype=float)
        else:
            w = np.asarray(weights, dtype=float).reshape(-1)
        if w.size != n or not np.all(np.isfinite(w)) or (w < 0).any():
            raise DesignError(f"weights: need {n} finite non-negative values.")
        if isinstance(replicate_weights, (list, tuple)) and replicate_weights and all(
                isinstance(c, str) for c in replicate_weights):
            missing = [c for c in replicate_weights if c not in data.columns]
            if missing:
                raise DesignError(f"replicate weight columns {missing} are not in the data.")
            W = data[list(replicate_weights)].to_numpy(dtype=float)
        else:
            W = np.asarray(replicate_weights, dtype=float)
        if W.ndim != 2 or W.shape[0] != n or W.shape[1] < 2:
            raise DesignError(f"replicate_weights must be (n={n}, R>=2); got shape {W.shape}.")
        if not np.all(np.isfinite(W)):
            raise DesignError("replicate_weights contain missing or infinite values.")
        if not combined:
            W = W * w[:, None]
        R = W.shape[1]
        if scale is None:
            defaults = {"jk1": (R - 1) / R, "brr": 1 / R, "bootstrap": 1 / (R - 1),
                        "fay": 1 / (R * (1 - fay_rho) ** 2)}
            if method not in defaults:
                raise DesignError(f"method={method!r} needs scale= (and rscales= for jkn).")
            scale = defaults[method]
        rs = np.ones(R) if rscales is None else np.asarray(rscales, dtype=float).reshape(-1)
        if rs.size != R:
            raise DesignError(f"rscales: need {R} values (one per replicate); got {rs.size}.")
        data = data.copy(deep=False)
        with np.errstate(divide="ignore", invalid="ignore"):
            F = np.where(w[:, None] > 0, W / w[:, None], W)
        if n * R <= 20_000_000:
            pattern = pd.DataFrame(np.round(F, 10)).groupby(list(range(R)), sort=False).ngroup()
            pattern = pattern.to_numpy(np.int64)
        else:
            pattern = np.arange(n)
        self._init(data=data, w=w, W=W, scale=float(scale), rscales=rs, mse=bool(mse),
                   method=method, pattern=pattern, degf=None, info=None, rho=float(fay_rho))

    # ---------------------------------------------------------- internals
    def _evolve(self, **changes) -> ReplicateDesign:
        """A copy with some parts replaced; the cached design df is recomputed."""
        return super()._evolve(**{"degf": None, **changes})

    @classmethod
    def _from_parts(cls, data, w, W, *, method, scale, rscales, mse, pattern, rho=0.0):
        new = object.__new__(cls)
        new._init(data=data, w=w, W=W, scale=float(scale), rscales=np.asarray(rscales, float),
                  mse=bool(mse), method=method, pattern=pattern, degf=None, info=None,
                  rho=float(rho))
        return new

    # --------------------------------------------------------- attributes
    # data, weights and n come from DesignBase (survey.design.base), via EstimatorsMixin
    @property
    def replicate_weights(self) -> np.ndarray:
        """Replicate analysis weights, shape (n, R) (sampling weights included)."""
        return self._W.copy()

    @property
    def n_replicates(self) -> int:
        return self._W.shape[1]

    @property
    def method(self) -> str:
        return self._method

    @property
    def scale(self) -> float:
        return self._scale

    @property
    def rscales(self) -> np.ndarray:
        return self._rscales.copy()

    @property
    def mse(self) -> bool:
        return self._mse

    @property
    def degf(self) -> int:
        """Rank of the replicate weights minus one (R ``degf.svyrep.design``)."""
        if self._degf is None:
            object.__setattr__(self, "_degf", int(self._domain_degf(self._w != 0)))
        return self._degf

    def __repr__(self) -> str:
        return (f"ReplicateDesign(n={self.n}, method={self._method!r}, "
                f"replicates={self.n_replicates}, scale={self._scale:.6g}, mse={self._mse})")

    def _domain_degf(self, mask: np.ndarray) -> float:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return 0.0
        _, first = np.unique(self._pattern[idx], return_index=True)
        rows = idx[first]
        return float(_rank(self._W[rows]) - 1)

    # ------------------------------------------------------------ variance
    def replicate_vcov(self, theta_reps, theta) -> np.ndarray:
        """Covariance from replicate estimates (R ``svrVar``).

        Parameters
        ----------
        theta_reps : array-like, shape (R, p)
            The statistic recomputed with every replicate's weights.
        theta : array-like, shape (p,)
            Full-sample estimate (the centre when ``mse=True``).

        Returns
        -------
        ndarray, shape (p, p)
            ``scale * sum_r rscales_r (theta_r - c)(theta_r - c)'``.
            Replicates giving NaN are dropped with a warning, as in R.
        """
        T = np.asarray(theta_reps, dtype=float)
        if T.ndim == 1:
            T = T[:, None]
        theta = np.asarray(theta, dtype=float).reshape(-1)
        if T.shape[0] != self.n_replicates or T.shape[1] != theta.size:
            raise DesignError(
                f"replicate_vcov: theta_reps must be (R={self.n_replicates}, p={theta.size}); "
                f"got {T.shape}."
            )
        rs = self._rscales
        bad = np.isnan(T).any(axis=1)
        if bad.any():
            if bad.all():
                return np.full((theta.size, theta.size), np.nan)
            warnings.warn(f"{int(bad.sum())} replicates gave NaN results and were discarded.",
                          RuntimeWarning, stacklevel=2)
            T, rs = T[~bad], rs[~bad]
        centre = theta if self._mse else T[rs > 0].mean(axis=0)
        D = (T - centre) * np.sqrt(rs)[:, None]
        return self._scale * (D.T @ D)

    def model_vcov(self, theta, *, scores=None, bread=None, rows=None, refit, pattern=None) -> np.ndarray:
        """Design covariance of a model's estimate from refits on every replicate
        (:func:`survey.design.modelvcov.refits`): the replicate side of
        :meth:`survey.design.Design.model_vcov`, with the same arguments
        (``scores``, ``bread`` and ``pattern`` are not used: ``refit`` gets
        row weights)."""
        return modelvcov.refits(self, theta, refit, rows=rows)

    def score_vcov(self, z):
        """Not available: a replicate design has no linearisation structure.

        Refit the statistic with every column of :attr:`replicate_weights`
        and pass the replicate estimates to :meth:`replicate_vcov`.
        """
        raise DesignError(
            "score_vcov is not defined for a ReplicateDesign: refit the statistic with "
            "each column of design.replicate_weights and call "
            "design.replicate_vcov(theta_reps, theta)."
        )

    def _replicate_estimates(self, cols):
        W = self._W
        num = W.T @ cols.A
        if cols.B is None:
            return num
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / cols.denominators(W)

    def _vcov_columns(self, theta, union, z, reps):
        return self.replicate_vcov(reps, theta)

    # ----------------------------------------------------- weighting steps
    def _both(self) -> np.ndarray:
        return np.column_stack([self._w, self._W])

    def _split(self, M, info=None, **extra) -> ReplicateDesign:
        changes = {"w": M[:, 0].copy(), "W": M[:, 1:].copy()}
        if info is not None:
            changes["info"] = info
        changes.update(extra)
        return self._evolve(**changes)

    @staticmethod
    def _step_info(step):
        return {"calibration": step.kind, "n_iter": step.n_iter,
                "max_margin_error": step.max_error}

    def _cell_pattern(self, step):
        if step.codes is None:
            return np.arange(self.n)
        return pd.DataFrame({"p": self._pattern, "c": step.codes}).groupby(
            ["p", "c"], sort=False).ngroup().to_numpy(np.int64)

    def subset(self, mask) -> ReplicateDesign:
        """Domain: zero full-sample and replicate weights outside ``mask``."""
        m = as_mask(self._data, mask, "subset")
        return self._split(np.where(m[:, None], self._both(), 0.0))

    def rake(self, margins, *, tol: float = 1e-10, max_iter: int = 100) -> ReplicateDesign:
        """Rake the full-sample and every replicate's weights (R ``rake``)."""
        M, step = cal.rake(self._data, self._both(), margins, tol=tol, max_iter=max_iter)
        return self._split(M, self._step_info(step), pattern=self._cell_pattern(step))

    def poststratify(self, by, population, *, partial: bool = False) -> ReplicateDesign:
        """Post-stratify the full-sample and every replicate's weights."""
        by = names(by, "poststratify: by")
        M, step = cal.poststratify(self._data, self._both(), by, population, partial=partial)
        return self._split(M, self._step_info(step), pattern=self._cell_pattern(step))

    def calibrate(self, population_totals, *, method: str = "linear", bounds=None,
                  tol: float = 1e-10, max_iter: int = 50, variance=None,
                  bounds_const: bool = False) -> ReplicateDesign:
        """Calibrate the full-sample and every replicate's weights (R ``calibrate``);
        arguments as ``Design.calibrate`` (``bounds_const`` bounds every
        replicate's own weights)."""
        M, step = greg.calibrate(self._data, self._both(), population_totals, method=method,
                                bounds=bounds, tol=tol, max_iter=max_iter, variance=variance,
                                bounds_const=bounds_const)
        return self._split(M, self._step_info(step), pattern=self._cell_pattern(step))

    def trim(self, *, lower=None, upper=None, strict: bool = False) -> ReplicateDesign:
        """Trim the full-sample and every replicate's weights (R ``trimWeights``)."""
        return self._split(trim_weights(self._both(), lower=lower, upper=upper, strict=strict),
                           pattern=np.arange(self.n))

    def with_weights(self, new_weights, *, note: str = "with_weights") -> ReplicateDesign:
        """New full-sample weights; replicate weights are rescaled row by row."""
        w = np.asarray(new_weights, dtype=float).reshape(-1)
        if w.size != self.n or not np.all(np.isfinite(w)) or (w < 0).any():
            raise DesignError(f"with_weights: need {self.n} finite non-negative weights.")
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(self._w > 0, w / self._w, 0.0)
        return self._evolve(w=w, W=self._W * f[:, None])

    def diagnostics(self) -> pd.Series:
        """Weight diagnostics of the full-sample weights (see Design.diagnostics)."""
        return weight_diagnostics(self._w, raking=self._info)
