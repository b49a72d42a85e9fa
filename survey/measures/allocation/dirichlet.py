"""Dirichlet regression of a composition on covariates.

Two parametrisations, as in R DirichletReg:

* ``model="common"`` (default): ``log(alpha_ij) = x_i' beta_j`` for every part
  ``j`` (R: ``DirichReg(Y ~ x, data)``);
* ``model="alternative"``: expected composition ``mu_ij`` by a multinomial
  logit on ``x`` with a base part (coefficients fixed at 0) and precision
  ``phi_i = exp(z_i' delta)``, ``alpha_ij = mu_ij phi_i``
  (R: ``DirichReg(Y ~ x | z, data, model="alternative", base=b)``).

:func:`dirichlet_regression` given a ``DataFrame`` is ordinary maximum
likelihood (optionally with frequency weights) with the inverse observed
information as covariance, reproducing DirichletReg.  Given a survey design it
maximises the design-weighted pseudo log-likelihood and returns sandwich
(linearisation) standard errors ``A^-1 V A^-1``: ``A`` the weighted observed
information, ``V`` the design covariance of the weighted score totals
(``design.score_vcov``), the construction R survey uses for ``svymle``/``svyglm``.

Responses are prepared like ``DR_data``: rows are closed to sum 1 and, only
when a value lies outside ``(eps, 1 - eps)`` (``eps = sqrt(machine
epsilon)``), all rows are compressed with Smithson & Verkuilen's (2006)
``(y (n - 1) + 1 / D) / n``.  A ¥0 answer therefore triggers the compression,
as it does in R.  The log-likelihood, gradient and Hessian are analytic; the
optimiser is scipy's ``trust-exact``.

References
----------
Maier, M. J. (2014). DirichletReg: Dirichlet regression for compositional
data in R. Research Report 125, WU Vienna.
Smithson, M. & Verkuilen, J. (2006). A better lemon squeezer? Psychological
Methods 11(1), 54-71.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from survey.design.results import ResultMixin
from survey.errors import ConvergenceError, DesignError, InputError
from survey.validation import check_design

__all__ = ["DirichletFit", "dirichlet_regression", "prepare_composition"]

_EPS = float(np.sqrt(np.finfo(float).eps))
_PHI = "(phi)"


def prepare_composition(values, *, transform="auto"):
    """Close rows to 1 and compress away exact 0/1 values, like ``DR_data``.

    Parameters
    ----------
    values : array-like, shape (n, D)
        Non-negative parts (yen, counts or proportions); every row needs a
        positive total.
    transform : {"auto", True, False}, keyword-only
        ``"auto"`` (DirichletReg's default) compresses only when some closed
        value is below ``sqrt(eps)`` or above ``1 - sqrt(eps)``; ``True``
        always compresses; ``False`` never does and then rejects boundary
        values.

    Returns
    -------
    y : numpy.ndarray
        The closed (and possibly compressed) composition.
    transformed : bool
        Whether the Smithson-Verkuilen compression was applied.
    """
    y = np.asarray(values, dtype=float)
    if y.ndim != 2 or y.shape[1] < 2:
        raise InputError(f"a composition needs a 2-D array with at least 2 parts; got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise InputError("the composition contains missing or infinite values; drop or impute those rows first")
    if np.any(y < 0):
        raise InputError("the composition contains negative values; parts must be >= 0")
    totals = y.sum(axis=1)
    if np.any(totals <= 0):
        bad = np.flatnonzero(totals <= 0)[:5].tolist()
        raise InputError(f"rows {bad} (0-based) have a total of 0; a composition needs a positive total")
    y = y / totals[:, None]
    if transform not in ("auto", True, False):
        raise InputError(f"transform must be 'auto', True or False; got {transform!r}")
    boundary = bool(np.any(y < _EPS) or np.any(y > 1 - _EPS))
    do_it = transform is True or (transform == "auto" and boundary)
    if do_it:
        n, d = y.shape
        y = (y * (n - 1) + 1.0 / d) / n
    elif boundary:
        raise InputError("the composition has parts equal to 0 or 1 and transform=False; "
                         "use transform='auto' or a zero replacement first")
    return y, do_it


def _design_matrix(frame, covariates, levels=None):
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


class _Model:
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


class _Fitter:
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
        self.scaled_model = _Model(kind, scaled, d, base)

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


def _start(model, y, w):
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


@dataclass(frozen=True)
class DirichletFit(ResultMixin):
    """Result of :func:`dirichlet_regression`.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One row per (part, term) with ``part, term, estimate, se, z, p,
        ci_low, ci_high`` (Wald, normal reference like DirichletReg; also
        ``.table``).  In the alternative model the precision coefficients
        have part ``"(phi)"``.
    vcov : pandas.DataFrame
        Covariance of the coefficients (model-based, or sandwich for a design).
    loglik : float
        (Pseudo) log-likelihood at the estimate, weighted when weights are used.
    n, n_params : int
        Rows used and number of coefficients.
    method : str
        ``"ml"`` or ``"pseudo-ml (design-based)"``.
    transformed : bool
        Whether the Smithson-Verkuilen compression was applied to the response.
    n_iter : int
        Iterations of the optimiser.

    With the other results (:class:`~survey.design.results.ResultMixin`):
    ``estimate``/``params`` indexed by ``(part, term)``, ``se``,
    ``conf_int(level)`` (normal), ``to_frame()`` with the fixed columns,
    ``wald_test(terms)`` (chi-square) and ``summary()``.
    """

    coefficients: pd.DataFrame
    vcov: pd.DataFrame
    loglik: float
    n: int
    n_params: int
    parts: tuple
    model: str
    method: str
    transformed: bool
    n_iter: int
    _spec: dict = field(repr=False, default_factory=dict)

    @property
    def params(self) -> pd.Series:
        """The coefficients, indexed by ``(part, term)``."""
        return self.coefficients.set_index(["part", "term"])["estimate"]

    estimate = params

    @property
    def table(self) -> pd.DataFrame:
        """The coefficient table (``coefficients``)."""
        return self.coefficients.copy()

    def _title(self) -> str:
        return f"Dirichlet regression ({self.model}, {self.method}, n = {self.n})"

    @property
    def aic(self) -> float:
        """``-2 logLik + 2 k`` (R ``AIC(fit)``)."""
        return -2 * self.loglik + 2 * self.n_params

    @property
    def bic(self) -> float:
        """``-2 logLik + k log n`` (R ``BIC(fit)``)."""
        return -2 * self.loglik + np.log(self.n) * self.n_params

    def predict(self, newdata: pd.DataFrame, *, what: str = "mu") -> pd.DataFrame:
        """Fitted ``alpha``, expected composition ``mu`` or precision ``phi``.

        Same numbers as R ``predict(fit, newdata, mu=, alpha=, phi=)``.
        """
        if what not in ("mu", "alpha", "phi"):
            raise InputError(f"what must be 'mu', 'alpha' or 'phi'; got {what!r}")
        spec = self._spec
        mats = [_design_matrix(newdata, covs, spec["levels"])[0] for covs in spec["blocks"]]
        model = _Model(self.model, mats, len(self.parts), spec["base"])
        alpha = model.alpha_and_grads(model.predictors(self.coefficients["estimate"].to_numpy()))[0]
        if what == "alpha":
            return pd.DataFrame(alpha, columns=list(self.parts), index=newdata.index)
        if what == "phi":
            return pd.DataFrame({"phi": alpha.sum(axis=1)}, index=newdata.index)
        return pd.DataFrame(alpha / alpha.sum(axis=1, keepdims=True), columns=list(self.parts),
                            index=newdata.index)


def _resolve_source(source, weights):
    if isinstance(source, pd.DataFrame):
        frame = source
        if weights is None:
            return frame, np.ones(len(frame)), False
        if isinstance(weights, str):
            if weights not in frame.columns:
                raise InputError(f"weights column {weights!r} not found in the data")
            return frame, frame[weights].to_numpy(dtype=float), False
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(frame),):
            raise InputError(f"weights has shape {w.shape}; expected ({len(frame)},)")
        return frame, w, False
    check_design(source, what="dirichlet_regression (a data frame, or a design)")
    if weights is not None:
        raise DesignError("weights= is for data frame fits; a design brings its own weights")
    return source.data, np.asarray(source.weights, dtype=float), True


def dirichlet_regression(source, columns, *, covariates=(), model="common", precision=(),
                         base=None, weights=None, transform="auto", level=0.95,
                         max_iter=500) -> DirichletFit:
    """Fit a Dirichlet regression by (pseudo) maximum likelihood.

    Parameters
    ----------
    source : pandas.DataFrame or survey design
        A data frame gives ordinary ML (R ``DirichReg``); a design (anything
        with ``data``, ``weights`` and ``score_vcov``) gives the design-weighted
        pseudo-ML fit with sandwich standard errors.
    columns : sequence of str
        The parts of the composition (at least 2).
    covariates : sequence of str, keyword-only
        Predictors of every ``alpha_j`` (common) or of the expected composition
        (alternative).  Non-numeric columns are treatment-coded with the first
        level as reference (R's default contrasts).  ``()`` is ``Y ~ 1``.
    model : {"common", "alternative"}, keyword-only
        The parametrisation (see module notes).
    precision : sequence of str, keyword-only
        Alternative model only: predictors of ``log(phi)`` (``()`` = constant).
    base : str, optional, keyword-only
        Alternative model only: the base part (default the first, as R's
        ``base=1``).  The fit (logLik, ``mu``) does not depend on it.
    weights : str or array-like, optional, keyword-only
        Frequency weights for a data frame fit (R ``DirichReg(..., weights=)``).
    transform : {"auto", True, False}, keyword-only
        Passed to :func:`prepare_composition`.
    level : float, keyword-only
        Confidence level of the Wald intervals.
    max_iter : int, keyword-only
        Iteration limit of the optimiser.

    Returns
    -------
    DirichletFit

    Notes
    -----
    Rows with a missing part or covariate are dropped from a data frame fit, as
    R's ``na.omit`` does; a design must be subset first.  Checked numbers:
    ArcticLake ``Y ~ depth`` logLik 101.3697 and ``Y ~ 1`` 39.52929; the 30
    classified BloodSamples rows, ``Smp ~ Disease | 1`` (alternative, base 3)
    logLik 151.9 (DirichletReg vignette).
    """
    columns = list(columns)
    covariates, precision = list(covariates), list(precision)
    if model not in ("common", "alternative"):
        raise InputError(f"model must be 'common' or 'alternative'; got {model!r}")
    if model == "common" and (precision or base is not None):
        raise InputError("precision= and base= belong to model='alternative'")
    frame, w_all, is_design = _resolve_source(source, weights)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"parts {missing} are not columns of the data; available: {list(frame.columns)}")
    if len(columns) < 2:
        raise InputError(f"a composition needs at least 2 parts; got {columns}")
    if base is None:
        base_idx = 0
    elif base in columns:
        base_idx = columns.index(base)
    else:
        raise InputError(f"base {base!r} is not one of the parts {columns}")
    used = list(dict.fromkeys(columns + covariates + precision))
    complete = frame[used].notna().all(axis=1).to_numpy() & np.isfinite(w_all)
    if is_design:
        # the domain is the rows with positive weight (design.subset gives the others weight 0)
        keep = w_all > 0
        if np.any(keep & ~complete):
            raise DesignError(f"{int((keep & ~complete).sum())} rows of the design have missing parts "
                              "or covariates; restrict the design first with design.subset(mask) "
                              "so the variance keeps the full design")
    else:
        keep = complete
    if np.any(w_all[keep] < 0):
        raise InputError("weights must be non-negative")
    sub, w = frame.loc[keep], w_all[keep]
    zero = sub[columns].sum(axis=1).to_numpy() <= 0
    if zero.any():
        raise InputError(f"rows {list(sub.index[zero][:5])}{' ...' if zero.sum() > 5 else ''} have "
                         f"0 in every part of {columns}; a composition needs a positive total "
                         "(drop them, e.g. with design.subset(mask))")
    y, transformed = prepare_composition(sub[columns].to_numpy(dtype=float), transform=transform)
    logy = np.log(y)
    d = len(columns)
    blocks = [covariates] * d if model == "common" else [covariates] * (d - 1) + [precision]
    levels, mats, terms = {}, [], []
    for covs in blocks:
        mat, names, found = _design_matrix(sub, covs)
        if np.linalg.matrix_rank(mat) < mat.shape[1]:
            raise InputError(f"the covariates {covs} are collinear (rank {np.linalg.matrix_rank(mat)} "
                             f"< {mat.shape[1]} columns); drop one")
        levels.update(found)
        mats.append(mat)
        terms.append(names)
    fitter = _Fitter(model, mats, d, base_idx, logy, max_iter)
    theta, nit, scaled_opt = fitter.fit(w, _start(fitter.scaled_model, y, w))
    final = _Model(model, mats, d, base_idx)
    ll_i, score, h = final.evaluate(theta, logy, w, hessian=True)
    try:
        info_inv = np.linalg.inv(-h)
    except np.linalg.LinAlgError as exc:
        raise ConvergenceError("the observed information is singular; the model is not identified") from exc
    if not is_design:
        vcov, method = info_inv, "ml"
    else:   # the design's variance service: sandwich, or refits on replicate weights
        vcov = source.model_vcov(theta, scores=lambda: w[:, None] * score, bread=info_inv, rows=keep,
                                 refit=lambda wr: fitter.fit(wr, scaled_opt, near=True)[0])
        method = "pseudo-ml (replicate weights)" if source.is_replicate else "pseudo-ml (design-based)"
    vcov = (vcov + vcov.T) / 2
    se = np.sqrt(np.diag(vcov))
    z = theta / se
    q = stats.norm.ppf(0.5 + level / 2)
    block_names = columns if model == "common" else [columns[j] for j in final.nonbase] + [_PHI]
    labels = pd.MultiIndex.from_tuples([(p, t) for p, ts in zip(block_names, terms) for t in ts],
                                       names=["part", "term"])
    coef = pd.DataFrame({
        "part": labels.get_level_values(0), "term": labels.get_level_values(1),
        "estimate": theta, "se": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z)),
        "ci_low": theta - q * se, "ci_high": theta + q * se,
    })
    return DirichletFit(
        coefficients=coef, vcov=pd.DataFrame(vcov, index=labels, columns=labels),
        loglik=float(w @ ll_i), n=int(keep.sum()), n_params=len(theta), parts=tuple(columns),
        model=model, method=method, transformed=transformed, n_iter=nit,
        _spec={"blocks": blocks, "levels": levels, "base": base_idx},
    )
