"""Design-based means of derived variables over domains (private helper).

The satisfaction measures estimate means of variables that are not columns
of the design data (a score mapped from answer codes, 0/1 indicators of
answer levels, times a year from a frequency category).  A frozen design
cannot take new columns, so the estimates are computed here from the
design's public pieces, exactly as ``Design.mean`` does for a column:

* the ratio ``theta_k = sum(w d_k y_k) / sum(w d_k)`` over a domain ``d_k``
  (a ``by`` group and the rows with a value: R ``svyby(..., na.rm=TRUE)``);
* its covariance from the linearised influence ``w d_k (y_k - theta_k) /
  sum(w d_k)`` (R ``svyrecvar``, calibration aware), or, for a
  replicate-weight design, from the estimates recomputed with every
  replicate weight;
* the design effect as R ``svymean(..., deff=TRUE)`` (design variance over
  the variance of simple random sampling without replacement).

The computation is the design's (:meth:`survey.design.Design.domain_means`,
every variable and domain in one pass); this module gives the measures
their shared checks and helpers.
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


def domain_means(design, values, domains, *, index: pd.Index, level: float = 0.95, statistic: str = "mean",
                 ci_method: str = "wald", df=None) -> Estimate:
    """Means of the columns of ``values`` (n, p; NaN: not in that variable's
    domain) over every domain of ``domains`` (n, G bool, or a list of masks),
    domain-major: :meth:`survey.design.Design.domain_means`.

    ``df=None`` gives normal-quantile intervals (R ``confint(svymean)``);
    ``df="design"`` the design degrees of freedom of each domain (R
    ``degf(subset(design, domain))``, used by ``svyciprop``).
    """
    check_design(design)
    return design.domain_means(values, domains, index=index, level=level, statistic=statistic,
                               ci_method=ci_method, df=df)
