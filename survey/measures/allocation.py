"""The ¥1,000 allocation question: design-based means, shares, ranks and tests.

Respondents split a fixed budget (``total``, ¥1,000) across parts (the ten
functions of green).  The headline statistics are arithmetic: the weighted
mean yen per part, the share giving ¥0 (an *essential* zero: "nothing for
this"), the share giving at least a threshold, the mean share of the budget.
Every estimator is a ratio mean linearised over the full design, as R
``svymean``/``svyby`` do, so domains (``by`` groups and rows left out by the
total policy) keep the full design's variance.

Rows whose parts do not add up to ``total`` follow a policy (see
:func:`apply_total_policy`): ``"reject"`` treats them as out of the domain,
``"rescale"`` rescales them to integers adding up exactly to ``total``
(largest-remainder rounding), ``"flag"`` keeps them as answered.  Rows with
any part missing are always left out.  The counts are attached to every
result table as ``table.attrs["total_policy"]``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from survey.errors import DesignError, InputError

__all__ = [
    "apply_total_policy",
    "allocation_means",
    "allocation_zero_shares",
    "allocation_threshold_shares",
    "allocation_mean_shares",
    "allocation_top_k",
    "allocation_group_test",
    "WaldTest",
]

_POLICIES = ("reject", "rescale", "flag")


# --------------------------------------------------------------------------- totals
def _parts_matrix(frame, columns):
    columns = list(columns)
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise InputError(f"allocation columns {absent} are not in the data; available: "
                         f"{list(frame.columns)[:20]}", column=absent[0])
    if len(columns) < 2:
        raise InputError(f"an allocation needs at least 2 parts; got {columns}")
    try:
        y = frame[columns].apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"allocation columns {columns} must be numeric yen amounts ({exc})") from exc
    if np.any(y < 0):
        row = frame.index[np.flatnonzero((y < 0).any(axis=1))[0]]
        raise InputError(f"allocation amounts must be >= 0; found a negative amount", row=row)
    return y


def _largest_remainder(y, total):
    """Scale each row to ``total`` and round to integers keeping the exact sum."""
    scaled = y * (total / y.sum(axis=1, keepdims=True))
    base = np.floor(scaled)
    short = np.rint(total - base.sum(axis=1)).astype(int)
    frac = scaled - base
    order = np.argsort(-frac, axis=1, kind="stable")   # ties: leftmost part first
    for i in np.flatnonzero(short > 0):
        base[i, order[i, :short[i]]] += 1
    return base


def _classify(y, total, tolerance):
    missing = np.isnan(y).any(axis=1)
    sums = np.where(missing, np.nan, np.nansum(y, axis=1))
    ok = ~missing & (np.abs(sums - total) <= tolerance)
    off = ~missing & ~ok
    return missing, ok, off, sums


def _resolve(frame, columns, total, policy, tolerance):
    """(Y used, in-domain mask, counts) under a policy, rows kept in place."""
    if policy not in _POLICIES:
        raise InputError(f"policy must be one of {_POLICIES}; got {policy!r}")
    if not total > 0:
        raise InputError(f"total must be positive; got {total!r}")
    if tolerance < 0:
        raise InputError(f"tolerance must be >= 0; got {tolerance!r}")
    y = _parts_matrix(frame, columns)
    missing, ok, off, sums = _classify(y, total, tolerance)
    counts = {"rows": len(y), "valid": int(ok.sum()), "missing": int(missing.sum()),
              "off_total": int(off.sum()), "rejected": 0, "rescaled": 0, "flagged": 0}
    keep = ok.copy()
    if policy == "reject":
        counts["rejected"] = int(off.sum())
    elif policy == "flag":
        keep |= off & (sums > 0)
        counts["flagged"] = int((off & (sums > 0)).sum())
        counts["rejected"] = int((off & (sums <= 0)).sum())
    else:
        can = off & (sums > 0)
        y = y.copy()
        if can.any():
            y[can] = _largest_remainder(y[can], total)
        keep |= can
        counts["rescaled"] = int(can.sum())
        counts["rejected"] = int((off & ~can).sum())
    return y, keep, counts


def apply_total_policy(data, columns, *, total=1000, policy="reject", tolerance=0):
    """Apply a policy to rows whose parts do not add up to ``total``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    columns : sequence of str
        The allocation parts (yen).
    total : float, keyword-only
        The budget every row should add up to (¥1,000).
    policy : {"reject", "rescale", "flag"}, keyword-only
        ``"reject"`` drops rows off the total; ``"rescale"`` multiplies each such
        row by ``total / row sum`` and rounds to integers that add up exactly to
        ``total`` by the largest-remainder (Hamilton) method: every part gets
        the floor of its scaled amount and the yen still missing go one each to
        the parts with the largest fractional remainders (ties to the leftmost
        part); ``"flag"`` keeps rows unchanged and adds a boolean column
        ``total_off``.  Rows summing to 0 cannot be rescaled and are dropped
        under ``"rescale"`` and ``"flag"`` too.
    tolerance : float, keyword-only
        A row is valid when ``|row sum - total| <= tolerance``.

    Returns
    -------
    (pandas.DataFrame, dict)
        The new data (index kept) and the counts: ``rows, valid, missing,
        off_total, rejected, rescaled, flagged``.  Rows with a missing part are
        kept unchanged and counted as ``missing``.

    Examples
    --------
    A row ``(1, 1, 1)`` rescaled to ``total=1000`` becomes ``(334, 333, 333)``:
    each scaled part is 333.33, the floors add to 999 and the one missing yen
    goes to the leftmost of the tied remainders.
    """
    y, keep, counts = _resolve(data, columns, total, policy, tolerance)
    missing = np.isnan(y).any(axis=1)
    out = data.copy()
    if policy == "rescale":
        rescaled = ~missing & keep
        out.loc[rescaled, list(columns)] = y[rescaled]
    if policy == "flag":
        _, ok, _, _ = _classify(y, total, tolerance)
        out["total_off"] = ~missing & ~ok
    out = out.loc[keep | missing]
    return out, counts


# ---------------------------------------------------------------- linearisation
def _check_design(design):
    for attr in ("data", "weights", "score_vcov"):
        if not hasattr(design, attr):
            raise DesignError(f"expected a survey design (survey.design.Design); got "
                              f"{type(design).__name__} without .{attr}")
    return design.data, np.asarray(design.weights, dtype=float)


def _domains(frame, by, keep):
    """[(key tuple, mask)] for each by-group (sorted), within ``keep``."""
    if by is None:
        return [((), keep)], []
    by = [by] if isinstance(by, str) else list(by)
    absent = [b for b in by if b not in frame.columns]
    if absent:
        raise InputError(f"by column(s) {absent} are not in the data", column=absent[0])
    keys = frame[by].astype(object)
    has = keys.notna().all(axis=1).to_numpy()
    groups = []
    for key, idx in keys[has].groupby(by, sort=True).indices.items():
        mask = np.zeros(len(frame), dtype=bool)
        mask[np.flatnonzero(has)[idx]] = True
        groups.append((key if isinstance(key, tuple) else (key,), mask & keep))
    return groups, by


def domain_means(design, y, groups):
    """Weighted means of the columns of ``y`` in each domain with the joint covariance.

    The influence of domain ``g``'s mean is ``w_i 1{i in g} (y_i - ybar_g) / W_g``
    (zero outside ``g``), passed to ``design.score_vcov``; this is R ``svyby(...,
    svymean, covmat=TRUE)``.  Returns ``(est (G, p), vcov (G p, G p), n (G,))``.
    """
    _, w = _check_design(design)
    n, p = y.shape
    z = np.zeros((n, len(groups) * p))
    est = np.zeros((len(groups), p))
    counts = np.zeros(len(groups), dtype=int)
    for g, (_, mask) in enumerate(groups):
        wg = np.where(mask, w, 0.0)
        tot = wg.sum()
        if tot <= 0:
            raise InputError("a domain has no respondents with positive weight; drop the empty "
                             "group or check the by column")
        yg = np.where(mask[:, None], y, 0.0)
        est[g] = wg @ yg / tot
        z[:, g * p:(g + 1) * p] = wg[:, None] * (yg - est[g]) / tot
        counts[g] = int(mask.sum())
    vcov = np.asarray(design.score_vcov(z), dtype=float)
    return est, (vcov + vcov.T) / 2, counts


def _table(est, vcov, counts, groups, by, columns, level, *, scale=1.0):
    q = stats.norm.ppf(0.5 + level / 2)
    se = np.sqrt(np.clip(np.diag(vcov), 0, None)).reshape(est.shape)
    rows = []
    for g, (key, _) in enumerate(groups):
        for j, part in enumerate(columns):
            row = {"part": part}
            row.update(dict(zip(by, key)))
            e, s = est[g, j] * scale, se[g, j] * scale
            row.update(estimate=e, se=s, ci_low=e - q * s, ci_high=e + q * s, n=counts[g])
            rows.append(row)
    return pd.DataFrame(rows, columns=["part", *by, "estimate", "se", "ci_low", "ci_high", "n"])


def _estimate(design, columns, by, level, total, policy, tolerance, transform):
    frame, _ = _check_design(design)
    y, keep, counts = _resolve(frame, columns, total, policy, tolerance)
    groups, by_cols = _domains(frame, by, keep)
    values = np.where(keep[:, None], transform(np.nan_to_num(y), total), 0.0)
    est, vcov, n = domain_means(design, values, groups)
    table = _table(est, vcov, n, groups, by_cols, list(columns), level)
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
        The budget and the policy for rows off it (:func:`apply_total_policy`).

    Returns
    -------
    pandas.DataFrame
        Long table ``part, [by...], estimate, se, ci_low, ci_high, n``; the
        policy counts are in ``.attrs["total_policy"]``.  With ``tolerance=0``
        and policy ``"reject"`` or ``"rescale"`` the estimates of each group add
        up to ``total`` exactly (up to floating point).

    Notes
    -----
    Same numbers as R ``svymean(~p1+...+p10, design)`` or ``svyby(~p1+...,
    ~g, design, svymean)`` on the valid rows (``subset(design, valid)``).
    """
    return _estimate(design, columns, by, level, total, policy, tolerance, lambda y, t: y)


def allocation_zero_shares(design, columns, *, by=None, level=0.95, total=1000,
                           policy="reject", tolerance=0):
    """Share of respondents giving ¥0 to each part (R ``svymean(~I(p1 == 0) ...)``).

    Same table shape as :func:`allocation_means`, estimates in [0, 1].
    """
    return _estimate(design, columns, by, level, total, policy, tolerance,
                     lambda y, t: (y == 0).astype(float))


def allocation_threshold_shares(design, columns, *, threshold=300, by=None, level=0.95,
                                total=1000, policy="reject", tolerance=0):
    """Share of respondents giving at least ``threshold`` yen to each part.

    Same table shape as :func:`allocation_means` (R ``svymean(~I(p1 >= 300) ...)``).
    """
    return _estimate(design, columns, by, level, total, policy, tolerance,
                     lambda y, t: (y >= threshold).astype(float))


def allocation_mean_shares(design, columns, *, by=None, level=0.95, total=1000,
                           policy="reject", tolerance=0):
    """Weighted mean share of the respondent's own total given to each part.

    For rows on the total this is the mean yen divided by ``total``; under
    ``policy="flag"`` each kept row is closed by its own sum first.
    """
    return _estimate(design, columns, by, level, total, policy, tolerance,
                     lambda y, t: y / np.where(y.sum(axis=1, keepdims=True) > 0,
                                               y.sum(axis=1, keepdims=True), 1.0))


# ---------------------------------------------------------------------- ranking
def allocation_top_k(design, columns, *, k=3, method="bootstrap", replicates=500, seed=None,
                     by=None, total=1000, policy="reject", tolerance=0):
    """Rank order of the parts by mean yen, with replicate-weight uncertainty.

    The means are recomputed with every replicate weight of
    ``design.replicate(method, replicates=, seed=)`` (or of ``design`` itself
    when it already carries ``replicate_weights``) and each part's rank is
    recorded.

    Returns
    -------
    pandas.DataFrame
        ``part, [by...], estimate, rank, p_top1, p_top_k, mean_rank, rank_low,
        rank_high``: rank 1 is the largest mean; ``p_top_k`` is the share of
        replicates in which the part is among the ``k`` largest; ``rank_low``
        and ``rank_high`` are the 2.5 % and 97.5 % replicate quantiles
        (``"lower"``/``"higher"`` interpolation, so they are ranks).
    """
    frame, w = _check_design(design)
    if not 1 <= k <= len(columns):
        raise InputError(f"k must be between 1 and the number of parts ({len(columns)}); got {k}")
    if hasattr(design, "replicate_weights"):
        rep = design
    else:
        if not hasattr(design, "replicate"):
            raise DesignError("the design cannot make replicate weights (no .replicate method)")
        rep = design.replicate(method, replicates=replicates, seed=seed)
    wr = np.asarray(rep.replicate_weights, dtype=float)
    if wr.shape[0] != len(frame):
        raise DesignError(f"replicate weights have {wr.shape[0]} rows; the data has {len(frame)}")
    y, keep, counts = _resolve(frame, columns, total, policy, tolerance)
    groups, by_cols = _domains(frame, by, keep)
    y = np.nan_to_num(y)
    rows = []
    for key, mask in groups:
        full = (w * mask) @ y / (w * mask).sum()
        wm = wr * mask[:, None]
        reps = (wm.T @ y) / wm.sum(axis=0)[:, None]          # (R, D)
        ranks = _ranks(reps)
        rank0 = _ranks(full[None, :])[0]
        for j, part in enumerate(columns):
            row = {"part": part}
            row.update(dict(zip(by_cols, key)))
            row.update(estimate=full[j], rank=int(rank0[j]), p_top1=float(np.mean(ranks[:, j] == 1)),
                       p_top_k=float(np.mean(ranks[:, j] <= k)), mean_rank=float(ranks[:, j].mean()),
                       rank_low=int(np.quantile(ranks[:, j], 0.025, method="lower")),
                       rank_high=int(np.quantile(ranks[:, j], 0.975, method="higher")))
            rows.append(row)
    out = pd.DataFrame(rows).rename(columns={"p_top_k": f"p_top{k}"})
    out.attrs["total_policy"] = counts
    out.attrs["replicates"] = wr.shape[1]
    return out


def _ranks(means):
    """Rank 1 = largest; ties share the better (smaller) rank ('min' method)."""
    order = -means
    return (order[:, None, :] < order[:, :, None]).sum(axis=2) + 1


# ----------------------------------------------------------------- group tests
@dataclass(frozen=True)
class WaldTest:
    """A design-based Wald test of equal group means.

    Attributes
    ----------
    statistic : float
        The Wald chi-square ``d' (C V C')^-1 d``.
    df : int
        Its degrees of freedom (number of independent contrasts).
    df_denom : float or None
        Design degrees of freedom for the F version (``None`` when unknown).
    p_value : float
        From ``F(df, df_denom)`` on ``statistic / df`` when ``method="F"``
        (R ``regTermTest(..., method="Wald")`` style), else chi-square.
    method : str
    differences : pandas.DataFrame
        Per-contrast table ``part, group, reference, estimate, se, ci_low,
        ci_high, p_value`` (normal reference).
    """

    statistic: float
    df: int
    df_denom: float | None
    p_value: float
    method: str
    differences: pd.DataFrame


def wald_between_groups(est, vcov, labels, group_keys, *, method="F", df_denom=None,
                        drop_last=False, level=0.95):
    """Wald test that all group mean vectors equal the first group's.

    ``est`` is (G, p), ``vcov`` its (G p, G p) covariance.  With ``drop_last``
    the last coordinate is left out of the joint test (for parts that add up to
    a constant, whose covariance is singular); the per-part table keeps it.
    """
    g_count, p = est.shape
    if g_count < 2:
        raise InputError("a group comparison needs at least 2 groups with data")
    rows, cmat = [], []
    q = stats.norm.ppf(0.5 + level / 2)
    for g in range(1, g_count):
        for j in range(p):
            c = np.zeros(g_count * p)
            c[g * p + j], c[j] = 1.0, -1.0
            d, s = c @ est.ravel(), float(np.sqrt(max(c @ vcov @ c, 0.0)))
            rows.append({"part": labels[j], "group": group_keys[g], "reference": group_keys[0],
                         "estimate": d, "se": s, "ci_low": d - q * s, "ci_high": d + q * s,
                         "p_value": float(2 * stats.norm.sf(abs(d / s))) if s > 0 else np.nan})
            if not (drop_last and j == p - 1):
                cmat.append(c)
    cmat = np.array(cmat)
    diff = cmat @ est.ravel()
    cv = cmat @ vcov @ cmat.T
    stat = float(diff @ np.linalg.pinv(cv, hermitian=True) @ diff)
    df = int(np.linalg.matrix_rank(cv))
    if method == "F":
        if df_denom is None:
            raise DesignError("method='F' needs the design degrees of freedom; use method='chisq'")
        pval = float(stats.f.sf(stat / df, df, df_denom))
    elif method == "chisq":
        pval = float(stats.chi2.sf(stat, df))
    else:
        raise InputError(f"method must be 'F' or 'chisq'; got {method!r}")
    return WaldTest(stat, df, df_denom, pval, method, pd.DataFrame(rows))


def design_df(design, mask=None):
    """Design degrees of freedom (R ``degf``) of the rows in ``mask``, or None if unknown.

    With a mask the design is first restricted by ``design.subset(mask)``, as
    R's ``degf(subset(design, mask))``.
    """
    if mask is not None and not np.all(mask) and hasattr(design, "subset"):
        design = design.subset(np.asarray(mask, dtype=bool))
    for name in ("degf", "df_residual", "df"):
        value = getattr(design, name, None)
        if value is not None:
            value = value() if callable(value) else value
            return float(value)
    return None


def allocation_group_test(design, columns, *, by, method="F", level=0.95, total=1000,
                          policy="reject", tolerance=0):
    """Design-based Wald test that the mean allocation is the same in every group.

    Differences are against the first (sorted) group.  Because the parts of
    each valid row add up to ``total``, the last part is implied by the
    others and is left out of the joint test (any part could be; the
    statistic does not change).

    Returns
    -------
    WaldTest
        With ``method="F"`` the p-value is from ``F(df, degf(design))`` on
        ``statistic / df``, as R ``regTermTest(..., method="Wald")``; the
        statistic equals ``t(d) solve(C V C') d`` computed from R ``svyby(...,
        covmat=TRUE)``.
    """
    frame, _ = _check_design(design)
    y, keep, _ = _resolve(frame, columns, total, policy, tolerance)
    groups, _ = _domains(frame, by, keep)
    est, vcov, _ = domain_means(design, np.where(keep[:, None], np.nan_to_num(y), 0.0), groups)
    keys = [k[0] if len(k) == 1 else k for k, _ in groups]
    return wald_between_groups(est, vcov, list(columns), keys, method=method,
                               df_denom=design_df(design, keep) if method == "F" else None,
                               drop_last=policy != "flag", level=level)
