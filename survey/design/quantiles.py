"""Weighted quantiles and their intervals (R ``svyquantile``, survey >= 4.1).

Quantile rules (``qrule=``), as R's ``qrule_*`` functions on the weighted
empirical distribution (zero weights ignored):

* ``"math"``/``"hf1"``: the smallest value whose weighted CDF reaches ``p``;
* ``"school"``/``"hf2"``: the same, averaging the two values when the CDF
  equals ``p`` exactly;
* ``"hf3"``: the nearest even order statistic when the CDF equals ``p``;
* ``"hf4"``: linear interpolation between the two values around ``p``;
* ``"hf5"``...``"hf9"``, ``"shahvaish"``: interpolation at the plotting
  positions of Hyndman & Fan's types 5-9 (Shah & Vaish 2006), with weights.

Intervals (``interval_type=``):

* ``"mean"``, ``"beta"``, ``"xlogit"``, ``"asin"`` -- Woodruff (1952): an
  interval for the CDF at the estimate, ``F(q)``, mapped back through the
  quantile rule; ``F``'s interval is Wald, Korn-Graubard, logit or arcsine;
* ``"score"`` -- the test-inversion interval of Francisco & Fuller (1991),
  R's ``ffullerCI``, with R's root finder (:mod:`survey.design._zeroin`);
* ``"quantile"`` -- replicate designs only: the replicate variance of the
  quantile itself (R ``repCI``).

``se = (ci_high - ci_low) / (2 t)`` as R.  Where R works on a design whose
rows it has dropped (an uncalibrated domain) or kept with weight 0 (a
calibrated one), so do these functions: it matters for the Korn-Graubard row
count and the score interval's search range.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design._zeroin import uniroot
from survey.design.distributions import beta_ppf, t_ppf
from survey.design.estimate import Estimate
from survey.design.intervals import t_quantile
from survey.design.ratios import _as_list
from survey.errors import DesignError
from survey.validation import check_level, check_option

__all__ = ["INTERVAL_TYPES", "QRULES", "qrule"]

QRULES = ("math", "school", "shahvaish") + tuple(f"hf{i}" for i in range(1, 10))
INTERVAL_TYPES = ("mean", "beta", "xlogit", "asin", "score", "quantile")


# ------------------------------------------------------------------- rules
def _sorted(x, w):
    keep = w != 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    return x[order], w[order]


def _cumsum(w):
    """R's cumsum/sum accumulate in long double; so do these."""
    return np.cumsum(w.astype(np.longdouble)).astype(float)


def _qs(x, w, p):
    """R ``survey:::qs``: the values around ``p`` and the CDF gaps (1-based positions)."""
    n = x.size
    cumw = _cumsum(w)
    total = float(np.sum(w.astype(np.longdouble)))
    below = np.flatnonzero(cumw <= p * total)
    pos = below[-1] if below.size else 0
    nxt = pos if pos == n - 1 else pos + 1
    return x[pos], x[nxt], pos + 1, p - cumw[pos] / total, cumw[nxt] / total - p


def _approx(knots, values, v, *, constant: bool) -> float:
    """R ``approx(knots, values, v, method=, f=0, rule=2, ties=mean)``."""
    order = np.argsort(knots, kind="stable")
    k, y = knots[order], values[order]
    uk, inv = np.unique(k, return_inverse=True)
    if uk.size < k.size:
        y = np.bincount(inv, weights=y) / np.bincount(inv)
        k = uk
    if v < k[0]:
        return float(y[0])
    if v > k[-1]:
        return float(y[-1])
    i, j = 0, k.size - 1
    while i < j - 1:
        ij = (i + j) // 2
        if v < k[ij]:
            j = ij
        else:
            i = ij
    if v == k[j]:
        return float(y[j])
    if v == k[i]:
        return float(y[i])
    if constant:
        return float(y[i])
    return float(y[i] + (y[j] - y[i]) * ((v - k[i]) / (k[j] - k[i])))


def qrule(x, w, p: float, rule: str = "math") -> float:
    """Weighted quantile of ``x`` at probability ``p`` by R's ``qrule_<rule>``."""
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    xs, ws = _sorted(x, w)
    if xs.size == 0:
        return np.nan
    if rule in ("math", "hf1", "school", "hf2", "hf4"):
        qlow, qup, _, wlow, wup = _qs(xs, ws, p)
        if rule == "hf4":
            gamma = wlow / (wup + wlow)
            return float(qlow * (1 - gamma) + qup * gamma)
        if wlow == 0:
            return float(qlow if rule in ("math", "hf1") else (qlow + qup) / 2)
        return float(qup)
    if rule == "hf3":
        ux, inv = np.unique(xs, return_inverse=True)
        qlow, qup, ilow, wlow, _ = _qs(ux, np.bincount(inv, weights=ws), p)
        return float(qlow if (wlow == 0 and ilow % 2 == 0) else qup)
    n = xs.size
    cumw = _cumsum(ws)
    prev = np.concatenate([[0.0], cumw[:-1]])
    if rule == "shahvaish":
        S = _cumsum(ws / ws.mean())
        pk = (S + 0.5 - ws / 2) / (n + 1)       # R adds w/2, not wbar/2
        return _approx(pk, xs, p, constant=True)
    if rule == "hf5":
        pk = (cumw - ws / 2) / cumw[-1]
    elif rule == "hf6":
        pk = cumw / (cumw[-1] + ws[-1])
    elif rule == "hf7":
        pk = prev / (cumw[n - 2] if n > 1 else np.nan)   # R divides by cumw[n - 1]
    elif rule == "hf8":
        pk = (prev / 3 + cumw * 2 / 3) / (cumw[-1] + ws[-1] / 3)
    else:                                               # hf9
        pk = (prev * 3 / 8 + cumw * 5 / 8) / (cumw[-1] + ws[-1] / 4)
    return _approx(pk, xs, p, constant=False)


# --------------------------------------------------------------- intervals
def _cdf_interval(kind, m, se, tq, nrow, degf, alpha):
    """R ``woodruffCI``'s interval for the CDF ``m`` (one value)."""
    if kind == "mean":
        return m - tq * se, m + tq * se
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "xlogit":
            eta, s = np.log(m / (1 - m)), se / (m * (1 - m))
            return 1 / (1 + np.exp(-(eta - tq * s))), 1 / (1 + np.exp(-(eta + tq * s)))
        if kind == "asin":
            a, s = np.arcsin(np.sqrt(m)), se / (2 * np.sqrt(m * (1 - m)))
            return np.sin(a - tq * s) ** 2, np.sin(a + tq * s) ** 2
        neff = m * (1 - m) / se ** 2 * (t_ppf(alpha / 2, nrow - 1)
                                        / t_quantile(alpha / 2, degf)) ** 2
        return (beta_ppf(alpha / 2, neff * m, neff * (1 - m) + 1),
                beta_ppf(1 - alpha / 2, neff * m + 1, neff * (1 - m)))


def _invert(x, w, lo, hi, rule):
    low = np.nan if (np.isnan(lo) or lo < 0) else qrule(x, w, lo, rule)
    up = np.nan if (np.isnan(hi) or hi > 1) else qrule(x, w, hi, rule)
    return low, up


def _r_rows(design, d):
    """Rows R's design still has after ``design[d, ]``: an uncalibrated
    design drops the others, a calibrated one keeps them with weight 0."""
    rows = getattr(design, "_var_rows", None)
    if rows is None:                       # replicate designs always drop rows
        return d & (design._w != 0)
    return rows if design._calibrated else (rows & d)


def _score_interval(design, y, d, p, rule, tq):
    """R ``ffullerCI``: roots of the score statistic of ``1{x > theta} - (1 - p)``."""
    keep = _r_rows(design, d)
    x = y[keep]                            # R's x: NA values set to 0 on kept rows
    w = np.where(d, design._w, 0.0)[keep]  # and weight 0 outside the domain
    dom = [d]
    index = pd.Index(["u"])

    def score(theta, limit):
        A = np.asfortranarray(((y > theta) - (1 - p)) * d, dtype=float)[:, None]
        est = design._fit(A, "domain", dom, [0], index, "mean", level=0.95, deff=False)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(est.estimate.iloc[0] / est.se.iloc[0]) - limit

    q75, q25 = np.percentile(x, [75, 25])
    iqr = q75 - q25
    lower_t, upper_t = x.min() + iqr / 100, x.max() - iqr / 100
    tol = 1 / (100 * np.sqrt(keep.sum()))
    qlow = uniroot(lambda t: score(t, tq), lower_t, upper_t, tol=tol)
    qup = uniroot(lambda t: score(t, -tq), lower_t, upper_t, tol=tol)
    return qrule(x, w, np.mean(x <= qlow), rule), qrule(x, w, np.mean(x <= qup), rule)


# ----------------------------------------------------------------- driver
def quantile(design, variable, q, *, by=None, level: float = 0.95, qrule_name: str = "math",
             interval_type: str = "mean", df=None) -> Estimate:
    """See ``Design.quantile``."""
    check_option(qrule_name, tuple(QRULES), name="quantile: qrule")
    check_option(interval_type, tuple(INTERVAL_TYPES), name="quantile: interval_type")
    replicate = getattr(design, "is_replicate", False)
    if interval_type == "quantile" and not replicate:
        raise DesignError("quantile: interval_type='quantile' needs a replicate design (R: "
                          "svrepdesign only); use 'mean', 'beta', 'xlogit', 'asin' or 'score'.")
    if interval_type == "score" and replicate:
        raise DesignError("quantile: interval_type='score' needs a linearised design (R's "
                          "svrepdesign method has none); use 'quantile' or 'mean'.")
    level = check_level(level)
    names = _as_list(variable, "variable")
    qs = [q] if np.isscalar(q) else list(q)
    if not qs or any((not np.isfinite(p)) or p < 0 or p > 1 for p in qs):
        raise DesignError(f"quantile: q must be probabilities in [0, 1]; got {q!r}.")
    keys, gmasks, bynames = design._groups(by)
    w = design._w
    A = np.zeros((len(design.data), len(keys) * len(names) * len(qs)), order="F")
    domains, dom_of_col, rows, qhat, cells = [], [], [], [], []
    for key, g in zip(keys, gmasks):
        for name in names:
            y, ok = design._numeric(name)
            d = g & ok
            domains.append(d)
            for p in qs:
                qv = qrule(y[d], w[d], p, qrule_name)
                qhat.append(qv)
                cells.append((y, d, p))
                A[:, len(rows)] = d & (y <= qv)
                dom_of_col.append(len(domains) - 1)
                rows.append(key + (name, p))
    index = design._index(rows, bynames + ["variable", "q"])
    F = design._fit(A, "domain", domains, dom_of_col, index, "cdf", level=level,
                    df="design", deff=False)
    degf = F.df.to_numpy()
    dfs = degf if df is None else np.full(len(qhat), float(df))
    alpha = 1 - level
    tq = t_quantile(1 - alpha / 2, dfs)
    m, fse = F.estimate.to_numpy(), F.se.to_numpy()
    ci = np.full((len(qhat), 2), np.nan)
    reps = None
    if interval_type == "quantile":
        W = design.replicate_weights
        reps = np.array([[qrule(y[d], W[d, r], p, qrule_name) for (y, d, p) in cells]
                         for r in range(W.shape[1])])
        V = np.asarray(design.replicate_vcov(reps, np.asarray(qhat)), dtype=float)
        se = np.sqrt(np.diag(V))
        ci = np.column_stack([np.asarray(qhat) - tq * se, np.asarray(qhat) + tq * se])
        return Estimate(index=index, estimate=qhat, vcov=V, df=dfs, deff=np.nan,
                        n=F.n.to_numpy(), statistic="quantile", level=level, ci_method="wald",
                        ci=ci, replicates=pd.DataFrame(reps, columns=index))
    for k, (y, d, p) in enumerate(cells):
        if interval_type == "score":
            ci[k] = _score_interval(design, y, d, p, qrule_name, float(tq[k]))
            continue
        nrow = np.count_nonzero(_r_rows(design, d))
        lo, hi = _cdf_interval(interval_type, m[k], fse[k], tq[k], nrow, degf[k], alpha)
        ci[k] = _invert(y[d], w[d], lo, hi, qrule_name)
    se = (ci[:, 1] - ci[:, 0]) / (2 * tq)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(fse > 0, se / fse, np.nan)
    V = F.vcov.to_numpy() * np.outer(scale, scale)
    np.fill_diagonal(V, se ** 2)
    return Estimate(index=index, estimate=qhat, vcov=V, df=dfs, deff=np.nan, n=F.n.to_numpy(),
                    statistic="quantile", level=level, ci_method="woodruff", ci=ci)
