"""Log-ratio (compositional) views of the ¥1,000 allocation.

A ¥0 answer is an *essential* zero ("nothing for this function"), so the
arithmetic means of :mod:`survey.measures.allocation.means` stay the headline.
Log-ratio summaries are a complement and need strictly positive parts: zeros
are first replaced multiplicatively (Martín-Fernández, Barceló-Vidal &
Pawlowsky-Glahn 2003) with a small amount ``delta`` (in yen), and every
log-ratio result here comes with the ``delta`` it used; the sensitivity table
shows how much the answer moves with ``delta``.

The transforms are scikit-bio's (``skbio.stats.composition``: ``closure``,
``multi_replace``, ``clr``, ``ilr``), written here with the numpy operations
scikit-bio 0.7 performs, in its order, so the numbers are its own bit for bit
(``tests/test_compositional.py`` compares them) without importing scikit-bio,
which costs a tenth of ``survey run`` on the bundled wave (issue 18); the ilr basis
is fixed here so that the coordinates do not depend on the scikit-bio version:
coordinate ``k = 1..D-1`` is ``sqrt(k/(k+1)) log(g(x_1..x_k) / x_{k+1})``,
``g`` the geometric mean (the Helmert-type basis of Egozcue et al. 2003).

References
----------
Aitchison, J. (1986). The Statistical Analysis of Compositional Data. Chapman & Hall.
Egozcue, J. J. et al. (2003). Isometric logratio transformations for
compositional data analysis. Mathematical Geology 35(3), 279-300.
Martín-Fernández, J. A., Barceló-Vidal, C. & Pawlowsky-Glahn, V. (2003).
Dealing with zeros and missing values in compositional data sets using
nonparametric imputation. Mathematical Geology 35(3), 253-278.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.distributions import norm_ppf
from survey.errors import InputError
from survey.measures.allocation.means import _prepare, compare_part_vectors, design_df, group_blocks, part_means
from survey.validation import check_level, check_option

__all__ = [
    "closure",
    "multiplicative_replacement",
    "clr",
    "ilr",
    "ilr_basis",
    "closed_geometric_mean",
    "replacement_sensitivity",
    "ilr_group_test",
]


def _matrix(x, *, positive):
    a = np.asarray(x, dtype=float)
    if a.ndim not in (1, 2) or a.shape[-1] < 2:
        raise InputError(f"a composition needs at least 2 parts on the last axis; got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise InputError("the composition has missing or infinite values; drop those rows first")
    if np.any(a < 0):
        raise InputError("the composition has negative values; parts must be >= 0")
    if positive and np.any(a == 0):
        raise InputError("log-ratio transforms need strictly positive parts; replace zeros "
                         "first with multiplicative_replacement()")
    if np.any(a.sum(axis=-1) <= 0):
        raise InputError("a row of the composition adds up to 0")
    return a


def _closed(a: np.ndarray) -> np.ndarray:
    """skbio ``closure``: each row over its sum."""
    return a / np.sum(a, axis=-1, keepdims=True)


def _replaced_zeros(a: np.ndarray, delta: float) -> np.ndarray:
    """skbio ``multi_replace(closure(a), delta)`` (which closes its input once more)."""
    closed = _closed(_closed(a))
    zeros = closed == 0
    return np.where(zeros, delta, (1 - zeros.sum(axis=-1, keepdims=True) * delta) * closed)


def _clr(a: np.ndarray) -> np.ndarray:
    """skbio ``clr``: the logs less their row mean."""
    logs = np.log(a)
    return logs - np.mean(logs, axis=-1, keepdims=True)


def closure(x, *, total=1.0):
    """Rescale each row to add up to ``total`` (Aitchison's closure operator C)."""
    a = _matrix(x, positive=False)
    return _closed(a) * total


def multiplicative_replacement(x, *, delta, total=1.0):
    """Replace zeros by ``delta`` and shrink the other parts so rows keep their total.

    Parameters
    ----------
    x : array-like, shape (n, D) or (D,)
        Non-negative parts (any scale; each row is closed to ``total`` first).
    delta : float, keyword-only
        The replacement in the units of ``total`` (e.g. ``delta=1`` yen with
        ``total=1000``).
    total : float, keyword-only
        The closure constant.

    Returns
    -------
    numpy.ndarray
        ``r_j = delta`` where ``x_j = 0`` and ``r_j = x_j (1 - k delta / total)``
        otherwise (``k`` the number of zeros in the row): Martín-Fernández et
        al. (2003), eq. 10.  Ratios between non-zero parts are kept.
    """
    a = _matrix(x, positive=False)
    if not 0 < delta < total:
        raise InputError(f"delta must be in (0, total={total}); got {delta!r}")
    zeros = (a == 0).sum(axis=-1).max()
    if zeros * delta >= total:
        raise InputError(f"delta={delta} is too large: a row with {zeros} zeros would give the "
                         f"zeros {zeros * delta} of a total of {total}; use a smaller delta")
    return _by_rows(a, lambda part: _replaced_zeros(part, delta / total) * total)


def clr(x):
    """Centred log-ratio ``log(x_j / g(x))`` (rows must be strictly positive)."""
    a = _matrix(x, positive=True)
    return _by_rows(a, _clr)


#: Rows a row-wise transform works on at a time (issue 18: a million rows of 11 parts would
#: hold several 88 MB temporaries at once).
_BLOCK_ROWS = 1 << 16


def _by_rows(a: np.ndarray, transform) -> np.ndarray:
    """``transform`` (row by row: each row's result depends on that row only) applied to
    blocks of rows of ``a``: the same numbers, a block's temporaries."""
    if a.ndim == 1 or len(a) <= _BLOCK_ROWS:
        return transform(a)
    out = np.empty(a.shape, dtype=float)
    for start in range(0, len(a), _BLOCK_ROWS):
        out[start:start + _BLOCK_ROWS] = transform(a[start:start + _BLOCK_ROWS])
    return out


def ilr_basis(n_parts):
    """The ``(D-1, D)`` orthonormal clr-space basis used by :func:`ilr`."""
    if n_parts < 2:
        raise InputError(f"an ilr basis needs at least 2 parts; got {n_parts}")
    basis = np.zeros((n_parts - 1, n_parts))
    for k in range(1, n_parts):
        c = np.sqrt(k / (k + 1))
        basis[k - 1, :k] = c / k
        basis[k - 1, k] = -c
    return basis


def ilr(x):
    """Isometric log-ratio coordinates in the :func:`ilr_basis` basis."""
    a = _matrix(x, positive=True)
    return np.tensordot(_clr(a), ilr_basis(a.shape[-1]), axes=([-1], [1]))   # skbio ilr


def _replaced(design, columns, delta, total, policy, tolerance, what):
    """The design of the rows kept and the logs of their zero-replaced parts (NaN elsewhere)."""
    design, frame, y, keep, counts = _prepare(design, columns, total, policy, tolerance, what)
    logs = np.full(y.shape, np.nan)
    logs[keep] = np.log(multiplicative_replacement(y[keep], delta=delta, total=total))
    return design, frame, keep, logs, counts


def closed_geometric_mean(design, columns, *, delta=1.0, by=None, level=0.95, total=1000,
                          policy="reject", tolerance=0):
    """Weighted closed geometric mean (the compositional centre) in yen.

    ``cen_j = total * exp(m_j) / sum_k exp(m_k)``, ``m_j`` the weighted mean of
    ``log`` of the zero-replaced part ``j``.  The standard error is the
    linearisation (delta method) of the softmax of the domain means of the
    logs, the same as R ``svycontrast(svymean(~log parts), quote(1000 *
    exp(l1) / (exp(l1) + ...)))``.

    Returns
    -------
    pandas.DataFrame
        ``[by...], part, estimate, se, ci_low, ci_high, deff, n`` with
        ``attrs["delta"]`` and ``attrs["total_policy"]``.  The estimates of each
        group add up to ``total``; ``deff`` is not defined for the centre (NaN).
    """
    level = check_level(level)
    design, frame, keep, logs, counts = _replaced(design, columns, delta, total, policy, tolerance,
                                                  "closed_geometric_mean")
    names = [f"_log_{j}" for j in range(len(columns))]
    mean_logs = part_means(design, logs, names, by, what="closed_geometric_mean")
    groups, est, vcov, n = group_blocks(mean_logs, len(columns))
    by_cols = list(mean_logs.estimate.index.names[:-1])
    d = len(columns)
    q = norm_ppf(0.5 + level / 2)
    rows = []
    for g, key in enumerate(groups):
        p = np.exp(est[g] - est[g].max())
        p /= p.sum()
        jac = (np.diag(p) - np.outer(p, p)) * total
        se = np.sqrt(np.clip(np.diag(jac @ vcov[g * d:(g + 1) * d, g * d:(g + 1) * d] @ jac.T), 0, None))
        for j, part in enumerate(columns):
            row = {**dict(zip(by_cols, key)), "part": part}
            e = p[j] * total
            row.update(estimate=e, se=se[j], ci_low=e - q * se[j], ci_high=e + q * se[j], deff=np.nan,
                       n=n[g])
            rows.append(row)
    out = pd.DataFrame(rows, columns=[*by_cols, "part", "estimate", "se", "ci_low", "ci_high", "deff", "n"])
    out.attrs.update(delta=delta, total_policy=counts)
    return out


def replacement_sensitivity(design, columns, *, deltas=(0.5, 1.0, 5.0, 10.0), by=None,
                            total=1000, policy="reject", tolerance=0):
    """How the closed geometric mean and its ranking move with the zero replacement.

    Returns
    -------
    pandas.DataFrame
        ``[by...], delta, part, estimate, rank`` for every ``delta`` (yen);
        rank 1 is the largest.  Compare with the arithmetic means, which need
        no replacement.
    """
    tables = []
    for delta in deltas:
        t = closed_geometric_mean(design, columns, delta=delta, by=by, total=total,
                                  policy=policy, tolerance=tolerance)
        keys = [c for c in t.columns if c not in ("part", "estimate", "se", "ci_low", "ci_high", "deff", "n")]
        t = t[[*keys, "part", "estimate"]].copy()
        grouped = t.groupby(keys, sort=False)["estimate"] if keys else t["estimate"]
        t["rank"] = grouped.rank(ascending=False, method="min").astype(int)
        t.insert(len(keys), "delta", float(delta))
        tables.append(t)
    return pd.concat(tables, ignore_index=True)


def ilr_group_test(design, columns, *, by, delta=1.0, method="F", level=0.95, total=1000,
                   policy="reject", tolerance=0):
    """Design-based Wald test that the mean ilr vector is the same in every group.

    Each respondent's zero-replaced allocation is mapped to its ``D-1`` ilr
    coordinates; the domain means of the coordinates are linearised jointly
    (``Design.mean`` of the coordinates by group) and every group is
    contrasted with the first.
    Equality of mean ilr vectors is equality of the closed geometric means, and
    the test does not depend on the choice of orthonormal basis.

    Returns
    -------
    MeanVectorComparison
        ``differences`` lists the per-coordinate contrasts (parts named
        ``ilr1..ilr{D-1}``).  With ``method="F"`` the p-value uses
        ``F(df, degf)`` with the design degrees of freedom of the rows used;
        the statistic equals the one from R ``svyby(~ilr1+..., ~g, design,
        svymean, covmat=TRUE)``.
    """
    check_option(method, ("F", "chisq"), name="method")
    design, frame, keep, logs, _ = _replaced(design, columns, delta, total, policy, tolerance, "ilr_group_test")
    coords = np.full((len(frame), len(columns) - 1), np.nan)
    coords[keep] = ilr(np.exp(logs[keep]))
    labels = [f"ilr{k}" for k in range(1, len(columns))]
    groups, est, vcov, _ = group_blocks(part_means(design, coords, labels, by, what="ilr_group_test"), len(labels))
    keys = [k[0] if len(k) == 1 else k for k in groups]
    return compare_part_vectors(est, vcov, labels, keys,
                          df=design_df(design) if method == "F" else None, level=level)
