"""Weights for a wave: rake the respondents to the population margins.

Population margins come as a CSV of cell counts (one column per attribute,
holding the questionnaire's codes, and ``count``).  Each attribute's margin
is the sum over the other attributes.  Which attributes are raked, from
which margins columns, and which two form the cells of a mailing file is
the questionnaire's analysis plan (``analysis.weighting``: ``rake``,
``cells``); the examples below use midori's district and age band.

Respondents whose raking attribute is unknown (無回答, or a code the
population does not have, such as 回答しない for sex) cannot be placed in a
population cell.  They are kept: in that margin they form an extra level
``0`` (不明) whose population count is the population total times their
unweighted sample share, and the known levels' counts are scaled down by the
same share.  Every margin still sums to the population total, and the
unknowns keep (on average) the base weight.

Base weights.  Without a mailing file every respondent starts from the same
weight ``N / n`` (a simple random sample).  With one (``mailing=``: one row
per district x age band cell with the questionnaires ``mailed``, as ``survey
plan`` writes it in ``mailing.csv``) the wave is a stratified sample of those
cells: a respondent of cell ``h`` starts from ``N_h / m_h`` (``N_h`` from the
margins, summed over sex), the cells are the design's strata, and raking
starts from there (R ``rake(svydesign(ids = ~1, strata = ~cell, weights =
~N_h / m_h))``).  A respondent whose district or age band is unknown, or who
reports a cell that was not mailed (the sample was drawn on the register's
cell, not the reported one), cannot be given a cell: they form one more
stratum (``0``) and start from the mean base weight of the placed
respondents of their district -- if the district is unknown, of their age
band; if both are, of all placed respondents (a plan that samples a small
district ten times as densely must not give its respondents of unknown age
the city's average weight).  Strata with a single respondent are measured
from the grand mean (R ``options(survey.lonely.psu = "adjust")``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from survey.design import Design
from survey.errors import InputError
from survey.intake.counts import CODE_LIMIT, cell_codes, count_column
from survey.intake.readers import read_side_table
from survey.measures.planning_inputs import read_mailing

__all__ = ["read_margins", "plan_margins", "raking_margins", "mailing_cells", "weight_wave", "UNKNOWN_LEVEL"]

UNKNOWN_LEVEL = 0


def read_margins(path) -> pd.DataFrame:
    """Read a population cell-count table (UTF-8 CSV: attribute codes + ``count``)."""
    path = Path(path)
    frame = read_side_table(path, what="margins", expected="attribute codes and 'count' (see data/SIMULATION.md)")
    if "count" not in frame.columns:
        raise InputError(f"the margins need a 'count' column; found {list(frame.columns)}", path=path)
    count = count_column(frame, "count", "population counts must be non-negative numbers (no thousands separators)",
                         path=path)
    if not count.sum() > 0:
        raise InputError("the population counts add up to 0; give the number of residents in each cell",
                         path=path)
    return frame.assign(count=count.astype(float))


def plan_margins(margins: pd.DataFrame, rake, *, path=None) -> pd.DataFrame:
    """The margins with each raked attribute's column named as the attribute.

    ``rake`` is the plan's ``weighting.rake`` (:class:`~survey.questionnaire_plan.RakeVariable`:
    the question and its margins column).
    """
    renames = {}
    for r in rake:
        if r.column == r.question:
            continue
        if r.column not in margins.columns:
            raise InputError(f"the margins have no column {r.column!r} (the population of {r.question}); "
                             f"columns: {list(margins.columns)}", path=path)
        if r.question in margins.columns:
            raise InputError(f"the margins have both {r.column!r} and {r.question!r}; the plan rakes {r.question} "
                             f"from {r.column!r}, so rename or drop the other column", path=path)
        renames[r.column] = r.question
    return margins.rename(columns=renames) if renames else margins


def _plan_of(dataset, what):
    plan = getattr(getattr(dataset, "questionnaire", None), "plan", None)
    if plan is None:
        raise InputError(f"the {what} are unknown: pass them, or a dataset whose questionnaire declares "
                         "analysis.weighting (questionnaires/README.md)")
    return plan


def _margin_codes(margins: pd.DataFrame, var: str) -> pd.Series:
    """The margins' column ``var`` as numbers (the questionnaire's codes)."""
    if var not in margins.columns:
        raise InputError(f"the margins have no column {var!r}; columns: {list(margins.columns)}")
    codes = pd.to_numeric(margins[var], errors="coerce").astype(float)
    bad = ~np.isfinite(codes) | (codes.abs() > CODE_LIMIT) | (codes != codes.round())  # text, empty, inf, 2.5
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"the margins' column {var!r} holds {margins[var].iloc[row]!r} in row {row + 1}; "
                         "use the questionnaire's numeric codes (labels go in a separate column)")
    return codes


def raking_margins(margins: pd.DataFrame, data: pd.DataFrame, variables, *,
                   base_weights=None) -> tuple[pd.DataFrame, dict]:
    """Prepare raking columns and margins.

    Returns a copy of ``data`` with one column ``_rake_<var>`` per variable
    (unknown values → :data:`UNKNOWN_LEVEL`) and the margins dict
    ``{"_rake_<var>": Series of population counts by level}`` for
    ``Design.rake``.  The unknown level's count is the population total
    times the unknowns' share of the sample: unweighted, or weighted by
    ``base_weights`` (one per row of ``data``) when they are given.
    """
    total = float(margins["count"].sum())
    out = data.copy()
    result = {}
    n = len(data)
    for var in variables:
        codes = _margin_codes(margins, var)
        pop = margins.assign(**{var: codes}).groupby(var)["count"].sum().astype(float)
        pop.index = pop.index.astype(float)
        values = data[var].to_numpy(dtype=float)
        known = np.isin(values, pop.index.to_numpy())
        if base_weights is None:
            share_unknown = 1 - known.sum() / n
        else:  # the unknowns' share of the base-weighted sample
            share_unknown = 1 - base_weights[known].sum() / base_weights.sum()
        col = f"_rake_{var}"
        out[col] = np.where(known, values, UNKNOWN_LEVEL)
        counts = pop * (1 - share_unknown)
        if share_unknown > 0:
            counts.loc[float(UNKNOWN_LEVEL)] = total * share_unknown
        empty = [int(lvl) if float(lvl).is_integer() else lvl for lvl in counts.index if not (out[col] == lvl).any()]
        if empty:
            raise InputError(
                f"no respondent in level(s) {empty} of {var}; collapse those levels in the margins "
                "before raking (a population cell without respondents cannot be weighted)"
            )
        result[col] = counts
    return out, result


def mailing_cells(mailing, margins: pd.DataFrame, *, keys, path=None) -> pd.DataFrame:
    """Check a mailing table against the margins; one row per mailed cell.

    Parameters
    ----------
    mailing : DataFrame
        What :func:`~survey.measures.planning_inputs.read_mailing` returns:
        columns ``district, age_band, mailed`` (codes of the questionnaire;
        other columns, such as ``population`` or labels, are not used).
    margins : DataFrame
        The population counts (:func:`read_margins`): ``N_h`` is their sum
        over the other attributes (sex) within each cell.
    keys : sequence of str
        The two cell attributes (the plan's ``weighting.cells``).
    path : path-like, optional
        The mailing file, named in error messages.

    Returns
    -------
    DataFrame
        ``district, age_band, population, mailed, base_weight`` for every
        cell with ``mailed > 0``; ``base_weight = population / mailed``.

    Raises
    ------
    InputError
        Missing columns, codes that are not numbers, mailed counts that are
        not whole non-negative numbers, a cell listed twice, a cell the
        margins do not have, more mailed than residents, nothing mailed.
    """
    keys = list(keys)
    missing = [c for c in (*keys, "mailed") if c not in mailing.columns]
    if missing:
        raise InputError(f"the mailing file needs the columns {', '.join(keys)}, mailed (one row per cell, as "
                         f"`survey plan` writes mailing.csv); missing {missing}, found {list(mailing.columns)}",
                         path=path)
    codes = cell_codes(mailing, keys, path=path)
    mailed = count_column(mailing, "mailed", "mailed must be a whole number of questionnaires (0 or more, no "
                          "thousands separators)", path=path, whole=True)
    cells = codes.assign(mailed=mailed)

    def cell(row: int) -> str:
        return ", ".join(f"{k} {int(cells[k].iloc[row])}" for k in keys)

    twice = cells.duplicated(keys, keep=False).to_numpy()
    if twice.any():
        row = int(np.flatnonzero(twice)[0])
        same = (cells[keys] == cells[keys].iloc[row]).all(axis=1).to_numpy()
        rows = [int(i) + 1 for i in np.flatnonzero(same)]
        raise InputError(f"the cell {cell(row)} is listed in rows {rows}; give one row per cell (add up the "
                         "counts of several mailings)", path=path, row=rows[-1])
    if not cells["mailed"].sum() > 0:
        raise InputError("the mailing file mails no questionnaire (every mailed count is 0 or there are no rows); "
                         "give the questionnaires mailed per cell", path=path)
    pop = margins.assign(**{key: _margin_codes(margins, key).astype(np.int64) for key in keys})
    pop = pop.groupby(keys)["count"].sum().astype(float)
    idx = pd.MultiIndex.from_frame(cells[keys])
    cells["population"] = pop.reindex(idx).to_numpy()
    unknown = cells["population"].isna() & (cells["mailed"] > 0)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(f"the cell {cell(row)} is not in the margins; the mailing file and the margins must use "
                         "the same codes", path=path, row=row + 1)
    over = cells["mailed"] > cells["population"].fillna(0)
    if over.any():
        row = int(np.flatnonzero(over.to_numpy())[0])
        raise InputError(f"{cells['mailed'].iloc[row]:.0f} questionnaires mailed in the cell {cell(row)}, but the "
                         f"margins count {cells['population'].iloc[row]:g} residents there; check that the mailing "
                         "file and the margins belong to the same wave", path=path, row=row + 1, column="mailed")
    cells = cells[cells["mailed"] > 0].reset_index(drop=True)
    cells["base_weight"] = cells["population"] / cells["mailed"]
    return cells[[*keys, "population", "mailed", "base_weight"]]


def _base_weights(data: pd.DataFrame, cells: pd.DataFrame, keys, path=None) -> tuple[np.ndarray, np.ndarray]:
    """``(base weight, stratum)`` of every respondent: the cell's ``N_h / m_h``
    and cell number (1, 2, ...).  Unplaced respondents: stratum 0, and the
    mean base weight of the placed respondents of their planning group
    (district), else of their other cell attribute (age band), else of all
    placed respondents."""
    keys = list(keys)
    codes = [data[k].to_numpy(dtype=float, na_value=np.nan) for k in keys]
    where = pd.MultiIndex.from_frame(cells[keys]).get_indexer(pd.MultiIndex.from_arrays(codes))
    placed = where >= 0
    if not placed.any():
        raise InputError("no respondent lies in a mailed cell of the mailing file; check that the file belongs to "
                         f"this wave and uses the questionnaire's {' and '.join(keys)} codes", path=path)
    returned = np.bincount(where[placed], minlength=len(cells))
    over = np.flatnonzero(returned > cells["mailed"].to_numpy())
    if len(over):
        h = int(over[0])
        where_h = ", ".join(f"{k} {int(cells[k].iloc[h])}" for k in keys)
        raise InputError(f"the cell {where_h} has {returned[h]} respondents but the mailing file says "
                         f"{cells['mailed'].iloc[h]:.0f} were mailed there; give the mailing file of this wave",
                         path=path)
    w = np.where(placed, cells["base_weight"].to_numpy()[np.maximum(where, 0)], np.nan)
    fill = np.full(len(w), w[placed].mean())
    for code in reversed(codes):  # the other key, then the group (which wins): the mean of the placed with that code
        mean = pd.Series(w[placed]).groupby(code[placed]).mean()
        known = pd.Series(code).map(mean).to_numpy(dtype=float)
        fill = np.where(np.isnan(known), fill, known)
    w[~placed] = fill[~placed]
    return w, np.where(placed, where + 1, 0)


def weight_wave(dataset, margins: pd.DataFrame, *, variables=None, cells=None, mailing=None):
    """The wave's raked design.

    Without ``mailing``: equal base weights ``N / n`` raked to the margins.
    With ``mailing`` (a path, read by
    :func:`~survey.measures.planning_inputs.read_mailing`, or its DataFrame):
    the cells are strata and each respondent starts from ``N_h / m_h``
    (:func:`mailing_cells`), then the weights are raked to the margins.

    ``variables`` (the raked attributes) and ``cells`` (the two attributes of
    a mailing file's cells) default to the dataset's questionnaire plan
    (``analysis.weighting``), whose margins columns are then renamed as the
    attributes (:func:`plan_margins`).
    """
    if variables is None:
        plan = _plan_of(dataset, "raked attributes (variables=)")
        variables = plan.raked
        margins = plan_margins(margins, plan.rake)   # (give variables= with margins already renamed)
    if mailing is not None and cells is None:
        cells = _plan_of(dataset, "cells of the mailing file (cells=)").cells
        if len(cells) != 2:
            raise InputError("the questionnaire's plan declares no mailing cells; add weighting: "
                             "{cells: [group, other]} to its analysis block, or pass cells=")
    if mailing is None:
        prepared, rake_margins = raking_margins(margins, dataset.data, variables)
        total = float(margins["count"].sum())
        prepared = prepared.assign(_base_weight=total / len(prepared))
        design = Design(prepared, weights="_base_weight")
        return design.rake(rake_margins)
    path = mailing if isinstance(mailing, (str, Path)) else None
    frame = read_mailing(path, cells) if path is not None else mailing
    for var in variables:  # margin errors first, as without a mailing file
        _margin_codes(margins, var)
    mailed = mailing_cells(frame, margins, keys=cells, path=path)
    base, stratum = _base_weights(dataset.data, mailed, cells, path)
    prepared, rake_margins = raking_margins(margins, dataset.data, variables, base_weights=base)
    prepared = prepared.assign(_base_weight=base, _stratum=stratum)
    design = Design(prepared, weights="_base_weight", strata="_stratum", lonely_psu="adjust")
    return design.rake(rake_margins)
