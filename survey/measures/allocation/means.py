"""The ¥1,000 allocation question: design-based means, shares, ranks and tests.

Respondents split a fixed budget (``total``, ¥1,000) across parts (the ten
functions of green).  The headline statistics are arithmetic: the weighted
mean yen per part, the share giving ¥0 (an *essential* zero: "nothing for
this"), the share giving at least a threshold, the mean share of the budget.
Every estimator is a ratio mean linearised over the full design, as R
``svymean``/``svyby`` do, so domains (``by`` groups and rows left out by the
total policy) keep the full design's variance.

Rows whose parts do not add up to ``total`` follow a policy
(:mod:`survey.measures.allocation.policy`: reject, rescale or flag; rows with
any part missing are always left out).  The counts are attached to every
result table as ``table.attrs["total_policy"]``.

The estimators' defaults (``total=1000, policy="reject", tolerance=0``) are
for data without a questionnaire; a wave's analyses pass the question's own
``total``, ``total_policy`` and ``tolerance``
(:func:`~survey.measures.allocation.policy.allocation_policy`), so that they keep exactly the answers the intake kept (a wave whose questionnaire
says ``flag`` is not analysed as ``reject``; a 100-point question is not
measured against ¥1,000).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.design.distributions import norm_ppf, norm_sf
from survey.design.estimate import COLUMNS as RESULT_COLUMNS
from survey.design.wald import WaldTest, wald_test
from survey.errors import InputError, OptionError
from survey.measures.allocation.policy import resolve_policy
from survey.measures.derive import require_answers
from survey.validation import check_by, check_design, check_level, check_option, check_seed

__all__ = [
    "allocation_means",
    "allocation_zero_shares",
    "allocation_threshold_shares",
    "allocation_mean_shares",
    "allocation_top_k",
    "allocation_group_test",
    "MeanVectorComparison",
]



# ------------------------------------------------------- derived parts, asked of the design
def _prepare(design, columns, total, policy, tolerance, what="allocation_means"):
    """Apply the total policy on a design's domain and restrict the design to the rows kept.

    Returns ``(design, frame, y, keep, counts)``; the design is
    ``design.subset(keep)`` when rows are left out, so variances and degrees
    of freedom are those of R ``subset(design, valid)``.
    """
    design = check_design(design, what=what)
    frame = design.data
    active = np.asarray(design.weights, dtype=float) > 0
    y, keep, counts = resolve_policy(frame, columns, total, policy, tolerance, active)
    if not keep.any():
        raise InputError(f"no respondent has a usable allocation under policy={policy!r} "
                         f"(counts: {counts}); check the columns and the total")
    if not np.array_equal(keep, active):
        design = design.subset(keep)
    return design, frame, y, keep, counts


def part_means(design, values, names, by=None, *, level=0.95, what="allocation_means"):
    """``Design.mean`` of derived columns ``values`` (n, p), named ``names``, by group:
    R ``svyby(~v1 + ... + vp, ~by, design, svymean, covmat=TRUE)``.  Rows to leave
    out hold NaN (the design keeps them: domain estimation)."""
    est = design._adopt_columns({name: values[:, j] for j, name in enumerate(names)}).mean(
        list(names), by=by, level=level)
    return require_answers(est, what)


def group_blocks(est, p):
    """``(keys, means (G, p), vcov (G p, G p), n (G,))`` of a group-major :func:`part_means`."""
    index = est.estimate.index
    if index.nlevels == 1:
        keys = [()]
    else:
        keys = [k if isinstance(k, tuple) else (k,) for k in index.droplevel(-1)[::p]]
    vcov = est.vcov.to_numpy()
    return (keys, est.estimate.to_numpy().reshape(len(keys), p), (vcov + vcov.T) / 2,
            est.n.to_numpy()[::p].astype(int))


def long_table(est, by=None) -> pd.DataFrame:
    """``[by...], part, estimate, se, ci_low, ci_high, deff, n`` of a :func:`part_means` estimate."""
    frame = est.to_frame().reset_index().rename(columns={"variable": "part"})
    names = list(est.estimate.index.names[:-1])
    return frame[[*names, "part", *RESULT_COLUMNS]]


def _estimate(design, columns, by, level, total, policy, tolerance, transform, what):
    level = check_level(level)
    design, frame, y, keep, counts = _prepare(design, columns, total, policy, tolerance, what)
    values = np.where(keep[:, None], transform(np.nan_to_num(y), total), np.nan)
    table = long_table(part_means(design, values, list(columns), by, level=level, what=what), by)
    table.attrs["total_policy"] = counts
    return table


def allocation_means(design, columns, *, by=None, level=0.95, total=1000, policy="reject",
                     tolerance=0):
    """Weighted mean yen per part with design-based SE and normal CI.

    Parameters
    ----------
    design : survey.design.Design
    columns : sequence of str
        The parts (yen).
    by : str or list of str, optional, keyword-only
        Grouping columns (domains).
    level : float, keyword-only
        Confidence level.
    total, policy, tolerance : keyword-only
        The budget and the policy for rows off it (:func:`~survey.measures.allocation.policy.apply_total_policy`).

    Returns
    -------
    pandas.DataFrame
        Long table ``[by...], part, estimate, se, ci_low, ci_high, deff, n``;
        the policy counts are in ``.attrs["total_policy"]``.  With
        ``tolerance=0`` and policy ``"reject"`` or ``"rescale"`` the estimates
        of each group add up to ``total`` exactly (up to floating point).

    Notes
    -----
    Same numbers as R ``svymean(~p1+...+p10, design, deff=TRUE)`` or
    ``svyby(~p1+..., ~g, design, svymean)`` on the valid rows
    (``subset(design, valid)``): the parts, with the rows the policy leaves
    out blank, are columns of the design (``design.subset(valid)
    .with_columns(...).mean(parts, by=by)``).

    Examples
    --------
    The ¥1,000 of the bundled wave (:func:`survey.examples.bundled_wave`), under the
    questionnaire's policy (``flag``: answers off the total are kept as given):

    >>> import survey
    >>> from survey.examples import bundled_wave
    >>> wave, q = bundled_wave()
    >>> means = survey.allocation_means(wave, q["allocation"].columns, **survey.allocation_policy(q["allocation"]))
    >>> means.head(3).round(2)   # R: svymean(~alloc_rain + ..., subset(wave, complete), deff=TRUE)
               part  estimate    se  ci_low  ci_high  deff     n
    0    alloc_rain     96.88  5.20   86.68   107.08  1.26  1293
    1    alloc_cool     97.04  5.23   86.79   107.30  1.21  1293
    2  alloc_carbon     56.88  4.12   48.82    64.95  1.22  1293

    (``tests/reference/bundled_wave.R`` builds ``wave`` in R.)
    """
    return _estimate(design, columns, by, level, total, policy, tolerance, lambda y, t: y, "allocation_means")


def allocation_zero_shares(design, columns, *, by=None, level=0.95, total=1000,
                           policy="reject", tolerance=0):
    """Share of respondents giving ¥0 to each part (R ``svymean(~I(p1 == 0) ...)``).

    Same table shape as :func:`allocation_means`, estimates in [0, 1].
    """
    return _estimate(design, columns, by, level, total, policy, tolerance,
                     lambda y, t: (y == 0).astype(float), "allocation_zero_shares")


def allocation_threshold_shares(design, columns, *, threshold=300, by=None, level=0.95,
                                total=1000, policy="reject", tolerance=0):
    """Share of respondents giving at least ``threshold`` yen to each part.

    Same table shape as :func:`allocation_means` (R ``svymean(~I(p1 >= 300) ...)``).
    """
    return _estimate(design, columns, by, level, total, policy, tolerance,
                     lambda y, t: (y >= threshold).astype(float), "allocation_threshold_shares")


def allocation_mean_shares(design, columns, *, by=None, level=0.95, total=1000,
                           policy="reject", tolerance=0):
    """Weighted mean share of the respondent's own total given to each part.

    For rows on the total this is the mean yen divided by ``total``; under
    ``policy="flag"`` each kept row is closed by its own sum first.
    """
    return _estimate(design, columns, by, level, total, policy, tolerance,
                     lambda y, t: y / np.where(y.sum(axis=1, keepdims=True) > 0,
                                               y.sum(axis=1, keepdims=True), 1.0), "allocation_mean_shares")


# ---------------------------------------------------------------------- ranking
def allocation_top_k(design, columns, *, k=3, method="rescaled_bootstrap", replicates=500, seed=0,
                     by=None, total=1000, policy="reject", tolerance=0):
    """Rank order of the parts by mean yen, with replicate-weight uncertainty.

    The means are recomputed with every replicate weight of
    ``design.replicate(method, replicates=, seed=)`` (or of ``design`` itself
    when it already carries ``replicate_weights``) and each part's rank is
    recorded.  The default ``seed=0`` gives the same replicates, hence the
    same table, on every call; ``seed=None`` draws fresh ones.  The default Rao-Wu rescaled bootstrap keeps every replicate
    weight positive, so a raked design (the pipeline's) is re-raked on every
    replicate even when a raking level has only a few respondents; R's
    ``method="bootstrap"`` can draw none of them and then cannot be raked.

    Returns
    -------
    pandas.DataFrame
        ``[by...], part, estimate, se, ci_low, ci_high, deff, n, rank, p_top1,
        p_top_k, k, mean_rank, rank_low, rank_high``: the fixed columns are the
        mean yen with its replicate standard error (as :func:`allocation_means`
        on the replicate design); rank 1 is the largest mean; ``p_top_k`` is
        the share of replicates in which the part is among the ``k`` largest
        (``k`` the argument, also ``attrs["k"]``); ``rank_low`` and
        ``rank_high`` are the 2.5 % and 97.5 % replicate quantiles
        (``"lower"``/``"higher"`` interpolation, so they are ranks).
    """
    if not 1 <= k <= len(columns):
        raise OptionError(f"k must be between 1 and the number of parts ({len(columns)}); got {k}")
    design = check_design(design, what="allocation_top_k")
    seed = check_seed(seed)
    rep = design if design.is_replicate else design.replicate(method, replicates=replicates, seed=seed)
    rep, frame, y, keep, counts = _prepare(rep, columns, total, policy, tolerance, "allocation_top_k")
    values = np.where(keep[:, None], np.nan_to_num(y), np.nan)
    # the design's replicate estimates of the group means: (R, G p), group-major
    est = part_means(rep, values, list(columns), by, what="allocation_top_k")
    groups, full, _, _ = group_blocks(est, len(columns))
    reps = est.replicates.to_numpy().reshape(rep.n_replicates, len(groups), len(columns))
    rows = []
    for g in range(len(groups)):          # group-major, as the estimate's rows
        ranks = _ranks(reps[:, g, :])
        rank0 = _ranks(full[g][None, :])[0]
        for j in range(len(columns)):
            rows.append({"rank": int(rank0[j]), "p_top1": float(np.mean(ranks[:, j] == 1)),
                         "p_top_k": float(np.mean(ranks[:, j] <= k)), "k": int(k),
                         "mean_rank": float(ranks[:, j].mean()),
                         "rank_low": int(np.quantile(ranks[:, j], 0.025, method="lower")),
                         "rank_high": int(np.quantile(ranks[:, j], 0.975, method="higher"))})
    out = pd.concat([long_table(est, by), pd.DataFrame(rows)], axis=1)
    out.attrs.update(total_policy=counts, replicates=rep.n_replicates, k=int(k))
    return out


def _ranks(means):
    """Rank 1 = largest; ties share the better (smaller) rank ('min' method)."""
    order = -means
    return (order[:, None, :] < order[:, :, None]).sum(axis=2) + 1


# ----------------------------------------------------------------- group tests
@dataclass(frozen=True)
class MeanVectorComparison:
    """Design-based comparison of mean vectors between groups.

    Attributes
    ----------
    test : survey.design.wald.WaldTest
        Joint Wald test that every group's mean vector equals the first
        group's (``F = chisq / ndf`` on ``(ndf, ddf)`` with the design degrees
        of freedom, as R ``regTermTest``; chi-square when ``ddf`` is infinite).
    differences : pandas.DataFrame
        ``group, reference, part, estimate, se, ci_low, ci_high, p``:
        each group minus the reference group, part by part (normal reference).
    """

    test: WaldTest
    differences: pd.DataFrame

    @property
    def statistic(self) -> float:
        """The test statistic (F or chi-square)."""
        return self.test.statistic

    @property
    def p(self) -> float:
        """The joint test's p-value."""
        return self.test.p


def compare_part_vectors(est, vcov, labels, group_keys, *, df=None, drop_last=False, level=0.95):
    """Contrast every group's mean vector with the first group's, part by part,
    with one joint Wald test (for one statistic per group compared pairwise,
    see :func:`survey.measures.differences.compare_groups`).

    ``est`` is (G, p) and ``vcov`` its (G p, G p) covariance (group-major).
    With ``drop_last`` the last coordinate is left out of the joint test (for
    parts adding up to a constant, whose covariance is singular); the
    per-part table keeps it.  ``df`` is the design df (``None``: chi-square).
    """
    g_count, p = est.shape
    if g_count < 2:
        raise InputError("a group comparison needs at least 2 groups with data")
    rows, cmat, names = [], [], []
    q = norm_ppf(0.5 + level / 2)
    for g in range(1, g_count):
        for j in range(p):
            c = np.zeros(g_count * p)
            c[g * p + j], c[j] = 1.0, -1.0
            d, s = c @ est.ravel(), float(np.sqrt(max(c @ vcov @ c, 0.0)))
            rows.append({"group": group_keys[g], "reference": group_keys[0], "part": labels[j],
                         "estimate": d, "se": s, "ci_low": d - q * s, "ci_high": d + q * s,
                         "p": float(2 * norm_sf(abs(d / s))) if s > 0 else np.nan})
            if not (drop_last and j == p - 1):
                cmat.append(c)
                names.append(f"{group_keys[g]} - {group_keys[0]}: {labels[j]}")
    coef_names = [f"{k}:{lab}" for k in group_keys for lab in labels]
    test = wald_test(pd.Series(est.ravel(), index=coef_names), vcov,
                     pd.DataFrame(np.array(cmat), index=names, columns=coef_names),
                     df=np.inf if df is None else df)
    return MeanVectorComparison(test, pd.DataFrame(rows))


def design_df(design):
    """Design degrees of freedom (R ``degf``), or None if the design does not say."""
    value = getattr(design, "degf", None)
    if value is None:
        return None
    return float(value() if callable(value) else value)


def allocation_group_test(design, columns, *, by, method="F", level=0.95, total=1000,
                          policy="reject", tolerance=0):
    """Design-based Wald test that the mean allocation is the same in every group.

    Differences are against the first (sorted) group.  Because the parts of
    each valid row add up to ``total``, the last part is implied by the
    others and is left out of the joint test (any part could be; the
    statistic does not change).

    Parameters
    ----------
    method : {"F", "chisq"}, keyword-only
        ``"F"``: ``chisq / ndf`` on ``F(ndf, degf)`` with the design degrees
        of freedom of the rows used (R ``regTermTest``); ``"chisq"``: the
        chi-square on ``ndf``.

    Returns
    -------
    MeanVectorComparison
        The chi-square equals ``t(d) solve(C V C') d`` from R ``svyby(...,
        svymean, covmat=TRUE)`` with ``C`` the group contrasts.
    """
    check_option(method, ("F", "chisq"), name="method")
    check_by(check_design(design, what="allocation_group_test").data, by)
    design, frame, y, keep, _ = _prepare(design, columns, total, policy, tolerance, "allocation_group_test")
    values = np.where(keep[:, None], np.nan_to_num(y), np.nan)
    groups, est, vcov, _ = group_blocks(part_means(design, values, list(columns), by,
                                                   what="allocation_group_test"), len(columns))
    keys = [k[0] if len(k) == 1 else k for k in groups]
    return compare_part_vectors(est, vcov, list(columns), keys,
                          df=design_df(design) if method == "F" else None,
                          drop_last=policy != "flag", level=level)
