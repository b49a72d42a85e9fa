"""標本誤差: the sampling-error table printed in Japanese survey reports.

For a proportion p estimated from n respondents the usual table shows the
half-width of the 95% interval, ±1.96·√(p(1−p)/n).  Weighting and
clustering inflate the variance by the design effect; this table multiplies
the variance by the wave's deff (so the half-width by √deff) and says so.

The finite population correction √((N−n)/(N−1)) is applied when ``N`` is
given (it is close to 1 for a city-wide sample of ~1,300 out of 120,000).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import DesignError

__all__ = ["sampling_error_table", "margin_of_error", "DEFAULT_PS", "DEFAULT_NS"]

DEFAULT_PS = (0.05, 0.10, 0.20, 0.30, 0.40, 0.50)
DEFAULT_NS = (2000, 1500, 1000, 500, 300, 200, 100, 50)


def margin_of_error(p, n, *, deff: float = 1.0, z: float = 1.959963984540054, population=None):
    """Half-width of the normal CI of a proportion: z·√(deff·p(1−p)/n·fpc)."""
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any(n <= 0):
        raise DesignError("n must be positive")
    if deff <= 0:
        raise DesignError(f"deff must be positive, got {deff}")
    fpc = 1.0 if population is None else (population - n) / (population - 1)
    return z * np.sqrt(deff * p * (1 - p) / n * fpc)


def sampling_error_table(*, ns=DEFAULT_NS, ps=DEFAULT_PS, deff: float = 1.0, population=None,
                         level: float = 0.95) -> pd.DataFrame:
    """Rows: base n; columns: p (shown as "p% / (100−p)%"); values: ± points (%).

    Examples
    --------
    >>> t = sampling_error_table(ns=[1000], ps=[0.5])
    >>> round(float(t.iloc[0, 1]), 2)  # 1.96·√(.25/1000) = 3.10 points
    3.1
    """
    from survey.design.distributions import norm_ppf

    z = float(norm_ppf(0.5 + level / 2))
    rows = []
    for n in ns:
        row = {"n": int(n)}
        for p in ps:
            key = f"{100 * p:.0f}% / {100 - 100 * p:.0f}%"
            row[key] = 100 * float(margin_of_error(p, n, deff=deff, z=z, population=population))
        rows.append(row)
    return pd.DataFrame(rows)
