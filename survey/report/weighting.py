"""Weights for a wave: rake the respondents to the population margins.

Population margins come as a CSV of cell counts (one column per attribute,
holding the questionnaire's codes, and ``count``).  Each attribute's margin
is the sum over the other attributes.

Respondents whose raking attribute is unknown (無回答, or a code the
population does not have, such as 回答しない for sex) cannot be placed in a
population cell.  They are kept: in that margin they form an extra level
``0`` (不明) whose population count is the population total times their
unweighted sample share, and the known levels' counts are scaled down by the
same share.  Every margin still sums to the population total, and the
unknowns keep (on average) the base weight.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from survey.design import Design
from survey.errors import InputError
from survey.intake.readers import read_side_table

__all__ = ["read_margins", "raking_margins", "weight_wave", "UNKNOWN_LEVEL", "RAKING_VARIABLES"]

RAKING_VARIABLES = ("age_band", "sex", "district")

UNKNOWN_LEVEL = 0


def read_margins(path) -> pd.DataFrame:
    """Read a population cell-count table (UTF-8 CSV: attribute codes + ``count``)."""
    path = Path(path)
    frame = read_side_table(path, what="margins", expected="attribute codes and 'count' (see data/SIMULATION.md)")
    if "count" not in frame.columns:
        raise InputError(f"the margins need a 'count' column; found {list(frame.columns)}", path=path)
    count = pd.to_numeric(frame["count"], errors="coerce")
    bad = count.isna() | ~np.isfinite(count) | (count < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        value = frame["count"].iloc[row]
        shown = "an empty cell" if pd.isna(value) else repr(str(value))
        raise InputError(f"population counts must be non-negative numbers (no thousands separators); "
                         f"got {shown}", path=path, row=row + 1, column="count")
    if not count.sum() > 0:
        raise InputError("the population counts add up to 0; give the number of residents in each cell",
                         path=path)
    return frame.assign(count=count.astype(float))


def raking_margins(margins: pd.DataFrame, data: pd.DataFrame, variables) -> tuple[pd.DataFrame, dict]:
    """Prepare raking columns and margins.

    Returns a copy of ``data`` with one column ``_rake_<var>`` per variable
    (unknown values → :data:`UNKNOWN_LEVEL`) and the margins dict
    ``{"_rake_<var>": Series of population counts by level}`` for
    ``Design.rake``.
    """
    total = float(margins["count"].sum())
    out = data.copy()
    result = {}
    n = len(data)
    for var in variables:
        if var not in margins.columns:
            raise InputError(f"the margins have no column {var!r}; columns: {list(margins.columns)}")
        codes = pd.to_numeric(margins[var], errors="coerce")
        if codes.isna().any():
            row = int(np.flatnonzero(codes.isna().to_numpy())[0])
            raise InputError(f"the margins' column {var!r} holds {margins[var].iloc[row]!r} in row {row + 1}; "
                             "use the questionnaire's numeric codes (labels go in a separate column)")
        pop = margins.assign(**{var: codes}).groupby(var)["count"].sum().astype(float)
        pop.index = pop.index.astype(float)
        values = data[var].to_numpy(dtype=float)
        known = np.isin(values, pop.index.to_numpy())
        share_unknown = 1 - known.sum() / n
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


def weight_wave(dataset, margins: pd.DataFrame, *, variables=RAKING_VARIABLES):
    """The wave's raked design: equal base weights N/n raked to the margins."""
    prepared, rake_margins = raking_margins(margins, dataset.data, variables)
    total = float(margins["count"].sum())
    prepared = prepared.assign(_base_weight=total / len(prepared))
    design = Design(prepared, weights="_base_weight")
    return design.rake(rake_margins)
