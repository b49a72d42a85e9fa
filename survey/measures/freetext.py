"""Free-text answers (自由記述): weighted word counts, characteristic words,
co-occurrence network and theme shares (issue 10).

Every statistic here uses survey weights.  The unit is the *comment*: a word
counts once per comment that contains it (document frequency), with the
comment's weight rescaled so that the weights of the comments being counted
average 1 (the counts then stay on the scale of the sample, which the
log-odds prior and variance need).  Comments are masked for personal data
(:func:`survey.intake.privacy.mask_series`) before anything is counted or
shown; answers that say nothing (特になし) are not comments.

* :func:`word_frequencies` — weighted share of comments containing each word,
  overall or by group.
* :func:`weighted_log_odds` — characteristic words of each group against the
  other groups: log-odds ratio with an informative Dirichlet prior and its
  z-score (Monroe, Colaresi & Quinn 2008, eqs. 16, 18–22).
* :func:`cooccurrence` — nodes (top words) and edges (weighted Jaccard
  co-occurrence within comments) for a network chart.
* :func:`analyse_freetext` — all of the above plus theme shares (design-based
  proportions with CIs, :func:`~survey.measures.freetext_themes.theme_shares`)
  and representative quotes, by age band and district.

References: Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin'
Words: Lexical feature selection and evaluation for identifying the content of
political conflict. *Political Analysis* 16(4), 372–403.  Jaccard co-occurrence
networks as in KH Coder (Higuchi, K. 2016, *Ritsumeikan Social Sciences
Review* 52(3), 77–91).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from survey.errors import DesignError, SpecError
from survey.intake.privacy import (
    PERSONAL_DATA_KINDS,
    PERSONAL_DATA_LABELS_JA,
    mask_series,
)
from survey.measures.freetext_themes import (
    THEME_GROUPS,
    Theme,
    ThemeDictionary,
    code_themes,
    is_no_opinion,
    load_keywords,
    representative_quotes,
    theme_shares,
)
from survey.measures.freetext_tokens import (
    STOP_WORDS,
    read_userdict,
    tokenize,
    tokenize_series,
    tokenizer,
)

__all__ = [
    "STOP_WORDS",
    "THEME_GROUPS",
    "FreeTextTables",
    "Theme",
    "ThemeDictionary",
    "analyse_freetext",
    "code_themes",
    "cooccurrence",
    "doc_term_matrix",
    "is_no_opinion",
    "load_keywords",
    "read_userdict",
    "representative_quotes",
    "theme_shares",
    "tokenize",
    "tokenize_series",
    "tokenizer",
    "weighted_log_odds",
    "word_frequencies",
]

TOTAL = "全体"


def doc_term_matrix(tokens) -> tuple[sparse.csr_matrix, list[str]]:
    """Comments × words 0/1 matrix (a word once per comment) and the sorted vocabulary."""
    vocab = sorted({w for doc in tokens for w in doc})
    index = {w: j for j, w in enumerate(vocab)}
    rows, cols = [], []
    for i, doc in enumerate(tokens):
        for w in set(doc):
            rows.append(i)
            cols.append(index[w])
    data = np.ones(len(rows))
    X = sparse.csr_matrix((data, (rows, cols)), shape=(len(tokens), len(vocab)))
    return X, vocab


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


@dataclass(frozen=True)
class FreeTextTables:
    """Everything the 自由記述 section and sheet show (no respondent ids, masked text only).

    ``summary``: by, group, respondents, comments, estimate/se/ci_low/ci_high (share of
    respondents who wrote a comment), n · ``masked``: kind, label, answers ·
    ``words``: by, group, word, n_comments, share · ``characteristic``: by,
    group, word, count, log_odds, se, z, n_comments · ``nodes``/``edges``: the
    co-occurrence network · ``themes``: by, group, theme, theme_group, label,
    estimate, se, ci_low, ci_high, deff, n, mentions · ``quotes``: theme,
    theme_group, label, rank, quote, comments · ``notes``: counts and settings.
    """

    summary: pd.DataFrame
    masked: pd.DataFrame
    words: pd.DataFrame
    characteristic: pd.DataFrame
    nodes: pd.DataFrame
    edges: pd.DataFrame
    themes: pd.DataFrame
    quotes: pd.DataFrame
    notes: dict = field(default_factory=dict)


def _group_labels(questionnaire, by, values: pd.Series) -> pd.Series:
    codes = {float(k): v for k, v in questionnaire[by].codes.items()}
    return values.map(lambda v: codes.get(float(v), str(v)) if pd.notna(v) else None)


def _by_name(questionnaire, by) -> str:
    return questionnaire[by].header.split(" ", 1)[-1] if questionnaire[by].header else by


def _label_groups(frame: pd.DataFrame, questionnaire, by) -> pd.DataFrame:
    frame = frame.copy()
    if by is None:
        frame.insert(0, "group", TOTAL)
        frame.insert(0, "by", TOTAL)
    else:
        frame.insert(0, "group", _group_labels(questionnaire, by, frame.pop(by)).to_numpy())
        frame.insert(0, "by", _by_name(questionnaire, by))
    return frame


def default_keywords_path(questionnaire) -> Path:
    """``<questionnaire folder>/<questionnaire id>_keywords.yaml``."""
    if not questionnaire.path:
        raise SpecError("the questionnaire has no file path, so the keyword dictionary cannot be found "
                        "next to it; pass keywords=PATH")
    return Path(questionnaire.path).parent / f"{questionnaire.id}_keywords.yaml"


def analyse_freetext(design, questionnaire, *, keywords=None, column: str | None = None,
                     by=("age_band", "district"), top_words: int = 15, network_words: int = 30,
                     quotes_per_theme: int = 3, level: float = 0.95) -> FreeTextTables:
    """The free-text analysis of a wave (the 自由記述 section and sheet).

    Parameters
    ----------
    design : survey.design.Design
        The wave's (raked) design; its data hold the comment column.
    questionnaire : survey.questionnaire.Questionnaire
    keywords : path, optional
        Theme dictionary (default ``<questionnaire folder>/<id>_keywords.yaml``,
        i.e. ``questionnaires/midori_keywords.yaml``); it names the user
        dictionary of place names.
    column : str, optional
        The text column (default: the dictionary's ``question``).
    by : sequence of str
        Attributes for group tables (besides the total).
    """
    dictionary = load_keywords(keywords if keywords is not None else default_keywords_path(questionnaire),
                               questionnaire)
    column = column or dictionary.question
    if column not in design.data.columns:
        raise DesignError(f"column {column!r} is not in the design data; pass column= the free-text column")
    masked, kinds = mask_series(design.data[column].astype(object).where(design.data[column].notna(), None),
                                with_kinds=True)
    w_all = np.asarray(design.weights, dtype=float)
    commented = masked.notna().to_numpy() & ~np.array([is_no_opinion(t, dictionary) for t in masked])
    active = commented & (w_all > 0)
    if not active.any():
        raise DesignError(f"no comments in column {column!r} (after removing blank and no-opinion answers)")
    coded = code_themes(masked.where(commented), dictionary)
    userdict = read_userdict(dictionary.userdict) if dictionary.userdict else None
    tokens_all = tokenize_series(masked.where(active), userdict=userdict)
    idx = np.flatnonzero(active)
    tokens = [tokens_all[i] for i in idx]
    w = w_all[idx] / w_all[idx].mean()

    d = design.with_columns(_commented=commented.astype(float))
    summary, words, characteristic, themes = [], [], [], []
    for b in (None, *by):
        est = d.proportion("_commented", by=b, level=level).to_frame().reset_index()
        est = est[est["_commented"] == 1.0].drop(columns="_commented")
        grp = None if b is None else design.data[b].to_numpy()[idx]
        resp = pd.Series(w_all > 0).groupby(design.data[b].to_numpy() if b else np.zeros(len(w_all))).sum()
        com = pd.Series(active).groupby(design.data[b].to_numpy() if b else np.zeros(len(w_all))).sum()
        key = est[b] if b else pd.Series([0.0] * len(est))
        est.insert(0 if b is None else 1, "comments", key.map(com).fillna(0).astype(int).to_numpy())
        est.insert(0 if b is None else 1, "respondents", key.map(resp).fillna(0).astype(int).to_numpy())
        summary.append(_label_groups(est, questionnaire, b))
        wf = word_frequencies(tokens, w, grp)
        if b is None:
            wf.insert(0, "group", TOTAL)
        else:
            wf["group"] = _group_labels(questionnaire, b, wf["group"]).to_numpy()
        wf.insert(0, "by", TOTAL if b is None else _by_name(questionnaire, b))
        words.append(wf.groupby("group", sort=False).head(top_words))
        if b is not None:
            counts = wf.pivot_table(index="group", columns="word", values="share", aggfunc="sum", fill_value=0.0)
            # weighted comment counts = share × weighted comments in the group
            wsum = pd.Series(w).groupby(_group_labels(questionnaire, b, pd.Series(grp)).to_numpy()).sum()
            counts = counts.mul(wsum.reindex(counts.index), axis=0)
            counts = counts.reindex(index=[g for g in wf["group"].drop_duplicates()])
            if counts.shape[0] >= 2:
                lo = weighted_log_odds(counts)
                lo = lo.merge(wf[["group", "word", "n_comments"]], on=["group", "word"], how="left")
                lo = lo[lo["count"] > 0].groupby("group", sort=False).head(top_words)
                lo.insert(0, "by", _by_name(questionnaire, b))
                characteristic.append(lo)
        themes.append(_label_groups(theme_shares(d, coded, dictionary, by=b, level=level), questionnaire, b))
    nodes, edges = cooccurrence(tokens, w, top=network_words)
    quotes = representative_quotes(masked.where(commented), coded, dictionary, per_theme=quotes_per_theme)
    found = pd.Series([k for ks in kinds for k in ks], dtype=object)
    masked_table = pd.DataFrame({"kind": list(PERSONAL_DATA_KINDS),
                                 "label": [PERSONAL_DATA_LABELS_JA[k] for k in PERSONAL_DATA_KINDS],
                                 "answers": [int((found == k).sum()) for k in PERSONAL_DATA_KINDS]})
    notes = {
        "column": column, "respondents": int((w_all > 0).sum()), "comments": int(active.sum()),
        "no_opinion": int((masked.notna().to_numpy() & ~commented & (w_all > 0)).sum()),
        "masked_answers": int(sum(1 for k, pos in zip(kinds, w_all > 0) if k and pos)),
        "dictionary": f"{dictionary.id} {dictionary.version}", "themes": len(dictionary.themes),
        "userdict_words": 0 if userdict is None else len(userdict),
    }
    return FreeTextTables(
        summary=pd.concat(summary, ignore_index=True), masked=masked_table,
        words=pd.concat(words, ignore_index=True),
        characteristic=(pd.concat(characteristic, ignore_index=True) if characteristic else
                        pd.DataFrame(columns=["by", "group", "word", "count", "log_odds", "se", "z", "n_comments"])),
        nodes=nodes, edges=edges, themes=pd.concat(themes, ignore_index=True), quotes=quotes, notes=notes)
