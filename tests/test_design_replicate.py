"""Replicate-weight designs against R survey (as.svrepdesign, svrepdesign).

Reference numbers: tests/reference/design_api.R -> design_api.json; the
BRR replication factors R built for the paired apistrat design are in
design_brr_factors.csv.  The bootstrap cannot reproduce R's random
numbers, so it is checked against the linearised standard error.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design import Design, ReplicateDesign
from survey.errors import DesignError

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "design_api.json").read_text())
STRAT = pd.read_csv(HERE / "data" / "apistrat.csv")
CLUS1 = pd.read_csv(HERE / "data" / "apiclus1.csv")
RTOL = 1e-6

POP_TYPES = pd.Series({"E": 4421, "H": 755, "M": 1018})
POP_SCHWIDE = pd.Series({"No": 1072, "Yes": 5122})
MARGINS = {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}
TOTALS = {"(Intercept)": 6194, ("stype", "H"): 755, ("stype", "M"): 1018, "api99": 3914069}


def dclus1():
    return Design(CLUS1, weights="pw", ids="dnum", fpc="fpc")


def dstrat():
    return Design(STRAT, weights="pw", strata="stype", fpc="fpc")


def paired():
    """apistrat sorted by (stype, snum), consecutive schools paired into 100
    pseudo-strata of 2 PSUs (the same construction as design_api.R)."""
    ap = STRAT.sort_values(["stype", "snum"]).reset_index(drop=True)
    ap["pair"] = ap["stype"] + " " + ((ap.groupby("stype").cumcount() + 2) // 2).astype(str)
    assert list(ap["snum"]) == REF["brr_snum"]
    return ap


def assert_stat(est, key, columns=("estimate", "se")):
    ref = REF[key]
    for col in columns:
        np.testing.assert_allclose(est.to_frame()[col], np.asarray(ref[col], float).ravel(),
                                   rtol=RTOL, err_msg=f"{key}: {col}")
    if "vcov" in ref:
        np.testing.assert_allclose(est.vcov.to_numpy(),
                                   np.asarray(ref["vcov"], float).reshape(len(est), len(est)),
                                   rtol=RTOL, err_msg=f"{key}: vcov")


class ReplicateMixin:
    """Shared checks for a replicate design built from a linearised one."""

    method: str
    n_replicates: int

    def make(self):  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def design(cls):
        return cls().make()

    def test_flags_and_shapes(self, design):
        assert design.is_replicate
        assert design.method == self.method
        assert design.replicate_weights.shape == (design.n, self.n_replicates)

    def test_score_vcov_refuses(self, design):
        with pytest.raises(DesignError, match="refit the statistic"):
            design.score_vcov(np.ones((design.n, 1)))

    def test_replicate_vcov_formula(self, design):
        rng = np.random.default_rng(1)
        reps = rng.normal(size=(design.n_replicates, 2))
        theta = np.array([0.1, -0.2])
        centre = reps[design.rscales > 0].mean(axis=0)
        want = design.scale * ((reps - centre) * design.rscales[:, None]).T @ (reps - centre)
        np.testing.assert_allclose(design.replicate_vcov(reps, theta), want, rtol=1e-12)

    def test_mean_equals_refit_by_hand(self, design):
        """Estimate.replicates are the statistic under each replicate's weights."""
        est = design.mean("api00")
        W = design.replicate_weights
        y = design.data["api00"].to_numpy()
        np.testing.assert_allclose(est.replicates.to_numpy()[:, 0], (W.T @ y) / W.sum(axis=0),
                                   rtol=1e-12)
        np.testing.assert_allclose(est.vcov.to_numpy(),
                                   design.replicate_vcov(est.replicates.to_numpy(), est.estimate),
                                   rtol=1e-12)


class TestJK1(ReplicateMixin):
    """as.svrepdesign(dclus1, type="JK1") (fpc used: scale (n-1)/n * (1-f))."""

    method = "jk1"
    n_replicates = 15

    def make(self):
        return dclus1().replicate("jk1")

    def test_mean_total(self, design):
        assert_stat(design.mean(["api00", "enroll"]), "jk1_mean", ("estimate", "se", "deff"))
        assert_stat(design.total("enroll"), "jk1_total")

    def test_scale_degf(self, design):
        assert design.scale == pytest.approx(REF["jk1_scale"], rel=1e-12)
        assert design.degf == REF["jk1_degf"]

    def test_by_ratio_quantile(self, design):
        assert_stat(design.mean("api00", by="stype"), "jk1_by")
        assert_stat(design.ratio("api00", "api99"), "jk1_ratio")
        assert_stat(design.quantile("api00", 0.5), "jk1_quantile",
                    ("estimate", "se", "ci_low", "ci_high"))

    def test_ciprop(self, design):
        """svyciprop on a replicate design: the logit-scale SE is the
        replicate SE of logit(p_r) (R's replicate svyglm)."""
        row = design.proportion("sch.wide").to_frame().loc["Yes"]
        ref = REF["jk1_ciprop"]
        assert row.estimate == pytest.approx(ref["estimate"], rel=RTOL)
        np.testing.assert_allclose([row.ci_low, row.ci_high], ref["ci"], rtol=RTOL)

    def test_mse(self):
        assert_stat(dclus1().replicate("jk1", mse=True).mean("api00"), "jk1_mse_mean")

    def test_without_fpc(self):
        d = Design(CLUS1, weights="pw", ids="dnum").replicate("jk1")
        assert_stat(d.mean("api00"), "jk1_nofpc_mean")

    def test_subset(self, design):
        assert_stat(design.subset(CLUS1["sch.wide"] == "Yes").mean("api00"), "jk1_subset_mean")


class TestJK1Weighting:
    """rake / postStratify / calibrate applied to every JK1 replicate."""

    def test_rake(self):
        assert_stat(dclus1().replicate("jk1").rake(MARGINS).mean("api00"), "jk1_rake_mean")

    def test_rake_replayed_from_linearised_design(self):
        """Design.rake(...).replicate("jk1") rakes each replicate too."""
        assert_stat(dclus1().rake(MARGINS).replicate("jk1").mean("api00"), "jk1_rake_mean")

    def test_poststratify(self):
        assert_stat(dclus1().replicate("jk1").poststratify("stype", POP_TYPES).mean("api00"),
                    "jk1_ps_mean")

    def test_calibrate(self):
        assert_stat(dclus1().replicate("jk1").calibrate(TOTALS).mean("api00"), "jk1_cal_mean")

    def test_raked_replicates_meet_margins(self):
        W = dclus1().replicate("jk1").rake(MARGINS).replicate_weights
        by_type = pd.DataFrame(W).groupby(CLUS1["stype"].to_numpy()).sum()
        np.testing.assert_allclose(by_type.to_numpy(),
                                   np.repeat(POP_TYPES.to_numpy()[:, None], W.shape[1], 1),
                                   rtol=1e-10)


class TestJKn(ReplicateMixin):
    """as.svrepdesign(dstrat, type="JKn"): rscales (n_h-1)/n_h * (1-f_h)."""

    method = "jkn"
    n_replicates = 200

    def make(self):
        return dstrat().replicate("jkn")

    def test_values(self, design):
        assert_stat(design.mean("api00"), "jkn_mean")
        assert_stat(design.total("enroll"), "jkn_total")
        assert design.degf == REF["jkn_degf"]

    def test_jk1_refuses_strata(self):
        with pytest.raises(DesignError, match="use 'jkn'"):
            dstrat().replicate("jk1")


class TestBRR(ReplicateMixin):
    """as.svrepdesign(dpair, type="BRR") on 100 pseudo-strata (order-104
    Paley Hadamard matrix, the same R uses)."""

    method = "brr"
    n_replicates = 104

    def make(self):
        return Design(paired(), weights="pw", strata="pair", ids="snum").replicate("brr")

    def test_values(self, design):
        assert_stat(design.total("enroll"), "brr_total")
        assert_stat(design.mean("api00"), "brr_mean")
        assert design.scale == pytest.approx(REF["brr_scale"], rel=1e-12)

    def test_total_equals_linearised(self, design):
        """Full orthogonal balance: BRR variance of a total is the
        with-replacement linearised variance exactly."""
        lin = Design(paired(), weights="pw", strata="pair", ids="snum").total("enroll")
        assert_stat(lin, "brr_lin_total")
        assert design.total("enroll").se.iloc[0] == pytest.approx(lin.se.iloc[0], rel=1e-10)

    def test_r_factors_through_svrepdesign(self):
        """svrepdesign(repweights=<R's factors>, type="BRR", combined.weights=FALSE)."""
        factors = pd.read_csv(HERE / "reference" / "design_brr_factors.csv").to_numpy()
        d = ReplicateDesign(paired(), weights="pw", replicate_weights=factors, method="brr",
                            combined=False)
        assert_stat(d.mean("api00"), "brr_mean")
        assert_stat(d.total("enroll"), "brr_total")

    def test_large_strata_split_fpc_dropped(self):
        """Strata of 100/50/50 schools are split into pairs (R large="split") and
        the fpc is dropped, as R does: SE 9.89970091862189 from
        tests/reference/parity_brr.R (apistrat_split_mean)."""
        assert dstrat().replicate("brr").mean("api00").se.iloc[0] == pytest.approx(
            9.89970091862189, rel=1e-10)


class TestFay(ReplicateMixin):
    """as.svrepdesign(dpair, type="Fay", fay.rho=0.3)."""

    method = "fay"
    n_replicates = 104

    def make(self):
        return Design(paired(), weights="pw", strata="pair", ids="snum").replicate(
            "fay", fay_rho=0.3)

    def test_values(self, design):
        assert_stat(design.total("enroll"), "fay_total")
        assert_stat(design.mean("api00"), "fay_mean")
        assert design.scale == pytest.approx(REF["fay_scale"], rel=1e-12)


class TestBootstrap(ReplicateMixin):
    """Rao-Wu rescaling bootstrap: R's random numbers cannot be matched, so
    the SE is compared with the linearised one (2000 replicates: Monte
    Carlo error about 1/sqrt(2 * 2000) = 1.6%; tolerance 6%)."""

    method = "bootstrap"
    n_replicates = 2000

    def make(self):
        return Design(CLUS1, weights="pw", ids="dnum").replicate(
            "bootstrap", replicates=2000, seed=20240607)

    def test_se_close_to_linearised(self, design):
        lin = Design(CLUS1, weights="pw", ids="dnum").mean(["api00", "enroll"]).se
        np.testing.assert_allclose(design.mean(["api00", "enroll"]).se, lin, rtol=0.06)

    def test_stratified_with_fpc(self):
        boot = dstrat().replicate("bootstrap", replicates=2000, seed=7)
        np.testing.assert_allclose(boot.mean("api00").se, dstrat().mean("api00").se, rtol=0.06)

    def test_seed_reproducible(self, design):
        again = Design(CLUS1, weights="pw", ids="dnum").replicate(
            "bootstrap", replicates=2000, seed=20240607)
        np.testing.assert_array_equal(again.replicate_weights, design.replicate_weights)


class TestReplicateDesignInput:
    def test_scale_required_for_other(self):
        with pytest.raises(DesignError, match="needs scale="):
            ReplicateDesign(CLUS1, weights="pw", replicate_weights=np.ones((len(CLUS1), 3)))

    def test_shape_checked(self):
        with pytest.raises(DesignError, match=r"\(n=183, R>=2\)"):
            ReplicateDesign(CLUS1, weights="pw", replicate_weights=np.ones((10, 3)), method="jk1")

    def test_nan_replicates_dropped_with_warning(self):
        d = dclus1().replicate("jk1")
        reps = np.arange(15.0)[:, None]
        reps[3] = np.nan
        with pytest.warns(RuntimeWarning, match="1 replicates gave NaN"):
            v = d.replicate_vcov(reps, np.array([7.0]))
        kept = np.delete(np.arange(15.0), 3)
        assert v[0, 0] == pytest.approx(d.scale * ((kept - kept.mean()) ** 2).sum())

    def test_lonely_strata_in_jkn(self):
        al = STRAT.copy()
        al["strat2"] = al["stype"]
        al.loc[[0], "strat2"] = "Z"
        with pytest.raises(DesignError, match="have one PSU"):
            Design(al, weights="pw", strata="strat2").replicate("jkn")
        ok = Design(al, weights="pw", strata="strat2", lonely_psu="remove").replicate("jkn")
        assert ok.n_replicates == 199
