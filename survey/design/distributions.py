"""The normal, t, chi-squared, F and beta distribution functions the package uses, from
:mod:`scipy.special` (issue 18).

``scipy.stats`` takes about half a second to import, a sixth of ``survey run`` on the
bundled wave; its distributions compute these functions with the very ``scipy.special``
functions called here (``norm.ppf`` is ``ndtri``, ``t.ppf`` is ``stdtrit``, ``beta.ppf``
is ``_beta_ppf``, ...), after the checks of ``rv_continuous``: an invalid parameter or
probability gives NaN, a probability of 0 or 1 the ends of the support, a point outside
the support 0 or 1.  The same checks are made here, so every value is the one
``scipy.stats`` gives, bit for bit (``tests/test_distributions.py`` compares them on a
grid with the edge cases).  Arrays in, arrays out; a scalar in, a numpy float out.
"""
from __future__ import annotations

import numpy as np
from scipy import special
from scipy.special import _ufuncs

__all__ = ["beta_ppf", "chi2_cdf", "chi2_sf", "f_cdf", "f_isf", "f_sf", "norm_cdf", "norm_pdf", "norm_ppf",
           "norm_sf", "t_cdf", "t_ppf", "t_sf"]

_SQRT_2PI = np.sqrt(2 * np.pi)


def _float(x) -> np.ndarray:
    x = np.asarray(x)
    return x.astype(np.promote_types(x.dtype, np.float64), copy=False)


def _out(values: np.ndarray):
    return values[()] if values.ndim == 0 else values


def _prob(fn, q, params, valid, lower: float, upper: float):
    """``fn(q, *params)`` where the parameters are ``valid`` and ``0 < q < 1``; ``lower`` at
    ``q == 0`` and ``upper`` at ``q == 1``, NaN elsewhere (scipy.stats' ``ppf``; ``isf`` swaps
    the ends)."""
    q, *params = np.broadcast_arrays(_float(q), *(_float(p) for p in params))
    ok = valid(*params) if params else np.ones(q.shape, dtype=bool)
    out = np.full(q.shape, np.nan)
    inside = ok & (q > 0) & (q < 1)
    out[ok & (q == 0)] = lower
    out[ok & (q == 1)] = upper
    if inside.any():   # (+ 0.0 as scipy.stats' ``* scale + loc``: a -0.0 becomes 0.0)
        out[inside] = fn(q[inside], *(p[inside] for p in params)) + 0.0
    return _out(out)


def _tail(fn, x, params, valid, lower: float, upper: float, *, below: float, above: float):
    """``fn(x, *params)`` inside the open support ``(lower, upper)``; ``below`` at or under its
    lower end, ``above`` at or over its upper end, NaN for invalid parameters or ``x`` (scipy.stats'
    ``cdf`` with 0, 1 and ``sf`` with 1, 0)."""
    x, *params = np.broadcast_arrays(_float(x), *(_float(p) for p in params))
    ok = valid(*params) if params else np.ones(x.shape, dtype=bool)
    out = np.zeros(x.shape)
    out[ok & (x <= lower)] = below
    out[ok & (x >= upper)] = above
    out[~ok | np.isnan(x)] = np.nan
    inside = ok & (x > lower) & (x < upper)
    if inside.any():
        out[inside] = fn(x[inside], *(p[inside] for p in params))
    return _out(out)


def _positive(*params):
    ok = np.ones(params[0].shape, dtype=bool)
    for p in params:
        ok &= p > 0
    return ok


def norm_ppf(q):
    """``scipy.stats.norm.ppf(q)``."""
    return _prob(special.ndtri, q, (), None, -np.inf, np.inf)


def norm_cdf(x):
    """``scipy.stats.norm.cdf(x)``."""
    return _tail(special.ndtr, x, (), None, -np.inf, np.inf, below=0.0, above=1.0)


def norm_sf(x):
    """``scipy.stats.norm.sf(x)``."""
    return _tail(lambda v: special.ndtr(-v), x, (), None, -np.inf, np.inf, below=1.0, above=0.0)


def norm_pdf(x):
    """``scipy.stats.norm.pdf(x)``."""
    return _tail(lambda v: np.exp(-v ** 2 / 2.0) / _SQRT_2PI, x, (), None, -np.inf, np.inf, below=0.0, above=0.0)


def t_ppf(q, df):
    """``scipy.stats.t.ppf(q, df)``."""
    return _prob(lambda p, d: special.stdtrit(d, p), q, (df,), _positive, -np.inf, np.inf)


def t_cdf(x, df):
    """``scipy.stats.t.cdf(x, df)``."""
    return _tail(lambda v, d: special.stdtr(d, v), x, (df,), _positive, -np.inf, np.inf, below=0.0, above=1.0)


def t_sf(x, df):
    """``scipy.stats.t.sf(x, df)``."""
    return _tail(lambda v, d: special.stdtr(d, -v), x, (df,), _positive, -np.inf, np.inf, below=1.0, above=0.0)


def chi2_cdf(x, df):
    """``scipy.stats.chi2.cdf(x, df)``."""
    return _tail(lambda v, d: special.chdtr(d, v), x, (df,), _positive, 0.0, np.inf, below=0.0, above=1.0)


def chi2_sf(x, df):
    """``scipy.stats.chi2.sf(x, df)``."""
    return _tail(lambda v, d: special.chdtrc(d, v), x, (df,), _positive, 0.0, np.inf, below=1.0, above=0.0)


def f_cdf(x, dfn, dfd):
    """``scipy.stats.f.cdf(x, dfn, dfd)``."""
    return _tail(lambda v, a, b: special.fdtr(a, b, v), x, (dfn, dfd), _positive, 0.0, np.inf, below=0.0, above=1.0)


def f_sf(x, dfn, dfd):
    """``scipy.stats.f.sf(x, dfn, dfd)``."""
    return _tail(lambda v, a, b: special.fdtrc(a, b, v), x, (dfn, dfd), _positive, 0.0, np.inf, below=1.0, above=0.0)


def f_isf(q, dfn, dfd):
    """``scipy.stats.f.isf(q, dfn, dfd)`` (the F distribution has no ``_isf`` of its own:
    scipy.stats takes its ``ppf`` at ``1 - q``)."""
    return _prob(lambda p, a, b: special.fdtri(a, b, 1.0 - p), q, (dfn, dfd), _positive, np.inf, 0.0)


def beta_ppf(q, a, b):
    """``scipy.stats.beta.ppf(q, a, b)``."""
    return _prob(lambda p, x, y: _ufuncs._beta_ppf(p, x, y), q, (a, b), _positive, 0.0, 1.0)
