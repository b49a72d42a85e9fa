"""Coding free-text answers into themes with a keyword dictionary.

The dictionary is a YAML file kept next to the questionnaire
(``questionnaires/midori_keywords.yaml``): the ten functions of green
(みどりのチカラ), the twelve policy items and a few recurring topics, each
with its keywords.  A comment belongs to a theme when its masked text
(NFKC, lower case), with the theme's ``exclude`` phrases removed, contains
one of the theme's keywords as a substring; it may belong to several
themes or to none.  Answers that only say "nothing" (``no_opinion``: 特に
なし, ありません …) are not comments.

Keyword coding is transparent and repeatable, not clever: it misses
paraphrases and negations (「暑くない」 is coded 涼しさ) and a short keyword
matches every longer word containing it.  Read the representative quotes
next to the shares.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from survey.errors import DesignError
from survey.intake.keywords import PUNCT as _PUNCT, Theme, ThemeDictionary, load_keywords, norm as _norm
from survey.intake.privacy import mask_personal_data

__all__ = [
    "Theme",
    "ThemeDictionary",
    "code_themes",
    "is_no_opinion",
    "load_keywords",
    "representative_quotes",
    "theme_shares",
]

_SENTENCE = re.compile(r"(?<=[。！？!?])|\s+")


def is_no_opinion(text, dictionary: ThemeDictionary) -> bool:
    """True when the answer, without punctuation and spaces, is one of the
    dictionary's ``no_opinion`` phrases (特にありません。 → True)."""
    if not isinstance(text, str):
        return True
    return _PUNCT.sub("", _norm(text)) in dictionary.no_opinion or not _PUNCT.sub("", text)


def code_themes(texts: pd.Series, dictionary: ThemeDictionary) -> pd.DataFrame:
    """0/1 theme indicators per answer (one column per theme id).

    Rows without a comment (missing, or a ``no_opinion`` answer) are NaN in
    every column, so design estimators treat commenters as the domain.
    """
    return _coded_themes(texts, dictionary)[0]


def _coded_themes(texts: pd.Series, dictionary: ThemeDictionary):
    """:func:`code_themes` and the key of its columns: the number of each row's pattern of
    themes (rows with the same number have the same 0/1/NaN values in every theme column,
    and rows with different numbers differ in one), for collapsing rows (issue 18)."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    table = np.full((len(uniques) + 1, len(dictionary.themes)), np.nan)
    for u, text in enumerate(uniques):
        if is_no_opinion(text, dictionary):
            continue
        norm = _norm(text)
        table[u] = [1.0 if t.hits(norm) else 0.0 for t in dictionary.themes]
    pattern = pd.factorize(np.array([row.tobytes() for row in table], dtype=object))[0]
    return (pd.DataFrame(table[codes], index=texts.index, columns=[t.id for t in dictionary.themes]),
            pattern[codes])


def theme_shares(design, coded: pd.DataFrame, dictionary: ThemeDictionary, *, by=None,
                 level: float = 0.95) -> pd.DataFrame:
    """Weighted share of comments mentioning each theme, with design-based CIs.

    Each theme is a 0/1 column (NaN without a comment), so every row is R
    ``svyciprop(~I(theme == 1), subset(design, commented), method="logit")``
    (``svyby`` with ``by``): standard errors by linearisation on the full
    design (domain estimation), logit intervals with the domain's degrees of
    freedom.  Columns: [``by``], ``theme``, ``theme_group``, ``label``,
    ``estimate, se, ci_low, ci_high, deff, n`` (``n`` = comments in the
    domain), ``mentions`` (unweighted comments coding the theme).
    """
    return _theme_shares(design, coded, dictionary, by=by, level=level)


def _theme_shares(design, coded, dictionary, *, by, level, key=None) -> pd.DataFrame:
    """:func:`theme_shares`; ``key``: the pattern numbers of :func:`_coded_themes`, which the
    collapse reads instead of the theme columns."""
    if not coded.index.equals(design.data.index):
        raise DesignError("coded themes must have the design's row index; build them from design.data")
    for t in dictionary.themes:
        if coded[t.id].notna().sum() == 0:
            raise DesignError("no comments to code: every answer is missing or a no-opinion answer")
    cols = {f"_theme_{t.id}": coded[t.id].to_numpy() for t in dictionary.themes}
    d = design._adopt_columns(cols) if key is None else design._with_keyed_columns(cols, [key])
    # the documented R call subsets the design to the comments first, so the
    # interval's df is the commenting domain's (proportion alone would use the
    # whole design's, as svyciprop(na.rm=TRUE) does); themes coded on the same
    # comments (all of them, from code_themes) are estimated in one pass
    answered = coded[[t.id for t in dictionary.themes]].notna()
    blocks: dict[bytes, list] = {}
    for t in dictionary.themes:
        mask = answered[t.id].to_numpy()
        blocks.setdefault(np.packbits(mask).tobytes(), [mask, []])[1].append(f"_theme_{t.id}")
    # the level-1 rows of every theme at once (issue 18: theme by theme, the pandas work took
    # longer than the estimation)
    every = pd.concat([d.subset(mask).proportion(block, by=by, level=level).to_frame().reset_index()
                       for mask, block in blocks.values()], ignore_index=True)
    order = {f"_theme_{t.id}": j for j, t in enumerate(dictionary.themes)}
    every.insert(0, "_pos", every.pop("variable").map(order).astype(int))
    ones = every["level"] == 1.0
    mentioned = set(every.loc[ones, "_pos"])
    # a theme never mentioned: share 0 with the domain sizes (its level-0 rows)
    never = ~every["_pos"].isin(mentioned)
    frame = every[ones | (never & (every["level"] == 0.0))].copy()
    zero = never[frame.index].to_numpy()
    frame.loc[zero, "estimate"] = 0.0
    frame.loc[zero, "se"] = 0.0
    frame.loc[zero, "deff"] = np.nan
    frame = frame.sort_values("_pos", kind="stable").drop(columns=["level"]).reset_index(drop=True)
    w = np.asarray(design.weights, dtype=float) > 0
    hits = pd.DataFrame({t.id: (coded[t.id] == 1.0).to_numpy() & w for t in dictionary.themes}, index=coded.index)
    ids = np.array([t.id for t in dictionary.themes], dtype=object)[frame["_pos"].to_numpy()]
    if by is None:
        frame["mentions"] = hits.sum().loc[ids].to_numpy().astype(int)
    else:
        counts = hits.groupby(design.data[by]).sum()
        stacked = counts.stack()
        keys = pd.MultiIndex.from_arrays([frame[by].to_numpy(), ids])
        frame["mentions"] = stacked.reindex(keys).fillna(0).astype(int).to_numpy()
    none = frame["mentions"].to_numpy() == 0
    frame.loc[none, "ci_low"] = 0.0     # no mention: no interval (a logit interval degenerates at 0)
    frame.loc[none, "ci_high"] = np.nan
    themes = [dictionary.themes[j] for j in frame.pop("_pos")]
    frame.insert(0, "label", [t.label for t in themes])
    frame.insert(0, "theme_group", [t.group for t in themes])
    frame.insert(0, "theme", [t.id for t in themes])
    out = frame
    if by is not None:
        out = out[[by] + [c for c in out.columns if c != by]].sort_values([by], kind="stable", ignore_index=True)
    return out


def representative_quotes(texts: pd.Series, coded: pd.DataFrame, dictionary: ThemeDictionary, *,
                          per_theme: int = 3, max_chars: int = 120) -> pd.DataFrame:
    """A few quotes per theme, chosen deterministically from masked text.

    Candidates are the distinct answers coded to the theme.  They are ranked
    by the number of the theme's keywords they contain (more first), then by
    how close their length is to the median length of the candidates (a
    typical comment rather than the longest), then by the text itself; a
    candidate is skipped when a sentence of it that mentions the theme was
    already quoted, so the quotes differ.
    Quotes longer than ``max_chars`` are cut with "…".  Each quote is
    screened again by :func:`survey.intake.privacy.mask_personal_data`
    (texts should already be masked; this makes sure).

    Returns columns ``theme``, ``theme_group``, ``label``, ``rank``,
    ``quote``, ``comments`` (how many answers the theme codes).
    """
    rows = []
    for t in dictionary.themes:
        mask = (coded[t.id] == 1.0).to_numpy()
        candidates = pd.unique(texts[mask].dropna().astype(str))
        if not len(candidates):
            continue
        lengths = np.array([len(c) for c in candidates])
        median = float(np.median(lengths))
        ranked = sorted(candidates, key=lambda c: (-t.hits(_norm(c)), abs(len(c) - median), c))
        chosen, used = [], set()
        for quote in ranked:
            parts = {p for p in _SENTENCE.split(quote) if p and t.hits(_norm(p))}
            if parts & used:
                continue              # repeats a sentence already quoted: prefer variety
            used |= parts
            chosen.append(quote)
            if len(chosen) == per_theme:
                break
        for rank, quote in enumerate(chosen, start=1):
            quote = mask_personal_data(quote)[0]
            if len(quote) > max_chars:
                quote = quote[:max_chars - 1] + "…"
            rows.append((t.id, t.group, t.label, rank, quote, int(mask.sum())))
    return pd.DataFrame(rows, columns=["theme", "theme_group", "label", "rank", "quote", "comments"])
