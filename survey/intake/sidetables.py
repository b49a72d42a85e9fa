"""Side tables: the small UTF-8 CSVs read beside a delivery.

* the population margins (``--margins``: attribute codes + ``count``;
  ``data/SIMULATION.md``), read by :func:`read_margins` and checked as counts of
  residents (0 or at least 1 per cell, at most :data:`MAX_POPULATION` in all);
* the mailing counts per cell (``--mailing``, ``mailing.csv`` of ``survey plan``):
  :func:`read_mailing`;
* the administrative figures of the plan's indicators (``--admin``): one row per
  fiscal year, the columns the questionnaire's administrative indicators name
  (midori's file: ``data/ADMIN.md``): :func:`read_admin`.

Every failure is an :class:`~survey.errors.InputError` naming the file and the fix.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.indicator_spec import YEAR_COLUMN, admin_columns
from survey.intake.counts import count_column

__all__ = ["MAX_POPULATION", "check_admin", "check_counts", "read_admin", "read_mailing",
           "read_margins", "read_side_table"]

#: Largest population a margins table may add up to (more than the world's population).
MAX_POPULATION = 1e10


def read_side_table(path, *, what: str, expected: str) -> pd.DataFrame:
    """Read a small UTF-8 input table (margins, admin figures, mailing counts).

    ``what`` names the table in messages ("margins"), ``expected`` says what
    it must hold ("columns district, age_band, mailed"); every failure is an
    :class:`InputError` naming the file and the fix.
    """
    path = Path(path)
    try:
        return pd.read_csv(path, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"no such {what} file; give a UTF-8 CSV with {expected}", path=path) from None
    except IsADirectoryError:
        raise InputError(f"this is a folder, not the {what} file", path=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the {what} ({type(exc).__name__}); it must be a UTF-8 CSV with {expected}",
                         path=path) from None


def read_margins(path) -> pd.DataFrame:
    """Read a population cell-count table (UTF-8 CSV: attribute codes + ``count``)."""
    path = Path(path)
    frame = read_side_table(path, what="margins", expected="attribute codes and 'count' (see data/SIMULATION.md)")
    if "count" not in frame.columns:
        raise InputError(f"the margins need a 'count' column; found {list(frame.columns)}", path=path)
    count = count_column(frame, "count", "population counts must be non-negative numbers (no thousands separators)",
                         path=path)
    if not count.sum() > 0:
        raise InputError("the population counts add up to 0; give the number of residents in each cell",
                         path=path)
    frame = frame.assign(count=count.astype(float))
    check_counts(frame, path)
    frame.attrs["path"] = str(path)
    return frame


def check_counts(margins: pd.DataFrame, path=None) -> None:
    """Counts are residents: 0 or at least 1 in each cell, in all at most :data:`MAX_POPULATION`."""
    count = margins["count"].to_numpy(dtype=float)
    tiny = np.flatnonzero((count > 0) & (count < 1))
    if len(tiny):
        raise InputError(f"a population count of {count[tiny[0]]:g} in a cell; counts are residents: 0 for an empty "
                         "cell or at least 1 (not shares or thousands)", path=path, row=int(tiny[0]) + 1,
                         column="count")
    if count.sum() > MAX_POPULATION:
        raise InputError(f"the population counts add up to {count.sum():.4g}, more than the world's population; "
                         "give the residents of each cell", path=path, column="count")


def read_mailing(path, keys=()) -> pd.DataFrame:
    """Read a mailing-count CSV (UTF-8, with or without BOM): one row per
    cell with the cell ``keys`` (the plan's ``weighting.cells``, e.g.
    ``district, age_band``; named in errors) and ``mailed``."""
    expected = f"columns {', '.join([*keys, 'mailed'])}" if keys else "the cell columns and mailed"
    return read_side_table(path, what="mailing counts", expected=expected)


def read_admin(path, *, questionnaire) -> pd.DataFrame:
    """Read the administrative figures (``--admin``; midori's ``data/midori_admin.csv``,
    described in ``data/ADMIN.md``) and check the columns ``questionnaire``'s
    administrative indicators name, plus ``fiscal_year``."""
    path = Path(path)
    frame = read_side_table(path, what="admin", expected=_admin_expected(questionnaire))
    frame.attrs["path"] = str(path)
    return check_admin(frame, questionnaire=questionnaire, path=path)


def _admin_expected(questionnaire) -> str:
    columns = [YEAR_COLUMN, *admin_columns(questionnaire.indicators)]
    return f"one row per fiscal year and the columns {', '.join(columns)} (see data/ADMIN.md)"


def check_admin(frame: pd.DataFrame, *, questionnaire, path=None) -> pd.DataFrame:
    """``frame`` if it has ``fiscal_year`` (each year once) and every column the
    questionnaire's administrative indicators name, holding numbers (a
    denominator positive, a numerator 0 or more); else an :class:`InputError`
    naming the column, the indicator that needs it and the fix."""
    needs = admin_columns(questionnaire.indicators)
    if not needs:
        raise InputError(f"questionnaire {questionnaire.id} declares no administrative indicator (source: admin under "
                         "indicators:), so the admin file has nothing to give; declare them or leave the file out",
                         path=path)
    found = [str(c) for c in frame.columns]
    if YEAR_COLUMN not in frame.columns:
        raise InputError(f"the admin file has no column {YEAR_COLUMN!r}, which names each row's fiscal year (the "
                         f"questionnaire's wave labels, e.g. FY2025); add it (found columns {found})", path=path)
    for column, users in needs.items():
        if column not in frame.columns:
            who = " and ".join(f"the {role} of indicator {ind}" for ind, role in users)
            raise InputError(f"the admin file has no column {column!r}, {who}; add the column to the file, or fix "
                             f"{users[0][1]}: of the indicator in questionnaire {questionnaire.id} (found columns "
                             f"{found})", path=path, column=column)
    for column, users in needs.items():
        values = pd.to_numeric(frame[column], errors="coerce")
        positive = any(role == "denominator" for _, role in users)
        bad = ~np.isfinite(values) | ((values <= 0) if positive else (values < 0))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2   # header is line 1
            rule = "a positive number" if positive else "a number, 0 or more"
            raw = frame[column].iloc[row - 2]
            got = "a blank cell" if pd.isna(raw) else repr(str(raw))
            raise InputError(f"{column} must be {rule} (no blanks, units or thousands separators); got {got}",
                             path=path, row=row, column=column)
    if frame[YEAR_COLUMN].duplicated().any():
        dup = frame[YEAR_COLUMN][frame[YEAR_COLUMN].duplicated()].iloc[0]
        raise InputError(f"fiscal year {dup!r} appears twice; keep one row per year", path=path)
    return frame
