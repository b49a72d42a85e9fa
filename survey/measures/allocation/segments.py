"""Allocation segments: respondents clustered on their clr coordinates.

Each valid allocation is zero-replaced (``delta`` yen, see
:mod:`survey.measures.allocation.compositional`) and mapped to centred log-ratios, where
Euclidean distance is Aitchison's distance between compositions.  Weighted
k-means (scikit-learn ``KMeans(sample_weight=design weights)``, fixed
``seed``, computed by :mod:`survey.measures.allocation.kmeans` with scikit-learn's
own operations, so the same segments bit for bit, without importing it) is run for every ``k`` in ``k_range`` and the number of
segments is the ``k`` with the best criterion:

* ``"silhouette"`` (default): the weighted silhouette, the weighted mean over
  respondents of ``(b - a) / max(a, b)``, with ``a`` the weighted mean
  distance to the others of the own segment and ``b`` the smallest weighted
  mean distance to another segment (0 for a respondent alone in a segment);
  with equal weights it is scikit-learn's ``silhouette_score``;
* ``"calinski_harabasz"``: ``[B / (k - 1)] / [W / (n - k)]`` with weighted
  between- and within-segment sums of squares (weights scaled to sum ``n``);
  with equal weights it is scikit-learn's ``calinski_harabasz_score``.

k-means runs on one thread (as scikit-learn's on one OpenMP thread) so the
segments do not depend on the machine's thread count.  With more than ``silhouette_sample`` clustered rows
(default 5,000; far above a mailed wave) the silhouette of each ``k`` is
computed on a fixed-seed uniform subsample of that many rows, as
scikit-learn's ``silhouette_score(sample_size=...)`` does: the exact criterion
needs all n² distances (69 GB at 100,000 rows).  Likewise, with more than
``kmeans_sample`` clustered rows (default 20,000) k-means is fitted on a
fixed-seed uniform subsample of that many rows (with their design weights)
and every row joins its nearest centre (``KMeans.predict``): a weighted
k-means of a million rows, ten starts for each of five ``k``, took 115 s of
CPU (issue 18).  On 200,000 simulated respondents (ten parts) the subsample
chose the same k, the segment sizes moved by 6e-5 and 99.8% of the rows
kept their segment.
Below both thresholds (every mailed wave) every row takes part.  Segments are numbered 1..k by decreasing weighted size.  Sizes, profiles
(mean yen per part) and the segment mix within groups (e.g. age, district)
are design-based estimates that take the segment labels as given (the
clustering step's own uncertainty is not in the standard errors).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.design.estimate import COLUMNS as RESULT_COLUMNS
from survey.errors import InputError
from survey.measures.allocation.means import _prepare, group_blocks, part_means
from survey.validation import check_level, check_option, check_seed
from survey.measures.allocation.compositional import clr, multiplicative_replacement
from survey.measures.allocation.kmeans import euclidean_distances, kmeans, nearest_centres

__all__ = ["SegmentResult", "allocation_segments", "weighted_silhouette",
           "weighted_calinski_harabasz"]

_CRITERIA = ("silhouette", "calinski_harabasz")
_BLOCK_CELLS = 4_000_000  # distances held at once by weighted_silhouette (32 MB)


def weighted_silhouette(x, labels, weights=None, *, distances=None):
    """Weighted mean silhouette of a clustering (see module notes).

    Parameters
    ----------
    x : array-like, shape (n, p)
    labels : array-like of int, shape (n,)
    weights : array-like, shape (n,), optional
        Non-negative; ``None`` gives scikit-learn's ``silhouette_score``.
    distances : ndarray (n, n), optional, keyword-only
        Precomputed Euclidean distances (saves time over several k).
    """
    labels = np.asarray(labels)
    n = len(labels)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    uniq = np.unique(labels)
    if not 2 <= len(uniq) <= n - 1:
        raise InputError(f"the silhouette needs 2..n-1 clusters; got {len(uniq)} for n={n}")
    member = (labels[:, None] == uniq[None, :]).astype(float)      # (n, k)
    wsum = (member * w[:, None]).sum(axis=0)                         # weight per cluster
    if distances is not None:
        dsum = distances @ (member * w[:, None])                     # (n, k) weighted distance sums
    else:  # row blocks of the distance matrix: memory O(block * n), never n * n
        x = np.asarray(x, dtype=float)
        dsum = np.empty((n, len(uniq)))
        step = max(1, _BLOCK_CELLS // max(n, 1))
        for start in range(0, n, step):
            block = euclidean_distances(x[start:start + step], x)
            rows = np.arange(block.shape[0])
            block[rows, start + rows] = 0.0  # self-distance exactly 0, as euclidean_distances(x) sets it
            dsum[start:start + step] = block @ (member * w[:, None])
    own = np.searchsorted(uniq, labels)
    own_w = wsum[own] - w                                            # exclude self
    a = np.where(own_w > 0, dsum[np.arange(n), own] / np.where(own_w > 0, own_w, 1.0), 0.0)
    mean_other = dsum / wsum[None, :]
    mean_other[np.arange(n), own] = np.inf
    b = mean_other.min(axis=1)
    s = np.where(own_w > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return float(w @ s / w.sum())


def _silhouette_or_nan(x, labels, w, dist, *, sampled):
    """The criterion; on a subsample that holds a single segment, NaN (that k
    is then not chosen)."""
    if sampled and len(np.unique(labels)) < 2:
        return float("nan")
    return weighted_silhouette(x, labels, w, distances=dist)


def weighted_calinski_harabasz(x, labels, weights=None):
    """Weighted Calinski-Harabasz index (see module notes)."""
    x = np.asarray(x, dtype=float)
    labels = np.asarray(labels)
    n = len(labels)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    w = w * n / w.sum()
    uniq = np.unique(labels)
    k = len(uniq)
    if not 2 <= k <= n - 1:
        raise InputError(f"the Calinski-Harabasz index needs 2..n-1 clusters; got {k}")
    centre = w @ x / w.sum()
    between = within = 0.0
    for c in uniq:
        m = labels == c
        wc = w[m]
        mc = wc @ x[m] / wc.sum()
        between += wc.sum() * np.sum((mc - centre) ** 2)
        within += wc @ np.sum((x[m] - mc) ** 2, axis=1)
    return float(np.inf if within == 0 else between * (n - k) / (within * (k - 1)))


@dataclass(frozen=True)
class SegmentResult:
    """Result of :func:`allocation_segments`.

    Attributes
    ----------
    k : int
        The number of segments chosen.
    labels : pandas.Series
        Segment (1..k, nullable Int64) per row of ``design.data``; ``<NA>`` for
        rows left out (missing parts, off-total rows under the policy).
    criteria : pandas.DataFrame
        ``k, criterion, score, chosen`` for every ``k`` tried.
    sizes : pandas.DataFrame
        ``segment, estimate, se, ci_low, ci_high, deff, n, top_parts``: weighted share
        of respondents in each segment; ``top_parts`` names the two parts with
        the highest ratio of segment mean to overall mean.
    profiles : pandas.DataFrame
        ``segment, part, estimate, se, ci_low, ci_high, deff, n``: mean yen per part.
    by : dict of str -> pandas.DataFrame
        For each ``by`` column, ``<column>, segment, estimate, se, ci_low,
        ci_high, deff, n``: the segment mix within each group.
    centres : pandas.DataFrame
        k-means centres in clr coordinates (segment x part).
    """

    k: int
    labels: pd.Series
    criteria: pd.DataFrame
    sizes: pd.DataFrame
    profiles: pd.DataFrame
    by: dict = field(default_factory=dict)
    centres: pd.DataFrame | None = None
    delta: float = 1.0


def _long(est, labels, group_col, group_keys):
    """A group-major :func:`~survey.measures.allocation.means.part_means` estimate as a long
    table: ``group_col, segment_or_part, estimate, se, ci_low, ci_high, deff, n``."""
    frame = est.to_frame().reset_index(drop=True)[RESULT_COLUMNS]
    keys = pd.DataFrame({group_col: [k for k in group_keys for _ in labels],
                         "segment_or_part": [lab for _ in group_keys for lab in labels]})
    return pd.concat([keys, frame], axis=1)


def allocation_segments(design, columns, *, k_range=range(2, 7), criterion="silhouette",
                        delta=1.0, by=None, seed=0, n_init=10, level=0.95, total=1000,
                        policy="reject", tolerance=0, silhouette_sample=5000,
                        kmeans_sample=20000) -> SegmentResult:
    """Cluster respondents on clr coordinates of their allocation (weighted k-means).

    Parameters
    ----------
    design : survey.design.Design
    columns : sequence of str
        The allocation parts (yen).
    k_range : iterable of int, keyword-only
        Numbers of segments tried (default 2..6).
    criterion : {"silhouette", "calinski_harabasz"}, keyword-only
        How ``k`` is chosen (the largest value wins; ties to the smaller k).
    delta : float, keyword-only
        Zero replacement in yen before the clr transform.
    by : str or sequence of str, keyword-only
        Columns for the segment mix tables (e.g. ``("age", "district")``; None: none).
    seed, n_init : keyword-only
        ``seed`` is scikit-learn ``KMeans``' ``random_state``: the default 0 gives the same
        segments on every call (``None``: fresh random starts and subsamples).
    silhouette_sample : int, keyword-only
        Above this many clustered rows the silhouette is computed on a uniform
        subsample of this size drawn with ``seed`` (as scikit-learn's
        ``silhouette_score(sample_size=...)``); below it, on every row.
    kmeans_sample : int, keyword-only
        Above this many clustered rows k-means is fitted on a uniform
        subsample of this size (drawn with ``seed + 1``, or fresh with ``None``) and every row is
        assigned to its nearest centre; below it, fitted on every row.
    level, total, policy, tolerance : keyword-only
        As in :func:`survey.measures.allocation.means.allocation_means`.

    Returns
    -------
    SegmentResult
    """
    check_option(criterion, _CRITERIA, name="criterion")
    level = check_level(level)
    seed = check_seed(seed)
    columns = list(columns)
    design, frame, y, keep, _ = _prepare(design, columns, total, policy, tolerance, "allocation_segments")
    w_all = np.asarray(design.weights, dtype=float)
    idx = np.flatnonzero(keep)
    ks = sorted({int(k) for k in k_range})
    if not ks or ks[0] < 2 or ks[-1] >= len(idx):
        raise InputError(f"k_range must hold integers from 2 to {len(idx) - 1} (rows used); got {ks}")
    coords = clr(multiplicative_replacement(y[idx], delta=delta, total=total))
    w = w_all[idx]
    sub = np.arange(len(idx))
    if criterion == "silhouette" and len(idx) > silhouette_sample:
        sub = np.sort(np.random.default_rng(seed).choice(len(idx), size=silhouette_sample, replace=False))
    dist = euclidean_distances(coords[sub]) if criterion == "silhouette" else None
    fit_rows = None
    if len(idx) > kmeans_sample:
        fit_rows = np.sort(np.random.default_rng(None if seed is None else seed + 1).choice(len(idx), size=kmeans_sample, replace=False))
    fits, scores = {}, []
    for k in ks:
        # KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(coords, sample_weight=w),
        # or .fit on the subsample and .predict(coords)
        if fit_rows is None:
            km = kmeans(coords, k, sample_weight=w, n_init=n_init, seed=seed)
            lab = km.labels
        else:
            km = kmeans(coords[fit_rows], k, sample_weight=w[fit_rows], n_init=n_init, seed=seed)
            lab = nearest_centres(coords, km.centres)
        fits[k] = (lab, km.centres)
        score = (_silhouette_or_nan(coords[sub], lab[sub], w[sub], dist, sampled=len(sub) < len(idx)) if criterion == "silhouette"
                 else weighted_calinski_harabasz(coords, lab, w))
        scores.append(score)
    del coords, dist            # 0.3 GB at 1,000,000 rows, not needed for the tables below
    if np.all(np.isnan(scores)):
        raise InputError(f"no k in {ks} gives two segments in the silhouette subsample of {len(sub)} rows; "
                         "raise silhouette_sample or use criterion='calinski_harabasz'")
    best = ks[int(np.nanargmax(scores))]
    criteria = pd.DataFrame({"k": ks, "criterion": criterion, "score": scores,
                             "chosen": [k == best for k in ks]})
    lab, centres = fits[best]
    # renumber by decreasing weighted size (ties: lower k-means label first)
    size = np.array([w[lab == c].sum() for c in range(best)])
    order = np.lexsort((np.arange(best), -size))
    relabel = np.empty(best, dtype=int)
    relabel[order] = np.arange(1, best + 1)
    seg = relabel[lab]
    labels = pd.Series(pd.array([pd.NA] * len(frame), dtype="Int64"), index=frame.index, name="segment")
    labels.iloc[idx] = seg
    seg_full = np.zeros(len(frame), dtype=int)
    seg_full[idx] = seg

    # sizes: means of the segment indicators over the clustered rows; profiles: mean
    # yen per part by segment; mixes: the indicators' means by group (asked of the design)
    names = [f"_segment_{s}" for s in range(1, best + 1)]
    segments = list(range(1, best + 1))
    ind = np.where(keep[:, None], seg_full[:, None] == np.arange(1, best + 1)[None, :], np.nan)
    sizes = _long(part_means(design, ind, names, level=level, what="allocation_segments"), segments, "all", ["all"])
    sizes = sizes.drop(columns="all").rename(columns={"segment_or_part": "segment"})
    sizes["n"] = [int((seg == s).sum()) for s in segments]
    yv = np.where(keep[:, None], np.nan_to_num(y), np.nan)
    profile_means = part_means(design.with_columns(_segment=np.where(keep, seg_full, np.nan)), yv, columns,
                               "_segment", level=level, what="allocation_segments")
    profiles = _long(profile_means, columns, "segment", segments)
    profiles = profiles.rename(columns={"segment_or_part": "part"})
    pe = group_blocks(profile_means, len(columns))[1]
    overall = (w @ y[idx]) / w.sum()
    ratio = pe / np.where(overall > 0, overall, np.nan)
    sizes["top_parts"] = [", ".join(columns[j] for j in np.argsort(-r, kind="stable")[:2]) for r in ratio]
    # segment mix within each by-group
    by_tables = {}
    for col in ([] if by is None else [by] if isinstance(by, str) else list(by)):
        mix = part_means(design, ind, names, col, level=level, what="allocation_segments")
        t = _long(mix, segments, col, [k[0] for k in group_blocks(mix, best)[0]])
        by_tables[col] = t.rename(columns={"segment_or_part": "segment"})
    centres_df = pd.DataFrame(centres[order], index=pd.Index(range(1, best + 1), name="segment"),
                              columns=columns)
    return SegmentResult(k=best, labels=labels, criteria=criteria, sizes=sizes, profiles=profiles,
                         by=by_tables, centres=centres_df, delta=delta)
