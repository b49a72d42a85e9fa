"""Reading a design specification (R ``svydesign`` arguments) into the
coded sampling structure and the starting weights."""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.stages import build_stages, sample_sizes
from survey.errors import DesignError

__all__: list[str] = []


def names(value, what: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise DesignError(f"{what} must be a column name or a list of column names; got {value!r}.")


def key_column(data: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in data.columns:
        raise DesignError(f"{what} column {name!r} is not in the data; available columns: "
                          f"{list(data.columns)[:20]}.")
    col = data[name]
    if col.isna().any():
        rows = [int(i) for i in np.flatnonzero(col.isna().to_numpy())[:5]]
        raise DesignError(f"{what} column {name!r} has missing values (rows {rows}); every "
                          "row needs a value.")
    return col.reset_index(drop=True)


def as_mask(design_data: pd.DataFrame, mask, what: str) -> np.ndarray:
    n = len(design_data)
    if isinstance(mask, pd.Series):
        if not mask.index.equals(design_data.index):
            mask = mask.reindex(design_data.index)
        mask = mask.to_numpy(dtype=object)
    arr = np.asarray(mask)
    if arr.shape != (n,):
        raise DesignError(f"{what}: mask must have one value per row ({n}); got shape {arr.shape}.")
    out = pd.array(arr, dtype="boolean").fillna(False)
    return np.asarray(out, dtype=bool)



def parse_design(data: pd.DataFrame, *, weights, strata, ids, fpc, nest: bool):
    """Return ``(data, stages, weights, spec)`` for :class:`Design`.

    Weights absent: the product over stages of population over sample
    size implied by ``fpc`` (R ``svydesign``), or 1 without ``fpc``.
    """
    n = len(data)
    data = data.copy(deep=False)
    id_names = names(ids, "ids")
    strata_names = names(strata, "strata")
    if strata_names is not None and len(strata_names) > 1:
        raise DesignError(f"strata: give one first-stage strata column; got {strata_names}.")
    fpc_names = names(fpc, "fpc")
    id_arrays = ([np.arange(n)] if id_names is None
                 else [key_column(data, c, "ids") for c in id_names])
    strata_arr = None if strata_names is None else key_column(data, strata_names[0], "strata")
    if fpc_names is not None and len(fpc_names) != len(id_arrays):
        raise DesignError(
            f"fpc: give one fpc column per sampling stage ({len(id_arrays)} stage(s) from "
            f"ids={id_names}); got {fpc_names}."
        )
    stages = build_stages(id_arrays, strata_arr, None, nest=nest)
    if stages[0].n_clusters == 1 and not (nest and strata_arr is not None):
        raise DesignError("The design has only one primary sampling unit; a design-based "
                          "variance needs at least two (check ids=).")
    popsize = None
    if fpc_names is not None:
        raw = []
        for c in fpc_names:
            col = pd.to_numeric(pd.Series(key_column(data, c, "fpc")), errors="coerce")
            if col.isna().any() or (col < 0).any():
                raise DesignError(f"fpc column {c!r} must hold non-negative numbers.")
            raw.append(col.to_numpy(dtype=float))
        allv = np.concatenate(raw)
        if (allv > 1).any() and (allv < 1).any():
            raise DesignError(
                "fpc: values must be all population sizes (>= 1) or all sampling "
                f"fractions (<= 1); got values from {allv.min():g} to {allv.max():g}."
            )
        if (allv > 1).any():
            popsize = raw
        else:
            sizes = sample_sizes(stages)
            with np.errstate(divide="ignore"):
                popsize = [np.where(r == 0, np.inf, s / np.where(r == 0, 1, r))
                           for r, s in zip(raw, sizes)]
        stages = build_stages(id_arrays, strata_arr, popsize, nest=nest)
    if weights is None:
        if popsize is None:
            w = np.ones(n)
        else:
            w = np.ones(n)
            for pop, samp in zip(popsize, sample_sizes(stages)):
                w = w * pop / samp
            if not np.all(np.isfinite(w)):
                raise DesignError("weights cannot be derived from fpc with zero sampling "
                                  "fractions; give weights=.")
    else:
        if isinstance(weights, str):
            if weights not in data.columns:
                raise DesignError(f"weights column {weights!r} is not in the data.")
            w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float)
        else:
            w = np.asarray(weights, dtype=float).reshape(-1)
            if w.size != n:
                raise DesignError(f"weights: need {n} values, got {w.size}.")
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            rows = [int(i) for i in np.flatnonzero(bad)[:5]]
            raise DesignError(f"weights must be finite and >= 0; rows {rows} are not.")
    spec = {"weights": weights if isinstance(weights, str) else None,
            "strata": strata_names, "ids": id_names, "fpc": fpc_names, "nest": nest}
    return data, stages, w, spec
