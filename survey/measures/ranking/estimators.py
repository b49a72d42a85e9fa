"""Priority rankings: "choose up to k in order of importance" questions.

* :func:`topk_shares` -- weighted share of respondents putting each item
  first, in their top k, and the mean Borda score (k, k-1, ..., 1 points),
  with design-based SEs and CIs (R: ``svymean`` of the indicator columns);
  defined in :mod:`survey.measures.ranking.shares`, re-exported here.
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
from survey.measures.ranking.shares import topk_shares

__all__ = ["RankLogitResult", "rank_logit", "topk_shares"]


_VCOV_TYPES = ("design", "model")
_CHOICE_SETS = ("all", "ranked")


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
    # the rows of the fit, of the columns it reads only (all 47 of the wave: 0.3 GB at 1,000,000 rows)
    read = list(covariates)
    for mapping in (item_covariates.values() if isinstance(item_covariates, dict) else ()):
        read += list(mapping.values()) if isinstance(mapping, dict) else []
    sub = data if answered.all() else data[[c for c in data.columns if c in read]].loc[answered]
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
