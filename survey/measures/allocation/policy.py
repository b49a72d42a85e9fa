"""The total policy of an allocation question: answers whose parts do not add up to the budget.

Rows whose parts do not add up to ``total`` follow a policy
(:func:`apply_total_policy`): ``"reject"`` treats them as out of the domain,
``"rescale"`` rescales them to integers adding up exactly to ``total``
(largest-remainder rounding), ``"flag"`` keeps them as answered.  Rows with
any part missing are always left out.  :func:`allocation_policy` reads a
question's own ``total``, ``total_policy`` and ``tolerance``, which the
estimators of :mod:`survey.measures.allocation.means` take.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import ColumnError, InputError, OptionError
from survey.validation import check_option

__all__ = ["POLICIES", "allocation_policy", "apply_total_policy", "resolve_policy"]

POLICIES = ("reject", "rescale", "flag")


def allocation_policy(question) -> dict:
    """The estimators' ``total``, ``policy`` and ``tolerance`` from an allocation question.

    >>> from types import SimpleNamespace
    >>> allocation_policy(SimpleNamespace(type="allocation", total=100, total_policy="flag", tolerance=2))
    {'total': 100, 'policy': 'flag', 'tolerance': 2}
    """
    if getattr(question, "type", None) != "allocation":
        raise InputError(f"allocation_policy needs an allocation question; got {getattr(question, 'id', question)!r} "
                         f"of type {getattr(question, 'type', None)!r}")
    return dict(total=question.total, policy=question.total_policy, tolerance=question.tolerance)


def _parts_matrix(frame, columns):
    columns = list(columns)
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ColumnError(f"allocation columns {absent} are not in the data; available: "
                          f"{list(frame.columns)[:20]}", column=absent[0])
    if len(columns) < 2:
        raise ColumnError(f"an allocation needs at least 2 parts; got {columns}")
    try:
        y = frame[columns].apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"allocation columns {columns} must be numeric yen amounts ({exc})") from exc
    if np.any(y < 0):
        i, j = np.argwhere(y < 0)[0]
        raise InputError(f"allocation amounts must be >= 0 yen; found {y[i, j]:g}. Fix or blank "
                         "the answer before estimating", row=frame.index[i], column=columns[j])
    return y


def _largest_remainder(y, total):
    """Scale each row to ``total`` and round to integers keeping the exact sum."""
    scaled = y * (total / y.sum(axis=1, keepdims=True))
    base = np.floor(scaled)
    short = np.rint(total - base.sum(axis=1)).astype(int)
    frac = scaled - base
    order = np.argsort(-frac, axis=1, kind="stable")   # ties: leftmost part first
    for i in np.flatnonzero(short > 0):
        base[i, order[i, :short[i]]] += 1
    return base


def _classify(y, total, tolerance):
    missing = np.isnan(y).any(axis=1)
    sums = np.where(missing, np.nan, np.nansum(y, axis=1))
    ok = ~missing & (np.abs(sums - total) <= tolerance)
    off = ~missing & ~ok
    return missing, ok, off, sums


def resolve_policy(frame, columns, total, policy, tolerance, active=None):
    """(Y used, in-domain mask, counts) under a policy, rows kept in place.

    ``active`` (default all rows) marks the rows of the design's domain
    (positive weight); only they are counted and kept.
    """
    check_option(policy, POLICIES, name="the total policy")
    if not total > 0:
        raise OptionError(f"total must be positive; got {total!r}")
    if tolerance < 0:
        raise OptionError(f"tolerance must be >= 0; got {tolerance!r}")
    y = _parts_matrix(frame, columns)
    missing, ok, off, sums = _classify(y, total, tolerance)
    if active is not None:
        missing, ok, off = missing & active, ok & active, off & active
    counts = {"rows": len(y) if active is None else int(active.sum()), "valid": int(ok.sum()), "missing": int(missing.sum()),
              "off_total": int(off.sum()), "rejected": 0, "rescaled": 0, "flagged": 0}
    keep = ok.copy()
    if policy == "reject":
        counts["rejected"] = int(off.sum())
    elif policy == "flag":
        keep |= off & (sums > 0)
        counts["flagged"] = int((off & (sums > 0)).sum())
        counts["rejected"] = int((off & (sums <= 0)).sum())
    else:
        can = off & (sums > 0)
        y = y.copy()
        if can.any():
            y[can] = _largest_remainder(y[can], total)
        keep |= can
        counts["rescaled"] = int(can.sum())
        counts["rejected"] = int((off & ~can).sum())
    return y, keep, counts


def apply_total_policy(data, columns, *, total=1000, policy="reject", tolerance=0):
    """Apply a policy to rows whose parts do not add up to ``total``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    columns : sequence of str
        The allocation parts (yen).
    total : float, keyword-only
        The budget every row should add up to (¥1,000).
    policy : {"reject", "rescale", "flag"}, keyword-only
        ``"reject"`` drops rows off the total; ``"rescale"`` multiplies each such
        row by ``total / row sum`` and rounds to integers that add up exactly to
        ``total`` by the largest-remainder (Hamilton) method: every part gets
        the floor of its scaled amount and the yen still missing go one each to
        the parts with the largest fractional remainders (ties to the leftmost
        part); ``"flag"`` keeps rows unchanged and adds a boolean column
        ``total_off``.  Rows summing to 0 cannot be rescaled and are dropped
        under ``"rescale"`` and ``"flag"`` too.
    tolerance : float, keyword-only
        A row is valid when ``|row sum - total| <= tolerance``.

    Returns
    -------
    (pandas.DataFrame, dict)
        The new data (index kept) and the counts: ``rows, valid, missing,
        off_total, rejected, rescaled, flagged``.  Rows with a missing part are
        kept unchanged and counted as ``missing``.

    Examples
    --------
    A row ``(1, 1, 1)`` rescaled to ``total=1000`` becomes ``(334, 333, 333)``:
    each scaled part is 333.33, the floors add to 999 and the one missing yen
    goes to the leftmost of the tied remainders.
    """
    y, keep, counts = resolve_policy(data, columns, total, policy, tolerance)
    missing = np.isnan(y).any(axis=1)
    out = data.copy()
    if policy == "rescale":
        rescaled = ~missing & keep
        out.loc[rescaled, list(columns)] = y[rescaled]
    if policy == "flag":
        _, ok, _, _ = _classify(y, total, tolerance)
        out["total_off"] = ~missing & ~ok
    out = out.loc[keep | missing]
    return out, counts
