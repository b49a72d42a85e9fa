"""What this wave tells the next one: per-cell inputs of the mailing plan.

The next wave is planned on the cells of the mailing frame (district x age
band for the midori survey: 30 cells).  For every cell ``h`` this module
takes from the wave just analysed

* ``N_h`` -- the population count (the raking margins, summed over sex);
* ``m_h`` -- the questionnaires mailed.  From a mailing file (one row per
  cell: ``district, age_band, mailed``) when the contractor kept one, else
  the *expected* counts of a simple random sample, ``fielding.mailed x
  N_h / N`` (the questionnaire's ``fielding`` block records the total);
* ``r_h`` -- the response rate.  Cells are small (内間木 has about 45
  mailed questionnaires in all), so by default the rate is smoothed by a
  binomial logit model with main effects of age band and district fitted to
  the cell counts (R ``glm(cbind(returned, mailed - returned) ~ factor(age)
  + factor(district), binomial)``); ``response_model="cells"`` keeps the
  observed rates, ``"age"`` uses age band only.  Respondents whose age band
  or district is unknown are spread over the cells in proportion to the
  placed respondents (the rates are scaled by returned / placed);
* ``a_h`` -- the share of respondents who answer the item (わからない and
  無回答 drop out of the index), pooled over districts within each age band;
* ``S_h^2`` -- the item's variance within the cell.  A cell's sample
  variance ``s_h^2`` on ``n_h - 1`` degrees of freedom is shrunk towards a
  multiplicative model ``s_a^2 s_d^2 / s^2`` (the pooled within-cell
  variances of its age band and of its district over the pooled value of
  all cells; the district value itself shrunk towards ``s^2``) with
  ``prior_df`` (default 10) degrees of freedom: ``S_h^2 = ((n_h - 1) s_h^2
  + 10 model) / (n_h - 1 + 10)``.  Empty cells take the model value;
* ``deff_w`` -- the design effect of the weights *beyond* the
  stratification: Kish's ``n sum(w^2) / (sum w)^2`` within every cell
  (Kish 1965, sec. 11.7; Gabler, Haeder & Lahiri 1999), pooled over cells
  with weights ``W_h^2 S_h^2 / n_h`` (each cell's share of the stratified
  variance).  Raking to age x sex x district margins moves the weights
  within a cell mainly for sex, so ``deff_w`` is close to 1.

The wave's own design-based estimates (city, every district and age band)
are kept too: a detectable change is judged against them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from survey.intake.counts import cell_codes, count_column
from survey.intake.sidetables import read_mailing
from survey.errors import DesignError, InputError
from survey.validation import check_design, check_level
from survey.planning.models import (
    additive_means,
    fit_response_rates,
    kish_by_cell,
    pooled_deff,
    shrunk_variance,
)

__all__ = ["CELL_COLUMNS", "ITEM_COLUMNS", "PlanInputs", "planning_inputs"]

#: Columns of :attr:`PlanInputs.cells` (after the two cell keys).
CELL_COLUMNS = ["population", "mailed", "returned", "observed_rate", "response_rate"]
#: Columns of every frame in :attr:`PlanInputs.items` (after the two cell keys).
ITEM_COLUMNS = ["answered", "mean", "fitted_mean", "sample_variance", "variance", "answer_rate", "kish_deff"]


@dataclass(frozen=True)
class PlanInputs:
    """Per-cell inputs of a mailing plan, estimated from one wave.

    Attributes
    ----------
    keys : tuple of str
        ``(group, other)``: the planning group (e.g. ``"district"``, whose
        levels can get minimum sizes and their own targets) and the other
        cell variable (``"age_band"``).
    cells : DataFrame
        One row per population cell: the two keys, then
        :data:`CELL_COLUMNS` (``returned`` is scaled for respondents whose
        cell is unknown).
    items : dict of DataFrame
        ``{measure: frame}``, one row per cell: the keys then
        :data:`ITEM_COLUMNS` (``variance`` is the smoothed ``S_h^2``).
    deff : dict of float
        ``{measure: deff_w}``; key ``"_unit"`` is the deff for proportions
        (pooled with weights ``W_h^2 / n_h``).
    wave : DataFrame
        This wave's design-based estimates: ``measure, domain, level,
        estimate, se, n``
        (``domain`` is ``"city"``, the group or the other key; ``level`` 0
        for the city).
    labels : dict
        ``{measure: label}`` and ``{key: {code: label}}``.
    names : dict
        ``{key: display name}`` of the cell keys (the question's heading
        after its number, e.g. 地区), for table headings.
    mailing_source : str
        ``"file"``, ``"counts"`` or ``"expected (fielding.mailed x population share)"``.
    response_model : str
    notes : tuple of str
    """

    keys: tuple
    cells: pd.DataFrame = field(repr=False)
    items: dict = field(repr=False)
    deff: dict
    wave: pd.DataFrame = field(repr=False)
    labels: dict = field(repr=False)
    mailing_source: str = ""
    response_model: str = "main"
    notes: tuple = ()
    names: dict = field(default_factory=dict, repr=False)

    @property
    def measures(self) -> tuple:
        return tuple(self.items)

    def table(self, measure: str | None = None) -> pd.DataFrame:
        """Cells and one measure's inputs side by side (what the plan used)."""
        measure = measure or self.measures[0]
        if measure not in self.items:
            raise DesignError(f"unknown measure {measure!r}; the inputs hold {list(self.items)}")
        item = self.items[measure].drop(columns=list(self.keys))
        return pd.concat([self.cells, item], axis=1)


# --------------------------------------------------------------------------- measures
def _measure_specs(measures, questionnaire, data) -> list[tuple[str, str, dict | None, str]]:
    """``[(name, column, {code: value} or None, label)]``."""
    if measures is None:
        if questionnaire is not None:
            specs = []
            for ind in questionnaire.indicators:
                column = ind.get("question")
                if column in questionnaire and ind.get("statistic") in ("score_mean", "numeric_mean"):
                    q = questionnaire[column]
                    mapping = q.scores if ind["statistic"] == "score_mean" else q.numeric_map
                    specs.append((ind["id"], column, dict(mapping), ind.get("label", ind["id"])))
            if specs:
                return specs
        raise InputError("no measure to plan for: pass measures={'name': 'column'} or "
                         "{'name': ('column', {code: value})}, or a questionnaire with indicators")
    if not isinstance(measures, dict) or not measures:
        raise InputError(f"measures must be a non-empty dict {{name: column}} or {{name: (column, "
                         f"{{code: value}})}}; got {measures!r}")
    specs = []
    for name, spec in measures.items():
        column, mapping = (spec, None) if isinstance(spec, str) else tuple(spec) if (
            isinstance(spec, (tuple, list)) and len(spec) == 2) else (None, None)
        if not isinstance(column, str):
            raise InputError(f"measure {name!r}: give a column name or (column, {{code: value}}); got {spec!r}")
        if mapping is None and questionnaire is not None and column in questionnaire:
            q = questionnaire[column]
            mapping = dict(q.scores) or dict(q.numeric_map) or None
        label = name
        specs.append((str(name), column, None if mapping is None else dict(mapping), label))
    return specs


def _values(data: pd.DataFrame, column: str, mapping, missing_codes) -> np.ndarray:
    if column not in data.columns:
        raise InputError(f"column {column!r} is not in the design data; available: {list(data.columns)[:20]}",
                         column=column)
    s = data[column]
    if not pd.api.types.is_numeric_dtype(s.dtype):
        raise InputError(f"column {column!r} must hold numeric codes or values (dtype {s.dtype}); "
                         "read the data with survey.intake.load", column=column)
    x = s.to_numpy(dtype=float, na_value=np.nan)
    if mapping is not None:
        return pd.Series(x).map({float(k): float(v) for k, v in mapping.items()}).to_numpy(dtype=float)
    return np.where(np.isin(x, list(missing_codes)), np.nan, x)


# --------------------------------------------------------------------------- inputs
def _cell_frame(frame: pd.DataFrame, keys, value: str, what: str, *, path=None) -> pd.Series:
    missing = [c for c in (*keys, value) if c not in frame.columns]
    if missing:
        raise InputError(f"the {what} need columns {[*keys, value]}; missing {missing} "
                         f"(found {list(frame.columns)})", path=path)
    v = count_column(frame, value, f"the {what} must be non-negative numbers", path=path)
    idx = pd.MultiIndex.from_frame(cell_codes(frame, list(keys), path=path))
    return pd.Series(v.to_numpy(dtype=float), index=idx).groupby(level=[0, 1]).sum()


def _mailing(mailed, questionnaire, population: pd.Series, keys) -> tuple[np.ndarray, str, list]:
    notes = []
    path = None
    if isinstance(mailed, (str, Path)):
        path, mailed = mailed, read_mailing(mailed, keys)
    if isinstance(mailed, pd.DataFrame):
        counts = _cell_frame(mailed, keys, "mailed", "mailing counts", path=path)
        extra = counts.index.difference(population.index)
        if len(extra):
            raise InputError(f"mailing counts hold cells {list(extra)[:5]} that the population does not have",
                             path=path)
        absent = population.index.difference(counts.index)
        if len(absent):
            notes.append(f"{len(absent)} population cell(s) absent from the mailing counts were taken as 0 mailed")
        m = counts.reindex(population.index, fill_value=0.0).to_numpy(dtype=float)
        return m, "file", notes
    total = mailed
    if total is None:
        fielding = dict(getattr(questionnaire, "fielding", {}) or {})
        total = fielding.get("mailed")
        if total is None:
            raise InputError("the number mailed is unknown: pass mailed= (a total, or a DataFrame / CSV of "
                             "mailed per cell) or a questionnaire whose fielding block has 'mailed'")
    if isinstance(total, bool) or not isinstance(total, (int, float, np.integer, np.floating)) or total <= 0:
        raise InputError(f"mailed must be a positive number, a DataFrame or a CSV path; got {total!r}")
    m = float(total) * population.to_numpy(dtype=float) / float(population.sum())
    notes.append(f"mailing per cell not recorded: expected counts of a simple random sample of {total:g} "
                 "(fielding.mailed x population share) were used")
    return m, "expected (fielding.mailed x population share)", notes


def planning_inputs(design, *, population: pd.DataFrame, mailed=None, questionnaire=None, measures=None,
                    group: str | None = None, other: str | None = None, response_model: str = "main",
                    prior_df: float = 10.0, deff: float | None = None, level: float = 0.95) -> PlanInputs:
    """Estimate the per-cell inputs of the next wave's mailing plan.

    Parameters
    ----------
    design : survey.design.Design
        This wave's weighted design (``survey.weighting.wave.weight_wave``).
        Its data need the two cell keys as reported by the respondents.
    population : DataFrame
        Population counts: the cell keys and ``count`` (further columns,
        e.g. ``sex``, are summed over) -- the raking margins file.
    mailed : int, DataFrame or path, optional
        Questionnaires mailed this wave: per cell (``group, other,
        mailed``) or a total spread over the cells by population share;
        default ``questionnaire.fielding["mailed"]`` spread the same way.
    questionnaire : Questionnaire, optional
        Gives the measures (indicators with ``score_mean`` or
        ``numeric_mean``), their scores / numeric maps, missing codes and
        labels.
    measures : dict, optional
        ``{name: column}`` or ``{name: (column, {code: value})}``; default
        the questionnaire's indicators (``score_mean``, ``numeric_mean``).
    group, other : str, optional
        Cell keys; ``group`` is the planning group (minimum sizes,
        per-group targets).  Default: the questionnaire plan's
        ``weighting.cells``.
    response_model : {"main", "age", "cells"}
        Smoothing of the response rates (see the module notes).
    prior_df : float, default 10
        Degrees of freedom of the variance model in the shrinkage of cell
        variances (and of the overall value in the shrinkage of the level
        factors); 0 keeps the cell variances (empty cells still take the
        model value).
    deff : float, optional
        Override of ``deff_w`` for every measure.
    level : float
        Confidence level of this wave's estimates (kept for reference).

    Returns
    -------
    PlanInputs
    """
    design = check_design(design, what="planning_inputs")
    level = check_level(level)
    data, w = design.data, np.asarray(design.weights, dtype=float)
    if group is None or other is None:
        cells = getattr(getattr(questionnaire, "plan", None), "cells", ())
        if len(cells) != 2:
            raise InputError("the cell keys are unknown: pass group= and other= (e.g. the district and age band "
                             "columns), or a questionnaire whose analysis plan declares weighting.cells")
        group, other = cells
    keys = (group, other)
    for k in keys:
        if k not in data.columns:
            raise InputError(f"the design data have no column {k!r} (a cell key); available: "
                             f"{list(data.columns)[:20]}", column=k)
    if not isinstance(population, pd.DataFrame):
        raise InputError(f"population must be a DataFrame of counts ({group}, {other}, count); "
                         f"got {type(population).__name__}")
    pop = _cell_frame(population, keys, "count", "population counts")
    pop.index.names = list(keys)
    if pop.sum() <= 0:
        raise InputError("the population counts sum to 0")
    if prior_df < 0 or not np.isfinite(prior_df):
        raise DesignError(f"prior_df must be a non-negative number; got {prior_df!r}")
    if deff is not None and not (np.isfinite(deff) and deff > 0):
        raise DesignError(f"deff must be a positive number; got {deff!r}")
    m, source, notes = _mailing(mailed, questionnaire, pop, keys)
    g_codes = pop.index.get_level_values(0).to_numpy()
    o_codes = pop.index.get_level_values(1).to_numpy()
    n_cells = len(pop)

    # place respondents (rows with positive weight) in the population cells
    lookup = {key: i for i, key in enumerate(pop.index)}
    kg = pd.to_numeric(data[group], errors="coerce").to_numpy(dtype=float)
    ko = pd.to_numeric(data[other], errors="coerce").to_numpy(dtype=float)
    # each distinct pair of codes looked up once (a million respondents hold a few dozen)
    ok = np.isfinite(kg) & np.isfinite(ko)
    at_g, uniq_g = pd.factorize(kg[ok])
    at_o, uniq_o = pd.factorize(ko[ok])
    table = np.array([[lookup.get((int(a), int(b)), -1) for b in uniq_o] for a in uniq_g],
                     dtype=np.int64).reshape(len(uniq_g), len(uniq_o))
    cell_id = np.full(len(kg), -1, dtype=np.int64)
    cell_id[ok] = table[at_g, at_o]
    active = w > 0
    placed = active & (cell_id >= 0)
    n_unit = np.bincount(cell_id[placed], minlength=n_cells).astype(float)
    scale = active.sum() / placed.sum() if placed.any() else np.nan
    if not placed.any():
        raise InputError(f"no respondent has a known {group} and {other} of the population cells")
    if scale > 1:
        notes.append(f"{int(active.sum() - placed.sum())} respondent(s) with unknown {group}/{other} "
                     f"spread over the cells (returned counts x {scale:.4f})")
    returned = n_unit * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.where(m > 0, returned / m, np.nan)
    rate = fit_response_rates(returned, m, g_codes, o_codes, model=response_model)
    cells = pd.DataFrame({group: g_codes, other: o_codes, "population": pop.to_numpy(dtype=float),
                          "mailed": m, "returned": returned, "observed_rate": observed,
                          "response_rate": rate})
    W = cells["population"].to_numpy() / cells["population"].sum()

    specs = _measure_specs(measures, questionnaire, data)
    missing_codes = set()
    if questionnaire is not None:
        for spec in specs:
            if spec[1] in questionnaire:
                missing_codes |= set(questionnaire[spec[1]].missing)
    items, deffs, wave_rows, labels = {}, {}, [], {}
    kish_unit = kish_by_cell(cell_id, w, placed, n_cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        deffs["_unit"] = float(deff) if deff is not None else pooled_deff(kish_unit, W ** 2 / n_unit)
    for name, column, mapping, label in specs:
        y = _values(data, column, mapping, missing_codes)
        ok = placed & np.isfinite(y)
        if ok.sum() < 2:
            raise InputError(f"measure {name!r}: fewer than two respondents answered {column!r}")
        cnt = np.bincount(cell_id[ok], minlength=n_cells).astype(float)
        s1 = np.bincount(cell_id[ok], weights=y[ok], minlength=n_cells)
        s2 = np.bincount(cell_id[ok], weights=y[ok] ** 2, minlength=n_cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(cnt > 0, s1 / cnt, np.nan)
            svar = np.where(cnt > 1, (s2 - cnt * mean ** 2) / (cnt - 1), np.nan)
        svar = np.where(np.isfinite(svar), np.maximum(svar, 0.0), np.nan)
        variance = shrunk_variance(svar, cnt - 1, g_codes, o_codes, prior_df)
        # item answer rate pooled over groups within each level of the other key
        answer = np.empty(n_cells)
        for lvl in np.unique(o_codes):
            sel = o_codes == lvl
            answer[sel] = cnt[sel].sum() / n_unit[sel].sum() if n_unit[sel].sum() > 0 else cnt.sum() / n_unit.sum()
        kish = kish_by_cell(cell_id, w, ok, n_cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            contribution = W ** 2 * variance / cnt
        deffs[name] = float(deff) if deff is not None else pooled_deff(kish, contribution)
        fitted = additive_means(np.nan_to_num(mean), cnt, g_codes, o_codes)
        items[name] = pd.DataFrame({group: g_codes, other: o_codes, "answered": cnt, "mean": mean,
                                    "fitted_mean": fitted,
                                    "sample_variance": svar, "variance": variance, "answer_rate": answer,
                                    "kish_deff": kish})
        labels[name] = label
        wave_rows.append(_wave_estimates(design, name, y, data, keys, pop.index, level))
    names = {}
    for k in keys:
        names[k] = k
        if questionnaire is not None and k in questionnaire:
            labels[k] = {int(c): questionnaire[k].label(int(c)) for c in pop.index.get_level_values(k).unique()}
            names[k] = questionnaire[k].header.split(" ", 1)[-1]
    return PlanInputs(keys=keys, cells=cells, items=items, deff=deffs, wave=pd.concat(wave_rows, ignore_index=True),
                      labels=labels, mailing_source=source, response_model=response_model, notes=tuple(notes),
                      names=names)


def _wave_estimates(design, name, y, data, keys, cells: pd.MultiIndex, level) -> pd.DataFrame:
    """This wave's design-based mean of ``y`` for the city and every level of
    the keys present in the cells: ``Design.domain_means`` over those (overlapping) domains."""
    w = np.asarray(design.weights, dtype=float)
    n = len(y)
    domains = {("city", 0): np.ones(n, dtype=bool)}
    for i, k in enumerate(keys):
        codes = pd.to_numeric(data[k], errors="coerce").to_numpy(dtype=float)
        for lvl in sorted(cells.get_level_values(i).unique()):
            sel = codes == lvl
            if np.count_nonzero(sel & np.isfinite(y) & (w > 0)) >= 2:
                domains[(k, int(lvl))] = sel
    rows = list(domains)
    f = design.domain_means(y, list(domains.values()), index=pd.RangeIndex(len(rows)), level=level).to_frame()
    return pd.DataFrame({"measure": name, "domain": [r[0] for r in rows], "level": [r[1] for r in rows],
                         "estimate": f["estimate"].to_numpy(), "se": f["se"].to_numpy(),
                         "n": f["n"].to_numpy()})
