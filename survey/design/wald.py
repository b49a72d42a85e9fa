"""Design-based Wald tests (R ``survey::regTermTest(method = "Wald")``).

:func:`wald_test` tests linear hypotheses ``L b = c`` about any estimate
vector with a design-based covariance (regression coefficients, vectors of
means or shares...).  With design degrees of freedom it reports
``F = X^2 / k`` on ``(k, df)`` degrees of freedom, as ``regTermTest`` does;
without, the chi-square ``X^2`` on ``k``.  Tests of model terms (all the
dummies of ``C(stype)``), including R's working likelihood-ratio test, are
in :mod:`survey.design.anova`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.design.distributions import chi2_sf, f_sf
from survey.errors import DesignError

__all__ = ["WaldTest", "wald_test"]


@dataclass(frozen=True)
class WaldTest:
    """Result of a Wald test.

    Attributes
    ----------
    statistic : float
        ``F`` (= ``chisq / ndf``) when ``ddf`` is finite, else ``chisq``.
    chisq : float
        Wald statistic ``(Lb - c)' (L V L')^-1 (Lb - c)``.
    ndf, ddf : float
        Numerator df (number of constraints) and denominator df
        (``inf`` for the chi-square test).
    p : float
    contrasts : pandas.Series
        ``L b - c``, one value per constraint.
    method : str
    """

    statistic: float
    chisq: float
    ndf: float
    ddf: float
    p: float
    contrasts: pd.Series
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One-row frame: statistic, ndf, ddf, p, method."""
        return pd.DataFrame([{"statistic": self.statistic, "ndf": self.ndf,
                              "ddf": self.ddf, "p": self.p, "method": self.method}])


def _unpack(estimate, vcov):
    df = None
    if hasattr(estimate, "_wald_df") and hasattr(estimate, "vcov"):
        # a result object (survey.design.results.ResultMixin): its own test df
        est, vcov, df = estimate.params, estimate.vcov if vcov is None else vcov, estimate._wald_df()
    elif hasattr(estimate, "params") and hasattr(estimate, "vcov"):
        df = getattr(estimate, "df_resid", None)
        est, vcov = estimate.params, estimate.vcov if vcov is None else vcov
    elif hasattr(estimate, "vcov") and hasattr(estimate, "estimate"):
        # an Estimate (means, totals, shares): its design df if common to all rows
        est, vcov = estimate.estimate, estimate.vcov if vcov is None else vcov
        dfs = np.unique(np.asarray(getattr(estimate, "df", [np.inf]), dtype=float))
        df = float(dfs[0]) if dfs.size == 1 else None
    else:
        est = estimate
    if vcov is None:
        raise DesignError(
            "wald_test needs a covariance matrix: pass vcov=, or a result object "
            "with .params/.estimate and .vcov"
        )
    if isinstance(est, pd.DataFrame):
        est = est["estimate"] if "estimate" in est.columns else est.iloc[:, 0]
    names = list(est.index) if isinstance(est, pd.Series) else None
    b = np.asarray(est, dtype=float).ravel()
    V = np.asarray(vcov, dtype=float)
    if V.shape != (b.size, b.size):
        raise DesignError(
            f"vcov has shape {V.shape} but there are {b.size} estimates; "
            f"pass the ({b.size}, {b.size}) covariance of the estimates"
        )
    if names is None and isinstance(vcov, pd.DataFrame):
        names = list(vcov.index)
    if names is None:
        names = list(range(b.size))
    return b, V, names, df


def _contrast_matrix(contrasts, names):
    p = len(names)
    if contrasts is None:
        return np.eye(p), [str(n) for n in names]
    if isinstance(contrasts, pd.DataFrame):
        L = contrasts.reindex(columns=names, fill_value=0.0).to_numpy(dtype=float)
        missing = [c for c in contrasts.columns if c not in names]
        if missing:
            raise DesignError(f"contrast columns {missing} are not estimates; known: {names}")
        return L, [str(i) for i in contrasts.index]
    if isinstance(contrasts, dict):
        contrasts = [contrasts]
    seq = list(contrasts) if not isinstance(contrasts, (str, np.ndarray)) else [contrasts]
    if isinstance(contrasts, np.ndarray):
        L = np.atleast_2d(np.asarray(contrasts, dtype=float))
        if L.shape[1] != p:
            raise DesignError(f"contrast matrix has {L.shape[1]} columns; expected {p} ({names})")
        return L, [f"L{i + 1}" for i in range(L.shape[0])]
    rows, labels = [], []
    for item in seq:
        row = np.zeros(p)
        if isinstance(item, dict):
            for k, v in item.items():
                row[_position(k, names)] = float(v)
            labels.append(" + ".join(f"{v:g}*{k}" for k, v in item.items()))
        elif np.ndim(item) == 1 and not isinstance(item, str) and len(item) == p:
            row = np.asarray(item, dtype=float)
            labels.append(f"L{len(labels) + 1}")
        else:
            row[_position(item, names)] = 1.0
            labels.append(str(item))
        rows.append(row)
    return np.vstack(rows), labels


def _position(key, names):
    if key in names:
        return names.index(key)
    if isinstance(key, (int, np.integer)) and 0 <= key < len(names):
        return int(key)
    raise DesignError(f"unknown estimate {key!r} in contrasts; known names: {names}")


def wald_test(estimate, vcov=None, contrasts=None, *, null=None, df=None):
    """Design-based Wald test of ``L b = null``.

    Parameters
    ----------
    estimate : array-like, pandas.Series, or result object
        The estimates ``b``.  A result of :func:`glm`/:func:`olr` supplies
        ``vcov`` and, unless ``df`` is given, its ``df_resid``; an
        :class:`~survey.design.estimate.Estimate` supplies ``vcov`` and its
        design df (when the same for every row).
    vcov : array-like, optional
        Design-based covariance of ``b``.
    contrasts : optional
        Which hypothesis: ``None`` (all estimates are ``null``), a list of
        estimate names/positions (each equal to ``null``), a list of dicts
        ``{"ell": 1, "meals": -1}`` (one linear combination each), a
        ``(k, p)`` array, or a DataFrame whose columns are estimate names.
    null : float or array-like, optional
        Right-hand side ``c`` (default 0).
    df : float, optional
        Design (denominator) degrees of freedom; finite -> F test,
        ``None``/``inf`` -> chi-square (unless a result object gives one).

    Returns
    -------
    WaldTest

    Notes
    -----
    Same numbers as R ``regTermTest(model, ~terms)`` (``F``, ``df``,
    ``ddf``, ``p``) and, for one contrast, ``svycontrast`` with
    ``(estimate/SE)^2``.
    """
    b, V, names, model_df = _unpack(estimate, vcov)
    L, labels = _contrast_matrix(contrasts, names)
    c = np.zeros(L.shape[0]) if null is None else np.broadcast_to(
        np.asarray(null, dtype=float), (L.shape[0],))
    diff = L @ b - c
    LVL = L @ V @ L.T
    if np.linalg.matrix_rank(L) < L.shape[0] or np.linalg.matrix_rank(LVL) < L.shape[0]:
        raise DesignError(
            f"the covariance of the {L.shape[0]} tested contrasts is singular; some contrasts "
            "are redundant (linear combinations of the others) or have zero variance -- drop them"
        )
    chisq = float(diff @ np.linalg.solve(LVL, diff))
    if df is None:
        df = model_df if model_df is not None else np.inf
    k = L.shape[0]
    if np.isfinite(df):
        if df <= 0:
            raise DesignError(f"denominator df must be positive, got {df}")
        stat = chisq / k
        p = float(f_sf(stat, k, df))
        method = "Wald test (F, design df)"
    else:
        stat = chisq
        p = float(chi2_sf(chisq, k))
        method = "Wald test (chi-square)"
    return WaldTest(statistic=float(stat), chisq=chisq, ndf=float(k), ddf=float(df), p=p,
                    contrasts=pd.Series(diff, index=labels), method=method)

