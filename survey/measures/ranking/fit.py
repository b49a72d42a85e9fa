"""Newton–Raphson fit of the exploded (rank-ordered) logit.

Internal engine of :func:`survey.measures.ranking.estimators.rank_logit`; nothing here
is public.

Model.  Respondent ``i`` gives the utility ``v_ij = X_i . B_j + Z_ij . gamma``
to item ``j`` (``B_ref = 0``).  A top-k answer is ``k`` successive choices,
stage ``s`` choosing ``c_is`` among the items still available, with
probability ``exp(v_ic) / sum_{j available} exp(v_ij)`` (Plackett–Luce /
exploded logit).  The pseudo-log-likelihood is ``sum_i w_i l_i``.

Speed.  A *choice situation* is a distinct (covariate row, item-covariate
row, set of available items).  Respondents and stages sharing a situation
share its choice probabilities, so the weighted number of times each item
is chosen in each situation is a sufficient statistic: the log-likelihood,
gradient and Hessian are sums over situations (a few thousand for
categorical covariates however many respondents there are).  With
``R_sj = n_sj - N_s p_sj`` (weighted choices minus expected), the gradient
is ``sum_s X_s R_sj`` for ``B_j`` and ``sum_s sum_j R_sj Z_sj`` for
``gamma``; minus the Hessian is ``sum_s N_s J_s' (diag p_s - p_s p_s') J_s``.
Per-respondent scores, needed only once for the design-based variance, are
``X_i E_ij`` and ``sum_j E_ij Z_ij`` with ``E_i = sum_s (onehot(c_is) -
p_sit(i,s))``, gathered from the situation probabilities by indexing.
"""
from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import linalg

from survey.errors import ConvergenceError, DesignError

try:  # OpenBLAS threads thrash on small matrices when cores are busy
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - threadpoolctl is a dependency (setup.cfg)
    ThreadpoolController = None
_CONTROLLER = []


def one_blas_thread():
    """Context limiting BLAS to one thread (no-op without threadpoolctl)."""
    if ThreadpoolController is None:  # pragma: no cover
        return contextlib.nullcontext()
    if not _CONTROLLER:  # scanning the loaded libraries is slow: do it once
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")

__all__: list[str] = []

_GROUP_LOOP_MAX = 2000  # assemble the Hessian per covariate row below this many rows
_CHUNK = 20_000
_BITMASK_MAX_ITEMS = 62  # available sets as int64 bit masks up to this many items


def group_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a 2-D array: (index of a representative row, group of every row).

    Groups are numbered in order of first appearance.  Rows are hashed by a
    fixed random projection, and the grouping is verified exactly (falling
    back to sorting whole rows in the astronomically rare case of a clash).
    """
    n = a.shape[0]
    if a.shape[1] == 0 or n == 0:
        return np.zeros(min(n, 1), dtype=np.int64), np.zeros(n, dtype=np.int64)
    b = np.ascontiguousarray(a, dtype=np.float64) + 0.0  # + 0.0 merges -0.0 and 0.0
    proj = b @ np.random.default_rng(20250401).standard_normal(b.shape[1])
    codes, _ = pd.factorize(proj)
    first = _first_occurrences(codes)
    if not np.array_equal(b[first][codes], b):
        void = b.view(np.dtype((np.void, 8 * b.shape[1]))).ravel()
        _, first, codes = np.unique(void, return_index=True, return_inverse=True)
        order = np.argsort(first)
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        first, codes = first[order], rank[codes.ravel()]
    return first, codes.astype(np.int64)


def _first_occurrences(codes: np.ndarray) -> np.ndarray:
    """Row of the first occurrence of every code, for codes numbered in order
    of first appearance (as ``pandas.factorize`` numbers them)."""
    running = np.maximum.accumulate(codes)
    return np.flatnonzero(np.diff(running, prepend=-1) > 0)


def _situations(gid: np.ndarray, C: np.ndarray, A: np.ndarray):
    """Number the (covariate group, available set) situation of every stage.

    Returns per observation (respondent x stage with a real choice) the
    respondent row, chosen item and situation id, the stage boundaries, and
    per situation its group and availability mask (situations sorted by group).
    """
    _n, m = A.shape
    as_int = m <= _BITMASK_MAX_ITEMS and int(gid.max(initial=0)) < 2 ** (62 - m)
    avail = A.copy()
    bit = np.left_shift(np.int64(1), np.arange(m, dtype=np.int64))
    mask = A.astype(np.int64) @ bit if as_int else None
    n_avail = A.sum(axis=1)
    rows_l, choice_l, keys_l, sizes = [], [], [], []
    for s in range(C.shape[1]):
        c = C[:, s]
        rows = np.flatnonzero(c >= 0)
        if np.any(~avail[rows, c[rows]]):
            raise DesignError("A respondent chose an item outside their choice set.")
        act = rows[n_avail[rows] >= 2]
        if act.size:
            rows_l.append(act)
            choice_l.append(c[act])
            sizes.append(act.size)
            if as_int:
                keys_l.append((gid[act] << m) | mask[act])
            else:
                keys_l.append(np.hstack([gid[act, None].astype(np.float64),
                                         np.packbits(avail[act], axis=1).astype(np.float64)]))
        avail[rows, c[rows]] = False
        n_avail[rows] -= 1
        if as_int:
            mask[rows] &= ~bit[c[rows]]
    if not rows_l:
        raise DesignError("No respondent made a choice among two or more items.")
    if as_int:
        codes, uniq = pd.factorize(np.concatenate(keys_l))  # hash, then sort the few keys
        order = np.argsort(uniq)
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        uniq, obs_sit = uniq[order], rank[codes]
        sit_group = uniq >> m
        sit_avail = ((uniq[:, None] & bit[None, :]) != 0)
    else:
        keys = np.vstack(keys_l)
        first, obs_sit = group_rows(keys)
        order = np.argsort(keys[first, 0], kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        first, obs_sit = first[order], rank[obs_sit]
        sit_group = keys[first, 0].astype(np.int64)
        sit_avail = np.unpackbits(keys[first, 1:].astype(np.uint8), axis=1)[:, :m].astype(bool)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    return (np.concatenate(rows_l), np.concatenate(choice_l), obs_sit.ravel(), bounds,
            sit_group, sit_avail)


@dataclass
class FitOutput:
    params: np.ndarray
    info: np.ndarray  # minus the Hessian of the weighted pseudo-log-likelihood
    loglik: float
    converged: bool
    n_iter: int


class ExplodedLogit:
    """Weighted exploded-logit problem reduced to choice situations.

    Parameters
    ----------
    X : (n, q1) respondent model matrix (first column ones).
    Z : (n, m, r) item-specific covariates.
    C : (n, K) chosen item positions per stage, -1 = no choice (trailing).
    A : (n, m) bool, items in the respondent's choice set.
    w : (n,) weights.
    ref : position of the reference item.
    """

    def __init__(self, X, Z, C, A, w, ref):
        n, self.q1 = X.shape
        self.n, self.m, self.r, self.K = n, A.shape[1], Z.shape[2], C.shape[1]
        self.ref = ref
        self.nonref = np.array([j for j in range(self.m) if j != ref])
        self.nb = (self.m - 1) * self.q1
        self.n_params = self.nb + self.r
        first, self.gid = group_rows(np.hstack([X, Z.reshape(n, -1)]))
        self.Xg, self.Zg, self.G = X[first], Z[first], len(first)
        self.group_first = first
        (self.obs_row, self.obs_choice, self.obs_sit, self.stage_bounds,
         self.sit_group, self.sit_avail) = _situations(self.gid, C, A)
        self.S = len(self.sit_group)
        self.group_bounds = np.searchsorted(self.sit_group, np.arange(self.G + 1))
        self.by_group = self.G <= _GROUP_LOOP_MAX and 4 * self.G <= self.S
        self._set_weights(np.asarray(w, dtype=float))

    def _set_weights(self, w: np.ndarray) -> None:
        self.w = w
        wo = w[self.obs_row]
        self.N = np.bincount(self.obs_sit, weights=wo, minlength=self.S)
        self.counts = np.bincount(self.obs_sit * self.m + self.obs_choice, weights=wo,
                                  minlength=self.S * self.m).reshape(self.S, self.m)

    def reweighted(self, w: np.ndarray) -> ExplodedLogit:
        """The same situations with new respondent weights (replicate refits)."""
        new = copy.copy(self)
        new._set_weights(np.asarray(w, dtype=float))
        return new

    def wins_losses(self) -> tuple[np.ndarray, np.ndarray]:
        """Weighted times each item was chosen / passed over, per covariate group (G, m)."""
        wins = np.zeros((self.G, self.m))
        losses = np.zeros((self.G, self.m))
        np.add.at(wins, self.sit_group, self.counts)
        np.add.at(losses, self.sit_group, self.sit_avail * self.N[:, None] - self.counts)
        return wins, losses

    # ------------------------------------------------------------------
    def group_utilities(self, theta: np.ndarray) -> np.ndarray:
        B = np.zeros((self.m, self.q1))
        B[self.nonref] = theta[: self.nb].reshape(self.m - 1, self.q1)
        V = self.Xg @ B.T
        if self.r:
            V = V + self.Zg @ theta[self.nb:]
        return V

    def probabilities(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Utilities (S, m) and choice probabilities (S, m) of every situation."""
        V = self.group_utilities(theta)[self.sit_group]
        v = np.where(self.sit_avail, V, -np.inf)
        v = v - v.max(axis=1, keepdims=True)
        ex = np.exp(v)
        return V, ex / ex.sum(axis=1, keepdims=True)

    def evaluate(self, theta: np.ndarray, *, want_info: bool = True):
        """Log-likelihood, gradient and information (minus Hessian)."""
        _V, p = self.probabilities(theta)
        with np.errstate(divide="ignore"):
            logp = np.log(p)
        chosen = self.counts > 0
        loglik = float(np.sum(self.counts[chosen] * logp[chosen]))
        R = self.counts - self.N[:, None] * p
        Rg = np.add.reduceat(R, self.group_bounds[:-1], axis=0) if self.by_group else None
        if Rg is None:
            Rg = np.zeros((self.G, self.m))
            np.add.at(Rg, self.sit_group, R)
        grad = np.concatenate([(Rg[:, self.nonref].T @ self.Xg).ravel(),
                               np.einsum("gj,gjc->c", Rg, self.Zg)])
        if not want_info:
            return loglik, grad, None
        return loglik, grad, self._information(p)

    def _information(self, p: np.ndarray) -> np.ndarray:
        m, q1, nr, N = self.m, self.q1, self.nonref, self.N
        k = m - 1
        info = np.zeros((self.n_params, self.n_params))
        Np = N[:, None] * p
        if self.by_group:
            Sg = np.zeros((self.G, m, m))
            for g in range(self.G):
                lo, hi = self.group_bounds[g], self.group_bounds[g + 1]
                Sg[g] = np.diag(Np[lo:hi].sum(axis=0)) - p[lo:hi].T @ Np[lo:hi]
            XX = (self.Xg[:, :, None] * self.Xg[:, None, :]).reshape(self.G, q1 * q1)
            SS = Sg[:, nr][:, :, nr].reshape(self.G, k * k)
            T = (XX.T @ SS).reshape(q1, q1, k, k).transpose(2, 0, 3, 1)
            info[: self.nb, : self.nb] = T.reshape(self.nb, self.nb)
        else:
            for lo in range(0, self.S, _CHUNK):
                sl = slice(lo, lo + _CHUNK)
                Xs = self.Xg[self.sit_group[sl]]
                D = np.einsum("sa,sb,sj->jab", Xs, Xs, Np[sl][:, nr])
                for j in range(k):
                    info[j * q1:(j + 1) * q1, j * q1:(j + 1) * q1] += D[j]
                Kr = (p[sl][:, nr, None] * Xs[:, None, :]).reshape(-1, self.nb)
                info[: self.nb, : self.nb] -= Kr.T @ (N[sl][:, None] * Kr)
        if self.r:
            Zs = self.Zg[self.sit_group]
            pz = np.einsum("sj,sjc->sc", p, Zs)
            M = Np[:, :, None] * (Zs - pz[:, None, :])  # W_s Z_s
            Xs = self.Xg[self.sit_group]
            cross = np.einsum("sa,sjc->jac", Xs, M[:, nr]).reshape(self.nb, self.r)
            info[: self.nb, self.nb:] = cross
            info[self.nb:, : self.nb] = cross.T
            info[self.nb:, self.nb:] = np.einsum("sjc,sjd->cd", Zs, M)
        return info

    def scores(self, theta: np.ndarray, weights: np.ndarray | None = None, *, rows=None) -> np.ndarray:
        """Per-respondent score vectors ``(n, n_params)``, times ``weights`` if given.

        ``rows``: only these respondents' (positions), e.g. one per answer
        pattern.  Returned in Fortran (column-major) order: every column is
        written contiguously, and the design's variance code works column-wise.
        """
        _, p = self.probabilities(theta)
        # E_i = sum over i's stages of (chosen indicator - situation probabilities)
        ones = np.ones(self.obs_row.size)
        to_sit = sp.csr_matrix((ones, (self.obs_row, self.obs_sit)), shape=(self.n, self.S))
        chosen = sp.csr_matrix((ones, (self.obs_row, self.obs_choice)), shape=(self.n, self.m))
        gid = self.gid
        if rows is not None:
            to_sit, chosen, gid = to_sit[rows], chosen[rows], gid[rows]
        E = np.asfortranarray(chosen.toarray() - to_sit @ p)
        if weights is not None:
            E *= np.asarray(weights, dtype=float)[:, None]
        X = np.asfortranarray(self.Xg[gid])
        out = np.empty((len(gid), self.n_params), order="F")
        for b, j in enumerate(self.nonref):  # column (j, a) = E_ij * X_ia
            for a in range(self.q1):
                np.multiply(E[:, j], X[:, a], out=out[:, b * self.q1 + a])
        if self.r:
            out[:, self.nb:] = np.einsum("ij,ijc->ic", E, self.Zg[gid])
        return out

    # ------------------------------------------------------------------
    def fit(self, *, start=None, tol: float = 1e-10, max_iter: int = 100) -> FitOutput:
        """Maximise the weighted pseudo-log-likelihood by damped Newton steps.

        Callers fitting many times (replicates) should hold
        :func:`one_blas_thread` around the loop: the Newton algebra is small.
        """
        theta = np.zeros(self.n_params) if start is None else np.asarray(start, float).copy()
        loglik, grad, info = self.evaluate(theta)
        converged = False
        it = 0
        for it in range(1, max_iter + 1):
            step = _solve(info, grad)
            t = 1.0
            while True:
                cand = theta + t * step
                new = self.evaluate(cand)
                if new[0] >= loglik - 1e-12 * max(1.0, abs(loglik)) or t < 1e-8:
                    break
                t /= 2.0
            theta = cand
            loglik, grad, info = new
            if np.max(np.abs(t * step) / (1.0 + np.abs(theta))) < tol:
                converged = True
                break
        if not converged:
            worst = int(np.argmax(np.abs(theta)))
            raise ConvergenceError(
                f"The ranking model did not converge in {max_iter} Newton steps (largest "
                f"coefficient |{theta[worst]:.3g}| at position {worst}). This usually means "
                "an item is never (or always) chosen within some covariate group, so its "
                "coefficient runs off to infinity; merge sparse covariate levels or items.")
        return FitOutput(theta, info, loglik, converged, it)


def _solve(info: np.ndarray, grad: np.ndarray) -> np.ndarray:
    try:
        factor = linalg.cho_factor(info)
    except linalg.LinAlgError:
        raise DesignError(
            "The ranking model's information matrix is singular: some coefficients are not "
            "identified (collinear covariates, a covariate constant within the data, or an "
            "item that is never in anyone's choice set). Remove the redundant terms.") from None
    return linalg.cho_solve(factor, grad)
