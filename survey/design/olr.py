"""Design-based proportional-odds (ordinal logistic) regression (R ``survey::svyolr``).

Model: ``logit P(Y <= k | x) = zeta_k - x'beta`` (or another link: probit,
complementary log-log, log-log) for the ordered levels
``1..K`` of the response (R's ``MASS::polr``/``svyolr`` parameterisation),
thresholds named ``"lower|upper"`` after the adjacent levels.  The weighted
pseudo-likelihood is concave in ``(beta, zeta)``, so it is maximised by a
damped Newton iteration with the analytic Hessian; the variance is the
sandwich of that Hessian and the design covariance of the score totals
(:meth:`Design.score_vcov`), or the replicate-weight variance of refits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr, ndtri

from survey.design._modelframe import build_model_frame
from survey.design.collapse import MAX_SHARE, enabled, group_rows
from survey.design.results import RegressionResult, fit_degf, fit_design
from survey.errors import ConvergenceError, DesignError
from survey.validation import check_design, check_option

__all__ = ["OLRResult", "olr", "svyolr"]

_Y = "__olr_response_code__"


@dataclass(frozen=True, repr=False)
class OLRResult(RegressionResult):
    """Result of :func:`olr`; see :class:`RegressionResult`.

    ``params`` holds the slopes followed by the thresholds (R's order);
    ``coefficients`` and ``thresholds`` split them; ``levels`` are the
    response levels used, lowest first.  ``deff`` compares the design
    variance with ``mean(w) * H^-1``, the variance of the same fit under
    simple random sampling (dispersion 1).
    """

    levels: tuple = ()
    n_iter: int = 0
    method: str = "logistic"

    @property
    def thresholds(self) -> pd.Series:
        return self.params.iloc[len(self.params) - (len(self.levels) - 1):]

    @property
    def coefficients(self) -> pd.Series:
        return self.params.iloc[: len(self.params) - (len(self.levels) - 1)]


def _response_codes(design, formula: str):
    lhs = formula.split("~", 1)[0].strip()
    if lhs.startswith("`") and lhs.endswith("`"):
        lhs = lhs[1:-1]
    data = design.data
    if lhs not in data.columns:
        raise DesignError(
            f"olr response {lhs!r} must be a column of the design data; create the ordered "
            "column first (e.g. data['cat'] = pd.cut(data['x'], bins)) and write 'cat ~ x1 + x2'"
        )
    col = data[lhs].reset_index(drop=True)
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = list(col.cat.categories)
        codes = col.cat.codes.to_numpy().astype(float)
        codes[codes < 0] = np.nan
    elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        levels = sorted(pd.unique(col.dropna()))
        codes = col.map({v: i for i, v in enumerate(levels)}).to_numpy(dtype=float)
    else:
        raise DesignError(
            f"olr response {lhs!r} has dtype {col.dtype}; its order is unknown. Convert it to "
            "an ordered categorical, e.g. pd.Categorical(x, categories=[...], ordered=True)"
        )
    return lhs, levels, codes


class _Latent:
    """Distribution of the latent error: cdf, survival, density and its derivative."""

    def __init__(self, method: str):
        check_option(method, tuple(_METHODS), name="olr: method")
        self.name = _METHODS[method]

    def cdf(self, x):
        if self.name == "logistic":
            return expit(x)
        if self.name == "probit":
            return ndtr(x)
        with np.errstate(over="ignore"):
            if self.name == "cloglog":
                return -np.expm1(-np.exp(x))
            return np.exp(-np.exp(-x))                     # loglog

    def sf(self, x):
        return self.cdf(-x) if self.name in ("logistic", "probit") else (
            np.exp(-np.exp(x)) if self.name == "cloglog" else -np.expm1(-np.exp(-x)))

    def pdf_parts(self, x):
        """Density and its derivative at ``x`` (0 at +-inf)."""
        fin = np.isfinite(x)
        xf = np.where(fin, x, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.name == "logistic":
                F = expit(xf)
                f = F * (1 - F)
                df = f * (1 - 2 * F)
            elif self.name == "probit":
                f = np.exp(-0.5 * xf * xf) / np.sqrt(2 * np.pi)
                df = -xf * f
            elif self.name == "cloglog":
                e = np.exp(xf)
                f = np.exp(xf - e)
                df = f * (1 - e)
            else:
                e = np.exp(-xf)
                f = np.exp(-xf - e)
                df = f * (e - 1)
        f = np.where(fin & np.isfinite(f), f, 0.0)
        df = np.where(fin & np.isfinite(df), df, 0.0)
        return f, df

    def quantile(self, p):
        if self.name == "logistic":
            return np.log(p / (1 - p))
        if self.name == "probit":
            return ndtri(p)
        if self.name == "cloglog":
            return np.log(-np.log1p(-p))
        return -np.log(-np.log(p))


_METHODS = {"logistic": "logistic", "logit": "logistic", "probit": "probit",
            "cloglog": "cloglog", "loglog": "loglog"}


def _loglik_parts(theta, X, y, w, q, dist: _Latent, *, hessian=True):
    """Weighted log-likelihood, per-row scores (n, P) and Hessian (P, P)."""
    n, pc = X.shape
    beta, zeta = theta[:pc], theta[pc:]
    eta = X @ beta
    upper = np.append(zeta, np.inf)[y] - eta        # zeta_y - eta   (y = 0..q)
    lower = np.insert(zeta, 0, -np.inf)[y] - eta    # zeta_{y-1} - eta
    if dist.name == "logistic":
        p = dist.cdf(upper) - dist.cdf(lower)
    else:
        with np.errstate(invalid="ignore"):
            # the difference of the upper tails where both are above 0 (no cancellation)
            p = np.where(lower > 0, dist.sf(lower) - dist.sf(upper),
                         dist.cdf(upper) - dist.cdf(lower))
    if np.any(~(p > 0)):
        return -np.inf, None, None
    fa, dfa = dist.pdf_parts(upper)
    fb, dfb = dist.pdf_parts(lower)
    # derivative rows of a = upper and b = lower w.r.t. (beta, zeta)
    A = np.zeros((n, pc + q))
    B = np.zeros((n, pc + q))
    A[:, :pc] = -X
    B[:, :pc] = -X
    has_up, has_low = y < q, y > 0
    A[np.flatnonzero(has_up), pc + y[has_up]] = 1.0
    B[np.flatnonzero(has_low), pc + y[has_low] - 1] = 1.0
    A[~has_up] = 0.0
    B[~has_low] = 0.0
    G = (fa[:, None] * A - fb[:, None] * B) / p[:, None]
    ll = float(np.sum(w * np.log(p)))
    if not hessian:
        return ll, G, None
    H = (A * (w * dfa / p)[:, None]).T @ A - (B * (w * dfb / p)[:, None]).T @ B \
        - (G * w[:, None]).T @ G
    return ll, G, H


def _start(X, y, w, q, dist: _Latent):
    cum = np.cumsum(np.bincount(y, weights=w, minlength=q + 1))[:-1] / w.sum()
    cum = np.clip(cum, 1e-6, 1 - 1e-6)
    return np.concatenate([np.zeros(X.shape[1]), dist.quantile(cum)])


def _newton(X, y, w, q, start, dist: _Latent, *, tol=1e-10, maxiter=200, scale=None):
    ws = w / (w.mean() if scale is None else scale)
    theta = start.copy()
    ll, _, H = _loglik_parts(theta, X, y, ws, q, dist)
    if not np.isfinite(ll):
        theta = _start(X, y, ws, q, dist)
        ll, _, H = _loglik_parts(theta, X, y, ws, q, dist)
    for it in range(1, maxiter + 1):
        _, G, H = _loglik_parts(theta, X, y, ws, q, dist)
        grad = (G * ws[:, None]).sum(axis=0)
        try:
            step = np.linalg.solve(-H, grad)
        except np.linalg.LinAlgError:
            raise _singular(dist) from None
        t = 1.0
        for _half in range(50):
            new = theta + t * step
            ok = np.all(np.diff(new[X.shape[1]:]) > 0)
            ll_new = _loglik_parts(new, X, y, ws, q, dist, hessian=False)[0] if ok else -np.inf
            if ll_new >= ll - 1e-12 * abs(ll):
                break
            t /= 2
        theta, ll_old, ll = new, ll, ll_new
        if np.max(np.abs(t * step)) < tol * (1 + np.max(np.abs(theta))) or \
                abs(ll - ll_old) < 1e-15 * (abs(ll) + 1):
            return theta, it
    raise ConvergenceError(
        f"ordinal {dist.name} fit did not converge in {maxiter} Newton steps; a level may be "
        "(almost) perfectly predicted -- merge sparse levels or simplify the model"
    )


def _patterns(X, y):
    """Rows grouped by covariates and answer, or None when that does not
    halve them (continuous covariates), or collapsing is off."""
    if not enabled():
        return None
    return group_rows([*X.T, y], len(y), limit=int(MAX_SHARE * len(y)))


def _singular(dist) -> ConvergenceError:
    return ConvergenceError(
        f"ordinal {dist.name} fit has a singular information matrix: a predictor level with one "
        "respondent (or answers it predicts perfectly) cannot be estimated -- merge sparse levels or simplify the model"
    )


def _shift_slices(slices: dict, offset: int) -> dict:
    return {k: slice(v.start - offset, v.stop - offset)
            for k, v in slices.items() if k != "1"}


def olr(design, formula, *, method: str = "logistic"):
    """Proportional-odds logistic regression on survey data (R ``svyolr``).

    Parameters
    ----------
    design : survey.design.Design
        Linearisation or replicate-weight design (or a domain of one).
    formula : str
        ``"response ~ x1 + C(x2)"``.  The response must be a column of the
        design data: an (ordered) categorical, whose category order is the
        order of the outcome, or a numeric column (sorted values).  Levels
        not observed among the rows used are dropped.  The intercept is
        absorbed in the thresholds, as in R.
    method : {"logistic", "probit", "cloglog", "loglog"}
        Distribution of the latent error, R ``svyolr(method=)``:
        ``P(Y <= k | x) = F(zeta_k - x'beta)`` with ``F`` the logistic,
        normal, complementary log-log (``1 - exp(-exp(x))``, MASS
        ``polr(method="cloglog")``) or log-log (``exp(-exp(-x))``) cdf.
        R survey 4.1.1's ``svyolr(method="cloglog")`` on a ``svydesign``
        fits the log-log model (its ``pgumbel``); ask for ``"loglog"`` to
        reproduce it.  (Its replicate-design method refits the replicates
        with the logistic link whatever ``method`` is; here every replicate
        uses ``method``.)

    Returns
    -------
    OLRResult
        ``.table`` (slopes then thresholds ``"a|b"``; t and p use
        ``df_resid`` = design df - number of slopes, as R's
        ``regTermTest`` on a ``svyolr`` fit), ``.coefficients``,
        ``.thresholds``, ``.vcov``.

    Notes
    -----
    Same numbers as R ``svyolr(formula, design)``, whose ``optim`` search
    stops at a relative tolerance of 1e-8 (agreement then ~1e-5); against
    ``svyolr(..., control = list(reltol = 1e-15))`` the agreement is ~1e-7
    (R's Hessian is a finite-difference one).
    """
    design = check_design(design, what="svyolr")
    if not isinstance(formula, str) or "~" not in formula:
        raise DesignError(f"formula must be a string like 'y ~ x1 + x2', got {formula!r}")
    name, levels, codes = _response_codes(design, formula)
    rhs = formula.split("~", 1)[1]
    mf = build_model_frame(design, f"{_Y} ~ {rhs}", extra_columns={_Y: codes})
    X = mf.X.drop(columns=[c for c in mf.X.columns if c == "Intercept"])
    y_codes = mf.y.iloc[:, 0].to_numpy().astype(int)
    observed = np.unique(y_codes)
    if observed.size < 3:
        raise DesignError(
            f"olr response {name!r} has {observed.size} observed level(s) among the rows used; "
            "an ordinal model needs 3 or more (use glm(..., family='quasibinomial') for 2)"
        )
    levels = [levels[i] for i in observed]
    y = np.searchsorted(observed, y_codes)
    q = len(levels) - 1
    dist = _Latent(method)
    Xa, w_rows = X.to_numpy(), mf.weights
    pc = Xa.shape[1]
    # rows with the same covariates and answer are one pattern with their summed
    # weight (the same likelihood, scores and Hessian; survey.design.collapse)
    pat = _patterns(Xa, y)
    if pat is not None:
        Xa, y, w = Xa[pat.rep], y[pat.rep], pat.sum(w_rows)
    else:
        w = w_rows
    scale = w_rows.mean()
    theta, iters = _newton(Xa, y, w, q, _start(Xa, y, w, q, dist), dist, scale=scale)
    _, G, H = _loglik_parts(theta, Xa, y, w, q, dist)
    try:
        Hinv = np.linalg.inv(-H)
    except np.linalg.LinAlgError:
        raise _singular(dist) from None
    if not np.all(np.isfinite(Hinv)):
        raise _singular(dist)
    names = list(X.columns) + [f"{levels[k]}|{levels[k + 1]}" for k in range(q)]
    dfit = fit_design(design, mf.used)

    if pat is not None:
        V = dfit.model_vcov(theta, scores=G @ Hinv, rows=mf.used, pattern=pat.row,
                            refit=lambda wr: _newton(Xa, y, pat.sum(wr), q, theta, dist, scale=wr.mean())[0])
    else:
        V = dfit.model_vcov(theta, scores=lambda: (G * w[:, None]) @ Hinv, rows=mf.used,
                            refit=lambda wr: _newton(Xa, y, wr, q, theta, dist)[0])
    df_design = fit_degf(design, dfit)
    deff = np.diag(V) / np.diag(scale * Hinv)
    return OLRResult(
        params=pd.Series(theta, index=names, name="estimate"),
        vcov=pd.DataFrame(V, index=names, columns=names),
        df_resid=float(df_design - pc),
        n=int(mf.used.sum()),
        deff=pd.Series(deff, index=names, name="deff"),
        formula=formula,
        term_slices=_shift_slices(mf.term_slices, int("Intercept" in mf.X.columns)),
        levels=tuple(levels), n_iter=iters, method=dist.name,
    )


svyolr = olr
