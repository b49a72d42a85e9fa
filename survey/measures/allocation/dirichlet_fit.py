"""The engine of :func:`~survey.measures.allocation.dirichlet.dirichlet_regression`:
model matrices, the Dirichlet log-likelihood with its analytic gradient and
Hessian, the moment start and the (weighted) maximum-likelihood fit.

Internal; nothing here is public.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special

from survey.errors import ConvergenceError, InputError

__all__ = ["DirichletFitter", "DirichletModel", "design_matrix", "moment_start"]


def design_matrix(frame, covariates, levels=None):
    """Intercept, numeric columns and treatment-coded categorical columns (R defaults)."""
    cols, names = [np.ones(len(frame))], ["(Intercept)"]
    found = {}
    for name in covariates:
        if name not in frame.columns:
            raise InputError(f"covariate {name!r} is not a column of the data; available: {list(frame.columns)}")
        s = frame[name]
        if levels is not None and name in levels or (
                pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s)):
            levs = levels[name] if levels is not None and name in levels else list(
                s.astype("category").cat.categories)
            cat = pd.Categorical(s, categories=levs)
            if pd.isna(cat).any() and s.notna().all():
                raise InputError(f"column {name!r} has levels not seen in the fit; known levels: {levs}")
            found[name] = levs
            for lev in levs[1:]:
                cols.append(np.asarray(cat == lev, dtype=float))
                names.append(f"{name}{lev}")
        else:
            cols.append(s.to_numpy(dtype=float))
            names.append(name)
    return np.column_stack(cols), names, found


class DirichletModel:
    """Linear predictors ``u_i`` (one per block) -> ``alpha_i``, with derivatives."""

    def __init__(self, kind, mats, d, base):
        self.kind, self.mats, self.d, self.base = kind, mats, d, base
        self.sizes = [m.shape[1] for m in mats]
        self.offsets = np.cumsum([0] + self.sizes)
        self.nonbase = [j for j in range(d) if j != base]

    def predictors(self, theta):
        return np.column_stack([m @ theta[a:b] for m, a, b in
                                zip(self.mats, self.offsets[:-1], self.offsets[1:])])

    def alpha_and_grads(self, u):
        """alpha (n, D) and dlog(alpha_j)/du (n, D, B)."""
        n = u.shape[0]
        if self.kind == "common":
            return np.exp(u), np.broadcast_to(np.eye(self.d), (n, self.d, self.d))
        eta = np.zeros((n, self.d))
        eta[:, self.nonbase] = u[:, :-1]
        eta -= eta.max(axis=1, keepdims=True)
        mu = np.exp(eta)
        mu /= mu.sum(axis=1, keepdims=True)
        alpha = mu * np.exp(u[:, -1])[:, None]
        grad = np.zeros((n, self.d, self.d))
        grad[:, :, :-1] = np.eye(self.d)[:, self.nonbase][None] - mu[:, None, self.nonbase]
        grad[:, :, -1] = 1.0
        return alpha, grad, mu

    def evaluate(self, theta, logy, w, hessian=False):
        u = self.predictors(theta)
        out = self.alpha_and_grads(u)
        alpha, g = out[0], out[1]
        a0 = alpha.sum(axis=1)
        ll_i = special.gammaln(a0) - special.gammaln(alpha).sum(axis=1) + ((alpha - 1) * logy).sum(axis=1)
        r = special.digamma(a0)[:, None] - special.digamma(alpha) + logy
        jac = alpha[:, :, None] * g                          # d alpha_j / d u_b
        su = np.einsum("nj,njb->nb", r, jac)                 # score in u-space
        score = np.column_stack([su[:, [b]] * m for b, m in enumerate(self.mats)])
        if not hessian:
            return ll_i, score, None
        # d2 l/du2 = J' H_alpha J + sum_j r_j alpha_j (g_j g_j' + d2 log alpha_j)
        ja = jac.sum(axis=1)
        hu = special.polygamma(1, a0)[:, None, None] * ja[:, :, None] * ja[:, None, :]
        hu -= np.einsum("nj,njb,njc->nbc", special.polygamma(1, alpha), jac, jac)
        hu += np.einsum("nj,njb,njc->nbc", r * alpha, g, g)
        if self.kind == "alternative":
            mu_nb = out[2][:, self.nonbase]
            ra = (r * alpha).sum(axis=1)
            k = len(self.nonbase)
            hu[:, :k, :k] -= ra[:, None, None] * (np.einsum("nb,bc->nbc", mu_nb, np.eye(k))
                                                 - mu_nb[:, :, None] * mu_nb[:, None, :])
        p = self.offsets[-1]
        h = np.zeros((p, p))
        for b, mb in enumerate(self.mats):
            for c in range(b, len(self.mats)):
                blk = (mb * (w * hu[:, b, c])[:, None]).T @ self.mats[c]
                h[self.offsets[b]:self.offsets[b + 1], self.offsets[c]:self.offsets[c + 1]] = blk
                h[self.offsets[c]:self.offsets[c + 1], self.offsets[b]:self.offsets[b + 1]] = blk.T
        return ll_i, score, h


class DirichletFitter:
    """Trust-region Newton fit on standardised covariates, mapped back to the original scale."""

    def __init__(self, kind, mats, d, base, logy, max_iter):
        backs, scaled = [], []
        for mat in mats:
            shift = np.r_[0.0, mat[:, 1:].mean(axis=0)]
            scale = np.r_[1.0, mat[:, 1:].std(axis=0)]
            shift[scale == 0], scale[scale == 0] = 0.0, 1.0
            t = np.diag(1.0 / scale)
            t[0, 1:] = -shift[1:] / scale[1:]
            backs.append(t)
            scaled.append((mat - shift) / scale)
        self.backs, self.logy, self.max_iter = backs, logy, max_iter
        self.scaled_model = DirichletModel(kind, scaled, d, base)

    def _newton(self, w, theta, nit):
        """Damped Newton steps from ``theta``; returns (theta, f, decrement, nit)."""
        m, logy = self.scaled_model, self.logy
        f = -float(w @ m.evaluate(theta, logy, w)[0])
        decrement = np.inf
        for _ in range(50):
            _, score, h = m.evaluate(theta, logy, w, hessian=True)
            g = w @ score
            try:
                step = np.linalg.solve(-h, g)
            except np.linalg.LinAlgError:
                return theta, f, np.inf, nit
            decrement = float(g @ step)
            if not np.isfinite(decrement) or decrement < 0:
                return theta, f, np.inf, nit          # not concave here: leave it to trust-exact
            if decrement < 1e-20 * max(1.0, abs(f)):
                break
            for _half in range(30):
                f_new = -float(w @ m.evaluate(theta + step, logy, w)[0])
                if np.isfinite(f_new) and f_new <= f + 1e-12 * max(1.0, abs(f)):
                    break
                step = step / 2
            else:
                break
            theta, f, nit = theta + step, f_new, nit + 1
        return theta, f, decrement, nit

    def fit(self, w, start, *, near=False):
        """Maximise the weighted log-likelihood from ``start`` (scaled coordinates).

        ``near=True`` (a replicate refit from the full-sample estimate) tries
        Newton steps first; otherwise, or if they fail, scipy's trust-exact runs
        first and Newton steps polish its result (it can stop on a "bad
        approximation" a little short of the optimum).
        """
        m, logy = self.scaled_model, self.logy
        tol = 1e-8
        message = "Newton steps from the start"
        if near:
            theta, f, decrement, nit = self._newton(w, start, 0)
            done = np.isfinite(f) and decrement < tol * max(1.0, abs(f))
        else:
            done = False
        if not done:
            res = optimize.minimize(
                lambda t: -float(w @ m.evaluate(t, logy, w)[0]), start,
                jac=lambda t: -(w @ m.evaluate(t, logy, w)[1]),
                hess=lambda t: -m.evaluate(t, logy, w, hessian=True)[2],
                method="trust-exact", options={"maxiter": self.max_iter, "gtol": 1e-10})
            message = res.message
            theta, f, decrement, nit = self._newton(w, res.x, int(res.nit))
        if not np.isfinite(f) or not decrement < tol * max(1.0, abs(f)):
            raise ConvergenceError(f"Dirichlet regression did not converge after {nit} iterations "
                                   f"(Newton decrement {decrement:.3g}; {message}); try "
                                   "rescaling covariates, fewer terms or a larger max_iter")
        off = m.offsets
        original = np.concatenate([t @ theta[a:b] for t, a, b in zip(self.backs, off[:-1], off[1:])])
        return original, nit, theta


def moment_start(model, y, w):
    """Moment start: intercepts from the weighted mean and the first part's variance."""
    wn = w / w.sum()
    m = wn @ y
    v = wn @ (y[:, 0] - m[0]) ** 2
    prec = float(np.clip(m[0] * (1 - m[0]) / v - 1, 0.5, 1e4)) if v > 0 else 10.0
    theta = np.zeros(model.offsets[-1])
    if model.kind == "common":
        for j in range(model.d):
            theta[model.offsets[j]] = np.log(m[j] * prec)
    else:
        for b, j in enumerate(model.nonbase):
            theta[model.offsets[b]] = np.log(m[j] / m[model.base])
        theta[model.offsets[-2]] = np.log(prec)
    return theta
