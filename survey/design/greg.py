"""GREG-type calibration (R ``calibrate``): linear, raking and logit
calibration functions solved by Newton's method on the dual (R ``grake``),
for categorical margins (collapsed to cells) or model-matrix totals.

The variance adjustment is the same :class:`~survey.design.calibration.CalStep`
residualisation as for raking and post-stratification.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.calibration import (
    INTERCEPT,
    CalStep,
    _cell_weights,
    _check_columns,
    _check_margin,
    _col0,
    _dummies,
    _solver,
    make_cells,
    parse_margins,
)
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
        if not (np.isfinite(lo) and np.isfinite(hi)) or not lo < 1 < hi:
            raise DesignError(
                f"calibrate(method='logit') needs finite bounds=(lower, upper) with "
                f"lower < 1 < upper; got {bounds}."
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


def greg_g(M: np.ndarray, w: np.ndarray, pop: np.ndarray, *, method: str, bounds,
           tol: float, max_iter: int, counts: np.ndarray | None = None):
    """g-weights for one weight vector (R ``grake``: Newton on the dual).

    ``M`` is the model matrix (rows, or cells with ``counts`` = weight per
    cell already folded into ``w``).  Returns ``(g, iterations, error)``.
    """
    fm1, dF = _calfun(method, bounds)
    sample_total = M.T @ w
    eta = np.zeros(M.shape[1])
    it = 0
    err = np.inf
    for it in range(1, max_iter + 1):
        xeta = M @ eta
        T = (M * (w * dF(xeta))[:, None]).T @ M
        misfit = pop - sample_total - M.T @ (w * fm1(xeta))
        deta = np.linalg.pinv(T, rcond=256 * np.finfo(float).eps, hermitian=True) @ misfit
        eta = eta + deta
        g = 1 + fm1(M @ eta)
        halve = 0
        while (not np.all(np.isfinite(g))) and halve < 50:
            deta = deta / 2
            eta = eta - deta
            g = 1 + fm1(M @ eta)
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


def calibrate(data: pd.DataFrame, w: np.ndarray, population_totals, *, method: str,
              bounds, tol: float, max_iter: int):
    """GREG-type calibration of every column of ``w`` (R ``calibrate``).

    ``population_totals`` is either the rake-style margins dict
    ``{column: Series of level counts}`` (collapsed to cells) or totals for
    model-matrix columns (see :func:`model_from_totals`).
    """
    what = "calibrate"
    if bounds is None:
        bounds = (-np.inf, np.inf)
    bounds = (float(bounds[0]), float(bounds[1]))
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
        G = np.column_stack(gs)
        new_w = w * G
        step = CalStep("calibrate", Mc, _col0(w), _col0(new_w),
                       codes=cells.codes, iterations=its[0], max_error=errs[0])
        return new_w, step
    M, pop, _ = model_from_totals(data, population_totals, what)
    if not np.all(np.isfinite(M)):
        raise DesignError(f"{what}: calibration variables have missing values; impute them first.")
    gs, its, errs = [], [], []
    for j in range(w.shape[1]):
        if method == "linear" and not np.isfinite(bounds).any():
            # one linear solve (R regcalibrate)
            T = (M * w[:, j, None]).T @ M
            lam = _solver(T)(pop - M.T @ w[:, j])
            g, it = 1 + M @ lam, 1
            misfit = pop - M.T @ (w[:, j] * g)
            err = float(np.max(np.abs(misfit) / (1 + np.abs(pop))))
        else:
            g, it, err = greg_g(M, w[:, j], pop, method=method, bounds=bounds,
                                tol=tol, max_iter=max_iter)
        gs.append(g)
        its.append(it)
        errs.append(err)
    new_w = w * np.column_stack(gs)
    step = CalStep("calibrate", M, _col0(w), _col0(new_w), codes=None,
                   iterations=its[0], max_error=errs[0])
    return new_w, step
