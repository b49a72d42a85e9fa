"""Weight calibration: post-stratification, raking and GREG calibration.

Every function takes the current weights ``w`` as an ``(n, k)`` array (one
column for a linearised design, ``1 + R`` columns for a replicate design:
every replicate is calibrated separately, as R does) and returns the new
weights together with a :class:`CalStep` recording what the linearised
variance needs.

Variance after calibration (R ``svyrecvar`` with ``postStrata``): the
weighted contributions ``z`` are replaced by residuals
``e = z - w1 * (M @ beta)`` where ``beta`` is the weighted least-squares fit
(weights ``w0``, the weights before the step) of ``z / w1`` on the
calibration model matrix ``M``.  This is exactly what R's ``postStratify``
and ``calibrate`` store; R's ``rake`` instead runs ten sweeps of
unweighted back-fitting, which converges to the same residuals when the
pre-raking weights are constant within the margins (e.g. ``apiclus1``) and
is an approximation of them otherwise.

GREG calibration to model-matrix totals lives in :mod:`survey.design.greg`,
the variance record :class:`CalStep` in :mod:`survey.design.calstep`.

Categorical calibration models are collapsed to the table of cells
(every combination of the margins' levels): the iterations run on the
cell totals and the result is expanded back to the rows, so raking a
million rows costs a few bincounts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.design.calstep import CalStep, _col0
from survey.errors import ConvergenceError, DesignError

__all__: list[str] = []

INTERCEPT = "(Intercept)"


# ------------------------------------------------------------- level coding
def level_codes(values: pd.Series, levels: pd.Index, *, what: str) -> np.ndarray:
    """Position of every value in ``levels``; raise on unknown or missing."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        pos = levels.get_indexer(values.cat.categories)
        raw = values.cat.codes.to_numpy()       # -1 marks a missing value
        if np.array_equal(pos, np.arange(len(pos))):
            codes = raw                          # same order: the codes are the levels
        else:
            codes = np.append(pos, -1)[raw]      # -1 (missing) picks the appended -1
    elif (pd.api.types.is_integer_dtype(values.dtype) and len(levels)
          and pd.api.types.is_integer_dtype(levels.dtype)):
        arr = values.to_numpy()
        lo, hi = int(min(arr.min(), levels.min())), int(max(arr.max(), levels.max()))
        if hi - lo < 10_000_000:
            table = np.full(hi - lo + 1, -1, dtype=np.int64)
            table[levels.to_numpy().astype(np.int64) - lo] = np.arange(len(levels))
            codes = table[arr.astype(np.int64) - lo]
        else:
            codes = levels.get_indexer(values)
    else:
        # factorise first: hashing a million strings once, then map the few uniques
        raw, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = np.append(levels.get_indexer(uniques), -1)[raw]
    codes = np.asarray(codes)
    if codes.min(initial=0) < 0:
        bad = values[codes < 0]
        shown = list(pd.unique(bad.astype(object)))[:5]
        raise DesignError(
            f"{what}: {int((codes < 0).sum())} row(s) have values {shown} that are "
            f"not among the population levels {levels.tolist()[:10]}; add them to the "
            "population (or recode the column; missing values are not allowed)."
        )
    return codes


def _as_population(population, columns: list[str], what: str) -> pd.Series:
    """Accept a Series (MultiIndex for several columns) or an R-style
    data frame with the columns and ``Freq``; return a Series."""
    if isinstance(population, pd.DataFrame):
        if "Freq" not in population.columns or not set(columns) <= set(population.columns):
            raise DesignError(
                f"{what}: population data frame needs columns {columns} and 'Freq'; "
                f"got {list(population.columns)}."
            )
        population = population.set_index(columns)["Freq"]
    if not isinstance(population, pd.Series):
        raise DesignError(
            f"{what}: population must be a pandas Series of counts indexed by the "
            f"level(s) of {columns} (or a data frame with 'Freq'); got "
            f"{type(population).__name__}."
        )
    pop = population.astype(float)
    vals = pop.to_numpy()
    if np.isnan(vals).any() or (vals < 0).any():
        raise DesignError(f"{what}: population counts must be non-negative numbers; got {pop.to_dict()}.")
    if len(columns) > 1 and pop.index.nlevels != len(columns):
        raise DesignError(
            f"{what}: population for {columns} needs a {len(columns)}-level MultiIndex; "
            f"got {pop.index.nlevels} level(s)."
        )
    return pop


@dataclass(frozen=True)
class Cells:
    """Rows coded into the cells of a table of categorical margins."""

    codes: np.ndarray          # (n,) cell of every row
    n_cells: int
    margin_of_cell: list       # per margin: (n_cells,) level code of each cell
    sizes: list                # per margin: number of levels


def make_cells(margin_codes: list[np.ndarray], sizes: list[int]) -> Cells:
    """Cross-classify rows by several coded margins (mixed-radix cells)."""
    total = int(np.prod(sizes, dtype=float))
    n = margin_codes[0].size
    if total <= max(4 * n, 1_000_000):
        codes = margin_codes[0].astype(np.intp)   # intp: bincount/take need no conversion
        stride = sizes[0]
        for c, k in zip(margin_codes[1:], sizes[1:]):
            codes += c * np.intp(stride)
            stride *= k
        cells = np.arange(total)
        margin_of_cell = []
        stride = 1
        for k in sizes:
            margin_of_cell.append((cells // stride) % k)
            stride *= k
        return Cells(codes, total, margin_of_cell, list(sizes))
    frame = pd.DataFrame({i: c for i, c in enumerate(margin_codes)})
    grouped = frame.groupby(list(frame.columns), sort=False)
    codes = grouped.ngroup().to_numpy(np.int64)
    first = frame.drop_duplicates().to_numpy()
    return Cells(codes, first.shape[0], [first[:, j] for j in range(first.shape[1])], list(sizes))


def _cell_weights(cells: Cells, w: np.ndarray) -> np.ndarray:
    return np.column_stack([
        np.bincount(cells.codes, weights=w[:, j], minlength=cells.n_cells)
        for j in range(w.shape[1])
    ])


def _dummies(cells: Cells, *, drop_first_after: int = 1) -> np.ndarray:
    """Cell-level dummies: all levels of the first margin, levels 2.. of the
    others (full rank when no level is empty)."""
    blocks = []
    for m, (lev, k) in enumerate(zip(cells.margin_of_cell, cells.sizes)):
        d = np.zeros((cells.n_cells, k))
        d[np.arange(cells.n_cells), lev] = 1.0
        blocks.append(d if m < drop_first_after else d[:, 1:])
    return np.hstack(blocks)


def _check_margin(sample: np.ndarray, pop: np.ndarray, levels, what: str, col: str):
    """R postStratify checks: no sample-only and no population-only cells."""
    only_sample = (pop == 0) & (sample > 0)
    if only_sample.any():
        lv = [levels[i] for i in np.flatnonzero(only_sample)[:5]]
        raise DesignError(
            f"{what}: level(s) {lv} of {col!r} have sampled weight but a population "
            "count of 0; fix the population counts or drop those rows."
        )
    only_pop = (pop > 0) & (sample <= 0)
    if only_pop.any():
        lv = [levels[i] for i in np.flatnonzero(only_pop)[:5]]
        raise DesignError(
            f"{what}: level(s) {lv} of {col!r} have population counts but no sampled "
            "weight; collapse them with a neighbouring level before weighting."
        )


# ----------------------------------------------------------- post-stratify
def poststratify(data: pd.DataFrame, w: np.ndarray, by: list[str], population,
                 *, partial: bool = False):
    """Post-stratify every column of ``w`` to the population cell counts.

    Returns ``(new_w, CalStep)``; the step is built from column 0.
    """
    what = "poststratify"
    pop = _as_population(population, by, what)
    _check_columns(data, by, what)
    index = pop.index
    if len(by) == 1:
        key = data[by[0]]
        if isinstance(index, pd.MultiIndex):
            index = index.get_level_values(0)
        codes = level_codes(key, pd.Index(index), what=f"{what} on {by[0]!r}")
    else:
        key = pd.MultiIndex.from_frame(data[by])
        codes = np.asarray(index.get_indexer(key), dtype=np.int64)
        if (codes < 0).any():
            bad = key[codes < 0][:5].tolist()
            raise DesignError(
                f"{what}: row cells {bad} of {by} are missing from the population "
                "index; add them (count 0 is not allowed for sampled cells)."
            )
    C = len(index)
    cw = np.column_stack([np.bincount(codes, weights=w[:, j], minlength=C)
                          for j in range(w.shape[1])])
    pv = pop.to_numpy()
    labels = index.tolist()
    if partial:
        pv = np.where(cw[:, 0] > 0, pv, 0.0)
    _check_margin(cw[:, 0], pv, labels, what, "+".join(by))
    if (cw[:, 1:] <= 0).any() and (pv[:, None] > 0).any():
        empty = (cw[:, 1:] <= 0) & (pv[:, None] > 0)
        if empty.any():
            r = int(np.flatnonzero(empty.any(axis=0))[0]) + 1
            raise DesignError(
                f"{what}: replicate {r} has no weight in a populated cell; "
                "collapse sparse cells before post-stratifying a replicate design, or build "
                "the replicates with replicate('rescaled_bootstrap') (weights stay positive)."
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(cw > 0, pv[:, None] / cw, 1.0)
    new_w = w * g[codes]
    model = np.eye(C)
    step = CalStep("poststratify", model, _col0(w), _col0(new_w), codes=codes)
    return new_w, step


def _check_columns(data: pd.DataFrame, cols, what: str):
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DesignError(f"{what}: column(s) {missing} not in the data; "
                          f"available columns: {list(data.columns)[:20]}.")
    for c in cols:
        if data[c].isna().any():
            raise DesignError(
                f"{what}: column {c!r} has {int(data[c].isna().sum())} missing "
                "value(s); impute or recode them (e.g. an 'unknown' level with its "
                "own population count) before weighting."
            )


# --------------------------------------------------------------------- rake
def _joint_codes(frame: pd.DataFrame, index: pd.MultiIndex, what: str) -> np.ndarray:
    """Position of every row's combination of ``frame``'s columns in ``index``."""
    codes = np.asarray(index.get_indexer(pd.MultiIndex.from_frame(frame)), dtype=np.int64)
    if (codes < 0).any():
        bad = list(dict.fromkeys(map(tuple, frame.loc[codes < 0].itertuples(index=False))))[:5]
        raise DesignError(
            f"{what}: {int((codes < 0).sum())} row(s) have combinations {bad} of "
            f"{list(frame.columns)} that are not in the population table; add them "
            "(with their count) or recode the columns."
        )
    return codes


def parse_margins(data: pd.DataFrame, margins, what: str):
    """Margins -> (keys, codes, pops, levels).

    ``margins`` maps a column to a Series of population counts indexed by
    its levels, or a tuple of columns to counts indexed by their
    combinations (a two-way or higher table: a MultiIndexed Series, or an
    R-style data frame with the columns and ``Freq``), R
    ``rake(sample.margins = list(~a + b, ~c))``.
    """
    if not isinstance(margins, dict) or not margins:
        raise DesignError(
            f"{what}: margins must be a non-empty dict {{column: pandas Series of "
            f"population counts indexed by level}} (or {{(col1, col2): counts indexed by "
            f"both}}); got {type(margins).__name__}."
        )
    keys = list(margins)
    codes, pops, levels = [], [], []
    for key in keys:
        columns = list(key) if isinstance(key, tuple) else [key]
        _check_columns(data, columns, what)
        label = f"{what} margin {key!r}"
        pop = _as_population(margins[key], columns, label)
        if len(columns) == 1:
            idx = pop.index.get_level_values(0) if isinstance(pop.index, pd.MultiIndex) else pop.index
            codes.append(level_codes(data[key], pd.Index(idx), what=label))
            levels.append(pd.Index(idx).tolist())
        else:
            if pop.index.has_duplicates:
                dup = pop.index[pop.index.duplicated()].tolist()[:5]
                raise DesignError(f"{label}: cells {dup} are listed twice; give each cell once.")
            codes.append(_joint_codes(data[columns], pop.index, label))
            levels.append(pop.index.tolist())
        pops.append(pop.to_numpy())
    totals = [p.sum() for p in pops]
    if max(totals) - min(totals) > 1e-9 * max(totals):
        raise DesignError(
            f"{what}: margins have different population totals "
            f"{dict(zip(keys, totals))}; they must describe the same population."
        )
    return keys, codes, pops, levels


def rake(data: pd.DataFrame, w: np.ndarray, margins, *, tol: float, max_iter: int):
    """Iterative proportional fitting of every column of ``w`` to the margins.

    Returns ``(new_w, CalStep)`` (step from column 0, with the number of
    sweeps and the largest relative margin error reached).
    """
    what = "rake"
    cols, codes, pops, levels = parse_margins(data, margins, what)
    cells = make_cells(codes, [len(p) for p in pops])
    cw = _cell_weights(cells, w)
    for m, c in enumerate(cols):
        sample = np.bincount(cells.margin_of_cell[m], weights=cw[:, 0], minlength=len(pops[m]))
        _check_margin(sample, pops[m], levels[m], what, c)
    g = np.ones_like(cw)
    err = np.inf
    it = 0
    for it in range(1, max_iter + 1):
        for m in range(len(cols)):
            lev = cells.margin_of_cell[m]
            tot = np.column_stack([
                np.bincount(lev, weights=cw[:, j] * g[:, j], minlength=len(pops[m]))
                for j in range(cw.shape[1])])
            pop = pops[m][:, None]
            if ((tot <= 0) & (pop > 0)).any():
                j = int(np.flatnonzero(((tot <= 0) & (pop > 0)).any(axis=0))[0])
                raise ConvergenceError(
                    f"rake: {'replicate ' + str(j) if j else 'the sample'} has no "
                    f"weight in a populated level of {cols[m]!r}; collapse levels"
                    + (", or build the replicates with replicate('rescaled_bootstrap') "
                       "(weights stay positive)." if j else ".")
                )
            with np.errstate(divide="ignore", invalid="ignore"):
                fac = np.where(tot > 0, pop / tot, 1.0)
            g *= fac[lev]
        err = _margin_error(cells, cw * g, pops)
        if err < tol:
            break
    else:
        raise ConvergenceError(
            f"rake did not converge in {max_iter} sweeps: largest relative margin "
            f"error {err:.3g} > tol={tol:g}. Raise max_iter, or check for margins "
            "that cannot be met together (empty cells, structural zeros)."
        )
    new_w = w * g[cells.codes]
    step = CalStep("rake", _dummies(cells), _col0(w), _col0(new_w),
                   codes=cells.codes, n_iter=it, max_error=float(err))
    return new_w, step


def _margin_error(cells: Cells, cw: np.ndarray, pops: list) -> float:
    err = 0.0
    for m, pop in enumerate(pops):
        tot = np.column_stack([
            np.bincount(cells.margin_of_cell[m], weights=cw[:, j], minlength=len(pop))
            for j in range(cw.shape[1])])
        pos = pop > 0
        if pos.any():
            err = max(err, float(np.max(np.abs(tot[pos] - pop[pos, None]) / pop[pos, None])))
    return err
