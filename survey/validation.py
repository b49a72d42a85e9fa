"""Checks of an estimator's arguments: the one place where they are tested.

Every public estimator checks what it is given here, at its boundary, and
each kind of mistake has one exception class (:mod:`survey.errors`):

=====================  ===============================================  ======================
check                  mistake                                          raises
=====================  ===============================================  ======================
:func:`check_design`   not a survey design (a DataFrame, a dict ...)    ``DesignError``
:func:`check_columns`  a column that is not in the design's data        ``ColumnError``
:func:`check_by`       a ``by`` that is not a column name or a list     ``ColumnError``
:func:`check_level`    a confidence level outside (0, 1)                ``OptionError``
:func:`check_option`   a value that is not one of the choices           ``OptionError``
:func:`check_seed`     a seed that is not a non-negative integer/None   ``OptionError``
=====================  ===============================================  ======================

Messages name the argument, show what was received and say how to fix it
(scikit-learn's ``check_scalar`` style).  The module imports nothing beyond
the standard library, so any layer may use it.

>>> check_level(0.9)
0.9
>>> check_level(1.5)
Traceback (most recent call last):
...
survey.errors.OptionError: level must be a number between 0 and 1 (e.g. 0.95); got 1.5
>>> check_option("reject", ("reject", "rescale", "flag"), name="policy")
'reject'
>>> check_seed(2025), check_seed(None)
(2025, None)
"""
from __future__ import annotations

import math
import numbers

from survey.errors import ColumnError, DesignError, OptionError

__all__ = ["check_by", "check_columns", "check_design", "check_level", "check_option", "check_seed"]

_SHOWN = 20   # columns listed when one is missing


def check_level(level, *, name: str = "level") -> float:
    """``level`` as a float strictly between 0 and 1 (a confidence level).

    Raises :class:`~survey.errors.OptionError` for anything else (1.5, 95,
    ``"0.95"``, NaN, ``True``).
    """
    ok = (isinstance(level, numbers.Real) and not isinstance(level, bool)
          and math.isfinite(float(level)) and 0 < float(level) < 1)
    if not ok:
        raise OptionError(f"{name} must be a number between 0 and 1 (e.g. 0.95); got {level!r}")
    return float(level)


def check_option(value, choices, *, name: str):
    """``value`` if it is one of ``choices``, else :class:`~survey.errors.OptionError`
    listing them."""
    try:
        found = value in choices
    except TypeError:   # an unhashable value against a set
        found = False
    if not found:
        raise OptionError(f"{name} must be one of {tuple(choices)!r}; got {value!r}")
    return value


def check_seed(seed, *, name: str = "seed"):
    """``seed`` as an ``int`` (a non-negative integer: the same draws every time) or ``None``
    (fresh entropy: different draws on every call); :class:`~survey.errors.OptionError` for
    anything else (-1, 1.5, ``"0"``, ``True``).  Every public callable that draws random
    numbers defaults to ``seed=0`` (README "Python API")."""
    if seed is None:
        return None
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and int(seed) >= 0:
        return int(seed)
    raise OptionError(f"{name} must be a non-negative integer (e.g. 0; the default), or None for fresh "
                      f"random draws on every call; got {seed!r}")


def _names(columns, what: str) -> list[str]:
    if isinstance(columns, str):
        return [columns]
    if isinstance(columns, (list, tuple)) and all(isinstance(c, str) for c in columns):
        return list(columns)
    raise ColumnError(f"{what} must be a column name or a list of column names; got {columns!r}")


def check_columns(data, columns, *, what: str = "column", min_count: int = 1) -> list[str]:
    """The column names in ``columns`` (a name or a list of names), each a
    column of ``data``; :class:`~survey.errors.ColumnError` naming the first
    missing one and the available columns otherwise.

    ``min_count`` is the fewest names the caller needs (2 for an allocation
    or a scale).
    """
    names = _names(columns, what)
    if len(names) < min_count:
        raise ColumnError(f"{what} needs at least {min_count} column(s); got {names}")
    present = data.columns
    absent = [c for c in names if c not in present]
    if absent:
        shown = list(present)[:_SHOWN]
        more = " ..." if len(present) > _SHOWN else ""
        error = ColumnError(f"{what} {absent[0]!r} is not in the design data; available columns: {shown}{more}")
        error.column = absent[0]
        raise error
    return names


def check_by(data, by) -> list[str]:
    """``by`` as a list of grouping columns of ``data`` (``None``: no groups, ``[]``)."""
    if by is None:
        return []
    if isinstance(by, (list, tuple)) and not by:
        return []
    return check_columns(data, by, what="by")


def check_design(design, *, what: str = "the estimator"):
    """``design`` if it is a survey design (:class:`survey.design.Design` or
    :class:`survey.design.ReplicateDesign`).

    A data frame is not taken as an implicit simple random sample: the
    message says to build the design (``survey.Design(frame)`` for equal
    weights), so the weights, strata and clusters are always stated.
    """
    if getattr(type(design), "_survey_design", False):
        return design
    kind = type(design).__name__
    hint = (" For an unweighted simple random sample, pass survey.Design(frame)."
            if hasattr(design, "columns") else "")
    raise DesignError(f"{what} needs a survey design (survey.Design or a replicate design); got {kind}. "
                      f"Build one with survey.Design(data, weights=..., strata=...).{hint}")
