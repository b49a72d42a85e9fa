"""Design-based generalised linear models (R ``survey::svyglm``).

The point estimate is the weighted (pseudo-)maximum-likelihood fit, found
by iteratively reweighted least squares; the variance is the sandwich
``H^-1 V H^-1`` where ``H`` is the weighted information matrix and ``V`` the
design covariance of the summed score contributions, computed by
:meth:`Design.score_vcov` (strata, clusters, fpc and calibration aware).
On a replicate-weight design the model is refitted with every replicate
weight and :meth:`Design.replicate_vcov` combines the coefficients.
This is what R's ``svyglm`` does, so estimates and standard errors agree
with it to rounding error.  Families and links (R's ``binomial()``,
``poisson()``, ``Gamma()``...) are in :mod:`survey.design.families`,
predictions in :mod:`survey.design.predict`, predictive margins in
:mod:`survey.design.predmeans`, term tests and ``anova`` in
:mod:`survey.design.anova`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.linalg import cho_factor, cho_solve

from survey.design._modelframe import build_model_frame
from survey.design.families import Family
from survey.design.families import family as make_family
from survey.design.predict import predict_glm
from survey.design.results import RegressionResult, fit_degf, fit_design, r_weight_scale
from survey.errors import ConvergenceError, DesignError
from survey.validation import check_design

__all__ = ["GLMResult", "RegressionResult", "glm", "svyglm"]


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


def _irls(X, y, pw, fam: Family, *, offset=None, n_trials=None, start=None, tol=1e-12,
          maxiter=100):
    """IRLS with prior weights ``pw``; returns (beta, mu, eta, iterations).

    Works on unit-norm columns (``X / scale``) and maps back at the end.
    Steps are halved while the linear predictor or fitted values are
    invalid or the deviance is not finite (R ``glm.fit``).
    """
    scale = np.sqrt(np.einsum("ij,ij->j", X, X))
    scale[scale == 0] = 1.0
    Xs = X / scale
    ws = pw / pw.mean()
    off = np.zeros(len(y)) if offset is None else offset
    lk = fam.link
    if fam.kind == "gaussian" and lk.name == "identity":
        beta = _wls(Xs, y - off, np.sqrt(ws))
        eta = Xs @ beta + off
        return beta / scale, eta, eta, 1
    if start is None:
        mu = fam.start(y, np.ones(len(y)) if n_trials is None else n_trials)
        eta = lk.linkfun(mu)
        if not (lk.valid_eta(eta) and fam.valid_mu(lk.linkinv(eta))):
            raise DesignError(
                f"cannot find valid starting values for family {fam.name} with link "
                f"{lk.name!r}: the response has values outside the link's range -- "
                "choose another link"
            )
        beta = None
    else:
        beta = start * scale
        eta = Xs @ beta + off
        mu = lk.linkinv(eta)
    dev_old = fam.deviance(y, mu, ws)
    for it in range(1, maxiter + 1):
        d = lk.mu_eta(eta)
        z = eta - off + (y - mu) / d
        new = _wls(Xs, z, np.sqrt(ws * d * d / fam.variance(mu)))
        for _half in range(30):  # step halving while the fit is invalid
            eta_new = Xs @ new + off
            mu_new = lk.linkinv(eta_new)
            ok = lk.valid_eta(eta_new) and fam.valid_mu(mu_new)
            dev = fam.deviance(y, mu_new, ws) if ok else np.inf
            if np.isfinite(dev) or beta is None:
                break
            new = (new + beta) / 2
        step = np.inf if beta is None else float(np.max(np.abs(new - beta)))
        beta, eta, mu = new, eta_new, mu_new
        # the deviance is flat at the optimum: also ask the coefficients to have
        # settled (Fisher scoring converges only linearly for non-canonical links)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol and \
                step <= 1e-10 * (1 + float(np.max(np.abs(beta)))):
            _check_boundary(eta, fam)
            return beta / scale, mu, eta, it
        dev_old = dev
    raise ConvergenceError(
        f"IRLS did not converge in {maxiter} iterations (family {fam.name}, link {lk.name}); "
        "the outcome may be perfectly separated by the predictors -- "
        "simplify the model or merge sparse categories"
    )


def _check_boundary(eta, fam: Family) -> None:
    """R warns 'fitted probabilities numerically 0 or 1 occurred'; we refuse."""
    if fam.kind not in ("binomial", "poisson"):
        return
    bad = fam.link.at_boundary(eta)
    if np.any(bad):
        raise ConvergenceError(
            f"{int(bad.sum())} fitted value(s) are numerically 0"
            f"{' or 1' if fam.kind == 'binomial' else ''}: the outcome is (quasi-)perfectly "
            "separated by the predictors, so some coefficients are infinite -- "
            "simplify the model or merge sparse categories"
        )


def _response(mf, fam: Family):
    """(y, number of trials or None) on the rows used."""
    y = mf.y
    if mf.cbind:
        if fam.kind != "binomial":
            raise DesignError(
                f"a cbind(successes, failures) response needs family='binomial' or "
                f"'quasibinomial'; got {fam.name!r}"
            )
        sf = y.to_numpy()
        if np.any(sf < 0):
            raise DesignError(f"cbind() counts of {mf.formula!r} must be >= 0; got {sf.min()}")
        n = sf.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, sf[:, 0] / n, 0.0), n
    if y.shape[1] == 2 and fam.kind == "binomial":
        # a two-level categorical response: the second level is 'success' (R's rule)
        return y.iloc[:, 1].to_numpy(), None
    if y.shape[1] != 1:
        raise DesignError(
            f"response of {mf.formula!r} expands to {y.shape[1]} columns {list(y.columns)}; "
            "use a numeric response, a two-level one with family='quasibinomial', or "
            "cbind(successes, failures)"
        )
    v = y.iloc[:, 0].to_numpy()
    fam.check_response(v, mf.formula)
    return v, None


@dataclass(frozen=True)
class GLMFit:
    """What a fitted GLM keeps for predictions and model comparisons (private).

    Arrays are on the rows used by the fit; ``pw`` are the prior weights
    (design weight times the number of trials of a cbind() response).
    """

    family: Family
    design: object            # the design restricted to the rows used (R ``design[-nas, ]``)
    X: np.ndarray
    y: np.ndarray
    pw: np.ndarray
    n_trials: np.ndarray | None
    offset: np.ndarray | None
    eta: np.ndarray
    mu: np.ndarray
    spec: object              # formulaic ModelSpec of the right-hand side
    offsets: tuple
    offset_arg: object        # the ``offset=`` argument as given
    used: np.ndarray
    weight_scale: float       # R's mean weight (svyglm(rescale=TRUE))


@dataclass(frozen=True, repr=False)
class GLMResult(RegressionResult):
    """Result of :func:`glm`; see :class:`RegressionResult`.

    Extra attributes: ``family`` (name), ``link``, ``n_iter`` (IRLS iterations),
    ``deviance`` (R ``deviance(m)``: weights rescaled to mean 1 over the
    design's rows, as ``svyglm`` fits), ``dispersion`` (the one behind
    ``deff``: 1 for binomial and Poisson, else the Pearson estimate) and
    ``naive_cov`` (R ``m$naive.cov``, the inverse weighted information on
    the rescaled weights).
    """

    family: str = "gaussian"
    link: str = "identity"
    n_iter: int = 0
    deviance: float = np.nan
    dispersion: float = np.nan
    naive_cov: pd.DataFrame | None = None
    fit: GLMFit | None = field(default=None, repr=False, compare=False)

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

    def predict(self, newdata=None, *, type: str = "link", total=None, level: float = 0.95):
        """Predictions with design-based standard errors (R ``predict.svyglm``).

        See :func:`survey.design.predict.predict_glm`.
        """
        return predict_glm(self, newdata, type=type, total=total, level=level)


# ---------------------------------------------------------------- fitting
def glm(design, formula, *, family="gaussian", link=None, offset=None):
    """Fit a generalised linear model to survey data (R ``svyglm``).

    Parameters
    ----------
    design : survey.design.Design
        Linearisation or replicate-weight design (a domain from
        ``design.subset`` is fine).
    formula : str
        ``"y ~ x1 + C(x2) + x1:x2"`` (formulaic/R grammar, backticks for
        names like ```sch.wide```).  A two-level categorical response with
        a binomial family models the probability of its second level, as R
        does for a factor; ``cbind(successes, failures) ~ ...`` gives
        binomial counts (R's two-column response: the proportion of
        successes, each row weighted by its number of trials);
        ``offset(expr)`` terms add a fixed part to the linear predictor
        (e.g. ``offset(np.log(enroll))``).
    family : {"gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson", "Gamma"}
        R's families.  ``binomial``/``quasibinomial`` (and ``poisson``/
        ``quasipoisson``) give the same estimates and standard errors, as in
        R's ``svyglm``; the non-quasi ones take the dispersion behind
        ``deff`` as 1.  R's warning "non-integer #successes in a binomial
        glm!" (sampling weights are not counts) is not repeated.
    link : str, optional
        Link function; default the family's canonical one (R's default:
        identity, logit, log, and ``inverse`` for Gamma).  Also ``probit``,
        ``cloglog``, ``log`` for binomial; ``identity``, ``sqrt`` for
        Poisson; ``identity``, ``log`` for Gamma; ``log``, ``inverse`` for
        gaussian.
    offset : str or array-like, optional
        R's ``offset=`` argument: an expression on the data (``"np.log(enroll)"``)
        or one value per row of the design.

    Returns
    -------
    GLMResult
        ``.table`` (term, estimate, se, t, p, ci_low, ci_high, deff),
        ``.params``, ``.vcov``, ``.df_resid`` (= design df + 1 - p, as R),
        ``conf_int(level)``, ``odds_ratios()``, ``predict()``, ``deviance``.

    Notes
    -----
    Same numbers as R ``svyglm(formula, design, family=quasibinomial(),
    deff=TRUE)``: coefficients, ``vcov``, ``summary`` t and p values,
    ``confint`` and ``attr(, "deff")``.  Rows with a missing value in a
    model variable (or the offset) are dropped and the design degrees of
    freedom recomputed on the remaining rows, as R does.  Rank-deficient
    models raise :class:`DesignError` (R would report NA coefficients).

    Examples
    --------
    Does the yen given to 涼しさ (cooling) change with age?  The bundled wave
    (:func:`survey.examples.bundled_wave`), age band coded 1 (18-29) to 6 (70+):

    >>> import survey
    >>> from survey.examples import bundled_wave
    >>> wave, q = bundled_wave()
    >>> m = survey.svyglm(wave, "alloc_cool ~ age_band")   # R: svyglm(alloc_cool ~ age_band, wave)
    >>> m.table.round(4)
            term  estimate       se       t       p   ci_low   ci_high    deff
    0  Intercept  118.8046  13.9277  8.5301  0.0000  91.4813  146.1280  1.7318
    1   age_band   -6.3560   3.1545 -2.0149  0.0441 -12.5445   -0.1676  1.3170
    >>> m.n, m.df_resid
    (1290, 1288.0)
    """
    design = check_design(design, what="svyglm")
    fam = make_family(family, link)
    mf = build_model_frame(design, formula, offset=offset)
    X = mf.X.to_numpy()
    y, n_trials = _response(mf, fam)
    w = mf.weights
    pw = w if n_trials is None else w * n_trials
    names = list(mf.X.columns)
    p = X.shape[1]
    if X.shape[0] <= p:
        raise DesignError(f"{X.shape[0]} rows used but {p} coefficients; simplify the model")
    beta, mu, eta, iters = _irls(X, y, pw, fam, offset=mf.offset, n_trials=n_trials)

    d = fam.link.mu_eta(eta)
    var = fam.variance(mu)
    H = (X * (pw * d * d / var)[:, None]).T @ X
    Hinv = np.linalg.inv(H)
    dfit = fit_design(design, mf.used)

    def refit(wr):
        return _irls(X, y, wr if n_trials is None else wr * n_trials, fam, offset=mf.offset,
                     n_trials=n_trials, start=beta)[0]

    V = dfit.model_vcov(beta, scores=lambda: (X * (pw * (y - mu) * d / var)[:, None]) @ Hinv,
                             rows=mf.used, refit=refit)
    df_design = fit_degf(design, dfit)

    # design effect: design variance / variance under SRS of the same size (R deff=TRUE)
    m = r_weight_scale(design)
    if fam.fixed_dispersion:
        phi = m
    else:
        n_ok = int(np.sum(pw > 0))
        phi = float(np.sum(pw * (y - mu) ** 2 / var)) / (n_ok - p)
    deff = np.diag(V) / np.diag(phi * Hinv)

    return GLMResult(
        params=pd.Series(beta, index=names, name="estimate"),
        vcov=pd.DataFrame(V, index=names, columns=names),
        df_resid=float(df_design + 1 - p),
        n=int(mf.used.sum()),
        deff=pd.Series(deff, index=names, name="deff"),
        formula=mf.formula,
        term_slices=mf.term_slices,
        family=fam.name, link=fam.link.name, n_iter=iters,
        deviance=fam.deviance(y, mu, pw / m),
        dispersion=1.0 if fam.fixed_dispersion else phi,
        naive_cov=pd.DataFrame(m * Hinv, index=names, columns=names),
        fit=GLMFit(family=fam, design=dfit, X=X, y=y, pw=pw, n_trials=n_trials,
                   offset=mf.offset, eta=eta, mu=mu, spec=mf.spec, offsets=mf.offsets,
                   offset_arg=offset, used=mf.used, weight_scale=m),
    )


svyglm = glm
