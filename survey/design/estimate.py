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
* ``"logit"``, ``"xlogit"``, ``"asin"``, ``"likelihood"``, ``"beta"`` --
  the intervals of R ``svyciprop(method=...)`` for proportions, with ``df``
  the design degrees of freedom (see :mod:`survey.design.intervals`).
* ``"woodruff"`` -- quantiles: the interval of R ``svyquantile`` (Woodruff
  inversion of the CDF interval); it is stored for the level it was
  computed at.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.intervals import (
    asin_interval,
    beta_interval,
    likelihood_interval,
    logit_interval,
    t_quantile,
)
from survey.design.results import COLUMNS, ResultMixin
from survey.errors import DesignError
from survey.validation import check_level

__all__ = ["Estimate"]


class Estimate(ResultMixin):
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
        ``"wald"``, ``"logit"``, ``"xlogit"``, ``"asin"``, ``"likelihood"``,
        ``"beta"`` or ``"woodruff"``.
    replicates : pandas.DataFrame or None
        Replicate estimates (one row per replicate) for replicate designs.

    With the other results (:class:`~survey.design.results.ResultMixin`):
    ``params`` (alias of ``estimate``), :meth:`conf_int`, :meth:`to_frame`,
    :meth:`wald_test` (F on the design df when every estimate has the same,
    else the chi-square) and :meth:`summary`.
    """

    __slots__ = (
        "_ci",
        "_link_se",
        "_neff",
        "_phi",
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
        self._phi = None
        self.replicates = replicates

    # ------------------------------------------------------ the shared base
    @property
    def params(self) -> pd.Series:
        """The estimates (alias of ``estimate``, as the model results call them)."""
        return self.estimate

    def _ci_df(self):
        return self.df.to_numpy()

    def _wald_df(self):
        dfs = np.unique(self.df.to_numpy(dtype=float))
        return float(dfs[0]) if dfs.size == 1 else None

    def _deff(self):
        return self.deff.to_numpy()

    def _n(self):
        return self.n.to_numpy()

    def _title(self) -> str:
        return f"Estimate of the {self.statistic} ({self.ci_method})"

    # ------------------------------------------------------------ intervals
    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals (columns ``ci_low``, ``ci_high``).

        Uses the estimator's interval method (see module docstring) with
        ``self.df``.  Woodruff intervals of quantiles exist only at the
        level they were computed with; ask ``quantile(..., level=)``.
        """
        level = check_level(level)
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
        with np.errstate(divide="ignore", invalid="ignore"):
            delta_link = se / (est * (1 - est))
        if self.ci_method in ("logit", "xlogit"):
            link_se = delta_link if (self._link_se is None or self.ci_method == "xlogit") else self._link_se
            return logit_interval(est, link_se, tq)
        if self.ci_method == "asin":
            return asin_interval(est, se, tq)
        if self.ci_method == "likelihood":
            if self._link_se is not None:
                return likelihood_interval(est, self._link_se, tq, 1.0)
            if self._phi is None:
                n = self.n.to_numpy().astype(float)
                with np.errstate(divide="ignore", invalid="ignore"):
                    phi = n / (n - 1)
            else:
                phi = self._phi
            return likelihood_interval(est, delta_link, tq, phi)
        if self.ci_method == "beta":
            return beta_interval(est, se, self.df.to_numpy(), self._neff, level)
        raise DesignError(f"unknown interval method {self.ci_method!r}")

    def take(self, positions, *, index=None) -> Estimate:
        """The estimates at ``positions`` (integers or a boolean mask) with
        their covariance, df, deff, n and intervals (R ``svystat[i]``);
        ``index`` relabels them.

        >>> import pandas as pd, survey
        >>> d = survey.Design(pd.DataFrame({"x": ["a", "b", "b", "b"]}))
        >>> d.proportion("x").take([1], index=pd.Index(["b"], name="variable")).estimate
        variable
        b    0.75
        Name: estimate, dtype: float64
        """
        pos = np.arange(len(self))[np.asarray(positions)] if np.asarray(positions).dtype == bool \
            else np.asarray(positions, dtype=np.intp).reshape(-1)
        idx = self.estimate.index[pos] if index is None else index
        if len(idx) != len(pos):
            raise DesignError(f"take: index has {len(idx)} labels for {len(pos)} estimates")
        out = Estimate(index=idx, estimate=self.estimate.to_numpy()[pos],
                       vcov=self.vcov.to_numpy()[np.ix_(pos, pos)], df=self.df.to_numpy()[pos],
                       deff=self.deff.to_numpy()[pos], n=self.n.to_numpy()[pos], statistic=self.statistic,
                       level=self.level, ci_method=self.ci_method,
                       ci=None if self._ci is None else self._ci[pos],
                       n_effective=None if self._neff is None else self._neff[pos],
                       replicates=None if self.replicates is None else pd.DataFrame(
                           self.replicates.to_numpy()[:, pos], columns=idx))
        out._link_se = None if self._link_se is None else np.asarray(self._link_se)[pos]
        out._phi = None if self._phi is None else np.asarray(self._phi)[pos]
        return out

    # --------------------------------------------------------------- output
    def to_frame(self, level: float | None = None) -> pd.DataFrame:
        """Columns ``estimate, se, ci_low, ci_high, deff, n``; intervals at ``level``
        (default ``self.level``, the level the estimator was asked for)."""
        ci = self.conf_int(self.level if level is None else level)
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

