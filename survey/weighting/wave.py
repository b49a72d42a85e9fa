"""Weights for a wave: rake the respondents to the population margins.

Population margins come as a CSV of cell counts (one column per attribute,
holding the questionnaire's codes, and ``count``).  Each attribute's margin
is the sum over the other attributes.  Which attributes are raked, from
which margins columns, and which two form the cells of a mailing file is
the questionnaire's analysis plan (``analysis.weighting``: ``rake``,
``cells``); the examples below use midori's district and age band.

Respondents whose raking attribute is unknown (無回答, or an answer the
population does not have, such as 回答しない for sex, which the questionnaire
lists under ``not_in_margins``) cannot be placed in a population cell.  They
are kept: in that margin they form an extra level ``0`` (不明) whose
population count is the population total times their unweighted sample
share, and the known levels' counts are scaled down by the same share.  Every
margin still sums to the population total, and the unknowns keep (on
average) the base weight.

The margins are checked before raking, so that a broken table stops the run
instead of giving wrong weights: any other answer level of the data without
population counts (a district left out of the margins would otherwise
silently become 不明), a cell listed twice, a count between 0 and 1 or a
population over :data:`~survey.intake.sidetables.MAX_POPULATION`, and a level whose population share
is more than :data:`MAX_ADJUSTMENT` times its sample share relative to
another level of the same margin (weights that far apart mean the table does
not describe this sample: 1e9 residents typed in one cell); raked weights
that are not finite or miss the population total are refused too.

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
from survey.intake.sidetables import check_counts, read_mailing

__all__ = ["plan_margins", "raking_margins", "mailing_cells", "weight_wave", "UNKNOWN_LEVEL", "MAX_ADJUSTMENT"]

UNKNOWN_LEVEL = 0
#: Largest ratio between two levels' adjustments (population share / sample share) in one margin.
MAX_ADJUSTMENT = 1000.0


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
    if not renames:
        return margins
    out = margins.rename(columns=renames)
    out.attrs = dict(margins.attrs)
    return out


def _plan_of(dataset, what):
    plan = getattr(getattr(dataset, "questionnaire", None), "plan", None)
    if plan is None:
        raise InputError(f"the {what} are unknown: pass them, or a dataset whose questionnaire declares "
                         "analysis.weighting (questionnaires/README.md)")
    return plan


def _check_cells(margins: pd.DataFrame, variables, path=None) -> None:
    """One row per cell of the raking variables."""
    keys = list(variables)
    codes = pd.DataFrame({v: _margin_codes(margins, v, path) for v in keys})
    twice = codes.duplicated(keep=False).to_numpy()
    if twice.any():
        row = int(np.flatnonzero(twice)[0])
        same = (codes == codes.iloc[row]).all(axis=1).to_numpy()
        rows = [int(i) + 1 for i in np.flatnonzero(same)]
        cell = ", ".join(f"{v} {int(codes[v].iloc[row])}" for v in keys)
        raise InputError(f"the cell {cell} is listed in rows {rows}; give one row per cell (add up its counts in "
                         "one row)", path=path, row=rows[-1])


def _margin_codes(margins: pd.DataFrame, var: str, path=None) -> pd.Series:
    """The margins' column ``var`` as numbers (the questionnaire's codes)."""
    if var not in margins.columns:
        raise InputError(f"the margins have no column {var!r}; columns: {list(margins.columns)}", path=path)
    codes = pd.to_numeric(margins[var], errors="coerce").astype(float)
    bad = ~np.isfinite(codes) | (codes.abs() > CODE_LIMIT) | (codes != codes.round())  # text, empty, inf, 2.5
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"the margins' column {var!r} holds {margins[var].iloc[row]!r} in row {row + 1}; "
                         "use the questionnaire's numeric codes (labels go in a separate column)", path=path)
    return codes


def raking_margins(margins: pd.DataFrame, data: pd.DataFrame, variables, *,
                   base_weights=None, not_in_margins=None, labels=None) -> tuple[pd.DataFrame, dict]:
    """Prepare raking columns and margins.

    Returns a copy of ``data`` with one column ``_rake_<var>`` per variable
    (unknown values → :data:`UNKNOWN_LEVEL`) and the margins dict
    ``{"_rake_<var>": Series of population counts by level}`` for
    ``Design.rake``.  The unknown level's count is the population total
    times the unknowns' share of the sample: unweighted, or weighted by
    ``base_weights`` (one per row of ``data``) when they are given.

    ``not_in_margins`` (``{var: codes}``, e.g. ``{"sex": [3]}``) lists the
    answer codes without population counts, which join the unknown level;
    any other level of the data missing from the margins is an InputError
    (``labels``, ``{var: {code: label}}``, name it).  So is a level whose
    adjustment is :data:`MAX_ADJUSTMENT` times another's (see the module
    notes).
    """
    path = margins.attrs.get("path")
    not_in_margins = {var: {float(c) for c in codes} for var, codes in (not_in_margins or {}).items()}
    labels = labels or {}
    total = float(margins["count"].sum())
    out = data.copy(deep=False)   # the columns shared with ``data`` (pandas copies on write): 0.2 GB at 1M rows
    result = {}
    n = len(data)
    w = np.ones(n) if base_weights is None else np.asarray(base_weights, dtype=float)
    for var in variables:
        codes = _margin_codes(margins, var, path)
        pop = margins.assign(**{var: codes}).groupby(var)["count"].sum().astype(float)
        pop.index = pop.index.astype(float)
        values = data[var].to_numpy(dtype=float, na_value=np.nan)
        known = np.isin(values, pop.index.to_numpy())
        _absent_levels(values, known, not_in_margins.get(var, set()), var, labels.get(var, {}), path)
        share_unknown = 1 - w[known].sum() / w.sum()
        col = f"_rake_{var}"
        out[col] = np.where(known, values, UNKNOWN_LEVEL)
        counts = pop * (1 - share_unknown)
        if share_unknown > 0:
            counts.loc[float(UNKNOWN_LEVEL)] = total * share_unknown
        empty = [int(lvl) if float(lvl).is_integer() else lvl for lvl in counts.index if not (out[col] == lvl).any()]
        if empty:
            raise InputError(
                f"no respondent in level(s) {empty} of {var}; collapse those levels in the margins "
                "before raking (a population cell without respondents cannot be weighted)", path=path
            )
        _check_adjustment(counts, out[col].to_numpy(dtype=float), w, var, labels.get(var, {}), path)
        result[col] = counts
    return out, result


def _level(code: float, labels) -> str:
    code = int(code) if float(code).is_integer() else code
    return f"{code} ({labels[code]})" if code in labels else f"{code}"


def _absent_levels(values, known, allowed, var, labels, path) -> None:
    """Data levels without population counts that the questionnaire does not
    list under ``not_in_margins``: an error (they would silently become 不明)."""
    absent = ~known & ~np.isnan(values) & ~np.isin(values, list(allowed))
    if absent.any():
        levels = np.unique(values[absent])
        shown = ", ".join(f"{_level(v, labels)}: {int((values == v).sum())} respondents" for v in levels)
        raise InputError(f"level(s) of {var} in the data have no population count in the margins ({shown}); add "
                         "their cells to the margins, or list the codes under not_in_margins in the questionnaire "
                         "if the population has no such level (as 回答しない)", path=path, column=var)


def _check_adjustment(counts: pd.Series, levels: np.ndarray, w: np.ndarray, var: str, labels, path) -> None:
    """Refuse a margin whose levels need adjustments more than
    :data:`MAX_ADJUSTMENT` apart (population share / base-weighted sample share)."""
    sample = pd.Series(w).groupby(levels).sum()
    factor = (counts / counts.sum()) / (sample.reindex(counts.index) / w.sum())
    factor = factor[counts > 0]
    if len(factor) > 1 and not factor.max() <= MAX_ADJUSTMENT * factor.min():
        hi, lo = factor.idxmax(), factor.idxmin()
        def pct(x):
            return f"{100 * x:.3g}%"

        pop_share, sample_share = counts / counts.sum(), sample / w.sum()
        raise InputError(
            f"the margins cannot describe this sample: level {_level(hi, labels)} of {var} holds "
            f"{pct(pop_share[hi])} of the population ({counts[hi]:.6g}) but {pct(sample_share[hi])} of the sample, "
            f"level {_level(lo, labels)} {pct(pop_share[lo])} and {pct(sample_share[lo])}: weights more than "
            f"{MAX_ADJUSTMENT:g} times apart; check the counts of the margins", path=path, column=var)


def mailing_cells(mailing, margins: pd.DataFrame, *, keys, path=None) -> pd.DataFrame:
    """Check a mailing table against the margins; one row per mailed cell.

    Parameters
    ----------
    mailing : DataFrame
        What :func:`~survey.intake.sidetables.read_mailing` returns:
        columns ``district, age_band, mailed`` (codes of the questionnaire;
        other columns, such as ``population`` or labels, are not used).
    margins : DataFrame
        The population counts (:func:`~survey.intake.sidetables.read_margins`): ``N_h`` is their sum
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


def _declared(dataset, variables, not_in_margins):
    """``(codes without population counts, labels)`` of the raking variables:
    ``not_in_margins`` (default the questionnaire's) and the questionnaire's
    missing codes (data not read by ``survey.load`` may still hold them),
    when the dataset carries a questionnaire."""
    q = getattr(dataset, "questionnaire", None)
    questions = {var: q[var] for var in variables if q is not None and var in q}
    if not_in_margins is None:
        not_in_margins = {var: question.not_in_margins for var, question in questions.items()}
    allowed = {var: {*not_in_margins.get(var, ()), *(questions[var].missing if var in questions else ())}
               for var in variables}
    return allowed, {var: dict(question.codes) for var, question in questions.items()}


def _check_raked(design, margins: pd.DataFrame, path=None):
    """Raked weights must be finite, non-negative and add up to the population."""
    w = np.asarray(design.weights, dtype=float)
    total = float(margins["count"].sum())
    if not (np.isfinite(w).all() and (w >= 0).all() and abs(w.sum() - total) <= 1e-6 * total):
        raise InputError(f"raking cannot reach the margins: the weights add up to {w.sum():.6g} instead of the "
                         f"population {total:.6g}; check the counts of the margins against this wave", path=path)
    return design


def weight_wave(dataset, margins: pd.DataFrame, *, variables=None, cells=None, mailing=None, not_in_margins=None):
    """The wave's raked design.

    Without ``mailing``: equal base weights ``N / n`` raked to the margins.
    With ``mailing`` (a path, read by
    :func:`~survey.intake.sidetables.read_mailing`, or its DataFrame):
    the cells are strata and each respondent starts from ``N_h / m_h``
    (:func:`mailing_cells`), then the weights are raked to the margins.

    ``not_in_margins`` (``{var: codes}``) lists the answers without
    population counts (default: the questionnaire's ``not_in_margins`` when
    ``dataset`` carries a questionnaire, else none); see
    :func:`raking_margins` for the checks of the margins.

    ``variables`` (the raked attributes) and ``cells`` (the two attributes of
    a mailing file's cells) default to the dataset's questionnaire plan
    (``analysis.weighting``), whose margins columns are then renamed as the
    attributes (:func:`plan_margins`; give ``variables=`` with margins
    already renamed).
    """
    if variables is None:
        plan = _plan_of(dataset, "raked attributes (variables=)")
        variables = plan.raked
        margins = plan_margins(margins, plan.rake, path=margins.attrs.get("path"))
    if mailing is not None and cells is None:
        cells = _plan_of(dataset, "cells of the mailing file (cells=)").cells
        if len(cells) != 2:
            raise InputError("the questionnaire's plan declares no mailing cells; add weighting: "
                             "{cells: [group, other]} to its analysis block, or pass cells=")
    path = margins.attrs.get("path")
    check_counts(margins, path)
    _check_cells(margins, variables, path)
    declared, labels = _declared(dataset, variables, not_in_margins)
    if mailing is None:
        prepared, rake_margins = raking_margins(margins, dataset.data, variables, not_in_margins=declared,
                                                labels=labels)
        total = float(margins["count"].sum())
        prepared = prepared.assign(_base_weight=total / len(prepared))
        design = Design(prepared, weights="_base_weight")
        return _check_raked(design.rake(rake_margins), margins, path)
    mailing_path = mailing if isinstance(mailing, (str, Path)) else None
    frame = read_mailing(mailing_path, cells) if mailing_path is not None else mailing
    for var in variables:  # margin errors first, as without a mailing file
        _margin_codes(margins, var, path)
    mailed = mailing_cells(frame, margins, keys=cells, path=mailing_path)
    base, stratum = _base_weights(dataset.data, mailed, cells, mailing_path)
    prepared, rake_margins = raking_margins(margins, dataset.data, variables, base_weights=base,
                                            not_in_margins=declared, labels=labels)
    prepared = prepared.assign(_base_weight=base, _stratum=stratum)
    design = Design(prepared, weights="_base_weight", strata="_stratum", lonely_psu="adjust")
    return _check_raked(design.rake(rake_margins), margins, path)
