"""The Design contract other modules rely on: score_vcov, immutability,
the Estimate object, input errors.

Reference numbers are the R outputs in tests/reference/design_api.json
(design_api.R) or hand calculations given in comments.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from survey.design import Design, Estimate
from survey.errors import DesignError

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "design_api.json").read_text())
STRAT = pd.read_csv(HERE / "data" / "apistrat.csv")
CLUS1 = pd.read_csv(HERE / "data" / "apiclus1.csv")
CLUS2 = pd.read_csv(HERE / "data" / "apiclus2.csv")
MARGINS = {"stype": pd.Series({"E": 4421, "H": 755, "M": 1018}),
           "sch.wide": pd.Series({"No": 1072, "Yes": 5122})}


def dclus1():
    return Design(CLUS1, weights="pw", ids="dnum", fpc="fpc")


def mean_scores(design, column, mask=None):
    """Weighted influence of a (domain) mean: w (y - ybar) / sum(w)."""
    w = design.weights.to_numpy()
    y = design.data[column].to_numpy(float)
    if mask is not None:
        w = np.where(mask, w, 0.0)
    ybar = (w * y).sum() / w.sum()
    return (w * (y - ybar) / w.sum())[:, None]


class TestScoreVcov:
    def test_mean_one_stage(self):
        v = dclus1().score_vcov(mean_scores(dclus1(), "api00"))
        assert v.shape == (1, 1)
        assert np.sqrt(v[0, 0]) == pytest.approx(REF["clus1_mean"]["se"][0], rel=1e-9)

    def test_two_stage_with_fpc(self):
        d = Design(CLUS2, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])
        v = d.score_vcov(mean_scores(d, "api00"))
        assert np.sqrt(v[0, 0]) == pytest.approx(np.ravel(REF["clus2_mean"]["se"])[0], rel=1e-9)

    def test_zero_rows_outside_domain(self):
        """Scores zero outside the domain give the domain variance (R subset)."""
        mask = (CLUS1["sch.wide"] == "Yes").to_numpy()
        v = dclus1().score_vcov(mean_scores(dclus1(), "api00", mask))
        assert np.sqrt(v[0, 0]) == pytest.approx(
            np.ravel(REF["clus1_subset_mean"]["se"])[0], rel=1e-9)

    def test_calibration_adjustment(self):
        """A raked design residualises the scores: R's 23.70, not 24.x."""
        raked = dclus1().rake(MARGINS)
        v = raked.score_vcov(mean_scores(raked, "api00"))
        assert np.sqrt(v[0, 0]) == pytest.approx(REF["rake_mean"]["se"][0], rel=1e-8)

    def test_several_columns_and_1d(self):
        d = dclus1()
        z = np.hstack([mean_scores(d, "api00"), mean_scores(d, "enroll")])
        v = d.score_vcov(z)
        np.testing.assert_allclose(v, REF["clus1_mean"]["vcov"], rtol=1e-9)
        np.testing.assert_allclose(d.score_vcov(z[:, 0]), v[:1, :1], rtol=1e-12)

    def test_shape_checked(self):
        with pytest.raises(DesignError, match=r"shape \(n=183, p\)"):
            dclus1().score_vcov(np.ones((10, 2)))

    def test_estimate_vcov_consistent(self):
        d = dstrat = Design(STRAT, weights="pw", strata="stype", fpc="fpc")
        est = dstrat.mean("api00", by="sch.wide")
        z = np.hstack([mean_scores(d, "api00", (STRAT["sch.wide"] == g).to_numpy())
                       for g in ["No", "Yes"]])
        np.testing.assert_allclose(d.score_vcov(z), est.vcov.to_numpy(), rtol=1e-9)


class TestImmutability:
    def test_setting_attributes_fails(self):
        d = dclus1()
        with pytest.raises(AttributeError, match="immutable"):
            d.weights = 1
        with pytest.raises(AttributeError, match="immutable"):
            d.replicate("jk1")._w = 1

    def test_steps_return_new_designs(self):
        d = dclus1()
        before = d.weights.copy()
        frame = CLUS1.copy()
        d.rake(MARGINS).trim(upper=60).subset(CLUS1["stype"] == "E")
        pd.testing.assert_series_equal(d.weights, before)
        pd.testing.assert_frame_equal(CLUS1, frame)

    def test_weights_is_a_copy(self):
        d = dclus1()
        w = d.weights
        w[:] = 0
        assert (d.weights > 0).all()

    def test_data_and_n(self):
        d = dclus1()
        assert d.n == len(CLUS1) == len(d.data)
        assert not d.is_replicate

    def test_with_columns(self):
        d = dclus1().with_columns(double=CLUS1["api00"] * 2)
        assert d.mean("double").estimate.iloc[0] == pytest.approx(
            2 * REF["clus1_mean"]["estimate"][0], rel=1e-12)
        assert "double" not in dclus1().data.columns


class TestEstimateObject:
    @pytest.fixture(scope="class")
    @classmethod
    def est(cls):
        return Design(STRAT, weights="pw", strata="stype", fpc="fpc").mean(
            ["api00", "enroll"], by="sch.wide")

    def test_frame(self, est):
        frame = est.to_frame()
        assert list(frame.columns) == ["estimate", "se", "ci_low", "ci_high", "deff", "n"]
        assert frame.index.names == ["sch.wide", "variable"]
        assert list(frame.index) == [("No", "api00"), ("No", "enroll"),
                                     ("Yes", "api00"), ("Yes", "enroll")]
        assert isinstance(est, Estimate) and len(est) == 4

    def test_wald_normal_interval(self, est):
        """confint(svymean(...)): normal quantiles (df = Inf)."""
        ci = est.conf_int(0.9)
        z = stats.norm.ppf(0.95)
        np.testing.assert_allclose(ci["ci_low"], est.estimate - z * est.se, rtol=1e-12)
        assert np.isinf(est.df).all()

    def test_group_difference(self, est):
        """vcov spans the groups: var(Yes - No) = v11 + v22 - 2 v12 (the
        R svyby(covmat=TRUE) matrix gives 14.18 for the SE here)."""
        v = est.vcov.loc[[("No", "api00"), ("Yes", "api00")], [("No", "api00"), ("Yes", "api00")]]
        ref = np.asarray(REF["strat_by_schwide"]["vcov"])
        np.testing.assert_allclose(v.to_numpy(), ref, rtol=1e-6)
        se_diff = np.sqrt(ref[0, 0] + ref[1, 1] - 2 * ref[0, 1])
        assert se_diff == pytest.approx(np.sqrt(v.iloc[0, 0] + v.iloc[1, 1] - 2 * v.iloc[0, 1]))

    def test_proportion_df_is_domain_degf(self):
        est = dclus1().proportion("stype", by="sch.wide")
        # degf of each domain = clusters with rows in it - 1 (R degf(subset(...)))
        for g in ["No", "Yes"]:
            k = CLUS1.loc[CLUS1["sch.wide"] == g, "dnum"].nunique() - 1
            assert (est.df.xs(g, level="sch.wide") == k).all()

    def test_quantile_other_level_refused(self):
        q = dclus1().quantile("api00", 0.5)
        with pytest.raises(DesignError, match=r"quantile\(\.\.\., level=0.9\)"):
            q.conf_int(0.9)

    def test_repr(self, est):
        assert "estimate" in repr(est) and "Estimate(mean)" in repr(est)


class TestInputErrors:
    def test_unknown_column(self):
        with pytest.raises(DesignError, match="'nope' is not in the design data"):
            dclus1().mean("nope")

    def test_weights_negative(self):
        with pytest.raises(DesignError, match="finite and >= 0"):
            Design(CLUS1.assign(pw=-CLUS1["pw"]), weights="pw")

    def test_fpc_mixed_forms(self):
        bad = STRAT.assign(fpc=np.where(STRAT.index == 0, 0.5, STRAT["fpc"]))
        with pytest.raises(DesignError, match="all population sizes"):
            Design(bad, weights="pw", strata="stype", fpc="fpc")

    def test_fpc_as_fraction_equals_population(self):
        frac = STRAT.assign(f=STRAT.groupby("stype")["fpc"].transform(
            lambda s: STRAT.loc[s.index].shape[0] / s))
        a = Design(frac, weights="pw", strata="stype", fpc="f").mean("api00")
        np.testing.assert_allclose(a.se, REF["strat_mean"]["se"][0], rtol=1e-9)

    def test_fpc_per_stage(self):
        with pytest.raises(DesignError, match="one fpc column per sampling stage"):
            Design(CLUS2, ids=["dnum", "snum"], fpc="fpc1")

    def test_clusters_not_nested(self):
        data = STRAT.assign(psu=np.arange(len(STRAT)) % 20)
        with pytest.raises(DesignError, match="nest=True"):
            Design(data, weights="pw", strata="stype", ids="psu")
        nested = Design(data, weights="pw", strata="stype", ids="psu", nest=True)
        # R degf: distinct (stratum, psu) clusters minus 3 strata
        assert nested.degf == len(data[["stype", "psu"]].drop_duplicates()) - 3

    def test_single_psu(self):
        with pytest.raises(DesignError, match="only one primary sampling unit"):
            Design(CLUS1.assign(one=1), weights="pw", ids="one")

    def test_missing_cluster_id(self):
        data = CLUS1.assign(dnum=CLUS1["dnum"].where(CLUS1.index != 5))
        with pytest.raises(DesignError, match=r"ids column 'dnum' has missing values \(rows \[5\]\)"):
            Design(data, weights="pw", ids="dnum")

    def test_lonely_option_checked(self):
        with pytest.raises(DesignError, match="lonely_psu must be one of"):
            Design(CLUS1, weights="pw", lonely_psu="drop")

    def test_quantile_probability_checked(self):
        with pytest.raises(DesignError, match="probabilities in"):
            dclus1().quantile("api00", 1.5)

    def test_proportion_method_checked(self):
        with pytest.raises(DesignError, match=r"method must be one of \('logit', 'likelihood', "
                                              r"'asin', 'beta', 'mean', 'xlogit'\); got 'wilson'"):
            dclus1().proportion("stype", method="wilson")


class TestDiagnosticsAndWeights:
    def test_unequal_weighting_effect(self):
        """Kish deff by hand: n sum(w^2) / sum(w)^2 on apistrat's pw."""
        w = STRAT["pw"].to_numpy()
        diag = Design(STRAT, weights="pw", strata="stype").diagnostics()
        assert diag["kish_deff"] == pytest.approx(len(w) * (w ** 2).sum() / w.sum() ** 2, rel=1e-12)
        assert diag["n"] == 200 and "n_iter" not in diag

    def test_replicate_diagnostics_after_rake(self):
        diag = dclus1().replicate("jk1").rake(MARGINS).diagnostics()
        assert diag["calibration"] == "rake" and diag["max_margin_error"] < 1e-10

    def test_with_weights_no_adjustment(self):
        d = dclus1()
        doubled = d.with_weights(d.weights * 2)
        est, base = doubled.mean("api00"), d.mean("api00")
        assert est.estimate.iloc[0] == pytest.approx(base.estimate.iloc[0], rel=1e-12)
        assert doubled.total("enroll").estimate.iloc[0] == pytest.approx(
            2 * np.ravel(REF["clus1_total"]["estimate"])[0], rel=1e-12)
