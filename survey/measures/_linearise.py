"""Design-based means of derived variables over domains (private helper).

The satisfaction measures estimate means of variables that are not columns
of the design data (a score mapped from answer codes, 0/1 indicators of
answer levels, times a year from a frequency category).  A frozen design
cannot take new columns, so the estimates are computed here from the
design's public pieces, exactly as ``Design.mean`` does for a column:

* the ratio ``theta_k = sum(w d_k y_k) / sum(w d_k)`` over a domain ``d_k``
  (a ``by`` group and the rows with a value: R ``svyby(..., na.rm=TRUE)``);
* its covariance from the linearised influence ``w d_k (y_k - theta_k) /
  sum(w d_k)`` through ``design.score_vcov`` (R ``svyrecvar``, calibration
  aware), or, for a replicate-weight design, from the estimates recomputed
  with every replicate weight through ``design.replicate_vcov``;
* the design effect as R ``svymean(..., deff=TRUE)`` (design variance over
  the variance of simple random sampling without replacement).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.estimate import Estimate
from survey.errors import DesignError, InputError

__all__: list[str] = []


def check_design(design) -> tuple[pd.DataFrame, np.ndarray]:
    """``(data, weights)`` of a linearisation or replicate-weight design."""
    ok = all(hasattr(design, a) for a in ("data", "weights")) and (
        hasattr(design, "score_vcov") or hasattr(design, "replicate_vcov"))
    if not ok:
        raise DesignError(
            f"expected a survey design (survey.design.Design) with data, weights and score_vcov "
            f"or replicate weights; got {type(design).__name__}. Build one with "
            "survey.design.Design(data, weights=..., strata=...)"
        )
    return design.data, np.asarray(design.weights, dtype=float)


def is_replicate(design) -> bool:
    return bool(getattr(design, "is_replicate", False))


def numeric_column(data: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """A column of answer codes as floats (NaN for missing)."""
    if not isinstance(column, str) or column not in data.columns:
        raise InputError(f"{what}: column {column!r} is not in the design data; available columns: "
                         f"{list(data.columns)[:20]}", column=column)
    s = data[column]
    if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        raise InputError(f"{what}: column {column!r} must hold numeric answer codes (dtype "
                         f"{s.dtype}); read the data with survey.intake.load", column=column)
    return s.to_numpy(dtype=float, na_value=np.nan)


def groups(data: pd.DataFrame, w: np.ndarray, by) -> tuple[list[tuple], list[np.ndarray], list[str]]:
    """``(keys, masks, names)`` of the ``by`` groups among rows with weight > 0,
    sorted; rows with a missing ``by`` value belong to no group."""
    n = len(data)
    if by is None:
        return [()], [w != 0], []
    names = [by] if isinstance(by, str) else list(by)
    if not names or not all(isinstance(b, str) for b in names):
        raise DesignError(f"by must be a column name or a list of column names; got {by!r}")
    absent = [b for b in names if b not in data.columns]
    if absent:
        raise InputError(f"by column(s) {absent} are not in the design data; available columns: "
                         f"{list(data.columns)[:20]}", column=absent[0])
    pos = np.flatnonzero(w != 0)
    frame = data[names].iloc[pos]
    keys, masks = [], []
    for key, idx in frame.groupby(names, sort=True, observed=True, dropna=True).indices.items():
        mask = np.zeros(n, dtype=bool)
        mask[pos[idx]] = True
        keys.append(key if isinstance(key, tuple) else (key,))
        masks.append(mask)
    if not keys:
        raise DesignError(f"by={names}: no row with a positive weight has a value")
    return keys, masks, names


def make_index(rows: list[tuple], names: list[str]) -> pd.Index:
    if len(names) == 1:
        return pd.Index([r[0] for r in rows], name=names[0])
    return pd.MultiIndex.from_tuples(rows, names=names)


def _deff(w, U, D, var):
    """R ``svymean(..., deff=TRUE)``: design variance / SRSWOR variance of
    ``nobs`` rows from a population of ``sum(w)``."""
    out = np.full(U.shape[1], np.nan)
    for k in range(U.shape[1]):
        wd = np.where(D[:, k], w, 0.0)
        psum, nobs = wd.sum(), np.count_nonzero(wd)
        if nobs < 2 or psum <= 0 or psum < nobs:
            continue
        u = U[:, k]
        ubar = (wd @ u) / psum
        s2 = nobs / (nobs - 1) * (wd @ (u - ubar) ** 2) / psum
        vsrs = s2 * psum * (psum - nobs) / nobs
        with np.errstate(divide="ignore", invalid="ignore"):
            out[k] = var[k] / vsrs
    return out


def domain_means(design, Y, D, *, index: pd.Index, level: float = 0.95, statistic: str = "mean",
                 ci_method: str = "wald", df=None) -> Estimate:
    """Means of the columns of ``Y`` (n, k) over the domains ``D`` (n, k bool).

    ``df=None`` gives normal-quantile intervals (R ``confint(svymean)``);
    ``df="design"`` the design degrees of freedom of each domain (R
    ``degf(subset(design, domain))``, used by ``svyciprop``).
    """
    if not 0 < level < 1:
        raise DesignError(f"level must be between 0 and 1; got {level!r}")
    _, w = check_design(design)
    Y = np.asarray(Y, dtype=float)
    D = np.asarray(D, dtype=bool) & (w != 0)[:, None] & ~np.isnan(Y)
    Y = np.where(D, Y, 0.0)
    den = w @ D
    if np.any(den <= 0):
        empty = [index[k] for k in np.flatnonzero(den <= 0)]
        raise DesignError(f"no respondent with a positive weight in the domain(s) {empty}; "
                          "drop those groups or collapse levels")
    theta = (w @ (D * Y)) / den
    U = D * (Y - theta) / den                       # unweighted influence (per unit weight)
    if is_replicate(design):
        wr = np.asarray(design.replicate_weights, dtype=float)
        reps = np.empty((wr.shape[1], Y.shape[1]))
        for r in range(wr.shape[1]):
            dr = wr[:, r] @ D
            with np.errstate(divide="ignore", invalid="ignore"):
                reps[r] = (wr[:, r] @ (D * Y)) / dr
        V = np.asarray(design.replicate_vcov(reps, theta), dtype=float)
    else:
        V = np.asarray(design.score_vcov(w[:, None] * U), dtype=float)
    n = D.sum(axis=0)
    if df == "design":
        dfs = np.array([float(design.subset(D[:, k]).degf) for k in range(D.shape[1])])
    elif df is None:
        dfs = np.full(len(theta), np.inf)
    else:
        dfs = np.full(len(theta), float(df))
    return Estimate(index=index, estimate=theta, vcov=V, df=dfs, deff=_deff(w, U, D, np.diag(V)),
                    n=n, statistic=statistic, level=level, ci_method=ci_method)
