"""Predictive margins: marginal means by group from a GLM (R ``svypredmeans``).

The model is refitted with the group column added; then every respondent
is given each group in turn and the design-weighted mean of the predicted
means is that group's marginal mean.  Its variance adds the design
variance of the mean of the predictions (taken as fixed) and the
coefficients' uncertainty carried through the derivative of the mean
prediction, ``g' V g`` with ``g = sum(w mu'(eta) x) / sum(w)`` -- R's
``svypredmeans`` (Graubard & Korn 1999).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.estimate import Estimate
from survey.design.predict import predict_glm
from survey.design.regression import GLMResult, glm
from survey.errors import DesignError

__all__ = ["marginal_means", "svypredmeans"]

_COL = "__predmeans_{}__"


def _group_term(data: pd.DataFrame, group: str) -> str:
    col = data[group]
    numeric = pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype)
    return f"`{group}`" if numeric else f"C(`{group}`)"


def svypredmeans(model: GLMResult, group: str, *, level: float = 0.95) -> Estimate:
    """Marginal (predicted) means of the outcome by group (R ``svypredmeans``).

    Parameters
    ----------
    model : GLMResult
        The adjustment model, without the group column (e.g.
        ``glm(design, "api00 ~ ell + mobility")``).
    group : str
        Column of the design data.  The model is refitted with it added (as
        a categorical term unless it is numeric, like R's ``update(model,
        . ~ . + group)``) on the rows the model used.
    level : float
        Confidence level of the Wald intervals (normal quantiles, as R's
        ``confint``).

    Returns
    -------
    Estimate
        One row per group level (sorted), statistic ``"predicted mean"``;
        ``deff`` NaN, ``n`` the rows used.

    Notes
    -----
    Same numbers as R ``svypredmeans(model, ~group)`` (R lists the groups
    in order of appearance; here they are sorted).  Rows whose group is
    missing do not enter the refit but, as in R, are given every group for
    the averaging.
    """
    fit = getattr(model, "fit", None)
    if fit is None:
        raise DesignError("svypredmeans needs a model fitted by glm()")
    design = fit.design
    data = design.data
    if not isinstance(group, str) or group not in data.columns:
        raise DesignError(
            f"svypredmeans: group must be a column of the design data; got {group!r} "
            f"(columns: {list(data.columns)[:20]})"
        )
    refit = glm(design, f"{model.formula} + {_group_term(data, group)}", family=fit.family,
                offset=fit.offset_arg)
    rows = data.loc[fit.used]
    col = rows[group]
    levels = sorted(pd.unique(col.dropna()), key=lambda v: (str(type(v)), v)) \
        if not isinstance(col.dtype, pd.CategoricalDtype) else \
        [c for c in col.cat.categories if (col == c).any()]
    if not levels:
        raise DesignError(f"svypredmeans: column {group!r} has no value among the rows used")
    w = np.asarray(design.weights, dtype=float)[fit.used]
    b = refit.params.to_numpy()
    fits = np.zeros((len(data), len(levels)))
    grad = np.empty((len(b), len(levels)))
    for i, lev in enumerate(levels):
        nd = rows.copy()
        nd[group] = pd.Series([lev] * len(nd), index=nd.index, dtype=col.dtype)
        pred = predict_glm(refit, nd, type="response")
        if pred.estimate.isna().any():
            raise DesignError(
                "svypredmeans: a predictor of the model is missing on rows the model used; "
                "this cannot happen unless the data changed"
            )
        fits[fit.used, i] = pred.estimate.to_numpy()
        X = pred._X
        eta = X @ b
        if fit.offset is not None:
            eta = eta + fit.offset
        grad[:, i] = (w * fit.family.link.mu_eta(eta)) @ X / w.sum()
    names = [_COL.format(i) for i in range(len(levels))]
    cond = design.with_columns(**dict(zip(names, fits.T))).mean(names)
    V = cond.vcov.to_numpy() + grad.T @ refit.vcov.to_numpy() @ grad
    index = pd.Index(levels, name=group)
    return Estimate(index=index, estimate=cond.estimate.to_numpy(), vcov=V, df=np.inf,
                    deff=np.nan, n=int(fit.used.sum()), statistic="predicted mean",
                    level=level)


marginal_means = svypredmeans
