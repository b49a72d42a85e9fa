"""What normalisation hands on: the :class:`Ledger` of kept, excluded and
changed rows, the :class:`Dataset` it belongs to, and :class:`_Changes`, which
collects changed cells while the cleaners run."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.intake.readers import Provenance
from survey.questionnaire import Questionnaire

__all__ = ["Dataset", "Ledger"]


def _no_notes() -> pd.DataFrame:
    return pd.DataFrame([], columns=["row", "respondent_id", "note"])


@dataclass(frozen=True)
class Ledger:
    """Rows read = rows kept + rows excluded; every changed cell with before/after;
    ``notes``: rows kept but worth a look (``hidden_row``: a row hidden in the
    delivered workbook), columns row, respondent_id, note."""

    rows_read: int
    rows_kept: int
    exclusions: pd.DataFrame  # row, respondent_id, reason
    changes: pd.DataFrame  # row, respondent_id, column, before, after, rule
    notes: pd.DataFrame = field(default_factory=_no_notes)

    @property
    def rows_excluded(self) -> int:
        return int(len(self.exclusions))

    def summary(self) -> pd.DataFrame:
        """One line per exclusion reason, per cleaning rule and per note, with counts."""
        parts = [pd.DataFrame({"item": ["rows_read", "rows_kept", "rows_excluded"],
                               "count": [self.rows_read, self.rows_kept, self.rows_excluded]})]
        if len(self.exclusions):
            ex = self.exclusions.groupby("reason", sort=True).size()
            parts.append(pd.DataFrame({"item": [f"excluded: {r}" for r in ex.index], "count": ex.to_numpy()}))
        if len(self.changes):
            ch = self.changes.groupby("rule", sort=True).size()
            parts.append(pd.DataFrame({"item": [f"changed: {r}" for r in ch.index], "count": ch.to_numpy()}))
        if len(self.notes):
            nt = self.notes.groupby("note", sort=True).size()
            parts.append(pd.DataFrame({"item": [f"kept, noted: {r}" for r in nt.index], "count": nt.to_numpy()}))
        return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class Dataset:
    """A normalised wave: tidy data (one row per kept respondent), why each
    missing cell is missing (``missing_reasons``: categorical columns over
    ``blank``, ``missing_code``, ``invalid``, ``not_applicable``, ``tied``;
    NaN where the cell holds an answer, so ``missing_reasons[col] == "tied"``
    and ``.isna()`` read it), and the ledger.

    Column dtypes come from the questionnaire, never from the data
    (:func:`survey.intake.dtypes.column_dtypes`):

    ============================================  =====================================
    column                                        dtype
    ============================================  =====================================
    respondent id, ``text``                       ``str`` (missing: NaN)
    ``single``, ``likert`` (and matrix items),    ``Int16`` (pandas nullable; ``Int32``
    ``ranking`` slots: answer codes               if a declared code is beyond ±32767)
    ``multi``: the 0/1 dummies                    ``Int8``
    ``numeric`` with ``integer: true`` and both   ``Int16`` (``Int32`` for wider bounds)
    ``minimum`` and ``maximum``
    other ``numeric`` questions                   ``float64`` (NaN for missing)
    ``allocation`` parts                          ``float64`` (the cleaning keeps
                                                  fractional amounts, and amounts above
                                                  the total under ``total_policy: flag``)
    ============================================  =====================================

    Missing values in the nullable columns are ``<NA>``: comparisons give
    ``<NA>`` too (``data["sex"] == 1`` is a nullable boolean, use
    ``.fillna(False)`` before indexing with it), and
    ``data[col].to_numpy(dtype=float, na_value=np.nan)`` gives the codes as
    floats with NaN, which is how the design layer reads every column.
    """

    data: pd.DataFrame
    #: why each missing cell is missing: one column per question column of ``data``, categorical
    #: over :data:`survey.intake.values.MISSING_REASONS`, NaN where the cell holds an answer
    missing_reasons: pd.DataFrame
    questionnaire: Questionnaire
    provenance: Provenance
    ledger: Ledger

    def labelled(self, column: str) -> pd.Series:
        """The column as an ordered categorical with the questionnaire's labels."""
        q = self.questionnaire.question_of(column)
        codes = q.codes if q.type != "ranking" else q.codes
        cat = pd.Categorical(self.data[column].map(codes.get), categories=list(codes.values()), ordered=True)
        return pd.Series(cat, index=self.data.index, name=column)

    def truncated_rankings(self, question: str) -> pd.Series:
        """True for each respondent whose ranking of ``question`` stops at a tie (two items
        in one rank box): only the ranks above it are known.  Pass it to
        :func:`survey.topk_shares` (``truncated=``), which then leaves these rankings out of
        the top-k shares rather than reading them as shorter answers."""
        q = self.questionnaire[question]
        if q.type != "ranking":
            raise InputError(f"{question!r} is a {q.type} question, not a ranking", column=question)
        why = self.missing_reasons[list(q.columns)]
        return pd.Series((why == "tied").any(axis=1).to_numpy(dtype=bool), index=self.data.index, name=question)


_CHANGE_COLUMNS = ["row", "respondent_id", "column", "before", "after", "rule"]


def _objects(values, n: int) -> np.ndarray:
    """``values`` (a list, an array or one value for all) as an object array of
    length ``n`` whose elements are what iterating ``values`` gives."""
    out = np.empty(n, dtype=object)
    if isinstance(values, (list, tuple, np.ndarray)):
        out[:] = values if isinstance(values, np.ndarray) and values.dtype == object else list(values)
    else:
        out[:] = [values] * n
    return out


def _typed_frame(columns: dict) -> pd.DataFrame:
    """A frame from equal-length object arrays with the dtypes pandas would
    infer from the same values given row by row (int64, float64, str, object)."""
    return pd.DataFrame(columns).infer_objects()


class _Changes:
    """Changed cells, kept as array blocks (one per rule and column) in
    ledger order; :meth:`frame` assembles them once."""

    def __init__(self):
        self.blocks: list[tuple] = []

    def add(self, rows, ids, column, before, after, rule):
        self.add_cells(rows, ids, column, before, after, rule)

    def add_cells(self, rows, ids, columns, before, after, rule):
        """Like :meth:`add` with one column per change (already in ledger order)."""
        n = len(rows)
        if n:
            self.blocks.append((np.asarray(rows, dtype=np.int64), _objects(ids, n), _objects(columns, n),
                                _objects(before, n), _objects(after, n), _objects(rule, n)))

    def frame(self) -> pd.DataFrame:
        if not self.blocks:
            return pd.DataFrame([], columns=_CHANGE_COLUMNS)
        parts = [np.concatenate([b[k] for b in self.blocks]) for k in range(len(_CHANGE_COLUMNS))]
        parts[0] = parts[0].astype(object)
        return _typed_frame(dict(zip(_CHANGE_COLUMNS, parts)))
