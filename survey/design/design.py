"""The frozen survey design object (R ``svydesign``) and its weighting steps."""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design import calibration as cal
from survey.design import greg
from survey.design.collapse import collapse
from survey.design.estimators import EstimatorsMixin
from survey.design.linearised import LinearisedVariance
from survey.design.spec import as_mask, names, parse_design
from survey.design.variance import LONELY_PSU_OPTIONS
from survey.design.weights import trim_weights, weight_diagnostics
from survey.errors import DesignError
from survey.validation import check_option, check_seed

__all__ = ["Design"]


class Design(LinearisedVariance, EstimatorsMixin):
    """A complex survey design (R ``svydesign``); immutable.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.  Never modified.
    weights : str or array-like, optional
        Sampling weights (column name or values).  When absent, weights
        follow R ``svydesign``: the product over stages of population over
        sample size implied by ``fpc``; equal weights (1) without ``fpc``.
    strata : str, optional
        First-stage strata column.
    ids : str or list of str, optional
        Cluster (PSU) column, or one column per stage for multi-stage
        designs (R ``id=~dnum+snum``).  Default: every row is its own PSU.
    fpc : str or list of str, optional
        Finite population correction per stage: population size of the
        stratum (R convention: number of PSUs in the stratum at stage 1,
        of SSUs in the PSU at stage 2), or sampling fractions if every
        value is <= 1.  Give it for every stage or not at all.  Without
        fpc the variance treats first-stage clusters as drawn with
        replacement; with fpc at several stages it adds the later stages'
        variance (R ``svyrecvar``).
    nest : bool
        Cluster ids are only unique within strata (R ``nest=TRUE``).
    lonely_psu : {"fail", "remove", "certainty", "adjust", "average"}
        Strata with a single PSU, as R ``options(survey.lonely.psu=)``:
        ``"fail"`` raises :class:`~survey.errors.DesignError` when a
        variance is computed; ``"remove"`` and ``"certainty"`` give them no
        variance contribution; ``"adjust"`` measures them from the grand
        mean; ``"average"`` replaces them by the average of the other
        strata.

    Notes
    -----
    Estimators (``mean``, ``total``, ``proportion``, ``ratio``,
    ``quantile``, ``var``) return an :class:`~survey.design.Estimate`.  Weighting
    steps (``subset``, ``rake``, ``poststratify``, ``calibrate``,
    ``trim``) return new designs and are replayed on every replicate by
    :meth:`replicate`.
    """

    __slots__ = (
        "_data",
        "_keys",
        "_lonely",
        "_memo",
        "_recipe",
        "_spec",
        "_stages",
        "_steps",
        "_var_rows",
        "_w",
        "_w_base",
    )

    is_replicate = False

    def __init__(self, data: pd.DataFrame, *, weights=None, strata=None, ids=None, fpc=None,
                 nest: bool = False, lonely_psu: str = "fail"):
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
        n = len(data)
        if n == 0:
            raise DesignError("data has no rows.")
        check_option(lonely_psu, tuple(LONELY_PSU_OPTIONS), name="lonely_psu")
        data, stages, w, spec = parse_design(data, weights=weights, strata=strata, ids=ids,
                                             fpc=fpc, nest=nest)
        self._init(data=data, w=w, w_base=w, stages=stages, var_rows=np.ones(n, dtype=bool),
                   steps=(), lonely=lonely_psu, recipe=(), spec=spec, memo={}, keys={})

    # ---------------------------------------------------------- internals
    # _init, __setattr__ (immutability) and _evolve come from DesignBase (survey.design.base), via EstimatorsMixin

    def _evolve(self, **changes):
        new = super()._evolve(**changes)
        if set(changes) - {"data", "keys"}:      # the memo holds what the weights and structure decide
            object.__setattr__(new, "_memo", {})
        return new

    @property
    def _calibrated(self) -> bool:
        return len(self._steps) > 0

    def _collapse(self, arrays):
        """Atoms of interchangeable rows for an estimate reading ``arrays``
        (:mod:`survey.design.collapse`), or None: use the rows."""
        return collapse(self._memo, self._w, self._var_rows, self._stages, self._steps, arrays)

    # --------------------------------------------------------- attributes
    # data, weights and n come from DesignBase (survey.design.base), via EstimatorsMixin
    @property
    def degf(self) -> int:
        """Design degrees of freedom: first-stage clusters minus strata among
        rows with non-zero weight (R ``degf``)."""
        return int(self._domain_degf(self._w != 0))

    @property
    def lonely_psu(self) -> str:
        return self._lonely

    def __repr__(self) -> str:
        s = self._spec
        st = self._stages[0]
        parts = [f"n={self.n}", f"strata={st.n_strata if s['strata'] else 0}",
                 f"clusters={st.n_clusters}", f"stages={len(self._stages)}",
                 f"fpc={'yes' if s['fpc'] else 'no'}"]
        if self._recipe:
            parts.append("steps=" + ",".join(r[0] for r in self._recipe))
        return f"Design({', '.join(parts)})"

    # ----------------------------------------------------- weighting steps
    def subset(self, mask) -> Design:
        """Domain: rows outside ``mask`` get weight 0 but stay in the design,
        so variances keep every stratum and cluster (R ``subset``).
        Missing mask values count as False."""
        m = as_mask(self._data, mask, "subset")
        var_rows = self._var_rows if self._calibrated else (self._var_rows & m)
        new = self._evolve(w=np.where(m, self._w, 0.0), var_rows=var_rows,
                           recipe=self._recipe + (("subset", (m,), {}),))
        # equal subsets of one design (or of its with_columns copies) have the same weights and
        # structure: they share the memo of what those decide (the collapsed atoms)
        shared = self._memo.setdefault("subsets", {})
        object.__setattr__(new, "_memo", shared.setdefault(np.packbits(m).tobytes() + bytes([len(m) % 8]), {}))
        return new

    def rake(self, margins, *, tol: float = 1e-10, max_iter: int = 100) -> Design:
        """Rake the weights to population margins (R ``rake``).

        Parameters
        ----------
        margins : dict
            ``{column: pandas.Series}`` of population counts indexed by the
            column's levels; all margins must sum to the same total.  A key
            may be a tuple of columns whose counts are indexed by their
            combinations (a two-way table: a MultiIndexed Series, or a data
            frame with the columns and ``Freq``), as R
            ``rake(design, list(~stype + sch.wide, ~comp.imp), list(tab2, tab1))``.
        tol : float
            Stop when the largest relative error of any margin cell is
            below ``tol``.
        max_iter : int
            Maximum number of sweeps; :class:`~survey.errors.ConvergenceError`
            if not converged.

        Notes
        -----
        Raking is done on the table of cells (all combinations of the
        margins' levels) and expanded back.  Variances use the residuals of
        the weighted projection on the margin dummies (see
        :mod:`survey.design.calibration`).  ``diagnostics()`` reports the
        sweeps and the final margin error.
        """
        new_w, step = cal.rake(self._data, self._w[:, None], margins, tol=tol, max_iter=max_iter)
        return self._with_step(new_w[:, 0], step, ("rake", (margins,), {"tol": tol, "max_iter": max_iter}))

    def poststratify(self, by, population, *, partial: bool = False) -> Design:
        """Post-stratify to population cell counts (R ``postStratify``).

        Parameters
        ----------
        by : str or list of str
        population : pandas.Series
            Counts indexed by the levels of ``by`` (a MultiIndex for
            several columns); an R-style data frame with the ``by`` columns
            and ``Freq`` is accepted too.
        partial : bool
            Ignore population cells with no sample (R ``partial=TRUE``).
        """
        by = names(by, "poststratify: by")
        new_w, step = cal.poststratify(self._data, self._w[:, None], by, population, partial=partial)
        return self._with_step(new_w[:, 0], step, ("poststratify", (by, population), {"partial": partial}))

    def calibrate(self, population_totals, *, method: str = "linear", bounds=None,
                  tol: float = 1e-10, max_iter: int = 50, variance=None,
                  bounds_const: bool = False) -> Design:
        """Calibrate the weights to known population totals (R ``calibrate``).

        Parameters
        ----------
        population_totals : dict or pandas.Series
            Either totals of model-matrix columns -- keys ``"(Intercept)"``
            (population size), a numeric column name (its population
            total), or ``(column, level)`` (count of a level) -- or the
            same ``{column: Series of level counts}`` margins as
            :meth:`rake` (model: all levels of the first margin plus the
            other margins' levels but the first, R ``calibrate`` with a
            list of margin formulas).
        method : {"linear", "raking", "logit"}
            Calibration function (R ``calfun``).  ``"linear"`` is GREG
            (weights may become negative unless ``bounds`` are given);
            ``"raking"`` with margins equals :meth:`rake`; ``"logit"``
            needs ``bounds``.
        bounds : (lower, upper), optional
            Bounds on the ratio of new to old weights (the g-weights): two
            numbers, or per-row bounds (arrays with one value per row, or
            column names; R ``bounds = list(lower = l, upper = u)``).
        tol, max_iter :
            Newton convergence (largest ``|misfit| / (1 + |total|)``).
        variance : str or array-like, optional
            Heteroscedastic calibration (R ``variance=``): a working variance
            per row (a column name or one value per row), or one coefficient
            per calibration variable (``sigma2 = x' v``).
        bounds_const : bool
            ``bounds`` bound the calibrated weights, not their ratio to the
            old ones (R ``bounds.const=TRUE``).

        Notes
        -----
        Population margins may be tables of two or more columns:
        ``{("stype", "sch.wide"): counts indexed by both}`` (R
        ``calibrate(design, list(~stype + sch.wide, ...), ...)``).
        """
        new_w, step = greg.calibrate(self._data, self._w[:, None], population_totals,
                                    method=method, bounds=bounds, tol=tol, max_iter=max_iter,
                                    variance=variance, bounds_const=bounds_const)
        return self._with_step(new_w[:, 0], step, ("calibrate", (population_totals,),
                               {"method": method, "bounds": bounds, "tol": tol, "max_iter": max_iter,
                                "variance": variance, "bounds_const": bounds_const}))

    def _with_step(self, w, step, recipe_item) -> Design:
        return self._evolve(w=w, steps=self._steps + (step,), recipe=self._recipe + (recipe_item,))

    def trim(self, *, lower=None, upper=None, strict: bool = False) -> Design:
        """Trim weights to ``[lower, upper]`` and share the excess equally
        among the other rows (R ``trimWeights``); the total is kept.  A
        calibration done before keeps its variance adjustment (as in R)."""
        new_w = trim_weights(self._w[:, None], lower=lower, upper=upper, strict=strict)
        return self._evolve(w=new_w[:, 0], recipe=self._recipe + (
            ("trim", (), {"lower": lower, "upper": upper, "strict": strict}),))

    def with_weights(self, new_weights, *, note: str = "with_weights") -> Design:
        """Same design with other weights (no variance adjustment is added)."""
        w = np.asarray(new_weights, dtype=float).reshape(-1)
        if w.size != self.n or not np.all(np.isfinite(w)) or (w < 0).any():
            raise DesignError(f"with_weights: need {self.n} finite non-negative weights.")
        return self._evolve(w=w, recipe=self._recipe + (("with_weights", (w,), {"note": note}),))

    def replicate(self, method: str, *, replicates: int | None = None, seed=0,
                  fay_rho: float = 0.5, mse: bool = False, large: str = "split", draws=0.5):
        """Replicate-weight version of this design (R ``as.svrepdesign``).

        Parameters
        ----------
        method : {"jk1", "jkn", "bootstrap", "brr", "fay"}
            ``"jk1"``: delete-one-PSU jackknife (unstratified designs);
            ``"jkn"``: stratified jackknife; ``"brr"``/``"fay"``: balanced
            repeated replication (Fay's method with ``fay_rho``), the
            replicates of R ``as.svrepdesign(type="BRR")``: R's Hadamard
            matrix, strata in the sorted order of their labels, PSUs in
            order of appearance (see :func:`~survey.design.replicate_build.brr_factors`);
            ``"bootstrap"``: the with-replacement bootstrap of R
            (``replicates`` resamples, default 50);
            ``"rescaled_bootstrap"``: Rao & Wu's rescaled bootstrap with
            ``draws`` PSUs per stratum and replicate, whose weights stay
            positive, so a raked or post-stratified design can be replayed
            on every replicate even with a level of a few respondents (see
            :func:`~survey.design.replicate_build.rescaled_bootstrap_factors`).
        seed : int or None
            The bootstraps' random draws (numpy ``default_rng(seed)``): the
            default 0 gives the same replicates on every call, ``None``
            fresh ones (the other methods draw nothing).
        mse : bool
            Centre the variance on the full-sample estimate instead of the
            replicate mean (R ``mse=TRUE``).
        large : {"split", "merge"}
            BRR/Fay: a stratum with more than 2 PSUs is split into pairs
            (an even number; R's default) or into two half-samples (R
            ``large="merge"``).
        draws : float or int
            ``"rescaled_bootstrap"``: PSUs drawn per stratum, as a fraction
            of its PSUs (default 0.5: in a large stratum every weight keeps
            at least 29% of its value) or a number.

        Notes
        -----
        Replicates are built from the design as constructed; the weighting
        steps applied since (subset, rake, poststratify, calibrate, trim)
        are then replayed on every replicate.  Finite population
        corrections are used by jk1/jkn and both bootstraps (first stage) and
        dropped by brr/fay, as in R.
        """
        from survey.design.replicate_build import build_replicates

        base = build_replicates(self, method, replicates=replicates, seed=check_seed(seed),
                                fay_rho=fay_rho, mse=mse, large=large, draws=draws)
        out = base
        for name, args, kwargs in self._recipe:
            out = getattr(out, name)(*args, **kwargs)
        return out

    # ---------------------------------------------------------- diagnostics
    def diagnostics(self) -> pd.Series:
        """Weight diagnostics: Kish deff (1 + CV^2), effective n, weight
        spread, and for the last calibration step its kind, n_iter (iterations) and
        largest margin error after convergence."""
        info = None
        if self._steps:
            last = self._steps[-1]
            info = {"calibration": last.kind, "n_iter": last.n_iter,
                    "max_margin_error": last.max_error}
        return weight_diagnostics(self._w, raking=info)
