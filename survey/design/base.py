"""The frozen design object's base: immutability and access to its data.

:class:`DesignBase` is the part of every survey design that reads the data,
not the estimators (:mod:`survey.design.estimators`): the frozen object
(``_init``, ``_evolve``, no attribute assignment), the ``data``, ``weights``
and ``n`` attributes, ``with_columns`` (R ``update``), and the column helpers
the estimators use -- numeric values with their non-missing mask, the levels
and codes of a categorical column, the ``by`` groups and their index.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.ratios import _as_list
from survey.errors import ColumnError, DesignError
from survey.validation import check_by, check_columns

__all__: list[str] = []


class DesignBase:
    """Frozen object, data attributes and column helpers of the survey designs."""

    # ---------------------------------------------------------- frozen object
    def _init(self, **parts):
        for k, v in parts.items():
            object.__setattr__(self, "_" + k, v)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; weighting steps return a new design.")

    def _evolve(self, **changes):
        """A copy sharing every part except ``changes`` (given without the leading underscore)."""
        new = object.__new__(type(self))
        for slot in self.__slots__:
            object.__setattr__(new, slot, getattr(self, slot))
        for k, v in changes.items():
            object.__setattr__(new, "_" + k, v)
        return new

    # --------------------------------------------------------- attributes
    @property
    def data(self) -> pd.DataFrame:
        """The data (a shallow copy taken at construction; never modified)."""
        return self._data

    @property
    def weights(self) -> pd.Series:
        """Current (full-sample) weights aligned with :attr:`data`; 0 outside a subset."""
        return pd.Series(self._w, index=self._data.index, name="weights", copy=True)

    @property
    def n(self) -> int:
        """Number of rows."""
        return len(self._w)

    def with_columns(self, **columns):
        """Same design with extra or replaced data columns (R ``update``).

        Values must have one entry per row (a Series is aligned on the
        index); weights and structure are unchanged.
        """
        data = self._data.copy(deep=False)
        for name, values in columns.items():
            if isinstance(values, pd.Series):
                values = values.reindex(data.index)
            arr = np.asarray(values)
            if arr.ndim != 1 or len(arr) != self.n:
                raise DesignError(f"with_columns: {name!r} needs {self.n} values; got shape "
                                  f"{arr.shape}.")
            data[name] = values
        keys = getattr(self, "_keys", None)
        if keys and any(name in keys for name in columns):      # a replaced column loses its key
            return self._evolve(data=data, keys={k: v for k, v in keys.items() if k not in columns})
        return self._evolve(data=data)

    def _with_keyed_columns(self, columns: dict, key):
        """:meth:`with_columns`, recording that the rows' values in these columns are a
        one-to-one function of their values in the ``key`` arrays (two rows have the same
        values in every one of the columns exactly when they have the same key): collapsing
        interchangeable rows (:mod:`survey.design.collapse`) then reads the few key arrays
        instead of the many columns -- the same atoms (issue 18).  A design that does not
        collapse keeps no key."""
        new = self._adopt_columns(columns)
        if "_keys" not in getattr(type(self), "__slots__", ()):
            return new
        key = tuple(np.asarray(a) for a in key)
        return new._evolve(keys={**new._keys, **{name: key for name in columns}})

    def _adopt_columns(self, columns: dict):
        """:meth:`with_columns` of arrays an estimator made for this call and never changes
        afterwards: the frame takes them as they are (``with_columns`` copies every column it
        is given, 8 MB a column at 1,000,000 rows)."""
        data = self._data
        arrays = {name: np.asarray(values) for name, values in columns.items()}
        if data.columns.has_duplicates or any(a.ndim != 1 or len(a) != self.n for a in arrays.values()):
            return self.with_columns(**columns)      # its checks and messages
        frame = {c: (arrays[c] if c in arrays else data[c]) for c in data.columns}
        frame.update({c: a for c, a in arrays.items() if c not in frame})
        new = pd.DataFrame(frame, index=data.index, copy=False)
        keys = getattr(self, "_keys", None)
        if keys and any(name in keys for name in columns):
            return self._evolve(data=new, keys={k: v for k, v in keys.items() if k not in columns})
        return self._evolve(data=new)

    def _collapse_inputs(self, names, arrays_of) -> list:
        """The arrays collapsing reads for the columns ``names``: a column's key arrays
        (:meth:`_with_keyed_columns`; each key once), else ``arrays_of(name)``."""
        keys = getattr(self, "_keys", None) or {}
        out, seen = [], set()
        for name in names:
            key = keys.get(name)
            if key is None:
                out.extend(arrays_of(name))
            elif id(key) not in seen:
                seen.add(id(key))
                out.extend(key)
        return out

    # ------------------------------------------------------ column helpers
    def _column(self, name: str) -> pd.Series:
        if not isinstance(name, str):
            raise ColumnError(f"a column name must be text; got {name!r}")
        check_columns(self.data, name)
        return self.data[name]

    @staticmethod
    def _is_numeric(s: pd.Series) -> bool:
        return (pd.api.types.is_numeric_dtype(s.dtype)
                and not isinstance(s.dtype, pd.CategoricalDtype))

    def _numeric(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Values (NaN replaced by 0) and the non-missing mask of a column."""
        s = self._column(name)
        if not self._is_numeric(s):
            raise DesignError(
                f"column {name!r} is not numeric (dtype {s.dtype}); use "
                f"proportion({name!r}) for a categorical variable."
            )
        y = s.to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(y)
        if not ok.all():
            y = np.where(ok, y, 0.0)
        return y, ok

    def _levels(self, s: pd.Series) -> list:
        if isinstance(s.dtype, pd.CategoricalDtype):
            return list(s.cat.categories)
        vals = pd.unique(s.dropna())
        try:
            return sorted(vals)
        except TypeError:
            return list(vals)

    def _categorical(self, s: pd.Series) -> tuple[np.ndarray, list]:
        """Level codes (-1 for missing) and the ordered levels of a column."""
        levels = self._levels(s)
        if isinstance(s.dtype, pd.CategoricalDtype):
            return s.cat.codes.to_numpy().astype(np.intp), levels
        raw, uniques = pd.factorize(s, use_na_sentinel=True)
        pos = pd.Index(levels).get_indexer(uniques)
        return np.append(pos, -1)[raw], levels

    def _groups(self, by) -> tuple[list, list, list]:
        """(keys, masks, names) of the ``by`` groups among weighted rows."""
        w = self._w
        if by is None:
            return [()], [np.ones(len(self.data), dtype=bool)], []
        names = check_by(self.data, by) or _as_list(by, "by")
        frame = pd.DataFrame({c: self._column(c) for c in names})
        frame = frame[w != 0]
        keys, masks = [], []
        grouped = frame.groupby(names, sort=True, observed=True, dropna=True)
        n = len(self.data)
        pos_all = np.flatnonzero(w != 0)
        for key, idx in grouped.indices.items():
            mask = np.zeros(n, dtype=bool)
            mask[pos_all[idx]] = True
            keys.append(key if isinstance(key, tuple) else (key,))
            masks.append(mask)
        if not keys:
            raise DesignError(f"by={names}: no row with a positive weight has a non-missing value.")
        return keys, masks, names

    @staticmethod
    def _index(rows: list[tuple], names: list[str]) -> pd.Index:
        if len(names) == 1:
            return pd.Index([r[0] for r in rows], name=names[0])
        return pd.MultiIndex.from_tuples(rows, names=names)
