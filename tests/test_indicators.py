"""The plan's indicator table and park use (issue 5).

Reference numbers: tests/reference/satisfaction_svymean.json (committed R
script tests/reference/satisfaction_svymean.R, R survey 4.1.1) and hand
calculations from data/midori_admin.csv (in comments).
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design.design import Design
from survey.errors import InputError
from survey.measures.indicators.headline import (
    INDICATOR_COLUMNS,
    admin_indicators,
    indicator_table,
    target_verdict,
)
from survey.intake.sidetables import read_admin
from survey.measures.tables.parkuse import park_nonuse, park_use_table, park_use_times
from survey.report.verdicts import verdict_text

from helpers import close

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ADMIN = ROOT / "data" / "midori_admin.csv"
REF = json.loads((HERE / "reference" / "satisfaction_svymean.json").read_text(encoding="utf-8"))
DATA = pd.read_csv(HERE / "data" / "satisfaction_test.csv")


def design(year):
    return Design(DATA[DATA["wave"] == year].reset_index(drop=True), weights="wt", strata="stratum")


@pytest.fixture(scope="module")
def d25():
    return design(2025)


@pytest.fixture(scope="module")
def d30():
    return design(2030)


# ------------------------------------------------------------------ park use
def test_park_use_times_matches_r(d25, questionnaire):
    f = park_use_times(d25, "park_use", questionnaire=questionnaire).to_frame()
    r = REF["park_times"]
    close(f["estimate"], r["estimate"])
    close(f["se"], r["se"])
    close(f["deff"], r["deff"])
    close([f["ci_low"].iloc[0], f["ci_high"].iloc[0]], [r["ci_low_normal"], r["ci_high_normal"]])
    assert f["n"].iloc[0] == REF["counts"]["park25"] == 475
    by = park_use_times(d25, "park_use", by="district")          # default map = the questionnaire's
    close(by.estimate, REF["park_times_by_district"]["estimate"])
    close(by.se, REF["park_times_by_district"]["se"])


def test_park_nonuse_matches_r_svyciprop(d25, questionnaire):
    est = park_nonuse(d25, "park_use", questionnaire=questionnaire, by="district")
    r = REF["park_never_by_district"]
    close(est.estimate, r["estimate"])
    close(est.se, r["se"])
    close(est.deff, r["deff"])
    assert list(est.n) == r["n"]
    ci = est.conf_int(0.95).iloc[0]                  # 内間木: logit interval, t with 28 df
    c = REF["ciprop"]["never_d1"]
    close([ci["ci_low"], ci["ci_high"]], [c["ci_low"], c["ci_high"]], rtol=1e-8)
    assert est.df.iloc[0] == c["df"] == 28
    overall = park_nonuse(d25, "park_use", never_code=6).to_frame()
    close(overall["estimate"], REF["park_never"]["estimate"])


def test_park_use_table_flags_districts_against_the_city(d25, questionnaire):
    t = park_use_table(d25, "park_use", by="district", questionnaire=questionnaire)
    # the long layout: each group's times and never rows, the city last
    assert list(t.columns) == ["district", "measure", "estimate", "se", "ci_low", "ci_high", "deff", "n",
                               "diff", "diff_se", "p", "p_adjusted", "verdict"]
    # codes, not names: the whole city is the whole-sample row 全体 (survey.labels.TOTAL_LABEL), as in
    # crosstab_question; the report names them (内間木 ..., 市全体)
    assert list(t["district"]) == [g for g in [1, 2, 3, 4, 5, "全体"] for _ in range(2)]
    assert list(t["measure"]) == ["times", "never"] * 6
    times, never = (t[t["measure"] == m].reset_index(drop=True) for m in ("times", "never"))
    r = REF["never_vs_city"]
    close(never["diff"][:5], r["estimate"])
    close(never["diff_se"][:5], r["se"])
    close(never["p"][:5], r["p_t"], rtol=1e-7)
    close(never["p_adjusted"][:5], r["p_t_holm"], rtol=1e-7)
    close(never["estimate"].iloc[5], REF["park_never"]["estimate"])
    close(times["estimate"][:5], REF["park_times_by_district"]["estimate"])
    # the fixed columns are the estimators' own: park_use_times and park_nonuse by district
    by = park_use_times(d25, "park_use", questionnaire=questionnaire, by="district").to_frame()
    close(times[["se", "deff", "n"]][:5].to_numpy(dtype=float), by[["se", "deff", "n"]].to_numpy(dtype=float),
          rtol=1e-12)
    nonuse = park_nonuse(d25, "park_use", questionnaire=questionnaire, by="district").to_frame()
    close(never[["estimate", "se", "deff", "n"]][:5].to_numpy(dtype=float),
          nonuse[["estimate", "se", "deff", "n"]].to_numpy(dtype=float), rtol=1e-12)
    # 内間木: 39 % never use parks against 15 % city-wide, but n = 29 and Holm p = 0.073
    assert never["verdict"].iloc[0] == "no_difference"
    loose = park_use_table(d25, "park_use", by="district", questionnaire=questionnaire, adjust="none")
    inner = loose[(loose["district"] == 1) & (loose["measure"] == "never")].iloc[0]
    assert inner["verdict"] == "higher"
    # the report words the code (survey.report.verdicts)
    assert verdict_text(inner["verdict"], group="内間木", reference="市全体") == "内間木は市全体より高い（統計的に有意な差）"
    # the city's rows are not tested against themselves
    assert t.loc[t["district"] == "全体", "verdict"].tolist() == ["", ""] and t["diff"].iloc[-2:].isna().all()


def test_park_use_errors(d25):
    with pytest.raises(InputError, match="maps to 0"):
        park_nonuse(d25, "park_use", numeric_map={1: 300, 2: 100})
    with pytest.raises(InputError, match="never_code"):
        park_nonuse(d25, "park_use", never_code=7)
    with pytest.raises(InputError, match="map codes to numbers"):
        park_use_times(d25, "park_use", numeric_map={1: "daily"})


# ------------------------------------------------------------------ admin indicators
def test_admin_indicators_reproduce_the_plan_baselines(questionnaire):
    a = admin_indicators(ADMIN, questionnaire=questionnaire, year="FY2025").set_index("id")["value"]
    # hand (data/midori_admin.csv, FY2025): green_share = 1 × 394.3 ha / 18.34 km² = 21.4995 % (100 ha = 1 km²:
    # the ×100 of a percentage and the ÷100 of ha per km² cancel, hence scale 1);
    # park_area_per_person = 10,000 × 30.66 ha / 143,950 = 306,600 m² / 143,950 = 2.12991 m²/人
    assert a["green_share"] == pytest.approx(21.499454743729554, rel=1e-15)
    assert a["park_area_per_person"] == pytest.approx(2.12990621743661, rel=1e-15)
    # bit for bit what the formulas the code held before the declaration gave (the bundled report's figures)
    assert a["green_share"] == 100 * 394.3 / (100 * 18.34) and a["park_area_per_person"] == 10_000 * 30.66 / 143950
    assert round(a["green_share"], 1) == 21.5 and round(a["park_area_per_person"], 2) == 2.13
    declared = questionnaire.indicators_of("admin")
    assert [(d["baseline"], d["target"], d["decimals"]) for d in declared] == [(21.5, 22.3, 1), (2.13, 3.16, 2)]
    last = admin_indicators(ADMIN, questionnaire=questionnaire)       # default: the last row, FY2030
    assert list(last["fiscal_year"]) == ["FY2030"] * 2
    assert list(last["value"]) == [399.0 / 18.34, 10_000 * 38.5 / 146200]   # 21.7557 %, 2.63338 m²/人


def test_admin_file_errors(tmp_path, questionnaire):
    bad = tmp_path / "admin.csv"
    bad.write_text("fiscal_year,city_area_km2,green_area_ha,park_area_ha,population\nFY2025,18.34,-1,30,140000\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match=r"green_area_ha must be a number, 0 or more \(no blanks, units or thousands "
                                         r"separators\); got '-1'") as exc:
        read_admin(bad, questionnaire=questionnaire)
    assert exc.value.row == 2 and exc.value.column == "green_area_ha"
    bad.write_text("fiscal_year,city_area_km2,green_area_ha,park_area_ha,population\nFY2025,18.34,300,30,\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match=r"population must be a positive number .*; got a blank cell"):   # a blank denominator
        read_admin(bad, questionnaire=questionnaire)
    bad.write_text("fiscal_year,city_area_km2,green_area_ha,population\nFY2025,18.34,394.3,143950\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_admin(bad, questionnaire=questionnaire)
    assert str(exc.value) == (
        f"[file {bad}, column park_area_ha] the admin file has no column 'park_area_ha', the numerator of indicator "
        "park_area_per_person; add the column to the file, or fix numerator: of the indicator in questionnaire midori "
        "(found columns ['fiscal_year', 'city_area_km2', 'green_area_ha', 'population'])")
    bad.write_text("year,city_area_km2,green_area_ha,park_area_ha,population\nFY2025,18.34,394.3,30.66,143950\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match="the admin file has no column 'fiscal_year', which names each row's fiscal "
                                         "year"):
        read_admin(bad, questionnaire=questionnaire)
    with pytest.raises(InputError, match=r"no such admin file; give a UTF-8 CSV with one row per fiscal year and the "
                                         r"columns fiscal_year, green_area_ha, city_area_km2, park_area_ha, population "
                                         r"\(see data/ADMIN.md\)"):
        read_admin(tmp_path / "nope.csv", questionnaire=questionnaire)
    with pytest.raises(InputError, match=r"fiscal year 'FY1999' is not in the admin table; years: \['FY2025', "
                                         r"'FY2030'\]; add the year's row"):
        admin_indicators(ADMIN, questionnaire=questionnaire, year="FY1999")
    from dataclasses import replace

    survey_only = replace(questionnaire, indicators=questionnaire.indicators_of("survey"))
    with pytest.raises(InputError, match="questionnaire midori declares no administrative indicator"):
        admin_indicators(ADMIN, questionnaire=survey_only)


# ------------------------------------------------------------------ the table
def test_indicator_table_against_fixed_baselines(d30, questionnaire):
    t = indicator_table(d30, questionnaire=questionnaire, wave="FY2030", admin=ADMIN).set_index("id")
    assert list(t.reset_index().columns) == INDICATOR_COLUMNS
    assert list(t.index) == ["satisfaction_index", "park_use", "green_share", "park_area_per_person"]
    s = t.loc["satisfaction_index"]
    r = REF["indicator_index30"]
    close(s["estimate"], REF["index30"]["estimate"])
    close(s["change"], r["change"])
    close(s["change_p"], r["p_base_t"], rtol=1e-7)          # t with degf = 415
    # 0.245 (0.184, 0.306) includes the target 0.30
    assert s["verdict"] == "indistinguishable" and s["change_verdict"] == "no_change"
    p = t.loc["park_use"]
    close(p["change"], REF["indicator_park30"]["change"])
    close(p["change_p"], REF["indicator_park30"]["p_base_t"], rtol=1e-7)
    # 40.5 (33.7, 47.3) lies wholly above the target 31.9
    assert p["verdict"] == "met" and p["change_verdict"] == "increase"
    assert verdict_text(p["verdict"]) == "目標を達成（信頼区間全体が目標値以上）"
    assert verdict_text(p["change_verdict"], group=p["wave"], reference=p["baseline_year"]) == \
        "FY2025からFY2030にかけて上昇（統計的に有意）"
    g = t.loc["green_share"]                    # FY2030 row: 399.0 / 1834 = 21.756 % -> 21.8
    assert g["estimate"] == 21.8 and g["change"] == pytest.approx(0.3) and g["verdict"] == "not_met_exact"
    assert np.isnan(g["se"]) and g["source"] == "admin"
    k = t.loc["park_area_per_person"]           # 385,000 m² / 146,200 = 2.633 -> 2.63
    assert k["estimate"] == 2.63 and verdict_text(k["verdict"], lang="en") == "Target not yet met"


def test_indicator_change_between_two_samples(d25, d30, questionnaire):
    t = indicator_table(d30, questionnaire=questionnaire, wave="FY2030", baseline_design=d25).set_index("id")
    # the change is from the baseline wave's estimate, and the table says so (issue 16 item 4)
    assert (t["reference"] == "baseline_wave").all()
    close(t.loc["satisfaction_index", "reference_value"], REF["index"]["estimate"])
    close(t.loc["satisfaction_index", "change"],
          t.loc["satisfaction_index", "estimate"] - t.loc["satisfaction_index", "reference_value"])
    close(t.loc["satisfaction_index", "change"], REF["wave_change"]["index"]["estimate"])
    close(t.loc["satisfaction_index", "change_se"], REF["wave_change"]["index"]["se"])
    close(t.loc["park_use", "change_se"], REF["wave_change"]["park"]["se"])


def test_target_verdict_directions():
    assert target_verdict(0.35, 0.31, 0.39, baseline=0.29, target=0.30) == "met"
    assert target_verdict(0.25, 0.20, 0.29, baseline=0.29, target=0.30) == "not_met"
    assert target_verdict(0.30, 0.25, 0.35, baseline=0.29, target=0.30) == "indistinguishable"
    # a lower-is-better indicator (target below baseline)
    assert target_verdict(8.0, 7.0, 9.0, baseline=12.0, target=10.0) == "met"
    assert target_verdict(11.0, 10.5, 11.5, baseline=12.0, target=10.0) == "not_met"


def test_indicator_table_needs_indicators(d30, questionnaire):
    from dataclasses import replace

    with pytest.raises(InputError, match="declares no indicators"):
        indicator_table(d30, questionnaire=replace(questionnaire, indicators=()))
    broken = replace(questionnaire, indicators=({**questionnaire.indicators[0], "statistic": "median"},))
    with pytest.raises(InputError, match="not supported"):
        indicator_table(d30, questionnaire=broken)


def test_bundled_simulated_wave_recovers_the_known_population_values(questionnaire):
    # data/raw/midori_2025_sample.csv is a survey.simulate wave whose population values are
    # known exactly (data/midori_2025_truth.json: 0.29 and 30.9, the plan's baselines)
    from survey.intake import load
    from survey.weighting.wave import weight_wave
    from survey.intake.sidetables import read_margins

    truth = json.loads((ROOT / "data" / "midori_2025_truth.json").read_text(encoding="utf-8"))
    dataset = load(ROOT / "data" / "raw" / "midori_2025_sample.csv", questionnaire)
    d = weight_wave(dataset, read_margins(ROOT / "data" / "midori_margins.csv"))
    t = indicator_table(d, questionnaire=questionnaire).set_index("id")
    for ind in ("satisfaction_index", "park_use"):
        row, value = t.loc[ind], truth["indicators"][ind]
        assert row["ci_low"] <= value <= row["ci_high"]
        # the FY2025 wave is the baseline year: no change is measured (issue 16 item 4: it printed
        # "FY2025からFY2025への変化は統計的に明らかではない")
        assert row["change_verdict"] == "baseline_year" and row["reference"] == "none"
        assert np.isnan(row["change"]) and verdict_text(row["change_verdict"]) == "基準年の値（変化は次回の調査から）"
    parks = park_use_table(d, "park_use", by="district", questionnaire=questionnaire).set_index(["district", "measure"])
    low, high = parks.loc[(1, "never"), ["ci_low", "ci_high"]]                 # 内間木
    assert low <= truth["park_never_share"]["by_district"]["1"] <= high    # 0.48, n = 12
    assert parks.loc[(1, "never"), "verdict"] == "higher"              # the district short of parks
