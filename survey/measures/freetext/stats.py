"""Weighted word statistics of free-text answers: document frequencies,
characteristic words (weighted log-odds) and co-occurrence.

The unit is the *comment*: a word counts once per comment that contains it
(document frequency), weighted by the comment's survey weight.  See
:mod:`survey.measures.freetext.analyse` for how the weights are scaled.

References: Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin'
Words: Lexical feature selection and evaluation for identifying the content of
political conflict. *Political Analysis* 16(4), 372–403.  Jaccard co-occurrence
networks as in KH Coder (Higuchi, K. 2016, *Ritsumeikan Social Sciences
Review* 52(3), 77–91).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from survey.errors import DesignError

__all__ = ["TOTAL", "cooccurrence", "doc_term_matrix", "weighted_log_odds", "word_frequencies"]

TOTAL = "全体"


def doc_term_matrix(tokens) -> tuple[sparse.csr_matrix, list[str]]:
    """Comments × words 0/1 matrix (a word once per comment) and the sorted vocabulary."""
    # each distinct comment once (a million comments repeat a few thousand texts), then its row for every comment
    distinct: dict[tuple, int] = {}
    which = np.fromiter((distinct.setdefault(tuple(doc), len(distinct)) for doc in tokens), dtype=np.int64,
                        count=len(tokens))
    vocab = sorted({w for doc in distinct for w in doc})
    index = {w: j for j, w in enumerate(vocab)}
    rows, cols = [], []
    for i, doc in enumerate(distinct):
        for w in set(doc):
            rows.append(i)
            cols.append(index[w])
    U = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(distinct), len(vocab)))
    return U[which], vocab


def _weights(weights, n) -> np.ndarray:
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,) or np.any(~np.isfinite(w)) or np.any(w < 0):
        raise DesignError(f"weights must be {n} finite non-negative numbers; got shape {w.shape}")
    return w


def word_frequencies(tokens, weights=None, groups=None, *, min_comments: int = 1) -> pd.DataFrame:
    """Weighted document frequency of every word, overall or by group.

    ``share`` = Σ wᵢ·[word in comment i] / Σ wᵢ over the comments of the
    group (rows with no words still count in the denominator: pass only the
    comments).  ``n_comments`` is the unweighted number of comments with the
    word.  Rows are sorted by group, then share (descending), then word.

    Parameters
    ----------
    tokens : list of list of str
        Words per comment (:func:`tokenize_series`).
    weights : array-like, optional
        Survey weights per comment (equal weights when omitted).
    groups : array-like, optional
        Group label per comment; missing labels are left out.
    min_comments : int
        Keep words found in at least this many comments (of the group).
    """
    n = len(tokens)
    w = _weights(weights, n)
    X, vocab = doc_term_matrix(tokens)
    g = pd.Series([TOTAL] * n if groups is None else list(groups))
    frames = []
    keys = list(pd.unique(g.dropna()))
    try:
        keys = sorted(keys)
    except TypeError:
        pass
    for key in keys:
        sel = (g == key).to_numpy() & (w > 0)
        if not sel.any():
            continue
        Xg = X[sel]
        wsum = w[sel].sum()
        share = np.asarray(Xg.T @ w[sel]).ravel() / wsum
        count = np.asarray(Xg.sum(axis=0)).ravel().astype(int)
        keep = count >= max(min_comments, 1)
        frame = pd.DataFrame({"group": key, "word": np.asarray(vocab, dtype=object)[keep],
                              "n_comments": count[keep], "share": share[keep]})
        frames.append(frame.sort_values(["share", "word"], ascending=[False, True], kind="stable"))
    if not frames:
        return pd.DataFrame(columns=["group", "word", "n_comments", "share"])
    out = pd.concat(frames, ignore_index=True)
    return out.drop(columns="group") if groups is None else out


def weighted_log_odds(counts: pd.DataFrame, *, prior_strength: float | None = None) -> pd.DataFrame:
    """Characteristic words of each group: log-odds ratio against the other
    groups with an informative Dirichlet prior (Monroe et al. 2008).

    For word w, group i and the rest j (all other groups), with counts
    y (``counts``: groups × words, weighted comment counts), totals
    nᵢ = Σ_w y_wᵢ, n = Σᵢ nᵢ and prior α_w = α₀ · y_w / n::

        δ_w = log[(y_wi + α_w) / (n_i + α₀ − y_wi − α_w)]
            − log[(y_wj + α_w) / (n_j + α₀ − y_wj − α_w)]        (eq. 16)
        σ²_w ≈ 1/(y_wi + α_w) + 1/(y_wj + α_w)                  (eq. 18)
        z_w = δ_w / σ_w                                          (eq. 22)

    Parameters
    ----------
    counts : pandas.DataFrame
        One row per group (index = group label), one column per word, values
        ≥ 0 (need not be integers: weighted counts are fine).
    prior_strength : float, optional
        α₀.  Default: n, the total count, so that α_w = y_w (the empirical
        Bayes prior of R ``tidylo::bind_log_odds``, which however compares a
        group with the whole corpus instead of with the other groups).

    Returns
    -------
    pandas.DataFrame
        ``group, word, count, log_odds, se, z``, sorted by group then z
        (descending) then word.  A z above 1.96 marks a word clearly more
        frequent in the group than elsewhere.
    """
    if not isinstance(counts, pd.DataFrame) or counts.shape[0] < 2 or counts.shape[1] < 1:
        raise DesignError("counts must be a DataFrame with at least two groups (rows) and one word (column); "
                          f"got {getattr(counts, 'shape', type(counts).__name__)}")
    y = counts.to_numpy(dtype=float)
    if np.any(~np.isfinite(y)) or np.any(y < 0):
        raise DesignError("counts must be finite and non-negative")
    yw = y.sum(axis=0)
    ni = y.sum(axis=1)
    n = ni.sum()
    if n <= 0:
        raise DesignError("counts are all zero: there is nothing to compare")
    a0 = float(n if prior_strength is None else prior_strength)
    if not a0 > 0:
        raise DesignError(f"prior_strength must be positive; got {prior_strength!r}")
    alpha = a0 * yw / n
    yj = yw[None, :] - y
    nj = (n - ni)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (np.log((y + alpha) / (ni[:, None] + a0 - y - alpha))
                 - np.log((yj + alpha) / (nj + a0 - yj - alpha)))
        se = np.sqrt(1.0 / (y + alpha) + 1.0 / (yj + alpha))
    out = pd.DataFrame({
        "group": np.repeat(counts.index.to_numpy(dtype=object), y.shape[1]),
        "word": np.tile(counts.columns.to_numpy(dtype=object), y.shape[0]),
        "count": y.ravel(), "log_odds": delta.ravel(), "se": se.ravel(), "z": (delta / se).ravel(),
    })
    order = {g: k for k, g in enumerate(counts.index)}
    out["_g"] = out["group"].map(order)
    out = out.sort_values(["_g", "z", "word"], ascending=[True, False, True], kind="stable")
    return out.drop(columns="_g").reset_index(drop=True)


def cooccurrence(tokens, weights=None, *, top: int = 30, min_comments: int = 2, min_jaccard: float = 0.1,
                 max_edges: int = 40) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Co-occurrence network of the most frequent words.

    Nodes are the ``top`` words by weighted document frequency among words
    in at least ``min_comments`` comments (ties by word).  An edge joins two
    nodes found together in at least ``min_comments`` comments; its strength
    is the weighted Jaccard coefficient W(a and b) / W(a or b), where W sums
    the weights of the comments (equal weights give the usual Jaccard).
    Edges with a coefficient below ``min_jaccard`` are dropped, and at most
    ``max_edges`` of the strongest are kept (ties by word pair).

    Returns ``(nodes, edges)``: nodes ``word, n_comments, share``; edges
    ``word_a, word_b, n_both, jaccard``.
    """
    n = len(tokens)
    w = _weights(weights, n)
    X, vocab = doc_term_matrix(tokens)
    count = np.asarray(X.sum(axis=0)).ravel()
    wdoc = np.asarray(X.T @ w).ravel()
    total = w.sum()
    order = sorted((j for j in range(len(vocab)) if count[j] >= min_comments), key=lambda j: (-wdoc[j], vocab[j]))
    keep = order[:top]
    nodes = pd.DataFrame({"word": [vocab[j] for j in keep], "n_comments": count[keep].astype(int),
                          "share": wdoc[keep] / total if total > 0 else np.nan})
    if len(keep) < 2:
        return nodes, pd.DataFrame(columns=["word_a", "word_b", "n_both", "jaccard"])
    Xk = X[:, keep]
    both_n = (Xk.T @ Xk).toarray()
    both_w = (Xk.T @ sparse.diags(w) @ Xk).toarray()
    edges = []
    for a in range(len(keep)):
        for b in range(a + 1, len(keep)):
            if both_n[a, b] < min_comments:
                continue
            union = both_w[a, a] + both_w[b, b] - both_w[a, b]
            jac = both_w[a, b] / union if union > 0 else 0.0
            if jac >= min_jaccard:
                wa, wb = sorted((vocab[keep[a]], vocab[keep[b]]))
                edges.append((wa, wb, int(both_n[a, b]), float(jac)))
    edges.sort(key=lambda e: (-e[3], e[0], e[1]))
    return nodes, pd.DataFrame(edges[:max_edges], columns=["word_a", "word_b", "n_both", "jaccard"])
