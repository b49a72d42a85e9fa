"""The plan's indicators as the questionnaire declares them (survey/indicator_spec.py, issue 17 item 1).

The administrative indicators (``source: admin``: ``scale * numerator / denominator`` of two
columns of the admin file) are declared in the questionnaire, not in code: a broken entry is a
SpecError naming the questionnaire file, the indicator's key and the fix; another city's
questionnaire declares its own indicator on its own column and needs no code (hand calculation
in the test).
"""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

import survey
from survey.cli import main
from survey.errors import SpecError
from survey.indicator_spec import admin_columns
from survey.measures.indicators.headline import admin_indicators, indicator_table
from survey.questionnaire import parse_questionnaire

from conftest import QUESTIONNAIRE, ROOT

SPEC = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))
KAWABE = ROOT / "questionnaires" / "kawabe_parks_2026.yaml"


def _parse(edit, spec=SPEC):
    spec = copy.deepcopy(spec)
    edit(spec)
    return parse_questionnaire(spec, path="q.yaml")


def _admin(spec, i=0) -> dict:
    return [d for d in spec["indicators"] if d.get("source") == "admin"][i]


def test_midori_declares_its_two_area_indicators():
    q = survey.load_questionnaire(QUESTIONNAIRE)
    assert [i["id"] for i in q.indicators_of("survey")] == ["satisfaction_index", "park_use"]
    green, park = q.indicators_of("admin")
    assert (green["numerator"], green["denominator"], green["scale"], green["unit"]) == \
        ("green_area_ha", "city_area_km2", 1, "%")
    assert (park["numerator"], park["denominator"], park["scale"], park["unit"]) == \
        ("park_area_ha", "population", 10000, "m²/人")
    assert admin_columns(q.indicators) == {
        "green_area_ha": [("green_share", "numerator")], "city_area_km2": [("green_share", "denominator")],
        "park_area_ha": [("park_area_per_person", "numerator")],
        "population": [("park_area_per_person", "denominator")]}


#: Broken administrative entries: (edit of the midori spec, the key named, the message).
BROKEN_ADMIN = [
    (lambda s: _admin(s).pop("numerator"), "indicators[2] (green_share)",
     "administrative indicator 'green_share' needs numerator: (the admin file's column above the fraction bar, "
     "e.g. green_area_ha); add it (see questionnaires/README.md)"),
    (lambda s: _admin(s, 1).pop("scale"), "indicators[3] (park_area_per_person)",
     "administrative indicator 'park_area_per_person' needs scale: (the factor that turns numerator / denominator "
     "into the unit, e.g. 10000 for m² per person from ha per person); add it (see questionnaires/README.md)"),
    (lambda s: _admin(s).update(numerator="green area (ha)"), "indicators[2] (green_share).numerator",
     "numerator 'green area (ha)' of administrative indicator 'green_share' is not a column name: write the admin "
     "file's column heading, letters, digits and _ starting with a letter (e.g. green_area_ha)"),
    (lambda s: _admin(s).update(denominator="緑地面積"), "indicators[2] (green_share).denominator",
     "denominator '緑地面積' of administrative indicator 'green_share' is not a column name"),
    (lambda s: _admin(s).update(denominator="fiscal_year"), "indicators[2] (green_share).denominator",
     "denominator of administrative indicator 'green_share' is fiscal_year, the admin file's year label, not a "
     "figure; name the column that holds the figure"),
    (lambda s: _admin(s).update(scale=0), "indicators[2] (green_share).scale",
     "scale of administrative indicator 'green_share' must be a positive number, got 0; it is the factor that turns "
     "numerator / denominator into the unit (1 when the units cancel, 10000 for m² per person from ha)"),
    (lambda s: _admin(s).update(scale=-100), "indicators[2] (green_share).scale", "must be a positive number, got -100"),
    (lambda s: _admin(s).update(scale="10,000"), "indicators[2] (green_share).scale",
     "must be a positive number, got '10,000'"),
    (lambda s: _admin(s).update(decimals=1.5), "indicators[2] (green_share).decimals",
     "decimals of administrative indicator 'green_share' must be a whole number from 0 to 6 (the places the plan "
     "publishes), got 1.5"),
    (lambda s: _admin(s).update(target="22.3%"), "indicators[2] (green_share).target",
     "target of administrative indicator 'green_share' must be a number (the plan's target value (目標値)), got "
     "'22.3%'"),
    (lambda s: _admin(s).update(label=""), "indicators[2] (green_share).label",
     "label of administrative indicator 'green_share' must be one line of text"),
    (lambda s: _admin(s).update(question="park_use"), "indicators[2] (green_share)",
     "unknown key(s) ['question'] for an administrative indicator; it has id, source, label, unit, numerator, "
     "denominator, scale, decimals, baseline, baseline_year, target, target_year"),
    (lambda s: _admin(s).update(source="admn"), "indicators[2] (green_share).source",
     "source 'admn' is not a source of indicators; use survey (an estimate from a question) or admin (a ratio of "
     "two columns of the --admin file)"),
    (lambda s: _admin(s).pop("source"), "indicators[2] (green_share).source",
     "indicator 'green_share' has numerator: and denominator: but is a survey indicator; add source: admin"),
    (lambda s: _admin(s).update(id="park_use"), "indicators[2] (park_use).id",
     "indicator id 'park_use' is declared twice; give each indicator its own id"),
]


def _survey(spec, i=0) -> dict:
    return [d for d in spec["indicators"] if d.get("source", "survey") == "survey"][i]


#: Broken survey entries, likewise.
BROKEN_SURVEY = [
    (lambda s: _survey(s).update(statistic="score_median"), "indicators[0] (satisfaction_index).statistic",
     "statistic 'score_median' of survey indicator 'satisfaction_index' is not one the package estimates; use "
     "score_mean or numeric_mean"),
    (lambda s: _survey(s, 1).pop("question"), "indicators[1] (park_use)",
     "survey indicator 'park_use' needs question: (the id of the question it is estimated from); add it"),
    (lambda s: _survey(s).update(colour="green"), "indicators[0] (satisfaction_index)",
     "unknown key(s) ['colour'] for a survey indicator"),
    (lambda s: _survey(s, 1).update(target="31.9回"), "indicators[1] (park_use).target",
     "target of survey indicator 'park_use' must be a number (the plan's target value (目標値)), got '31.9回'"),
    (lambda s: _survey(s).update(question="satisfacton"), "indicators[0] (satisfaction_index).question",
     "survey indicator 'satisfaction_index' names question 'satisfacton', which is not in the questionnaire"),
    # park_use has a numeric_map but no scores: its mean score is not defined
    (lambda s: _survey(s, 1).update(statistic="score_mean"), "indicators[1] (park_use).question",
     "survey indicator 'park_use' is a score_mean of question 'park_use', which has no scores:; add scores: "
     "{code: value} to the question or choose another statistic"),
]


@pytest.mark.parametrize("edit, key, message", BROKEN_ADMIN + BROKEN_SURVEY)
def test_a_broken_indicator_is_refused_when_read_naming_the_file_the_indicator_and_the_fix(edit, key, message):
    with pytest.raises(SpecError) as exc:
        _parse(edit)
    assert str(exc.value).startswith(f"[file q.yaml, key {key}] ")
    assert message in str(exc.value)


def test_the_spec_names_the_statistics_the_package_estimates():
    from survey.indicator_spec import SURVEY_STATISTICS
    from survey.measures.indicators.headline import _STATISTICS, SURVEY_DECIMALS
    assert set(SURVEY_STATISTICS) == set(_STATISTICS) == set(SURVEY_DECIMALS) == {"score_mean", "numeric_mean"}


def test_the_plan_asks_only_for_indicators_the_questionnaire_declares():
    # admin: true without an administrative indicator: nothing to show from --admin
    with pytest.raises(SpecError, match=r"key analysis.sections.indicators.admin\] a section of kind indicators needs "
                                        r"indicators: in the questionnaire with source: admin when it says admin: "
                                        r"true; declare the administrative indicators"):
        _parse(lambda s: s.update(indicators=[i for i in s["indicators"] if i.get("source") != "admin"]))
    # only administrative indicators and admin: true is a plan (the section shows them)
    q = _parse(lambda s: (s.update(indicators=[i for i in s["indicators"] if i.get("source") == "admin"]),
                          s["analysis"]["sections"]["satisfaction"].pop("indicator")))
    assert [i["id"] for i in q.indicators] == ["green_share", "park_area_per_person"]
    # an index section's target comes from a survey indicator, never from an administrative one
    with pytest.raises(SpecError, match=r"indicator 'green_share' is an administrative indicator \(source: admin\), "
                                        r"not an estimate of the question; name a survey indicator: "
                                        r"\['satisfaction_index', 'park_use'\]"):
        _parse(lambda s: s["analysis"]["sections"]["satisfaction"].update(indicator="green_share"))


# ------------------------------------------------------------------ another city's own indicator
TREES = {"id": "street_trees_per_1000", "source": "admin", "label": "人口千人当たりの街路樹の本数",
         "numerator": "street_trees", "denominator": "population", "scale": 1000, "unit": "本/千人",
         "decimals": 1, "baseline": 95.0, "baseline_year": "FY2023", "target": 110.0, "target_year": "FY2030"}
TREES_CSV = ("fiscal_year,street_trees,population,note\n"
             "FY2023,9215,97000,made up for the test\n"
             "FY2026,10050,98000,made up for the test\n")


def _kawabe_with_trees(tmp_path):
    spec = yaml.safe_load(KAWABE.read_text(encoding="utf-8"))
    spec["indicators"].append(dict(TREES))
    spec["analysis"]["sections"]["indicators"] = {"admin": True}
    path = tmp_path / "kawabe_parks_2026.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    admin = tmp_path / "kawabe_admin.csv"
    admin.write_text(TREES_CSV, encoding="utf-8")
    return path, admin


def test_a_second_city_declares_its_own_admin_indicator(tmp_path):
    path, admin = _kawabe_with_trees(tmp_path)
    q = survey.load_questionnaire(path)
    a = admin_indicators(admin, questionnaire=q, year="FY2026")
    # hand: 1000 × 10,050 trees / 98,000 residents = 102.551 本/千人; FY2023: 1000 × 9,215 / 97,000 = 95.0
    assert a[["id", "label", "unit", "fiscal_year"]].values.tolist() == [
        ["street_trees_per_1000", "人口千人当たりの街路樹の本数", "本/千人", "FY2026"]]
    assert a["value"].iloc[0] == pytest.approx(102.55102040816327, rel=1e-15)
    assert admin_indicators(admin, questionnaire=q, year="FY2023")["value"].iloc[0] == pytest.approx(95.0, rel=1e-15)
    # midori's admin file lacks kawabe's column: the reader names it and who needs it
    with pytest.raises(survey.InputError, match="the admin file has no column 'street_trees', the numerator of "
                                                "indicator street_trees_per_1000; add the column to the file, or fix "
                                                "numerator: of the indicator in questionnaire kawabe_parks"):
        admin_indicators(ROOT / "data" / "midori_admin.csv", questionnaire=q)
    design = survey.weight_wave(survey.load(ROOT / "data" / "raw" / "kawabe_parks_2026_sample.csv", q),
                                survey.read_margins(ROOT / "data" / "kawabe_margins.csv"))
    t = indicator_table(design, questionnaire=q, wave="FY2026", admin=admin, admin_year="FY2026").set_index("id")
    assert list(t.index) == ["park_rating", "visits_per_year", "street_trees_per_1000"]
    row = t.loc["street_trees_per_1000"]
    # 102.551 → 102.6 at the declared 1 decimal; 102.6 − 95.0 = 7.6 up; short of the target 110.0
    assert (row["estimate"], row["change"], row["decimals"], row["source"]) == (102.6, 7.6, 1, "admin")
    assert (row["change_verdict"], row["verdict"], row["reference"]) == ("increase_exact", "not_met_exact",
                                                                        "plan_baseline")
    assert np.isnan(row["se"])


def test_a_second_city_runs_end_to_end_with_its_admin_indicator(tmp_path):
    path, admin = _kawabe_with_trees(tmp_path)
    out = tmp_path / "out"
    assert main(["run", "--questionnaire", str(path), "--data", str(ROOT / "data" / "raw" /
                 "kawabe_parks_2026_sample.csv"), "--margins", str(ROOT / "data" / "kawabe_margins.csv"),
                 "--admin", str(admin), "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "FY2026" / "指標_計画の指標.csv", encoding="utf-8-sig").set_index("指標")
    trees = table.loc["人口千人当たりの街路樹の本数"]
    assert (trees["単位"], trees["出典"], trees["今回値"], trees["目標値"]) == ("本/千人", "行政資料", 102.6, 110.0)
    html = (out / "FY2026" / "report.html").read_text(encoding="utf-8")
    assert html.count('class="indicator"') == 3 and "人口千人当たりの街路樹の本数" in html


def test_the_simulation_calibrates_only_to_survey_indicators(tmp_path, capsys):
    # an administrative indicator has no question to calibrate: the message lists the survey ones
    model = yaml.safe_load((ROOT / "questionnaires" / "midori_2025_simulation.yaml").read_text(encoding="utf-8"))
    model["questionnaire"] = str(QUESTIONNAIRE)
    model["answers"]["satisfaction"]["calibrate"] = "green_share"
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(model, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert main(["simulate", "--model", str(path), "--out", str(tmp_path / "out")]) == 2
    assert ("calibrate names 'green_share', which is not an indicator of questionnaire midori on 'satisfaction' "
            "(score_mean, with a baseline); known: ['satisfaction_index', 'park_use']") in capsys.readouterr().err
