"""The design's one variance service for models fitted by estimating equations.

``rank_logit``, the weighted Cronbach's alpha, ``dirichlet_regression``,
``svyglm`` and ``svyolr`` all ask the design for the covariance of their
estimate the same way, ``design.model_vcov(theta, scores=, bread=, rows=,
refit=)``, and never which kind of design they have:

* a linearised :class:`~survey.design.Design` returns the sandwich
  ``bread @ score_vcov(scores) @ bread.T`` (:func:`sandwich`; R
  ``svyrecvar`` of the scores, calibration aware: Binder 1983), and never
  calls ``refit``;
* a :class:`~survey.design.ReplicateDesign` refits on every replicate's
  weights and combines the estimates as R ``svrVar`` (:func:`refits`), and
  never asks for the scores.
"""
from __future__ import annotations

import numpy as np

__all__ = ["refits", "sandwich"]


def sandwich(design, scores, *, bread=None, rows=None, pattern=None) -> np.ndarray:
    """The sandwich covariance on a linearised design.

    Parameters
    ----------
    design : survey.design.Design
    scores : array-like (m, p) or callable returning it
        Weighted per-row scores (``w_i U_i(theta)``) when ``bread`` is
        given, else the influence functions (scores times the bread).
    bread : array-like, shape (p, p), optional
        Inverse of the negative Hessian of the weighted estimating
        equations: the covariance is ``bread @ score_vcov(scores) @
        bread.T``.  Without it, ``score_vcov(scores)``.
    rows : boolean array of length n, optional
        The rows the scores belong to (``m = rows.sum()``); every other
        row scores zero but stays in the design (domain estimation).
    pattern : array-like of int, optional
        The pattern of every row (of ``rows`` when given): ``scores`` then
        has one row per pattern, per unit weight, and row ``i`` contributes
        ``w_i scores[pattern_i]`` (``Design.pattern_vcov``: rows with the
        same covariates and answers are summed first, exactly).

    Returns
    -------
    ndarray, shape (p, p)

    Examples
    --------
    The variance of a mean through its influence ``w (y - ybar) / sum(w)``
    equals ``Design.mean``'s:

    >>> import numpy as np, pandas as pd
    >>> from survey.design import Design
    >>> d = Design(pd.DataFrame({"y": [1.0, 2.0, 4.0, 7.0], "s": [1, 1, 2, 2]}), strata="s")
    >>> y = d.data["y"].to_numpy()
    >>> infl = (y - y.mean()) / 4
    >>> bool(np.isclose(d.model_vcov([y.mean()], scores=infl[:, None])[0, 0], d.mean("y").vcov.iloc[0, 0]))
    True
    """
    z = scores() if callable(scores) else scores
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    if pattern is not None:
        pattern = np.asarray(pattern)
        if rows is not None:
            full = np.full(design.n, -1, dtype=np.int64)
            full[np.asarray(rows, dtype=bool)] = pattern
            pattern = full
        V = design.pattern_vcov(z, pattern)
    else:
        if rows is not None:
            rows = np.asarray(rows, dtype=bool)
            full = np.zeros((design.n, z.shape[1]))
            full[rows] = z
            z = full
        V = design.score_vcov(z)
    if bread is not None:
        B = np.asarray(bread, dtype=float)
        V = B @ V @ B.T
    return V


def refits(design, theta, refit, *, rows=None) -> np.ndarray:
    """The replicate covariance of ``theta`` from ``refit(w_r)`` on every
    replicate's weights of the ``rows`` (all rows when None), as R
    ``withReplicates``.  A replicate that gives no row a positive weight
    keeps the full-sample estimate, as R's ``svyglm`` does."""
    theta = np.asarray(theta, dtype=float).reshape(-1)
    W = design.replicate_weights
    if rows is not None:
        W = W[np.asarray(rows, dtype=bool)]
    reps = np.empty((W.shape[1], theta.size))
    for r in range(W.shape[1]):
        wr = W[:, r]
        reps[r] = np.asarray(refit(wr), dtype=float).reshape(-1) if np.any(wr > 0) else theta
    return design.replicate_vcov(reps, theta)
