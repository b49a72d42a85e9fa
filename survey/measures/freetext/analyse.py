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
  proportions with CIs, :func:`~survey.measures.freetext.themes.theme_shares`)
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

from survey.errors import DesignError, SpecError
from survey.intake.privacy import (
    PERSONAL_DATA_KINDS,
    PERSONAL_DATA_LABELS_JA,
    RULE_MASKED,
    mask_series,
    masked_counts,
)
from survey.measures.freetext.stats import (
    TOTAL,
    cooccurrence,
    doc_term_matrix,
    weighted_log_odds,
    word_frequencies,
)
from survey.measures.freetext.themes import (
    Theme,
    ThemeDictionary,
    _coded_themes,
    _theme_shares,
    code_themes,
    is_no_opinion,
    load_keywords,
    representative_quotes,
    theme_shares,
)
from survey.measures.freetext.tokens import (
    STOP_WORDS,
    read_userdict,
    tokenize,
    tokenize_series,
    tokenizer,
)

__all__ = [
    "STOP_WORDS",
    "FreeTextTables",
    "Theme",
    "ThemeDictionary",
    "analyse_freetext",
    "answer_tokens",
    "code_themes",
    "cooccurrence",
    "default_keywords_path",
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



@dataclass(frozen=True)
class FreeTextTables:
    """Everything the 自由記述 section and sheet show (no respondent ids, masked text only).

    The group tables name a group by codes: ``by`` the attribute's id and ``group`` its level's
    code, both :data:`~survey.labels.TOTAL_LABEL` (全体) for the whole sample
    (:func:`survey.report.label_frame` names them from the questionnaire).

    ``summary``: by, group, estimate/se/ci_low/ci_high/deff/n (share of
    respondents who wrote a comment), respondents, comments · ``masked``: kind, label,
    answers · ``words``: by, group, word, n_comments, share ·
    ``characteristic``: by, group, word, count, log_odds, se, z, n_comments ·
    ``nodes``/``edges``: the co-occurrence network · ``themes``: by, group,
    theme, theme_group, label, estimate, se, ci_low, ci_high, deff, n,
    mentions · ``quotes``: theme, theme_group, label, rank, quote, comments ·
    ``notes``: counts and settings.
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


_CHARACTERISTIC_COLUMNS = ["by", "group", "word", "count", "log_odds", "se", "z", "n_comments"]


def _by_group(frame: pd.DataFrame, by) -> pd.DataFrame:
    """Replace the ``by`` code column by ``by`` (the attribute) and ``group`` (the level's code)
    in front; both 全体 for the whole sample."""
    frame = frame.copy()
    if by is None:
        frame.insert(0, "group", TOTAL)
        frame.insert(0, "by", TOTAL)
    else:
        frame.insert(0, "group", frame.pop(by).astype(object).to_numpy())
        frame.insert(0, "by", by)
    return frame


def default_keywords_path(questionnaire) -> Path:
    """``<questionnaire folder>/<questionnaire id>_keywords.yaml``."""
    if not questionnaire.path:
        raise SpecError("the questionnaire has no file path, so the keyword dictionary cannot be found "
                        "next to it; pass keywords=PATH")
    return Path(questionnaire.path).parent / f"{questionnaire.id}_keywords.yaml"


def _comment_rate(d, by, responding, active, level) -> pd.DataFrame:
    """Share of respondents who wrote a comment (R svyciprop on the indicator), with counts."""
    est = d.proportion("_commented", by=by, level=level).to_frame().reset_index()
    est = est[est["_commented"] == 1.0].drop(columns="_commented").reset_index(drop=True)
    keys = np.zeros(len(responding)) if by is None else d.data[by].to_numpy()
    resp = pd.Series(responding).groupby(keys).sum()
    com = pd.Series(active).groupby(keys).sum()
    where = est[by] if by is not None else pd.Series(np.zeros(len(est)))
    # the counts after the fixed columns, as a row's extras
    est["respondents"] = where.map(resp).fillna(0).astype(int).to_numpy()
    est["comments"] = where.map(com).fillna(0).astype(int).to_numpy()
    return est


def _group_words(tokens, w, groups, by, top, min_comments=1) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Top words of each group and, for two or more groups, their characteristic words; only words
    found in at least ``min_comments`` comments of the group are listed (the log-odds still
    compare every word)."""
    if by is None:
        wf = word_frequencies(tokens, w, min_comments=min_comments)
        wf.insert(0, "group", TOTAL)
        wf.insert(0, "by", TOTAL)
        return wf.head(top), None
    wf = word_frequencies(tokens, w, groups)
    wf.insert(0, "by", by)
    order = list(wf["group"].drop_duplicates())
    listed = wf[wf["n_comments"] >= min_comments]
    if len(order) < 2:
        return listed.groupby("group", sort=False).head(top), None
    # weighted comment counts per group and word = share × Σ w of the group's comments
    wsum = pd.Series(w).groupby(pd.Series(groups, dtype=object)).sum()
    counts = (wf.pivot_table(index="group", columns="word", values="share", aggfunc="sum", fill_value=0.0)
              .mul(wsum, axis=0).reindex(index=order))
    lo = weighted_log_odds(counts).merge(wf[["group", "word", "n_comments"]], on=["group", "word"], how="left")
    lo = lo[(lo["count"] > 0) & (lo["n_comments"] >= min_comments)].groupby("group", sort=False).head(top)
    lo.insert(0, "by", by)
    return listed.groupby("group", sort=False).head(top), lo.reset_index(drop=True)


def _masked_table(kinds, keep, earlier=None) -> pd.DataFrame:
    """Answers masked here (``kinds`` of the rows ``keep``) plus those masked
    before (``earlier``: :func:`survey.intake.privacy.masked_counts` of the ledger)."""
    found = pd.Series([k for ks, k_ok in zip(kinds, keep) if k_ok for k in ks], dtype=object)
    before = dict.fromkeys(PERSONAL_DATA_KINDS, 0) if earlier is None else dict(zip(earlier["kind"], earlier["answers"]))
    return pd.DataFrame({"kind": list(PERSONAL_DATA_KINDS),
                         "label": [PERSONAL_DATA_LABELS_JA[k] for k in PERSONAL_DATA_KINDS],
                         "answers": [int((found == k).sum()) + int(before[k]) for k in PERSONAL_DATA_KINDS]})


def _answers(design, questionnaire, keywords, column):
    """The keyword dictionary, the text column's name and its answers with personal data masked
    (and the kinds masked in each)."""
    dictionary = load_keywords(keywords if keywords is not None else default_keywords_path(questionnaire),
                               questionnaire)
    column = column or dictionary.question
    if column not in design.data.columns:
        raise DesignError(f"column {column!r} is not in the design data; pass column= the free-text column")
    raw = design.data[column]
    masked, kinds = mask_series(raw.astype(object).where(raw.notna(), None), with_kinds=True)
    return dictionary, column, masked, kinds


def answer_tokens(design, *, questionnaire, keywords=None, column: str | None = None) -> dict:
    """The content words of every distinct answer of the free-text column, personal data masked,
    as :func:`analyse_freetext` tokenises them: ``{masked answer: [words]}``.  Its janome part,
    which ``survey run``'s second process computes while the tables are made, then hands to
    :func:`analyse_freetext` (``tokens=``; issue 18)."""
    dictionary, _, masked, _ = _answers(design, questionnaire, keywords, column)
    texts = pd.factorize(masked, use_na_sentinel=True)[1]
    userdict = read_userdict(dictionary.userdict) if dictionary.userdict else None
    return dict(zip(texts, tokenize_series(pd.Series(texts, dtype=object), userdict=userdict)))


def analyse_freetext(design, *, questionnaire, keywords=None, column: str | None = None,
                     by=None, top_words: int = 15, network_words: int = 30,
                     quotes_per_theme: int = 3, level: float = 0.95, ledger=None,
                     min_comments: int = 1, tokens: dict | None = None) -> FreeTextTables:
    """The free-text analysis of a wave (the 自由記述 section and sheet).

    Steps: mask personal data in the comment column; drop blank and
    no-opinion answers; code themes with the keyword dictionary; tokenise
    with janome and the user dictionary; then, overall and by each ``by``
    attribute, the comment rate and theme shares (design-based proportions
    with logit CIs, R ``svyciprop``), top words (weighted document
    frequency), characteristic words (weighted log-odds); the co-occurrence
    network of the whole corpus; representative quotes per theme.

    Parameters
    ----------
    design : survey.design.Design
        The wave's (raked) design; its data hold the comment column.
        Respondents with weight 0 (outside a subset) are left out.
    questionnaire : survey.questionnaire.Questionnaire
    keywords : path, optional
        Theme dictionary (default ``<questionnaire folder>/<id>_keywords.yaml``,
        i.e. ``questionnaires/midori_keywords.yaml``); it names the user
        dictionary of place names.
    column : str, optional
        The text column (default: the dictionary's ``question``).
    by : sequence of str
        Attributes for group tables (besides the total).
    top_words, network_words, quotes_per_theme : int
        Words per group in the word tables, words in the network, quotes per theme.
    ledger : survey.intake.Ledger, optional
        The wave's ledger when its text was masked at intake
        (:func:`survey.intake.privacy.mask_text_columns`, as ``survey run``
        does).  Every answer is counted once, where it was masked: the
        masked cells the ledger records (rule ``personal_data_masked``) and
        whatever the screening here still finds (nothing, when the text was
        masked before).  ``masked`` and ``notes["masked_answers"]`` give
        that one count.
    min_comments : int
        A word is listed for a group (top words, characteristic words) only
        when at least this many comments of the group contain it, and drawn
        in the network when at least this many (and 2) comments hold it, or
        both words of an edge: ``survey run`` passes its small-cell
        threshold (``--min-cell``), so no word describes one or two people.
    tokens : dict, optional
        :func:`answer_tokens` of the same design and column, computed before (by ``survey
        run``'s second process); an answer it lacks is tokenised here.
    """
    dictionary, column, masked, kinds = _answers(design, questionnaire, keywords, column)
    responding = np.asarray(design.weights, dtype=float) > 0
    # every distinct answer is read once (a million answers repeat a few thousand texts)
    text_at, texts = pd.factorize(masked, use_na_sentinel=True)
    opinion = np.append(~np.array([is_no_opinion(t, dictionary) for t in texts], dtype=bool), False)
    commented = opinion[text_at]
    active = commented & responding
    if not active.any():
        raise DesignError(f"no comments in column {column!r} (after removing blank and no-opinion answers)")
    coded, theme_key = _coded_themes(masked.where(commented), dictionary)
    userdict = read_userdict(dictionary.userdict) if dictionary.userdict else None
    idx = np.flatnonzero(active)
    if tokens is None or any(t not in tokens for t in texts):
        distinct = tokenize_series(pd.Series(texts, dtype=object), userdict=userdict)
    else:
        distinct = [list(tokens[t]) for t in texts]
    tokens = [distinct[c] for c in text_at[idx]]      # one list per distinct answer, shared by its rows
    w = np.asarray(design.weights, dtype=float)[idx]
    w = w / w.mean()                       # counts on the sample's scale (see module doc)

    d = design.with_columns(_commented=commented.astype(float))
    summary, words, characteristic, themes = [], [], [], []
    for b in (None, *([] if by is None else [by] if isinstance(by, str) else by)):
        summary.append(_by_group(_comment_rate(d, b, responding, active, level), b))
        groups = None if b is None else design.data[b].to_numpy()[idx]
        top, char = _group_words(tokens, w, groups, b, top_words, min_comments)
        words.append(top)
        if char is not None:
            characteristic.append(char)
        themes.append(_by_group(_theme_shares(d, coded, dictionary, by=b, level=level, key=theme_key), b))
    nodes, edges = cooccurrence(tokens, w, top=network_words, min_comments=max(2, min_comments))
    quotes = representative_quotes(masked.where(active), coded, dictionary, per_theme=quotes_per_theme)
    earlier_rows = 0
    earlier = None
    if ledger is not None:
        at = design.data.index.to_numpy()[responding]
        earlier = masked_counts(ledger.changes, column, rows=at)
        logged = ledger.changes
        logged = logged[(logged["rule"] == RULE_MASKED) & (logged["column"] == column)] if len(logged) else logged
        earlier_rows = int(np.isin(logged["row"].to_numpy(dtype=np.int64), at).sum()) if len(logged) else 0
    masked_table = _masked_table(kinds, responding, earlier)
    notes = {
        "column": column, "heading": questionnaire[column].header if column in questionnaire else column,
        "respondents": int(responding.sum()), "comments": int(active.sum()),
        "no_opinion": int((masked.notna().to_numpy() & ~commented & responding).sum()),
        "masked_answers": int(sum(1 for k, ok in zip(kinds, responding) if k and ok)) + earlier_rows,
        "dictionary": f"{dictionary.id} {dictionary.version}", "themes": len(dictionary.themes),
        "theme_groups": dict(dictionary.groups),
        "userdict_words": 0 if userdict is None else len(userdict),
        "min_comments": int(min_comments),
    }
    return FreeTextTables(
        summary=pd.concat(summary, ignore_index=True), masked=masked_table,
        words=pd.concat(words, ignore_index=True),
        characteristic=(pd.concat(characteristic, ignore_index=True) if characteristic
                        else pd.DataFrame(columns=_CHARACTERISTIC_COLUMNS)),
        nodes=nodes, edges=edges, themes=pd.concat(themes, ignore_index=True), quotes=quotes, notes=notes)
