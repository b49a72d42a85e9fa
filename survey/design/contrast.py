"""Linear and nonlinear functions of estimates (R ``svycontrast``).

:func:`svycontrast` turns an :class:`~survey.design.Estimate` (means,
totals, ratios, ``by`` groups, regression coefficients...) into new
estimates ``g(theta)`` with the delta-method covariance ``J V J'``, where
``J`` is the exact Jacobian (R ``deriv``) for expressions and a central
difference for Python callables.  With ``design=`` (the replicate design
that produced the estimate) the function is instead evaluated on every
replicate and the covariance comes from the replicates, as R
``svycontrast`` on ``svymean(..., return.replicates=TRUE)``.

Expressions are R-like text: numbers, the estimates' names (backquoted
when they are not identifiers, e.g. ```E:api00```), ``+ - * / ^`` (or
``**``) and the functions in :data:`FUNCTIONS`.  They are parsed with
:mod:`ast` and evaluated by a small interpreter (nothing is ``eval``-ed).
"""
from __future__ import annotations

import ast
import re

import numpy as np
import pandas as pd

from survey.design.distributions import norm_cdf, norm_pdf
from survey.design.estimate import Estimate
from survey.errors import DesignError

__all__ = ["FUNCTIONS", "svycontrast"]


class _Dual:
    """A value and its gradient with respect to the estimates (forward mode)."""

    __slots__ = ("g", "v")

    def __init__(self, v, g):
        self.v, self.g = float(v), g


def _unary(f, df):
    return lambda a: _Dual(f(a.v), df(a.v) * a.g)


#: functions allowed in expressions, with their derivatives (R ``deriv``'s table)
FUNCTIONS = {
    "exp": _unary(np.exp, np.exp),
    "log": _unary(np.log, lambda x: 1 / x),
    "log2": _unary(np.log2, lambda x: 1 / (x * np.log(2))),
    "log10": _unary(np.log10, lambda x: 1 / (x * np.log(10))),
    "sqrt": _unary(np.sqrt, lambda x: 0.5 / np.sqrt(x)),
    "sin": _unary(np.sin, np.cos),
    "cos": _unary(np.cos, lambda x: -np.sin(x)),
    "tan": _unary(np.tan, lambda x: 1 / np.cos(x) ** 2),
    "asin": _unary(np.arcsin, lambda x: 1 / np.sqrt(1 - x * x)),
    "acos": _unary(np.arccos, lambda x: -1 / np.sqrt(1 - x * x)),
    "atan": _unary(np.arctan, lambda x: 1 / (1 + x * x)),
    "abs": _unary(abs, np.sign),
    "pnorm": _unary(norm_cdf, norm_pdf),
    "dnorm": _unary(norm_pdf, lambda x: -x * norm_pdf(x)),
    "plogis": _unary(lambda x: 1 / (1 + np.exp(-x)), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    "qlogis": _unary(lambda x: np.log(x / (1 - x)), lambda x: 1 / (x * (1 - x))),
}


def _binary(op, a: _Dual, b: _Dual) -> _Dual:
    if isinstance(op, ast.Add):
        return _Dual(a.v + b.v, a.g + b.g)
    if isinstance(op, ast.Sub):
        return _Dual(a.v - b.v, a.g - b.g)
    if isinstance(op, ast.Mult):
        return _Dual(a.v * b.v, a.g * b.v + b.g * a.v)
    if isinstance(op, ast.Div):
        return _Dual(a.v / b.v, (a.g * b.v - b.g * a.v) / (b.v * b.v))
    if isinstance(op, ast.Pow):
        value = a.v ** b.v
        grad = b.v * a.v ** (b.v - 1) * a.g
        if np.any(b.g != 0):
            grad = grad + value * np.log(a.v) * b.g
        return _Dual(value, grad)
    raise DesignError(f"svycontrast: operator {type(op).__name__} is not supported; use + - * / ^.")


class _Expression:
    """An R-like arithmetic expression over named estimates."""

    def __init__(self, text: str, names: dict[str, int]):
        if not isinstance(text, str) or not text.strip():
            raise DesignError(f"svycontrast: an expression must be non-empty text; got {text!r}.")
        self.text = text
        quoted: dict[str, str] = {}

        def placeholder(m):
            key = f"__q{len(quoted)}__"
            quoted[key] = m.group(1)
            return key
        src = re.sub(r"`([^`]*)`", placeholder, text).replace("^", "**")
        try:
            self.tree = ast.parse(src.strip(), mode="eval").body
        except SyntaxError as exc:
            raise DesignError(f"svycontrast: cannot parse {text!r} ({exc.msg}).") from None
        self.names, self.quoted = names, quoted

    def evaluate(self, theta: np.ndarray) -> _Dual:
        k = len(theta)

        def walk(node):
            if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                    and not isinstance(node.value, bool):
                return _Dual(node.value, np.zeros(k))
            if isinstance(node, ast.Name):
                name = self.quoted.get(node.id, node.id)
                if name not in self.names:
                    raise DesignError(f"svycontrast: {name!r} in {self.text!r} is not an estimate; "
                                      f"known: {list(self.names)[:20]}.")
                j = self.names[name]
                g = np.zeros(k)
                g[j] = 1.0
                return _Dual(theta[j], g)
            if isinstance(node, ast.BinOp):
                return _binary(node.op, walk(node.left), walk(node.right))
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
                a = walk(node.operand)
                return a if isinstance(node.op, ast.UAdd) else _Dual(-a.v, -a.g)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
                if node.func.id not in FUNCTIONS or len(node.args) != 1:
                    raise DesignError(f"svycontrast: {node.func.id}() is not available in "
                                      f"{self.text!r}; use one of {sorted(FUNCTIONS)} (one argument).")
                return FUNCTIONS[node.func.id](walk(node.args[0]))
            raise DesignError(f"svycontrast: {ast.unparse(node)!r} in {self.text!r} is not an "
                              "arithmetic expression of estimates.")
        with np.errstate(all="ignore"):
            return walk(self.tree)


def _labels(index: pd.Index) -> dict[str, int]:
    """Names usable in expressions: ``a:b`` for a MultiIndex row and, when
    the last level takes one value (one variable by groups), the groups alone."""
    if isinstance(index, pd.MultiIndex):
        full = [":".join(str(v) for v in row) for row in index]
        names = {s: j for j, s in enumerate(full)}
        last = index.get_level_values(-1)
        if last.nunique() == 1:
            short = [":".join(str(v) for v in row[:-1]) for row in index]
            names.update({s: j for j, s in enumerate(short)})
        return names
    return {str(v): j for j, v in enumerate(index)}


def _callable_jacobian(fn, theta: np.ndarray, index: pd.Index):
    def call(x):
        out = fn(pd.Series(x, index=index))
        return out
    base = call(theta)
    names = list(base.index) if isinstance(base, pd.Series) else None
    value = np.atleast_1d(np.asarray(base, dtype=float))
    J = np.empty((value.size, theta.size))
    for j in range(theta.size):
        h = np.cbrt(np.finfo(float).eps) * max(abs(theta[j]), 1.0)
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        J[:, j] = (np.atleast_1d(np.asarray(call(up), dtype=float))
                   - np.atleast_1d(np.asarray(call(down), dtype=float))) / (2 * h)
    return value, J, names


def _spec(contrasts, names: dict[str, int], index: pd.Index):
    """-> list of (label, kind, payload): kind 'linear' (weights), 'expr' or 'call'."""
    k = len(index)
    if isinstance(contrasts, dict) and contrasts and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in contrasts.values()):
        L = np.zeros(k)
        for name, weight in contrasts.items():
            if str(name) not in names:
                raise DesignError(f"svycontrast: {name!r} is not an estimate; known: {list(names)[:20]}.")
            L[names[str(name)]] = float(weight)
        return [("contrast", "linear", L)]
    if isinstance(contrasts, (list, tuple, np.ndarray)) and len(contrasts) == k and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in contrasts):
        return [("contrast", "linear", np.asarray(contrasts, dtype=float))]
    if isinstance(contrasts, (str,)) or callable(contrasts):
        contrasts = {"contrast": contrasts}
    if not isinstance(contrasts, dict) or not contrasts:
        raise DesignError(
            "svycontrast: contrasts must be an expression ('api00 / api99'), a callable of the "
            "estimates, weights by name ({'api00': 1, 'api99': -1}) or a dict of named expressions; "
            f"got {type(contrasts).__name__}.")
    out = []
    for label, c in contrasts.items():
        if callable(c):
            out.append((str(label), "call", c))
        else:
            out.append((str(label), "expr", _Expression(c, names)))
    return out


def _evaluate(spec, theta: np.ndarray, index: pd.Index):
    values, jac, labels = [], [], []
    for label, kind, payload in spec:
        if kind == "linear":
            values.append(payload @ theta)
            jac.append(payload)
            labels.append(label)
        elif kind == "expr":
            d = payload.evaluate(theta)
            values.append(d.v)
            jac.append(d.g)
            labels.append(label)
        else:
            v, J, names = _callable_jacobian(payload, theta, index)
            values.extend(v)
            jac.extend(J)
            labels.extend([label] if v.size == 1 else
                          (names if names is not None else [f"{label}{i}" for i in range(v.size)]))
    return np.asarray(values, dtype=float), np.vstack(jac), labels


def svycontrast(estimate: Estimate, contrasts, *, design=None) -> Estimate:
    """Linear or nonlinear functions of estimates with their covariance.

    Parameters
    ----------
    estimate : Estimate
        Any estimator's result (its ``vcov`` is used).
    contrasts : str, callable, dict or sequence
        ``"api00 / api99"`` (R ``quote(api00/api99)``); a dict of them
        ``{"ratio": "api00 / api99", "gap": "log(api00) - log(api99)"}``
        (R's list); a callable ``f(theta: pandas.Series)`` returning a
        number, an array or a Series (differentiated numerically);
        linear weights by name ``{"api00": 1, "api99": -1}`` or one weight
        per estimate.
    design : ReplicateDesign, optional
        The design that produced ``estimate``: evaluate the functions on
        every replicate estimate and use the replicate covariance (R on
        ``return.replicates=TRUE``).  Default: delta method.

    Returns
    -------
    Estimate
        One row per contrast (statistic ``"contrast"``, normal intervals as
        R's ``confint``).
    """
    if not isinstance(estimate, Estimate):
        raise DesignError(f"svycontrast: estimate must be an Estimate; got {type(estimate).__name__}.")
    index = estimate.estimate.index
    names = _labels(index)
    theta = estimate.estimate.to_numpy(dtype=float)
    spec = _spec(contrasts, names, index)
    value, J, labels = _evaluate(spec, theta, index)
    reps = None
    if design is None:
        V = J @ estimate.vcov.to_numpy() @ J.T
    else:
        if estimate.replicates is None or not getattr(design, "is_replicate", False):
            raise DesignError("svycontrast: design= needs the ReplicateDesign that produced the estimate "
                              "(an estimate with replicates).")
        T = estimate.replicates.to_numpy(dtype=float)
        reps = np.vstack([_evaluate(spec, t, index)[0] for t in T])
        V = design.replicate_vcov(reps, value)
    out = pd.Index(labels, name="contrast")
    return Estimate(index=out, estimate=value, vcov=V, df=np.inf, deff=np.nan,
                    n=int(estimate.n.max()), statistic="contrast", level=estimate.level,
                    replicates=None if reps is None else pd.DataFrame(reps, columns=out))
