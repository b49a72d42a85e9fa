"""Newton–Raphson fit of the exploded (rank-ordered) logit.

Internal engine of :func:`survey.measures.ranking.rank_logit`; nothing here
is public.

Model.  Respondent ``i`` gives the utility ``v_ij = X_i . B_j + Z_ij . gamma``
to item ``j`` (``B_ref = 0``).  A top-k answer is ``k`` successive choices,
stage ``s`` choosing ``c_is`` among the items still available, with
probability ``exp(v_ic) / sum_{j available} exp(v_ij)`` (Plackett–Luce /
exploded logit).  The pseudo-log-likelihood is ``sum_i w_i l_i``.

With ``E_ij = sum_s (1[c_is = j] - p_isj)`` (chosen minus expected) the
score of respondent ``i`` is ``X_i E_ij`` for ``B_j`` and
``sum_j E_ij Z_ij`` for ``gamma``; minus the Hessian is
``sum_i w_i J_i' W_i J_i`` with ``W_i = sum_s diag(p_is) - p_is p_is'`` and
``J_i`` the Jacobian of ``v_i``.

Speed.  Respondents with identical covariates, item covariates, choices and
choice sets are collapsed into weighted *patterns* (exact for the
log-likelihood, gradient and Hessian).  Per-respondent scores, needed for
the design-based variance, are the pattern scores indexed back.  When few
distinct covariate rows exist (categorical covariates), the Hessian is
assembled from per-row-group sums of ``W`` (cost independent of ``n``).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from survey.errors import ConvergenceError, DesignError

__all__: list[str] = []


def _unique_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise unique of a 2-D float array: (first-occurrence index, inverse)."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    a = a + 0.0  # turn -0.0 into 0.0 so equal numbers compare equal bytewise
    void = a.view(np.dtype((np.void, a.dtype.itemsize * a.shape[1]))).ravel()
    _, first, inverse = np.unique(void, return_index=True, return_inverse=True)
    return first, inverse.ravel()


@dataclass
class FitOutput:
    params: np.ndarray
    info: np.ndarray  # minus the Hessian of the weighted pseudo-log-likelihood
    loglik: float
    converged: bool
    n_iter: int
    scores: np.ndarray  # (n_patterns, p) unweighted score per respondent of the pattern
    inverse: np.ndarray  # (n,) pattern of every respondent


class ExplodedLogit:
    """Weighted exploded-logit problem collapsed into response patterns.

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
        self.m = A.shape[1]
        self.r = Z.shape[2]
        self.K = C.shape[1]
        self.ref = ref
        self.nonref = np.array([j for j in range(self.m) if j != ref])
        self.nb = (self.m - 1) * self.q1
        self.n_params = self.nb + self.r
        key = np.hstack([X, Z.reshape(n, -1), C, A.astype(float)])
        first, inverse = _unique_rows(key)
        groups_first, group = _unique_rows(X[first])
        order = np.argsort(group, kind="stable")  # patterns contiguous by X-row group
        first, group = first[order], group[order]
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        self.inverse = rank[inverse]
        self.X, self.Z, self.C = X[first], Z[first], C[first]
        self.w = np.bincount(self.inverse, weights=w, minlength=len(first))
        self.group = group
        self.Xg = self.X[np.searchsorted(group, np.arange(group.max() + 1))]
        self.G = len(self.Xg)
        self.P = len(first)
        # Stage bookkeeping does not depend on the parameters: do it once.
        avail = A[first].copy()
        self.stage_rows, self.stage_avail = [], []
        for s in range(self.K):
            rows = np.flatnonzero(self.C[:, s] >= 0)
            self.stage_rows.append(rows)
            self.stage_avail.append(avail[rows].copy())
            avail[rows, self.C[rows, s]] = False
        if np.any([np.any(~av[np.arange(len(rows)), self.C[rows, s]])
                   for s, (rows, av) in enumerate(zip(self.stage_rows, self.stage_avail))]):
            raise DesignError("A respondent chose an item outside their choice set; with "
                              "choice_set='ranked' every ranked item is in the set, so this "
                              "indicates inconsistent inputs.")
        self.group_bounds = np.searchsorted(group, np.arange(self.G + 1))
        self.by_group = self.G * 4 <= self.P

    def reweighted(self, w: np.ndarray) -> "ExplodedLogit":
        """The same patterns with new respondent weights (replicate refits)."""
        new = copy.copy(self)
        new.w = np.bincount(self.inverse, weights=w, minlength=self.P)
        return new

    # ------------------------------------------------------------------
    def utilities(self, theta: np.ndarray) -> np.ndarray:
        B = np.zeros((self.m, self.q1))
        B[self.nonref] = theta[: self.nb].reshape(self.m - 1, self.q1)
        V = self.X @ B.T
        if self.r:
            V = V + self.Z @ theta[self.nb:]
        return V

    def evaluate(self, theta: np.ndarray, *, want_info: bool = True):
        """Log-likelihood, gradient, information (minus Hessian) and residuals E."""
        P, m, w = self.P, self.m, self.w
        V = self.utilities(theta)
        E = np.zeros((P, m))
        a = np.zeros((P, m))
        loglik = 0.0
        probs = []
        for s in range(self.K):
            rows, av = self.stage_rows[s], self.stage_avail[s]
            if rows.size == 0:
                probs.append(np.zeros((0, m)))
                continue
            c = self.C[rows, s]
            v = np.where(av, V[rows], -np.inf)
            mx = v.max(axis=1, keepdims=True)
            ex = np.exp(v - mx)
            tot = ex.sum(axis=1, keepdims=True)
            p = ex / tot
            loglik += float(w[rows] @ (V[rows, c] - mx[:, 0] - np.log(tot[:, 0])))
            E[rows] -= p
            E[rows, c] += 1.0
            a[rows] += p
            probs.append(p)
        wE = w[:, None] * E
        grad_b = (wE[:, self.nonref].T @ self.X).ravel()
        grad = np.concatenate([grad_b, np.einsum("pj,pjc->c", wE, self.Z)])
        if not want_info:
            return loglik, grad, None, E
        return loglik, grad, self._information(a, probs), E

    def _information(self, a, probs) -> np.ndarray:
        m, q1, nr, w, X = self.m, self.q1, self.nonref, self.w, self.X
        k = m - 1
        info = np.zeros((self.n_params, self.n_params))
        if self.by_group:
            # S_g = sum over patterns of group g of w (diag(a) - sum_s p p')
            S = np.zeros((self.G, m, m))
            wa = np.add.reduceat(w[:, None] * a, self.group_bounds[:-1], axis=0) \
                if self.P else np.zeros((self.G, m))
            S[:, np.arange(m), np.arange(m)] = wa
            for s, p in enumerate(probs):
                rows = self.stage_rows[s]
                if rows.size == 0:
                    continue
                bounds = np.searchsorted(self.group[rows], np.arange(self.G + 1))
                wp = w[rows][:, None] * p
                for g in range(self.G):
                    lo, hi = bounds[g], bounds[g + 1]
                    if hi > lo:
                        S[g] -= p[lo:hi].T @ wp[lo:hi]
            XX = (self.Xg[:, :, None] * self.Xg[:, None, :]).reshape(self.G, q1 * q1)
            SS = S[:, nr][:, :, nr].reshape(self.G, k * k)
            T = (XX.T @ SS).reshape(q1, q1, k, k).transpose(2, 0, 3, 1)
            info[: self.nb, : self.nb] = T.reshape(self.nb, self.nb)
        else:
            wX = w[:, None] * X
            D = np.einsum("pa,pb,pj->jab", wX, X, a[:, nr])
            for j in range(k):
                sl = slice(j * q1, (j + 1) * q1)
                info[sl, sl] = D[j]
            for s, p in enumerate(probs):
                rows = self.stage_rows[s]
                if rows.size == 0:
                    continue
                Kr = (p[:, nr, None] * X[rows][:, None, :]).reshape(len(rows), self.nb)
                info[: self.nb, : self.nb] -= Kr.T @ (w[rows][:, None] * Kr)
        if self.r:
            Z = self.Z
            M = a[:, :, None] * Z  # M_p = W_p Z_p
            for s, p in enumerate(probs):
                rows = self.stage_rows[s]
                if rows.size == 0:
                    continue
                pz = np.einsum("pj,pjc->pc", p, Z[rows])
                M[rows] -= p[:, :, None] * pz[:, None, :]
            wX = w[:, None] * X
            cross = np.einsum("pa,pjc->jac", wX, M[:, nr]).reshape(self.nb, self.r)
            info[: self.nb, self.nb:] = cross
            info[self.nb:, : self.nb] = cross.T
            info[self.nb:, self.nb:] = np.einsum("pjc,pjd->cd", w[:, None, None] * Z, M)
        return info

    def scores(self, E: np.ndarray) -> np.ndarray:
        """Unweighted per-pattern score vectors ``(P, n_params)``."""
        sb = (E[:, self.nonref, None] * self.X[:, None, :]).reshape(self.P, self.nb)
        return np.hstack([sb, np.einsum("pj,pjc->pc", E, self.Z)])

    # ------------------------------------------------------------------
    def fit(self, *, start=None, tol: float = 1e-10, max_iter: int = 100) -> FitOutput:
        """Maximise the weighted pseudo-log-likelihood by damped Newton steps."""
        theta = np.zeros(self.n_params) if start is None else np.asarray(start, float).copy()
        loglik, grad, info, E = self.evaluate(theta)
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
            loglik, grad, info, E = new
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
        return FitOutput(theta, info, loglik, converged, it, self.scores(E), self.inverse)


def _solve(info: np.ndarray, grad: np.ndarray) -> np.ndarray:
    try:
        factor = linalg.cho_factor(info)
    except linalg.LinAlgError:
        raise DesignError(
            "The ranking model's information matrix is singular: some coefficients are not "
            "identified (collinear covariates, a covariate constant within the data, or an "
            "item that is never in anyone's choice set). Remove the redundant terms.") from None
    return linalg.cho_solve(factor, grad)
