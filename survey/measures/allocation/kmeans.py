"""Weighted k-means and Euclidean distances as scikit-learn 1.9 computes them, in numpy (issue 18).

:func:`~survey.measures.allocation.segments.allocation_segments` used
``sklearn.cluster.KMeans(n_clusters=k, n_init=n_init, random_state=seed)`` on one
OpenMP thread and ``sklearn.metrics.pairwise_distances``; importing scikit-learn costs
more than half a second of CPU, a fifth of ``survey run`` on the bundled wave.  Here
the same algorithm is written with the same floating-point operations in the same
order, so its labels, centres and inertia are scikit-learn's bit for bit
(``tests/test_segments.py`` compares them on many data sets):

- the data centred on its mean, the tolerance ``1e-4 * mean(var(X))`` of the uncentred data;
- k-means++ seeding (``_kmeans_plusplus``: ``RandomState.choice`` by weight, then
  ``2 + int(log k)`` candidates per centre drawn on the cumulative weighted distances);
- Lloyd's iterations (``_k_means_lloyd.pyx`` on one thread): per block of 256 rows the
  squared norms of the centres plus ``-2 X C'`` from the same BLAS ``dgemm`` call
  (scipy's, row-major as scikit-learn's Cython calls it), the first nearest centre, the
  weighted sums accumulated row after row; empty clusters relocated to the farthest
  points; centres times the reciprocal of their weight; stop when no label changes or
  the squared centre shifts add up to at most the tolerance, else a last assignment;
- the inertia summed row after row with scikit-learn's four-term unrolled distances;
  the best of ``n_init`` runs kept by inertia unless it is the same clustering.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import blas

__all__ = ["KMeansFit", "euclidean_distances", "kmeans", "nearest_centres"]

_CHUNK = 256        # scikit-learn's CHUNK_SIZE of the Lloyd iterations
_TOL = 1e-4
_MAX_ITER = 300


def _row_norms(x: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x, x)


def euclidean_distances(x, y=None, *, squared: bool = False, y_norm_squared=None) -> np.ndarray:
    """``sklearn.metrics.pairwise_distances(x, y)`` (``euclidean_distances``) for float64 arrays:
    ``|x|² - 2 x·y + |y|²`` clipped at 0, the diagonal 0 when ``y`` is ``x`` (or None)."""
    x = np.asarray(x, dtype=float)
    same = y is None or y is x
    y = x if same else np.asarray(y, dtype=float)
    xx = _row_norms(x)[:, None]
    yy = xx.T if same else (np.reshape(y_norm_squared, (1, -1)) if y_norm_squared is not None
                            else _row_norms(y)[None, :])
    distances = -2 * (x @ y.T)
    distances += xx
    distances += yy
    np.maximum(distances, 0, out=distances)
    if same:
        np.fill_diagonal(distances, 0)
    return distances if squared else np.sqrt(distances, out=distances)


def _unrolled_squared(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise squared distances summed as ``_euclidean_dense_dense`` does: four terms at a time."""
    d = a - b
    sq = d * d
    result = np.zeros(len(a))
    p = sq.shape[1]
    for g in range(p // 4):
        j = 4 * g
        result += ((sq[:, j] + sq[:, j + 1]) + sq[:, j + 2]) + sq[:, j + 3]
    for j in range(4 * (p // 4), p):
        result += sq[:, j]
    return result


def _assign(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Each row's first nearest centre (the E step), block by block as scikit-learn does."""
    n, k = len(x), len(centres)
    dist = np.empty((n, k))
    dist[:] = _row_norms(centres)
    step = _CHUNK if n > _CHUNK else n
    for start in range(0, n, step):
        block = dist[start:start + step]
        # scikit-learn's _gemm(RowMajor, NoTrans, Trans, ...): column-major dgemm('T', 'N') of C and X
        block[...] = blas.dgemm(-2.0, centres.T, x[start:start + step].T, beta=1.0, c=block.T, trans_a=1,
                                trans_b=0, overwrite_c=1).T
    return np.argmin(dist, axis=1).astype(np.int32)


def _lloyd_step(x, xw1, w, centres, labels_out):
    """One Lloyd iteration: labels, new centres, their weights and the centres' shifts."""
    k, p = centres.shape
    labels = _assign(x, centres)
    labels_out[:] = labels
    # each cluster's weighted sums and weight row after row, as scikit-learn adds them: the rows
    # of a cluster in their order (a stable sort), added up by a running sum (np.add.accumulate adds
    # in order), + 0.0 (scikit-learn adds from 0.0)
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=k)
    ranked = xw1[order]
    total = np.zeros((k, p + 1))
    start = 0
    for j in range(k):
        if counts[j]:
            total[j] = np.cumsum(ranked[start:start + counts[j]], axis=0)[-1] + 0.0
            start += counts[j]
    sums, weight = np.ascontiguousarray(total[:, :p]), total[:, p].copy()
    empty = np.flatnonzero(np.equal(weight, 0)).astype(np.int32)
    if len(empty):
        distances = ((x - centres[labels]) ** 2).sum(axis=1)
        far = np.argpartition(distances, -len(empty))[:-len(empty) - 1:-1].astype(np.int32)
        if np.max(distances) != 0:
            for new, idx in zip(empty, far):
                old = labels[idx]
                sums[old] -= x[idx] * w[idx]
                sums[new] = x[idx] * w[idx]
                weight[new] = w[idx]
                weight[old] -= w[idx]
    biggest = np.argmax(weight)
    for j in range(k):
        if weight[j] > 0:
            sums[j] *= 1.0 / weight[j]
        else:
            sums[j] = sums[biggest]
    shift = np.sqrt(_unrolled_squared(sums, centres))
    return sums, shift


def _plusplus(x, w, norms, k, rng):
    """k-means++ seeds (scikit-learn's ``_kmeans_plusplus``)."""
    n = len(x)
    trials = 2 + int(np.log(k))
    centres = np.empty((k, x.shape[1]))
    first = rng.choice(n, p=w / w.sum())
    centres[0] = x[first]
    closest = euclidean_distances(centres[0, np.newaxis], x, squared=True, y_norm_squared=norms)
    pot = closest @ w
    for c in range(1, k):
        draws = rng.uniform(size=trials) * pot
        ids = np.searchsorted(np.cumsum(w * closest), draws)
        np.clip(ids, None, closest.size - 1, out=ids)
        to_candidates = euclidean_distances(x[ids], x, squared=True, y_norm_squared=norms)
        np.minimum(closest, to_candidates, out=to_candidates)
        pots = to_candidates @ w.reshape(-1, 1)
        best = np.argmin(pots)
        pot = pots[best]
        closest = to_candidates[best]
        centres[c] = x[ids[best]]
    return centres


def _same_clustering(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two labellings are one clustering up to the numbering."""
    for c in np.unique(a):
        members = b[a == c]
        if np.any(members != members[0]):
            return False
    return True


class KMeansFit:
    """What a fit gives (scikit-learn's ``labels_``, ``cluster_centers_``, ``inertia_``, ``n_iter_``)."""

    __slots__ = ("labels", "centres", "inertia", "n_iter")

    def __init__(self, labels, centres, inertia, n_iter):
        self.labels, self.centres, self.inertia, self.n_iter = labels, centres, inertia, n_iter


def kmeans(x, k: int, *, sample_weight, n_init: int = 10, seed=None) -> KMeansFit:
    """``KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(x, sample_weight=...)``
    on one thread (see the module): labels (int32), centres, inertia and iterations of the best run."""
    x = np.array(x, dtype=float, order="C")          # a copy: centred below
    w = np.array(sample_weight, dtype=float)
    if len(x) < k:
        raise ValueError(f"n_samples={len(x)} should be >= n_clusters={k}.")
    rng = np.random.RandomState(seed) if seed is not None else np.random.mtrand._rand
    tol = np.mean(np.var(x, axis=0)) * _TOL
    mean = x.mean(axis=0)
    x -= mean
    norms = _row_norms(x)
    xw1 = np.column_stack([x * w[:, None], w])     # the weighted rows and the weight: summed together
    best = None
    for _ in range(n_init):
        centres = _plusplus(x, w, norms, k, rng)
        labels = np.full(len(x), -1, dtype=np.int32)
        previous = labels.copy()
        strict = False
        for it in range(_MAX_ITER):
            centres_new, shift = _lloyd_step(x, xw1, w, centres, labels)
            centres = centres_new
            if np.array_equal(labels, previous):
                strict = True
                break
            if (shift ** 2).sum() <= tol:
                break
            previous[:] = labels
        if not strict:
            labels = _assign(x, centres)
        inertia = np.cumsum(_unrolled_squared(x, centres[labels]) * w)[-1]
        if best is None or (inertia < best.inertia and not _same_clustering(labels, best.labels)):
            best = KMeansFit(labels, centres, inertia, it + 1)
    best.centres += mean
    return best


def nearest_centres(x, centres) -> np.ndarray:
    """``KMeans.predict(x)``: each row's nearest of the fitted ``centres`` (int32)."""
    return _assign(np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(centres, dtype=float))
