"""Helpers shared by the tests: float comparison, the reference numbers under tests/reference/,
and the R ``survey`` package's example designs on the API data (tests/data/api*.csv).

Import them as ``from helpers import close`` (pytest puts tests/ on the path, as for conftest).
A file whose references come from R keeps its own tolerance beside them:
``close = close_at(RTOL, atol=0)``.
"""
from __future__ import annotations

import ast
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["HERE", "DATA", "REFERENCE", "close", "close_at", "reference", "api", "dclus1", "dstrat",
           "docstring_nodes", "string_literals"]

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REFERENCE = HERE / "reference"


def close(actual, expected, rtol=1e-9, atol=1e-12):
    """``numpy.testing.assert_allclose`` on anything array-like (Series, frames, lists,
    scalars) as float; two arrays of the same size are compared element by element in
    reading order whatever their shapes (an R matrix read from JSON as a list of rows)."""
    a = np.asarray(actual, dtype=float)
    b = np.asarray(expected, dtype=float)
    if a.size == b.size:
        a, b = a.ravel(), b.ravel()
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def close_at(rtol, atol=0.0):
    """:func:`close` with a file's own default tolerances (a third positional argument, or
    ``rtol=``/``atol=``, still overrides them for one comparison)."""
    def close_(actual, expected, rtol=rtol, atol=atol):
        close(actual, expected, rtol=rtol, atol=atol)
    return close_


@lru_cache(maxsize=None)
def _reference_text(name: str) -> str:
    return (REFERENCE / name).read_text(encoding="utf-8")


def reference(name: str):
    """The JSON a script under tests/reference/ wrote (a fresh copy: tests may not share state)."""
    return json.loads(_reference_text(name))


def api(name: str) -> pd.DataFrame:
    """One of R survey's ``data(api)`` frames: ``apiclus1``, ``apiclus2``, ``apistrat``, ``apisrs``."""
    return pd.read_csv(DATA / f"{name}.csv")


def dclus1(data: pd.DataFrame | None = None, **kw):
    """R: ``svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)``."""
    from survey.design import Design

    return Design(api("apiclus1") if data is None else data, ids="dnum", weights="pw", fpc="fpc", **kw)


def dstrat(data: pd.DataFrame | None = None, **kw):
    """R: ``svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)``."""
    from survey.design import Design

    return Design(api("apistrat") if data is None else data, strata="stype", weights="pw", fpc="fpc", **kw)


# ------------------------------------------------------------------ the code's string literals


def docstring_nodes(tree) -> set[int]:
    """``id()`` of the docstring node of the module, every class and every function of ``tree``
    (the first statement of a body when it is a string)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def string_literals(tree, *, join_fstrings: bool = True):
    """``(node, text)`` of every string literal of ``tree`` outside docstrings
    (tests/test_prose_catalogues.py, tests/test_no_question_ids.py).  ``join_fstrings``: an
    f-string is one text with its replacement fields left out (its node the f-string); else
    each of its constant parts is a literal of its own."""
    skip = docstring_nodes(tree)
    if join_fstrings:
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                skip.update(id(part) for part in node.values)
    for node in ast.walk(tree):
        if join_fstrings and isinstance(node, ast.JoinedStr):
            yield node, "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node, node.value
