"""survey.design.distributions gives scipy.stats' values bit for bit (issue 18: the run does
not import scipy.stats, whose distributions call the same scipy.special functions).

The reference is scipy.stats itself, on grids holding the edge cases its ``rv_continuous``
checks: probabilities 0, 1, outside [0, 1] and NaN; points at, beyond and inside the
support's ends and infinite; invalid (zero, negative, NaN) and infinite parameters.
"""
import numpy as np
import pytest
from scipy import stats

from survey.design import distributions as dist

PROBS = np.array([0.0, 1e-300, 1e-12, 1e-6, 0.001, 0.0125, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975,
                  0.9875, 0.999, 1 - 1e-12, 1.0, -0.1, 1.1, np.nan])
POINTS = np.array([-np.inf, -40.0, -8.5, -3.0, -1.96, -1.0, -0.5, -0.0, 0.0, 1e-300, 1e-8, 0.3, 0.5, 1.0, 1.96, 2.5,
                   3.0, 8.5, 40.0, 1e6, np.inf, np.nan])
DF = np.array([-1.0, 0.0, np.nan, 0.5, 1.0, 2.0, 3.5, 7.0, 30.0, 41.0, 1e3, 1e8])
SHAPES = np.array([-1.0, 0.0, np.nan, 0.05, 0.5, 1.0, 2.5, 10.0, 400.0, 8591.0])


def _same(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype == np.float64
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)            # NaN where scipy.stats gives NaN, else equal
    assert np.array_equal(np.signbit(ours), np.signbit(theirs))   # -0.0 where it gives -0.0


@pytest.mark.parametrize("name", ["ppf", "cdf", "sf", "pdf"])
def test_normal_is_scipy_stats(name):
    grid = PROBS if name == "ppf" else POINTS
    _same(getattr(dist, f"norm_{name}")(grid), getattr(stats.norm, name)(grid))


@pytest.mark.parametrize("ours, theirs, grid", [
    (dist.t_ppf, stats.t.ppf, PROBS), (dist.t_cdf, stats.t.cdf, POINTS), (dist.t_sf, stats.t.sf, POINTS),
    (dist.chi2_cdf, stats.chi2.cdf, POINTS), (dist.chi2_sf, stats.chi2.sf, POINTS),
])
def test_one_parameter_is_scipy_stats(ours, theirs, grid):
    x, df = np.meshgrid(grid, DF)
    _same(ours(x, df), theirs(x, df))


@pytest.mark.parametrize("ours, theirs, grid", [
    (dist.f_cdf, stats.f.cdf, POINTS), (dist.f_sf, stats.f.sf, POINTS), (dist.f_isf, stats.f.isf, PROBS),
])
def test_f_is_scipy_stats(ours, theirs, grid):
    x, a, b = np.meshgrid(grid, DF, DF)
    _same(ours(x, a, b), theirs(x, a, b))


@pytest.mark.filterwarnings("ignore:Error in function boost")   # both, at the extreme shapes
def test_beta_ppf_is_scipy_stats():
    q, a, b = np.meshgrid(PROBS, SHAPES, SHAPES)
    _same(dist.beta_ppf(q, a, b), stats.beta.ppf(q, a, b))


def test_scalars_broadcasting_and_integers_as_scipy_stats():
    # a scalar gives a numpy float (as scipy.stats: float() and formatting work the same)
    assert type(dist.norm_ppf(0.975)) is type(stats.norm.ppf(0.975)) is np.float64
    assert dist.norm_ppf(0.975) == stats.norm.ppf(0.975) == 1.959963984540054
    assert dist.t_ppf(0.975, 41) == stats.t.ppf(0.975, 41)
    assert dist.t_sf(np.int64(2), 7) == stats.t.sf(2, 7)
    # the design's usual calls: a vector of statistics against one df, one level against many dfs
    stat = np.array([0.1, 1.5, 2.2, 4.0])
    _same(dist.t_sf(np.abs(stat), 12.0), stats.t.sf(np.abs(stat), 12.0))
    _same(dist.t_ppf(0.975, np.array([3.0, 12.0, 40.0])), stats.t.ppf(0.975, np.array([3.0, 12.0, 40.0])))
    _same(dist.f_sf(3.2, np.array([[1.0], [2.0]]), np.array([10.0, 20.0, 30.0])),
          stats.f.sf(3.2, np.array([[1.0], [2.0]]), np.array([10.0, 20.0, 30.0])))
    _same(dist.beta_ppf(0.025, np.array([3.5, 60.0]), 100.0), stats.beta.ppf(0.025, np.array([3.5, 60.0]), 100.0))
