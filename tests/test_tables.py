"""Weighted crosstabs, svychisq and Wald tests against R.

Reference numbers: tests/reference/regression_tables.R -> regression_tables.json
(R survey 4.1.1 on the CSV copies of R's `api` data), except where a test
says "hand calculation".
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from survey.design import Design
from survey.design.regression import glm
from survey.design.tables import crosstab, svychisq
from survey.design.anova import regterm_test
from survey.design.wald import wald_test
from survey.errors import DesignError

from helpers import close_at

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "regression_tables.json").read_text())
RTOL = 1e-6


close = close_at(RTOL, atol=0)


@pytest.fixture(scope="module")
def apiclus1():
    df = pd.read_csv(HERE / "data" / "apiclus1.csv")
    df["edcat"] = pd.cut(df["avg.ed"], [0, 2.5, 3, 5])  # 26 missing
    return df


@pytest.fixture(scope="module")
def dclus1(apiclus1):
    return Design(apiclus1, ids="dnum", weights="pw", fpc="fpc")


@pytest.fixture(scope="module")
def dstrat():
    df = pd.read_csv(HERE / "data" / "apistrat.csv")
    return Design(df, strata="stype", weights="pw", fpc="fpc")


CASES = [  # (reference key, design fixture, row, col)
    ("clus1_schwide_stype", "dclus1", "sch.wide", "stype"),
    ("strat_schwide_stype", "dstrat", "sch.wide", "stype"),
    ("clus1_stype_edcat", "dclus1", "stype", "edcat"),
]


@pytest.mark.parametrize("key,design,row,col", CASES)
@pytest.mark.parametrize("statistic", ["F", "Chisq", "Wald", "adjWald"])
def test_svychisq(key, design, row, col, statistic, request):
    d = request.getfixturevalue(design)
    res = svychisq(d, row, col, statistic=statistic)
    ref = REF[key][statistic]
    close(res.statistic, ref["statistic"])
    close(res.p, ref["p"])
    par = ref["parameter"]
    if statistic == "Chisq":
        assert (res.ndf, res.ddf) == (par["df"], np.inf)
    else:
        close([res.ndf, res.ddf], [par["ndf"], par["ddf"]])
    close(res.pearson, REF[key]["pearson"])


def test_svychisq_replicate(dclus1):
    rep = dclus1.replicate("jk1")  # R: as.svrepdesign(dclus1, type = "JK1")
    for statistic in ("F", "Chisq", "Wald", "adjWald"):
        res = svychisq(rep, "sch.wide", "stype", statistic=statistic)
        ref = REF["jk1_schwide_stype"][statistic]
        close([res.statistic, res.p], [ref["statistic"], ref["p"]])


def test_svychisq_default_is_rao_scott_f(dclus1):
    res = svychisq(dclus1, "sch.wide", "stype")
    assert res.method.startswith("Pearson's X^2: Rao & Scott")
    out = res.to_frame()
    assert list(out.columns) == ["statistic", "ndf", "ddf", "p", "method"]
    # the F statistic is Pearson's X^2 over the trace of Delta (Rao & Scott 1984)
    close(res.statistic * res.mean_deff * 2, res.pearson)


def test_crosstab(dclus1):
    ct = crosstab(dclus1, "stype", "sch.wide")
    ref = REF["crosstab_clus1"]
    t = ct.table
    assert list(t.columns) == ["row", "col", "n", "count", "count_se", "row_pct", "row_pct_se",
                               "col_pct", "col_pct_se"]
    assert list(t["row"]) == ref["rows"] * 2 and list(t["col"]) == ["No"] * 3 + ["Yes"] * 3
    close(t["count"], ref["count"])
    close(t["count_se"], ref["count_se"])
    close(t["row_pct"], 100 * np.array(ref["row_prop"]))
    close(t["row_pct_se"], 100 * np.array(ref["row_prop_se"]))
    close(t["col_pct"], 100 * np.array(ref["col_prop"]))
    # unweighted cell sizes: hand count of apiclus1 (stype x sch.wide)
    assert list(t["n"]) == [12, 3, 8, 132, 11, 17]
    wide = ct.row_percent
    assert list(wide.index) == ["E", "H", "M"] and list(wide.columns) == ["No", "Yes"]
    close(wide.sum(axis=1), [100, 100, 100])
    close(ct.col_percent.sum(axis=0), [100, 100])
    close(ct.counts.to_numpy().sum(), sum(ref["count"]))


def test_crosstab_categorical_order_and_missing(dclus1):
    ct = crosstab(dclus1, "edcat", "stype")
    assert list(map(str, ct.counts.index)) == ["(0.0, 2.5]", "(2.5, 3.0]", "(3.0, 5.0]"]
    assert ct.table["n"].sum() == 183 - 26


def test_table_errors(dclus1):
    with pytest.raises(DesignError, match="not in the design data"):
        crosstab(dclus1, "stype", "nosuch")
    with pytest.raises(DesignError, match="must differ"):
        svychisq(dclus1, "stype", "stype")
    with pytest.raises(DesignError, match="statistic must be one of"):
        svychisq(dclus1, "stype", "sch.wide", statistic="lincom")


# ------------------------------------------------------------------ Wald tests
def test_wald_contrast_matches_svycontrast(dstrat):
    m = glm(dstrat, "api00 ~ ell + meals + mobility")
    ref = REF["contrast_ell_meals"]
    for contrasts in ([{"ell": 1, "meals": -1}], np.array([[0, 1, -1, 0]]),
                      pd.DataFrame({"ell": [1.0], "meals": [-1.0]})):
        res = wald_test(m, contrasts=contrasts)
        close(res.contrasts.iloc[0], ref["estimate"])
        close([res.statistic, res.p], [ref["F"], ref["p"]])
        assert (res.ndf, res.ddf) == (1, ref["ddf"])


def test_wald_terms_match_regtermtest(dstrat):
    m = glm(dstrat, "api00 ~ ell + meals + mobility")
    ref = REF["regterm_ell_meals"]
    for res in (regterm_test(m, "~ ell + meals"), wald_test(m, contrasts=["ell", "meals"]),
                wald_test(m.params, m.vcov, ["ell", "meals"], df=m.df_resid)):
        close([res.statistic, res.p], [ref["F"], ref["p"]])
        assert (res.ndf, res.ddf) == (ref["ndf"], ref["ddf"])


def test_wald_on_design_means(dclus1):
    # an Estimate carries its vcov and df (inf for means -> chi-square, as svycontrast)
    est = dclus1.mean(["api00", "api99"])
    res = wald_test(est, contrasts=[{"api00": 1, "api99": -1}])
    ref = REF["contrast_means"]
    close(res.contrasts.iloc[0], ref["estimate"])
    close([res.chisq, res.p], [ref["chisq"], ref["p"]])
    assert res.ddf == np.inf


def test_wald_hand_calculation():
    # b = (1, 2), V = diag(1, 4): X^2 = 1/1 + 4/4 = 2 on 2 df, p = exp(-1)
    res = wald_test([1.0, 2.0], np.diag([1.0, 4.0]))
    assert res.chisq == pytest.approx(2.0) and res.statistic == pytest.approx(2.0)
    assert res.p == pytest.approx(np.exp(-1.0)) and res.ddf == np.inf
    # same with design df 10: F = 2/2 = 1 on (2, 10)
    res = wald_test([1.0, 2.0], np.diag([1.0, 4.0]), df=10)
    assert res.statistic == pytest.approx(1.0)
    assert res.p == pytest.approx(stats.f.sf(1.0, 2, 10))
    # H0: b1 = b2 with null shift: (1 - 2 - (-1))^2 / 5 = 0
    res = wald_test([1.0, 2.0], np.diag([1.0, 4.0]), [[1.0, -1.0]], null=-1.0)
    assert res.chisq == pytest.approx(0.0) and res.p == pytest.approx(1.0)


def test_wald_errors():
    with pytest.raises(DesignError, match="covariance"):
        wald_test([1.0, 2.0])
    with pytest.raises(DesignError, match="shape"):
        wald_test([1.0, 2.0], np.eye(3))
    with pytest.raises(DesignError, match="unknown estimate"):
        wald_test(pd.Series([1.0, 2.0], index=["a", "b"]), np.eye(2), ["c"])
    with pytest.raises(DesignError, match="redundant"):
        wald_test([1.0, 2.0], np.eye(2), [[1.0, 1.0], [2.0, 2.0]])
    with pytest.raises(DesignError, match="positive"):
        wald_test([1.0, 2.0], np.eye(2), df=0)


def test_code_positions_of_small_integer_columns_and_of_floats_agree():
    """Issue 18: a row's level is found by a table indexed by its Int16 code (one pass) or by a
    binary search over the float codes; both give the code's position, len(codes) for a missing
    value and -1 for a value that is no code."""
    from survey.measures.tables.tabulate import _code_positions, _column_positions

    values = [3, 1, None, 99, -2, 2, 1, 7]
    codes = [1, 2, 3, 99, -2]
    expected = [2, 0, 5, 3, 4, 1, 0, -1]
    column = pd.Series(values, dtype="Int16")
    assert _column_positions(column, codes).tolist() == expected
    assert _column_positions(column.astype("float64"), codes).tolist() == expected
    assert _code_positions(column.to_numpy(dtype=float, na_value=np.nan), codes).tolist() == expected
