"""Confidence intervals for a proportion, as R ``svyciprop`` (survey 4.1).

Every method uses ``t = qt(1 - alpha/2, df)`` with ``df`` the design degrees
of freedom of the design (or ``by`` domain) *before* rows missing the
variable are dropped (R evaluates ``df = degf(design)`` on the design it was
given):

* ``"logit"`` -- Wald interval for ``logit(p)`` from ``svyglm(y ~ 1,
  family=quasibinomial)``: ``se(logit p) = se(p) / (p (1 - p))`` for a
  linearised design, the replicate SE of ``logit(p_r)`` for a replicate one;
* ``"xlogit"`` -- the same interval by the delta method from ``se(p)`` for
  every design (R ``svycontrast(m, log(p / (1 - p)))``);
* ``"asin"`` -- Wald interval for ``asin(sqrt(p))`` with
  ``se = se(p) / (2 sqrt(p (1 - p)))``, mapped back by ``sin(x)^2``; the
  angle is kept in ``[0, pi/2]`` (R does not clip, so a bound beyond 0 or
  pi/2 folds back; it never happens unless ``p`` is within a few SEs of 0
  or 1);
* ``"likelihood"`` -- the Rao-Scott scaled profile likelihood of
  ``svyglm(y ~ 1, quasibinomial)`` (R ``confint(method="likelihood")``):
  the bounds solve ``KL(p_hat || p) = t^2 phi V(logit p_hat) p_hat (1 -
  p_hat) / 2`` with ``phi`` R's dispersion, the ``svyvar`` of the Pearson
  residuals: ``n / (n - 1)`` (``n`` the answering rows) times a ratio of
  mean weights when rows are missing (see ``survey.design.ciprop``), for
  a linearised design, and ``phi = 1`` for a replicate design.  R interpolates a spline through a
  grid of profile points; these are the exact roots (R's bounds carry an
  interpolation error of about 1e-6 relative).  R gives ``NA`` for
  replicate designs;
* ``"beta"`` -- Korn & Graubard: Clopper-Pearson at the effective sample
  size ``p (1 - p) / se^2 * (qt(alpha/2, N - 1) / qt(alpha/2, df))^2`` with
  ``N`` R's ``nrow(design)`` (rows of the domain before NA rows are
  dropped; every row of a calibrated design, which R subsets by zeroing
  weights);
* ``"wald"`` (``method="mean"``) -- ``p +/- t se``.
"""
from __future__ import annotations

import numpy as np

from survey.design.distributions import beta_ppf, norm_ppf, t_ppf

__all__: list[str] = []


def t_quantile(prob: float, df) -> np.ndarray:
    """``qt(prob, df)`` with ``df = inf`` giving the normal quantile."""
    df = np.asarray(df, dtype=float)
    return np.where(np.isinf(df), norm_ppf(prob), t_ppf(prob, np.where(np.isinf(df), 1, df)))


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _edges(est, lo, hi):
    edge = (est <= 0) | (est >= 1)
    return np.column_stack([np.where(edge, est, lo), np.where(edge, est, hi)])


def logit_interval(est, link_se, tq) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.log(est / (1 - est))
        lo, hi = _expit(eta - tq * link_se), _expit(eta + tq * link_se)
    return _edges(est, lo, hi)


def asin_interval(est, se, tq) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        angle = np.arcsin(np.sqrt(est))
        half = tq * se / (2 * np.sqrt(est * (1 - est)))
        lo = np.sin(np.clip(angle - half, 0, np.pi / 2)) ** 2
        hi = np.sin(np.clip(angle + half, 0, np.pi / 2)) ** 2
    return _edges(est, lo, hi)


def _kl(p_hat: float, p: float) -> float:
    out = 0.0
    if p_hat > 0:
        out += p_hat * np.log(p_hat / p)
    if p_hat < 1:
        out += (1 - p_hat) * np.log((1 - p_hat) / (1 - p))
    return out


def likelihood_interval(est, link_se, tq, phi) -> np.ndarray:
    """Roots of ``KL(p_hat || p) = tq^2 phi link_se^2 p_hat (1 - p_hat) / 2``."""
    from scipy import optimize   # here: a quarter of a second to import, for this interval only (issue 18)

    est = np.asarray(est, float)
    out = np.column_stack([est, est]).astype(float)
    target = np.asarray(tq, float) ** 2 * phi * np.asarray(link_se, float) ** 2 * est * (1 - est) / 2
    target = np.broadcast_to(target, est.shape)
    for k, (p, c) in enumerate(zip(est, target)):
        if not (0 < p < 1) or not np.isfinite(c):
            if not np.isfinite(c):
                out[k] = np.nan
            continue
        f = lambda x, p=p, c=c: _kl(p, x) - c  # noqa: E731
        tiny = np.finfo(float).tiny
        out[k, 0] = optimize.brentq(f, tiny, p, xtol=1e-300, rtol=4 * np.finfo(float).eps) if c > 0 else p
        out[k, 1] = optimize.brentq(f, p, 1 - np.finfo(float).epsneg, xtol=1e-300,
                                    rtol=4 * np.finfo(float).eps) if c > 0 else p
    return out


def beta_interval(p, se, df, nrows, level):
    """Korn-Graubard interval as R ``svyciprop(method="beta")``.

    ``nrows`` is R's ``nrow(design)`` (see the module docstring).
    """
    alpha = 1 - level
    p = np.asarray(p, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        neff = p * (1 - p) / se ** 2
        adj = (t_ppf(alpha / 2, np.asarray(nrows, float) - 1)
               / t_quantile(alpha / 2, df)) ** 2
        neff = neff * adj
        lo = beta_ppf(alpha / 2, neff * p, neff * (1 - p) + 1)
        hi = beta_ppf(1 - alpha / 2, neff * p + 1, neff * (1 - p))
    lo = np.where(p <= 0, 0.0, lo)
    hi = np.where(p >= 1, 1.0, hi)
    return np.column_stack([lo, hi])
