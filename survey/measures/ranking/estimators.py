"""Priority rankings: "choose up to k in order of importance" questions.

* :func:`topk_shares` -- weighted share of respondents putting each item
  first, in their top k, and the mean Borda score (k, k-1, ..., 1 points),
  with design-based SEs and CIs (R: ``svymean`` of the indicator columns).
* :func:`rank_logit` -- the top-k exploded (rank-ordered) logit, i.e. the
  Plackett–Luce model for incomplete rankings: ``k`` choice stages, each
  over the items not yet chosen, with item constants, item-specific effects
  of respondent covariates and shared effects of item-specific variables;
  fitted by weighted pseudo-likelihood with design-based (linearised,
  strata/PSU aware) standard errors.  R: ``survey::svycoxph`` on the
  exploded data with one stratum per choice situation; for full rankings
  and model-based SEs, ``mlogit(..., reflevel=)`` on ranked data.

References: Beggs, Cardell & Hausman (1981), J. Econometrics 17, 1-19;
Hunter (2004), Ann. Statist. 32, 384-406; Binder (1983), Int. Stat. Rev. 51,
279-292 (design-based sandwich).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.collapse import MAX_SHARE, enabled, group_rows
from survey.errors import DesignError, InputError
from survey.validation import check_design, check_option
from survey.measures.ranking import data as rd
from survey.measures.ranking.fit import ExplodedLogit, one_blas_thread
from survey.measures.ranking.result import (
    RankLogitResult,
    coefficient_table,
    parameter_index,
)

__all__ = ["RankLogitResult", "rank_logit", "topk_shares"]


_VCOV_TYPES = ("design", "model")
_CHOICE_SETS = ("all", "ranked")


_MEASURES = ("first_share", "topk_share", "borda")


def topk_shares(design, choices, *, items=None, by=None, level: float = 0.95, truncated=None) -> pd.DataFrame:
    """Share of respondents ranking each item first, in their top k, and mean Borda score.

    Parameters
    ----------
    design : survey.design.Design or ReplicateDesign
        The survey design (``survey.Design(frame)`` for an unweighted
        simple random sample).
    choices : list of str
        The rank columns in order, e.g. ``["policy_1st", "policy_2nd",
        "policy_3rd"]`` (k = their number); each holds an item label or is
        blank.
    items : list, optional
        All items in display order (items nobody chose get zero shares);
        default the sorted labels seen.
    by : str or list of str, optional
        Domain columns (e.g. ``"age"``); one block of rows per group.
    level : float
        Confidence level.
    truncated : str or array-like of bool, optional
        Rankings that stop at a tied rank (two items marked at one rank:
        intake keeps the ranks above the tie and clears the rest, ledger
        rule ``ranking_tie_truncated``; :func:`survey.intake.truncated_rankings`
        gives this flag for a question): a column name of the design data,
        or one flag per row.  Such a ranking is a partial top-k: its first
        choice counts when it was given (a tie at rank 2 or below), but it
        does not say which items complete its top k, so it is left out of
        the top-k shares and Borda scores (as a domain: the design stays
        whole).  Without the flag a shorter ranking is read as the
        respondent's whole answer (items not named are not in the top k).

    Returns
    -------
    DataFrame
        Columns ``item``, the ``by`` columns, then for each of
        ``first_share``, ``topk_share``, ``borda``: the estimate, ``_se``,
        ``_ci_low`` and ``_ci_high``.  Shares are weighted proportions of
        the respondents who answered the question (gave at least a first
        choice; for the top-k share and the Borda score, a ranking not cut
        at a tie); ``borda`` is the mean score with k points for a first
        choice, k-1 for a second, ..., 0 when not ranked.

    Notes
    -----
    Estimates and SEs are R ``svymean(~first_A + ..., subset(design,
    answered))`` (``svyby(..., svymean)`` with ``by``) of the 0/1
    indicator and Borda columns; non-answerers stay in the design as a
    domain complement.  The intervals of the two shares are proportions'
    intervals, computed by :meth:`Design.proportion <survey.design.Design.proportion>`:
    R ``svyciprop(~I(first_A == 1), subset(design, answered),
    method="logit")`` (t with the design df of the domain, or of the ``by``
    group in it), so they stay inside 0-100%; the Borda score, a mean,
    has a Wald interval (normal quantile, R ``confint``).  See
    ``tests/reference/ranking_game.R``.

    Examples
    --------
    問10 on the bundled wave (:func:`survey.examples.bundled_wave`; ``wave`` in R:
    ``tests/reference/bundled_wave.R``): the first three of the twelve policies

    >>> import survey
    >>> from survey.examples import bundled_wave
    >>> wave, q = bundled_wave()
    >>> shares = survey.topk_shares(wave, q["policy"].columns)
    >>> shares[["item", "first_share", "topk_share", "borda"]].head(3).round(4)
    ...     # R: svyciprop(~I(policy_1 == 1), subset(wave, !is.na(policy_1)), method="logit")
       item  first_share  topk_share   borda
    0     1       0.1990      0.5065  1.0778
    1     2       0.1611      0.4547  0.9426
    2     3       0.1148      0.3314  0.6744
    """
    design = check_design(design, what="topk_shares")
    C, items = rd.parse_choices(design.data, choices, items)
    k = C.shape[1]
    cut = _truncated(design.data, truncated)
    first_known = C[:, 0] >= 0
    complete = first_known & ~cut
    if not first_known.any():
        raise InputError(f"Nobody answered the ranking (columns {list(choices)}).")
    points = (k - np.arange(k)).astype(float)
    first, topk, borda = {}, {}, {}
    for j in range(len(items)):
        at = C == j
        first[f"__topk_shares_first_share_{j}"] = np.where(first_known, at[:, 0] * 1.0, np.nan)
        topk[f"__topk_shares_topk_share_{j}"] = np.where(complete, at.any(axis=1) * 1.0, np.nan)
        borda[f"__topk_shares_borda_{j}"] = np.where(complete, at.astype(float) @ points, np.nan)
    extended = design.with_columns(**first, **topk, **borda)
    parts = [_share_frame(extended, first, first_known, "first_share", by, level),
             _share_frame(extended, topk, complete, "topk_share", by, level),
             _borda_frame(extended, borda, complete, by, level)]
    present = [part for part in parts if part is not None]
    keys = [c for c in present[0].columns if not c.startswith(_MEASURES)]
    out = pd.concat([part[keys] for part in present]).drop_duplicates()
    for part in present:
        out = out.merge(part, on=keys, how="left")
    for measure in _MEASURES:
        for c in _measure_columns(measure):
            if c not in out.columns:
                out[c] = np.nan
    by_names = [c for c in keys if c != "item_pos"]
    out = out.sort_values(by_names + ["item_pos"], kind="stable")
    out.insert(0, "item", [items[j] for j in out.pop("item_pos")])
    return out[["item", *by_names, *(c for m in _MEASURES for c in _measure_columns(m))]].reset_index(drop=True)


def _measure_columns(measure: str) -> list[str]:
    return [measure, f"{measure}_se", f"{measure}_ci_low", f"{measure}_ci_high"]


def _renamed(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    return frame.rename(columns={"estimate": measure, "se": f"{measure}_se", "ci_low": f"{measure}_ci_low",
                                 "ci_high": f"{measure}_ci_high"})


def _borda_frame(design, columns: dict, domain: np.ndarray, by, level):
    """Mean Borda points over ``domain`` (Wald intervals, R ``confint(svymean)``); None when it is empty."""
    if not domain.any():
        return None
    est = design.subset(domain).mean(list(columns), by=by, level=level).to_frame().reset_index()
    est["item_pos"] = [list(columns).index(v) for v in est.pop("variable")]
    names = [c for c in est.columns if c not in ("item_pos", "estimate", "se", "ci_low", "ci_high", "deff", "n")]
    return _renamed(est[names + ["item_pos", "estimate", "se", "ci_low", "ci_high"]], "borda")


def _truncated(data: pd.DataFrame, truncated) -> np.ndarray:
    """The ``truncated=`` flags as one bool per row."""
    if truncated is None:
        return np.zeros(len(data), dtype=bool)
    if isinstance(truncated, str):
        rd._require_columns(data, [truncated], "Truncation flag")
        flags = data[truncated]
    elif isinstance(truncated, pd.Series) and truncated.index.equals(data.index):
        flags = truncated
    else:
        flags = pd.Series(np.asarray(truncated, dtype=object))
        if len(flags) != len(data):
            raise InputError(f"truncated= has {len(flags)} flags for {len(data)} rows; give one flag per row "
                             "(or a column name)")
    if flags.dtype == bool:           # Dataset.truncated_rankings: already one bool per row
        return flags.to_numpy(dtype=bool)
    values = flags.to_numpy(dtype=object)
    bad = [v for v in values if v is not None and not (isinstance(v, (bool, np.bool_)) or v in (0, 1))]
    if bad:
        raise InputError(f"truncated= must hold True/False flags; got {bad[0]!r}")
    return np.array([bool(v) if v is not None and v == v else False for v in values], dtype=bool)


def _share_frame(design, columns: dict, domain: np.ndarray, measure: str, by, level):
    """Each 0/1 column's share over ``domain``, with the logit interval of
    :meth:`Design.proportion` (R ``svyciprop(~I(x == 1), subset(design, domain),
    method="logit")``); None when the domain is empty."""
    if not domain.any():
        return None
    # every item in one pass (Design.proportion of several columns); per item as before
    every = design.subset(domain).proportion(list(columns), by=by, level=level).to_frame().reset_index()
    frames = []
    for j, col in enumerate(columns):
        est = every[every["variable"] == col].drop(columns="variable").rename(columns={"level": col})
        names = [c for c in est.columns if c not in (col, "estimate", "se", "ci_low", "ci_high", "deff", "n")]
        ones = est.loc[est[col] == 1.0, names + ["estimate", "se", "ci_low", "ci_high"]]
        # an item nobody in the domain chose has no level 1: its share is 0 (0〜0)
        groups = est[names].drop_duplicates() if names else pd.DataFrame(index=[0])
        ones = groups.merge(ones, on=names, how="left") if names else (
            ones if len(ones) else pd.DataFrame({"estimate": [0.0], "se": [0.0], "ci_low": [0.0], "ci_high": [0.0]}))
        ones = ones.fillna({"estimate": 0.0, "se": 0.0, "ci_low": 0.0, "ci_high": 0.0})
        ones["item_pos"] = j
        frames.append(ones[names + ["item_pos", "estimate", "se", "ci_low", "ci_high"]])
    return _renamed(pd.concat(frames, ignore_index=True), measure)


def _check_estimable(problem: ExplodedLogit, items, specs, cov_data) -> None:
    """Items (overall and within each categorical covariate level) must be
    chosen at least once and passed over at least once, or their
    coefficients are infinite."""
    wins, losses = problem.wins_losses()
    groups = [("all respondents", np.ones(problem.G, dtype=bool))]
    for spec in specs:
        if spec.kind == "categorical":
            vals = cov_data[spec.name].iloc[problem.group_first].to_numpy()
            groups += [(f"{spec.name} = {lev!r}", vals == lev) for lev in spec.levels]
    for label, mask in groups:
        never = [items[j] for j in np.flatnonzero(~(wins[mask] > 0).any(axis=0))]
        if never:
            raise InputError(
                f"Item(s) {never[:10]} were never chosen by {label} (among respondents with "
                "positive weight); their estimated preference would be minus infinity. Drop "
                "them from `items`, merge them with similar items"
                + (", or merge sparse levels of the covariate." if label != "all respondents"
                   else "."))
        always = [items[j] for j in np.flatnonzero(~(losses[mask] > 0).any(axis=0))]
        if always:
            raise InputError(
                f"Item(s) {always[:10]} were chosen first by {label} whenever available, so "
                "their estimated preference would be infinite; merge sparse levels or items.")


def rank_logit(design, choices, *, items=None, covariates=(), categorical=(),
               item_covariates=None, reference=None, choice_set: str = "all",
               vcov_type: str = "design",
               tol: float = 1e-10, max_iter: int = 100) -> RankLogitResult:
    """Top-k exploded (rank-ordered) logit with design-based standard errors.

    Each answer ``(1st, 2nd, ..., kth)`` is ``k`` successive choices, stage
    ``s`` over the items not chosen before (Plackett–Luce for incomplete
    rankings).  Item ``j`` has utility ``alpha_j + x_i beta_j + z_ij gamma``
    for respondent ``i``; the reference item has ``alpha = beta = 0``.
    Respondents who gave fewer than ``k`` choices use the stages they have;
    those who gave none, or lack a covariate value (as R's ``na.action``),
    stay in the design with a zero score (domain estimation).

    Parameters
    ----------
    design : survey.design.Design or ReplicateDesign
        The survey design (``survey.Design(frame)`` for an unweighted
        simple random sample).
    choices : list of str
        The rank columns in order, e.g. ``["policy_1st", "policy_2nd",
        "policy_3rd"]``; each holds the label of the item put at that rank,
        blank (NaN / "") when not given.
    items : list, optional
        All items, in display order; default the sorted labels seen.
    covariates : sequence of str, keyword-only
        Respondent columns; numeric ones enter linearly, others (object,
        category, bool) as dummies against their first level, giving terms
        ``"column[level]"``.  Each has its own coefficient per item.
    categorical : sequence of str, keyword-only
        Covariates to code as dummies even though they are numeric (answer
        codes such as ``age_band`` stored as 1.0, 2.0, ...); levels sorted,
        the first is the reference.
    item_covariates : dict, optional
        ``{name: {item: column}}`` for variables that differ by item within a
        respondent (e.g. owning the platform); one shared coefficient each.
    reference : optional
        Reference item (no rows in the table), default ``items[0]``.
    choice_set : {"all", "ranked"}
        ``"all"``: every stage chooses among all items not yet chosen (survey
        questions).  ``"ranked"``: each row is a complete ranking of the
        items it names (e.g. race results), so the choice set is those items.
    vcov_type : {"design", "model"}
        ``"design"`` (default): sandwich ``H^-1 V H^-1`` with ``V`` the
        design covariance of the weighted per-respondent scores (as
        ``svycoxph``), or replicate refits for replicate-weight designs.
        ``"model"``: inverse information of the fit with the weights divided
        by their mean over the respondents in the fit (so they add up to
        ``n``), as ``mlogit(..., weights=)`` does; ``.loglik`` is on that
        scale too.  Survey weights that add up to the population would
        otherwise read as that many independent rankings.  Unweighted, it is
        ``coxph``'s model-based variance.
    tol, max_iter : Newton–Raphson tolerance on the relative step and cap.

    Returns
    -------
    RankLogitResult
        ``.table`` (``item, term, estimate, se, z, p``), ``.params``,
        ``.vcov``, ``.loglik``, ``.predict()``, ``.wald_test()``,
        ``.summary()``.

    Notes
    -----
    Same numbers as R ``survey::svycoxph(Surv(time, status) ~ terms +
    strata(situation), design)`` on the exploded data (one row per
    respondent x stage x available item, ``status`` = chosen, PSUs =
    respondents' PSUs); see ``tests/reference/ranking_game.R``.

    Examples
    --------
    Does the ranking of the twelve policies (問10, top 3) change with age?  The bundled
    wave (:func:`survey.examples.bundled_wave`), age band 1 (18-29) to 6 (70+) as a
    number; item 1 is the reference:

    >>> import survey
    >>> from survey.examples import bundled_wave
    >>> wave, q = bundled_wave()
    >>> fit = survey.rank_logit(wave, q["policy"].columns, covariates=["age_band"])
    >>> fit.table.head(2).round(4)
    ...     # R: coxph(Surv(time, status) ~ d_2 + a_2 + ... + strata(situation), exploded, weights=w);
    ...     # SEs: svytotal of the influences on wave (tests/reference/bundled_wave.R)
       item         term  estimate      se       z       p
    0     2  (intercept)    0.2356  0.1521  1.5486  0.1215
    1     2     age_band   -0.1160  0.0363 -3.1964  0.0014
    >>> test = fit.wald_test("age_band")         # the 11 age slopes jointly: F on (11, 1330)
    >>> round(test.statistic, 2), test.ndf, test.ddf
    (4.94, 11.0, 1330.0)
    """
    check_option(vcov_type, _VCOV_TYPES, name="vcov_type")
    check_option(choice_set, _CHOICE_SETS, name="choice_set")
    design = check_design(design, what="rank_logit")
    data = design.data
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    clash = set(covariates) & set([choices] if isinstance(choices, str) else choices)
    if clash:
        raise InputError(f"Column(s) {sorted(clash)} are both rank columns and covariates.")
    C_all, items = rd.parse_choices(data, choices, items)
    m, K = len(items), C_all.shape[1]
    if reference is None:
        reference = items[0]
    if reference not in items:
        raise InputError(f"reference={reference!r} is not one of the items {items}.")
    ref = items.index(reference)
    w_all = np.asarray(design.weights, dtype=float)
    # respondents outside a domain (weight 0) stay in the design with a zero score
    answered = (C_all[:, 0] >= 0) & (w_all > 0)
    if not answered.any():
        raise InputError(f"Nobody with a positive weight answered the ranking (columns "
                         f"{list(choices)}).")
    rd._require_columns(data, covariates, "Covariate")
    # like R svyglm's na.action: a respondent with a missing covariate leaves the
    # fit but stays in the design as part of the domain complement (zero score)
    for c in covariates:
        answered &= data[c].notna().to_numpy()
    if not answered.any():
        raise InputError(f"No respondent answered the ranking with every covariate {list(covariates)} present.")
    sub = data if answered.all() else data.loc[answered]
    categorical = [categorical] if isinstance(categorical, str) else list(categorical)
    stray = [c for c in categorical if c not in covariates]
    if stray:
        raise InputError(f"categorical={stray} are not among the covariates {covariates}.")
    specs = tuple(rd.covariate_spec(sub[c], c, categorical=c in categorical)
                  for c in covariates)
    X = rd.covariate_matrix(sub, specs)
    Z, zn = rd.item_covariate_array(sub, item_covariates, items)
    C, w = C_all[answered], w_all[answered]
    if choice_set == "all":
        A = np.ones((len(C), m), dtype=bool)
    else:
        A = np.zeros((len(C), m), dtype=bool)
        r, s = np.nonzero(C >= 0)
        A[r, C[r, s]] = True
    problem = ExplodedLogit(X, Z, C, A, w, ref)
    _check_estimable(problem, items, specs, sub)
    index = parameter_index(items, reference, specs, zn)
    terms = index.get_level_values("term")[: X.shape[1]]
    if np.linalg.matrix_rank(problem.Xg) < X.shape[1]:
        raise DesignError(f"The covariate terms {list(terms)} are collinear (the model matrix "
                          "is singular), e.g. a covariate that is constant or a copy of "
                          "another; remove the redundant terms.")
    p = len(index)
    with one_blas_thread():  # small dense algebra: BLAS threads only add contention
        fit = problem.fit(tol=tol, max_iter=max_iter)
        info_inv = np.linalg.inv(fit.info)
        loglik = fit.loglik
        if vcov_type == "model":
            # mlogit(weights=) normalises the weights to mean 1: the information of
            # the rescaled fit is (n / sum w) times that of the raw-weight fit
            scale = w.sum() / w.size
            vcov, ddf, kind = info_inv * scale, np.inf, "model"
            loglik = fit.loglik / scale
        else:   # the design's variance service: sandwich, or refits on replicate weights
            refit = lambda wr: problem.reweighted(wr).fit(start=fit.params, tol=tol, max_iter=max_iter).params  # noqa: E731
            in_fit = answered if not answered.all() else None
            # respondents with the same covariates and answers have the same score per unit weight
            pat = None if design.is_replicate or not enabled() else group_rows(
                [problem.gid, *C.T, *(A.T if choice_set == "ranked" else ())], len(C), limit=int(MAX_SHARE * len(C)))
            if pat is not None:
                vcov = design.model_vcov(fit.params, scores=problem.scores(fit.params, rows=pat.rep),
                                         bread=info_inv, rows=in_fit, pattern=pat.row, refit=refit)
            else:
                vcov = design.model_vcov(fit.params, scores=lambda: problem.scores(fit.params, weights=w),
                                         bread=info_inv, rows=in_fit, refit=refit)
            ddf, kind = float(design.degf) - p + 1, "replicate" if design.is_replicate else "design"
    vcov = (vcov + vcov.T) / 2.0
    se = np.sqrt(np.diag(vcov))
    return RankLogitResult(
        table=coefficient_table(fit.params, se, index),
        params=pd.Series(fit.params, index=index, name="estimate"),
        vcov=pd.DataFrame(vcov, index=index, columns=index),
        loglik=loglik, converged=fit.converged, n_iter=fit.n_iter,
        items=items, reference=reference, k=K, n=int(answered.sum()),
        vcov_type=kind, ddf=ddf, _specs=specs,
        _item_cov={name: dict(item_covariates[name]) for name in zn},
        _X=X, _Z=Z, _w=w, _cov_data=sub[covariates].reset_index(drop=True))
