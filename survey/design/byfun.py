"""Any statistic by groups (R ``svyby``) and any function of the weights
(R ``withReplicates``).

:func:`svyby` runs a statistic in every ``by`` group.  The design's own
estimators (``"mean"``, ``"total"``, ``"proportion"``, ``"ratio"``,
``"quantile"``, ``"var"``) already take ``by=`` and return the joint
covariance across groups (R ``svyby(..., covmat=TRUE)``).  Any other
statistic -- a callable ``f(domain_design, *args, **kwargs)`` returning an
:class:`~survey.design.Estimate`, e.g. one built by :func:`with_replicates`
-- is run on ``design.subset(group)`` for every group (domains keep the
whole design, as R's ``svyby``); for a replicate design the covariance
across groups comes from the stacked replicate estimates, for a linearised
one only the within-group blocks are known and the rest is NaN (R:
"Only diagonal elements of vcov() available").

:func:`with_replicates` evaluates ``fn(weights, data)`` with the
full-sample weights and with every column of replicate weights and returns
the estimate with the replicate covariance (R ``withReplicates(design,
theta)``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.estimate import Estimate
from survey.errors import DesignError

__all__ = ["svyby", "with_replicates"]

#: estimators that take ``by=`` themselves (joint covariance across groups)
NATIVE = ("mean", "total", "proportion", "ratio", "quantile", "var")


def _as_values(result, name: str):
    if isinstance(result, pd.Series):
        return result.to_numpy(dtype=float), [str(i) for i in result.index]
    if isinstance(result, dict):
        return np.asarray(list(result.values()), dtype=float), [str(k) for k in result]
    arr = np.atleast_1d(np.asarray(result, dtype=float))
    if arr.ndim != 1:
        raise DesignError(f"with_replicates: the function must return a number or a 1-D array; got "
                          f"shape {arr.shape}.")
    return arr, ([name] if arr.size == 1 else [f"{name}{i}" for i in range(arr.size)])


def with_replicates(design, fn, *, name: str = "theta", level: float = 0.95) -> Estimate:
    """Any statistic of the weights with its replicate variance (R ``withReplicates``).

    Parameters
    ----------
    design : ReplicateDesign
    fn : callable
        ``fn(weights, data)``: ``weights`` a float array with one entry per
        row of ``data`` (the rows of the design's domain: rows with any
        non-zero full-sample or replicate weight), returning a number, a
        1-D array, a dict or a Series.
    name : str
        Row label for an unnamed result.

    Returns
    -------
    Estimate
        ``statistic="custom"``, replicate covariance, ``df`` the design's
        degrees of freedom, ``replicates`` the replicate values.

    Examples
    --------
    The coefficient of variation of api00 (R ``withReplicates(jk1,
    function(w, data) ...)``)::

        def cv(w, data):
            m = np.sum(w * data["api00"]) / np.sum(w)
            return np.sqrt(np.sum(w * (data["api00"] - m) ** 2) / np.sum(w)) / m
        with_replicates(jk1, cv)
    """
    if not getattr(design, "is_replicate", False):
        raise DesignError("with_replicates needs replicate weights: build them with "
                          "design.replicate('jk1'|'jkn'|'brr'|'bootstrap'|...) first.")
    if not callable(fn):
        raise DesignError(f"with_replicates: fn must be a function of (weights, data); got "
                          f"{type(fn).__name__}.")
    w = design._w
    W = design._W
    rows = (w != 0) | (W != 0).any(axis=1)
    data = design.data.loc[rows]
    theta, labels = _as_values(fn(w[rows], data), name)
    reps = np.empty((W.shape[1], theta.size))
    for r in range(W.shape[1]):
        value = _as_values(fn(W[rows, r], data), name)[0]
        if value.size != theta.size:
            raise DesignError(f"with_replicates: replicate {r + 1} gave {value.size} values, the full "
                              f"sample {theta.size}; the function must return the same shape.")
        reps[r] = value
    V = design.replicate_vcov(reps, theta)
    index = pd.Index(labels, name="statistic")
    return Estimate(index=index, estimate=theta, vcov=V, df=design.degf, deff=np.nan,
                    n=int(np.count_nonzero(rows)), statistic="custom", level=level,
                    replicates=pd.DataFrame(reps, columns=index))


def svyby(design, by, statistic, *args, **kwargs) -> Estimate:
    """A statistic in every group of ``by`` (R ``svyby``).

    Parameters
    ----------
    design : Design or ReplicateDesign
    by : str or list of str
        Group columns (groups sorted; rows missing them left out).
    statistic : str or callable
        One of :data:`NATIVE` (``svyby(d, "stype", "var", "api00")`` is
        ``d.var("api00", by="stype")``, R ``svyby(~api00, ~stype, d,
        svyvar)``), or ``f(domain_design, *args, **kwargs) -> Estimate``
        (e.g. ``with_replicates`` with a function of the weights).
    *args, **kwargs
        Passed to the statistic.

    Returns
    -------
    Estimate
        Rows ``(group..., row of the statistic)``.
    """
    if isinstance(statistic, str):
        if statistic not in NATIVE:
            raise DesignError(f"svyby: statistic must be one of {NATIVE} or a function of the design; "
                              f"got {statistic!r}.")
        if "by" in kwargs:
            raise DesignError("svyby: give the groups as by=, not inside the statistic's arguments.")
        return getattr(design, statistic)(*args, by=by, **kwargs)
    if not callable(statistic):
        raise DesignError(f"svyby: statistic must be a name or a function; got {type(statistic).__name__}.")
    keys, masks, names = design._groups(by)
    parts = []
    for key, mask in zip(keys, masks):
        est = statistic(design.subset(mask), *args, **kwargs)
        if not isinstance(est, Estimate):
            raise DesignError(f"svyby: the statistic must return an Estimate; got {type(est).__name__} "
                              f"for the group {key}.")
        parts.append((key, est))
    rows, inner = [], None
    for key, est in parts:
        idx = est.estimate.index
        inner = list(idx.names) if isinstance(idx, pd.MultiIndex) else [idx.name or "statistic"]
        rows.extend(key + (tuple(r) if isinstance(idx, pd.MultiIndex) else (r,)) for r in idx)
    index = pd.MultiIndex.from_tuples(rows, names=names + inner)
    theta = np.concatenate([est.estimate.to_numpy() for _, est in parts])
    k = theta.size
    reps = [est.replicates for _, est in parts]
    if getattr(design, "is_replicate", False) and all(r is not None for r in reps):
        R = np.column_stack([r.to_numpy() for r in reps])
        V = design.replicate_vcov(R, theta)
        replicates = pd.DataFrame(R, columns=index)
    else:
        V = np.full((k, k), np.nan)
        start = 0
        for _, est in parts:
            m = len(est)
            V[start:start + m, start:start + m] = est.vcov.to_numpy()
            start += m
        replicates = None
    out = Estimate(index=index, estimate=theta, vcov=V,
                   df=np.concatenate([est.df.to_numpy() for _, est in parts]),
                   deff=np.concatenate([est.deff.to_numpy() for _, est in parts]),
                   n=np.concatenate([est.n.to_numpy() for _, est in parts]),
                   statistic=parts[0][1].statistic, level=parts[0][1].level, replicates=replicates)
    return out
