"""True population values, computed exactly from the answered population.

The model's ``truth:`` section lists the values (a key of the truth file, a
question and a statistic) and the attributes to break them down by.  Every
value is a plain population mean or share over the persons who gave a usable
answer (missing codes, codes without a score such as わからない, and skips
excluded), overall and by each attribute (keys ``by_<attribute>``, group keys
the codes as strings).  Statistics:

* ``score_mean``: mean score (the questionnaire's ``scores``) over scored codes;
* ``code_shares``: share of each code among the answer codes;
* ``numeric_mean``: mean of ``numeric_map`` (e.g. times a year);
* ``zero_share``: share of the code(s) whose ``numeric_map`` is 0;
* ``item_score_means``: mean score of each item of a matrix;
* ``part_means``: mean amount per part among answered allocations;
* ``ranked_shares`` / ``first_shares``: share of answered rankings naming
  the code in any slot / in the first slot;
* ``tick_shares``: share ticking each box among answered questions.

Shares are fractions (0-1), rounded to 10 digits.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["population_truth"]

DIGITS = 10


def _num(series) -> np.ndarray:
    return pd.array(series, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)


def _mapped(values: np.ndarray, mapping) -> np.ndarray:
    return pd.Series(values).map(dict(mapping)).to_numpy(dtype=float)


def _columns(statistic: str, q, population: pd.DataFrame) -> tuple[list, list | None]:
    """``([(output key, values)], keys)``; ``keys`` is None for a single number."""
    if statistic in ("score_mean", "code_shares", "numeric_mean", "zero_share"):
        s = _num(population[q.id])
        if statistic == "score_mean":
            return [(None, _mapped(s, q.scores))], None
        if statistic == "numeric_mean":
            return [(None, _mapped(s, q.numeric_map))], None
        answered = np.isin(s, list(q.codes))
        if statistic == "zero_share":
            zero = [c for c, t in q.numeric_map.items() if t == 0]
            return [(None, np.where(answered, np.isin(s, zero), np.nan))], None
        return [(str(c), np.where(answered, s == c, np.nan)) for c in q.codes], [str(c) for c in q.codes]
    if statistic in ("ranked_shares", "first_shares"):
        slots = np.column_stack([_num(population[it.column]) for it in q.items])
        ranked = np.isin(slots[:, 0], list(q.codes))
        hit = (lambda c: (slots == c).any(axis=1)) if statistic == "ranked_shares" else (lambda c: slots[:, 0] == c)
        return [(str(c), np.where(ranked, hit(c), np.nan)) for c in q.codes], [str(c) for c in q.codes]
    out = []
    for item in q.items:                     # item_score_means, part_means, tick_shares
        values = _num(population[item.column])
        out.append((item.column, _mapped(values, q.scores) if statistic == "item_score_means" else values))
    return out, [item.column for item in q.items]


def _summaries(frame: pd.DataFrame, values: pd.DataFrame, by) -> dict:
    """Column means of ``values`` (NaN skipped) overall and by each attribute."""
    def means(mask):
        sub = values[mask]
        return {c: round(float(np.nanmean(sub[c].to_numpy())), DIGITS) for c in values.columns}

    out = {"overall": means(np.ones(len(frame), dtype=bool))}
    for name in by:
        keys = frame[name].to_numpy()
        out[f"by_{name}"] = {str(int(k)): means(keys == k) for k in np.unique(keys)}
    return out


def population_truth(population: pd.DataFrame, questionnaire, *, model=None) -> dict:
    """True values of the answered population (see the module notes)."""
    from survey.simulate.model_parse import model_for

    model = model_for(questionnaire, model)
    v = pd.DataFrame(index=population.index)
    layout = []
    for i, tv in enumerate(model.truth):
        columns, keys = _columns(tv.statistic, questionnaire[tv.question], population)
        names = []
        for key, values in columns:
            name = f"{i}:{key}"
            v[name] = values
            names.append((key, name))
        layout.append((tv.key, names, keys is None))
    summary = _summaries(population, v, model.truth_by)

    def pick(names, scalar, group):
        return group[names[0][1]] if scalar else {key: group[name] for key, name in names}

    out = {"population_size": len(population)}
    for key, names, scalar in layout:
        entry = {"overall": pick(names, scalar, summary["overall"])}
        for name in model.truth_by:
            entry[f"by_{name}"] = {k: pick(names, scalar, g) for k, g in summary[f"by_{name}"].items()}
        out[key] = entry
    return out
