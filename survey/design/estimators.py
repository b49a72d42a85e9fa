"""Estimators shared by linearised and replicate-weight designs.

Every estimator here is a ratio of weighted sums, ``theta_k = sum(w a_k) /
sum(w b_k)`` (``b = 1`` for totals), evaluated over a domain: the rows of
a ``by`` group (R ``svyby``, which subsets the design) with a non-missing
value (R ``na.rm=TRUE``, also a subset).  Domains never drop rows from the
variance: the design keeps all its strata and clusters.  The covariance
comes from the design (``_vcov_columns``): the linearised influence
``w (a_k - theta_k b_k) / sum(w b_k)`` through ``score_vcov`` for
:class:`~survey.design.Design`, the replicate estimates for
:class:`~survey.design.ReplicateDesign`.

Several variables in one call are estimated jointly (full covariance), but
each uses its own non-missing rows -- the same numbers as one R call per
variable (R's ``svymean(~a+b, na.rm=TRUE)`` would use complete cases).
"""
from __future__ import annotations

import numpy as np

from survey.design import ciprop, moments, quantiles
from survey.design import domains as domains_mod
from survey.design.base import DesignBase
from survey.design.estimate import Estimate
from survey.design.fit import Part, fit_parts
from survey.design.ratios import _as_list
from survey.validation import check_level

__all__: list[str] = []


class EstimatorsMixin(DesignBase):
    """Means, totals, proportions, variances, ratios and quantiles (R svymean & co.).

    The frozen object, its data attributes and the column helpers
    (``_numeric``, ``_groups`` ...) come from :class:`~survey.design.base.DesignBase`.
    """

    #: marks the survey designs for :func:`survey.validation.check_design`
    _survey_design = True

    # hooks provided by the design classes -------------------------------
    def _replicate_estimates(self, cols):  # pragma: no cover - abstract
        """(R, K) replicate estimates, or None for a linearised design."""
        raise NotImplementedError

    def _vcov_columns(self, theta, union, z, reps):  # pragma: no cover - abstract
        raise NotImplementedError

    def _domain_degf(self, mask: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _collapse(self, arrays):
        """Atoms of interchangeable rows (:mod:`survey.design.collapse`); None: rows."""
        return None

    def _fit(self, A, B, domains, dom_of_col, index, statistic, *, level, df=None,
             ci_method="wald", deff=True, atoms=None):
        """Evaluate ratio-type estimates and assemble an :class:`Estimate`.

        ``A`` (n, K, Fortran order) holds the numerator values (zero outside
        each column's domain); ``B`` is ``None`` (totals), ``"domain"``
        (denominator = the domain indicator: means, proportions) or an
        (n, K) array (ratios).  With ``atoms`` the rows of ``A``, ``B`` and
        the domains are the atoms' first rows, each standing for
        ``atoms.count`` identical rows (:mod:`survey.design.collapse`).
        Columns split by disjoint groups go to :func:`survey.design.fit.fit_parts`.
        """
        return fit_parts(self, [Part(None, A, B, domains, dom_of_col)], index, statistic, level=level, df=df,
                         ci_method=ci_method, deff=deff, atoms=atoms)

    def _linear_estimate(self, variable, by, statistic, level):
        return domains_mod.linear_estimate(self, variable, by, statistic, level)

    # ------------------------------------------------------------ public
    def mean(self, variable, *, by=None, level: float = 0.95) -> Estimate:
        """Weighted mean(s) with design-based standard errors.

        Same numbers as R ``svymean(~variable, design, na.rm=TRUE,
        deff=TRUE)`` (``svyby(..., svymean)`` with ``by``).  A categorical
        column gives the proportion of each level (rows ``"col=level"``).
        Intervals are Wald with normal quantiles (R ``confint`` default).

        Parameters
        ----------
        variable : str or list of str
        by : str or list of str, optional
            Domain (group) columns; groups are sorted, empty ones dropped.
        level : float
            Confidence level of the interval in ``to_frame()``.

        Examples
        --------
        The stratified api sample (R ``data(api)``):

        >>> import pandas as pd, survey
        >>> api = pd.read_csv("tests/data/apistrat.csv")
        >>> d = survey.Design(api, weights="pw", strata="stype", fpc="fpc")
        >>> d.mean("api00").to_frame().round(4)   # R: svymean(~api00, dstrat, deff=TRUE); confint()
                  estimate      se    ci_low   ci_high    deff    n
        variable
        api00     662.2874  9.4089  643.8462  680.7285  1.2045  200

        The bundled wave, raked as ``survey run`` does
        (:func:`survey.examples.bundled_wave`): years lived in the city

        >>> from survey.examples import bundled_wave
        >>> wave, q = bundled_wave()
        >>> wave.mean("years_lived").to_frame().round(4)   # R: svymean(~years_lived, wave, na.rm=TRUE, deff=TRUE)
                     estimate      se   ci_low  ci_high    deff     n
        variable
        years_lived    17.729  0.4226  16.9007  18.5574  0.8013  1331
        """
        return self._linear_estimate(variable, by, "mean", check_level(level))

    def total(self, variable, *, by=None, level: float = 0.95) -> Estimate:
        """Weighted total(s) (R ``svytotal``); a categorical column gives
        the estimated population count of every level.

        Examples
        --------
        >>> import pandas as pd, survey
        >>> api = pd.read_csv("tests/data/apistrat.csv")
        >>> d = survey.Design(api, weights="pw", strata="stype", fpc="fpc")
        >>> d.total("enroll").to_frame()[["estimate", "se"]].round(0)   # R: svytotal(~enroll, dstrat)
                   estimate        se
        variable
        enroll    3687178.0  114642.0

        Adults with and without children at home in the city, from the bundled wave
        (:func:`survey.examples.bundled_wave`; the codes as their labels):

        >>> from survey.examples import bundled_wave
        >>> wave, q = bundled_wave()
        >>> kids = wave.with_columns(children=wave.data["children"].map(dict(q["children"].codes)))
        >>> kids.total("children").to_frame()[["estimate", "se", "deff"]].round(0)
        ...     # R: svytotal(~children_f, wave, na.rm=TRUE, deff=TRUE)
                        estimate      se  deff
        variable
        children=いない   86306.0  1359.0   1.0
        children=いる    32124.0  1341.0   1.0
        """
        return self._linear_estimate(variable, by, "total", check_level(level))

    def proportion(self, variable: str, *, by=None, level: float = 0.95,
                   method: str = "logit") -> Estimate:
        """Proportion of every level of ``variable`` (one row per level).

        Standard errors as R ``svymean(~factor(variable), na.rm=TRUE)``;
        intervals as R ``svyciprop(~I(variable == level), design, method=,
        na.rm=TRUE)`` (``svyby(..., svyciprop)`` with ``by``): ``"logit"``
        (default; stays inside (0, 1) and behaves for small proportions),
        ``"likelihood"``, ``"asin"``, ``"beta"`` (Korn-Graubard), ``"mean"``
        (Wald) or ``"xlogit"``; see :mod:`survey.design.intervals`.  As in R
        the t quantile uses the design degrees of freedom of the design (or
        of the ``by`` group) before rows missing ``variable`` are left out.

        Examples
        --------
        >>> import pandas as pd, survey
        >>> api = pd.read_csv("tests/data/apistrat.csv")
        >>> d = survey.Design(api, weights="pw", strata="stype", fpc="fpc")

        R: ``svymean(~sch.wide, dstrat, deff=TRUE)`` and
        ``svyciprop(~I(sch.wide == "Yes"), dstrat, method="logit")``:

        >>> d.proportion("sch.wide").to_frame().round(4)
                  estimate      se  ci_low  ci_high    deff    n
        sch.wide
        No          0.1721  0.0243  0.1292   0.2255  0.8556  200
        Yes         0.8279  0.0243  0.7745   0.8708  0.8556  200

        The bundled wave (:func:`survey.examples.bundled_wave`), R
        ``svyciprop(~I(children == 1), wave, method="logit", na.rm=TRUE)``:

        >>> from survey.examples import bundled_wave
        >>> wave, q = bundled_wave()
        >>> kids = wave.with_columns(children=wave.data["children"].map(dict(q["children"].codes)))
        >>> kids.proportion("children").to_frame().round(4)
                  estimate      se  ci_low  ci_high    deff     n
        children
        いない         0.7288  0.0113  0.7061   0.7503  0.8657  1334
        いる          0.2712  0.0113  0.2497   0.2939  0.8657  1334
        """
        return ciprop.proportion(self, variable, by=by, level=check_level(level), method=method)

    def domain_means(self, values, domains, *, index=None, level: float = 0.95, statistic: str = "mean",
                     ci_method: str = "wald", df=None) -> Estimate:
        """Means of derived variables over domains, every pair in one pass.

        Parameters
        ----------
        values : array-like, shape (n,) or (n, p)
            Per-row values of ``p`` variables that need not be columns of
            the data; NaN leaves a row out of that variable's domain (R
            ``na.rm=TRUE``).
        domains : array-like of bool, shape (n,) or (n, G), or a list of masks
            Row masks (may overlap); rows with weight 0 are never in a domain.
        index : pandas.Index, optional
            Labels of the ``G * p`` estimates, domain-major (all variables of
            the first domain first); default ``(domain, variable)`` numbers.
        statistic, ci_method : str
            Label of the estimates and their interval (``"wald"``, or
            ``"logit"`` for shares, as ``svyciprop``).
        df : None, "design" or float
            Degrees of freedom of the interval: normal quantiles (None), each
            domain's design df (R ``degf(subset(design, domain))``), or fixed.

        Returns
        -------
        Estimate
            Same numbers as R ``svyby(~y1 + ..., ~domain, design, svymean,
            na.rm=TRUE, covmat=TRUE)`` per domain (``deff`` as
            ``svymean(deff=TRUE)``), with the covariance across all of them.
        """
        return domains_mod.domain_means(self, values, domains, index=index, level=level, statistic=statistic,
                                        ci_method=ci_method, df=df)

    def var(self, variable, *, by=None, level: float = 0.95) -> Estimate:
        """Population variance (one variable) or covariance matrix (several),
        R ``svyvar(~x + y, design, na.rm=TRUE)`` (``svyby(..., svyvar)`` with
        ``by``): rows ``variable`` (or ``variable, variable2``), standard
        errors by linearisation or replicates; see :mod:`survey.design.moments`."""
        return moments.variance(self, variable, by=by, level=check_level(level))

    def ratio(self, numerator, denominator, *, by=None, level: float = 0.95) -> Estimate:
        """Ratio(s) of totals ``sum(w y) / sum(w x)`` (R ``svyratio``), for
        every numerator/denominator pair; rows are labelled ``"num/den"``.
        Rows missing either variable are left out (R ``na.rm=TRUE``)."""
        level = check_level(level)
        nums = _as_list(numerator, "numerator")
        dens = _as_list(denominator, "denominator")
        keys, gmasks, bynames = self._groups(by)
        K = len(keys) * len(nums) * len(dens)
        A = np.zeros((len(self.data), K), order="F")
        B = np.zeros((len(self.data), K), order="F")
        domains, dom_of_col, rows = [], [], []
        k = 0
        for key, g in zip(keys, gmasks):
            for nm in nums:
                y, oky = self._numeric(nm)
                for dn in dens:
                    x, okx = self._numeric(dn)
                    d = g & oky & okx
                    domains.append(d)
                    np.multiply(y, d, out=A[:, k])
                    np.multiply(x, d, out=B[:, k])
                    dom_of_col.append(len(domains) - 1)
                    rows.append(key + (f"{nm}/{dn}",))
                    k += 1
        index = self._index(rows, bynames + ["variable"])
        return self._fit(A, B, domains, dom_of_col, index, "ratio", level=level)

    def quantile(self, variable, q, *, by=None, level: float = 0.95, qrule: str = "math",
                 interval_type: str = "mean", df=None) -> Estimate:
        """Weighted quantile(s) with Woodruff (or score, or replicate) intervals.

        Same numbers as R ``svyquantile(~variable, design, quantiles=q,
        qrule=qrule, interval.type=interval_type, alpha=1-level, df=df,
        na.rm=TRUE)``; the defaults are R's (survey >= 4.1): ``qrule="math"``
        (the smallest value whose weighted CDF reaches ``q``) and the
        Woodruff interval from the Wald interval of the CDF at the estimate
        (t with the domain's design df), ``se = (ci_high - ci_low) / (2 t)``.

        Parameters
        ----------
        variable : str or list of str
        q : float or list of float
            Probabilities in [0, 1].
        by : str or list of str, optional
        level : float
        qrule : {"math", "school", "shahvaish", "hf1", ..., "hf9"}
            R's quantile rules (see :mod:`survey.design.quantiles`).
        interval_type : {"mean", "beta", "xlogit", "asin", "score", "quantile"}
            Woodruff with a Wald, Korn-Graubard, logit or arcsine interval
            for the CDF; Francisco-Fuller score interval (linearised designs);
            replicate quantiles (replicate designs).
        df : float, optional
            Degrees of freedom of the t quantile (default the domain's design
            df; ``np.inf`` for normal quantiles).

        Notes
        -----
        ``vcov`` scales the joint covariance of the CDF estimates by the
        implied densities (diagonal ``se**2``; R gives only the diagonal),
        or is the replicate covariance of the quantiles for
        ``interval_type="quantile"``.  ``deff`` is not defined (NaN).  On a
        replicate design R 4.1.1 ignores ``interval.type`` "beta", "xlogit"
        and "asin" (it always uses "mean"); here they are applied.

        Examples
        --------
        The quartiles of the years lived in the city, on the bundled wave
        (:func:`survey.examples.bundled_wave`):

        >>> from survey.examples import bundled_wave
        >>> wave, q = bundled_wave()
        >>> wave.quantile("years_lived", [0.25, 0.5, 0.75]).to_frame().round(4)
        ...     # R: svyquantile(~years_lived, wave, c(0.25, 0.5, 0.75), na.rm=TRUE)
                          estimate      se  ci_low  ci_high  deff     n
        variable    q
        years_lived 0.25       3.0  0.2549     3.0      4.0   NaN  1331
                    0.50      13.0  0.7646    12.0     15.0   NaN  1331
                    0.75      27.0  1.0195    26.0     30.0   NaN  1331
        """
        return quantiles.quantile(self, variable, q, by=by, level=check_level(level), qrule_name=qrule,
                        interval_type=interval_type, df=df)
