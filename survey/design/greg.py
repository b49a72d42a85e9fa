"""GREG-type calibration (R ``calibrate``): linear, raking and logit
calibration functions solved by Newton's method on the dual (R ``grake``),
for categorical margins (collapsed to cells) or model-matrix totals.

The variance adjustment is the same :class:`~survey.design.calstep.CalStep`
residualisation as for raking and post-stratification.

Heteroscedastic calibration (R ``calibrate(variance=)``): with working
variances ``sigma2_i`` the g-weights are ``1 + F(x_i' eta / sigma2_i)``, the
minimum-distance solution for the distance weighted by ``1 / sigma2``
(Deville & Sarndal 1992's ``q_i = 1 / sigma2_i``).  For linear calibration
without bounds the variance uses residuals from the regression weighted by
``w / sigma2`` (R ``regcalibrate``); for the other calibration functions R
keeps the unweighted projection, and so does this module.

Bounds (R ``bounds=``) are on the g-weights, one pair for all rows or a
value per row (R ``bounds = list(lower = l, upper = u)``); with
``bounds_const=True`` they bound the calibrated weights themselves.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.calibration import (
    INTERCEPT,
    _cell_weights,
    _check_columns,
    _check_margin,
    _dummies,
    make_cells,
    parse_margins,
)
from survey.design.calstep import CalStep, _col0, _solver
from survey.errors import ConvergenceError, DesignError

__all__: list[str] = []


def _calfun(method: str, bounds):
    lo, hi = bounds
    if method == "linear":
        def fm1(u):
            return np.clip(u + 1, lo, hi) - 1

        def df(u):
            return ((u < hi - 1) & (u > lo - 1)).astype(float)
    elif method == "raking":
        def fm1(u):
            return np.clip(np.exp(u), lo, hi) - 1

        def df(u):
            return np.where((u < hi - 1) & (u > lo - 1), np.exp(u), 0.0)
    elif method == "logit":
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))) or \
                not (np.all(lo < 1) and np.all(1 < hi)):
            raise DesignError(
                f"calibrate(method='logit') needs finite bounds=(lower, upper) with "
                f"lower < 1 < upper (for every row); got {_show(bounds)}."
            )
        A = (hi - lo) / ((hi - 1) * (1 - lo))

        def fm1(u):
            e = np.exp(np.clip(A * u, -700, 700))
            return (lo * (hi - 1) + hi * (1 - lo) * e) / (hi - 1 + (1 - lo) * e) - 1

        def df(u):
            e = np.exp(np.clip(A * u, -700, 700))
            den = hi - 1 + (1 - lo) * e
            return (hi * (1 - lo) * e * A / den
                    - (lo * (hi - 1) + hi * (1 - lo) * e) * (1 - lo) * e * A / den ** 2)
    else:
        raise DesignError(
            f"calibrate: method must be 'linear', 'raking' or 'logit'; got {method!r}."
        )
    return fm1, df


def _show(bounds) -> str:
    lo, hi = bounds
    return f"({lo:g}, {hi:g})" if np.ndim(lo) == 0 and np.ndim(hi) == 0 else \
        f"per-row bounds from {np.min(lo):g} to {np.max(hi):g}"


def greg_g(M: np.ndarray, w: np.ndarray, pop: np.ndarray, *, method: str, bounds,
           tol: float, max_iter: int, sigma2=None):
    """g-weights for one weight vector (R ``grake``: Newton on the dual).

    ``M`` is the model matrix (rows, or cells with the weight per cell in
    ``w``); ``sigma2`` the working variances (or None).  Returns
    ``(g, iterations, error)``.
    """
    fm1, dF = _calfun(method, bounds)
    s2 = 1.0 if sigma2 is None else sigma2
    sample_total = M.T @ w
    eta = np.zeros(M.shape[1])
    it = 0
    err = np.inf
    for it in range(1, max_iter + 1):
        xeta = M @ eta / s2
        T = (M * (w * dF(xeta) / s2)[:, None]).T @ M
        misfit = pop - sample_total - M.T @ (w * fm1(xeta))
        deta = np.linalg.pinv(T, rcond=256 * np.finfo(float).eps, hermitian=True) @ misfit
        eta = eta + deta
        g = 1 + fm1(M @ eta / s2)
        halve = 0
        while (not np.all(np.isfinite(g))) and halve < 50:
            deta = deta / 2
            eta = eta - deta
            g = 1 + fm1(M @ eta / s2)
            halve += 1
        misfit = pop - sample_total - M.T @ (w * (g - 1))
        err = float(np.max(np.abs(misfit) / (1 + np.abs(pop))))
        if err < tol:
            return g, it, err
    raise ConvergenceError(
        f"calibrate(method={method!r}) did not converge in {max_iter} iterations "
        f"(largest relative misfit {err:.3g} > tol={tol:g}); the bounds may be "
        "too tight or the totals inconsistent with the sample."
    )


def model_from_totals(data: pd.DataFrame, totals, what: str):
    """Build the row model matrix for population totals keyed by column.

    Keys: ``"(Intercept)"`` (population size), the name of a numeric column
    (its population total), or a tuple ``(column, level)`` (count of the
    level).  Returns ``(M, pop, names)``.
    """
    if isinstance(totals, pd.Series):
        totals = totals.to_dict()
    if not isinstance(totals, dict) or not totals:
        raise DesignError(
            f"{what}: population_totals must be a dict/Series of totals or a dict "
            f"{{column: Series of level counts}}; got {type(totals).__name__}."
        )
    n = len(data)
    cols, pop, names = [], [], []
    for key, value in totals.items():
        if key in (INTERCEPT, "Intercept", "1", 1):
            cols.append(np.ones(n))
        elif isinstance(key, tuple) and len(key) == 2:
            c, level = key
            _check_columns(data, [c], what)
            cols.append((data[c] == level).to_numpy(dtype=float))
        elif isinstance(key, str) and key in data.columns:
            _check_columns(data, [key], what)
            if not pd.api.types.is_numeric_dtype(data[key]):
                raise DesignError(
                    f"{what}: column {key!r} is not numeric; give level counts with "
                    f"keys ({key!r}, level) or the margin form {{{key!r}: Series}}."
                )
            cols.append(data[key].to_numpy(dtype=float))
        else:
            raise DesignError(
                f"{what}: cannot read total key {key!r}; use '(Intercept)', a numeric "
                "column name, or a (column, level) tuple."
            )
        pop.append(float(value))
        names.append(key)
    return np.column_stack(cols), np.asarray(pop), names


def _row_values(data: pd.DataFrame, value, n: int, what: str, name: str) -> np.ndarray:
    """A scalar, a column name or one number per row -> float array (scalar kept 0-d)."""
    if isinstance(value, str):
        _check_columns(data, [value], what)
        value = data[value]
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DesignError(
            f"{what}: {name} must be a number, a column name or one number per row; got "
            f"{type(value).__name__} ({exc})."
        ) from exc
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size != n):
        raise DesignError(
            f"{what}: {name} has {arr.size} values; give one number for every row, or one "
            f"per row of the data ({n})."
        )
    if np.isnan(arr).any():
        rows = np.flatnonzero(np.isnan(np.atleast_1d(arr)))
        raise DesignError(
            f"{what}: {name} is missing (NaN) in {rows.size} row(s) (first: row {rows[0] + 1}); "
            "write -inf/inf for no bound."
        )
    return arr


def parse_bounds(data: pd.DataFrame, bounds, w: np.ndarray, *, bounds_const: bool, what: str):
    """``bounds`` -> one (lower, upper) pair of g-bounds per column of ``w``."""
    n = w.shape[0]
    if bounds is None:
        return [(-np.inf, np.inf)] * w.shape[1]
    if isinstance(bounds, dict):
        bounds = (bounds.get("lower", -np.inf), bounds.get("upper", np.inf))
    if isinstance(bounds, (str, bytes)) or not hasattr(bounds, "__len__") or len(bounds) != 2:
        raise DesignError(
            f"{what}: bounds must be a pair (lower, upper) -- numbers, column names or one "
            f"number per row each (R bounds = list(lower = l, upper = u)); got {bounds!r}."
        )
    lo = _row_values(data, bounds[0], n, what, "the lower bound")
    hi = _row_values(data, bounds[1], n, what, "the upper bound")
    bad = np.flatnonzero(np.atleast_1d(np.broadcast_to(lo, (n,)) > np.broadcast_to(hi, (n,))))
    if bad.size:
        r = bad[0]
        raise DesignError(
            f"{what}: the lower bound exceeds the upper bound in {bad.size} row(s) (first: row "
            f"{r + 1}, {np.broadcast_to(lo, (n,))[r]:g} > {np.broadcast_to(hi, (n,))[r]:g})."
        )
    out = []
    for j in range(w.shape[1]):
        if bounds_const:
            # R bounds.const: the bounds are on the weights; as g-bounds, bound / weight
            wj = w[:, j]
            with np.errstate(divide="ignore", invalid="ignore"):
                out.append((np.where(wj > 0, lo / wj, lo), np.where(wj > 0, hi / wj, hi)))
        else:
            out.append((lo, hi))
    return out


def parse_variance(data: pd.DataFrame, variance, M: np.ndarray, what: str):
    """R ``variance=``: one working variance per row, or coefficients ``v`` with
    ``sigma2 = M v`` (one per calibration variable); None when not given."""
    if variance is None:
        return None
    n, q = M.shape
    if isinstance(variance, str):
        _check_columns(data, [variance], what)
        variance = data[variance]
    arr = np.asarray(variance, dtype=float).reshape(-1)
    if arr.size == q and arr.size != n:
        arr = M @ arr
    elif arr.size != n:
        raise DesignError(
            f"{what}: variance has {arr.size} values; give one per row ({n}), one per "
            f"calibration variable ({q}), or a column name."
        )
    if not np.all(np.isfinite(arr)) or (arr <= 0).any():
        r = int(np.flatnonzero(~(np.isfinite(arr) & (arr > 0)))[0])
        raise DesignError(
            f"{what}: variance must be positive and finite for every row; row {r + 1} has "
            f"{arr[r]:g}."
        )
    return arr


def calibrate(data: pd.DataFrame, w: np.ndarray, population_totals, *, method: str,
              bounds, tol: float, max_iter: int, variance=None, bounds_const: bool = False):
    """GREG-type calibration of every column of ``w`` (R ``calibrate``).

    ``population_totals`` is either the rake-style margins dict
    ``{column: Series of level counts}`` (or ``{(col1, col2): counts of
    their combinations}``; collapsed to cells) or totals for model-matrix
    columns (see :func:`model_from_totals`).  ``variance`` and per-row
    ``bounds`` are described in the module docstring.
    """
    what = "calibrate"
    gbounds = parse_bounds(data, bounds, w, bounds_const=bounds_const, what=what)
    per_row = bounds_const or any(np.ndim(b) for pair in gbounds for b in pair) or (
        variance is not None)
    is_margins = isinstance(population_totals, dict) and population_totals and all(
        isinstance(v, (pd.Series, pd.DataFrame)) for v in population_totals.values())
    if is_margins:
        cols, codes, pops, levels = parse_margins(data, population_totals, what)
        cells = make_cells(codes, [len(p) for p in pops])
        Mc = _dummies(cells)
        pop = np.concatenate([pops[0]] + [p[1:] for p in pops[1:]])
        cw = _cell_weights(cells, w)
        for m, c in enumerate(cols):
            sample = np.bincount(cells.margin_of_cell[m], weights=cw[:, 0],
                                 minlength=len(pops[m]))
            _check_margin(sample, pops[m], levels[m], what, c)
        if not per_row:
            return _calibrate_cells(w, cells, Mc, cw, pop, method, gbounds[0], tol, max_iter)
        M = Mc[cells.codes]              # per-row bounds or variances: the row-level model
    else:
        M, pop, _ = model_from_totals(data, population_totals, what)
        if not np.all(np.isfinite(M)):
            raise DesignError(f"{what}: calibration variables have missing values; impute them first.")
    sigma2 = parse_variance(data, variance, M, what)
    s2 = 1.0 if sigma2 is None else sigma2
    gs, its, errs = [], [], []
    linear = method == "linear" and not any(np.isfinite(b).any() for b in gbounds[0])
    for j in range(w.shape[1]):
        if linear:
            # one linear solve (R regcalibrate)
            T = (M * (w[:, j] / s2)[:, None]).T @ M
            lam = _solver(T)(pop - M.T @ w[:, j])
            g, it = 1 + M @ lam / s2, 1
            misfit = pop - M.T @ (w[:, j] * g)
            err = float(np.max(np.abs(misfit) / (1 + np.abs(pop))))
        else:
            g, it, err = greg_g(M, w[:, j], pop, method=method, bounds=gbounds[j],
                                tol=tol, max_iter=max_iter, sigma2=sigma2)
        gs.append(g)
        its.append(it)
        errs.append(err)
    new_w = w * np.column_stack(gs)
    step = CalStep("calibrate", M, _col0(w), _col0(new_w), codes=None,
                   n_iter=its[0], max_error=errs[0],
                   sigma2=sigma2 if linear else None)   # R: grake keeps qr(mm * sqrt(w))
    return new_w, step


def _calibrate_cells(w, cells, Mc, cw, pop, method, bounds, tol, max_iter):
    """Calibration on the table of cells (common bounds, no working variances)."""
    keep = cw[:, 0] > 0
    gs, its, errs = [], [], []
    for j in range(w.shape[1]):
        gc = np.ones(cells.n_cells)
        g, it, err = greg_g(Mc[keep], cw[keep, j], pop, method=method, bounds=bounds,
                            tol=tol, max_iter=max_iter)
        gc[keep] = g
        gs.append(gc[cells.codes])
        its.append(it)
        errs.append(err)
    new_w = w * np.column_stack(gs)
    step = CalStep("calibrate", Mc, _col0(w), _col0(new_w),
                   codes=cells.codes, n_iter=its[0], max_error=errs[0])
    return new_w, step
