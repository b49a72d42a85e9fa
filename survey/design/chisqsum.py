"""Tail probabilities of linear combinations of chi-squares (R ``pchisqsum``, ``pFsum``).

A Rao-Scott working likelihood-ratio statistic is distributed as
``sum_i lambda_i X_i`` with independent ``X_i ~ chi^2_1`` and ``lambda_i``
the eigenvalues of the misspecification matrix ``V0^-1 V``.  Two
approximations, as R's ``survey``:

* ``"satterthwaite"``: a scaled chi-square matching two moments
  (``scale = mean(a^2) / mean(a)``, ``df = k mean(a)^2 / mean(a^2)``);
* ``"saddlepoint"`` (R's default): Kuonen's (1999) saddlepoint
  approximation, falling back to Satterthwaite where it is undefined.

With denominator degrees of freedom ``ddf`` (R ``pFsum``) the statistic is
compared with ``sum lambda_i X_i / (chi^2_ddf / ddf)``, which the
saddlepoint method evaluates as ``P(sum lambda_i X_i - x/ddf chi^2_ddf > 0)``.
"""
from __future__ import annotations

import numpy as np

from survey.design._zeroin import uniroot
from survey.design.distributions import chi2_cdf, chi2_sf, f_cdf, f_sf, norm_sf
from survey.validation import check_option

__all__ = ["pchisqsum", "pfsum"]

METHODS = ("saddlepoint", "satterthwaite")


def _expand(df, a) -> np.ndarray:
    a = np.atleast_1d(np.asarray(a, dtype=float))
    df = np.broadcast_to(np.asarray(df, dtype=int), a.shape)
    return np.repeat(a, df)


def _satterthwaite(a):
    tr = a.mean()
    tr2 = np.mean(a ** 2) / tr ** 2
    return tr * tr2, a.size / tr2          # scale, df


def saddle(x: float, lam) -> float:
    """Upper tail ``P(sum lam_i X_i > x)``; NaN where R's ``saddle`` gives NA."""
    lam = np.asarray(lam, dtype=float)
    d = lam.max()
    lam = lam / d
    x = x / d

    def k0(z):
        return -np.sum(np.log(1 - 2 * z * lam)) / 2

    def kprime0(z):
        return np.sum(lam / (1 - 2 * z * lam))

    def kpprime0(z):
        return 2 * np.sum(lam ** 2 / (1 - 2 * z * lam) ** 2)

    if np.any(lam < 0):
        lmin = np.max(1 / (2 * lam[lam < 0])) * 0.99999
    elif x > lam.sum():
        lmin = -0.01
    else:
        lmin = -lam.size / (2 * x)
    lmax = np.min(1 / (2 * lam[lam > 0])) * 0.99999
    hat = uniroot(lambda z: kprime0(z) - x, lmin, lmax, tol=1e-8)
    w = np.sign(hat) * np.sqrt(2 * (hat * x - k0(hat)))
    v = hat * np.sqrt(kpprime0(hat))
    if abs(hat) < 1e-4:
        return np.nan
    return float(norm_sf(w + np.log(v / w) / w))


def _method(method: str) -> str:
    if method not in METHODS:
        check_option(method, tuple(METHODS), name="method")
    return method


def pchisqsum(x: float, df, a, *, lower_tail: bool = True,
              method: str = "satterthwaite") -> float:
    """``P(sum a_i X_i <= x)`` with ``X_i ~ chi^2_{df_i}`` (R ``pchisqsum``)."""
    method = _method(method)
    a = _expand(df, a)
    scale, sdf = _satterthwaite(a)
    guess = float(chi2_cdf(x / scale, sdf) if lower_tail else chi2_sf(x / scale, sdf))
    if method == "satterthwaite":
        return guess
    sad = saddle(float(x), a)
    if np.isnan(sad):
        return guess
    return 1 - sad if lower_tail else sad


def pfsum(x: float, df, a, *, ddf: float = np.inf, lower_tail: bool = True,
          method: str = "saddlepoint") -> float:
    """``P(sum a_i X_i / (chi^2_ddf / ddf) <= x)`` (R ``pFsum``)."""
    if not np.isfinite(ddf):
        return pchisqsum(x, df, a, lower_tail=lower_tail, method=method)
    method = _method(method)
    a = _expand(df, a)
    scale, ndf = _satterthwaite(a)
    val = float(f_cdf(x / ndf / scale, ndf, ddf) if lower_tail
                else f_sf(x / ndf / scale, ndf, ddf))
    if method == "saddlepoint":
        # R: rep(c(a, -x/ddf), c(df, ddf)) -- a fractional ddf is truncated, as rep() does
        lam = np.concatenate([a, np.full(int(ddf), -x / ddf)])
        s = saddle(0.0, lam)
        if not np.isnan(s):
            val = 1 - s if lower_tail else s
    return val
