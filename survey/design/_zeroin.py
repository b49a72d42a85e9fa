"""Brent's root finder exactly as R's ``uniroot`` (private helper).

A line-by-line port of R's ``R_zeroin2`` (src/library/stats/src/zeroin.c,
the netlib ``zeroin`` of Brent 1973), so that results which depend on where
the search stops -- the score interval of a quantile lands on one side or
the other of a data value -- are the same as R's.
"""
from __future__ import annotations

import numpy as np

from survey.errors import ConvergenceError, DesignError

__all__: list[str] = []

_EPS = np.finfo(float).eps
_MAX = np.finfo(float).max


def uniroot(f, lower: float, upper: float, *, tol: float = _EPS ** 0.25,
            maxiter: int = 1000) -> float:
    """Root of ``f`` in ``[lower, upper]`` (R ``uniroot(f, c(lower, upper), tol=)$root``).

    As R, a NaN or ``+inf`` value met during the search counts as the largest
    double and ``-inf`` as the most negative one (R warns "NA/Inf replaced by
    maximum positive value"); the end points may be infinite but not NaN.
    """
    fa, fb = float(f(lower)), float(f(upper))
    if np.isnan(fa) or np.isnan(fb):
        raise DesignError(f"uniroot: f is NaN at an end of [{lower}, {upper}]")
    if fa * fb > 0:
        raise DesignError(
            f"uniroot: f({lower}) = {fa:g} and f({upper}) = {fb:g} have the same sign; "
            "no root is bracketed"
        )

    def g(x):
        v = float(f(x))
        if np.isfinite(v):
            return v
        return -_MAX if v == -np.inf else _MAX

    with np.errstate(all="ignore"):
        return float(_zeroin2(g, np.float64(lower), np.float64(upper), np.float64(fa),
                              np.float64(fb), tol, maxiter))


def _zeroin2(f, ax, bx, fa, fb, tol, maxit):
    a, b = ax, bx
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxit + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * _EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = np.float64(f(b))
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise ConvergenceError(f"uniroot did not converge in {maxit} iterations")
