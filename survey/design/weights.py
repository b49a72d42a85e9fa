"""Weight trimming and weight diagnostics.

:func:`trim_weights` follows R ``trimWeights``: weights above ``upper``
(below ``lower``) are set to the bound and the amount cut (added) is
shared out *equally* (additively) among the weights that were inside the
bounds, so the total weight is unchanged.  With ``strict=True`` the step
is repeated until no weight is outside the bounds (R ``strict=TRUE``).
Rows with weight 0 (outside a domain) never receive a share (R drops them
from an uncalibrated design before trimming).

:func:`weight_diagnostics` reports Kish's design effect due to unequal
weighting, ``1 + CV^2 = n * sum(w^2) / sum(w)^2``, the matching effective
sample size ``n / deff = sum(w)^2 / sum(w^2)``, and the spread of the
weights.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import DesignError

__all__ = ["weight_diagnostics"]


def trim_weights(w: np.ndarray, *, lower=None, upper=None, strict: bool = False,
                 max_rounds: int = 100) -> np.ndarray:
    """Trim every column of ``w`` (n, k) to ``[lower, upper]``, redistributing.

    Returns the new weights.  Raises :class:`DesignError` when the bounds
    cannot hold the total weight (e.g. ``upper * n_positive < total``).
    """
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if lo > hi:
        raise DesignError(f"trim: lower={lower} is larger than upper={upper}.")
    w = np.array(w, dtype=float, copy=True)
    for j in range(w.shape[1]):
        col = w[:, j]
        pos = col != 0
        total, npos = col[pos].sum(), int(pos.sum())
        if npos and (hi * npos < total * (1 - 1e-12) or lo * npos > total * (1 + 1e-12)):
            raise DesignError(
                f"trim: bounds [{lower}, {upper}] cannot hold the total weight "
                f"{total:.6g} of {npos} rows (mean weight {total / npos:.6g}); widen "
                "the bounds."
            )
        for _ in range(max_rounds if strict else 1):
            outside = pos & ((col < lo) | (col > hi))
            if not outside.any():
                break
            new = np.clip(col, lo, hi)
            cut = float((col - new)[outside].sum())
            inside = pos & ~outside
            if not inside.any():
                raise DesignError("trim: every weight is outside the bounds; widen them.")
            new[inside] += cut / inside.sum()
            new[~pos] = 0.0
            col = new
        w[:, j] = col
    return w


def weight_diagnostics(weights, *, raking: dict | None = None) -> pd.Series:
    """Summary of a weight vector (zero weights are ignored).

    Returns a Series with ``n`` (rows with positive weight), ``sum``,
    ``kish_deff`` (1 + CV^2), ``n_effective``, ``cv``, ``min``, ``q01``,
    ``q05``, ``q25``, ``median``, ``q75``, ``q95``, ``q99``, ``max``,
    ``max_min_ratio`` and, when raking/calibration ran, ``calibration``,
    ``n_iter`` and ``max_margin_error``.
    """
    w = np.asarray(weights, dtype=float)
    w = w[w != 0]
    n = w.size
    out = {"n": float(n), "sum": float(w.sum())}
    if n:
        mean = w.mean()
        cv = w.std(ddof=0) / mean if mean else np.nan
        kish = n * np.sum(w ** 2) / w.sum() ** 2
        qs = np.quantile(w, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
        out.update({
            "kish_deff": float(kish), "n_effective": float(n / kish), "cv": float(cv),
            "min": float(w.min()), "q01": qs[0], "q05": qs[1], "q25": qs[2],
            "median": qs[3], "q75": qs[4], "q95": qs[5], "q99": qs[6],
            "max": float(w.max()),
            "max_min_ratio": float(w.max() / w.min()) if w.min() > 0 else np.inf,
        })
    if raking:
        out.update(raking)
    return pd.Series(out, dtype=object).rename("weights")
