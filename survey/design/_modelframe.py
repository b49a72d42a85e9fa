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

import re
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
    spec: object = None          # formulaic ModelSpec of the right-hand side (for new data)
    offset: np.ndarray | None = None
    offsets: tuple = ()          # offset expressions of the formula / ``offset=`` argument
    cbind: bool = False          # response written cbind(successes, failures)


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


def _evaluate(formula: str, frame: pd.DataFrame, columns=None):
    """formulaic's model matrix of ``frame``; ``columns``: the data's columns, for the message."""
    import formulaic

    try:
        return formulaic.model_matrix(formula, frame, na_action="drop")
    except DesignError:
        raise
    except Exception as exc:  # formulaic raises many types; report them uniformly
        raise DesignError(
            f"cannot evaluate formula {formula!r} on the design data: {exc}. "
            "Check the column names (use backticks for names such as `sch.wide`) "
            f"-- available columns: {list(columns if columns is not None else frame.columns)[:30]}"
        ) from exc


def _top_level_split(text: str, seps: str) -> list[tuple[str, str]]:
    """Split ``text`` at ``seps`` characters outside brackets and quotes;
    returns ``(separator before, piece)`` pairs (the first separator is '')."""
    parts, depth, quote, start, sep = [], 0, None, 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "`'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in seps and depth == 0:
            parts.append((sep, text[start:i]))
            start, sep = i + 1, ch
    parts.append((sep, text[start:]))
    return parts


def split_formula(formula: str) -> tuple[str, tuple, bool]:
    """Take R's ``offset(expr)`` terms and ``cbind(s, f)`` response out of a formula.

    Returns ``(formula for formulaic, offset expressions, cbind?)``; the
    cbind response becomes the two-column left side ``I(s) + I(f)``.
    """
    formula = _check_formula(formula)
    lhs, rhs = formula.split("~", 1)
    offsets, kept = [], []
    for sign, term in _top_level_split(rhs, "+-"):
        t = term.strip()
        if t.startswith("offset(") and t.endswith(")") and sign != "-":
            offsets.append(t[len("offset("):-1].strip())
        elif t:
            kept.append(f"{sign} {t}" if kept or sign == "-" else t)
    rhs = " ".join(kept) if kept else "1"
    cbind = False
    left = lhs.strip()
    if left.startswith("cbind(") and left.endswith(")"):
        args = [a.strip() for _, a in _top_level_split(left[len("cbind("):-1], ",")]
        if len(args) != 2 or not all(args):
            raise DesignError(
                f"formula {formula!r}: cbind() on the left needs two columns, "
                "cbind(successes, failures)"
            )
        lhs, cbind = f"I({args[0]}) + I({args[1]})", True
    return f"{lhs} ~ {rhs}" if lhs.strip() else f"~ {rhs}", tuple(offsets), cbind


def evaluate_offsets(exprs, frame: pd.DataFrame, formula: str) -> np.ndarray:
    """Sum of the offset expressions on the rows of ``frame`` (NaN where missing)."""
    import formulaic

    total = np.zeros(len(frame))
    for expr in exprs:
        try:
            mm = formulaic.model_matrix(f"0 + I({expr})", frame, na_action="ignore")
        except Exception as exc:  # formulaic raises many types; report them uniformly
            raise DesignError(
                f"cannot evaluate offset {expr!r} of {formula!r} on the data: {exc}. "
                "Write the offset with column names, e.g. offset(np.log(enroll))"
            ) from exc
        arr = np.asarray(mm, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 1:
            raise DesignError(f"offset {expr!r} of {formula!r} must be one numeric value per row")
        total = total + arr[:, 0]
    return total


def build_model_frame(design, formula, *, need_response: bool = True,
                      extra_columns: dict | None = None, offset=None) -> ModelFrame:
    """Evaluate ``formula`` on the domain rows of ``design``.

    ``extra_columns`` maps new column names to arrays of length
    ``len(design.data)`` added to the data before evaluation (used to pass
    a coded response).  ``offset(expr)`` terms of the formula and the
    ``offset`` argument (an expression string or one value per row) add a
    fixed part to the linear predictor; rows where it is missing are
    dropped like rows with a missing model variable.

    Raises
    ------
    DesignError
        Bad formula, unknown column, no usable rows, or an aliased column.
    """
    formula = _check_formula(formula)
    core, offsets, cbind = split_formula(formula)
    data = design.data
    w_all = np.asarray(design.weights, dtype=float)
    if w_all.shape[0] != len(data):
        raise DesignError(
            f"design has {len(data)} rows but {w_all.shape[0]} weights; rebuild the design"
        )
    in_domain = w_all > 0
    frame = _formula_columns(data, formula, offset).reset_index(drop=True)
    if extra_columns:
        frame = frame.assign(**{k: np.asarray(v) for k, v in extra_columns.items()})
    off_all = None
    if isinstance(offset, str):
        offsets = offsets + (offset,)
    elif offset is not None:
        off_all = np.asarray(offset, dtype=float).reshape(-1)
        if off_all.size != len(data):
            raise DesignError(
                f"offset needs one value per row of the design ({len(data)}); got {off_all.size}"
            )
        offsets = offsets + ("<offset argument>",)
    frame = frame.loc[in_domain]
    off = None
    if offsets:
        exprs = [e for e in offsets if e != "<offset argument>"]
        off = evaluate_offsets(exprs, frame, formula)
        if off_all is not None:
            off = off + off_all[in_domain]
        keep = ~np.isnan(off)
        frame, off = frame.loc[keep], pd.Series(off[keep], index=frame.index[keep])
    mm = _evaluate(core, frame, data.columns)
    # second pass on the complete rows only, with unused categories removed (the first pass's
    # matrices let go before: one model matrix less at the peak)
    frame = _trim_categories(frame.loc[mm.rhs.index])
    del mm
    mm = _evaluate(core, frame, data.columns)
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
    if off is not None:
        off = off.loc[rhs.index].to_numpy()
        if not np.all(np.isfinite(off)):
            raise DesignError(f"offset of {formula!r} is infinite on some rows (log of 0?)")
    return ModelFrame(y=y, X=X, used=used, term_slices=slices,
                      weights=w_all[used], formula=formula, spec=rhs.model_spec,
                      offset=off, offsets=tuple(offsets), cbind=cbind)


def _formula_columns(data: pd.DataFrame, formula: str, offset) -> pd.DataFrame:
    """The columns of ``data`` whose name the formula (or an offset expression) mentions:
    formulaic and the row selections then copy those instead of every column (1,000,000
    rows x 80 columns: 0.5 GB).  Every column stays when the formula has R's ``.`` (all
    columns) or a column name is not text."""
    text = formula + (offset if isinstance(offset, str) else "")
    if re.search(r"(?<![\w.`])\.(?![\w.`])", text) or not all(isinstance(c, str) for c in data.columns):
        return data
    keep = [c for c in data.columns if c in text]
    return data[keep] if len(keep) < data.shape[1] else data


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
    # rank of the cross-product of unit-scaled columns (cheap for 10^5 rows), scaled after the
    # product: no scaled copy of the matrix (1,000,000 rows x 17 columns: 0.14 GB, and as much
    # for its absolute values)
    scale = np.maximum(np.maximum(arr.max(axis=0), -arr.min(axis=0)), 1e-300)
    rank = np.linalg.matrix_rank((arr.T @ arr) / np.outer(scale, scale), hermitian=True)
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
