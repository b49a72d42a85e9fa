"""Weighted two-way tables and design-based tests of association.

:func:`crosstab` gives weighted cell counts, row and column percentages
with design-based standard errors (R ``svytable``, ``svytotal`` and
``svyby(~col, ~row, svymean)``).  :func:`svychisq` is R's ``svychisq``:
the Rao--Scott second-order corrected Pearson statistic as an F test
(``statistic="F"``, the default), the first-order corrected chi-square
(``"Chisq"``), and the Wald tests of independence (``"Wald"``,
``"adjWald"``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.design.distributions import chi2_sf, f_sf
from survey.design.results import fit_design
from survey.errors import DesignError
from survey.validation import check_design

__all__ = ["ChisqTest", "CrossTab", "crosstab", "svychisq"]

_STATISTICS = ("F", "Chisq", "Wald", "adjWald")


# ------------------------------------------------------------- internals
def _levels(col: pd.Series) -> list:
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna().unique())
        return [c for c in col.cat.categories if c in present]
    return sorted(col.dropna().unique())


def _two_way(design, row, col):
    """Indicator matrices on the complete domain rows."""
    data = design.data
    for name in (row, col):
        if name not in data.columns:
            raise DesignError(
                f"column {name!r} is not in the design data; available: {list(data.columns)[:30]}"
            )
    if row == col:
        raise DesignError(f"row and column variables must differ; got {row!r} twice")
    w_all = np.asarray(design.weights, dtype=float)
    r = data[row].reset_index(drop=True)
    c = data[col].reset_index(drop=True)
    used = (w_all > 0) & r.notna().to_numpy() & c.notna().to_numpy()
    if not used.any():
        raise DesignError(f"no row of the domain has both {row!r} and {col!r} observed")
    rlev, clev = _levels(r[used]), _levels(c[used])
    ri = pd.Categorical(r[used], categories=rlev).codes
    ci = pd.Categorical(c[used], categories=clev).codes
    nr, nc = len(rlev), len(clev)
    cell = ri + nr * ci  # R's interaction(): row level varies fastest
    M = np.zeros((used.sum(), nr * nc))
    M[np.arange(used.sum()), cell] = 1.0
    return used, rlev, clev, M, ri, ci


def _stat_vcov(design, used, M, stat, jac):
    """``stat(totals)`` and its design covariance, ``totals = sum_i w_i M_i``.

    Linearisation: influence ``(w_i M_i) J'`` passed to ``score_vcov`` of the
    design restricted to ``used``; replicate designs: ``stat`` recomputed
    with every replicate weight.
    """
    w = np.asarray(design.weights, dtype=float)[used]
    tot = w @ M
    theta = np.asarray(stat(tot), dtype=float)
    if getattr(design, "is_replicate", False):
        rw = np.asarray(design.replicate_weights, dtype=float)[used]
        reps = np.array([stat(rw[:, k] @ M) for k in range(rw.shape[1])])
        V = design.replicate_vcov(reps, theta)
    else:
        infl = np.zeros((used.size, theta.size))
        infl[used] = (M * w[:, None]) @ np.asarray(jac(tot)).T
        V = fit_design(design, used).score_vcov(infl)
    return theta, np.asarray(V, dtype=float)


def _means(design, used, M):
    k = M.shape[1]
    Mx = np.column_stack([M, np.ones(M.shape[0])])

    def stat(t):
        return t[:k] / t[k]

    def jac(t):
        return np.column_stack([np.eye(k) / t[k], -t[:k] / t[k] ** 2])

    return _stat_vcov(design, used, Mx, stat, jac)


# ------------------------------------------------------------- crosstab
@dataclass(frozen=True)
class CrossTab:
    """Weighted two-way table.

    ``table`` is long, one row per cell, columns: ``row``, ``col``, ``n``
    (unweighted), ``count`` and ``count_se`` (estimated population count),
    ``row_pct``/``row_pct_se`` (percent of the row, 0--100) and
    ``col_pct``/``col_pct_se``.  ``counts``, ``row_percent`` and
    ``col_percent`` are the wide versions.
    """

    table: pd.DataFrame
    row: str
    col: str

    def _wide(self, value):
        out = self.table.pivot(index="row", columns="col", values=value)
        out = out.loc[self.table["row"].unique(), self.table["col"].unique()]
        out.index.name, out.columns.name = self.row, self.col
        return out

    @property
    def counts(self) -> pd.DataFrame:
        return self._wide("count")

    @property
    def row_percent(self) -> pd.DataFrame:
        return self._wide("row_pct")

    @property
    def col_percent(self) -> pd.DataFrame:
        return self._wide("col_pct")


def crosstab(design, row, col):
    """Weighted crosstab of two columns with design-based standard errors.

    Parameters
    ----------
    design : survey.design.Design
    row, col : str
        Column names; rows with either missing are left out.  Categorical
        columns keep their category order (unused categories dropped),
        others are sorted.

    Returns
    -------
    CrossTab

    Notes
    -----
    Same numbers as R ``svytable(~row + col, design)`` (counts),
    ``svytotal(~interaction(row, col), design)`` (count SEs),
    ``svyby(~col, ~row, design, svymean)`` (row shares and SEs) and
    ``prop.table(svytable(...), 2)`` (column shares).
    """
    design = check_design(design, what="crosstab")
    used, rlev, clev, M, ri, ci = _two_way(design, row, col)
    nr, nc = len(rlev), len(clev)
    k = nr * nc
    counts, vcount = _stat_vcov(design, used, M, lambda t: t, lambda t: np.eye(k))
    rows_of = np.tile(np.arange(nr), nc)
    cols_of = np.repeat(np.arange(nc), nr)
    R = np.zeros((k, nr))
    R[np.arange(k), rows_of] = 1.0  # cell -> its row total
    C = np.zeros((k, nc))
    C[np.arange(k), cols_of] = 1.0

    def share(G):
        def stat(t):
            return t / (G @ (G.T @ t))

        def jac(t):
            den = G @ (G.T @ t)
            return np.eye(k) / den[:, None] - (t / den ** 2)[:, None] * (G @ G.T)

        return _stat_vcov(design, used, M, stat, jac)

    rshare, vr = share(R)
    cshare, vc = share(C)
    n = np.bincount(ri + nr * ci, minlength=k)
    table = pd.DataFrame({
        "row": [rlev[i] for i in rows_of], "col": [clev[j] for j in cols_of], "n": n,
        "count": counts, "count_se": np.sqrt(np.diag(vcount)),
        "row_pct": 100 * rshare, "row_pct_se": 100 * np.sqrt(np.diag(vr)),
        "col_pct": 100 * cshare, "col_pct_se": 100 * np.sqrt(np.diag(vc)),
    })
    return CrossTab(table=table, row=row, col=col)


# ------------------------------------------------------------- svychisq
@dataclass(frozen=True)
class ChisqTest:
    """Result of :func:`svychisq`.

    Attributes
    ----------
    statistic : float
        F for ``"F"``, ``"Wald"``, ``"adjWald"``; Pearson's X^2 for
        ``"Chisq"`` (R prints the unadjusted X^2 and adjusts the p-value).
    ndf, ddf : float
        Degrees of freedom (``ddf = inf`` for ``"Chisq"``).
    p : float
    pearson : float
        Pearson X^2 of the weighted table scaled to the sample size.
    mean_deff : float
        Mean generalised design effect (mean eigenvalue of Rao--Scott's
        Delta); NaN for the Wald statistics.
    method : str
    """

    statistic: float
    ndf: float
    ddf: float
    p: float
    pearson: float
    mean_deff: float
    method: str

    def __post_init__(self):
        for name in ("statistic", "ndf", "ddf", "p", "pearson", "mean_deff"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def to_frame(self) -> pd.DataFrame:
        """One-row frame: statistic, ndf, ddf, p, method."""
        return pd.DataFrame([{"statistic": self.statistic, "ndf": self.ndf, "ddf": self.ddf,
                              "p": self.p, "method": self.method}])


def _pearson(cells, nr, nc, N):
    tab = cells.reshape(nc, nr).T
    tab = tab * N / tab.sum()
    expected = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / N
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum((tab - expected) ** 2 / expected))


def svychisq(design, row, col, *, statistic="F"):
    """Design-based test of independence in a two-way table (R ``svychisq``).

    Parameters
    ----------
    design : survey.design.Design
    row, col : str
        Column names (rows with either missing are left out).
    statistic : {"F", "Chisq", "Wald", "adjWald"}
        ``"F"``: Rao--Scott second-order correction, ``X^2 / tr(Delta)`` on
        ``(d, d * df)`` degrees of freedom with ``d = tr(Delta)^2 /
        tr(Delta^2)`` and ``df`` the design degrees of freedom.
        ``"Chisq"``: first-order correction, p-value of
        ``X^2 / mean(eigen(Delta))`` on ``(r-1)(c-1)`` df.
        ``"Wald"``/``"adjWald"``: Wald test of the interaction cells (Koch
        et al.; Thomas & Rao's adjustment).

    Returns
    -------
    ChisqTest

    Notes
    -----
    Same numbers as R ``svychisq(~row + col, design, statistic=...)``.
    References: Rao & Scott (1984) Ann. Statist. 12:46-60; Thomas & Rao
    (1987) JASA 82:630-636.
    """
    design = check_design(design, what="svychisq")
    if statistic not in _STATISTICS:
        raise DesignError(f"statistic must be one of {_STATISTICS}, got {statistic!r}")
    used, rlev, clev, M, _, _ = _two_way(design, row, col)
    nr, nc = len(rlev), len(clev)
    if nr < 2 or nc < 2:
        raise DesignError(
            f"a test of association needs 2+ observed levels in each variable; "
            f"{row!r} has {rlev}, {col!r} has {clev}"
        )
    nu = float(design.degf)
    N = int(np.sum(np.asarray(design.weights, dtype=float) > 0))
    w = np.asarray(design.weights, dtype=float)[used]
    pearson = _pearson(w @ M, nr, nc, N)
    k = nr * nc
    rows_of = np.tile(np.arange(nr), nc)
    cols_of = np.repeat(np.arange(nc), nr)
    if statistic in ("Wald", "adjWald"):
        return _wald_independence(design, used, M, nr, nc, nu, pearson, statistic,
                                  rows_of, cols_of)
    p_hat, V = _means(design, used, M)
    # contrasts spanning the interaction, orthogonalised against the main effects
    X1 = np.column_stack([np.ones(k), np.eye(nr)[rows_of][:, 1:], np.eye(nc)[cols_of][:, 1:]])
    X12 = np.column_stack([np.eye(nr)[rows_of][:, i] * np.eye(nc)[cols_of][:, j]
                           for j in range(1, nc) for i in range(1, nr)])
    Cm = X12 - X1 @ np.linalg.lstsq(X1, X12, rcond=None)[0]
    inv_p = np.where(p_hat == 0, 0.0, 1.0 / np.where(p_hat == 0, 1.0, p_hat))
    CD = Cm * inv_p[:, None]
    denom = Cm.T @ CD / N
    numr = CD.T @ V @ CD
    Delta = np.linalg.solve(denom, numr)
    tr, tr2 = np.trace(Delta), np.trace(Delta @ Delta)
    if statistic == "F":
        d0 = tr ** 2 / tr2
        stat = pearson / tr
        return ChisqTest(statistic=stat, ndf=d0, ddf=d0 * nu,
                         p=float(f_sf(stat, d0, d0 * nu)), pearson=pearson,
                         mean_deff=tr / Delta.shape[0],
                         method="Pearson's X^2: Rao & Scott adjustment (F)")
    df = Delta.shape[0]
    return ChisqTest(statistic=pearson, ndf=float(df), ddf=np.inf,
                     p=float(chi2_sf(pearson / (tr / df), df)), pearson=pearson,
                     mean_deff=tr / df,
                     method="Pearson's X^2: Rao & Scott adjustment (first order)")


def _wald_independence(design, used, M, nr, nc, nu, pearson, statistic, rows_of, cols_of):
    k = nr * nc
    # totals of cells, row margins, column margins and the grand total
    Mr = np.zeros((M.shape[0], nr))
    Mc = np.zeros((M.shape[0], nc))
    for j in range(k):
        Mr[:, rows_of[j]] += M[:, j]
        Mc[:, cols_of[j]] += M[:, j]
    Mx = np.column_stack([M, Mr, Mc, np.ones(M.shape[0])])
    tot, Vt = _stat_vcov(design, used, Mx, lambda t: t, lambda t: np.eye(t.size))
    cells, rt, ct, T = tot[:k], tot[k:k + nr], tot[k + nr:k + nr + nc], tot[-1]
    J = np.column_stack([
        np.eye(k),
        -np.eye(nr)[rows_of] * (ct[cols_of] / T)[:, None],
        -np.eye(nc)[cols_of] * (rt[rows_of] / T)[:, None],
        rt[rows_of] * ct[cols_of] / T ** 2,
    ])
    Y = cells - rt[rows_of] * ct[cols_of] / T
    V = J @ Vt @ J.T
    use = np.flatnonzero((rows_of > 0) & (cols_of > 0))
    wald = float(Y[use] @ np.linalg.solve(V[np.ix_(use, use)], Y[use]))
    ndf = (nr - 1) * (nc - 1)
    if statistic == "Wald":
        stat, ddf = wald / ndf, nu
    else:
        ddf = nu - ndf + 1
        stat = wald * ddf / (ndf * nu)
    if ddf <= 0:
        raise DesignError(
            f"adjusted Wald test needs design df ({nu:g}) >= (r-1)(c-1) = {ndf}; use statistic='F'"
        )
    return ChisqTest(statistic=stat, ndf=float(ndf), ddf=float(ddf),
                     p=float(f_sf(stat, ndf, ddf)), pearson=pearson,
                     mean_deff=np.nan, method="Design-based Wald test of association")
