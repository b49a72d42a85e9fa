"""The result object returned by every design estimator.

An :class:`Estimate` holds point estimates, their full design-based
covariance matrix (across variables, levels and ``by`` groups, so
differences between groups can be tested), degrees of freedom, design
effects and the number of sampled rows behind each estimate.
``Estimate.to_frame()`` always has the columns
``estimate, se, ci_low, ci_high, deff, n``.

Confidence intervals (``ci_method``):

* ``"wald"`` -- ``estimate +/- t(df) * se``; means, totals and ratios use
  ``df = inf`` (normal quantiles) as R ``confint(svymean(...))`` does.
* ``"logit"`` -- R ``svyciprop(method="logit")``: the Wald interval on the
  logit scale, ``expit(logit(p) +/- t(df) * se / (p (1 - p)))`` with
  ``df`` the design degrees of freedom of the domain (for replicate
  designs the logit-scale standard error is the replicate standard error
  of ``logit(p_r)``, as R's replicate ``svyglm``).
* ``"beta"`` -- R ``svyciprop(method="beta")`` (Korn & Graubard): a
  Clopper-Pearson interval at the effective sample size.
* ``"woodruff"`` -- quantiles: the interval of R ``svyquantile`` (Woodruff
  inversion of the CDF interval); it is stored for the level it was
  computed at.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from survey.errors import DesignError

__all__ = ["Estimate"]

COLUMNS = ["estimate", "se", "ci_low", "ci_high", "deff", "n"]


def t_quantile(prob: float, df) -> np.ndarray:
    """``qt(prob, df)`` with ``df = inf`` giving the normal quantile."""
    df = np.asarray(df, dtype=float)
    out = np.where(np.isinf(df), stats.norm.ppf(prob), stats.t.ppf(prob, np.where(np.isinf(df), 1, df)))
    return out


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


class Estimate:
    """Estimates with their design-based covariance.

    Attributes
    ----------
    estimate, se, deff, n, df : pandas.Series
        Indexed like :meth:`to_frame`.
    vcov : pandas.DataFrame
        Full covariance matrix of the estimates (rows and columns in the
        order of the index).
    statistic : str
        ``"mean"``, ``"total"``, ``"proportion"``, ``"ratio"`` or
        ``"quantile"``.
    level : float
        Confidence level of the stored interval used by :meth:`to_frame`.
    ci_method : str
        ``"wald"``, ``"logit"``, ``"beta"`` or ``"woodruff"``.
    replicates : pandas.DataFrame or None
        Replicate estimates (one row per replicate) for replicate designs.
    """

    __slots__ = (
        "_ci",
        "_link_se",
        "_neff",
        "ci_method",
        "deff",
        "df",
        "estimate",
        "level",
        "n",
        "replicates",
        "se",
        "statistic",
        "vcov",
    )

    def __init__(self, *, index: pd.Index, estimate, vcov, df, deff, n, statistic: str,
                 level: float = 0.95, ci_method: str = "wald", ci=None,
                 replicates=None, n_effective=None):
        k = len(index)
        est = np.asarray(estimate, dtype=float).reshape(k)
        V = np.asarray(vcov, dtype=float).reshape(k, k)
        self.estimate = pd.Series(est, index=index, name="estimate")
        self.vcov = pd.DataFrame(V, index=index, columns=index)
        se = np.sqrt(np.clip(np.diag(V), 0, None))
        se[np.isnan(np.diag(V))] = np.nan
        self.se = pd.Series(se, index=index, name="se")
        self.df = pd.Series(np.broadcast_to(np.asarray(df, dtype=float), (k,)).copy(),
                            index=index, name="df")
        self.deff = pd.Series(np.broadcast_to(np.asarray(deff, dtype=float), (k,)).copy(),
                              index=index, name="deff")
        self.n = pd.Series(np.broadcast_to(np.asarray(n), (k,)).astype(np.int64),
                           index=index, name="n")
        self.statistic = statistic
        self.level = float(level)
        self.ci_method = ci_method
        self._ci = None if ci is None else np.asarray(ci, dtype=float).reshape(k, 2)
        self._neff = None if n_effective is None else np.asarray(n_effective, dtype=float)
        self._link_se = None
        self.replicates = replicates

    # ------------------------------------------------------------ intervals
    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals (columns ``ci_low``, ``ci_high``).

        Uses the estimator's interval method (see module docstring) with
        ``self.df``.  Woodruff intervals of quantiles exist only at the
        level they were computed with; ask ``quantile(..., level=)``.
        """
        if not 0 < level < 1:
            raise DesignError(f"conf_int: level must be between 0 and 1; got {level}.")
        if self._ci is not None and np.isclose(level, self.level):
            ci = self._ci
        elif self.ci_method == "woodruff":
            raise DesignError(
                f"Quantile intervals were computed at level={self.level}; call "
                f"quantile(..., level={level}) for another level."
            )
        else:
            ci = self._interval(level)
        return pd.DataFrame(ci, index=self.estimate.index, columns=["ci_low", "ci_high"])

    def _interval(self, level: float) -> np.ndarray:
        est = self.estimate.to_numpy()
        se = self.se.to_numpy()
        tq = t_quantile(1 - (1 - level) / 2, self.df.to_numpy())
        if self.ci_method == "wald":
            return np.column_stack([est - tq * se, est + tq * se])
        if self.ci_method == "logit":
            with np.errstate(divide="ignore", invalid="ignore"):
                eta = np.log(est / (1 - est))
                link_se = se / (est * (1 - est)) if self._link_se is None else self._link_se
                half = tq * link_se
                lo, hi = _expit(eta - half), _expit(eta + half)
            edge = (est <= 0) | (est >= 1)
            lo = np.where(edge, est, lo)
            hi = np.where(edge, est, hi)
            return np.column_stack([lo, hi])
        if self.ci_method == "beta":
            return beta_interval(est, se, self.df.to_numpy(), self._neff, level)
        raise DesignError(f"unknown interval method {self.ci_method!r}")

    # --------------------------------------------------------------- output
    def to_frame(self) -> pd.DataFrame:
        """Columns ``estimate, se, ci_low, ci_high, deff, n`` at ``self.level``."""
        ci = self.conf_int(self.level)
        out = pd.DataFrame({
            "estimate": self.estimate, "se": self.se,
            "ci_low": ci["ci_low"], "ci_high": ci["ci_high"],
            "deff": self.deff, "n": self.n,
        })
        return out[COLUMNS]

    def __len__(self) -> int:
        return len(self.estimate)

    def __repr__(self) -> str:
        return f"Estimate({self.statistic})\n{self.to_frame()!r}"


def beta_interval(p, se, df, nrows, level):
    """Korn-Graubard interval as R ``svyciprop(method="beta")``.

    ``nrows`` is the number of sampled rows (R ``nrow(design)``).
    """
    alpha = 1 - level
    p = np.asarray(p, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        neff = p * (1 - p) / se ** 2
        adj = (stats.t.ppf(alpha / 2, np.asarray(nrows, float) - 1)
               / t_quantile(alpha / 2, df)) ** 2
        neff = neff * adj
        lo = stats.beta.ppf(alpha / 2, neff * p, neff * (1 - p) + 1)
        hi = stats.beta.ppf(1 - alpha / 2, neff * p + 1, neff * (1 - p))
    lo = np.where(p <= 0, 0.0, lo)
    hi = np.where(p >= 1, 1.0, hi)
    return np.column_stack([lo, hi])
