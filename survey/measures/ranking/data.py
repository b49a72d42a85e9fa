"""Turn ranking answers and covariates into the arrays the ranking fit uses.

Internal helpers of :mod:`survey.measures.ranking.estimators`; nothing here is public.

* :func:`parse_choices` reads the rank columns (``policy_1st``, ``policy_2nd``
  ...), each holding the label of the item put at that rank, into an integer
  matrix of item positions with ``-1`` for "no answer at this rank".
* :func:`covariate_matrix` builds the respondent-level model matrix: a column
  of ones, numeric covariates as they are, categorical covariates as dummies
  against their first level (terms named ``column[level]``).
* :func:`item_covariate_array` stacks item-specific variables
  (``{name: {item: column}}``) into an ``(n, m, r)`` array.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.errors import InputError

__all__: list[str] = []

INTERCEPT = "(intercept)"


def _rows(mask: np.ndarray, index: pd.Index, limit: int = 5) -> str:
    """Name the first offending rows (by the data's index labels)."""
    labels = list(index[np.flatnonzero(mask)][:limit])
    more = int(mask.sum()) - len(labels)
    text = ", ".join(repr(x) for x in labels)
    return text + (f" and {more} more" if more > 0 else "")


def _codes(values: pd.Series, labels) -> tuple[np.ndarray, np.ndarray, list]:
    """Position of every value in ``labels`` (-1 if absent), a blank mask
    (missing or empty/whitespace string), and the distinct unknown values."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = pd.Index(uniques)
    pos = pd.Index(labels).get_indexer(uniques)
    blank_u = np.array([isinstance(u, str) and not u.strip() for u in uniques], dtype=bool)
    pos = np.where(blank_u, -2, pos)
    lookup = np.append(pos, -2)  # code -1 (missing) maps to -2 = blank
    mapped = lookup[codes]
    unknown = [u for u, p in zip(uniques, pos) if p == -1]
    return np.where(mapped == -2, -1, mapped), mapped == -2, unknown


def _require_columns(data: pd.DataFrame, columns, what: str) -> None:
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise InputError(
            f"{what} column(s) {absent} are not in the data; available columns are "
            f"{list(data.columns)[:20]}{' ...' if data.shape[1] > 20 else ''}.",
            column=absent[0],
        )


def parse_choices(data: pd.DataFrame, choices, items=None) -> tuple[np.ndarray, list]:
    """Read rank columns into an ``(n, k)`` matrix of item positions.

    Returns ``(C, items)`` where ``C[i, s]`` is the position in ``items`` of
    the item respondent ``i`` put at rank ``s + 1``, or ``-1`` when rank
    ``s + 1`` was left blank.  Blanks may only trail (a 2nd choice without a
    1st is an error), and an item may not be named twice in one row.
    """
    choices = list(choices) if not isinstance(choices, str) else [choices]
    if not choices:
        raise InputError("`choices` is empty; pass the rank columns in order, e.g. "
                         "['policy_1st', 'policy_2nd', 'policy_3rd'].")
    if len(set(choices)) != len(choices):
        raise InputError(f"`choices` names a column twice: {choices}.")
    _require_columns(data, choices, "Rank")
    frame = data[choices]
    if items is None:
        seen = pd.unique(pd.concat([frame[c] for c in choices], ignore_index=True).dropna())
        seen = [u for u in seen.tolist() if not (isinstance(u, str) and not u.strip())]
        try:
            items = sorted(seen)
        except TypeError:  # mixed types: keep the order of first appearance
            items = seen
    else:
        items = list(items)
        if len(set(items)) != len(items):
            raise InputError(f"`items` names an item twice: {items}.")
    if len(items) < 2:
        raise InputError(f"A ranking needs at least 2 items; found {items}.")
    codes = np.full(frame.shape, -1, dtype=np.int64)
    for s, col in enumerate(choices):
        col_codes, _, unknown = _codes(frame[col], items)
        if unknown:
            bad_rows = np.isin(frame[col].to_numpy(dtype=object), np.array(unknown, dtype=object))
            raise InputError(
                f"Rank column contains value(s) {unknown[:5]} that are not among the items "
                f"{items[:20]}{' ...' if len(items) > 20 else ''} (rows "
                f"{_rows(bad_rows, data.index)}); add them to `items` or recode them "
                "as blank.", column=col)
        codes[:, s] = col_codes
    answered = codes >= 0
    gap = (~answered[:, :-1] & answered[:, 1:]).any(axis=1)
    if gap.any():
        raise InputError(
            f"Rows {_rows(gap, data.index)} have a later choice without an earlier one "
            f"(columns {choices}); shift the answers left or blank the later ranks "
            "before ranking analysis.")
    sorted_codes = np.sort(np.where(answered, codes, -1 - np.arange(codes.shape[1])), axis=1)
    dup = (np.diff(sorted_codes, axis=1) == 0).any(axis=1)
    if dup.any():
        raise InputError(
            f"Rows {_rows(dup, data.index)} name the same item at two ranks (columns "
            f"{choices}); keep only the first mention before ranking analysis.")
    return codes, items


@dataclass(frozen=True)
class CovariateSpec:
    """How one respondent covariate enters the model matrix."""

    name: str
    kind: str  # "numeric" or "categorical"
    levels: tuple = ()  # categorical: all levels, the first is the reference

    @property
    def terms(self) -> list[str]:
        if self.kind == "numeric":
            return [self.name]
        return [f"{self.name}[{lev}]" for lev in self.levels[1:]]

    def columns(self, values: pd.Series) -> np.ndarray:
        """Model-matrix columns of this covariate for ``values``."""
        if values.isna().any():
            raise InputError(
                f"Covariate {self.name!r} has {int(values.isna().sum())} missing value(s) "
                f"(rows {_rows(values.isna().to_numpy(), values.index)}); drop or impute "
                "them first, or leave the covariate out.", column=self.name)
        if self.kind == "numeric":
            try:
                return values.to_numpy(dtype=float)[:, None]
            except (TypeError, ValueError) as exc:
                raise InputError(f"Covariate {self.name!r} was numeric when the model was "
                                 f"fitted but received non-numeric values ({exc}).",
                                 column=self.name) from None
        pos, blank, unknown = _codes(values, self.levels)
        if blank.any():
            raise InputError(
                f"Covariate {self.name!r} has {int(blank.sum())} blank value(s) (rows "
                f"{_rows(blank, values.index)}); drop or recode them first.", column=self.name)
        if unknown:
            raise InputError(f"Covariate {self.name!r} has level(s) {unknown[:5]} not among "
                             f"{list(self.levels)}.", column=self.name)
        out = np.zeros((len(values), len(self.levels) - 1))
        rows = np.flatnonzero(pos > 0)
        out[rows, pos[rows] - 1] = 1.0
        return out


def covariate_spec(values: pd.Series, name: str, *, categorical: bool = False) -> CovariateSpec:
    """Decide from the data how a covariate is coded (``categorical=True``
    forces dummies for a numeric column, e.g. float answer codes)."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique().tolist())
        levels = tuple(c for c in dtype.categories if c in present)
    elif (categorical or pd.api.types.is_bool_dtype(dtype)
          or not pd.api.types.is_numeric_dtype(dtype)):
        levels = [v for v in pd.unique(values.dropna()).tolist()
                  if not (isinstance(v, str) and not v.strip())]
        try:
            levels = tuple(sorted(levels))
        except TypeError:
            levels = tuple(levels)
    else:
        return CovariateSpec(name, "numeric")
    if len(levels) < 2:
        raise InputError(f"Categorical covariate {name!r} has only the level(s) {list(levels)}"
                         "; it cannot explain differences, leave it out.", column=name)
    return CovariateSpec(name, "categorical", levels)


def covariate_matrix(data: pd.DataFrame, specs) -> np.ndarray:
    """Model matrix ``[1, covariates...]`` of shape ``(n, 1 + q)``."""
    blocks = [np.ones((len(data), 1))]
    blocks += [spec.columns(data[spec.name]) for spec in specs]
    return np.hstack(blocks)


def item_covariate_array(data: pd.DataFrame, item_covariates, items) -> tuple[np.ndarray, list]:
    """Stack ``{name: {item: column}}`` into an ``(n, m, r)`` float array."""
    if not item_covariates:
        return np.zeros((len(data), len(items), 0)), []
    if not isinstance(item_covariates, dict):
        raise InputError("`item_covariates` must be a dict {name: {item: column}}, received "
                         f"{type(item_covariates).__name__}.")
    names = list(item_covariates)
    out = np.empty((len(data), len(items), len(names)))
    for c, name in enumerate(names):
        mapping = item_covariates[name]
        if not isinstance(mapping, dict):
            raise InputError(f"item_covariates[{name!r}] must be a dict {{item: column}}, "
                             f"received {type(mapping).__name__}.")
        absent = [it for it in items if it not in mapping]
        if absent:
            raise InputError(f"item_covariates[{name!r}] gives no column for item(s) {absent}; "
                             "map every item to a column.")
        _require_columns(data, [mapping[it] for it in items], f"Item covariate {name!r}")
        for j, it in enumerate(items):
            col = data[mapping[it]]
            if col.isna().any() or not pd.api.types.is_numeric_dtype(col.dtype):
                raise InputError(f"Item covariate column {mapping[it]!r} must be numeric "
                                 "without missing values.", column=mapping[it])
            out[:, j, c] = col.to_numpy(dtype=float)
    return out, names
