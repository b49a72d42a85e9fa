"""Tests of the simulator (survey.simulate) and the bundled simulated waves.

Reference numbers are either the simulator's own design constants (written
down in data/SIMULATION.md: baselines 0.29 and 30.9 of the Asaka Green Basic
Plan, 120,000 adults, 3,000 mailed) or hand calculations over the simulated
population frame done here with plain pandas.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from survey.errors import SpecError, SurveyError
from survey.questionnaire import load_questionnaire, parse_questionnaire
from survey.simulate import (
    BUNDLED_DEFECTS,
    BUNDLED_SEEDS,
    DEFECT_KINDS,
    POPULATION_SEED,
    cp932_text,
    delivery_headers,
    inject_defect,
    run_simulate,
    simulate_population,
    simulate_wave,
    to_delivery,
    write_large_delivery,
    write_wave,
)

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "questionnaires" / "midori_2025.yaml"
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(SPEC)


@pytest.fixture(scope="module")
def population():
    return simulate_population(seed=POPULATION_SEED)


@pytest.fixture(scope="module")
def wave(q, population):
    """The bundled FY2025 wave (same call as run_simulate)."""
    return simulate_wave(q, seed=BUNDLED_SEEDS["FY2025"], population=population, wave="FY2025")


@pytest.fixture(scope="module")
def small(q):
    """A small wave for determinism and defect tests."""
    pop = simulate_population(seed=11, size=6000)
    return simulate_wave(q, seed=5, population=pop, mailed=900)


def _scores(values, mapping):
    v = pd.Series(values).astype("Float64")
    return v[v.isin(list(mapping))].astype(int).map(mapping)


# --------------------------------------------------------------------------- population


def test_population_size_columns_and_margins(q, population, wave):
    assert len(population) == 120_000
    assert list(population.columns) == ["person_id", "sex", "age_band", "age", "district", "children", "years_lived"]
    assert population["person_id"].is_unique
    m = wave.margins
    assert len(m) == 5 * 6 * 2
    assert int(m["count"].sum()) == 120_000
    assert (m["count"] > 0).all()
    # 内間木 is the small district: 1-2 % of adults (design constant 1.5 %)
    share = m.loc[m["district"] == 1, "count"].sum() / 120_000
    assert 0.01 <= share <= 0.02
    # labels come from the questionnaire (UTF-8 file keeps the wave dash)
    assert m.loc[m["age_band"] == 1, "age_band_label"].unique().tolist() == ["18〜29歳"]
    # counts equal a direct crosstab of the frame
    direct = population.groupby(["district", "age_band", "sex"]).size()
    assert direct.to_numpy().tolist() == m["count"].tolist()


def test_population_is_deterministic():
    a = simulate_population(seed=3, size=2000)
    b = simulate_population(seed=3, size=2000)
    c = simulate_population(seed=4, size=2000)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_years_lived_consistent_with_age(population):
    assert (population["years_lived"] <= population["age"]).all()
    assert (population["years_lived"] >= 0).all()
    young = population["age_band"] == 1
    assert population.loc[young, "years_lived"].max() < 30
    bands = pd.cut(population["age"], [17, 29, 39, 49, 59, 69, 200], labels=False) + 1
    assert (bands == population["age_band"]).all()


def test_bad_arguments_raise(q):
    with pytest.raises(SurveyError, match="seed"):
        simulate_population(seed=-1)
    with pytest.raises(SurveyError, match="size"):
        simulate_population(seed=1, size=10)
    with pytest.raises(SurveyError, match="shift"):
        simulate_wave(q, seed=1, population=simulate_population(seed=1, size=500), mailed=100,
                      shift={"happiness": 1})


def test_a_wave_mailed_per_cell_is_a_stratified_sample(q, small):
    """mailing=: exactly the planned number mailed in every district x age band cell."""
    pop = simulate_population(seed=11, size=6000)
    sizes = pop.groupby(["district", "age_band"]).size().rename("people").reset_index()
    mailing = sizes.assign(mailed=np.minimum(sizes["people"], np.where(sizes["district"] == 1, 12, 20)))
    mailing = mailing[["district", "age_band", "mailed"]]
    w = simulate_wave(q, seed=5, population=pop, mailing=mailing)
    got = w.mailed.groupby(["district", "age_band"]).size()
    expected = mailing.set_index(["district", "age_band"])["mailed"]
    pd.testing.assert_series_equal(got.reindex(expected.index, fill_value=0), expected, check_names=False)
    assert w.truth["fielding"]["mailed"] == int(mailing["mailed"].sum()) == len(w.mailed)
    first = mailing.iloc[0]
    assert w.truth["fielding"]["mailing"][0] == {"district": 1, "age_band": 1, "mailed": int(first["mailed"])}
    assert "mailing" not in small.truth["fielding"]  # a simple random sample records no cells
    again = simulate_wave(q, seed=5, population=pop, mailing=mailing, mailed=int(mailing["mailed"].sum()))
    pd.testing.assert_frame_equal(w.delivery, again.delivery)
    with pytest.raises(SurveyError, match="differs from the mailing's total"):
        simulate_wave(q, seed=5, population=pop, mailing=mailing, mailed=900)
    with pytest.raises(SurveyError, match="which has"):
        simulate_wave(q, seed=5, population=pop, mailing=mailing.assign(mailed=np.where(mailing.index == 0, 500, 1)))
    with pytest.raises(SurveyError, match="columns district, age_band, mailed"):
        simulate_wave(q, seed=5, population=pop, mailing=mailing.rename(columns={"mailed": "n"}))


def test_unsupported_questionnaire_is_rejected():
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    spec["questions"] = [x for x in spec["questions"] if x["id"] != "policy"]
    spec.pop("analysis")  # its ranking section names the question
    other = parse_questionnaire(spec)
    with pytest.raises(SpecError, match="policy"):
        simulate_wave(other, seed=1)


# --------------------------------------------------------------------------- truth


def test_truth_is_computed_exactly_from_the_population(q, wave):
    pop, truth = wave.population, wave.truth
    sat = _scores(pop["satisfaction"], dict(q["satisfaction"].scores))
    assert truth["satisfaction_index"]["overall"] == pytest.approx(sat.mean(), abs=1e-9)
    for band, value in truth["satisfaction_index"]["by_age_band"].items():
        sub = _scores(pop.loc[pop["age_band"] == int(band), "satisfaction"], dict(q["satisfaction"].scores))
        assert value == pytest.approx(sub.mean(), abs=1e-9)
    park = pop["park_use"][pop["park_use"] != 9].astype(int).map(dict(q["park_use"].numeric_map))
    assert truth["park_use"]["overall"] == pytest.approx(park.mean(), abs=1e-9)
    for district, value in truth["park_never_share"]["by_district"].items():
        sub = pop.loc[(pop["district"] == int(district)) & (pop["park_use"] != 9), "park_use"]
        assert value == pytest.approx((sub == 6).mean(), abs=1e-9)
    alloc = pop[[it.column for it in q["allocation"].items]].dropna().astype(int)
    assert (alloc.sum(axis=1) == 1000).all()
    for col, value in truth["allocation_mean"]["overall"].items():
        assert value == pytest.approx(alloc[col].mean(), abs=1e-9)
    slots = pop[["policy_1", "policy_2", "policy_3"]]
    ranked = slots[slots["policy_1"] != 99]
    for code in range(1, 13):
        top3 = ranked.eq(code).any(axis=1).mean()
        assert truth["policy_top3_share"]["overall"][str(code)] == pytest.approx(top3, abs=1e-9)
        first = (ranked["policy_1"] == code).mean()
        assert truth["policy_first_share"]["overall"][str(code)] == pytest.approx(first, abs=1e-9)
    acts = pop[[it.column for it in q["activity"].items]].dropna().astype(int)
    for col, value in truth["activity_share"]["overall"].items():
        assert value == pytest.approx(acts[col].mean(), abs=1e-9)
    assert truth["indicators"] == {"satisfaction_index": truth["satisfaction_index"]["overall"],
                                   "park_use": truth["park_use"]["overall"]}


def test_truth_tells_the_plan_story(wave):
    t = wave.truth
    # FY2025 baselines of the Green Basic Plan (questionnaire indicators): 0.29, 30.9 times a year;
    # the intercepts are calibrated on the realised population, hence the tight tolerance.
    assert t["satisfaction_index"]["overall"] == pytest.approx(0.29, abs=0.001)
    assert t["park_use"]["overall"] == pytest.approx(30.9, abs=0.05)
    top3 = t["policy_top3_share"]["overall"]
    assert sorted(top3, key=top3.get, reverse=True)[:3] == ["1", "2", "3"]
    first = t["policy_first_share"]["overall"]
    assert max(first, key=first.get) == "1"
    acts = t["activity_share"]["overall"]
    assert max(acts, key=acts.get) == "activity_1"          # 市民農園 most wanted
    by_age = lambda key: t[key]["by_age_band"]
    assert by_age("allocation_mean")["6"]["alloc_disaster"] > by_age("allocation_mean")["1"]["alloc_disaster"] + 100
    assert by_age("importance_mean")["6"]["imp_disaster"] > by_age("importance_mean")["1"]["imp_disaster"]
    assert by_age("policy_top3_share")["6"]["10"] > 2 * by_age("policy_top3_share")["1"]["10"]
    kids = t["allocation_mean"]["by_children"]
    assert kids["1"]["alloc_children"] > kids["2"]["alloc_children"] + 100
    assert t["policy_top3_share"]["by_children"]["1"]["2"] > t["policy_top3_share"]["by_children"]["2"]["2"]
    never = t["park_never_share"]["by_district"]
    assert max(never, key=never.get) == "1"                 # 内間木 lacks parks
    sat = t["satisfaction_index"]["by_age_band"]
    assert [sat[str(k)] for k in range(1, 7)] == sorted(sat[str(k)] for k in range(1, 7))


def test_nonresponse_biases_the_unweighted_mean(q, wave):
    f = wave.truth["fielding"]
    assert f["mailed"] == 3000
    assert 1200 <= f["returned"] <= 1500
    rate = {k: f["returned_by_age_band"][k] / f["mailed_by_age_band"][k] for k in f["mailed_by_age_band"]}
    assert rate["1"] < 0.32 and rate["6"] > 0.52          # design: 25 % and 60 %
    r = wave.respondents
    scores = dict(q["satisfaction"].scores)
    unweighted = _scores(r["satisfaction"], scores).mean()
    truth = wave.truth["satisfaction_index"]["overall"]
    assert unweighted > truth + 0.03
    # hand calculation: post-stratify on age band with the population counts -> much closer to the truth
    counts = wave.margins.groupby("age_band")["count"].sum()
    ok = r["age_band"].isin(range(1, 7))
    by_band = r[ok].groupby("age_band")["satisfaction"].apply(lambda s: _scores(s, scores).mean())
    post = float((by_band * counts / counts.sum()).sum())
    assert abs(post - truth) < abs(unweighted - truth) / 2


@pytest.fixture(scope="module")
def later(q, population):
    """The bundled FY2030 wave."""
    return simulate_wave(q, seed=BUNDLED_SEEDS["FY2030"], population=population, wave="FY2030")


def test_later_wave_shift(wave, later):
    # design constants of DEFAULT_SHIFTS["FY2030"]: +0.01 index, +1.0 times a year, response x0.95
    assert later.truth["shift"] == {"satisfaction_index": 0.01, "park_use": 1.0, "response": 0.95}
    assert later.truth["satisfaction_index"]["overall"] == pytest.approx(0.30, abs=0.001)
    assert later.truth["park_use"]["overall"] == pytest.approx(31.9, abs=0.05)
    pd.testing.assert_frame_equal(later.margins, wave.margins)     # one register frame for both waves
    assert not later.delivery.equals(wave.delivery)


# --------------------------------------------------------------------------- delivery


def test_delivery_file_is_cp932_with_declared_headers(q, wave, tmp_path):
    paths = write_wave(wave, tmp_path)
    blob = paths["delivery"].read_bytes()
    text = blob.decode("cp932")                              # strict: raises if not CP932
    head = text.split("\r\n", 1)[0].split(",")
    expected = [q.respondent_id_header] + [h for x in q.questions for h in x.raw_headers]
    assert head == [cp932_text(h) for h in expected] == delivery_headers(q)
    assert blob.count(b"\r\n") == len(wave.delivery) + 1                     # header + one line a row
    multiline = wave.delivery[q["comment"].header].str.count("\n").sum()
    assert blob.replace(b"\r\n", b"").count(b"\n") == multiline                # line breaks inside comments
    back = pd.read_csv(paths["delivery"], encoding="cp932", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, wave.delivery, check_dtype=False)


def test_delivery_cells(q, wave):
    d = wave.delivery
    for qid in ("sex", "age_band", "district", "children"):
        x = q[qid]
        labels = {cp932_text(x.label(c)) for c in [*x.codes, *x.missing]}
        assert set(d[x.header]) <= labels
    assert "18～29歳" in set(d[q["age_band"].header])      # 〜 arrives as ～ after CP932
    assert set(d[q["sex"].header]) >= {"男性", "女性", "回答しない"}
    sat = set(d[q["satisfaction"].header])
    assert sat - {str(c) for c in [*q["satisfaction"].codes, 9]} == {"7"}   # the one out-of-range defect
    dummies = d[[h for h in q["activity"].raw_headers]]
    assert set(np.unique(dummies.to_numpy())) == {"0", "1", ""}
    ranks = d[list(q["policy"].raw_headers)]
    assert (ranks.iloc[:, 0] == "99").any()
    comments = d[q["comment"].header]
    assert 0.1 < (comments != "").mean() < 0.3
    assert comments.str.contains("～").any()


def test_defect_list_matches_the_changed_cells(q, wave):
    clean = to_delivery(wave.respondents, q)
    diff = clean.ne(wave.delivery).to_numpy()
    changed = {(int(r), wave.delivery.columns[c]) for r, c in zip(*np.nonzero(diff))}
    listed = {(x.row, cell) for x in wave.defects for cell in x.cells}
    assert changed == listed
    assert [(x.kind) for x in wave.defects] == [k for k, _ in BUNDLED_DEFECTS]
    assert len({x.row for x in wave.defects}) == len(wave.defects)   # one defect per row
    for x in wave.defects:
        assert wave.delivery.at[x.row, x.column] == x.after
    assert wave.truth["defects"] == [x.to_dict() for x in wave.defects]


def test_bundled_defects_are_real_defects(q, wave):
    d = wave.delivery
    by_kind = {}
    for x in wave.defects:
        by_kind.setdefault(x.kind, []).append(x)
    (dup,) = by_kind["duplicate_id"]
    assert (d[q.respondent_id_header] == dup.after).sum() == 2
    (over,) = by_kind["multi_over_limit"]
    assert (d.loc[over.row, list(q["activity"].raw_headers)] == "1").sum() == 4
    for x in by_kind["allocation_total"]:
        assert d.loc[x.row, list(q["allocation"].raw_headers)].astype(int).sum() != 1000
    (skip,) = by_kind["skip_violation"]
    assert d.at[skip.row, q["park_use"].header] != "6" and d.at[skip.row, q["park_reason"].header] != ""
    for x in by_kind["fullwidth_digits"]:
        assert re.fullmatch("[０-９]+", x.after)
    phone, email = (x.after for x in by_kind["personal_info"])     # one of each, phone first
    assert re.search(r"090-0000-\d{4}", phone) and re.search(r"@example\.jp", email)


# --------------------------------------------------------------------------- determinism and files


def test_same_seed_same_bytes_other_seed_other_bytes(q, small, tmp_path):
    pop = simulate_population(seed=11, size=6000)
    again = simulate_wave(q, seed=5, population=pop, mailed=900)
    other = simulate_wave(q, seed=6, population=pop, mailed=900)
    a = write_wave(small, tmp_path / "a")
    b = write_wave(again, tmp_path / "b")
    c = write_wave(other, tmp_path / "c")
    for key in ("delivery", "margins", "truth"):
        assert a[key].read_bytes() == b[key].read_bytes()
    assert a["delivery"].read_bytes() != c["delivery"].read_bytes()
    assert a["truth"].read_bytes() != c["truth"].read_bytes()
    assert a["margins"].read_bytes() == c["margins"].read_bytes()   # same population


def assert_same_truth(path: Path, committed: Path) -> None:
    """The truth file rebuilt here equals the committed one: keys, texts and
    whole numbers exactly, the population values (means, calibration
    intercepts, printed with 17 digits) to 1e-12 relative.  Their last digits
    come from numpy's exp/log kernels, which differ by CPU (1 ulp), so the
    committed file was written on another machine's last digits; a simulation
    that went wrong moves them by far more.  The delivery and the margins,
    whole numbers and codes, stay byte for byte."""
    import json

    def same(a, b, where):
        if isinstance(a, float) or isinstance(b, float):
            assert a == pytest.approx(b, rel=1e-12, abs=1e-15), where
        elif isinstance(a, dict):
            assert list(a) == list(b), where
            for key in a:
                same(a[key], b[key], f"{where}.{key}")
        elif isinstance(a, list):
            assert len(a) == len(b), where
            for i, (x, y) in enumerate(zip(a, b)):
                same(x, y, f"{where}[{i}]")
        else:
            assert a == b, where

    same(json.loads(path.read_text(encoding="utf-8")), json.loads(committed.read_text(encoding="utf-8")), "truth")


def test_bundled_fy2025_files_are_reproducible(wave, tmp_path):
    paths = write_wave(wave, tmp_path)
    assert paths["delivery"].read_bytes() == (DATA / "raw" / "midori_2025_sample.csv").read_bytes()
    assert_same_truth(paths["truth"], DATA / "midori_2025_truth.json")
    assert paths["margins"].read_bytes() == (DATA / "midori_margins.csv").read_bytes()


def test_bundled_fy2030_files_are_reproducible(later, tmp_path):
    paths = write_wave(later, tmp_path)
    assert paths["delivery"].read_bytes() == (DATA / "raw" / "midori_2030_sample.csv").read_bytes()
    assert_same_truth(paths["truth"], DATA / "midori_2030_truth.json")
    assert paths["margins"].read_bytes() == (DATA / "midori_margins.csv").read_bytes()


def test_run_simulate_writes_the_bundled_files(tmp_path):
    paths = run_simulate(tmp_path, seed=BUNDLED_SEEDS["FY2025"], wave="FY2025", questionnaire_path=SPEC)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in paths.values()) == [
        "midori_2025_truth.json", "midori_margins.csv", "raw/midori_2025_sample.csv"]
    assert paths["delivery"].read_bytes() == (DATA / "raw" / "midori_2025_sample.csv").read_bytes()
    assert_same_truth(paths["truth"], DATA / "midori_2025_truth.json")


def test_large_delivery_is_chunked_and_deterministic(q, tmp_path):
    a = write_large_delivery(q, tmp_path / "a.csv", rows=2500, seed=9, chunk_rows=1000)
    b = write_large_delivery(q, tmp_path / "b.csv", rows=2500, seed=9, chunk_rows=1000)
    assert a.read_bytes() == b.read_bytes()
    frame = pd.read_csv(a, encoding="cp932", dtype=str, keep_default_na=False)
    assert list(frame.columns) == delivery_headers(q)
    assert len(frame) == 2500
    assert frame[q.respondent_id_header].is_unique
    assert frame[q.respondent_id_header].iloc[-1] == "2500"
    with pytest.raises(SurveyError, match="rows"):
        write_large_delivery(q, tmp_path / "c.csv", rows=0, seed=1)


# --------------------------------------------------------------------------- inject_defect


def _ticks(frame, row, q):
    return (frame.loc[row, list(q["activity"].raw_headers)] == "1").sum()


CHECKS = {
    "out_of_range_code": lambda q, f, x: int(x.after) not in q[x.question].codes,
    "fullwidth_digits": lambda q, f, x: re.fullmatch("[０-９]+", x.after) is not None,
    "multi_over_limit": lambda q, f, x: _ticks(f, x.row, q) == q["activity"].max_choices + 1,
    "allocation_total": lambda q, f, x: f.loc[x.row, list(q["allocation"].raw_headers)].astype(int).sum() != 1000,
    "duplicate_id": lambda q, f, x: (f[q.respondent_id_header] == x.after).sum() == 2,
    "blank_return": lambda q, f, x: (f.loc[x.row].iloc[1:] == "").all() and x.column is None,
    "rank_duplicate": lambda q, f, x: f.loc[x.row, q["policy"].raw_headers[0]] == x.after,
    "rank_gap": lambda q, f, x: x.after == "" and f.loc[x.row, q["policy"].raw_headers[-1]] != "",
    "rank_unknown_item": lambda q, f, x: int(x.after) not in q["policy"].codes and int(x.after) != 99,
    "skip_violation": lambda q, f, x: f.loc[x.row, q["park_use"].header] not in ("6", "") and x.after != "",
    "missing_required": lambda q, f, x: x.after == "" and x.before != "",
    "contradiction": lambda q, f, x: x.question in {c.id for c in q.contradictions},
    "straightlining": lambda q, f, x: f.loc[x.row, list(q["importance"].raw_headers)].nunique() == 1,
    "outlier_numeric": lambda q, f, x: int(x.after) > q["years_lived"].maximum,
    "several_marks_single": lambda q, f, x: re.fullmatch(r"\d,\d", x.after) is not None,
    "personal_info": lambda q, f, x: re.search(r"090-0000-\d{4}|@example\.jp", x.after) is not None,
}


@pytest.mark.parametrize("kind", DEFECT_KINDS)
def test_inject_defect_changes_exactly_the_reported_cells(q, small, kind):
    before = small.delivery.copy()
    frame, defect = inject_defect(small.delivery, kind, questionnaire=q, seed=3)
    pd.testing.assert_frame_equal(small.delivery, before)           # input untouched
    diff = frame.ne(small.delivery).to_numpy()
    rows, cols = np.nonzero(diff)
    assert set(rows.tolist()) == {defect.row}
    assert {frame.columns[c] for c in cols} == set(defect.cells)
    assert defect.kind == kind
    assert defect.cell == (defect.row, defect.column)
    assert defect.respondent_id == small.delivery.iat[defect.row, 0]
    assert CHECKS[kind](q, frame, defect)


def test_contradiction_defect_makes_the_rule_true(q, small):
    frame, x = inject_defect(small.delivery, "contradiction", questionnaire=q, seed=1, column="years_exceed_age")
    assert frame.at[x.row, q["age_band"].header] == "18～29歳"
    assert 30 <= int(frame.at[x.row, q["years_lived"].header]) <= 100


def test_inject_defect_arguments(q, small):
    with pytest.raises(SurveyError, match="unknown defect kind"):
        inject_defect(small.delivery, "typo", questionnaire=q, seed=1)
    blank_reason = int(np.flatnonzero(small.delivery[q["park_reason"].header] == "")[0])
    with pytest.raises(SurveyError, match=f"row {blank_reason}"):
        inject_defect(small.delivery, "out_of_range_code", questionnaire=q, seed=1, row=blank_reason,
                      column="park_reason")
    _, x = inject_defect(small.delivery, "missing_required", questionnaire=q, seed=1, row=0, column="satisfaction")
    assert x.cell == (0, q["satisfaction"].header)
    _, y = inject_defect(small.delivery, "duplicate_id", questionnaire=q, seed=2, exclude=range(1, 900))
    assert y.row == 0
