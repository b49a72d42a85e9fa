"""BRR and Fay replicates equal R's ``as.svrepdesign(type="BRR"/"Fay")`` (issue 18 item 2).

Reference numbers: tests/reference/parity_brr.R -> parity_brr.json (R 4.2.2,
survey 4.1.1) on R's own nhanes and apistrat data (copies in tests/data), and
the factors R built for the paired apistrat design in design_brr_factors.csv
(tests/reference/design_api.R).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey import glm
from survey.design import Design
from survey.design.hadamard import hadamard
from survey.errors import DesignError

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "parity_brr.json").read_text())
NHANES = pd.read_csv(HERE / "data" / "nhanes.csv.gz")
STRAT = pd.read_csv(HERE / "data" / "apistrat.csv")
RTOL = 1e-10


def nhanes_design():
    return Design(NHANES, weights="WTMEC2YR", strata="SDMVSTRA", ids="SDMVPSU", nest=True)


def paired() -> pd.DataFrame:
    """apistrat paired into pseudo-strata as in design_api.R / parity_brr.R."""
    ap = STRAT.sort_values(["stype", "snum"]).reset_index(drop=True)
    ap["pair"] = ap["stype"] + " " + ((ap.groupby("stype").cumcount() + 2) // 2).astype(str)
    return ap


def check(est, ref, rtol=RTOL):
    np.testing.assert_allclose(est.estimate.to_numpy(), np.ravel(ref["estimate"]), rtol=rtol)
    np.testing.assert_allclose(est.se.to_numpy(), np.ravel(ref["se"]), rtol=rtol)


def test_hadamard_is_r_survey_hadamard():
    """Order and checksum sum_ij H_ij ((31 i + 17 j) mod 1009) of hadamard(n), n = 0..400."""
    for n, order, checksum in REF["hadamard"]:
        H = hadamard(n)
        i = np.arange(1, H.shape[0] + 1)[:, None]
        j = np.arange(1, H.shape[1] + 1)[None, :]
        assert H.shape == (order, order), n
        assert int((H * ((31 * i + 17 * j) % 1009)).sum()) == checksum, n


def test_hadamard_rows_orthogonal():
    for n in (3, 11, 22, 26, 34, 47, 100, 250):
        S = 2 * hadamard(n).astype(int) - 1
        assert (S @ S.T == S.shape[0] * np.eye(S.shape[0])).all()
        assert S.shape[0] >= n + 1


class TestNhanes:
    """15 strata (stratum 86 has 3 PSUs: large='merge'), R's stored order-16 matrix."""

    @pytest.fixture(scope="class")
    @classmethod
    def brr(cls):
        return nhanes_design().replicate("brr", large="merge")

    def test_factors_per_psu(self, brr):
        w = NHANES["WTMEC2YR"].to_numpy()
        F = brr.replicate_weights / w[:, None]
        keys = NHANES["SDMVSTRA"].astype(str) + " " + NHANES["SDMVPSU"].astype(str)
        first = keys.drop_duplicates()
        pos = pd.Series(first.index, index=first.to_numpy())
        rows = pos.loc[REF["nhanes_brr_keys"]].to_numpy()
        np.testing.assert_array_equal(F[rows], np.asarray(REF["nhanes_brr_factors"]))
        assert brr.n_replicates == 16 and brr.scale == 1 / 16

    def test_means_and_totals(self, brr):
        check(brr.mean("HI_CHOL"), REF["nhanes_brr_mean"])
        check(brr.total("HI_CHOL"), REF["nhanes_brr_total"])
        check(brr.mean("agecat"), REF["nhanes_brr_agecat"])
        assert brr.mean("HI_CHOL").se.iloc[0] == pytest.approx(0.00531318465750334, rel=1e-12)

    def test_glm(self, brr):
        fit = glm(brr, "HI_CHOL ~ C(race) + agecat + RIAGENDR", family="quasibinomial")
        ref = REF["nhanes_brr_glm"]
        # R stops each replicate's IRLS at a relative deviance change of 1e-8
        # (glm.control), so replicate coefficients agree to about 1e-7
        np.testing.assert_allclose(fit.params.to_numpy(), ref["estimate"], rtol=1e-8)
        np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), ref["se"], rtol=1e-6)

    def test_fay(self):
        fay = nhanes_design().replicate("fay", fay_rho=0.3, large="merge")
        assert fay.scale == pytest.approx(REF["nhanes_fay_scale"], rel=1e-15)
        check(fay.mean("HI_CHOL"), REF["nhanes_fay_mean"])
        check(fay.mean("agecat"), REF["nhanes_fay_agecat"])

    def test_odd_stratum_needs_merge(self):
        with pytest.raises(DesignError, match=r"strata \['86'\] have an odd number of PSUs.*"
                                              r"large='merge'"):
            nhanes_design().replicate("brr")


def test_large_strata_split_into_pairs():
    """Schools as PSUs in strata of 100, 50 and 50: 100 pseudo-strata, 104 replicates."""
    d = Design(STRAT, weights="pw", strata="stype").replicate("brr")
    assert d.n_replicates == REF["apistrat_split_replicates"] == 104
    check(d.mean(["api00", "enroll"]), REF["apistrat_split_mean"])


@pytest.mark.parametrize("case", REF["paired_subsets"], ids=lambda c: f"K{c['K']}")
def test_matrix_orders(case):
    """K pseudo-strata: Paley 12 (K=10), doubled Paley 24 (22), stored 28 (26) and 36 (34)."""
    ap = paired()
    pairs = sorted(ap["pair"].unique())[: case["K"]]
    sub = ap[ap["pair"].isin(pairs)]
    assert list(sub["snum"]) == case["snum"]
    d = Design(sub, weights="pw", strata="pair", ids="snum").replicate("brr")
    assert d.n_replicates == case["replicates"]
    check(d.mean(["api00", "enroll"]), case)


def test_paired_factors_equal_rs():
    """design_brr_factors.csv: R's replication factors for the 100-pair design."""
    ap = paired()
    d = Design(ap, weights="pw", strata="pair", ids="snum").replicate("brr")
    factors = pd.read_csv(HERE / "reference" / "design_brr_factors.csv").to_numpy()
    np.testing.assert_array_equal(d.replicate_weights / ap["pw"].to_numpy()[:, None], factors)


def test_lonely_stratum_refused():
    data = STRAT.assign(s=np.where(np.arange(len(STRAT)) == 0, "Z", STRAT["stype"]))
    with pytest.raises(DesignError, match=r"at least 2 PSUs in every stratum; strata \['Z'\] have one"):
        Design(data, weights="pw", strata="s").replicate("fay", fay_rho=0.5)


def test_large_must_be_split_or_merge():
    with pytest.raises(DesignError, match="large must be 'split' or 'merge'; got 'pair'"):
        nhanes_design().replicate("brr", large="pair")
