"""Change between waves and trend tables (issue 5).

Reference numbers: tests/reference/satisfaction_svymean.json (committed R
script tests/reference/satisfaction_svymean.R: svymean on each wave's design,
difference with sqrt(SE1^2 + SE2^2)).
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from survey.design.design import Design
from survey.errors import DesignError, OptionError
from survey.measures.tables.parkuse import park_use_times
from survey.measures.satisfaction.index import satisfaction_index
from survey.measures.indicators.waves import compare_waves, trend_table, wave_estimates
from survey.report.verdicts import verdict_text

from helpers import close

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "reference" / "satisfaction_svymean.json").read_text(encoding="utf-8"))
DATA = pd.read_csv(HERE / "data" / "satisfaction_test.csv")


@pytest.fixture(scope="module")
def designs():
    return {f"FY{y}": Design(DATA[DATA["wave"] == y].reset_index(drop=True), weights="wt", strata="stratum")
            for y in (2025, 2030)}


def test_compare_waves_matches_r(designs):
    est = wave_estimates(designs, satisfaction_index, "satisfaction")
    cmp = compare_waves(est["FY2025"], est["FY2030"], labels=("FY2025", "FY2030"))
    # long: one row per wave of the figures, one row per change
    e = cmp.estimates.set_index("wave")
    assert list(e.index) == ["FY2025", "FY2030"] and (e["variable"] == "satisfaction").all()
    close(e.loc["FY2025", "estimate"], REF["index"]["estimate"])
    close(e.loc["FY2025", "se"], REF["index"]["se"])
    close(e.loc["FY2030", "estimate"], REF["index30"]["estimate"])
    c = cmp.changes.iloc[0]
    assert len(cmp.changes) == 1 and (c["wave"], c["reference_wave"]) == ("FY2030", "FY2025")
    r = REF["wave_change"]["index"]
    close(c["estimate"], r["estimate"])
    close(c["se"], r["se"])
    close(c["p"], 2 * stats.norm.sf(r["estimate"] / r["se"]))      # z test, hand from R's numbers
    close([c["ci_low"], c["ci_high"]], r["estimate"] + np.array([-1, 1]) * 1.959963984540054 * r["se"])
    assert c["verdict"] == "no_change"
    assert cmp.to_frame() is cmp.changes and cmp.level == 0.95
    assert "verdict_en" not in c and verdict_text(c["verdict"], group=c["wave"], reference=c["reference_wave"],
                                                  lang="en") == "No clear change from FY2025 to FY2030"


def test_compare_waves_park_use(designs):
    est = wave_estimates(designs, park_use_times, "park_use")
    c = compare_waves(est["FY2025"], est["FY2030"]).changes.iloc[0]
    assert (c["wave"], c["reference_wave"], c["variable"]) == ("later", "earlier", "park_use")
    close(c["estimate"], REF["wave_change"]["park"]["estimate"])
    close(c["se"], REF["wave_change"]["park"]["se"])


def test_compare_waves_by_district_is_the_trend_table(designs):
    """The same changes as trend_table's later wave, by district, in the same row order."""
    est = wave_estimates(designs, satisfaction_index, "satisfaction", by="district")
    cmp = compare_waves(est["FY2025"], est["FY2030"], labels=("FY2025", "FY2030"))
    t = trend_table(est)
    later = t[t["wave"] == "FY2030"].reset_index(drop=True)
    assert list(cmp.changes["district"]) == list(later["district"]) == [1, 2, 3, 4, 5]
    close(cmp.changes["estimate"], later["change"])
    close(cmp.changes["se"], later["change_se"])
    assert list(cmp.changes["verdict"]) == list(later["verdict"])
    # the estimates: both waves' blocks, as the trend table's
    close(cmp.estimates["estimate"], t["estimate"])
    close(cmp.estimates["se"], REF["index_by_district"]["se"] + REF["index30_by_district"]["se"])
    assert list(cmp.estimates["wave"]) == ["FY2025"] * 5 + ["FY2030"] * 5


def test_trend_table_by_district(designs):
    est = wave_estimates(designs, satisfaction_index, "satisfaction", by="district")
    t = trend_table(est)
    assert len(t) == 10 and list(t["wave"].unique()) == ["FY2025", "FY2030"]
    later = t[t["wave"] == "FY2030"]
    close(later["estimate"], REF["index30_by_district"]["estimate"])
    se = np.sqrt(np.array(REF["index_by_district"]["se"]) ** 2 + np.array(REF["index30_by_district"]["se"]) ** 2)
    close(later["change_se"], se)
    close(later["change"], np.array(REF["index30_by_district"]["estimate"]) - REF["index_by_district"]["estimate"])
    assert t[t["wave"] == "FY2025"]["change"].isna().all()
    assert (later["reference_wave"] == "FY2025").all()
    # 内間木: 0.110 -> 0.531, z = 0.420 / 0.136 = 3.09
    assert later["verdict"].iloc[0] == "increase"


def test_trend_table_three_waves_previous_reference(designs):
    est = wave_estimates(designs, satisfaction_index, "satisfaction")
    three = {"W1": est["FY2025"], "W2": est["FY2030"], "W3": est["FY2025"]}
    prev = trend_table(three, reference="previous")
    first = trend_table(three)
    assert list(prev["reference_wave"].iloc[1:]) == ["W1", "W2"]
    close(prev["change"].iloc[2], -REF["wave_change"]["index"]["estimate"])
    close(first["change"].iloc[2], 0.0)


def test_wave_errors(designs):
    est = wave_estimates(designs, satisfaction_index, "satisfaction")
    by = satisfaction_index(designs["FY2030"], "satisfaction", by="district")
    with pytest.raises(DesignError, match="no estimate in common"):
        compare_waves(est["FY2025"], by)
    with pytest.raises(OptionError, match="level"):
        compare_waves(est["FY2025"], est["FY2030"], level=95)
    with pytest.raises(DesignError, match="reference must be"):
        trend_table(est, reference="last")
    with pytest.raises(DesignError, match="non-empty mapping"):
        wave_estimates([], satisfaction_index, "satisfaction")
    with pytest.raises(DesignError, match="expected an Estimate"):
        trend_table({"a": 0.3})
