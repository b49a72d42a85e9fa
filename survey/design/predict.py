"""Predictions from a design-based GLM (R ``predict.svyglm``).

``eta = X b + offset`` on the fitting rows or on new data; the variance of
a prediction is ``x' V x`` with ``V`` the design-based covariance of the
coefficients, and ``mu'(eta)^2 x' V x`` on the response scale (the delta
method), exactly as R's ``predict(model, newdata, type=, se.fit=TRUE)``.
Intervals are Wald intervals with normal quantiles on the scale asked for
(R ``confint`` of the prediction).  The full covariance of the predictions
(R ``vcov=TRUE``) is computed on demand.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.design._modelframe import evaluate_offsets
from survey.design.distributions import norm_ppf
from survey.errors import DesignError
from survey.validation import check_level

__all__ = ["PredictionResult", "predict_glm"]

_TYPES = ("link", "response")


@dataclass(frozen=True)
class PredictionResult:
    """Predictions with design-based standard errors.

    Attributes
    ----------
    estimate, se : pandas.Series
        Indexed like the rows predicted (the design data's index for the
        fitting rows, ``newdata``'s index otherwise); NaN where a predictor
        is missing.
    type : {"link", "response"}
    level : float
        Level of the intervals in :meth:`to_frame`.
    n : int
        Rows used to fit the model.
    """

    estimate: pd.Series
    se: pd.Series
    type: str
    level: float
    n: int
    _X: np.ndarray = field(repr=False, compare=False)
    _V: np.ndarray = field(repr=False, compare=False)
    _scale: np.ndarray = field(repr=False, compare=False)
    _rows: np.ndarray = field(repr=False, compare=False)

    @property
    def vcov(self) -> pd.DataFrame:
        """Full covariance of the predictions (R ``predict(..., vcov=TRUE)``):
        ``D X V X' D`` with ``D`` the derivative of the inverse link
        (identity on the link scale).  Its size is the number of rows
        squared; ask for it on a few rows of new data."""
        k = len(self.estimate)
        out = np.full((k, k), np.nan)
        xs = self._X * self._scale[:, None]
        out[np.ix_(self._rows, self._rows)] = xs @ self._V @ xs.T
        return pd.DataFrame(out, index=self.estimate.index, columns=self.estimate.index)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald intervals ``estimate +- z * se`` (R ``confint`` of the prediction)."""
        level = check_level(level)
        z = norm_ppf(0.5 + level / 2)
        return pd.DataFrame({"ci_low": self.estimate - z * self.se,
                             "ci_high": self.estimate + z * self.se})

    def to_frame(self) -> pd.DataFrame:
        """Columns ``estimate, se, ci_low, ci_high, deff, n`` (deff is not
        defined for a prediction: NaN; n is the rows behind the model)."""
        ci = self.conf_int(self.level)
        return pd.DataFrame({"estimate": self.estimate, "se": self.se,
                             "ci_low": ci["ci_low"], "ci_high": ci["ci_high"],
                             "deff": np.nan, "n": self.n})

    def __repr__(self) -> str:
        return f"PredictionResult({self.type})\n{self.to_frame()!r}"


def _new_matrix(fit, newdata: pd.DataFrame, formula: str):
    """Model matrix and offset of ``newdata``; rows with a missing value are left out."""
    if not isinstance(newdata, pd.DataFrame):
        raise DesignError(f"newdata must be a pandas DataFrame; got {type(newdata).__name__}")
    data = newdata.reset_index(drop=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            mm = fit.spec.get_model_matrix(data, na_action="drop")
        except Exception as exc:  # formulaic raises many types; report them uniformly
            raise DesignError(
                f"cannot evaluate the predictors of {formula!r} on newdata: {exc}. newdata "
                f"needs the model's columns; it has {list(newdata.columns)[:20]}"
            ) from exc
    for w in caught:
        if "categories outside" in str(w.message) or "not seen" in str(w.message):
            raise DesignError(
                f"newdata has a category the model of {formula!r} was not fitted with "
                f"({str(w.message).split(':', 1)[-1].split('.')[0].strip()}); predict only "
                "for levels present among the rows used"
            )
    keep = np.asarray(mm.index, dtype=int)
    X = np.asarray(mm, dtype=float)
    off = np.zeros(X.shape[0])
    if fit.offsets:
        if "<offset argument>" in fit.offsets:
            raise DesignError(
                "the model's offset was given as values, which cannot be evaluated on newdata; "
                "refit with offset='expression' (e.g. offset='np.log(enroll)') or an "
                "offset(...) term in the formula"
            )
        off = evaluate_offsets(fit.offsets, data.iloc[keep], formula)
    ok = ~np.isnan(off)
    return X[ok], off[ok], keep[ok]


def predict_glm(model, newdata=None, *, type: str = "link", total=None,
                level: float = 0.95) -> PredictionResult:
    """Predictions of a :func:`~survey.design.regression.glm` fit with design SEs.

    Parameters
    ----------
    model : GLMResult
    newdata : pandas.DataFrame, optional
        Rows to predict for; default the rows used in the fit.  Categories
        must be among those the model was fitted with.
    type : {"link", "response"}
        Linear predictor (with the offset) or fitted mean.
    total : float, optional
        R's ``total=``: multiply the intercept by this population size
        (predicted totals of a model for means).
    level : float
        Confidence level of the intervals in ``to_frame()``.

    Returns
    -------
    PredictionResult
        ``.estimate``, ``.se``, ``.to_frame()``, ``.vcov`` (on demand).

    Notes
    -----
    Same numbers as R ``predict(model, newdata, type=type, se.fit=TRUE)``
    (``SE()``, ``confint()``, and ``vcov=TRUE``), except that the offset is
    part of the prediction, as in R's ``predict.glm`` (survey 4.1.1's
    ``predict.svyglm`` leaves it out; the standard errors are the same).
    """
    if type not in _TYPES:
        raise DesignError(f"predict: type must be 'link' or 'response'; got {type!r}")
    fit = getattr(model, "fit", None)
    if fit is None:
        raise DesignError("predict needs a model fitted by glm()")
    if newdata is None:
        X, off = fit.X, (np.zeros(len(fit.y)) if fit.offset is None else fit.offset)
        index = fit.design.data.index[fit.used]
        rows = np.arange(X.shape[0])
    else:
        X, off, rows = _new_matrix(fit, newdata, model.formula)
        index = newdata.index
    X = X.copy()
    names = list(model.params.index)
    if total is not None and "Intercept" in names:
        X[:, names.index("Intercept")] *= float(total)
    b = model.params.to_numpy()
    V = model.vcov.to_numpy()
    eta = X @ b + off
    var = np.einsum("ij,jk,ik->i", X, V, X)
    scale = np.ones(len(eta))
    if type == "response":
        scale = fit.family.link.mu_eta(eta)
        eta = fit.family.link.linkinv(eta)
    est = np.full(len(index), np.nan)
    se = np.full(len(index), np.nan)
    est[rows] = eta
    se[rows] = np.sqrt(np.maximum(var, 0)) * np.abs(scale)
    return PredictionResult(
        estimate=pd.Series(est, index=index, name="estimate"),
        se=pd.Series(se, index=index, name="se"), type=type, level=level, n=model.n,
        _X=X, _V=V, _scale=scale, _rows=rows,
    )
