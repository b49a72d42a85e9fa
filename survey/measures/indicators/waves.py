"""Waves: the same questionnaire fielded again, change and trend.

Each wave is its own sample with its own (raked) design, so estimates from
two waves are independent: the variance of a change is the sum of the two
variances, ``se = sqrt(se_a^2 + se_b^2)``, and the test is a z test (R:
``svymean`` on each wave's design, then ``coef(b) - coef(a)`` with
``sqrt(SE(a)^2 + SE(b)^2)``).  Any number of waves can be lined up in a
trend table; every wave is compared with the first (or the previous) one.
A row whose estimate has no sampling variance in either wave (SE zero:
every answer the same) is not tested: verdict ``untestable_change``, p NaN.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.design.distributions import norm_ppf
from survey.errors import DesignError
from survey.measures.differences import degenerate_se, difference_p
from survey.validation import check_level

__all__ = ["WaveComparison", "compare_waves", "trend_table", "wave_estimates"]


def wave_estimates(designs: Mapping, estimator, *args, **kwargs) -> dict:
    """``{wave: estimator(design, *args, **kwargs)}`` for every wave's design.

    Example: ``wave_estimates({"FY2025": d25, "FY2030": d30},
    survey.satisfaction_index, "satisfaction", by="district")``.
    """
    if not isinstance(designs, Mapping) or not designs:
        raise DesignError("designs must be a non-empty mapping {wave label: design}, oldest first")
    return {label: estimator(design, *args, **kwargs) for label, design in designs.items()}


def _frame(est, label):
    if not (hasattr(est, "estimate") and hasattr(est, "se")):
        raise DesignError(f"wave {label!r}: expected an Estimate (e.g. from satisfaction_index); "
                          f"got {type(est).__name__}")
    ci = est.conf_int(est.level)
    deff = est.deff if getattr(est, "deff", None) is not None else np.nan
    return pd.DataFrame({"estimate": est.estimate, "se": est.se, "ci_low": ci["ci_low"],
                         "ci_high": ci["ci_high"], "deff": deff, "n": est.n})


def _change_columns(a: pd.DataFrame, b: pd.DataFrame, level):
    common = a.index.intersection(b.index, sort=False)
    a, b = a.loc[common], b.loc[common]
    change = b["estimate"] - a["estimate"]
    se = np.sqrt(a["se"] ** 2 + b["se"] ** 2)
    q = norm_ppf(0.5 + level / 2)
    flat = degenerate_se(a["se"], a["estimate"]) | degenerate_se(b["se"], b["estimate"])
    p = np.where(flat, np.nan, difference_p(change, se))
    alpha = 1 - level
    codes = ["untestable_change" if f else ("increase" if c > 0 else "decrease") if pv < alpha else "no_change"
             for c, pv, f in zip(change, p, flat)]
    return pd.DataFrame({
        "change": change, "change_se": se, "change_ci_low": change - q * se,
        "change_ci_high": change + q * se, "p": p, "verdict": codes,
    }, index=common)


@dataclass(frozen=True)
class WaveComparison:
    """Result of :func:`compare_waves`: two long frames, the waves' figures and their changes.

    Attributes
    ----------
    estimates : pandas.DataFrame
        Each wave's estimates, one block per wave (earlier first): the
        estimates' ``by`` levels, ``wave``, ``variable``, then the fixed
        columns ``estimate, se, ci_low, ci_high, deff, n``.
    changes : pandas.DataFrame
        One row per estimate present in both waves: the ``by`` levels,
        ``wave`` (the later wave), ``reference_wave`` (the earlier one),
        ``variable``, then the change as the fixed columns of a difference
        ``estimate`` (later minus earlier), ``se`` (``sqrt(se_a^2 +
        se_b^2)``), ``ci_low, ci_high`` (normal), then ``p`` (two-sided z
        test; NaN when untestable) and ``verdict`` (a code: ``increase``,
        ``decrease``, ``no_change``, ``untestable_change``, which
        :func:`survey.report.verdicts.verdict_text` words), as the ``pairs`` of
        :class:`~survey.measures.differences.GroupComparison`.
    level : float
    """

    estimates: pd.DataFrame
    changes: pd.DataFrame
    level: float

    def to_frame(self) -> pd.DataFrame:
        """The changes (as :meth:`GroupComparison.to_frame` gives the pairs)."""
        return self.changes


def compare_waves(earlier, later, *, labels=("earlier", "later"), level: float = 0.95) -> WaveComparison:
    """Change between two independent waves, row by row.

    Parameters
    ----------
    earlier, later : survey.design.Estimate
        The same statistic from each wave's design (same index, e.g. by
        district); rows present in only one wave have no change.
    labels : (str, str)
        The two waves' labels, the values of the ``wave`` and
        ``reference_wave`` columns (e.g. ``("FY2025", "FY2030")``).
    level : float
        Interval level and significance threshold ``1 - level``.

    Returns
    -------
    WaveComparison
        ``.estimates`` (``[by...], wave, variable, estimate, se, ci_low,
        ci_high, deff, n``, both waves) and ``.changes`` (``[by...], wave,
        reference_wave, variable, estimate, se, ci_low, ci_high, p,
        verdict``, the later wave against the earlier).  No multiplicity
        adjustment: each row is its own question (the same statistic,
        again), as in :func:`trend_table`.
    """
    level = check_level(level)
    la, lb = labels
    a, b = _frame(earlier, la), _frame(later, lb)
    ch = _change_columns(a, b, level)
    if ch.empty:
        raise DesignError("the two waves have no estimate in common; estimate the same statistic "
                          "with the same by= in both waves")
    estimates = pd.concat([_long(a, la), _long(b, lb)], ignore_index=True)
    changes = _long(ch.rename(columns=_CHANGE_AS_DIFFERENCE), lb)
    changes.insert(changes.columns.get_loc("wave") + 1, "reference_wave", la)
    return WaveComparison(estimates=estimates, changes=changes, level=level)


#: The change columns of :func:`trend_table` named as the fixed columns of a difference (:func:`compare_waves`).
_CHANGE_AS_DIFFERENCE = {"change": "estimate", "change_se": "se", "change_ci_low": "ci_low",
                         "change_ci_high": "ci_high"}


def _long(frame: pd.DataFrame, wave: str) -> pd.DataFrame:
    """An Estimate's frame (by levels and ``variable`` in the index) as a long frame: the by
    columns, ``wave``, ``variable``, then its columns."""
    names = [n if n is not None else "row" for n in frame.index.names]
    out = frame.set_axis(frame.index.set_names(names)).reset_index()
    # the by groups first, then which wave and which variable (an Estimate's last level)
    out.insert(len(names) - 1 if names[-1] == "variable" else 0, "wave", wave)
    return out


def trend_table(estimates: Mapping, *, reference: str = "first", level: float = 0.95) -> pd.DataFrame:
    """A trend table over any number of waves.

    Parameters
    ----------
    estimates : mapping
        ``{wave label: Estimate}`` in time order (see :func:`wave_estimates`).
    reference : {"first", "previous"}
        Each wave's change is measured from the first wave, or from the
        wave before it.
    level : float

    Returns
    -------
    pandas.DataFrame
        Long format: the estimates' ``by`` levels, ``wave``, ``variable``,
        the fixed columns ``estimate, se, ci_low, ci_high, deff, n``, then
        ``reference_wave, change, change_se, change_ci_low, change_ci_high,
        p, verdict`` (empty for the first wave; ``verdict`` a code, as
        :func:`compare_waves`).  Changes between independent waves:
        variances add.
    """
    level = check_level(level)
    if reference not in ("first", "previous"):
        raise DesignError(f"reference must be 'first' or 'previous'; got {reference!r}")
    if not isinstance(estimates, Mapping) or not estimates:
        raise DesignError("estimates must be a non-empty mapping {wave label: Estimate}, oldest first")
    labels = list(estimates)
    frames = {lab: _frame(est, lab) for lab, est in estimates.items()}
    blocks = []
    for i, lab in enumerate(labels):
        f = frames[lab].copy()
        if i > 0:
            ref = labels[0] if reference == "first" else labels[i - 1]
            ch = _change_columns(frames[ref], f, level)
            f = f.join(ch)
            f["reference_wave"] = ref
        blocks.append(_long(f, lab))
    out = pd.concat(blocks, ignore_index=True)
    cols = [c for c in out.columns if c not in ("reference_wave",)]
    order = cols[: cols.index("n") + 1] + ["reference_wave"] + cols[cols.index("n") + 1:]
    if "reference_wave" not in out.columns:
        out["reference_wave"] = np.nan
    return out[order]
