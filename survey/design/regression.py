"""Design-based generalised linear models (R ``survey::svyglm``).

The point estimate is the weighted (pseudo-)maximum-likelihood fit, found
by iteratively reweighted least squares; the variance is the sandwich
``H^-1 V H^-1`` where ``H`` is the weighted information matrix and ``V`` the
design covariance of the summed score contributions, computed by
:meth:`Design.score_vcov` (strata, clusters, fpc and calibration aware).
On a replicate-weight design the model is refitted with every replicate
weight and :meth:`Design.replicate_vcov` combines the coefficients.
This is what R's ``svyglm`` does, so estimates and standard errors agree
with it to rounding error.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.linalg import cho_factor, cho_solve

from survey.design._modelframe import build_model_frame
from survey.errors import ConvergenceError, DesignError

__all__ = ["GLMResult", "RegressionResult", "glm", "svyglm"]


# ---------------------------------------------------------------- families
_ETA_MAX = 30.0  # |linear predictor| beyond which a fitted value is numerically 0 or 1

@dataclass(frozen=True)
class _Family:
    name: str
    link: str

    def linkfun(self, mu):
        if self.link == "identity":
            return mu
        if self.link == "logit":
            return np.log(mu / (1 - mu))
        return np.log(mu)

    def linkinv(self, eta):
        if self.link == "identity":
            return eta
        # clamp as R's binomial()/poisson() do, so weights stay finite
        if self.link == "logit":
            return 1.0 / (1.0 + np.exp(-np.clip(eta, -_ETA_MAX, _ETA_MAX)))
        return np.exp(np.maximum(eta, -_ETA_MAX))

    def mu_eta(self, eta, mu):
        if self.link == "identity":
            return np.ones_like(eta)
        if self.link == "logit":
            return np.maximum(mu * (1 - mu), np.finfo(float).eps)
        return np.maximum(mu, np.finfo(float).eps)

    def variance(self, mu):
        if self.name == "gaussian":
            return np.ones_like(mu)
        if self.name == "quasibinomial":
            return mu * (1 - mu)
        return mu

    def start(self, y):
        if self.name == "quasibinomial":
            return (y + 0.5) / 2.0
        if self.name == "quasipoisson":
            return y + 0.1
        return y

    def deviance(self, y, mu, w):
        if self.name == "gaussian":
            return float(np.sum(w * (y - mu) ** 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.name == "quasibinomial":
                a = np.where(y > 0, y * np.log(y / mu), 0.0)
                b = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
                return float(2 * np.sum(w * (a + b)))
            a = np.where(y > 0, y * np.log(y / mu), 0.0)
            return float(2 * np.sum(w * (a - (y - mu))))


_FAMILIES = {
    "gaussian": _Family("gaussian", "identity"),
    "quasibinomial": _Family("quasibinomial", "logit"),
    "binomial": _Family("quasibinomial", "logit"),
    "quasipoisson": _Family("quasipoisson", "log"),
    "poisson": _Family("quasipoisson", "log"),
}


def _family(family) -> _Family:
    key = str(family).lower()
    if key not in _FAMILIES:
        raise DesignError(
            f"family must be one of 'gaussian', 'quasibinomial', 'quasipoisson' "
            f"(or the aliases 'binomial', 'poisson'); got {family!r}"
        )
    return _FAMILIES[key]


def _wls(X, z, sw):
    """Weighted least squares of ``z`` on ``X`` (columns of similar scale).

    Normal equations by Cholesky plus one step of iterative refinement: as
    accurate as R's QR for column-scaled problems, several times faster on
    10^5 rows.
    """
    A = X * sw[:, None]
    b = z * sw
    try:
        cho = cho_factor(A.T @ A)
    except np.linalg.LinAlgError as exc:
        raise DesignError(
            "the weighted model matrix is singular for one set of weights (a replicate "
            "that drops every respondent of some category?); merge sparse categories"
        ) from exc
    beta = cho_solve(cho, A.T @ b)
    beta += cho_solve(cho, A.T @ (b - A @ beta))
    return beta


def _irls(X, y, w, fam: _Family, *, start=None, tol=1e-12, maxiter=100):
    """Weighted IRLS; returns (beta, mu, eta, iterations).

    Works on unit-norm columns (``X / scale``) and maps back at the end.
    """
    scale = np.sqrt(np.einsum("ij,ij->j", X, X))
    scale[scale == 0] = 1.0
    Xs = X / scale
    ws = w / w.mean()
    if fam.name == "gaussian":
        beta = _wls(Xs, y, np.sqrt(ws))
        eta = Xs @ beta
        return beta / scale, eta, eta, 1
    if start is None:
        mu = fam.start(y)
        eta = fam.linkfun(mu)
        beta = None
    else:
        beta = start * scale
        eta = Xs @ beta
        mu = fam.linkinv(eta)
    dev_old = fam.deviance(y, mu, ws)
    for it in range(1, maxiter + 1):
        d = fam.mu_eta(eta, mu)
        z = eta + (y - mu) / d
        new = _wls(Xs, z, np.sqrt(ws * d * d / fam.variance(mu)))
        for _half in range(30):  # step halving while the deviance is not finite
            eta_new = Xs @ new
            mu_new = fam.linkinv(eta_new)
            dev = fam.deviance(y, mu_new, ws)
            if np.isfinite(dev) or beta is None:
                break
            new = (new + beta) / 2
        beta, eta, mu = new, eta_new, mu_new
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            _check_boundary(eta, fam)
            return beta / scale, mu, eta, it
        dev_old = dev
    raise ConvergenceError(
        f"IRLS did not converge in {maxiter} iterations (family {fam.name}); "
        "the outcome may be perfectly separated by the predictors -- "
        "simplify the model or merge sparse categories"
    )


def _check_boundary(eta, fam: _Family) -> None:
    """R warns 'fitted probabilities numerically 0 or 1 occurred'; we refuse."""
    if fam.name == "gaussian":
        return
    bad = np.abs(eta) >= _ETA_MAX if fam.name == "quasibinomial" else eta <= -_ETA_MAX
    if np.any(bad):
        raise ConvergenceError(
            f"{int(bad.sum())} fitted value(s) are numerically 0"
            f"{' or 1' if fam.name == 'quasibinomial' else ''}: the outcome is (quasi-)perfectly "
            "separated by the predictors, so some coefficients are infinite -- "
            "simplify the model or merge sparse categories"
        )


def _response(mf, fam: _Family) -> np.ndarray:
    y = mf.y
    if y.shape[1] == 2 and fam.name == "quasibinomial":
        # a two-level categorical response: the second level is 'success' (R's rule)
        return y.iloc[:, 1].to_numpy()
    if y.shape[1] != 1:
        raise DesignError(
            f"response of {mf.formula!r} expands to {y.shape[1]} columns {list(y.columns)}; "
            "use a numeric response, or a two-level one with family='quasibinomial'"
        )
    v = y.iloc[:, 0].to_numpy()
    if fam.name == "quasibinomial" and (np.any(v < 0) or np.any(v > 1)):
        raise DesignError(
            f"quasibinomial response must lie in [0, 1] (or be a two-level category); "
            f"got values from {v.min()} to {v.max()}"
        )
    if fam.name == "quasipoisson" and np.any(v < 0):
        raise DesignError(f"quasipoisson response must be >= 0; got minimum {v.min()}")
    return v


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class RegressionResult:
    """Coefficients, design-based covariance and inference of a fitted model.

    Attributes
    ----------
    params : pandas.Series
        Coefficients, indexed by term.
    vcov : pandas.DataFrame
        Design-based covariance matrix of ``params``.
    df_resid : float
        Denominator degrees of freedom for t tests and intervals.
    n : int
        Number of rows used in the fit.
    deff : pandas.Series
        Design effect of each coefficient (NaN where not defined).
    formula : str
    """

    params: pd.Series
    vcov: pd.DataFrame
    df_resid: float
    n: int
    deff: pd.Series
    formula: str
    term_slices: dict = field(repr=False)

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.formula!r}, n={self.n}, df_resid={self.df_resid:g})"
        return head + "\n" + self.table.to_string(index=False)

    @property
    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.params.index)

    def _quantile(self, level: float) -> float:
        if not 0 < level < 1:
            raise DesignError(f"level must be in (0, 1), got {level!r}")
        if self.df_resid <= 0:
            return np.nan
        return float(stats.t.ppf(0.5 + level / 2, self.df_resid))

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald intervals ``estimate +- t(df_resid) * se`` (R ``confint(model)``)."""
        q = self._quantile(level)
        se = self.se
        return pd.DataFrame({"ci_low": self.params - q * se, "ci_high": self.params + q * se})

    @property
    def table(self) -> pd.DataFrame:
        """Columns term, estimate, se, t, p, ci_low, ci_high, deff (95 % intervals)."""
        se = self.se
        t = self.params / se
        p = 2 * stats.t.sf(np.abs(t), self.df_resid) if self.df_resid > 0 else np.nan * t
        ci = self.conf_int(0.95)
        return pd.DataFrame({
            "term": self.params.index, "estimate": self.params.to_numpy(),
            "se": se.to_numpy(), "t": t.to_numpy(), "p": np.asarray(p, dtype=float),
            "ci_low": ci["ci_low"].to_numpy(), "ci_high": ci["ci_high"].to_numpy(),
            "deff": self.deff.to_numpy(),
        })

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """House-style frame indexed by term: estimate, se, ci_low, ci_high, deff, n."""
        ci = self.conf_int(level)
        return pd.DataFrame({
            "estimate": self.params, "se": self.se, "ci_low": ci["ci_low"],
            "ci_high": ci["ci_high"], "deff": self.deff, "n": self.n,
        })


@dataclass(frozen=True, repr=False)
class GLMResult(RegressionResult):
    """Result of :func:`glm`; see :class:`RegressionResult`.

    Extra attributes: ``family`` (name), ``link``, ``iterations``.
    """

    family: str = "gaussian"
    link: str = "identity"
    iterations: int = 0

    def odds_ratios(self, level: float = 0.95) -> pd.DataFrame:
        """``exp`` of the coefficients and of their Wald limits (logit models only).

        Same numbers as R ``exp(coef(m))`` and ``exp(confint(m))``.
        """
        if self.link != "logit":
            raise DesignError(
                f"odds ratios need a logit model (family='quasibinomial'); "
                f"this model has family {self.family!r}"
            )
        ci = self.conf_int(level)
        return pd.DataFrame({
            "odds_ratio": np.exp(self.params), "ci_low": np.exp(ci["ci_low"]),
            "ci_high": np.exp(ci["ci_high"]),
        })


# ---------------------------------------------------------------- fitting
def fit_design(design, used):
    """The design restricted to the rows actually used (R ``design[-nas, ]``)."""
    in_domain = np.asarray(design.weights, dtype=float) > 0
    if np.array_equal(used, in_domain):
        return design
    return design.subset(used)


def glm(design, formula, *, family="gaussian"):
    """Fit a generalised linear model to survey data (R ``svyglm``).

    Parameters
    ----------
    design : survey.design.Design
        Linearisation or replicate-weight design (a domain from
        ``design.subset`` is fine).
    formula : str
        ``"y ~ x1 + C(x2) + x1:x2"`` (formulaic/R grammar, backticks for
        names like ```sch.wide```).  A two-level categorical response with
        ``family="quasibinomial"`` models the probability of its second
        level, as R does for a factor.
    family : {"gaussian", "quasibinomial", "quasipoisson"}
        Identity, logit and log links.  ``"binomial"``/``"poisson"`` are
        accepted as aliases (R's ``svyglm`` gives the same estimates and
        standard errors for them).

    Returns
    -------
    GLMResult
        ``.table`` (term, estimate, se, t, p, ci_low, ci_high, deff),
        ``.params``, ``.vcov``, ``.df_resid`` (= design df + 1 - p, as R),
        ``conf_int(level)``, ``odds_ratios()``.

    Notes
    -----
    Same numbers as R ``svyglm(formula, design, family=quasibinomial(),
    deff=TRUE)``: coefficients, ``vcov``, ``summary`` t and p values,
    ``confint`` and ``attr(, "deff")``.  Rows with a missing value in a
    model variable are dropped and the design degrees of freedom recomputed
    on the remaining rows, as R does.  Rank-deficient models raise
    :class:`DesignError` (R would report NA coefficients).
    """
    fam = _family(family)
    mf = build_model_frame(design, formula)
    X = mf.X.to_numpy()
    y = _response(mf, fam)
    w = mf.weights
    names = list(mf.X.columns)
    p = X.shape[1]
    if X.shape[0] <= p:
        raise DesignError(f"{X.shape[0]} rows used but {p} coefficients; simplify the model")
    beta, mu, eta, iters = _irls(X, y, w, fam)

    d = fam.mu_eta(eta, mu)
    var = fam.variance(mu)
    work_w = w * d * d / var
    H = (X * work_w[:, None]).T @ X
    Hinv = np.linalg.inv(H)
    dfit = fit_design(design, mf.used)

    if getattr(design, "is_replicate", False):
        rw = np.asarray(design.replicate_weights, dtype=float)[mf.used]
        reps = np.empty((rw.shape[1], p))
        for r in range(rw.shape[1]):
            reps[r] = _irls(X, y, rw[:, r], fam, start=beta)[0] if np.any(rw[:, r] > 0) else beta
        V = np.asarray(design.replicate_vcov(reps, beta), dtype=float)
        df_design = design.degf
    else:
        score = X * (w * (y - mu) * d / var)[:, None]
        infl = np.zeros((len(mf.used), p))
        infl[mf.used] = score @ Hinv
        V = np.asarray(dfit.score_vcov(infl), dtype=float)
        df_design = dfit.degf

    # design effect: design variance / variance under SRS of the same size (R deff=TRUE)
    n_ok = int(np.sum(w > 0))
    phi = float(np.sum(w * (y - mu) ** 2 / var)) / (n_ok - p)
    deff = np.diag(V) / np.diag(phi * Hinv)

    return GLMResult(
        params=pd.Series(beta, index=names, name="estimate"),
        vcov=pd.DataFrame(V, index=names, columns=names),
        df_resid=float(df_design + 1 - p),
        n=int(mf.used.sum()),
        deff=pd.Series(deff, index=names, name="deff"),
        formula=mf.formula,
        term_slices=mf.term_slices,
        family=fam.name, link=fam.link, iterations=iters,
    )


svyglm = glm
