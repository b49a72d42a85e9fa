"""Tests for survey.measures.allocation.segments (clr k-means segments of the allocation).

The criteria are checked against scikit-learn (equal weights) and a hand
calculation (unequal weights); the design-based tables against the
allocation estimators, whose R references are in
tests/reference/allocation_svymean.R.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, silhouette_score

from survey.design.design import Design
from survey.errors import InputError
from survey.measures.allocation.means import allocation_means
from survey.measures.allocation.segments import (
    allocation_segments,
    weighted_calinski_harabasz,
    weighted_silhouette,
)

HERE = Path(__file__).resolve().parent
PARTS = ["rainwater", "cooling", "carbon", "wildlife", "landscape",
         "farming", "health", "childhood", "community", "disaster"]


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(HERE / "data" / "allocation_test.csv")


@pytest.fixture(scope="module")
def design(data):
    return Design(data, weights="wt", strata="stratum")


@pytest.fixture(scope="module")
def result(design):
    return allocation_segments(design, PARTS, by=("age", "district"))


def test_criteria_equal_scikit_learn_with_equal_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    labels = rng.integers(0, 3, 60)
    assert weighted_silhouette(x, labels) == pytest.approx(silhouette_score(x, labels), rel=1e-12)
    assert weighted_calinski_harabasz(x, labels) == pytest.approx(
        calinski_harabasz_score(x, labels), rel=1e-12)


def test_weighted_silhouette_hand_calculation():
    # points 0, 1 | 10, 11 on a line, weights 1, 3 | 1, 1
    # point 0: a = 1, b = (10 + 11) / 2 = 10.5          -> s = 9.5 / 10.5
    # point 1: a = 1, b = (9 + 10) / 2 = 9.5            -> s = 8.5 / 9.5
    # point 2: a = 1, b = (10 * 1 + 9 * 3) / 4 = 9.25   -> s = 8.25 / 9.25
    # point 3: a = 1, b = (11 * 1 + 10 * 3) / 4 = 10.25 -> s = 9.25 / 10.25
    s = np.array([9.5 / 10.5, 8.5 / 9.5, 8.25 / 9.25, 9.25 / 10.25])
    w = np.array([1.0, 3.0, 1.0, 1.0])
    x = np.array([[0.0], [1.0], [10.0], [11.0]])
    assert weighted_silhouette(x, [0, 0, 1, 1], w) == pytest.approx(w @ s / w.sum(), rel=1e-12)
    # weighted CH from its definition: weights scaled to sum n = 4 -> (2/3, 2, 2/3, 2/3),
    # [B / (k - 1)] / [W / (n - k)] with k = 2
    ws = w * 4 / 6
    m1, m2, m = (ws[:2] @ x[:2, 0]) / ws[:2].sum(), (ws[2:] @ x[2:, 0]) / ws[2:].sum(), ws @ x[:, 0] / 4
    between = ws[:2].sum() * (m1 - m) ** 2 + ws[2:].sum() * (m2 - m) ** 2
    within = ws[:2] @ (x[:2, 0] - m1) ** 2 + ws[2:] @ (x[2:, 0] - m2) ** 2
    assert weighted_calinski_harabasz(x, [0, 0, 1, 1], w) == pytest.approx(
        between * 2 / within, rel=1e-12)


def test_segments_recover_the_three_profiles(result, data):
    # the test set is drawn from three preference profiles (column "profile")
    assert result.k == 3
    crit = result.criteria
    assert crit["k"].tolist() == [2, 3, 4, 5, 6]
    assert crit.loc[crit["chosen"], "k"].item() == 3
    assert crit.loc[crit["chosen"], "score"].item() == crit["score"].max()
    used = result.labels.notna()
    assert used.sum() == 192
    assert adjusted_rand_score(data.loc[used, "profile"], result.labels[used].astype(int)) > 0.6


def test_sizes_and_profiles_are_design_estimates(result, data, design):
    sizes = result.sizes
    assert sizes["segment"].tolist() == [1, 2, 3]
    assert sizes["estimate"].sum() == pytest.approx(1.0)
    assert sizes["estimate"].is_monotonic_decreasing          # numbered by weighted size
    used = result.labels.notna().to_numpy()
    w = data["wt"].to_numpy()
    for row in sizes.itertuples():
        share = w[used & (result.labels == row.segment).fillna(False).to_numpy()].sum() / w[used].sum()
        assert row.estimate == pytest.approx(share, rel=1e-12)
    # profiles = allocation_means by segment on a design that carries the labels
    labelled = Design(data.assign(segment=result.labels), weights="wt", strata="stratum")
    ref = allocation_means(labelled.subset(used), PARTS, by="segment")
    got = result.profiles.merge(ref, on=["segment", "part"], suffixes=("", "_ref"))
    np.testing.assert_allclose(got["estimate"], got["estimate_ref"], rtol=1e-10)
    np.testing.assert_allclose(got["se"], got["se_ref"], rtol=1e-10)
    np.testing.assert_allclose(result.profiles.groupby("segment")["estimate"].sum(), 1000.0)


def test_segment_mix_by_age_and_district(result):
    for col in ("age", "district"):
        table = result.by[col]
        assert list(table.columns) == [col, "segment", "estimate", "se", "ci_low", "ci_high", "deff", "n"]
        np.testing.assert_allclose(table.groupby(col)["estimate"].sum(), 1.0)
    assert sorted(result.by["age"]["age"].unique()) == ["18-39", "40-64", "65+"]


def test_reproducible_and_calinski_harabasz_option(design, result):
    again = allocation_segments(design, PARTS)
    pd.testing.assert_series_equal(again.labels, result.labels)
    ch = allocation_segments(design, PARTS, criterion="calinski_harabasz", k_range=[2, 3, 4])
    assert ch.criteria["criterion"].unique().tolist() == ["calinski_harabasz"]
    assert ch.k == int(ch.criteria.loc[ch.criteria["score"].idxmax(), "k"])


def test_errors(design):
    with pytest.raises(InputError, match="criterion must be"):
        allocation_segments(design, PARTS, criterion="gap")
    with pytest.raises(InputError, match="k_range"):
        allocation_segments(design, PARTS, k_range=[1, 2])


def test_kmeans_on_a_subsample_above_kmeans_sample(design, data):
    """Above ``kmeans_sample`` rows k-means is fitted on the seeded subsample
    (with its weights) and every row joins its nearest centre: the labels are
    those of scikit-learn's KMeans fitted on the same rows."""
    from sklearn.cluster import KMeans

    from survey.measures.allocation.compositional import clr, multiplicative_replacement

    res = allocation_segments(design, PARTS, k_range=[3], kmeans_sample=120, seed=7, n_init=3)
    kept = res.labels.notna().to_numpy()          # the 192 valid allocations (7 refused)
    y = data.loc[kept, PARTS].to_numpy(dtype=float)
    w = data.loc[kept, "wt"].to_numpy()
    coords = clr(multiplicative_replacement(y, delta=1.0, total=1000))
    rows = np.sort(np.random.default_rng(8).choice(len(y), size=120, replace=False))
    km = KMeans(n_clusters=3, n_init=3, random_state=7).fit(coords[rows], sample_weight=w[rows])
    got = res.labels[kept].to_numpy(dtype=int)
    assert kept.sum() == 192
    assert adjusted_rand_score(km.predict(coords), got) == 1.0
    full = allocation_segments(design, PARTS, k_range=[3], seed=7, n_init=3)   # 192 rows < 20,000: every row
    km_all = KMeans(n_clusters=3, n_init=3, random_state=7).fit(coords, sample_weight=w)
    assert adjusted_rand_score(km_all.labels_, full.labels[kept].to_numpy(dtype=int)) == 1.0


def _sklearn_kmeans(x, k, w, seed, n_init=10):
    """scikit-learn's KMeans as segments.py ran it before issue 18 (one OpenMP thread)."""
    import warnings

    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="openmp"):
        warnings.simplefilter("ignore")          # "found smaller than n_clusters" on the duplicates
        km.fit(x, sample_weight=w)
    return km


@pytest.mark.parametrize("n, p, kind", [(7, 2, "normal"), (255, 3, "normal"), (256, 11, "clr"),
                                        (257, 5, "ties"), (600, 4, "normal"), (1300, 11, "clr"),
                                        (3000, 1, "ties"), (900, 8, "ties")])
def test_kmeans_is_scikit_learn_bit_for_bit(n, p, kind):
    """Issue 18: survey.measures.allocation.kmeans gives scikit-learn 1.9's KMeans (labels,
    centres, inertia, iterations; predict) and pairwise_distances exactly, on data around the
    256-row blocks, with many repeated points (empty clusters relocated) and clr coordinates."""
    from sklearn.metrics import pairwise_distances

    from survey.measures.allocation.kmeans import euclidean_distances, kmeans, nearest_centres

    rng = np.random.default_rng(n * 100 + p)
    x = {"normal": lambda: rng.normal(size=(n, p)),
         "ties": lambda: rng.integers(0, 3, size=(n, p)).astype(float),
         "clr": lambda: np.log(rng.dirichlet(np.ones(p), size=n) + 1e-3)}[kind]()
    w = rng.uniform(0.2, 5.0, size=n)
    for k, seed in ((2, 0), (3, 2025), (6, 7)):
        if k >= n:
            continue
        km = _sklearn_kmeans(x, k, w, seed)
        ours = kmeans(x, k, sample_weight=w, seed=seed)
        assert ours.labels.dtype == km.labels_.dtype == np.int32
        assert np.array_equal(ours.labels, km.labels_)
        assert np.array_equal(ours.centres, km.cluster_centers_)
        assert (ours.inertia, ours.n_iter) == (km.inertia_, km.n_iter_)
        assert np.array_equal(nearest_centres(x[::2], ours.centres), km.predict(x[::2]))
    assert np.array_equal(euclidean_distances(x), pairwise_distances(x))
    assert np.array_equal(euclidean_distances(x[:9], x), pairwise_distances(x[:9], x))


def test_segments_of_the_bundled_wave_are_scikit_learn_s():
    """The 配分 segments of the bundled wave (seed 2025, k 2..6, as survey run: k-means、2グループ
    in report.html) are those of scikit-learn's KMeans on the same clr coordinates, every k."""
    from survey.examples import bundled_wave
    from survey.measures.allocation.compositional import clr, multiplicative_replacement
    from survey.measures.allocation.kmeans import kmeans

    wave, q = bundled_wave()
    parts = list(q["allocation"].columns)
    res = allocation_segments(wave, parts, seed=2025)
    kept = res.labels.notna().to_numpy()
    y = wave.data.loc[kept, parts].to_numpy(dtype=float)
    w = np.asarray(wave.weights, dtype=float)[kept]
    coords = clr(multiplicative_replacement(y, delta=1.0, total=1000))
    assert res.k == 2 and kept.sum() == 1290     # the default policy refuses the 3 answers off ¥1,000 (of 1,293)
    for k in range(2, 7):
        km, ours = _sklearn_kmeans(coords, k, w, 2025), kmeans(coords, k, sample_weight=w, seed=2025)
        assert np.array_equal(ours.labels, km.labels_) and np.array_equal(ours.centres, km.cluster_centers_)
        assert ours.inertia == km.inertia_
    km = _sklearn_kmeans(coords, 2, w, 2025)
    assert adjusted_rand_score(km.labels_, res.labels[kept].to_numpy(dtype=int)) == 1.0
