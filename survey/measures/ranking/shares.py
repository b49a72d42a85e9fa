"""Top-k shares of a priority ranking ("choose up to k in order of importance").

:func:`topk_shares` -- weighted share of respondents putting each item
first, in their top k, and the mean Borda score (k, k-1, ..., 1 points),
with design-based SEs and CIs (R: ``svymean`` of the indicator columns,
``svyciprop`` for the shares' intervals).  The model of the rankings,
:func:`~survey.measures.ranking.estimators.rank_logit`, is in
:mod:`survey.measures.ranking.estimators`, which re-exports this function.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.results import COLUMNS
from survey.errors import InputError
from survey.validation import check_design
from survey.measures.ranking import data as rd

__all__ = ["MEASURES", "topk_shares"]


#: The ``measure`` of :func:`topk_shares`' rows, in their order.
MEASURES = ("first_share", "topk_share", "borda")


def topk_shares(design, choices, *, items=None, by=None, level: float = 0.95, truncated=None) -> pd.DataFrame:
    """Share of respondents ranking each item first, in their top k, and mean Borda score.

    Parameters
    ----------
    design : survey.design.Design or ReplicateDesign
        The survey design (``survey.Design(frame)`` for an unweighted
        simple random sample).
    choices : list of str
        The rank columns in order, e.g. ``["policy_1st", "policy_2nd",
        "policy_3rd"]`` (k = their number); each holds an item label or is
        blank.
    items : list, optional
        All items in display order (items nobody chose get zero shares);
        default the sorted labels seen.
    by : str or list of str, optional
        Domain columns (e.g. ``"age"``); one block of rows per group.
    level : float
        Confidence level.
    truncated : str or array-like of bool, optional
        Rankings that stop at a tied rank (two items marked at one rank:
        intake keeps the ranks above the tie and clears the rest, ledger
        rule ``ranking_tie_truncated``; :func:`survey.intake.truncated_rankings`
        gives this flag for a question): a column name of the design data,
        or one flag per row.  Such a ranking is a partial top-k: its first
        choice counts when it was given (a tie at rank 2 or below), but it
        does not say which items complete its top k, so it is left out of
        the top-k shares and Borda scores (as a domain: the design stays
        whole).  Without the flag a shorter ranking is read as the
        respondent's whole answer (items not named are not in the top k).

    Returns
    -------
    DataFrame
        Long table ``[by...], measure, item, estimate, se, ci_low, ci_high,
        deff, n``: for each ``by`` group, the rows of ``measure``
        ``"first_share"``, then ``"topk_share"``, then ``"borda"``
        (:data:`MEASURES`), one per item in ``items`` order.  Shares are
        weighted proportions of the respondents who answered the question
        (gave at least a first choice; for the top-k share and the Borda
        score, a ranking not cut at a tie); ``borda`` is the mean score
        with k points for a first choice, k-1 for a second, ..., 0 when
        not ranked.  ``n`` counts those respondents (of the group); ``deff``
        is R ``svymean``'s (NaN for an item nobody chose, whose share is 0
        with SE 0).  A measure with no such respondent (every ranking of
        the group cut at a tie) has NaN estimates and ``n`` 0.  One row per
        item and group with a measure's figures as columns is
        ``table.pivot(index=["item"], columns="measure", values=...)``.

    Notes
    -----
    Estimates and SEs are R ``svymean(~first_A + ..., subset(design,
    answered))`` (``svyby(..., svymean)`` with ``by``) of the 0/1
    indicator and Borda columns; non-answerers stay in the design as a
    domain complement.  The intervals of the two shares are proportions'
    intervals, computed by :meth:`Design.proportion <survey.design.Design.proportion>`:
    R ``svyciprop(~I(first_A == 1), subset(design, answered),
    method="logit")`` (t with the design df of the domain, or of the ``by``
    group in it), so they stay inside 0-100%; the Borda score, a mean,
    has a Wald interval (normal quantile, R ``confint``).  See
    ``tests/reference/ranking_game.R``.

    Examples
    --------
    問10 on the bundled wave (:func:`survey.examples.bundled_wave`; ``wave`` in R:
    ``tests/reference/bundled_wave.R``): the first three of the twelve policies

    >>> import survey
    >>> from survey.examples import bundled_wave
    >>> wave, q = bundled_wave()
    >>> shares = survey.topk_shares(wave, q["policy"].columns)
    >>> shares.head(3).round(4)
    ...     # R: svyciprop(~I(policy_1 == 1), subset(wave, !is.na(policy_1)), method="logit")
           measure  item  estimate      se  ci_low  ci_high    deff     n
    0  first_share     1    0.1990  0.0117  0.1770   0.2230  1.1248  1293
    1  first_share     2    0.1611  0.0109  0.1409   0.1837  1.1518  1293
    2  first_share     3    0.1148  0.0098  0.0970   0.1353  1.2228  1293
    >>> shares.pivot(index="item", columns="measure", values="estimate").head(3).round(4)
    measure   borda  first_share  topk_share
    item
    1        1.0778       0.1990      0.5065
    2        0.9426       0.1611      0.4547
    3        0.6744       0.1148      0.3314
    """
    design = check_design(design, what="topk_shares")
    C, items = rd.parse_choices(design.data, choices, items)
    k = C.shape[1]
    cut = _truncated(design.data, truncated)
    first_known = C[:, 0] >= 0
    complete = first_known & ~cut
    if not first_known.any():
        raise InputError(f"Nobody answered the ranking (columns {list(choices)}).")
    points = (k - np.arange(k)).astype(float)
    first, topk, borda = {}, {}, {}
    ranks = [np.ascontiguousarray(C[:, r]) for r in range(k)]
    for j in range(len(items)):
        at = [rank == j for rank in ranks]          # contiguous columns, no reduction along a short axis
        first[f"__topk_shares_first_share_{j}"] = np.where(first_known, at[0] * 1.0, np.nan)
        topk[f"__topk_shares_topk_share_{j}"] = np.where(complete, np.logical_or.reduce(at) * 1.0, np.nan)
        # the points of the rank holding the item: whole numbers, exact in any order of summation
        borda[f"__topk_shares_borda_{j}"] = np.where(complete, sum(p * a for p, a in zip(points, at)), np.nan)
    # each family of columns is a one-to-one function of a few key arrays (collapsing reads those)
    extended = design._with_keyed_columns(first, [C[:, 0]])
    complete_sets = _item_sets(C, complete)
    extended = extended._adopt_columns(topk) if complete_sets is None else \
        extended._with_keyed_columns(topk, [complete_sets])
    extended = extended._adopt_columns(borda) if _repeats(C, complete) else \
        extended._with_keyed_columns(borda, [np.where(complete, C[:, r], -2) for r in range(k)])
    parts = [_share_frame(extended, first, first_known, by, level),
             _share_frame(extended, topk, complete, by, level),
             _borda_frame(extended, borda, complete, by, level)]
    # every group answering the question (the first-choice domain holds the others) x item
    grid = parts[0].drop(columns=COLUMNS)
    by_names = [c for c in grid.columns if c != "item_pos"]
    frames = []
    for pos, (measure, part) in enumerate(zip(MEASURES, parts)):
        # a measure whose domain is empty here (every ranking cut at a tie): no estimate, n 0
        part = grid.merge(part, on=[*by_names, "item_pos"], how="left") if part is not None else (
            grid.assign(**{c: np.nan for c in COLUMNS}))
        part["n"] = part["n"].fillna(0).astype(int)
        frames.append(part.assign(measure_pos=pos))
    out = pd.concat(frames, ignore_index=True).sort_values([*by_names, "measure_pos", "item_pos"], kind="stable")
    out["measure"] = [MEASURES[m] for m in out["measure_pos"]]
    out["item"] = [items[j] for j in out["item_pos"]]
    return out[[*by_names, "measure", "item", *COLUMNS]].reset_index(drop=True)


def _item_sets(C: np.ndarray, complete: np.ndarray) -> np.ndarray | None:
    """Each complete ranking's set of items as a bit mask, -1 for the others: the key of the
    top-k indicator columns (None above 62 items)."""
    if C.shape[0] and C.max(initial=-1) > 61:
        return None
    bits = np.zeros(len(C), dtype=np.int64)
    for r in range(C.shape[1]):
        rank = C[:, r]
        bits |= np.where(rank >= 0, np.left_shift(np.int64(1), np.maximum(rank, 0)), 0)
    return np.where(complete, bits, -1)


def _repeats(C: np.ndarray, complete: np.ndarray) -> bool:
    """Whether a complete ranking names an item twice (its Borda points no longer tell its
    ranks apart, so the ranks are no key of the Borda columns)."""
    return any(((C[:, r] == C[:, s]) & (C[:, r] >= 0) & complete).any()
               for r in range(C.shape[1]) for s in range(r + 1, C.shape[1]))


def _borda_frame(design, columns: dict, domain: np.ndarray, by, level):
    """Mean Borda points over ``domain`` (Wald intervals, R ``confint(svymean)``); None when it is empty."""
    if not domain.any():
        return None
    est = design.subset(domain).mean(list(columns), by=by, level=level).to_frame().reset_index()
    est["item_pos"] = [list(columns).index(v) for v in est.pop("variable")]
    names = [c for c in est.columns if c not in ("item_pos", *COLUMNS)]
    return est[names + ["item_pos", *COLUMNS]]


def _truncated(data: pd.DataFrame, truncated) -> np.ndarray:
    """The ``truncated=`` flags as one bool per row."""
    if truncated is None:
        return np.zeros(len(data), dtype=bool)
    if isinstance(truncated, str):
        rd._require_columns(data, [truncated], "Truncation flag")
        flags = data[truncated]
    elif isinstance(truncated, pd.Series) and truncated.index.equals(data.index):
        flags = truncated
    else:
        flags = pd.Series(np.asarray(truncated, dtype=object))
        if len(flags) != len(data):
            raise InputError(f"truncated= has {len(flags)} flags for {len(data)} rows; give one flag per row "
                             "(or a column name)")
    if flags.dtype == bool:           # Dataset.truncated_rankings: already one bool per row
        return flags.to_numpy(dtype=bool)
    values = flags.to_numpy(dtype=object)
    bad = [v for v in values if v is not None and not (isinstance(v, (bool, np.bool_)) or v in (0, 1))]
    if bad:
        raise InputError(f"truncated= must hold True/False flags; got {bad[0]!r}")
    return np.array([bool(v) if v is not None and v == v else False for v in values], dtype=bool)


def _share_frame(design, columns: dict, domain: np.ndarray, by, level):
    """Each 0/1 column's share over ``domain``, with the logit interval of
    :meth:`Design.proportion` (R ``svyciprop(~I(x == 1), subset(design, domain),
    method="logit")``); None when the domain is empty."""
    if not domain.any():
        return None
    # every item in one pass (Design.proportion of several columns), the level-1 rows picked for
    # all items at once (issue 18: item by item, the pandas work took three times the estimation)
    every = design.subset(domain).proportion(list(columns), by=by, level=level).to_frame().reset_index()
    position = {col: j for j, col in enumerate(columns)}
    every.insert(0, "item_pos", every.pop("variable").map(position).astype(int))
    names = [c for c in every.columns if c not in ("item_pos", "level", *COLUMNS)]
    keys = [*names, "item_pos"]
    ones = every.loc[every["level"] == 1.0, [*keys, *COLUMNS]]
    # an item nobody in the domain (or group) chose has no level 1: its share is 0 (0〜0),
    # with the group's n (of its first, level 0 row) and no design effect, as Design.mean of zeros;
    # without groups the n of its level 1 row when it has one
    first = every.drop_duplicates(keys)[[*keys, "n"]]
    if names:
        out = first.merge(ones.drop(columns="n"), on=keys, how="left")
    else:
        out = first.merge(ones, on=keys, how="left", suffixes=("_first", ""))
        out["n"] = out.pop("n").fillna(out.pop("n_first")).astype(every["n"].dtype)
    out = out.fillna({"estimate": 0.0, "se": 0.0, "ci_low": 0.0, "ci_high": 0.0})
    return out.sort_values("item_pos", kind="stable")[[*names, "item_pos", *COLUMNS]].reset_index(drop=True)
