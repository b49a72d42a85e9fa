"""The satisfaction index (みどりの満足度) and the distribution behind it.

A Likert question is scored (``+1.0, +0.5, 0, -0.5, -1.0`` for the five
levels of the midori questionnaire) and the index is the design-based mean
score.  Codes without a score (``6`` わからない), missing codes (``9``
無回答) and blanks are left out as a domain -- R ``svymean(~score, design,
na.rm=TRUE)`` -- so the variance keeps every stratum and cluster of the
design.

A mean hides polarisation, so :func:`satisfaction_distribution` shows the
weighted share of every level with its interval, the top-2 and bottom-2
box shares, the net score (top minus bottom) and how many respondents the
index leaves out (わからない, 無回答).  Who is more satisfied (an ordinal logit on
the respondents' attributes) is :mod:`survey.measures.satisfaction.drivers`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import DesignError, InputError, OptionError
from survey.measures.derive import answer_codes, categories, mapped, require_answers
from survey.validation import check_by, check_design, check_level, check_option

__all__ = [
    "DEFAULT_MISSING",
    "DEFAULT_SCORES",
    "DISTRIBUTION_COLUMNS",
    "resolve_scores",
    "satisfaction_distribution",
    "satisfaction_index",
]

#: Scores of the midori 5-level satisfaction question (questionnaires/midori_2025.yaml).
DEFAULT_SCORES = {1: 1.0, 2: 0.5, 3: 0.0, 4: -0.5, 5: -1.0}
#: Missing codes used when no questionnaire is given (the midori default).
DEFAULT_MISSING = {9: "無回答"}
#: Columns of :func:`satisfaction_distribution` (after its ``by`` columns).
DISTRIBUTION_COLUMNS = ["kind", "code", "base", "estimate", "se", "ci_low", "ci_high", "deff", "n", "count"]


def resolve_scores(column: str, scores=None, questionnaire=None) -> dict:
    """``{code: score}``: ``scores`` if given, else the questionnaire's scores
    of ``column``, else :data:`DEFAULT_SCORES`."""
    if scores is None and questionnaire is not None:
        if column not in questionnaire:
            raise InputError(f"question {column!r} is not in questionnaire {questionnaire.id!r}; "
                             "pass scores={code: score} or the question's id", column=column)
        scores = dict(questionnaire[column].scores)
        if not scores:
            raise InputError(f"question {column!r} has no scores in the questionnaire; add "
                             "'scores: {code: score}' to its YAML entry or pass scores=", column=column)
    if scores is None:
        scores = DEFAULT_SCORES
    try:
        out = {float(k): float(v) for k, v in dict(scores).items()}
    except (TypeError, ValueError):
        raise InputError(f"scores must map answer codes to numbers, e.g. {DEFAULT_SCORES}; "
                         f"got {scores!r}") from None
    if len(out) < 2 or not all(np.isfinite(v) for v in out.values()):
        raise InputError(f"scores need at least two codes with finite scores; got {scores!r}")
    return out


def _codes(column, questionnaire, missing):
    """(answer codes, missing codes) as sets of float codes: the questionnaire's, else none
    and ``missing`` (default :data:`DEFAULT_MISSING`)."""
    if questionnaire is not None and column in questionnaire:
        q = questionnaire[column]
        return {float(k) for k in q.codes}, {float(k) for k in q.missing}
    return set(), {float(k) for k in dict.fromkeys(missing if missing is not None else DEFAULT_MISSING)}


def _scored(design, column, scores, what):
    """``(design, codes, score)``: the checked design, the answer codes and their scores."""
    design = check_design(design, what=what)
    codes = answer_codes(design, column, what=what)
    return design, codes, mapped(codes, scores)


def satisfaction_index(design, column: str, *, scores=None, questionnaire=None, by=None,
                       level: float = 0.95):
    """Design-based satisfaction index: the weighted mean score.

    Parameters
    ----------
    design : survey.design.Design
        The (raked) design of one wave; a replicate-weight design works too.
    column : str
        Column of answer codes (e.g. ``"satisfaction"``).
    scores : dict, optional
        ``{code: score}``.  Default: the questionnaire's scores of
        ``column`` when ``questionnaire`` is given, else the midori 5-level
        scores :data:`DEFAULT_SCORES` ``{1: 1, 2: .5, 3: 0, 4: -.5, 5: -1}``.
    questionnaire : survey.questionnaire.Questionnaire, optional
    by : str or list of str, optional
        Group columns (R ``svyby``); groups sorted, empty ones dropped.
    level : float
        Confidence level of the interval in ``to_frame()``.

    Returns
    -------
    survey.design.Estimate
        ``to_frame()`` columns ``estimate, se, ci_low, ci_high, deff, n``,
        indexed by the ``by`` groups and ``variable`` (= ``column``);
        ``n`` counts the scored respondents.  ``vcov`` is the covariance
        across groups (for :func:`survey.compare_groups`).

    Notes
    -----
    Codes not in ``scores`` (わからない, 無回答 9) and blanks are excluded as
    a domain.  Same numbers as R ``svymean(~score, design, na.rm=TRUE,
    deff=TRUE)`` and ``svyby(~score, ~by, subset(design, !is.na(score)),
    svymean, covmat=TRUE)``; intervals use normal quantiles as R
    ``confint``.  The score is a column of the design
    (``design.with_columns(...).mean(column, by=by)``).

    Examples
    --------
    The bundled wave, raked as ``survey run`` rakes it
    (:func:`survey.examples.bundled_wave`; the same design in R:
    ``tests/reference/bundled_wave.R``, ``score`` the scored answers):

    >>> import survey
    >>> from survey.examples import bundled_wave
    >>> wave, q = bundled_wave()
    >>> survey.satisfaction_index(wave, "satisfaction", questionnaire=q).to_frame().round(4)
    ...     # R: svymean(~score, wave, na.rm=TRUE, deff=TRUE)
                  estimate      se  ci_low  ci_high    deff     n
    variable
    satisfaction    0.2871  0.0168  0.2542   0.3199  1.0912  1277
    >>> by = survey.satisfaction_index(wave, "satisfaction", questionnaire=q, by="district")
    >>> by.to_frame()[["estimate", "se", "n"]].round(4)   # R: svyby(~score, ~district, wave, svymean, na.rm=TRUE)
                           estimate      se    n
    district variable
    1        satisfaction    0.6107  0.1098   11
    2        satisfaction    0.3197  0.0403  275
    3        satisfaction    0.2550  0.0370  311
    4        satisfaction    0.4010  0.0325  288
    5        satisfaction    0.1831  0.0333  386
    """
    level = check_level(level)
    scores = resolve_scores(column, scores, questionnaire)
    design, _, score = _scored(design, column, scores, "satisfaction_index")
    est = design.with_columns(**{column: score}).mean(column, by=by, level=level)
    return require_answers(est, "satisfaction_index")


def _box_codes(scores: dict, top: int):
    order = sorted(scores, key=lambda c: (-scores[c], c))
    if not 1 <= top <= len(order) // 2:
        raise OptionError(f"top must be between 1 and {len(order) // 2} for {len(order)} scored "
                          f"levels; got {top!r}")
    return order, order[:top], order[-top:]


def _blocks(estimate, width: int, keys: list) -> list:
    """The ``width`` rows of each group of ``estimate`` (a ``by`` estimate, group-major)
    as frames, for the groups ``keys``."""
    frame = estimate.to_frame().reset_index(drop=True)
    found = [tuple(k) if isinstance(k, tuple) else (k,) for k in estimate.estimate.index.droplevel(-1)[::width]] \
        if estimate.estimate.index.nlevels > 1 else [()]
    if found != keys:
        missing = [k for k in keys if k not in found]
        raise DesignError(f"satisfaction_distribution: no respondent with a positive weight has a scored "
                          f"answer in the group(s) {missing}; drop those groups or collapse levels")
    return [frame.iloc[g * width:(g + 1) * width].reset_index(drop=True) for g in range(len(keys))]


def satisfaction_distribution(design, column: str, *, questionnaire=None,
                              scores=None, missing=None, by=None, top: int = 2,
                              level: float = 0.95, base: str = "scored") -> pd.DataFrame:
    """Weighted distribution behind the index, with design-based intervals.

    Parameters
    ----------
    design, column, scores, questionnaire, by, level
        As :func:`satisfaction_index`.
    missing : iterable, optional
        The missing codes when no questionnaire is given (default ``{9: "無回答"}``;
        a mapping's keys).
    top : int
        Size of the top and bottom boxes (2: そう思う + ややそう思う).
    base : {"scored", "all"}
        The base of the ``"level"`` rows: ``"scored"`` (default), the
        respondents the index counts, so the scored levels add up to 1;
        ``"all"``, every respondent of the group, so the scored levels, the
        unscored answers (わからない) and 無回答 add up to 1 -- one base for the
        whole distribution, the base of a cross table's row (%), which is how
        a published distribution table reads.  The boxes and the net score
        stay on the scored base.

    Returns
    -------
    pandas.DataFrame
        One block per ``by`` group (group columns first), rows of ``kind``:

        * ``"level"`` -- each scored code: share of the scored respondents
          (the base of the index; the levels sum to 1), or with
          ``base="all"`` of all respondents (with the ``"excluded"`` rows
          they sum to 1);
        * ``"top"``, ``"bottom"`` -- top-``top`` and bottom-``top`` box
          shares, same base; ``"net"`` -- top minus bottom (a mean of
          +1/0/-1, between -1 and 1);
        * ``"excluded"`` -- every unscored answer code (わからない) and
          ``無回答`` (missing codes and blanks): share of all respondents
          (``base="all"``), i.e. who the index leaves out.

        Columns ``kind, code, base, estimate, se, ci_low, ci_high, deff, n,
        count`` (:data:`DISTRIBUTION_COLUMNS`): ``code`` is the answer code of a
        ``"level"`` or ``"excluded"`` row (missing for 無回答 and for the
        boxes and the net score), ``n`` the unweighted base, ``count`` the
        unweighted respondents in the row's category.  ``attrs`` hold
        ``column``, ``scores`` and the codes of the boxes, ``top_codes`` and
        ``bottom_codes``: :func:`survey.report.label_frame` names the rows
        from them (そう思う・ややそう思う).

    Notes
    -----
    Shares use the interval of R ``svyciprop(~I(x == k), domain,
    method="logit")`` (logit scale, t with the domain's design degrees of
    freedom): ``Design.proportion`` of a derived column, on the design
    subset to the scored answers for the levels and boxes (R
    ``subset(design, !is.na(score))``); standard errors and design
    effects are R ``svymean(..., deff=TRUE)``'s.  The net score is
    ``Design.mean`` (Wald interval, normal quantiles).
    """
    level = check_level(level)
    check_option(base, ("scored", "all"), name="base")
    scores = resolve_scores(column, scores, questionnaire)
    design, codes, score = _scored(design, column, scores, "satisfaction_distribution")
    declared, missing_codes = _codes(column, questionnaire, missing)
    order, top_codes, bottom_codes = _box_codes(scores, top)
    scored = ~np.isnan(score)
    no_answer = np.isnan(codes) | np.isin(codes, list(missing_codes))
    unscored = [c for c in sorted(declared | set(np.unique(codes[~np.isnan(codes)])))
                if c not in scores and c not in missing_codes]
    names = check_by(design.data, by)

    # derive: the scored level, the boxes, the net score and the excluded answers
    position = {c: i for i, c in enumerate(order)}
    in_top, in_bottom = np.isin(codes, top_codes), np.isin(codes, bottom_codes)
    # every answer: a scored level, an unscored code or no answer (one base: all respondents)
    answer = np.where(scored, mapped(codes, position), len(order) + len(unscored))
    for i, c in enumerate(unscored):
        answer[codes == c] = len(order) + i
    width = len(order) + len(unscored) + 1
    derived = design.with_columns(
        _level=categories(np.where(scored, mapped(codes, position), -1), order),
        _top=categories(np.where(scored, in_top, -1), [False, True]),
        _bottom=categories(np.where(scored, in_bottom, -1), [False, True]),
        _net=np.where(scored, in_top.astype(float) - in_bottom, np.nan),
        _answer=categories(answer, range(width)))
    # ask the design: shares of all answers, then of the scored answers and the net score
    everyone = derived.proportion("_answer", by=by, level=level)
    keys = [()] if not names else [k if isinstance(k, tuple) else (k,)
                                   for k in everyone.estimate.index.droplevel(-1)[::width]]
    answers = _blocks(everyone, width, keys)
    answered = derived.subset(scored)
    levels = _blocks(answered.proportion("_level", by=by, level=level), len(order), keys)
    tops = _blocks(answered.proportion("_top", by=by, level=level), 2, keys)
    bottoms = _blocks(answered.proportion("_bottom", by=by, level=level), 2, keys)
    nets = _blocks(answered.mean("_net", by=by, level=level), 1, keys)

    w = np.asarray(design.weights, dtype=float) != 0
    data = design.data
    spec = ([("level", c, base, codes == c) for c in order]
            + [("top", np.nan, "scored", in_top),
               ("bottom", np.nan, "scored", in_bottom),
               ("net", np.nan, "scored", np.ones(len(codes), dtype=bool))]
            + [("excluded", c, "all", codes == c) for c in unscored]
            + [("excluded", np.nan, "all", no_answer)])
    blocks = []
    for g, key in enumerate(keys):
        group = w.copy()
        for name, value in zip(names, key):
            group &= data[name].eq(value).fillna(False).to_numpy(dtype=bool)
        shares = levels[g] if base == "scored" else answers[g].iloc[:len(order)]
        est = pd.concat([shares, tops[g].iloc[[1]], bottoms[g].iloc[[1]], nets[g],
                         answers[g].iloc[len(order):]], ignore_index=True)
        frame = pd.DataFrame({"kind": [s[0] for s in spec], "code": [s[1] for s in spec],
                              "base": [s[2] for s in spec]})
        frame = pd.concat([frame, est], axis=1)
        frame["count"] = [int(np.count_nonzero(group & s[3] & (scored if s[0] != "excluded" else True)))
                          for s in spec]
        for name, value in zip(names, key):
            frame.insert(names.index(name), name, value)
        blocks.append(frame)
    out = pd.concat(blocks, ignore_index=True)
    out.attrs["scores"] = scores
    out.attrs["column"] = column
    out.attrs["top_codes"], out.attrs["bottom_codes"] = tuple(top_codes), tuple(bottom_codes)
    return out

