"""Tests for survey.measures.allocation.compositional.

Transforms are checked against their definitions (Aitchison 1986; Egozcue et
al. 2003) and the multiplicative replacement formula of Martín-Fernández et
al. (2003) by hand calculation; the design-based summaries against
tests/reference/allocation_svymean.R (R survey 4.1.1).
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design.design import Design
from survey.errors import InputError
from survey.measures.allocation.compositional import (
    closed_geometric_mean,
    closure,
    clr,
    ilr,
    ilr_basis,
    ilr_group_test,
    multiplicative_replacement,
    replacement_sensitivity,
)

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "reference" / "allocation_svymean.json").read_text())
PARTS = REF["parts"]


@pytest.fixture(scope="module")
def design():
    return Design(pd.read_csv(HERE / "data" / "allocation_test.csv"), weights="wt",
                  strata="stratum")


# -------------------------------------------------------------- transforms
def test_closure():
    np.testing.assert_allclose(closure([[1, 2, 3], [5, 5, 0]]),
                               [[1 / 6, 2 / 6, 3 / 6], [0.5, 0.5, 0.0]])
    np.testing.assert_allclose(closure([100, 300, 600], total=1000), [100, 300, 600])


def test_multiplicative_replacement_formula():
    # Martín-Fernández et al. (2003): zero -> delta, others x (1 - k delta).
    # (.2, .4, .4, 0) with delta = 1/16: .2 * 15/16 = .1875, .4 * 15/16 = .375, 0 -> .0625
    np.testing.assert_allclose(multiplicative_replacement([[.2, .4, .4, 0]], delta=1 / 16),
                               [[.1875, .375, .375, .0625]])
    # in yen: (0, 500, 0, 500) with delta = ¥1: zeros -> 1, others 500 (1 - 2/1000) = 499
    out = multiplicative_replacement([0, 500, 0, 500], delta=1, total=1000)
    np.testing.assert_allclose(out, [1, 499, 1, 499])
    # ratios between non-zero parts are kept
    out = multiplicative_replacement([[0, 200, 800]], delta=5, total=1000)
    assert out[0, 2] / out[0, 1] == pytest.approx(4.0)
    with pytest.raises(InputError, match="too large"):
        multiplicative_replacement([[0, 0, 0, 1000]], delta=400, total=1000)


def test_clr_definition():
    x = np.array([[.1, .3, .4, .2]])
    g = np.exp(np.log(x).mean())
    np.testing.assert_allclose(clr(x), np.log(x / g))
    assert clr(x).sum() == pytest.approx(0.0, abs=1e-12)  # four logs: a few ulps, whatever the libm
    with pytest.raises(InputError, match="strictly positive"):
        clr([[0, .5, .5]])


def test_ilr_definition_hand_calculated():
    # coordinate k = sqrt(k/(k+1)) log(g(x_1..x_k) / x_{k+1}) for (.1, .3, .4, .2):
    # z1 = sqrt(1/2) log(.1/.3)            = -0.7768362
    # z2 = sqrt(2/3) log(sqrt(.03)/.4)     = -0.6833980
    # z3 = sqrt(3/4) log(.012^(1/3)/.2)    =  0.1170477
    np.testing.assert_allclose(ilr([.1, .3, .4, .2]), [-0.7768362, -0.6833980, 0.1170477],
                               atol=5e-8)


def test_ilr_is_an_isometry():
    rng = np.random.default_rng(1)
    x = rng.dirichlet(np.ones(10), size=5)
    v = ilr_basis(10)
    np.testing.assert_allclose(v @ v.T, np.eye(9), atol=1e-12)     # orthonormal
    np.testing.assert_allclose(v.sum(axis=1), 0.0, atol=1e-12)     # in the clr plane
    z, c = ilr(x), clr(x)
    np.testing.assert_allclose(z, c @ v.T, atol=1e-12)
    # Aitchison distance = Euclidean distance of clr = Euclidean distance of ilr
    assert np.linalg.norm(z[0] - z[1]) == pytest.approx(np.linalg.norm(c[0] - c[1]))


# ------------------------------------------------------- design summaries
def test_closed_geometric_mean_matches_svycontrast(design):
    t = closed_geometric_mean(design, PARTS, delta=1)
    np.testing.assert_allclose(t["estimate"], REF["closed_geomean"]["estimate"], rtol=1e-9)
    np.testing.assert_allclose(t["se"], REF["closed_geomean"]["se"], rtol=1e-9)
    assert t["estimate"].sum() == pytest.approx(1000.0)
    assert t.attrs["delta"] == 1 and t.attrs["total_policy"]["valid"] == 192


def test_replacement_sensitivity_matches_r(design):
    s = replacement_sensitivity(design, PARTS, deltas=(0.5, 1, 5, 10))
    for delta, ref in REF["geomean_sensitivity"].items():
        got = s[s["delta"] == float(delta)]
        np.testing.assert_allclose(got["estimate"], ref, rtol=1e-9)
        assert sorted(got["rank"]) == list(range(1, 11))
    # childhood leads for every delta; rainwater is last for every delta
    lead = s[s["rank"] == 1]["part"].unique().tolist()
    assert lead == ["childhood"]
    assert s[s["rank"] == 10]["part"].unique().tolist() == ["rainwater"]


def test_ilr_group_test_matches_r(design):
    res = ilr_group_test(design, PARTS, by="age", delta=1)
    ref = REF["ilr_wald_age"]
    assert res.test.chisq == pytest.approx(ref["statistic"], rel=1e-9)
    assert (res.test.ndf, res.test.ddf) == (ref["df"], ref["df_denom"])
    assert res.p == pytest.approx(ref["p_F"], rel=1e-8)
    coords = res.differences
    assert set(coords["part"]) == {f"ilr{k}" for k in range(1, 10)}
    # group means of the coordinates are R's svyby(~ilr1+...+ilr9, ~age, svymean)
    est = pd.Series(REF["ilr_by_age"]["estimate"], index=REF["ilr_by_age"]["names"])
    d = coords.query("part == 'ilr4' and group == '65+'").iloc[0]["estimate"]
    assert d == pytest.approx(est["65+:ilr4"] - est["18-39:ilr4"], rel=1e-9)


def test_ilr_test_does_not_depend_on_the_basis(design):
    a = ilr_group_test(design, PARTS, by="age", method="chisq")
    b = ilr_group_test(design, PARTS[3:] + PARTS[:3], by="age", method="chisq")
    assert a.test.chisq == pytest.approx(b.test.chisq, rel=1e-8)
    assert a.p == pytest.approx(REF["ilr_wald_age"]["p_chisq"], rel=1e-8)


def test_row_wise_transforms_by_blocks_give_the_same_numbers(monkeypatch):
    """Issue 18: multiplicative_replacement and clr work a block of rows at a time; the
    numbers are those of the whole matrix at once, bit for bit."""
    from survey.measures.allocation import compositional as comp

    rng = np.random.default_rng(3)
    y = rng.integers(0, 200, size=(1000, 5)).astype(float)
    y[:, 0] += 1
    whole = comp.clr(comp.multiplicative_replacement(y, delta=1.0, total=1000))
    monkeypatch.setattr(comp, "_BLOCK_ROWS", 64)
    blocks = comp.clr(comp.multiplicative_replacement(y, delta=1.0, total=1000))
    assert np.array_equal(whole, blocks)


@pytest.mark.parametrize("shape", [(5,), (1, 3), (300, 11), (70_000, 11)])
def test_transforms_are_scikit_bio_bit_for_bit(shape):
    """Issue 18: the transforms are computed with numpy (the run does not import scikit-bio);
    they give scikit-bio 0.7's numbers exactly, one row and many, across a block boundary."""
    from skbio.stats import composition as skc

    rng = np.random.default_rng(18)
    x = rng.integers(0, 300, size=shape).astype(float)
    x[..., 1] += 1                     # every row positive somewhere, and zeros elsewhere
    x[..., 0] = 0
    assert np.array_equal(closure(x, total=1000), np.asarray(skc.closure(x)).reshape(shape) * 1000)
    replaced = multiplicative_replacement(x, delta=1.0, total=1000)
    expected = np.asarray(skc.multi_replace(np.asarray(skc.closure(x)).reshape(shape), delta=1 / 1000)).reshape(shape)
    assert np.array_equal(replaced, expected * 1000)
    assert np.array_equal(clr(replaced), np.asarray(skc.clr(replaced)).reshape(shape))
    basis = ilr_basis(shape[-1])
    assert np.array_equal(ilr(replaced), np.asarray(skc.ilr(replaced, basis=basis)).reshape(*shape[:-1], shape[-1] - 1))
