"""Side tables: the small UTF-8 CSVs read beside a delivery.

* the population margins (``--margins``: attribute codes + ``count``;
  ``data/SIMULATION.md``), read by :func:`read_margins` and checked as counts of
  residents (0 or at least 1 per cell, at most :data:`MAX_POPULATION` in all);
* the mailing counts per cell (``--mailing``, ``mailing.csv`` of ``survey plan``):
  :func:`read_mailing`;
* the administrative figures of the plan's indicators (``--admin``,
  ``data/ADMIN.md``): :func:`read_admin`.

Every failure is an :class:`~survey.errors.InputError` naming the file and the fix.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.intake.counts import count_column

__all__ = ["ADMIN_COLUMNS", "MAX_POPULATION", "check_admin", "check_counts", "read_admin", "read_mailing",
           "read_margins", "read_side_table"]

#: Largest population a margins table may add up to (more than the world's population).
MAX_POPULATION = 1e10
#: Columns of the admin table (``data/ADMIN.md``).
ADMIN_COLUMNS = ["fiscal_year", "city_area_km2", "green_area_ha", "park_area_ha", "population"]


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


def read_admin(path) -> pd.DataFrame:
    """Read ``data/midori_admin.csv`` (format in ``data/ADMIN.md``) and check it."""
    path = Path(path)
    frame = read_side_table(path, what="admin", expected="the columns of data/ADMIN.md")
    return check_admin(frame, path)


def check_admin(frame: pd.DataFrame, path=None) -> pd.DataFrame:
    absent = [c for c in ADMIN_COLUMNS if c not in frame.columns]
    if absent:
        raise InputError(f"the admin table needs columns {ADMIN_COLUMNS}; missing {absent} "
                         f"(found {list(frame.columns)})", path=path)
    for c in ADMIN_COLUMNS[1:]:
        values = pd.to_numeric(frame[c], errors="coerce")
        bad = values.isna() | (values <= 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2   # header is line 1
            raise InputError(f"{c} must be a positive number; got {frame[c].iloc[row - 2]!r}",
                             path=path, row=row, column=c)
    if frame["fiscal_year"].duplicated().any():
        dup = frame["fiscal_year"][frame["fiscal_year"].duplicated()].iloc[0]
        raise InputError(f"fiscal year {dup!r} appears twice; keep one row per year", path=path)
    return frame
