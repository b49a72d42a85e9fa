"""Design-based t-tests (R ``svyttest``).

:func:`svyttest` tests a mean against ``mu`` (one sample, R
``svyttest(I(y - mu) ~ 0, design)``) or the difference between the means of
two groups (R ``svyttest(y ~ group, design)``, the slope of
``svyglm(y ~ group)``), with R's degrees of freedom:

* one sample: ``degf(design) - 1`` of the whole design (rows missing ``y``
  included, as R evaluates ``degf`` on the design it is given);
* two groups: ``degf - 1`` of the rows with ``y`` and ``group`` present
  (``svyglm`` drops the others before counting).

The standard error of the difference is the linearised (or replicate)
standard error of the difference of the two domain means, which is the
sandwich SE of ``svyglm``'s slope.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.design.distributions import t_ppf, t_sf
from survey.errors import DesignError
from survey.validation import check_design, check_level

__all__ = ["TTest", "svyttest"]


@dataclass(frozen=True)
class TTest:
    """Result of :func:`svyttest`.

    Attributes
    ----------
    estimate : float
        ``mean - mu`` (one sample) or ``mean(second group) - mean(first
        group)``, groups in sorted order.
    se, statistic, df, p : float
        Standard error, ``t = estimate / se``, degrees of freedom and the
        two-sided p value.
    ci_low, ci_high : float
        ``estimate -/+ qt(1 - (1 - level) / 2, df) * se``.
    level : float
    method : str
    groups : tuple
        The two group levels compared (empty for one sample).
    """

    estimate: float
    se: float
    statistic: float
    df: float
    p: float
    ci_low: float
    ci_high: float
    level: float
    method: str
    groups: tuple = ()

    def to_frame(self) -> pd.DataFrame:
        """One row: ``estimate, se, statistic, df, p, ci_low, ci_high, method``."""
        return pd.DataFrame([{"estimate": self.estimate, "se": self.se, "statistic": self.statistic,
                              "df": self.df, "p": self.p, "ci_low": self.ci_low,
                              "ci_high": self.ci_high, "method": self.method}])


def _parse(variable, group):
    if isinstance(variable, str) and "~" in variable:
        if group is not None:
            raise DesignError("svyttest: give either a formula 'y ~ group' or variable= and group=, "
                              "not both.")
        lhs, rhs = (part.strip() for part in variable.split("~", 1))
        return lhs, (None if rhs in ("0", "1") else rhs)
    return variable, group


def svyttest(design, variable, group=None, *, mu: float = 0.0, level: float = 0.95) -> TTest:
    """Design-based t-test of a mean, or of a difference between two groups.

    Parameters
    ----------
    design : Design or ReplicateDesign
    variable : str
        The numeric column, or a formula ``"y ~ 0"`` (one sample) or
        ``"y ~ group"``.
    group : str, optional
        A column with exactly two levels (missing values are left out).
    mu : float
        One sample: the mean under the null hypothesis.
    level : float
        Confidence level of the interval.

    Examples
    --------
    ``svyttest(d, "enroll ~ comp.imp")`` is R ``svyttest(enroll ~ comp.imp,
    dclus1)``; ``svyttest(d, "api00", mu=650)`` is R ``svyttest(I(api00 -
    650) ~ 0, dclus1)``.
    """
    design = check_design(design, what="svyttest")
    level = check_level(level)
    y_name, g_name = _parse(variable, group)
    if not isinstance(y_name, str):
        raise DesignError(f"svyttest: variable must be a column name or a formula; got {y_name!r}.")
    _, y_ok = design._numeric(y_name)
    wpos = design._w != 0
    if g_name is None:
        est = design.mean(y_name)
        diff = float(est.estimate.iloc[0]) - float(mu)
        se = float(est.se.iloc[0])
        df = design._domain_degf(wpos) - 1
        method, groups = "Design-based one-sample t-test", ()
    else:
        codes, levels = design._categorical(design._column(g_name))
        present = [lev for j, lev in enumerate(levels) if np.any((codes == j) & y_ok & wpos)]
        if len(present) != 2:
            raise DesignError(f"svyttest: group {g_name!r} must have exactly two levels among the rows "
                              f"with {y_name!r}; got {present[:10]}.")
        est = design.mean(y_name, by=g_name)
        b = est.estimate.to_numpy()
        V = est.vcov.to_numpy()
        diff = float(b[1] - b[0])
        se = float(np.sqrt(V[0, 0] + V[1, 1] - 2 * V[0, 1]))
        df = design._domain_degf(y_ok & (codes >= 0) & wpos) - 1
        method, groups = "Design-based t-test", tuple(present)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / se
    if df > 0:
        p = float(2 * t_sf(abs(t), df))
        q = float(t_ppf(1 - (1 - level) / 2, df))
    else:
        p = q = np.nan
    return TTest(estimate=diff, se=se, statistic=float(t), df=float(df), p=p, ci_low=diff - q * se,
                 ci_high=diff + q * se, level=level, method=method, groups=groups)
