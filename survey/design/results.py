"""The shared base of result objects, and the result of the design-based models.

:class:`ResultMixin` gives every result one vocabulary: ``estimate`` (alias
``params``: the point estimates, one :class:`pandas.Series`), ``vcov``,
``se``, ``conf_int(level)``, ``to_frame()`` with the fixed columns
``estimate, se, ci_low, ci_high, deff, n``, ``wald_test()`` and
``summary()`` (a :class:`Summary`: text that renders as an HTML table in a
notebook).  :class:`~survey.design.estimate.Estimate`,
:class:`RegressionResult` (the base of
:class:`~survey.design.regression.GLMResult` and
:class:`~survey.design.olr.OLRResult`) and the model results of the
measures (rank logit, Dirichlet regression, reliability) use it.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from survey.design.distributions import norm_sf, t_sf
from survey.design.intervals import t_quantile
from survey.errors import DesignError
from survey.validation import check_level

__all__ = ["COLUMNS", "RegressionResult", "ResultMixin", "Summary"]
# fit_design, fit_degf, r_weight_scale: helpers of the models

#: The columns of every result's ``to_frame()``.
COLUMNS = ["estimate", "se", "ci_low", "ci_high", "deff", "n"]


class Summary(str):
    """A result's ``summary()``: plain text (``str(s)``, ``print(s)``) that a notebook shows
    as HTML (title, sentences, the coefficient table); ``.table`` is the table as a frame.
    The text is the title, the sentences and the table, unless ``text`` gives it."""

    def __new__(cls, title: str, table: pd.DataFrame, lines=(), *, text: str | None = None):
        if text is None:
            text = "\n".join(p for p in [title, *lines, table.to_string(index=False)] if p)
        obj = super().__new__(cls, text)
        obj.title, obj.lines, obj.table = title, tuple(lines), table
        return obj

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def _repr_html_(self) -> str:
        paras = "".join(f"<p>{html.escape(line)}</p>" for line in self.lines)
        return (f"<div><p><strong>{html.escape(self.title)}</strong></p>{paras}"
                f"{self.table.to_html(index=False, float_format=lambda v: f'{v:.6g}')}</div>")


class ResultMixin:
    """Inference shared by the result objects.

    A subclass holds its point estimates as ``estimate`` or ``params`` (one
    :class:`pandas.Series`; it defines the other name as an alias) and their
    design-based covariance ``vcov`` (a frame indexed like them).  It may
    override the hooks: ``_ci_df()`` (degrees of freedom of intervals:
    ``inf`` gives normal quantiles), ``_wald_df()`` (denominator df of
    :meth:`wald_test`), ``_deff()`` and ``_n()`` (columns of
    :meth:`to_frame`) and ``_title()``.
    """

    __slots__ = ()

    # ------------------------------------------------------------ hooks
    def _ci_df(self):
        return np.inf

    def _wald_df(self):
        return self._ci_df()

    def _deff(self):
        return np.nan

    def _n(self):
        return getattr(self, "n", np.nan)

    def _title(self) -> str:
        return type(self).__name__

    # ------------------------------------------------------------ inference
    @property
    def se(self) -> pd.Series:
        """Standard errors: the square roots of ``vcov``'s diagonal."""
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy(dtype=float))), index=self.params.index, name="se")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald intervals ``estimate +- q * se`` (``q`` the t quantile on the result's
        degrees of freedom, normal when they are infinite): columns ``ci_low, ci_high``."""
        level = check_level(level)
        df = np.asarray(self._ci_df(), dtype=float)
        if np.any(df <= 0):
            q = np.where(df <= 0, np.nan, t_quantile(0.5 + level / 2, np.where(df <= 0, 1.0, df)))
        else:
            q = t_quantile(0.5 + level / 2, df)
        est, se = self.params.to_numpy(dtype=float), self.se.to_numpy(dtype=float)
        return pd.DataFrame({"ci_low": est - q * se, "ci_high": est + q * se}, index=self.params.index)

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """One row per estimate, the columns ``estimate, se, ci_low, ci_high, deff, n``."""
        ci = self.conf_int(level)
        index = self.params.index
        out = pd.DataFrame({
            "estimate": self.params.to_numpy(dtype=float), "se": self.se.to_numpy(dtype=float),
            "ci_low": ci["ci_low"].to_numpy(), "ci_high": ci["ci_high"].to_numpy(),
            "deff": np.broadcast_to(np.asarray(self._deff(), dtype=float), (len(index),)),
            "n": np.broadcast_to(np.asarray(self._n()), (len(index),)),
        }, index=index)
        return out[COLUMNS]

    def wald_test(self, terms=None, *, null=None):
        """Wald test that the estimates named in ``terms`` (one name, or a list; all by
        default) equal ``null`` (default 0), jointly (R ``regTermTest``/``svycontrast``).

        For one estimate the statistic is ``((estimate - null) / se)^2``: ``F`` on
        ``(1, df)`` with finite design degrees of freedom, else the chi-square on 1.
        Returns :class:`survey.design.wald.WaldTest`.
        """
        from survey.design.wald import wald_test

        names = list(self.params.index)
        wanted = names if terms is None else (
            list(terms) if isinstance(terms, list) else [terms])
        for term in wanted:
            if term not in names:
                raise DesignError(f"wald_test: no estimate {term!r}; the estimates are {names}")
        pos = [names.index(term) for term in wanted]
        V = self.vcov.to_numpy(dtype=float)[np.ix_(pos, pos)]
        if np.isnan(np.diag(V)).any():
            missing = [str(t) for t, v in zip(wanted, np.diag(V)) if np.isnan(v)]
            raise DesignError(f"wald_test: {', '.join(missing)} has no design-based variance; "
                              "test the estimates with one")
        df = self._wald_df()
        test = wald_test(self.params.to_numpy(dtype=float)[pos], V, null=null,
                         df=None if df is None else float(df))
        return replace(test, contrasts=pd.Series(test.contrasts.to_numpy(), index=[str(t) for t in wanted]))

    def summary(self, level: float | None = None) -> Summary:
        """The estimates with ``se``, the Wald statistic and ``p`` and the intervals (at
        ``level``, default the result's own ``level`` or 0.95), as a :class:`Summary`
        (text; HTML in a notebook; ``.table``)."""
        level = check_level(getattr(self, "level", 0.95) if level is None else level)
        frame = self.to_frame(level)
        stat = frame["estimate"] / frame["se"]
        df = np.broadcast_to(np.asarray(self._ci_df(), dtype=float), (len(frame),))
        with np.errstate(invalid="ignore"):
            p = np.where(np.isinf(df), 2 * norm_sf(np.abs(stat)),
                         2 * t_sf(np.abs(stat), np.where(np.isinf(df) | (df <= 0), 1.0, df)))
        p = np.where(df <= 0, np.nan, p)
        index = frame.index
        labels = [" : ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in index]
        table = pd.DataFrame({"term": labels, "estimate": frame["estimate"].to_numpy(),
                              "se": frame["se"].to_numpy(), "z" if np.all(np.isinf(df)) else "t": stat.to_numpy(),
                              "p": p, "ci_low": frame["ci_low"].to_numpy(), "ci_high": frame["ci_high"].to_numpy(),
                              "deff": frame["deff"].to_numpy(), "n": frame["n"].to_numpy()})
        return Summary(f"{self._title()}; {level:.0%} intervals", table)


@dataclass(frozen=True)
class RegressionResult(ResultMixin):
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
    def estimate(self) -> pd.Series:
        """The coefficients (alias of ``params``)."""
        return self.params

    def _ci_df(self):
        return self.df_resid

    def _deff(self):
        return self.deff.to_numpy(dtype=float)

    def _title(self) -> str:
        return f"{type(self).__name__}: {self.formula} (n = {self.n}, df = {self.df_resid:g})"

    @property
    def table(self) -> pd.DataFrame:
        """Columns term, estimate, se, t, p, ci_low, ci_high, deff (95 % intervals)."""
        se = self.se
        t = self.params / se
        p = 2 * t_sf(np.abs(t), self.df_resid) if self.df_resid > 0 else np.nan * t
        ci = self.conf_int(0.95)
        return pd.DataFrame({
            "term": self.params.index, "estimate": self.params.to_numpy(),
            "se": se.to_numpy(), "t": t.to_numpy(), "p": np.asarray(p, dtype=float),
            "ci_low": ci["ci_low"].to_numpy(), "ci_high": ci["ci_high"].to_numpy(),
            "deff": self.deff.to_numpy(),
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
