"""単純集計 and クロス集計: weighted distributions of every question.

Conventions of Japanese municipal tabulation:

* the base (回答者数) of a question is every kept respondent who was asked it
  (skip logic), 無回答 included, so single-answer percentages sum to 100;
* multi-answer percentages are on respondents and may total more than 100;
* ranking questions are tabulated as first choice and as top-k inclusion;
* allocation and numeric questions are summarised by their mean elsewhere.

Weighted percentages use the design's weights; unweighted counts are always
shown beside them.  Design-based standard errors and CIs of these
percentages come from ``Design.proportion`` (see :mod:`survey.design`).

The tables hold codes, as every estimator does: the answer codes of the
question (a multi-answer question's item codes) and the level codes of the
``by`` attribute, a missing value for 無回答 (no answer, an unknown
attribute), the whole sample marked :data:`~survey.labels.TOTAL_LABEL`.  The
report names them from the questionnaire (:func:`survey.report.label_frame`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import DesignError
from survey.intake.skip_logic import condition_mask
from survey.labels import NO_ANSWER_LABEL, TOTAL_LABEL  # NO_ANSWER_LABEL: the name of a missing code (re-exported)
from survey.questionnaire import Question, Questionnaire

__all__ = ["FREQUENCY_COLUMNS", "frequencies", "crosstab_question", "NO_ANSWER_LABEL", "TOTAL_LABEL"]

#: Columns of :func:`frequencies` (``code``: the answer code, missing for 無回答).
FREQUENCY_COLUMNS = ["question", "code", "n", "weighted_n", "percent", "unweighted_percent", "base_n"]


def _asked(q: Question, data: pd.DataFrame) -> np.ndarray:
    if not q.asked_if:
        return np.ones(len(data), dtype=bool)
    cols = {c.column: _condition_values(data[c.column]) for c in q.asked_if}
    return condition_mask(q.asked_if, cols)


def _condition_values(column: pd.Series) -> np.ndarray:
    """A tidy column as skip logic reads it during normalisation: codes and
    numbers as floats with NaN, text as objects with None for a blank."""
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(dtype=float, na_value=np.nan)
    return column.to_numpy(dtype=object, na_value=None)


def _level_matrix(q: Question, data: pd.DataFrame):
    """(codes, indicator matrix n × levels) for one question, 無回答 (code None) last."""
    if q.type in ("single", "likert") and not q.items:
        values = data[q.id].to_numpy(dtype=float)
        codes = list(q.codes)
        mat = np.column_stack([values == c for c in codes] + [np.isnan(values)])
        return codes + [None], mat
    if q.type == "multi":
        block = data[[it.column for it in q.items]].to_numpy(dtype=float)
        none = np.all(np.isnan(block), axis=1)
        mat = np.column_stack([block == 1] + [none])
        return [it.code for it in q.items] + [None], mat
    if q.type == "ranking":
        first = data[q.items[0].column].to_numpy(dtype=float)
        codes = list(q.codes)
        mat = np.column_stack([first == c for c in codes] + [np.isnan(first)])
        return codes + [None], mat
    raise DesignError(f"question {q.id} of type {q.type} has no frequency table; use its mean")


def _code_positions(values: np.ndarray, codes) -> np.ndarray:
    """Each value's position among ``codes``; ``len(codes)`` for a missing value (NaN),
    -1 for a value that is no code (one binary search instead of a comparison per code)."""
    codes = np.asarray(list(codes), dtype=float)
    pos = np.full(len(values), -1, dtype=np.int64)
    if len(codes):
        order = np.argsort(codes, kind="stable")
        ranked = codes[order]
        at = np.minimum(np.searchsorted(ranked, values), len(codes) - 1)
        hit = ranked[at] == values
        pos[hit] = order[at[hit]]
    pos[np.isnan(values)] = len(codes)
    return pos


def _column_positions(column: pd.Series, codes) -> np.ndarray:
    """:func:`_code_positions` of a data column: a small-integer column (the tidy frame's
    Int8/Int16 codes) through a table indexed by the code, one pass; others as floats."""
    codes = list(codes)
    array = column.array
    if (isinstance(array, pd.arrays.IntegerArray) and array.dtype.numpy_dtype.itemsize <= 2
            and all(float(c).is_integer() for c in codes)):
        raw = array._data.astype(np.int16, copy=False).view(np.uint16)
        table = np.full(1 << 16, -1, dtype=np.int64)
        for j, c in enumerate(codes):
            if -(1 << 15) <= c < (1 << 15):
                table[np.int16(c).view(np.uint16)] = j
        pos = table[raw]
        pos[array._mask] = len(codes)
        return pos
    return _code_positions(column.to_numpy(dtype=float, na_value=np.nan), codes)


def _levels(q: Question, data: pd.DataFrame):
    """(codes, level of every row) for a question with one answer per row (single, likert
    item, a ranking's first choice): the position of the row's code, 無回答 (code None) last
    (the position ``len(codes) - 1``), -1 for a code outside the questionnaire."""
    column = q.items[0].column if q.type == "ranking" else q.id
    return list(q.codes) + [None], _column_positions(data[column], q.codes)


def frequencies(data: pd.DataFrame, weights, questionnaire: Questionnaire, *, questions=None) -> pd.DataFrame:
    """One block per question: n, weighted n and weighted % per answer code (無回答 last).

    Columns :data:`FREQUENCY_COLUMNS`: ``question`` (the question, a likert matrix's item
    column), ``code`` (the answer code; a multi-answer question's item code; missing for
    無回答), ``n``, ``weighted_n``, ``percent`` (weighted, 0–1), ``unweighted_percent``,
    ``base_n`` (the respondents asked).  ``survey.report.label_frame`` adds the answers' labels.

    Parameters
    ----------
    data : DataFrame
        Tidy respondent frame (``Dataset.data`` or ``Design.data``).
    weights : array-like
        Analysis weights aligned with ``data`` (ones for unweighted).
    questions : iterable of str, optional
        Question ids; default every single/likert/multi/ranking question
        (likert matrices item by item).
    """
    w = np.asarray(weights, dtype=float)
    rows = []
    for q in questionnaire.questions:
        if questions is not None and q.id not in questions:
            continue
        for sub in _expand(q):
            if sub.type not in ("single", "likert", "multi", "ranking"):
                continue
            asked = _asked(sub, data)
            if sub.type == "multi":
                codes, mat = _level_matrix(sub, data)
                columns = mat[asked].T
            else:                   # one level per row: the rows of each level, contiguous
                codes, level = _levels(sub, data)
                level = level[asked]
                columns = (level == j for j in range(len(codes)))
            ww = w[asked]
            base_w = ww.sum()
            base_n = int(asked.sum())
            for code, col in zip(codes, columns):
                n = int(col.sum())
                wn = float(ww[col].sum())
                rows.append((sub.id, code, n, wn, wn / base_w if base_w > 0 else np.nan,
                             n / base_n if base_n else np.nan, base_n))
    return pd.DataFrame(rows, columns=FREQUENCY_COLUMNS)


def _expand(q: Question):
    """A likert matrix becomes one pseudo-question per item."""
    if q.type == "likert" and q.items:
        from dataclasses import replace

        return [replace(q, id=item.column, text=f"{q.text} {item.label}", header=item.header, items=())
                for item in q.items]
    return [q]


def _find(questionnaire: Questionnaire, question: str) -> Question:
    """A question by id, or one item of a likert matrix by its column."""
    if question in questionnaire:
        return questionnaire[question]
    for q in questionnaire.questions:
        for sub in _expand(q):
            if sub.id == question:
                return sub
    raise DesignError(f"no question or matrix item {question!r} in questionnaire {questionnaire.id}")


def crosstab_question(data: pd.DataFrame, weights, questionnaire: Questionnaire, question: str, by: str) -> pd.DataFrame:
    """クロス集計 in long form: one row per (group of ``by``, level of ``question``).

    Columns: ``question, by`` (the ids), ``group`` (the code of the ``by``
    level), ``level`` (the answer code; a multi-answer question's item code),
    ``n`` (unweighted count in the cell), ``percent`` (weighted row
    proportion, 0–1), ``base_n`` (unweighted respondents in the group who were
    asked).  Respondents whose ``by`` is missing form the last group (a
    missing ``group``: 無回答), those asked who did not answer the last level
    (a missing ``level``); the first group, :data:`~survey.labels.TOTAL_LABEL`
    (全体), is everyone asked.  ``survey.report.label_frame`` names the codes.
    """
    q_by = questionnaire[by]
    q = _find(questionnaire, question)
    w = np.asarray(weights, dtype=float)
    asked = _asked(q, data)
    if q.type == "multi":
        codes, mat = _level_matrix(q, data)
    else:
        codes, level = _levels(q, data)
    # the group of every row: its code's position, the last for 無回答, -1 for a code not in the questionnaire
    groups = list(q_by.codes) + [None]
    G = len(groups)
    gidx = _column_positions(data[by], q_by.codes)
    L = len(codes)
    gidx[~asked] = -1
    sel = gidx >= 0
    base_n = np.bincount(gidx[sel], minlength=G)
    base_w = np.bincount(gidx[sel], weights=w[sel], minlength=G)
    all_n, all_w = int(asked.sum()), float(w[asked].sum())
    if q.type != "multi":            # one level per row (or none: a code outside the questionnaire)
        has = level >= 0
        cell = sel & has
        key = gidx[cell] * L + level[cell]
        cells_n = np.bincount(key, minlength=G * L).reshape(G, L)
        cells_w = np.bincount(key, weights=w[cell], minlength=G * L).reshape(G, L)
        on = asked & has
        all_cells_n = np.bincount(level[on], minlength=L)
        all_cells_w = np.bincount(level[on], weights=w[on], minlength=L)
    else:                            # one pass per level for every group
        cells_n, cells_w = np.zeros((G, L), dtype=np.int64), np.zeros((G, L))
        all_cells_n, all_cells_w = np.zeros(L, dtype=np.int64), np.zeros(L)
        for j, col in enumerate(mat.T):
            cell = sel & col
            cells_n[:, j] = np.bincount(gidx[cell], minlength=G)
            cells_w[:, j] = np.bincount(gidx[cell], weights=w[cell], minlength=G)
            on = asked & col
            all_cells_n[j], all_cells_w[j] = on.sum(), w[on].sum()
    out = []
    for j, code in enumerate(codes):
        out.append((q.id, by, TOTAL_LABEL, code, int(all_cells_n[j]),
                    float(all_cells_w[j]) / all_w if all_w > 0 else np.nan, all_n))
    for i, group in enumerate(groups):
        for j, code in enumerate(codes):
            out.append((q.id, by, group, code, int(cells_n[i, j]),
                        float(cells_w[i, j]) / base_w[i] if base_w[i] > 0 else np.nan, int(base_n[i])))
    return pd.DataFrame(out, columns=["question", "by", "group", "level", "n", "percent", "base_n"])
