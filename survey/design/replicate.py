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
from survey.design.estimators import EstimatorsMixin
from survey.design.weights import trim_weights, weight_diagnostics
from survey.errors import DesignError

__all__ = ["ReplicateDesign"]

METHODS = ("jk1", "jkn", "bootstrap", "brr", "fay", "other")


def _rank(M: np.ndarray, tol: float = 1e-5) -> int:
    """Column rank with LINPACK ``dqrdc2``'s rule (R ``qr(x, tol=1e-5)``):
    a column is dependent when its part orthogonal to the accepted columns
    is shorter than ``tol`` times its own norm."""
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

    __slots__ = ("_data", "_w", "_W", "_scale", "_rscales", "_mse", "_method", "_pattern",
                 "_degf", "_info", "_rho")

    is_replicate = True

    def __init__(self, data: pd.DataFrame, *, weights, replicate_weights, method: str = "other",
                 scale=None, rscales=None, fay_rho: float = 0.0, mse: bool = False,
                 combined: bool = True):
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
        n = len(data)
        if method not in METHODS:
            raise DesignError(f"method must be one of {METHODS}; got {method!r}.")
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
    def _init(self, **parts):
        for k, v in parts.items():
            object.__setattr__(self, "_" + k, v)

    def __setattr__(self, name, value):
        raise AttributeError("ReplicateDesign is immutable; weighting steps return a new design.")

    def _evolve(self, **changes) -> "ReplicateDesign":
        new = object.__new__(type(self))
        for slot in self.__slots__:
            object.__setattr__(new, slot, getattr(self, slot))
        object.__setattr__(new, "_degf", None)
        for k, v in changes.items():
            object.__setattr__(new, "_" + k, v)
        return new

    @classmethod
    def _from_parts(cls, data, w, W, *, method, scale, rscales, mse, pattern, rho=0.0):
        new = object.__new__(cls)
        new._init(data=data, w=w, W=W, scale=float(scale), rscales=np.asarray(rscales, float),
                  mse=bool(mse), method=method, pattern=pattern, degf=None, info=None,
                  rho=float(rho))
        return new

    # --------------------------------------------------------- attributes
    @property
    def data(self) -> pd.DataFrame:
        """The data (never modified)."""
        return self._data

    @property
    def weights(self) -> pd.Series:
        """Full-sample weights aligned with :attr:`data`."""
        return pd.Series(self._w, index=self._data.index, name="weights", copy=True)

    @property
    def replicate_weights(self) -> np.ndarray:
        """Replicate analysis weights, shape (n, R) (sampling weights included)."""
        return self._W.copy()

    @property
    def n(self) -> int:
        return len(self._w)

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

    def _split(self, M, info=None, **extra) -> "ReplicateDesign":
        changes = {"w": M[:, 0].copy(), "W": M[:, 1:].copy()}
        if info is not None:
            changes["info"] = info
        changes.update(extra)
        return self._evolve(**changes)

    @staticmethod
    def _step_info(step):
        return {"calibration": step.kind, "iterations": step.iterations,
                "max_margin_error": step.max_error}

    def _cell_pattern(self, step):
        if step.codes is None:
            return np.arange(self.n)
        return pd.DataFrame({"p": self._pattern, "c": step.codes}).groupby(
            ["p", "c"], sort=False).ngroup().to_numpy(np.int64)

    def subset(self, mask) -> "ReplicateDesign":
        """Domain: zero full-sample and replicate weights outside ``mask``."""
        from survey.design.design import _as_mask

        m = _as_mask(self._data, mask, "subset")
        return self._split(np.where(m[:, None], self._both(), 0.0))

    def rake(self, margins, *, tol: float = 1e-10, max_iter: int = 100) -> "ReplicateDesign":
        """Rake the full-sample and every replicate's weights (R ``rake``)."""
        M, step = cal.rake(self._data, self._both(), margins, tol=tol, max_iter=max_iter)
        return self._split(M, self._step_info(step), pattern=self._cell_pattern(step))

    def poststratify(self, by, population, *, partial: bool = False) -> "ReplicateDesign":
        """Post-stratify the full-sample and every replicate's weights."""
        from survey.design.design import _names

        by = _names(by, "poststratify: by")
        M, step = cal.poststratify(self._data, self._both(), by, population, partial=partial)
        return self._split(M, self._step_info(step), pattern=self._cell_pattern(step))

    def calibrate(self, population_totals, *, method: str = "linear", bounds=None,
                  tol: float = 1e-10, max_iter: int = 50) -> "ReplicateDesign":
        """Calibrate the full-sample and every replicate's weights (R ``calibrate``)."""
        M, step = cal.calibrate(self._data, self._both(), population_totals, method=method,
                                bounds=bounds, tol=tol, max_iter=max_iter)
        return self._split(M, self._step_info(step), pattern=self._cell_pattern(step))

    def trim(self, *, lower=None, upper=None, strict: bool = False) -> "ReplicateDesign":
        """Trim the full-sample and every replicate's weights (R ``trimWeights``)."""
        return self._split(trim_weights(self._both(), lower=lower, upper=upper, strict=strict),
                           pattern=np.arange(self.n))

    def with_weights(self, new_weights, *, note: str = "with_weights") -> "ReplicateDesign":
        """New full-sample weights; replicate weights are rescaled row by row."""
        w = np.asarray(new_weights, dtype=float).reshape(-1)
        if w.size != self.n or not np.all(np.isfinite(w)) or (w < 0).any():
            raise DesignError(f"with_weights: need {self.n} finite non-negative weights.")
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(self._w > 0, w / self._w, 0.0)
        return self._evolve(w=w, W=self._W * f[:, None])

    def with_columns(self, **columns) -> "ReplicateDesign":
        """Same design with extra or replaced data columns (R ``update``).

        Values must have one entry per row (a Series is aligned on the
        index); weights and structure are unchanged.
        """
        data = self._data.copy(deep=False)
        for name, values in columns.items():
            if isinstance(values, pd.Series):
                values = values.reindex(data.index)
            arr = np.asarray(values)
            if arr.ndim != 1 or len(arr) != self.n:
                raise DesignError(f"with_columns: {name!r} needs {self.n} values; got shape "
                                  f"{arr.shape}.")
            data[name] = values
        return self._evolve(data=data)

    def diagnostics(self) -> pd.Series:
        """Weight diagnostics of the full-sample weights (see Design.diagnostics)."""
        return weight_diagnostics(self._w, raking=self._info)


# --------------------------------------------------------------- builders
def _hadamard(order_min: int) -> np.ndarray:
    """A +/-1 Hadamard matrix of the smallest order >= order_min available
    from Sylvester doubling of orders 1, or Paley's construction (q + 1 for
    primes q = 3 mod 4), normalised so that row 0 is all ones."""
    def paley(q):
        res = np.zeros(q, dtype=int)
        res[(np.arange(1, q) ** 2) % q] = 1
        chi = np.where(res == 1, 1, -1)
        chi[0] = 0
        Q = np.array([[chi[(j - i) % q] for j in range(q)] for i in range(q)])
        H = np.ones((q + 1, q + 1), dtype=int)
        H[1:, 1:] = Q + np.eye(q, dtype=int)
        H[1:, 0] = -1
        return H

    def is_prime(m):
        return m > 1 and all(m % d for d in range(2, int(m ** 0.5) + 1))

    best = None
    size = 1
    while size < 4 * order_min + 8:
        for base in ([1, 2] + [q + 1 for q in range(3, order_min + 4, 4) if is_prime(q)]):
            order = base * size
            if order >= order_min and (best is None or order < best[0]):
                best = (order, base, size)
        size *= 2
    order, base, doublings = best
    if base == 1:
        H = np.ones((1, 1), dtype=int)
    elif base == 2:
        H = np.array([[1, 1], [1, -1]])
    else:
        H = paley(base - 1)
    while H.shape[0] < order:
        H = np.block([[H, H], [H, -H]])
    # normalise: first row and column all +1
    H = H * H[0][None, :]
    H = H * H[:, 0][:, None]
    return H


def build_replicates(design, method: str, *, replicates, seed, fay_rho, mse) -> ReplicateDesign:
    """Replicate weights for a :class:`~survey.design.Design` as constructed."""
    method = str(method).lower()
    if method not in ("jk1", "jkn", "bootstrap", "brr", "fay"):
        raise DesignError(
            f"replicate: method must be 'jk1', 'jkn', 'bootstrap', 'brr' or 'fay'; got {method!r}.")
    st = design._stages[0]
    w = design._w_base
    has_strata = design._spec["strata"] is not None
    psu = st.cluster
    strata = st.strata
    n_psu = st.n_clusters
    psu_stratum = np.zeros(n_psu, dtype=np.int64)
    psu_stratum[psu] = strata
    npsu_h = st.npsu
    labels = st.strata_labels
    if st.popsize is None:
        fpc_corr = np.ones(st.n_strata)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            fpc_corr = np.where(np.isinf(st.popsize), 1.0, (st.popsize - npsu_h) / st.popsize)
    if method == "jk1":
        if has_strata:
            raise DesignError("replicate('jk1') needs an unstratified design; use 'jkn' "
                              "for a stratified one.")
        k = n_psu
        F = np.full((n_psu, k), k / (k - 1))
        F[np.arange(k), np.arange(k)] = 0.0
        scale = (k - 1) / k * fpc_corr[0]
        rscales = np.ones(k)
        R_method = "jk1"
    elif method == "jkn":
        if not has_strata:
            raise DesignError("replicate('jkn') needs a stratified design; use 'jk1' for "
                              "an unstratified one.")
        cols, rsc = [], []
        lonely = [h for h in range(st.n_strata) if npsu_h[h] == 1 and fpc_corr[h] != 0]
        if lonely and design._lonely == "fail":
            raise DesignError(
                f"replicate('jkn'): strata {[labels[h] for h in lonely][:10]} have one PSU; "
                "choose Design(..., lonely_psu=...) to handle them.")
        kept = 0
        for h in range(st.n_strata):
            members = np.flatnonzero(psu_stratum == h)
            nh = members.size
            if nh == 1 and fpc_corr[h] != 0:
                if design._lonely == "adjust":
                    col = np.where(psu_stratum == h, 0.0, st.n_strata / (st.n_strata - 1))
                    cols.append(col)
                    rsc.append((st.n_strata - 1) / st.n_strata)
                    kept += 1
                continue
            for m in members:
                col = np.ones(n_psu)
                col[members] = nh / (nh - 1) if nh > 1 else 1.0
                col[m] = 0.0
                cols.append(col)
                rsc.append(fpc_corr[h] * (nh - 1) / nh)
                kept += 1
        F = np.column_stack(cols)
        rscales = np.array(rsc)
        scale = 1.0
        if design._lonely == "average" and kept < n_psu:
            scale = n_psu / kept
        R_method = "jkn"
    elif method in ("brr", "fay"):
        if not has_strata:
            raise DesignError(f"replicate({method!r}) needs a stratified design with 2 PSUs "
                              "per stratum.")
        if not np.all(npsu_h == 2):
            bad = [labels[h] for h in np.flatnonzero(npsu_h != 2)][:10]
            raise DesignError(
                f"replicate({method!r}) needs exactly 2 PSUs in every stratum; strata {bad} "
                "differ. Use 'jkn' or 'bootstrap', or pair PSUs into pseudo-strata.")
        rho = 0.0 if method == "brr" else float(fay_rho)
        if not 0 <= rho < 1:
            raise DesignError(f"fay_rho must be in [0, 1); got {fay_rho}.")
        H = _hadamard(st.n_strata + 1)
        R = H.shape[1]
        F = np.empty((n_psu, R))
        for h in range(st.n_strata):
            first, second = np.flatnonzero(psu_stratum == h)
            sign = H[h + 1]
            F[first] = np.where(sign > 0, 2 - rho, rho)
            F[second] = np.where(sign > 0, rho, 2 - rho)
        scale = 1.0 / (R * (1 - rho) ** 2)
        rscales = np.ones(R)
        R_method = method
    else:  # bootstrap
        B = 50 if replicates is None else int(replicates)
        if B < 2:
            raise DesignError(f"replicate('bootstrap'): replicates must be >= 2; got {replicates}.")
        rng = np.random.default_rng(seed)
        F = np.zeros((n_psu, B))
        for h in range(st.n_strata):
            members = np.flatnonzero(psu_stratum == h)
            nh = members.size
            if st.popsize is None or np.isinf(st.popsize[h]):
                draws = rng.integers(0, nh, size=(B, nh))
                for b in range(B):
                    F[members, b] = np.bincount(draws[b], minlength=nh)
            else:
                N = int(round(st.popsize[h]))
                pool = np.resize(np.arange(nh), N)
                for b in range(B):
                    pick = rng.choice(pool, size=nh, replace=False)
                    F[members, b] = np.bincount(pick, minlength=nh)
        harm = 1.0 / np.mean(1.0 / npsu_h)
        scale = harm / ((harm - 1) * (B - 1))
        rscales = np.ones(B)
        R_method = "bootstrap"
    W = F[psu] * w[:, None]
    return ReplicateDesign._from_parts(design._data, w.copy(), W, method=R_method, scale=scale,
                                       rscales=rscales, mse=mse, pattern=psu.copy(),
                                       rho=fay_rho if method == "fay" else 0.0)
