"""Codes to names: the report's reading of the estimators' frames (issue 17).

The estimators return codes: the level codes of their ``by`` attributes, the
answer codes of a question, the whole-sample row marked :data:`TOTAL_LABEL`
(全体) and a missing answer or attribute as a missing value.  The report names
them from the questionnaire, here, and so can an analyst, in one call::

    label_frame(survey.crosstab_question(data, w, q, "satisfaction", "district"), q)

gives the cross table with 地区 and the answers by name (as the tables of
``survey run`` show them).  What :func:`label_frame` names, where the frame has
it:

* ``code`` (``frequencies``, ``satisfaction_distribution``): a ``label`` column
  is inserted after it — the answer's label (``question`` names the question of
  each row; a distribution's question is its ``attrs["column"]``), 無回答 for a
  row without a code, a distribution's boxes by their answers joined with ・
  (``attrs["top_codes"]``, ``attrs["bottom_codes"]``) and its net score
  :data:`NET_LABEL`;
* ``level`` with ``question`` (``crosstab_question``): the answer's label;
* ``group`` with ``by`` (``crosstab_question``, the free-text tables): the
  level's label of the attribute that ``by`` names, then ``by`` the attribute's
  name (``問3 地区`` → 地区);
* a column named after an attribute (an estimator's ``by`` column, e.g.
  ``district`` of ``park_use_table``): each code by its label.

:data:`TOTAL_LABEL` stays 全体 (the report calls it :data:`CITY_LABEL` where a
table compares each area with the whole city), a missing code is
:data:`NO_ANSWER_LABEL`, and a value that is no code of the question stays as
it is.  A result whose fields are frames (``FreeTextTables``) comes back with
each of them labelled.
"""
from __future__ import annotations

import dataclasses

import pandas as pd

from survey.errors import InputError
from survey.labels import CITY_LABEL, NO_ANSWER_LABEL, TOTAL_LABEL

__all__ = [
    "CITY_LABEL", "NET_LABEL", "NO_ANSWER_LABEL", "TOTAL_LABEL", "answer_labels", "attribute_name", "code_labels",
    "label_frame",
]

#: The name of a satisfaction distribution's net score (top box minus bottom box).
NET_LABEL = "ネット（肯定−否定）"
#: The columns :func:`label_frame` reads as codes besides those named after attributes.
_CODE_COLUMNS = ("code", "level", "group", "by", "question", "kind")


def code_labels(questionnaire, column: str) -> dict:
    """``{code (float): label}`` of a question's codes."""
    return {float(k): v for k, v in questionnaire[column].codes.items()}


def answer_labels(questionnaire, column: str) -> dict:
    """``{code (float): label}`` of the answers of a question or a tidy column: a question's
    codes, a multi-answer question's items (by their code), the codes of the matrix or ranking
    a tidy column belongs to (an item of a likert matrix, a rank's column)."""
    if column in questionnaire:
        q = questionnaire[column]
        if q.type == "multi":
            return {float(it.code): it.label for it in q.items}
    else:
        try:
            q = questionnaire.question_of(column)
        except KeyError:
            raise InputError(f"{column!r} is no question or column of questionnaire {questionnaire.id}; "
                             "label a frame with the questionnaire its estimator was given") from None
    return {float(k): v for k, v in q.codes.items()}


def attribute_name(questionnaire, column: str) -> str:
    """The display name of a question: its heading after the question number
    (``問3 地区`` → ``地区``)."""
    return questionnaire[column].header.split(" ", 1)[-1]


def _name(value, labels: dict):
    """A code by its label: 全体 stays, a missing value is 無回答, a value that is no code stays."""
    if isinstance(value, str):
        return value
    if pd.isna(value):
        return NO_ANSWER_LABEL
    try:
        return labels.get(float(value), value)
    except (TypeError, ValueError):
        return value


def _lookup(questionnaire, cache: dict, column: str) -> dict:
    if column not in cache:
        cache[column] = answer_labels(questionnaire, column)
    return cache[column]


def _code_labels(frame: pd.DataFrame, questionnaire, cache: dict) -> list:
    """The ``label`` of every row of a frame with a ``code`` column."""
    if "question" in frame.columns:
        return [_name(c, _lookup(questionnaire, cache, q)) for q, c in zip(frame["question"], frame["code"])]
    column = frame.attrs.get("column")
    if column is None:
        raise InputError("the frame's codes name no question: give a frame with a 'question' column or as "
                         "satisfaction_distribution returns it (attrs['column'])")
    labels = _lookup(questionnaire, cache, column)
    kinds = frame["kind"] if "kind" in frame.columns else pd.Series([""] * len(frame), index=frame.index)

    def box(key):
        codes = frame.attrs.get(key)
        if codes is None:
            raise InputError(f"the distribution has lost attrs[{key!r}]: label it before reshaping it")
        return "・".join(str(_name(c, labels)) for c in codes)

    names = {"top": box("top_codes") if kinds.eq("top").any() else "",
             "bottom": box("bottom_codes") if kinds.eq("bottom").any() else "", "net": NET_LABEL}
    return [names[k] if k in names else _name(c, labels) for k, c in zip(kinds, frame["code"])]


def label_frame(frame, questionnaire, *, columns=None):
    """``frame`` (an estimator's long frame, or a result of frames) with the questionnaire's
    labels in place of its codes, as the report shows them (see the module docstring).

    Parameters
    ----------
    frame : pandas.DataFrame or a dataclass of frames
    questionnaire : survey.questionnaire.Questionnaire
        The questionnaire the estimator was given.
    columns : iterable of str, optional
        Label only these of the columns above (``["code"]``: add the answers' labels and leave
        the ``by`` codes); default every one the frame has.

    Examples
    --------
    >>> import survey
    >>> from survey.examples import bundled_wave
    >>> design, q = bundled_wave()
    >>> table = survey.crosstab_question(design.data, design.weights.to_numpy(), q, "satisfaction", "district")
    >>> table[["by", "group", "level", "n"]].iloc[[0, 6, 7]].to_numpy().tolist()
    [['district', '全体', 1.0, 345], ['district', '全体', nan, 17], ['district', 1, 1.0, 4]]
    >>> label_frame(table, q)[["by", "group", "level", "n"]].iloc[[0, 6, 7]].to_numpy().tolist()
    [['地区', '全体', 'そう思う', 345], ['地区', '全体', '無回答', 17], ['地区', '内間木', 'そう思う', 4]]
    """
    if not isinstance(frame, pd.DataFrame):
        if not dataclasses.is_dataclass(frame) or isinstance(frame, type):
            raise InputError(f"label_frame needs an estimator's DataFrame (or a result of frames), got "
                             f"{type(frame).__name__}")
        return dataclasses.replace(frame, **{
            f.name: label_frame(getattr(frame, f.name), questionnaire, columns=columns)
            for f in dataclasses.fields(frame) if isinstance(getattr(frame, f.name), pd.DataFrame)})
    wanted = set(frame.columns) if columns is None else set(columns)
    out = frame.copy()
    cache: dict = {}
    for column in out.columns:
        if column in wanted and column not in _CODE_COLUMNS and column in questionnaire \
                and questionnaire[column].attribute:
            labels = _lookup(questionnaire, cache, column)
            out[column] = pd.Series([_name(v, labels) for v in out[column]], index=out.index, dtype=object)
    if "level" in wanted and {"level", "question"} <= set(out.columns):
        out["level"] = pd.Series([_name(v, _lookup(questionnaire, cache, q))
                                  for q, v in zip(out["question"], out["level"])], index=out.index, dtype=object)
    if {"group", "by"} <= wanted and {"group", "by"} <= set(out.columns):
        out["group"] = pd.Series([v if b == TOTAL_LABEL else _name(v, _lookup(questionnaire, cache, b))
                                  for b, v in zip(out["by"], out["group"])], index=out.index, dtype=object)
        out["by"] = pd.Series([b if b == TOTAL_LABEL or b not in questionnaire else attribute_name(questionnaire, b)
                               for b in out["by"]], index=out.index, dtype=object)
    if "code" in wanted and "code" in out.columns and "label" not in out.columns:
        out.insert(out.columns.get_loc("code") + 1, "label", _code_labels(frame, questionnaire, cache))
    return out
