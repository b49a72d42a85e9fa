"""Smoothing models behind the plan's per-cell inputs.

Cells of the mailing frame are small (内間木 has about 45 mailed
questionnaires in all), so the raw cell figures are smoothed:

* response rates by a binomial logit with main effects
  (:func:`fit_response_rates`, R ``glm(..., family = binomial)``);
* item variances shrunk towards a multiplicative age x district model
  (:func:`shrunk_variance`);
* cell means by an additive age + district model (:func:`additive_means`),
  used for the variance of district and age-band means;
* Kish's design effect of the weights within cells, pooled
  (:func:`kish_by_cell`, :func:`pooled_deff`).
"""
from __future__ import annotations

import numpy as np

from survey.errors import ConvergenceError, DesignError
from survey.validation import check_option

__all__ = ["RESPONSE_MODELS", "additive_means", "fit_response_rates", "kish_by_cell", "pooled_deff",
           "shrunk_variance"]

RESPONSE_MODELS = ("main", "age", "cells")


def fit_response_rates(returned, mailed, group_codes, other_codes, *, model: str = "main",
                       tol: float = 1e-10, max_iter: int = 50) -> np.ndarray:
    """Response rate of every cell from returned / mailed counts.

    ``model="main"``: binomial logit with main effects of both cell keys,
    fitted by iteratively reweighted least squares on the counts (R
    ``glm(cbind(returned, mailed - returned) ~ factor(other) +
    factor(group), family = binomial)``; counts need not be integers).
    ``"age"``: the other key only.  ``"cells"``: observed rates.
    """
    y = np.asarray(returned, dtype=float)
    m = np.asarray(mailed, dtype=float)
    if model not in RESPONSE_MODELS:
        check_option(model, tuple(RESPONSE_MODELS), name="response_model")
    if model == "cells":
        if np.any(m <= 0):
            raise DesignError("response_model='cells' needs mailings in every cell; use 'main'")
        if np.any(y <= 0):
            raise DesignError("response_model='cells': some cells have no respondent (a 0% rate cannot "
                              "be planned on); use response_model='main'")
        return np.minimum(y / m, 1.0)
    factors = [np.asarray(other_codes)] + ([np.asarray(group_codes)] if model == "main" else [])
    cols = [np.ones_like(y)]
    for f in factors:
        levels = np.unique(f)
        for lvl in levels:
            sel = m[f == lvl].sum()
            if sel <= 0:
                raise DesignError(f"no questionnaire was mailed to level {lvl} of a cell key; its response "
                                  "rate cannot be estimated (collapse the level or give mailing counts)")
            if y[f == lvl].sum() <= 0:
                raise DesignError(f"level {lvl} of a cell key has no respondent, so its response rate is 0; "
                                  "collapse the level or use response_model='age'")
        cols.extend((f == lvl).astype(float) for lvl in levels[1:])
    X = np.column_stack(cols)
    fit = m > 0
    Xf, yf, mf = X[fit], y[fit], m[fit]
    p0 = yf.sum() / mf.sum()
    over = int(np.sum(yf > mf))
    hint = (f" ({over} cell(s) have more respondents than questionnaires mailed: if the wave was mailed per "
            "cell, give its mailing counts, e.g. survey run/plan --mailing)" if over else "")
    if p0 >= 1:
        raise ConvergenceError(f"the response rate is {p0:.0%}, so no response-rate model can be fitted{hint}")
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(p0 / (1 - p0))
    for _ in range(max_iter):
        eta = Xf @ beta
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-eta))
        wts = mf * p * (1 - p)
        grad = Xf.T @ (yf - mf * p)
        hess = (Xf * wts[:, None]).T @ Xf
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            raise ConvergenceError("the response-rate model cannot be fitted (rates run to 0 or 100%)" + hint
                                   + "; or use response_model='age' or collapse sparse levels") from None
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    else:
        raise ConvergenceError(f"the response-rate model did not converge in {max_iter} iterations{hint}; "
                               "use response_model='age' or collapse sparse levels")
    return 1.0 / (1.0 + np.exp(-(X @ beta)))


def shrunk_variance(s2, df, group_codes, other_codes, prior_df: float) -> np.ndarray:
    """Cell variances shrunk towards a multiplicative age x district model.

    With ``ss_h = (n_h - 1) s_h^2``: pooled within-cell variances ``s^2``
    (all cells), ``s_a^2`` (cells of one level of the other key) and
    ``s_g^2`` (one group), each level shrunk towards ``s^2`` with
    ``prior_df`` degrees of freedom; the model value is ``s_a^2 s_g^2 /
    s^2`` and the cell's ``S_h^2 = (ss_h + prior_df * model) / (n_h - 1 +
    prior_df)``.
    """
    d = np.where(np.isfinite(s2), np.maximum(df, 0.0), 0.0)
    ss = d * np.nan_to_num(s2)
    if d.sum() <= 0:
        raise DesignError("no cell has two respondents answering the item; its variance cannot be estimated")
    overall = ss.sum() / d.sum()

    def factor(codes):
        out = np.empty_like(ss)
        for lvl in np.unique(codes):
            sel = codes == lvl
            out[sel] = (ss[sel].sum() + prior_df * overall) / (d[sel].sum() + prior_df) if (
                d[sel].sum() + prior_df) > 0 else overall
        return out

    model = factor(other_codes) * factor(group_codes) / overall if overall > 0 else np.zeros_like(ss)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d + prior_df > 0, (ss + prior_df * model) / (d + prior_df), model)


def additive_means(mean, count, group_codes, other_codes) -> np.ndarray:
    """Cell means smoothed by an additive model ``mu + alpha_other + beta_group``
    (least squares on the cell means weighted by their counts, i.e. OLS of
    the respondents' values on the two sets of dummies)."""
    cols = [np.ones(len(mean))]
    for codes in (other_codes, group_codes):
        levels = np.unique(codes)
        cols.extend((codes == lvl).astype(float) for lvl in levels[1:])
    X = np.column_stack(cols)
    ok = count > 0
    sw = np.sqrt(count[ok])
    beta = np.linalg.lstsq(X[ok] * sw[:, None], mean[ok] * sw, rcond=None)[0]
    return X @ beta


def kish_by_cell(cell_id, w, ok, n_cells) -> np.ndarray:
    sw = np.bincount(cell_id[ok], weights=w[ok], minlength=n_cells)
    sw2 = np.bincount(cell_id[ok], weights=w[ok] ** 2, minlength=n_cells)
    n = np.bincount(cell_id[ok], minlength=n_cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sw > 0, n * sw2 / sw ** 2, np.nan)


def pooled_deff(kish, contribution) -> float:
    ok = np.isfinite(kish) & np.isfinite(contribution) & (contribution > 0)
    return float(np.sum(contribution[ok] * kish[ok]) / np.sum(contribution[ok])) if ok.any() else 1.0
