"""Park use: times a year, and who never uses parks, by district.

The park-use question is a frequency category (ほぼ毎日 … 利用しない).  The
questionnaire's ``numeric_map`` turns each category into times a year
(mid-points: 300, 130, 52, 18, 4, 0), so the plan's indicator 公園の年間利用回数
is a design-based mean.  The share who never use parks, by district, is
where a district short of nearby parks (身近な公園が不足する地域) shows up:
:func:`park_use_table` puts both side by side and tests each district's
times a year and its never-use share against the city as a whole, each
with its own verdict (a district can use parks less often without more
people never using them).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.results import COLUMNS as RESULT_COLUMNS
from survey.errors import InputError
from survey.labels import TOTAL_LABEL
from survey.measures.derive import answer_codes, categories, mapped, require_answers
from survey.validation import check_design, check_level
from survey.measures.differences import adjust_pvalues, degenerate_se, difference_p

__all__ = [
    "DEFAULT_PARK_MAP",
    "PARK_USE_COLUMNS",
    "PARK_USE_MEASURES",
    "park_nonuse",
    "park_use_table",
    "park_use_times",
    "resolve_numeric_map",
]

#: Times a year per category of the midori park-use question (questionnaires/midori_2025.yaml).
DEFAULT_PARK_MAP = {1: 300.0, 2: 130.0, 3: 52.0, 4: 18.0, 5: 4.0, 6: 0.0}


def resolve_numeric_map(column: str, numeric_map=None, questionnaire=None) -> dict:
    """``{code: value}``: given, else the questionnaire's ``numeric_map`` of
    ``column``, else :data:`DEFAULT_PARK_MAP`."""
    if numeric_map is None and questionnaire is not None:
        if column not in questionnaire:
            raise InputError(f"question {column!r} is not in questionnaire {questionnaire.id!r}",
                             column=column)
        numeric_map = dict(questionnaire[column].numeric_map)
        if not numeric_map:
            raise InputError(f"question {column!r} has no numeric_map in the questionnaire; add "
                             "'numeric_map: {code: value}' to its YAML entry or pass numeric_map=",
                             column=column)
    if numeric_map is None:
        numeric_map = DEFAULT_PARK_MAP
    try:
        return {float(k): float(v) for k, v in dict(numeric_map).items()}
    except (TypeError, ValueError):
        raise InputError(f"numeric_map must map codes to numbers, e.g. {DEFAULT_PARK_MAP}; "
                         f"got {numeric_map!r}") from None


def _never_codes(mapping: dict, never_code) -> list[float]:
    if never_code is not None:
        codes = [float(c) for c in np.atleast_1d(never_code)]
        unknown = [c for c in codes if c not in mapping]
        if unknown:
            raise InputError(f"never_code {unknown} is not a code of the numeric map {sorted(mapping)}")
        return codes
    codes = [c for c, v in mapping.items() if v == 0]
    if not codes:
        raise InputError("no category maps to 0 times a year; pass never_code= (e.g. 6 利用しない)")
    return codes


def _values(design, column, mapping, what):
    """``(design, codes, times)``: the checked design, the answer codes and their values."""
    design = check_design(design, what=what)
    codes = answer_codes(design, column, what=what)
    return design, codes, mapped(codes, mapping)


def _never(design, codes, times, never, column):
    """The design of the answered rows, with ``column`` the never-use category (False/True)."""
    answered = ~np.isnan(times)
    flag = categories(np.where(answered, np.isin(codes, never), -1), [False, True])
    return design.subset(answered).with_columns(**{column: flag})


def park_use_times(design, column: str, *, numeric_map=None, questionnaire=None,
                   by=None, level: float = 0.95):
    """Weighted mean times a year (公園の年間利用回数) with its interval.

    Parameters
    ----------
    design : survey.design.Design
    column : str
        Column of frequency codes.
    numeric_map : dict, optional
        ``{code: times a year}``; default the questionnaire's ``numeric_map``
        of ``column``, else :data:`DEFAULT_PARK_MAP`.  Codes outside the
        map (無回答) and blanks are left out as a domain.
    questionnaire, by, level
        As :func:`survey.satisfaction_index`.

    Returns
    -------
    survey.design.Estimate
        Indexed by the ``by`` groups and ``variable`` (= ``column``).

    Notes
    -----
    Same numbers as R ``svymean(~times, design, na.rm=TRUE, deff=TRUE)``
    (``svyby`` for groups) with ``times`` the mapped values.
    """
    level = check_level(level)
    mapping = resolve_numeric_map(column, numeric_map, questionnaire)
    design, _, times = _values(design, column, mapping, "park_use_times")
    est = design.with_columns(**{column: times}).mean(column, by=by, level=level)
    return require_answers(est, "park_use_times")


def park_nonuse(design, column: str, *, never_code=None, numeric_map=None,
                questionnaire=None, by=None, level: float = 0.95):
    """Share who never use parks (利用しない), among those who answered.

    ``never_code`` defaults to the code(s) mapped to 0 times a year.
    Intervals as R ``svyciprop(~I(park_use == 6), domain, method="logit")``
    (t with the domain's design df); SE and deff as R ``svymean``.
    """
    level = check_level(level)
    mapping = resolve_numeric_map(column, numeric_map, questionnaire)
    never = _never_codes(mapping, never_code)
    design, codes, times = _values(design, column, mapping, "park_nonuse")
    est = _never(design, codes, times, never, column).proportion(column, by=by, level=level)
    index = est.estimate.index[1::2]                 # the rows of the category "never" (True)
    names = list(index.names[:-1]) + ["variable"]
    labels = [tuple(k)[:-1] + (column,) if isinstance(k, tuple) else (column,) for k in index]
    index = pd.Index([k[0] for k in labels], name="variable") if len(names) == 1 else \
        pd.MultiIndex.from_tuples(labels, names=names)
    return require_answers(est.take(np.arange(1, len(est), 2), index=index), "park_nonuse")


def park_use_table(design, column: str, *, by: str, never_code=None,
                   numeric_map=None, questionnaire=None, adjust: str = "holm",
                   level: float = 0.95) -> pd.DataFrame:
    """Times a year and the never-use share by group, each against the city.

    Returns
    -------
    pandas.DataFrame
        Long table: the ``by`` column, then :data:`PARK_USE_COLUMNS`.  For
        each group, then for the whole city (the ``by`` value
        :data:`~survey.labels.TOTAL_LABEL` ``"全体"``, the whole-sample row's
        marker of every measure table: :func:`~survey.crosstab_question`,
        the free-text tables), a row of each ``measure``: ``"times"`` (times
        a year, a mean) and ``"never"`` (the never-use share, a proportion).
        Columns: the ``by`` code (e.g. ``district``; the report names the
        codes from the questionnaire, and the city 市全体), ``measure``, the
        fixed columns ``estimate, se, ci_low, ci_high, deff, n``, and the
        group's test against the city: ``diff`` (group minus city),
        ``diff_se``, ``p``, ``p_adjusted``, ``verdict`` (a code:
        ``higher``, ``lower``, ``no_difference``, ``untestable``; blank on
        the city's rows; the report words it,
        :func:`survey.report.verdicts.verdict_text`).  Each verdict is
        about its own figure: a district where people use parks less
        often (``times``, verdict ``"lower"``) or where more never use them
        (``never``, verdict ``"higher"``) is a candidate
        身近な公園が不足する地域; the two need not agree.

    Notes
    -----
    The group and city figures come from one sample, so the SE of their
    difference uses their design covariance (linearised jointly; the city
    includes the group).  Tests are t tests with the design degrees of
    freedom; p-values are adjusted across groups (``adjust``, Holm by
    default), separately for the times a year and for the never-use share.
    The never-use share's interval is R ``svyciprop(method="logit")``.
    """
    level = check_level(level)
    mapping = resolve_numeric_map(column, numeric_map, questionnaire)
    never = _never_codes(mapping, never_code)
    design, codes, times = _values(design, column, mapping, "park_use_table")
    # the groups and the whole city, jointly (the city holds every group): overlapping
    # domains of the answered rows, asked of the design in one pass
    answered = ~np.isnan(times)
    keys = [(k,) for k in sorted(design.data[by][design.weights.to_numpy() != 0].dropna().unique())]
    doms = [design.data[by].eq(k[0]).fillna(False).to_numpy(dtype=bool) & answered for k in keys] + [answered]
    G = len(keys)
    idx = pd.RangeIndex(G + 1)
    t_est = design.domain_means(times, doms, index=idx, level=level)
    n_est = design.domain_means(np.where(answered, np.isin(codes, never), np.nan), doms, index=idx,
                                level=level, statistic="proportion", ci_method="logit", df="design")
    df, alpha = float(design.degf), 1 - level
    frames = []
    for measure, est in zip(PARK_USE_MEASURES, (t_est, n_est)):
        frame = est.to_frame()
        diff, se, p, p_adj, verdicts = _against_city(est, G, df, adjust, alpha)
        frames.append(pd.DataFrame({
            by: [k[0] for k in keys] + [TOTAL_LABEL], "measure": measure,
            **{c: frame[c].to_numpy() for c in RESULT_COLUMNS},
            "diff": np.append(diff, np.nan), "diff_se": np.append(se, np.nan),
            "p": np.append(p, np.nan), "p_adjusted": np.append(p_adj, np.nan),
            "verdict": verdicts + [""],
            "row": np.arange(G + 1)}))
    # group-major, as by-group estimates: each group's times, then its never-use share; the city last
    out = pd.concat(frames, ignore_index=True).sort_values("row", kind="stable").reset_index(drop=True)
    out.attrs["by"] = by
    return out[[by, *PARK_USE_COLUMNS]]


#: The ``measure`` of :func:`park_use_table`'s rows: times a year (a mean), the never-use share (a proportion).
PARK_USE_MEASURES = ("times", "never")

#: The columns of :func:`park_use_table` after its ``by`` column, in order.
PARK_USE_COLUMNS = [
    "measure", *RESULT_COLUMNS, "diff", "diff_se", "p", "p_adjusted",
    "verdict",
]


def _against_city(est, G: int, df: float, adjust: str, alpha: float):
    """Each of the first ``G`` domains of ``est`` against the last (the city, which
    contains them): difference, its SE from the joint covariance, p, adjusted p and
    the verdict codes (``untestable`` where an SE is zero)."""
    V = est.vcov.to_numpy()
    b = est.estimate.to_numpy()
    diff = b[:G] - b[G]
    se = np.sqrt(np.clip(np.array([V[g, g] + V[G, G] - 2 * V[g, G] for g in range(G)]), 0.0, None))
    group_se = np.sqrt(np.clip(np.diag(V)[:G], 0.0, None))
    flat = (degenerate_se(group_se, b[:G]) | degenerate_se(se, diff)
            | bool(degenerate_se(max(V[G, G], 0.0) ** 0.5, b[G])))
    p = np.where(flat, np.nan, difference_p(diff, se, df))
    p_adj = adjust_pvalues(p, adjust)
    verdicts = ["untestable" if f else ("higher" if d > 0 else "lower") if pa < alpha else "no_difference"
                for d, pa, f in zip(diff, p_adj, flat)]
    return diff, se, p, p_adj, verdicts
