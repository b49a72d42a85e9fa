"""Result objects of :func:`survey.measures.ranking.estimators.rank_logit`."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.design.distributions import norm_sf
from survey.design.results import ResultMixin, Summary
from survey.design.wald import WaldTest, wald_test
from survey.errors import DesignError, InputError
from survey.measures.ranking import predict as rp
from survey.measures.ranking.data import INTERCEPT, CovariateSpec, covariate_matrix
from survey.measures.ranking.fit import group_rows
from survey.measures.wording import wording

__all__ = ["RankLogitResult"]


@dataclass(frozen=True, eq=False)
class RankLogitResult(ResultMixin):
    """Fitted exploded (rank-ordered) logit; see :func:`survey.rank_logit`.

    Attributes
    ----------
    table : DataFrame
        Columns ``item, term, estimate, se, z, p``; ``term`` is
        ``"(intercept)"`` for the item constant, the covariate name for a
        numeric covariate, ``"column[level]"`` for a categorical one; item
        covariates have ``item == ""``.  The reference item has no rows.
    params : Series
        Estimates indexed by ``(item, term)``.
    vcov : DataFrame
        Their covariance (design-based sandwich by default).
    loglik : float
        Weighted pseudo-log-likelihood at the estimate (with
        ``vcov_type="model"``: with the weights normalised to mean 1, as
        ``mlogit``).
    converged : bool
    n_iter : int
    items, reference, k, n :
        Item order, reference item, number of rank columns, respondents
        with at least one choice.
    vcov_type : str
        ``"design"``, ``"replicate"`` or ``"model"``.
    ddf : float
        Denominator degrees of freedom for Wald F tests (design degrees of
        freedom minus the number of coefficients plus one, as R's
        ``svycoxph``; ``inf`` for model-based variances).

    With the other results (:class:`~survey.design.results.ResultMixin`):
    ``estimate`` (alias of ``params``), ``se``, ``conf_int(level)`` (normal,
    as ``table``'s z), ``to_frame()`` with the fixed columns (indexed by
    ``(item, term)``), :meth:`wald_test` and :meth:`summary`.
    """

    table: pd.DataFrame
    params: pd.Series
    vcov: pd.DataFrame
    loglik: float
    converged: bool
    n_iter: int
    items: list
    reference: object
    k: int
    n: int
    vcov_type: str
    ddf: float
    _specs: tuple = field(repr=False, default=())
    _item_cov: dict = field(repr=False, default_factory=dict)
    _X: np.ndarray = field(repr=False, default=None)
    _Z: np.ndarray = field(repr=False, default=None)
    _w: np.ndarray = field(repr=False, default=None)
    _cov_data: pd.DataFrame = field(repr=False, default=None)

    # ------------------------------------------------ the shared result base
    @property
    def estimate(self) -> pd.Series:
        """The coefficients (alias of ``params``)."""
        return self.params

    def _wald_df(self):
        return self.ddf

    def _title(self) -> str:
        return f"Exploded logit: {self.k} ranked of {len(self.items)} items, n = {self.n} ({self.vcov_type})"

    # ------------------------------------------------------------------
    @property
    def covariates(self) -> list[str]:
        return [s.name for s in self._specs]

    def _design_arrays(self, newdata: pd.DataFrame):
        X = covariate_matrix(newdata, self._specs)
        r = len(self._item_cov)
        Z = np.zeros((len(newdata), len(self.items), r))
        for c, (name, mapping) in enumerate(self._item_cov.items()):
            for j, it in enumerate(self.items):
                col = mapping[it]
                if col not in newdata.columns:
                    raise InputError(f"newdata needs the item covariate column {col!r} "
                                     f"({name} of item {it!r}).", column=col)
                Z[:, j, c] = newdata[col].to_numpy(dtype=float)
        return X, Z

    def _utilities(self, X, Z):
        """Utilities (N, m) and their Jacobian in the parameters (N, m, p)."""
        m, q1, p = len(self.items), X.shape[1], len(self.params)
        nb = (m - 1) * q1
        ref = self.items.index(self.reference)
        nonref = [j for j in range(m) if j != ref]
        J = np.zeros((len(X), m, p))
        for b, j in enumerate(nonref):
            J[:, j, b * q1:(b + 1) * q1] = X
        J[:, :, nb:] = Z
        V = J @ self.params.to_numpy()
        return V, J

    def default_cells(self) -> pd.DataFrame:
        """Every combination of categorical covariate levels; numeric covariates
        and item covariates at their weighted mean among the fitted respondents."""
        grids = [list(s.levels) for s in self._specs if s.kind == "categorical"]
        cat_names = [s.name for s in self._specs if s.kind == "categorical"]
        rows = list(itertools.product(*grids)) if grids else [()]
        cells = pd.DataFrame(rows, columns=cat_names) if cat_names else pd.DataFrame(index=[0])
        w = self._w / self._w.sum()
        for s in self._specs:
            if s.kind == "numeric":
                cells[s.name] = float(w @ self._cov_data[s.name].to_numpy(dtype=float))
        for c, mapping in enumerate(self._item_cov.values()):
            for j, it in enumerate(self.items):
                cells[mapping[it]] = float(w @ self._Z[:, j, c])
        for s in self._specs:  # keep the fitted categories' order
            if s.kind == "categorical":
                cells[s.name] = pd.Categorical(cells[s.name], categories=list(s.levels))
        return cells.reset_index(drop=True)

    def predict(self, newdata: pd.DataFrame | None = None, *, k: int | None = None,
                level: float = 0.95) -> pd.DataFrame:
        """Predicted first-choice and top-k inclusion probabilities with CIs.

        Parameters
        ----------
        newdata : DataFrame, optional
            Covariate values (one row per profile, e.g. age x district cell);
            default :meth:`default_cells`.
        k : int, optional
            Depth of the inclusion probability, default the number of rank
            columns fitted.
        level : float
            Confidence level.  Intervals are Wald intervals on the logit
            scale (delta method), mapped back into (0, 1).

        Every item is taken to be available (for a ``choice_set="ranked"``
        fit these are the probabilities in a contest of all items).

        Returns
        -------
        DataFrame
            One row per profile and item: the profile's covariate columns,
            ``item, first_prob, first_prob_se, first_prob_ci_low,
            first_prob_ci_high, topk_prob, topk_prob_se, topk_prob_ci_low,
            topk_prob_ci_high``.
        """
        cells = self.default_cells() if newdata is None else newdata
        if not isinstance(cells, pd.DataFrame):
            raise InputError(f"newdata must be a DataFrame, received {type(cells).__name__}.")
        k = self.k if k is None else int(k)
        if not 1 <= k <= len(self.items):
            raise InputError(f"k must be between 1 and {len(self.items)}, received {k}.")
        X, Z = self._design_arrays(cells)
        V, J = self._utilities(X, Z)
        first, d_first, topk, d_topk = rp.with_gradients(V, k)
        vc = self.vcov.to_numpy()
        out = {}
        for name, prob, dprob in (("first_prob", first, d_first), ("topk_prob", topk, d_topk)):
            se = rp.delta_se(dprob, J, vc)
            lo, hi = rp.logit_ci(prob, se, level)
            out[name], out[name + "_se"] = prob.ravel(), se.ravel()
            out[name + "_ci_low"], out[name + "_ci_high"] = lo.ravel(), hi.ravel()
        m = len(self.items)
        keep = [c for c in cells.columns if c in self.covariates or
                any(c in mp.values() for mp in self._item_cov.values())]
        frame = cells[keep].loc[cells.index.repeat(m)].reset_index(drop=True)
        frame.insert(len(keep), "item", np.tile(np.array(self.items, dtype=object), len(cells)))
        for key, val in out.items():
            frame[key] = val
        frame.attrs["k"] = k
        return frame

    # ------------------------------------------------------------------
    def _select(self, term) -> np.ndarray:
        terms = self.params.index.get_level_values("term")
        if isinstance(term, tuple) and term in self.params.index:     # one (item, term) coefficient
            return np.asarray(self.params.index == term)
        if isinstance(term, (list, tuple)):
            sel = np.isin(terms, list(term))
        else:
            term = str(term)
            sel = (terms == term) | terms.str.startswith(term + "[")
            if not sel.any():
                sel = terms.str.startswith(term)
        if not np.any(sel):
            raise DesignError(f"No coefficient matches {term!r}; terms are "
                              f"{sorted(set(terms))}.")
        return np.asarray(sel)

    @property
    def df_resid(self) -> float:
        """Denominator df of Wald F tests (read by :func:`survey.wald_test`)."""
        return self.ddf

    def wald_test(self, term=None, *, null=None) -> WaldTest:
        """Joint Wald test that every coefficient of ``term`` (all items) is zero.

        ``term`` is a covariate name (``"age"`` tests all ``age[...]`` terms
        of every item: does the ranking differ by age?), a term prefix, a
        list of exact term names, one ``(item, term)`` coefficient, or None
        (every coefficient); ``null`` the values tested (default 0).  Returns :class:`survey.design.wald.WaldTest`:
        ``statistic`` is ``F = chisq / ndf`` on ``(ndf, ddf)`` degrees of
        freedom for design-based variances (``ddf`` as :attr:`ddf`), the
        chi-square for model-based ones.  R: ``b' V^-1 b`` of the terms of
        a ``svycoxph`` fit, as ``regTermTest`` computes it.
        """
        sel = np.ones(len(self.params), dtype=bool) if term is None else self._select(term)
        names = [f"{it}:{t}" if it != "" else t for it, t in self.params.index[sel]]
        b = pd.Series(self.params.to_numpy()[sel], index=names)
        V = self.vcov.to_numpy()[np.ix_(sel, sel)]
        return wald_test(b, V, null=null, df=self.ddf)

    # ------------------------------------------------------------------
    def _average(self, by, k):
        """Weighted mean over the fitted respondents of their predicted
        probabilities (first choice if ``k`` is None, else top-k inclusion),
        computed once per distinct covariate row."""
        first, groups = group_rows(np.hstack([self._X, self._Z.reshape(len(self._X), -1)]))
        V, _ = self._utilities(self._X[first], self._Z[first])
        P = rp.first_choice(V) if k is None else rp.topk_inclusion(V, int(k))
        if by is None:
            keys, levels = np.zeros(len(first), dtype=int), ["all"]
        else:
            spec = {s.name: s for s in self._specs}.get(by)
            if spec is None or spec.kind != "categorical":
                raise InputError(f"by={by!r} is not a categorical covariate of the model "
                                 f"({self.covariates}).")
            levels = list(spec.levels)
            keys = pd.Index(levels).get_indexer(self._cov_data[by].iloc[first].to_numpy())
        wg = np.bincount(groups, weights=self._w, minlength=len(first))
        rows = [wg[keys == g] @ P[keys == g] / wg[keys == g].sum() for g in range(len(levels))]
        return pd.DataFrame(rows, index=pd.Index(levels, name=by),
                            columns=pd.Index(self.items, name="item"))

    def average_first_choice(self, by: str | None = None) -> pd.DataFrame:
        """Weighted average over the fitted respondents of their predicted
        first-choice probabilities: one row (``"all"``), or one row per level
        of the categorical covariate ``by`` (in level order); one column per item."""
        return self._average(by, None)

    def average_topk(self, by: str | None = None, *, k: int | None = None) -> pd.DataFrame:
        """As :meth:`average_first_choice` for the probability of being among
        the first ``k`` choices (default the fitted depth)."""
        return self._average(by, self.k if k is None else k)

    def summary(self, level: float = 0.95, *, lang: str = "en", labels: dict | None = None,
                names: dict | None = None) -> Summary:
        """A few plain sentences for planners: a :class:`~survey.design.results.Summary`
        whose text is the sentences and whose ``.table`` (shown under them as HTML in a
        notebook) the coefficients with their intervals at ``level``.

        Parameters
        ----------
        level : float
        lang : {"en", "ja"}
        labels : dict, optional
            Display names of the items (e.g. questionnaire code -> label).
        names : dict, optional
            Display names of the covariates (e.g. ``{"age_band": "年齢"}``).
        """
        if lang not in ("en", "ja"):
            raise InputError(f"lang must be 'en' or 'ja', received {lang!r}.")
        labels, names = labels or {}, names or {}

        def lab(item):
            return str(labels.get(item, item))

        avg = self.average_first_choice().iloc[0].sort_values(ascending=False)
        top = [f"{lab(it)} ({p:.0%})" for it, p in avg.iloc[:3].items()]
        if lang == "en":
            lines = [(f"Exploded logit of {self.k} ranked choice(s) over {len(self.items)} items, "
                      f"{self.n} respondents ({self.vcov_type}-based standard errors)."),
                     "Most likely first choices: " + ", ".join(top) + "."]
        else:
            lines = [wording("ranking.analysed", items=len(self.items), depth=self.k, n=self.n),
                     wording("ranking.first_choices", top="、".join(top))]
        for s in self._specs:
            name = str(names.get(s.name, s.name))
            test = self.wald_test(s.name)
            differs = test.p < 0.05
            stat = "F" if np.isfinite(test.ddf) else "chi-square"
            if lang == "en":
                verdict = ("The ranking differs by" if differs
                           else "No clear evidence that the ranking differs by")
                lines.append(f"{verdict} {name} ({stat} = {test.statistic:.2f}, "
                             f"p = {test.p:.3g}).")
            else:
                lines.append(wording("ranking.differs" if differs else "ranking.no_difference", name=name, p=test.p))
            if s.kind == "categorical":
                by = self.average_first_choice(by=s.name)
                tops = [f"{lev}: {lab(row.idxmax())} ({row.max():.0%})"
                        for lev, row in by.iterrows()]
                topk = self.average_topk(by=s.name)
                item = (topk.max(axis=0) - topk.min(axis=0)).idxmax()
                lo, hi = topk[item].idxmin(), topk[item].idxmax()
                a, b = topk.loc[lo, item], topk.loc[hi, item]
                if lang == "en":
                    lines.append(f"Most likely first choice by {name}: " + "; ".join(tops) + ".")
                    lines.append(f"Largest difference by {name}: {lab(item)}, in the top {self.k} "
                                 f"of {a:.0%} ({lo}) to {b:.0%} ({hi}).")
                else:
                    lines.append(wording("ranking.first_by", name=name, tops="、".join(tops)))
                    lines.append(wording("ranking.largest", name=name, item=lab(item), depth=self.k, low=lo,
                                         low_share=a, high=hi, high_share=b))
        table = ResultMixin.summary(self, level).table
        return Summary(self._title(), table, lines, text="\n".join(lines))


def coefficient_table(params: np.ndarray, se: np.ndarray, index: pd.MultiIndex) -> pd.DataFrame:
    z = params / se
    return pd.DataFrame({
        "item": index.get_level_values("item"),
        "term": index.get_level_values("term"),
        "estimate": params, "se": se, "z": z,
        "p": 2.0 * norm_sf(np.abs(z)),
    })


def parameter_index(items, reference, specs: tuple[CovariateSpec, ...], item_cov_names) -> pd.MultiIndex:
    terms = [INTERCEPT] + [t for s in specs for t in s.terms]
    pairs = [(it, t) for it in items if it != reference for t in terms]
    pairs += [("", name) for name in item_cov_names]
    return pd.MultiIndex.from_tuples(pairs, names=["item", "term"])
