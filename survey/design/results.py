"""The result object of the design-based models and helpers they share.

:class:`RegressionResult` (coefficients, design-based covariance and
inference) is the base of :class:`~survey.design.regression.GLMResult` and
:class:`~survey.design.olr.OLRResult`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from survey.validation import check_level

__all__ = ["RegressionResult"]  # fit_design, fit_degf, r_weight_scale: helpers of the models


@dataclass(frozen=True)
class RegressionResult:
    """Coefficients, design-based covariance and inference of a fitted model.

    Attributes
    ----------
    params : pandas.Series
        Coefficients, indexed by term.
    vcov : pandas.DataFrame
        Design-based covariance matrix of ``params``.
    df_resid : float
        Denominator degrees of freedom for t tests and intervals.
    n : int
        Number of rows used in the fit.
    deff : pandas.Series
        Design effect of each coefficient (NaN where not defined).
    formula : str
    """

    params: pd.Series
    vcov: pd.DataFrame
    df_resid: float
    n: int
    deff: pd.Series
    formula: str
    term_slices: dict = field(repr=False)

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.formula!r}, n={self.n}, df_resid={self.df_resid:g})"
        return head + "\n" + self.table.to_string(index=False)

    @property
    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.params.index)

    def _quantile(self, level: float) -> float:
        level = check_level(level)
        if self.df_resid <= 0:
            return np.nan
        return float(stats.t.ppf(0.5 + level / 2, self.df_resid))

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald intervals ``estimate +- t(df_resid) * se`` (R ``confint(model)``)."""
        q = self._quantile(level)
        se = self.se
        return pd.DataFrame({"ci_low": self.params - q * se, "ci_high": self.params + q * se})

    @property
    def table(self) -> pd.DataFrame:
        """Columns term, estimate, se, t, p, ci_low, ci_high, deff (95 % intervals)."""
        se = self.se
        t = self.params / se
        p = 2 * stats.t.sf(np.abs(t), self.df_resid) if self.df_resid > 0 else np.nan * t
        ci = self.conf_int(0.95)
        return pd.DataFrame({
            "term": self.params.index, "estimate": self.params.to_numpy(),
            "se": se.to_numpy(), "t": t.to_numpy(), "p": np.asarray(p, dtype=float),
            "ci_low": ci["ci_low"].to_numpy(), "ci_high": ci["ci_high"].to_numpy(),
            "deff": self.deff.to_numpy(),
        })

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """House-style frame indexed by term: estimate, se, ci_low, ci_high, deff, n."""
        ci = self.conf_int(level)
        return pd.DataFrame({
            "estimate": self.params, "se": self.se, "ci_low": ci["ci_low"],
            "ci_high": ci["ci_high"], "deff": self.deff, "n": self.n,
        })


def fit_design(design, used):
    """The design restricted to the rows actually used (R ``design[-nas, ]``)."""
    in_domain = np.asarray(design.weights, dtype=float) > 0
    if np.array_equal(used, in_domain):
        return design
    return design.subset(used)


def fit_degf(design, dfit) -> float:
    """Design degrees of freedom of a model fitted on ``dfit = fit_design(design, used)``:
    those of the rows used for a linearised design (R ``degf(design[-nas, ])``),
    those of the whole replicate design for a replicate one (as R's
    ``svyglm.svyrep.design`` and ``svyolr.svyrep.design``)."""
    return (design if design.is_replicate else dfit).degf


def r_weight_scale(design) -> float:
    """Mean weight over the rows R keeps in the design (R ``svyglm(rescale=TRUE)``).

    R divides the weights by their mean over the design's rows before
    fitting, so deviances (and the non-quasi families' ``deff``) are on that
    scale.  Subsetting an uncalibrated design (and any replicate design)
    drops rows in R; a calibrated one keeps them with weight 0.
    """
    w = np.asarray(design.weights, dtype=float)
    rows = getattr(design, "_var_rows", None)
    count = int(np.count_nonzero(w)) if rows is None else int(np.count_nonzero(rows))
    return float(w.sum() / max(count, 1))
