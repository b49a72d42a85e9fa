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
optimiser is scipy's ``trust-exact`` (:mod:`survey.measures.allocation.dirichlet_fit`).

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

from survey.design.distributions import norm_ppf, norm_sf
from survey.design.results import ResultMixin
from survey.errors import ConvergenceError, DesignError, InputError
from survey.measures.allocation.dirichlet_fit import (
    DirichletFitter, DirichletModel, design_matrix, moment_start,
)
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
        mats = [design_matrix(newdata, covs, spec["levels"])[0] for covs in spec["blocks"]]
        model = DirichletModel(self.model, mats, len(self.parts), spec["base"])
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
        mat, names, found = design_matrix(sub, covs)
        if np.linalg.matrix_rank(mat) < mat.shape[1]:
            raise InputError(f"the covariates {covs} are collinear (rank {np.linalg.matrix_rank(mat)} "
                             f"< {mat.shape[1]} columns); drop one")
        levels.update(found)
        mats.append(mat)
        terms.append(names)
    fitter = DirichletFitter(model, mats, d, base_idx, logy, max_iter)
    theta, nit, scaled_opt = fitter.fit(w, moment_start(fitter.scaled_model, y, w))
    final = DirichletModel(model, mats, d, base_idx)
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
    q = norm_ppf(0.5 + level / 2)
    block_names = columns if model == "common" else [columns[j] for j in final.nonbase] + [_PHI]
    labels = pd.MultiIndex.from_tuples([(p, t) for p, ts in zip(block_names, terms) for t in ts],
                                       names=["part", "term"])
    coef = pd.DataFrame({
        "part": labels.get_level_values(0), "term": labels.get_level_values(1),
        "estimate": theta, "se": se, "z": z, "p": 2 * norm_sf(np.abs(z)),
        "ci_low": theta - q * se, "ci_high": theta + q * se,
    })
    return DirichletFit(
        coefficients=coef, vcov=pd.DataFrame(vcov, index=labels, columns=labels),
        loglik=float(w @ ll_i), n=int(keep.sum()), n_params=len(theta), parts=tuple(columns),
        model=model, method=method, transformed=transformed, n_iter=nit,
        _spec={"blocks": blocks, "levels": levels, "base": base_idx},
    )
