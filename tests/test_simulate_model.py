"""The simulation model file (questionnaires/*_simulation.yaml) and the generic engine it drives.

Reference numbers are the model file's own parameters (questionnaires/midori_2025_simulation.yaml,
whose meaning data/SIMULATION.md gives) and hand calculations written out beside them.  That
the bundled files are rebuilt byte for byte from the model is tests/test_simulate.py's.
"""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

import survey.simulate as sim
from survey.cli import main
from survey.errors import SpecError
from survey.questionnaire import load_questionnaire, parse_questionnaire
from survey.simulate.model import (
    Categorical,
    Dirichlet,
    Ordinal,
    PlackettLuce,
    TopK,
    latent,
    rate,
)
from survey.simulate.model_parse import bundled_model, default_model_path, load_model, model_for, parse_model

from conftest import QUESTIONNAIRE, ROOT

MODEL = ROOT / "questionnaires" / "midori_2025_simulation.yaml"
RAW = yaml.safe_load(MODEL.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(QUESTIONNAIRE)


def _parse(q, edit):
    raw = copy.deepcopy(RAW)
    edit(raw)
    return parse_model(raw, q, path="m.yaml")


# --------------------------------------------------------------------------- the bundled model


def test_the_bundled_model_is_read_into_its_parts(q):
    m = bundled_model()
    assert m.path == str(MODEL) and m.questionnaire.id == "midori"
    assert (m.population.seed, m.population.size) == (2025, 120_000)
    assert m.cells == ("district", "age_band", "sex")
    assert m.population.cells[2].codes == (1, 2)            # the register's sex is binary; 3 回答しない is reported
    assert [type(a) for a in m.answers] == [Ordinal, Ordinal, Categorical, Ordinal, Dirichlet, PlackettLuce, TopK]
    assert [a.question for a in m.answers] == ["satisfaction", "park_use", "park_reason", "importance",
                                               "allocation", "policy", "activity"]
    # calibration targets are the questionnaire's indicator baselines (0.29, 30.9 times a year)
    assert m.targets == {"satisfaction": 0.29, "park_use": 30.9}
    assert m.shift_keys == ("satisfaction_index", "park_use", "response")
    assert [r.question for r in m.reporting] == ["sex", "age_band", "district", "children", "years_lived"]
    assert [t.question for t in m.text] == ["comment"] and len(m.text[0].sentences) == 25
    # the package's constants are the bundled model's
    assert dict(sim.BUNDLED_SEEDS) == {"FY2025": 2052, "FY2030": 2105}
    assert dict(sim.DEFAULT_SHIFTS["FY2030"]) == {"satisfaction_index": 0.01, "park_use": 1.0, "response": 0.95}
    assert sim.POPULATION_SEED == 2025 and len(sim.BUNDLED_DEFECTS) == 13
    assert sim.BUNDLED_DEFECTS[0] == ("fullwidth_digits", "years_lived")


def test_the_model_is_found_beside_the_questionnaire(q, tmp_path):
    assert default_model_path(QUESTIONNAIRE) == MODEL
    assert model_for(q).path == str(MODEL)
    # a copy of the bundled questionnaire elsewhere, or one without a file: the bundled model fits it
    copied = tmp_path / "midori_2025.yaml"
    copied.write_bytes(QUESTIONNAIRE.read_bytes())
    assert model_for(load_questionnaire(copied)).path == str(MODEL)
    assert model_for(parse_questionnaire(yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8")))).path == str(MODEL)
    # a model file beside it wins
    own = tmp_path / "midori_2025_simulation.yaml"
    own.write_text(yaml.safe_dump({**RAW, "questionnaire": "midori_2025.yaml"}, allow_unicode=True, sort_keys=False),
                   encoding="utf-8")
    assert model_for(load_questionnaire(copied)).path == str(own)
    assert load_model(own).questionnaire.path == str(copied)    # --model alone: the questionnaire it names


# --------------------------------------------------------------------------- terms, rates, propensities


def test_terms_add_up_in_order():
    """satisfaction's latent value without its noise (model file: age_band, district, sex terms)."""
    terms = bundled_model().answers[0].latent
    people = pd.DataFrame({"age_band": [1, 6, 3], "district": [1, 5, 3], "sex": [1, 2, 2]})
    # by hand: -0.55 + 0.10 + 0; 0.55 - 0.10 + 0.05; -0.10 - 0.05 + 0.05
    np.testing.assert_allclose(latent(terms[:3], people), [-0.45, 0.50, -0.10], atol=1e-15)
    # importance: a per-item constant, then slopes per item (age_band - 3.5) and a children effect per item
    imp = bundled_model().answers[3].latent
    kids = pd.DataFrame({"age_band": [6], "children": [1]})
    no_noise = [t for k, t in enumerate(imp) if k not in (1, 4)]
    got = latent(no_noise, kids, items=10)
    # imp_disaster: 1.00 + 0.12 * 2.5 + 0.0; imp_children: 0.80 - 0.05 * 2.5 + 0.45
    assert got.shape == (1, 10)
    assert got[0, 9] == pytest.approx(1.30, abs=1e-12) and got[0, 7] == pytest.approx(1.125, abs=1e-12)


def test_rates_and_the_response_propensity():
    m = bundled_model()
    people = pd.DataFrame({"age_band": [1, 3, 4, 6], "sex": [1, 2, 2, 2], "district": [2, 1, 3, 1],
                           "children": [2, 1, 2, 2]})
    # straight-lining: 3 %, times 1.5 under 50 (age bands 1-3)
    np.testing.assert_allclose(rate(m.answers[3].straightlining.rate, people), [0.045, 0.045, 0.03, 0.03])
    # response: age band x sex x district (model file: 0.25 x 0.94 x 1.0; 0.41 x 1.06 x 1.05; ...)
    np.testing.assert_allclose(sim.response_propensity(people),
                               [0.25 * 0.94, 0.41 * 1.06 * 1.05, 0.49 * 1.06, 0.60 * 1.06 * 1.05], rtol=1e-15)


def test_a_small_population_answers_as_the_model_says(q):
    """Every answer is a code of its question (or its missing code, or blank where skipped), the
    exclusive box is alone, allocations add up to the total, and calibration hits its target."""
    people = sim.simulate_population(seed=3, size=4000)
    answered, intercepts = sim.simulate_answers(people, q, rng=np.random.Generator(np.random.PCG64(1)),
                                                targets={"satisfaction": 0.10})
    assert set(intercepts) == {"satisfaction", "park_use"}
    scores = answered["satisfaction"].map(dict(q["satisfaction"].scores)).astype(float)
    assert scores.mean() == pytest.approx(0.10, abs=0.005)          # a step function: within half a step
    skipped = answered["park_use"] != 6
    assert answered.loc[skipped, "park_reason"].isna().all() and answered.loc[~skipped, "park_reason"].notna().all()
    parts = answered[list(q["allocation"].columns)].dropna()
    assert (parts.sum(axis=1) == q["allocation"].total).all()
    ticks = answered[list(q["activity"].columns)].dropna()
    alone = ticks["activity_8"] == 1
    assert (ticks.loc[alone].sum(axis=1) == 1).all() and ticks.loc[~alone].sum(axis=1).between(1, 3).all()
    first = answered["policy_1"].dropna()
    assert set(first) <= set(q["policy"].codes) | {99}


def test_another_questionnaire_is_simulated_by_the_same_engine(tmp_path):
    """川辺市 (questionnaires/kawabe_parks_2026_simulation.yaml): other ids, four districts, a 4-level
    rating scored +2 … −2, 100 points in steps of 5, a top-2 ranking, no free text, a trait shared
    by two questions (park_mood), margins columns chiku/nendai."""
    kq = load_questionnaire(ROOT / "questionnaires" / "kawabe_parks_2026.yaml")
    m = model_for(kq)
    assert m.path.endswith("kawabe_parks_2026_simulation.yaml") and m.margins_file == "kawabe_margins.csv"
    pop = sim.simulate_population(seed=1, size=3000, model=m)
    assert list(pop.columns) == ["person_id", "area", "age_group", "gender", "kids", "park_mood"]
    assert pop["park_mood"].std() == pytest.approx(1.0, abs=0.05)             # kind normal: N(0, 1)
    w = sim.simulate_wave(kq, seed=4, population=pop, mailed=600)        # the wave: the questionnaire's
    assert (w.wave, w.truth["wave"]) == ("FY2026", "FY2026")
    assert list(w.delivery.columns) == sim.delivery_headers(kq)
    assert list(w.margins.columns) == ["chiku", "chiku_label", "nendai", "nendai_label", "count"]
    assert int(w.margins["count"].sum()) == 3000
    # the truth is the plain population mean (scores 2, 1, -1, -2 over answered codes)
    scores = w.population["rating"].map({1: 2.0, 2: 1.0, 3: -1.0, 4: -2.0}).astype(float)
    assert w.truth["rating_score"]["overall"] == pytest.approx(scores.mean(), abs=1e-9)
    assert w.truth["indicators"]["park_rating"] == w.truth["rating_score"]["overall"]
    assert set(w.truth["fielding"]["returned_by_age_group"]) == {"1", "2", "3", "4", "5", "6"}
    # the liking for parks is shared: the rating and the facilities go together
    facilities = w.population[list(kq["facilities"].columns)].astype(float)
    good = facilities.where(facilities != 99).mean(axis=1)                     # 1 良い … 4 悪い
    assert np.corrcoef(good[scores.notna()], scores[scores.notna()])[0, 1] < -0.3
    budget = w.population[list(kq["park_budget"].columns)].dropna().astype(int)
    assert (budget.sum(axis=1) == 100).all() and (budget % 5 == 0).all().all()
    first, second = w.population["wishes_1"], w.population["wishes_2"]
    assert (second[first == 99] == 99).all()                                   # unanswered: 99 in both slots
    both = second.notna() & (first != 99)
    assert (first[both] != second[both]).all() and second.isna().any()         # some name only a first choice
    assert [d.kind for d in w.defects] == ["out_of_range_code", "allocation_total", "rank_duplicate"]
    paths = sim.write_wave(w, tmp_path)
    assert paths["margins"].name == "kawabe_margins.csv"
    assert (paths["delivery"].name, paths["truth"].name) == ("kawabe_parks_2026_sample.csv",
                                                            "kawabe_parks_2026_truth.json")


# --------------------------------------------------------------------------- broken models


BROKEN = [
    (lambda m: m["answers"]["park_use"].update(cuts=[-0.9, -0.1, 0.6, 0.5, 1.8]), "answers.park_use.cuts",
     r"cuts must increase, got \[-0.9, -0.1, 0.6, 0.5, 1.8\]"),
    (lambda m: m["answers"]["park_use"].update(dont_know=0.01), "answers.park_use.dont_know",
     "dont_know needs a code of 'park_use' without a score"),
    (lambda m: m["answers"]["satisfaction"].update(order="codes"), "answers.satisfaction.order",
     "order must be scores or numeric_map"),
    (lambda m: m["answers"]["allocation"].update(units={10: 0.3, 300: 0.7}), "answers.allocation.units",
     "the unit 300 does not divide the total 1000 of 'allocation'"),
    (lambda m: m["answers"]["policy"].update(filled=[0.1, 0.9]), "answers.policy.filled",
     r"gives 2 values for 4 numbers of filled slots 0 … 3"),
    (lambda m: m["answers"]["activity"]["exclusive"].update(code=9), "answers.activity.exclusive.code",
     r"9 is not a code of 'activity'"),
    (lambda m: m["answers"]["activity"].update(choices=[0.25, 0.25, 0.25, 0.25]), "answers.activity.choices",
     "gives 4 numbers of boxes, more than the 3 allowed"),
    (lambda m: m["answers"]["satisfaction"]["latent"].append({"slope": "age_band"}), r"answers.satisfaction.latent\[4\]",
     r"a term is one of .*; got \['slope'\]"),
    (lambda m: m["answers"]["park_use"]["latent"][1].update({"if": {"children": [3]}}),
     r"answers.park_use.latent\[1\].if.children", r"codes \[3\] are not codes of children \[1, 2\]"),
    (lambda m: m["answers"]["allocation"]["tilt"].update(alloc_sun=[{"add": 1}]), "answers.allocation.tilt.alloc_sun",
     "'alloc_sun' is not one of"),
    (lambda m: m["population"].update(columns=["sex", "age_band", "district"]), "population.columns",
     "columns must list exactly the columns the cells and persons make"),
    (lambda m: m["population"]["cells"][0].update(given="sex", rows=[[1.0]]), r"population.cells\[0\]",
     "a cell attribute has shares"),
    (lambda m: m["population"]["cells"][1]["tilt"]["rows"].pop(), r"population.cells\[1\].tilt.rows",
     "gives 4 rows for the 5 codes of district"),
    (lambda m: m["population"]["persons"][1].update(codes=[1, 3]), r"population.persons\[1\].codes",
     "codes must be two codes of children"),
    (lambda m: m["reporting"].update(satisfaction={"no_answer": 0.1}), "reporting.satisfaction",
     "'satisfaction' is not a column of the population"),
    (lambda m: m["defects"].append(["typo", None]), r"defects\[13\]", "a defect is \\[kind, question or null\\]"),
    (lambda m: m["waves"]["FY2030"]["shift"].update(happiness=1), "waves.FY2030.shift",
     "shift 'happiness' is not one of"),
    (lambda m: m["truth"]["values"].update(extra={"question": "policy", "statistic": "score_mean"}),
     "truth.values.extra.question", "question 'policy' is ranking; this needs a likert question"),
    (lambda m: m["truth"]["values"].update(extra={"question": "importance", "statistic": "score_mean"}),
     "truth.values.extra.statistic", "score_mean does not fit question 'importance'"),
    (lambda m: m["fielding"].update(report_by="age"), "fielding.report_by", "'age' is not a coded column"),
]


@pytest.mark.parametrize("edit, key, message", BROKEN, ids=[b[1] for b in BROKEN])
def test_a_broken_model_names_the_key_and_the_fix(q, edit, key, message):
    with pytest.raises(SpecError, match=rf"^\[file m\.yaml, key {key}\] {message}") as info:
        _parse(q, edit)
    assert "\n" not in str(info.value)


def test_the_model_of_another_questionnaire_is_refused(q):
    kawabe = load_questionnaire(ROOT / "questionnaires" / "kawabe_parks_2026.yaml")
    with pytest.raises(SpecError, match=r"key population.cells\[0\].question\] the model names question 'district', "
                                        r"which questionnaire kawabe_parks lacks"):
        parse_model(copy.deepcopy(RAW), kawabe, path="m.yaml")


# --------------------------------------------------------------------------- the command


def test_simulate_with_a_model_alone_rebuilds_the_bundled_wave(tmp_path, capsys):
    model = tmp_path / "m.yaml"
    model.write_text(yaml.safe_dump({**RAW, "questionnaire": str(QUESTIONNAIRE)}, allow_unicode=True,
                                    sort_keys=False), encoding="utf-8")
    assert main(["simulate", "--model", str(model), "--out", str(tmp_path / "out")]) == 0
    written = capsys.readouterr().out.split()
    assert [p.rsplit("/", 1)[-1] for p in written] == ["midori_2025_sample.csv", "midori_margins.csv",
                                                       "midori_2025_truth.json"]
    assert (tmp_path / "out" / "raw" / "midori_2025_sample.csv").read_bytes() == \
        (ROOT / "data" / "raw" / "midori_2025_sample.csv").read_bytes()
