"""Exact collapsing of interchangeable rows for the linearised variance (issue 18).

A linearised estimate needs, per row, the weighted influence ``z_i = w_i
u_i``, its residual from every calibration step, and the cluster and
stratum the row belongs to.  Two rows that share the weight, the stratum,
the cluster (unless every cluster is one row), every calibration step's
cell and weights before and after, the rows R keeps for the variance, and
the answers the estimate reads give *identical* residuals.  They are
collapsed into one **atom** with a count ``m``: the weighted sums carry
``m w``, the residualisation carries ``m w_after``, and where every
cluster is one row an atom stands for ``m`` clusters with the same total
(it enters the between-cluster sum of squares ``m`` times).  No
approximation: only the order of floating-point sums changes (differences
of 1e-16 relative, see ``tests/test_collapse.py``).

Grouping hashes the key arrays to 64 bits (numbering the groups in order of
first appearance, so the hash function never shows in a result), factorises the hash, and then
checks that every key array is constant within every group (a hash
collision, never seen in practice, falls back to exact pairwise
factorisation), so the grouping is exact.

When the rows do not collapse (continuous weights, answers unique to each
respondent: atoms above :data:`MAX_SHARE` of the rows) the estimators use
the rows as they are.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__: list[str] = []

#: Collapse only when the atoms are at most this share of the rows.
MAX_SHARE = 0.5

_ENABLED = {"collapse": True, "blocks": True}

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_STEP = np.uint64(0x9E3779B97F4A7C15)


@contextmanager
def collapsing(enabled: bool, *, blocks: bool | None = None):
    """Switch collapsing (and the per-group blocks of
    :mod:`survey.design.blockvar`, by default together) on or off inside a
    ``with`` block: tests compare them with the row-by-row computation."""
    old = dict(_ENABLED)
    _ENABLED["collapse"] = bool(enabled)
    _ENABLED["blocks"] = bool(enabled if blocks is None else blocks)
    try:
        yield
    finally:
        _ENABLED.update(old)


def enabled(what: str = "collapse") -> bool:
    return _ENABLED[what]


@dataclass(frozen=True)
class Atoms:
    """Rows grouped into atoms.

    ``row`` (n,): the atom of each row; ``rep`` (A,): the first row of each
    atom (atoms numbered in order of first appearance); ``count`` (A,):
    rows per atom, as floats.
    """

    row: np.ndarray
    rep: np.ndarray
    count: np.ndarray

    @property
    def size(self) -> int:
        return len(self.rep)

    def sum(self, x: np.ndarray) -> np.ndarray:
        """Per-atom sums of the row values ``x`` (n,)."""
        return np.bincount(self.row, weights=x, minlength=self.size)


def group_codes(masks) -> np.ndarray:
    """The group of every row (-1: none) from disjoint group masks."""
    codes = np.full(len(masks[0]), -1, dtype=np.int64)
    for j, m in enumerate(masks):
        codes[m] = j
    return codes


def raw_values(column: pd.Series) -> np.ndarray:
    """A column's values as an array that is equal where the values are
    (codes of a categorical or of text, floats of numbers), for grouping."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy()
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(dtype=float, na_value=np.nan)
    return pd.factorize(column, use_na_sentinel=True)[0]


def _bits(a: np.ndarray) -> np.ndarray:
    """The values of ``a`` as uint64 words, equal when the values are
    bit for bit (a NaN or -0.0 spelled differently only splits an atom:
    never wrong, at most less compact)."""
    a = np.asarray(a)
    if a.dtype == bool or a.dtype.itemsize < 8:
        return a.astype(np.int64).view(np.uint64)
    if a.dtype.kind in "iu":
        return a.view(np.uint64)
    return np.asarray(a, dtype=float).view(np.uint64)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, in place."""
    h ^= h >> np.uint64(30)
    h *= _MIX1
    h ^= h >> np.uint64(27)
    h *= _MIX2
    h ^= h >> np.uint64(31)
    return h


def _more_than(h: np.ndarray, limit: int) -> bool:
    """Whether the hashes ``h`` take more than ``limit`` distinct values, told without
    factorising when their low bits alone do (hashes with different low bits differ, and
    further words only split groups): a cheap exact test that lets :func:`group_rows` give
    up early on rows that do not collapse."""
    bits = max(10, int(len(h)).bit_length() + 1)
    low = (h & np.uint64((1 << bits) - 1)).astype(np.intp)
    return int(np.count_nonzero(np.bincount(low, minlength=1 << bits))) > limit


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """First row of each code, for codes numbered in order of first appearance."""
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64)
    top = np.maximum.accumulate(codes)
    first = np.empty(codes.size, dtype=bool)
    first[0] = True
    first[1:] = top[1:] > top[:-1]
    return np.flatnonzero(first)


def _exact(words: list[np.ndarray]) -> np.ndarray:
    """Exact codes of the combination of the word arrays (pairwise factorisation)."""
    codes = pd.factorize(words[0], sort=False)[0].astype(np.int64)
    for wd in words[1:]:
        c, u = pd.factorize(wd, sort=False)
        codes = pd.factorize(codes * np.int64(len(u)) + c, sort=False)[0].astype(np.int64)
    return codes


def group_rows(arrays, n: int, *, limit: int | None = None) -> Atoms | None:
    """Exact grouping of the rows by the values of every array in ``arrays``.

    Atoms are numbered in order of first appearance, so the grouping (and
    everything computed on it) is deterministic.  With ``limit``, None when
    there would be more atoms than that.
    """
    seen: set = set()
    arrays = [a for a in arrays if not (id(a) in seen or seen.add(id(a)))]    # an array given twice counts once
    words = [_bits(a) for a in arrays]
    if not words:
        codes = np.zeros(n, dtype=np.int64)
    else:
        h = np.full(n, _STEP, dtype=np.uint64)
        for i, wd in enumerate(words):   # (h xor word) times an odd constant, high bits folded down:
            h ^= wd                      # four passes a word, the full finaliser once at the end
            h *= _MIX1
            h ^= h >> np.uint64(32)
            if limit is not None and i == len(words) // 2 and len(words) > 7 and _more_than(h, limit):
                return None              # the first words alone part the rows too finely
        _mix(h)
        codes, uniques = pd.factorize(h, sort=False)
        if limit is not None and len(uniques) > limit:
            return None
        codes = codes.astype(np.int64, copy=False)
        rep = _first_rows(codes)
        if not all(np.array_equal(wd[rep][codes], wd) for wd in words):   # a hash collision
            codes = _exact(words)
    rep = _first_rows(codes)
    if limit is not None and len(rep) > limit:
        return None
    count = np.bincount(codes, minlength=len(rep)).astype(float)
    return Atoms(row=codes, rep=rep, count=count)


def refine(base: Atoms | None, arrays, n: int, *, limit: int | None = None) -> Atoms | None:
    """Group rows by ``base``'s atoms and the values of ``arrays`` (None: above ``limit``)."""
    lead = [] if base is None else [base.row]
    return group_rows(lead + list(arrays), n, limit=limit)


def design_keys(w, var_rows, stages, steps) -> list | None:
    """The row arrays that decide a row's part in the linearised variance,
    or None when the design is not collapsed (fpc at several stages)."""
    if len(stages) > 1 and stages[0].popsize is not None:
        return None
    st = stages[0]
    keys = [w, var_rows, st.strata]
    if not st.singletons:
        keys.append(st.cluster)
    for step in steps:
        keys += [step.w_before, step.w_after]
        if step.codes is not None:
            keys.append(step.codes)
        else:
            keys += list(np.asarray(step.model, dtype=float).T)
            if step.sigma2 is not None:
                keys.append(step.sigma2)
    return keys


def design_atoms(memo: dict, w, var_rows, stages, steps) -> Atoms | None:
    """The atoms of the design alone (cached in ``memo``), or None when
    the design does not collapse."""
    if "atoms" not in memo:
        keys = design_keys(w, var_rows, stages, steps)
        memo["atoms"] = None if keys is None else group_rows(keys, len(w), limit=int(MAX_SHARE * len(w)))
    return memo["atoms"]


def collapse(memo: dict, w, var_rows, stages, steps, arrays) -> Atoms | None:
    """Atoms of the design refined by the answer arrays an estimate reads,
    or None (collapsing off, the design or the answers do not collapse)."""
    if not _ENABLED["collapse"]:
        return None
    base = design_atoms(memo, w, var_rows, stages, steps)
    if base is None:
        return None
    return refine(base, arrays, len(w), limit=int(MAX_SHARE * len(w)))
