"""Collapsed rows and per-group blocks give the row-by-row numbers (issue 18).

Every estimate is computed twice: with collapsing and blocks switched off
(the direct computation on the rows, which the R parity tests check) and
on (the default).  They must agree to 1e-10 relative: estimates, the whole
covariance (relative to its largest entry: a variance that is zero up to
rounding, e.g. the share of a raking margin, has no relative precision in
either computation), degrees of freedom, design effects, intervals and n.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey
from survey.design import Design
from survey.design import collapse as col
from survey.design.collapse import collapsing, group_rows
from survey.design.olr import _patterns, olr

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
TOL = 1e-10


@pytest.fixture(scope="module")
def wave():
    q = survey.load_questionnaire(ROOT / "questionnaires" / "midori_2025.yaml")
    ds = survey.load(ROOT / "data" / "raw" / "midori_2025_sample.csv", q)
    return q, survey.weight_wave(ds, survey.read_margins(ROOT / "data" / "midori_margins.csv"))


@pytest.fixture(scope="module")
def stratified(wave):
    """The wave as a stratified sample of district x sex cells (lonely PSUs
    adjusted, as `survey run --mailing` builds it), then raked."""
    _, d = wave
    data = d.data.copy()
    data["_w0"] = 50.0 + 10.0 * data["district"].fillna(0).to_numpy(float)
    data["_h"] = data["district"].fillna(0).astype(str) + "-" + data["sex"].fillna(0).astype(str)
    data.loc[data.index[:1], "_h"] = "lonely"                # one stratum with a single PSU
    base = Design(data, weights="_w0", strata="_h", lonely_psu="adjust")
    margins = {k: pd.Series(d.weights.groupby(data[k]).sum()) for k in ("_rake_age_band", "_rake_district")}
    return base.rake(margins)


@pytest.fixture(scope="module")
def apiclus1():
    return Design(pd.read_csv(DATA / "apiclus1.csv"), ids="dnum", weights="pw", fpc="fpc")


def both(f):
    with collapsing(False):
        rows = f()
    with collapsing(True):
        fast = f()
    return rows, fast


def assert_same(rows, fast):
    a, b = rows.to_frame(), fast.to_frame()
    assert list(a.index) == list(b.index)
    np.testing.assert_allclose(b["estimate"], a["estimate"], rtol=TOL, atol=1e-13)
    V, W = rows.vcov.to_numpy(), fast.vcov.to_numpy()
    scale = np.nanmax(np.abs(V))
    np.testing.assert_allclose(W, V, rtol=0, atol=TOL * scale)
    # (a share of 0 or 1 up to rounding has a degenerate interval in either computation)
    inner = ~((rows.statistic == "proportion") & ((a["estimate"] < 1e-12) | (a["estimate"] > 1 - 1e-12)))
    for c in ("ci_low", "ci_high"):
        np.testing.assert_allclose(b[c][inner], a[c][inner], rtol=TOL, atol=TOL * np.sqrt(scale))
    # a design effect whose numerator or denominator is zero up to rounding is noise in both
    deff = a["deff"].to_numpy()
    finite = np.isfinite(deff) & (np.abs(deff) < 1e6) & (a["se"].to_numpy() > 1e-6 * np.sqrt(scale))
    np.testing.assert_allclose(b["deff"][finite], a["deff"][finite], rtol=1e-8)
    assert (b["n"].to_numpy() == a["n"].to_numpy()).all()
    np.testing.assert_array_equal(fast.df.to_numpy(), rows.df.to_numpy())


class TestGroupRows:
    def test_groups_equal_rows_exactly(self):
        rng = np.random.default_rng(1)
        x = rng.integers(0, 4, 5000).astype(float)
        x[rng.random(5000) < 0.1] = np.nan
        x[x == 3] = -0.0                  # -0.0 is its own atom (bit for bit): never wrong, only less compact
        y = rng.integers(0, 3, 5000)
        atoms = group_rows([x, y], 5000)
        expect = pd.DataFrame({"x": x.view(np.uint64), "y": y}).groupby(["x", "y"], sort=False).ngroup().to_numpy()
        assert atoms.size == expect.max() + 1 == 15          # (0, 1, 2, -0, NaN) x 3
        np.testing.assert_array_equal(atoms.row, expect)          # numbered in order of first appearance
        np.testing.assert_array_equal(atoms.rep, pd.Series(expect).drop_duplicates().index)
        assert atoms.count.sum() == 5000
        assert group_rows([x, y], 5000, limit=14) is None

    def test_hash_collision_falls_back_to_exact_grouping(self, monkeypatch):
        monkeypatch.setattr(col, "_mix", lambda h: h * np.uint64(0))      # every row hashes alike
        atoms = group_rows([np.array([1, 2, 1, 3]), np.array([0.5, 0.5, 0.5, 0.5])], 4)
        np.testing.assert_array_equal(atoms.row, [0, 1, 0, 2])
        np.testing.assert_array_equal(atoms.count, [2.0, 1.0, 1.0])

    def test_the_wave_collapses_to_cells_and_answers(self, wave):
        _, d = wave
        atoms = d._collapse([d.data["satisfaction"].to_numpy(float, na_value=np.nan)])
        # 60 raking cells x 7 answers (5 levels, わからない, missing) at most
        assert atoms is not None and atoms.size <= 60 * 7
        assert atoms.count.sum() == d.n


class TestWave:
    @pytest.mark.parametrize("by", [None, "age_band", ["district", "sex"]])
    def test_means_and_totals(self, wave, by):
        _, d = wave
        assert_same(*both(lambda: d.mean(["satisfaction", "park_use", "alloc_rain"], by=by)))
        assert_same(*both(lambda: d.total(["imp_rain", "district"], by=by)))

    @pytest.mark.parametrize("method", ["logit", "beta", "likelihood", "mean", "xlogit", "asin"])
    def test_proportions(self, wave, method):
        _, d = wave
        assert_same(*both(lambda: d.proportion("satisfaction", by="age_band", method=method)))
        assert_same(*both(lambda: d.proportion(["satisfaction", "park_use"], method=method)))

    def test_domain_of_a_subset(self, wave):
        _, d = wave
        sub = d.subset(d.data["sex"].fillna(0).to_numpy() == 1)
        assert_same(*both(lambda: sub.proportion("park_use", by="district")))
        assert_same(*both(lambda: sub.mean("satisfaction", by="age_band")))

    def test_domain_means_disjoint_and_overlapping(self, wave):
        _, d = wave
        y = d.data[["satisfaction", "park_use"]].to_numpy(float, na_value=np.nan)
        groups = [(d.data["district"] == k).fillna(False).to_numpy() for k in (1, 2, 3, 4, 5)]
        assert_same(*both(lambda: d.domain_means(y, groups, df="design")))
        overlapping = groups + [np.ones(d.n, dtype=bool)]
        assert_same(*both(lambda: d.domain_means(y, overlapping, ci_method="logit")))

    def test_stratified_lonely_psu_adjusted(self, stratified):
        d = stratified
        assert_same(*both(lambda: d.mean(["satisfaction", "alloc_cool"], by="age_band")))
        assert_same(*both(lambda: d.proportion("park_use", by="district", method="beta")))

    def test_pattern_vcov_equals_score_vcov(self, wave):
        _, d = wave
        pattern = d.data["satisfaction"].fillna(0).to_numpy(int)
        u = np.array([[0.0, 1.0], [1.0, -2.0], [0.5, 3.0], [0.0, 0.0], [-1.0, 1.0], [2.0, 2.0], [1.0, 1.0],
                      [0.0, 0.0], [0.0, 0.0], [4.0, 0.0]])
        pattern = np.where(pattern == 0, -1, pattern)
        z = np.where(pattern[:, None] >= 0, u[pattern] * d.weights.to_numpy()[:, None], 0.0)
        expect = d.score_vcov(z)
        np.testing.assert_allclose(d.pattern_vcov(u, pattern), expect, rtol=0, atol=TOL * np.abs(expect).max())


class TestModels:
    @pytest.mark.parametrize("replicate", [False, True])
    def test_olr_on_patterns(self, wave, replicate):
        _, d = wave
        if replicate:
            d = d.replicate("rescaled_bootstrap", replicates=20, seed=3)
        formula = "satisfaction ~ C(age_band) + C(sex)"
        X = np.column_stack([d.data["age_band"].fillna(0), d.data["sex"].fillna(0)]).astype(float)
        assert _patterns(X, d.data["satisfaction"].fillna(0).to_numpy(int)) is not None   # 6 x 3 x 7 at most
        rows, fast = both(lambda: olr(d, formula))
        np.testing.assert_allclose(fast.params, rows.params, rtol=1e-9, atol=1e-9)
        V = rows.vcov.to_numpy()
        np.testing.assert_allclose(fast.vcov.to_numpy(), V, rtol=0, atol=1e-8 * np.abs(V).max())
        np.testing.assert_allclose(fast.deff, rows.deff, rtol=1e-7)


    def test_rank_logit_scores_on_patterns(self, wave):
        q, d = wave
        choices = list(q["policy"].columns)[:1]          # first choices: 13 answers x 7 age bands
        age = d.data["age_band"].fillna(0).to_numpy(int)
        assert group_rows([d.data[choices[0]].fillna(0).to_numpy(int), age], d.n, limit=d.n // 2).size <= 91
        fit = lambda: survey.rank_logit(d, choices, covariates=["age_band"], categorical=["age_band"])  # noqa: E731
        rows, fast = both(fit)
        np.testing.assert_array_equal(fast.params, rows.params)
        V = rows.vcov.to_numpy()
        np.testing.assert_allclose(fast.vcov.to_numpy(), V, rtol=0, atol=TOL * np.abs(V).max())


class TestRData:
    """R's own data: apistrat (strata, fpc), apiclus1 (clusters: atoms stay
    inside them), apiclus2 (two stages with fpc: never collapsed)."""

    def test_apistrat(self):
        api = pd.read_csv(DATA / "apistrat.csv")
        d = Design(api, weights="pw", strata="stype", fpc="fpc")
        assert_same(*both(lambda: d.mean(["api00", "sch.wide"], by="stype")))
        assert_same(*both(lambda: d.proportion("awards", by="comp.imp", method="likelihood")))

    def test_apiclus1_raked(self, apiclus1):
        d = apiclus1.rake({"stype": pd.Series({"E": 4421, "H": 755, "M": 1018})})
        assert_same(*both(lambda: d.mean(["sch.wide", "stype", "api00"], by="awards")))
        assert_same(*both(lambda: d.subset(d.data["awards"].to_numpy() == "Yes").proportion("stype")))

    def test_apiclus2_two_stages(self):
        api = pd.read_csv(DATA / "apiclus2.csv")
        d = Design(api, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])
        assert d._collapse([api["sch.wide"].to_numpy(object).astype(str)]) is None
        assert_same(*both(lambda: d.mean("api00", by="stype")))


def test_topk_keys_give_the_atoms_of_the_indicator_columns(wave):
    """topk_shares' 3 x 12 derived columns are collapsed on their keys (the first choice,
    the set of items ranked, the ranks): the same atoms, numbered alike, as hashing the
    columns themselves, and so the same numbers as without keys (issue 18)."""
    from survey.measures.ranking import data as rd
    from survey.measures.ranking.shares import _item_sets, _repeats

    q, d = wave
    choices = list(q["policy"].columns)
    C, items = rd.parse_choices(d.data, choices, None)
    complete = C[:, 0] >= 0
    pos = np.arange(len(items))
    first = np.where(complete[:, None], (C[:, :1] == pos) * 1.0, np.nan)
    topk = np.where(complete[:, None], (C[:, :, None] == pos).any(axis=1) * 1.0, np.nan)
    borda = np.where(complete[:, None], ((C[:, :, None] == pos) * np.array([3.0, 2.0, 1.0])[:, None]).sum(axis=1),
                     np.nan)
    assert not _repeats(C, complete)
    keys = {"first": [C[:, 0]], "topk": [_item_sets(C, complete)],
            "borda": [np.where(complete, C[:, r], -2) for r in range(3)]}
    for name, cols in (("first", first), ("topk", topk), ("borda", borda)):
        by_columns = group_rows(list(cols.T), len(C))
        by_key = group_rows(keys[name], len(C))
        assert by_key.size == by_columns.size and (by_key.row == by_columns.row).all(), name
    # a ranking naming an item twice: its ranks are no key of its Borda points
    twice = C.copy()
    twice[0, 1] = twice[0, 0]
    assert _repeats(twice, complete)
    # the keyed design collapses on the key; a replaced column loses it
    keyed = d._with_keyed_columns({"a": first[:, 0], "b": first[:, 1]}, [C[:, 0]])
    assert keyed._collapse_inputs(["a", "b"], lambda name: ["no key"]) == [keyed._keys["a"][0]]
    assert keyed.with_columns(a=first[:, 2])._collapse_inputs(["a", "b"], lambda name: ["no key"])[0] == "no key"
    shares = both(lambda: survey.topk_shares(d, choices, by="age_band"))
    assert shares[0].equals(shares[1]) or np.allclose(shares[0][["estimate", "se"]], shares[1][["estimate", "se"]],
                                                       rtol=TOL, atol=0)


def test_group_rows_gives_up_exactly_above_the_limit():
    """The early exit (distinct low bits of the hash: a lower bound of the groups) returns
    None exactly when the full grouping has more than ``limit`` atoms; an array given twice
    counts once (issue 18)."""
    rng = np.random.default_rng(7)
    n = 4000
    words = [rng.integers(0, 3, n).astype(float) for _ in range(8)]       # 3^8 = 6561 patterns possible
    full = group_rows(words, n)
    for limit in (full.size - 1, full.size, full.size + 1, 10, n):
        got = group_rows(words, n, limit=limit)
        assert (got is None) == (full.size > limit)
        if got is not None:
            assert (got.row == full.row).all()
    assert col._more_than(np.arange(5000, dtype=np.uint64), 4999) and not col._more_than(
        np.arange(5000, dtype=np.uint64), 5000)
    twice = group_rows([words[0], words[1], words[0]], n)
    assert (twice.row == group_rows(words[:2], n).row).all()


def test_equal_subsets_share_their_atoms_and_adopted_columns_are_not_copied(wave):
    """Issue 18: subsets of a design by equal masks (also of its with_columns copies) share the
    memo of the collapsed atoms; a different mask has its own; the private _adopt_columns gives
    the frame with_columns gives without copying the arrays."""
    _, d = wave
    mask = d.data["sex"].fillna(0).to_numpy() == 1
    a = d.subset(mask)
    b = d.with_columns(extra=np.ones(d.n)).subset(mask.copy())
    c = d.subset(~mask)
    a.mean("satisfaction")
    assert b._memo is a._memo and "atoms" in b._memo and c._memo is not a._memo
    values = np.arange(d.n, dtype=float)
    adopted = d._adopt_columns({"x": values, "satisfaction": values})
    copied = d.with_columns(x=values, satisfaction=values)
    pd.testing.assert_frame_equal(adopted.data, copied.data)
    assert np.shares_memory(adopted.data["x"].to_numpy(), values)
    assert not np.shares_memory(copied.data["x"].to_numpy(), values)
