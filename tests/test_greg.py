"""Calibration against R: variance= (heteroscedastic GREG), per-row bounds,
bounds.const, and two-way margins in rake() and calibrate().

Every reference number comes from tests/reference/design_calibration.R ->
design_calibration.json (R survey 4.1.1) on the CSV copy of R's `apiclus1`; the
school type x sch.wide population table is R's xtabs(~stype + sch.wide, apipop),
written to the JSON by the script.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design import Design
from survey.errors import DesignError

import helpers
from helpers import close_at

HERE = Path(__file__).parent
DATA = HERE / "data"
REF = json.loads((HERE / "reference" / "design_calibration.json").read_text())
TOTALS = {"(Intercept)": 6194.0, ("stype", "H"): 755.0, ("stype", "M"): 1018.0,
          "api99": 3914069.0}


close = close_at(1e-8, atol=0)


@pytest.fixture(scope="module")
def dclus1():
    return helpers.dclus1()


@pytest.fixture(scope="module")
def margins():
    t = REF["pop_table"]
    two_way = pd.Series(t["Freq"], index=pd.MultiIndex.from_arrays([t["stype"], t["sch.wide"]],
                                                                     names=["stype", "sch.wide"]),
                        dtype=float)
    imp = pd.Series(REF["pop_imp"], index=["No", "Yes"], dtype=float)
    return {("stype", "sch.wide"): two_way, "comp.imp": imp}


def check(d, ref, rtol=1e-8):
    close(d.weights, ref["weights"], rtol)
    if "replicate_weights" in ref:
        close(d.replicate_weights, ref["replicate_weights"], rtol)
    m, t = d.mean("api00"), d.total("enroll")
    close(m.estimate, ref["mean"], rtol)
    close(m.se, ref["mean_se"], rtol)
    close(t.estimate, ref["total"], rtol)
    close(t.se, ref["total_se"], rtol)


# ------------------------------------------------------------------ variance=
class TestVariance:
    def test_ratio_estimator(self, dclus1):
        # calibrating to the api99 total with variance proportional to api99 is the
        # ratio estimator: same total of api00 and SE as svyratio * X
        d = dclus1.calibrate({"api99": 3914069.0}, variance="api99")
        check(d, REF["ratio"])
        tot = d.total("api00")
        close(tot.estimate, REF["ratio"]["svyratio_total"], 1e-10)
        close(tot.se, REF["ratio"]["svyratio_total_se"], 1e-8)

    def test_linear_per_row_and_coefficients(self, dclus1):
        check(dclus1.calibrate(TOTALS, variance=dclus1.data["enroll"].to_numpy()),
              REF["linear_var_rows"])
        # one coefficient per calibration variable: sigma2 = 100 + api99
        check(dclus1.calibrate(TOTALS, variance=[100.0, 0.0, 0.0, 1.0]), REF["linear_var_coef"])

    def test_raking_with_variance(self, dclus1):
        enroll = dclus1.data["enroll"].to_numpy()
        check(dclus1.calibrate(TOTALS, method="raking", variance=enroll / enroll.mean()),
              REF["raking_var"])

    def test_replicate_design(self, dclus1):
        rep = dclus1.replicate("jk1").calibrate(TOTALS, variance="enroll")
        check(rep, REF["jk1_linear_var"])
        # replayed from the linearised design too
        check(dclus1.calibrate(TOTALS, variance="enroll").replicate("jk1"), REF["jk1_linear_var"])

    def test_errors(self, dclus1):
        with pytest.raises(DesignError, match=r"variance has 3 values; give one per row \(183\), "
                                              r"one per calibration variable \(4\)"):
            dclus1.calibrate(TOTALS, variance=[1.0, 2.0, 3.0])
        with pytest.raises(DesignError, match="variance must be positive and finite for every "
                                              "row; row 1 has 0"):
            dclus1.calibrate(TOTALS, variance=np.r_[0.0, np.ones(182)])
        with pytest.raises(DesignError, match=r"column\(s\) \['nope'\] not in the data"):
            dclus1.calibrate(TOTALS, variance="nope")


# --------------------------------------------------------------------- bounds
class TestBounds:
    @pytest.mark.parametrize("method,key", [("linear", "linear_rows"), ("logit", "logit_rows"),
                                            ("raking", "raking_rows")])
    def test_per_row_bounds(self, dclus1, method, key):
        lo, hi = REF["bounds_rows"]["lower"], REF["bounds_rows"]["upper"]
        d = dclus1.calibrate(TOTALS, method=method, bounds=(np.array(lo), np.array(hi)))
        check(d, REF[key])
        g = d.weights.to_numpy() / dclus1.weights.to_numpy()
        assert np.all(g >= np.array(lo) - 1e-12) and np.all(g <= np.array(hi) + 1e-12)

    def test_bounds_as_columns_and_dict(self, dclus1):
        data = dclus1.data.assign(lo=REF["bounds_rows"]["lower"], hi=REF["bounds_rows"]["upper"])
        d = Design(data, ids="dnum", weights="pw", fpc="fpc")
        check(d.calibrate(TOTALS, bounds=("lo", "hi")), REF["linear_rows"])
        check(d.calibrate(TOTALS, bounds={"lower": "lo", "upper": "hi"}), REF["linear_rows"])

    def test_bounds_on_the_weights(self, dclus1):
        d = dclus1.calibrate(TOTALS, bounds=(12, 55), bounds_const=True)
        check(d, REF["linear_const"])
        assert d.weights.max() == pytest.approx(55.0) and d.weights.min() >= 12.0

    def test_bad_bounds_are_explained(self, dclus1):
        with pytest.raises(DesignError, match=r"the lower bound has 3 values; give one number "
                                              r"for every row, or one per row of the data \(183\)"):
            dclus1.calibrate(TOTALS, bounds=([0.5, 0.5, 0.5], 2.0))
        with pytest.raises(DesignError, match=r"bounds must be a pair \(lower, upper\)"):
            dclus1.calibrate(TOTALS, bounds=(0.5, 1.0, 2.0))
        with pytest.raises(DesignError, match=r"the upper bound is missing \(NaN\) in 1 row\(s\) "
                                              r"\(first: row 2\)"):
            dclus1.calibrate(TOTALS, bounds=(0.5, np.r_[2.0, np.nan, np.full(181, 2.0)]))
        with pytest.raises(DesignError, match=r"the lower bound exceeds the upper bound in 1 "
                                              r"row\(s\) \(first: row 1, 3 > 2\)"):
            dclus1.calibrate(TOTALS, bounds=(np.r_[3.0, np.full(182, 0.5)], 2.0))
        with pytest.raises(DesignError, match=r"lower < 1 < upper \(for every row\)"):
            dclus1.calibrate(TOTALS, method="logit", bounds=(np.full(183, 1.1), 2.0))
        with pytest.raises(DesignError, match="the lower bound must be a number, a column name "
                                              "or one number per row"):
            dclus1.calibrate(TOTALS, bounds=({"a": 1}, 2.0))


# ------------------------------------------------------------- two-way margins
class TestTwoWayMargins:
    def test_rake(self, dclus1, margins):
        raked = dclus1.rake(margins)
        # weights: R's rake() iterated to convergence; SEs: the exact projection
        # (calibrate(calfun="raking")), which R's back-fitting rake() approaches (4e-7 here)
        close(raked.weights, REF["rake_two_way"]["weights"], 1e-8)
        check(raked, REF["calibrate_two_way"], 1e-8)
        close(raked.mean("api00").se, REF["rake_two_way"]["mean_se"], 1e-6)

    def test_calibrate(self, dclus1, margins):
        check(dclus1.calibrate(margins, method="raking"), REF["calibrate_two_way"])
        check(dclus1.calibrate(margins), REF["calibrate_two_way_linear"])

    def test_one_table_is_poststratification(self, dclus1, margins):
        table = margins[("stype", "sch.wide")]
        check(dclus1.rake({("stype", "sch.wide"): table}), REF["rake_one_table"])
        # an R-style data frame with the columns and Freq works too
        frame = table.rename("Freq").reset_index()
        check(dclus1.rake({("stype", "sch.wide"): frame}), REF["rake_one_table"])

    def test_replicate_design(self, dclus1, margins):
        check(dclus1.replicate("jk1").rake(margins), REF["jk1_rake_two_way"])

    def test_errors(self, dclus1, margins):
        table = margins[("stype", "sch.wide")]
        with pytest.raises(DesignError, match=r"combinations \[\('H', 'No'\)\] of \['stype', "
                                              r"'sch.wide'\] that are not in the population table"):
            dclus1.rake({("stype", "sch.wide"): table.drop(("H", "No"))})
        with pytest.raises(DesignError, match="needs a 2-level MultiIndex"):
            dclus1.rake({("stype", "sch.wide"): pd.Series([6194.0], index=["E"])})
        dup = pd.concat([table, table.iloc[:1]])
        with pytest.raises(DesignError, match=r"cells \[\('E', 'No'\)\] are listed twice"):
            dclus1.rake({("stype", "sch.wide"): dup})
