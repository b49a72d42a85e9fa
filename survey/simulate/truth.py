"""True population values, computed exactly from the answered population.

Every statistic is a plain population mean or share over the persons who
gave a usable answer (the questionnaire's missing codes, 'don't know' and
skips excluded), overall and by age band, district and child household:

* ``satisfaction_index``: mean score (questionnaire ``scores``) over codes
  that have a score (わからない and 無回答 excluded);
* ``satisfaction_share``: share of each code among codes 1-6;
* ``park_use``: mean of ``numeric_map`` (times a year);
* ``park_never_share``: share of the code whose ``numeric_map`` is 0;
* ``importance_mean``: mean score of each item (無回答 excluded);
* ``allocation_mean``: mean yen per part among answered allocations;
* ``policy_top3_share`` / ``policy_first_share``: share of answered
  rankings naming the item in any slot / in the first slot;
* ``activity_share``: share ticking each box among answered questions.

Shares are fractions (0-1).  Group keys are codes as strings.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BREAKDOWNS", "population_truth"]

BREAKDOWNS = ("age_band", "district", "children")
DIGITS = 10


def _num(series) -> np.ndarray:
    return pd.array(series, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)


def _summaries(frame: pd.DataFrame, values: pd.DataFrame) -> dict:
    """Column means of ``values`` (NaN skipped) overall and by breakdown."""
    def means(mask):
        sub = values[mask]
        return {c: round(float(np.nanmean(sub[c].to_numpy())), DIGITS) for c in values.columns}

    out = {"overall": means(np.ones(len(frame), dtype=bool))}
    for by in BREAKDOWNS:
        keys = frame[by].to_numpy()
        out[f"by_{by}"] = {str(int(k)): means(keys == k) for k in np.unique(keys)}
    return out


def _scalar(summary: dict, name: str) -> dict:
    out = {"overall": summary["overall"][name]}
    for by in BREAKDOWNS:
        out[f"by_{by}"] = {k: v[name] for k, v in summary[f"by_{by}"].items()}
    return out


def population_truth(population: pd.DataFrame, questionnaire) -> dict:
    """True values of the answered population (see the module docstring)."""
    q = questionnaire
    v = pd.DataFrame(index=population.index)
    sat = q["satisfaction"]
    s = _num(population[sat.id])
    v["satisfaction_index"] = pd.Series(s).map(dict(sat.scores)).to_numpy(dtype=float)
    answered = np.isin(s, list(sat.codes))
    for code in sat.codes:
        v[f"satisfaction_{code}"] = np.where(answered, s == code, np.nan)
    park = q["park_use"]
    p = _num(population[park.id])
    v["park_use"] = pd.Series(p).map(dict(park.numeric_map)).to_numpy(dtype=float)
    never = [c for c, t in park.numeric_map.items() if t == 0]
    v["park_never_share"] = np.where(np.isin(p, list(park.codes)), np.isin(p, never), np.nan)
    imp = q["importance"]
    for item in imp.items:
        v[item.column] = pd.Series(_num(population[item.column])).map(dict(imp.scores)).to_numpy(dtype=float)
    for item in q["allocation"].items:
        v[item.column] = _num(population[item.column])
    pol = q["policy"]
    slots = np.column_stack([_num(population[it.column]) for it in pol.items])
    ranked = np.isin(slots[:, 0], list(pol.codes))
    for code in pol.codes:
        v[f"policy_top3_{code}"] = np.where(ranked, (slots == code).any(axis=1), np.nan)
        v[f"policy_first_{code}"] = np.where(ranked, slots[:, 0] == code, np.nan)
    for item in q["activity"].items:
        v[item.column] = _num(population[item.column])
    summary = _summaries(population, v)

    def pick(names, rename):
        out = {"overall": {rename(n): summary["overall"][n] for n in names}}
        for by in BREAKDOWNS:
            out[f"by_{by}"] = {k: {rename(n): g[n] for n in names} for k, g in summary[f"by_{by}"].items()}
        return out

    return {
        "population_size": len(population),
        "satisfaction_index": _scalar(summary, "satisfaction_index"),
        "satisfaction_share": pick([f"satisfaction_{c}" for c in sat.codes], lambda n: n.rsplit("_", 1)[1]),
        "park_use": _scalar(summary, "park_use"),
        "park_never_share": _scalar(summary, "park_never_share"),
        "importance_mean": pick([it.column for it in imp.items], str),
        "allocation_mean": pick([it.column for it in q["allocation"].items], str),
        "policy_top3_share": pick([f"policy_top3_{c}" for c in pol.codes], lambda n: n.rsplit("_", 1)[1]),
        "policy_first_share": pick([f"policy_first_{c}" for c in pol.codes], lambda n: n.rsplit("_", 1)[1]),
        "activity_share": pick([it.column for it in q["activity"].items], str),
    }
