"""Turn a model formula and a design into numeric arrays (private helper).

Shared by :mod:`survey.design.regression` and :mod:`survey.design.olr`.
Formulas use the `formulaic <https://matthewwardrop.github.io/formulaic/>`_
grammar, which follows R's: ``y ~ x1 + C(x2) + x1:x2``, backticks for
column names that are not identifiers (```sch.wide` ~ ell``), ``0 +`` to
drop the intercept, terms ordered by degree as in R's ``model.matrix``.

Rows used by a fit are the rows of the design's domain (weight > 0) with no
missing value in any model variable -- what R's ``na.omit`` followed by
``design[-nas, ]`` does.  Categories that do not occur among those rows are
dropped before the model matrix is built, so a Likert level nobody chose
in a domain does not produce an all-zero (aliased) column.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.errors import DesignError

__all__: list[str] = []


@dataclass(frozen=True)
class ModelFrame:
    """Numeric pieces of a model evaluated on the rows of a design.

    Attributes
    ----------
    y : pandas.DataFrame
        Left-hand side columns on the used rows (one column, or one per
        level for a categorical response).
    X : pandas.DataFrame
        Model matrix on the used rows; columns are the coefficient names.
    used : numpy.ndarray of bool, shape (n_design_rows,)
        Which rows of ``design.data`` enter the fit.
    term_slices : dict
        Term label (e.g. ``"C(stype)"``, ``"ell:C(stype)"``) -> slice of
        columns of ``X``.
    weights : numpy.ndarray
        Design weights of the used rows.
    """

    y: pd.DataFrame | None
    X: pd.DataFrame
    used: np.ndarray
    term_slices: dict
    weights: np.ndarray
    formula: str


def _check_formula(formula) -> str:
    if not isinstance(formula, str) or "~" not in formula:
        raise DesignError(
            f"formula must be a string like 'y ~ x1 + C(x2)', got {formula!r}; "
            "write the response on the left of '~' and the predictors on the right"
        )
    return formula


def _trim_categories(frame: pd.DataFrame) -> pd.DataFrame:
    cat_cols = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if not cat_cols:
        return frame
    frame = frame.copy()
    for c in cat_cols:
        frame[c] = frame[c].cat.remove_unused_categories()
    return frame


def _evaluate(formula: str, frame: pd.DataFrame):
    import formulaic

    try:
        return formulaic.model_matrix(formula, frame, na_action="drop")
    except DesignError:
        raise
    except Exception as exc:  # formulaic raises many types; report them uniformly
        raise DesignError(
            f"cannot evaluate formula {formula!r} on the design data: {exc}. "
            "Check the column names (use backticks for names such as `sch.wide`) "
            f"-- available columns: {list(frame.columns)[:30]}"
        ) from exc


def build_model_frame(design, formula, *, need_response: bool = True,
                      extra_columns: dict | None = None) -> ModelFrame:
    """Evaluate ``formula`` on the domain rows of ``design``.

    ``extra_columns`` maps new column names to arrays of length
    ``len(design.data)`` added to the data before evaluation (used to pass
    a coded response).

    Raises
    ------
    DesignError
        Bad formula, unknown column, no usable rows, or an aliased column.
    """
    formula = _check_formula(formula)
    data = design.data
    w_all = np.asarray(design.weights, dtype=float)
    if w_all.shape[0] != len(data):
        raise DesignError(
            f"design has {len(data)} rows but {w_all.shape[0]} weights; rebuild the design"
        )
    in_domain = w_all > 0
    frame = data.reset_index(drop=True)
    if extra_columns:
        frame = frame.assign(**{k: np.asarray(v) for k, v in extra_columns.items()})
    frame = frame.loc[in_domain]
    mm = _evaluate(formula, frame)
    # second pass on the complete rows only, with unused categories removed
    frame = _trim_categories(frame.loc[mm.rhs.index])
    mm = _evaluate(formula, frame)
    rhs = mm.rhs
    lhs = mm.lhs if hasattr(mm, "lhs") else None
    if need_response and lhs is None:
        raise DesignError(
            f"formula {formula!r} has no response; write it as 'response ~ predictors'"
        )
    if rhs.shape[0] == 0:
        raise DesignError(
            f"no rows left to fit {formula!r}: every row of the domain has a missing "
            "value in some model variable (or the domain is empty)"
        )
    used = np.zeros(len(data), dtype=bool)
    used[np.asarray(rhs.index, dtype=int)] = True
    X = pd.DataFrame(np.asarray(rhs, dtype=float), columns=list(rhs.columns))
    y = None
    if lhs is not None:
        y = pd.DataFrame(np.asarray(lhs, dtype=float), columns=list(lhs.columns))
    slices = {str(term): sl for term, sl in rhs.model_spec.term_slices.items()}
    _check_rank(X, formula)
    return ModelFrame(y=y, X=X, used=used, term_slices=slices,
                      weights=w_all[used], formula=formula)


def _check_rank(X: pd.DataFrame, formula: str) -> None:
    if X.shape[1] == 0:
        return
    arr = X.to_numpy()
    zero = [c for c, col in zip(X.columns, arr.T) if not np.any(col)]
    if zero:
        raise DesignError(
            f"model {formula!r}: column(s) {zero} are zero on every row used; "
            "a predictor is constant or a level never occurs -- drop that term"
        )
    scaled = arr / np.maximum(np.abs(arr).max(axis=0), 1e-300)
    # rank of the cross-product of unit-scaled columns (cheap for 10^5 rows)
    rank = np.linalg.matrix_rank(scaled.T @ scaled, hermitian=True)
    if rank < arr.shape[1]:
        # name the columns that are linear combinations of the earlier ones
        aliased, kept = [], []
        for j, c in enumerate(X.columns):
            cols = kept + [j]
            sub = arr[:, cols] / np.maximum(np.abs(arr[:, cols]).max(axis=0), 1e-300)
            if np.linalg.matrix_rank(sub.T @ sub, hermitian=True) < len(cols):
                aliased.append(c)
            else:
                kept.append(j)
        raise DesignError(
            f"model {formula!r} is rank deficient: column(s) {aliased} are linear "
            "combinations of earlier columns (R would report NA for them); remove "
            "the redundant term(s)"
        )


def term_key(label: str) -> str:
    """Canonical form of a term label: factors sorted, blanks removed (as R's regTermTest)."""
    parts = [p.replace(" ", "") for p in str(label).split(":")]
    return ":".join(sorted(parts))
