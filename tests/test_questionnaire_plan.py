"""survey.questionnaire_plan: the analysis plan declared under ``analysis:``."""
from __future__ import annotations

import copy

import pytest
import yaml

from survey.errors import SpecError
from survey.questionnaire import parse_questionnaire
from survey.questionnaire_plan import HTML_KINDS, KINDS

from conftest import QUESTIONNAIRE

SPEC = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))


def _plan(edit=None, path="q.yaml"):
    spec = copy.deepcopy(SPEC)
    if edit is not None:
        edit(spec["analysis"])
    return parse_questionnaire(spec, path=path).plan


def test_midori_plan_declares_todays_report(questionnaire):
    plan = questionnaire.plan
    assert plan.groups == ("age_band", "district", "sex")
    assert plan.raked == ("age_band", "sex", "district")
    assert [(r.question, r.column) for r in plan.rake] == [("age_band", "age_band"), ("sex", "sex"),
                                                           ("district", "district")]
    assert plan.cells == ("district", "age_band")
    assert [s.name for s in plan.workbook] == ["調査概要", "単純集計", "満足度", "配分", "重要施策", "指標", "自由記述",
                                               "クロス集計", "標本誤差", "計画"]
    assert plan.workbook[2].sections == ("satisfaction", "parks", "drivers", "reliability", "trend")
    assert plan.html == ("satisfaction", "parks", "allocation", "priorities", "freetext", "indicators")
    sat = plan.section("satisfaction")
    assert (sat.kind, sat.question, sat.by) == ("index", "satisfaction", ("age_band", "district", "sex"))
    assert sat.get("chart_by") == ("age_band", "district") and sat.get("indicator") == "satisfaction_index"
    assert plan.section("parks").by == ("district",)           # one attribute becomes a one-tuple
    assert plan.section("reliability").kind == "reliability"   # kind defaults to the section's id
    assert dict(plan.section("drivers").get("reference")) == {"park_use": 6}
    assert [s.id for s in plan.of_kind("index")] == ["satisfaction"]
    assert sat.get("title", "default") == "default"


def test_no_analysis_block_means_no_plan():
    spec = copy.deepcopy(SPEC)
    spec.pop("analysis")
    assert parse_questionnaire(spec).plan is None


def test_margins_column_may_differ_from_the_attribute():
    plan = _plan(lambda a: a["weighting"].update(rake=[{"question": "age_band", "column": "nendai"}, "district"]))
    assert [(r.question, r.column) for r in plan.rake] == [("age_band", "nendai"), ("district", "district")]


def test_html_kinds_are_the_analyses():
    assert set(HTML_KINDS) == set(KINDS) - {"overview", "tally", "crosstabs", "sampling_error", "next_wave"}


def _drop_section(a, sid):
    a["sections"].pop(sid)
    for sheet in a["workbook"]:
        sheet["sections"] = [s for s in sheet["sections"] if s != sid]
    a["workbook"] = [s for s in a["workbook"] if s["sections"]]
    a["html"] = [s for s in a["html"] if s != sid]


def test_a_plan_without_a_section_drops_it():
    plan = _plan(lambda a: _drop_section(a, "freetext"))
    assert "自由記述" not in [s.name for s in plan.workbook] and "freetext" not in plan.html


@pytest.mark.parametrize("edit, key, message", [
    (lambda a: a.update(sheets=[]), "analysis.sheets", "unknown key 'sheets'; the plan has groups"),
    (lambda a: a.pop("workbook"), "analysis", "the plan needs 'workbook'"),
    (lambda a: a.update(groups="age_band, district"), "analysis.groups", "'age_band, district' is not in questionnaire"),
    (lambda a: a.update(groups=["age_band", "age_band"]), "analysis.groups", "names 'age_band' twice"),
    (lambda a: a.update(groups=["park_use"]), "analysis.groups", "'park_use' is not an attribute with codes"),
    (lambda a: a.update(groups=[1]), "analysis.groups", "must be a list of names"),
    (lambda a: a["weighting"].pop("rake"), "analysis.weighting", "the plan needs weighting: {rake"),
    (lambda a: a["weighting"].update(rake=["sex", "sex"]), "analysis.weighting.rake[1]", "'sex' is raked twice"),
    (lambda a: a["weighting"].update(rake=[{"question": "sex", "column": "age_band"}, "age_band"]),
     "analysis.weighting.rake", "margins column 'age_band' is named for two attributes"),
    (lambda a: a["weighting"].update(rake=[{"attribute": "sex"}]), "analysis.weighting.rake[0]",
     "a raked attribute is a name or {question"),
    (lambda a: a["weighting"].update(cells=["district"]), "analysis.weighting.cells", "cells names two attributes"),
    (lambda a: a["weighting"].update(colour="green"), "analysis.weighting.colour", "weighting has rake, cells"),
    (lambda a: a["weighting"].pop("cells"), "analysis.sections.next_wave", "a next_wave section needs the cells"),
    (lambda a: a["sections"].update(pie={"kind": "pie"}), "analysis.sections.pie.kind", "unknown section kind 'pie'"),
    (lambda a: a["sections"]["satisfaction"].update(segments=True), "analysis.sections.satisfaction.segments",
     "'segments' is not an option of a section of kind index"),
    (lambda a: a["sections"]["satisfaction"].pop("question"), "analysis.sections.satisfaction",
     "a section of kind index needs a question"),
    (lambda a: a["sections"]["satisfaction"].update(question="satisfation"),
     "analysis.sections.satisfaction.question", "question 'satisfation' is not in questionnaire midori"),
    (lambda a: a["sections"]["satisfaction"].update(question="park_use"), "analysis.sections.satisfaction.question",
     "a section of kind index needs a likert question; 'park_use' is a single question"),
    (lambda a: a["sections"]["satisfaction"].update(question="importance"),
     "analysis.sections.satisfaction.question", "'importance' is a matrix"),
    (lambda a: a["sections"]["parks"].update(question="children"), "analysis.sections.parks.question",
     "'children' has no numeric_map"),
    (lambda a: a["sections"]["reliability"].update(question="satisfaction"),
     "analysis.sections.reliability.question", "'satisfaction' is not a matrix of two or more items"),
    (lambda a: a["sections"]["parks"].pop("by"), "analysis.sections.parks", "a section of kind frequency needs by"),
    (lambda a: a["sections"]["parks"].update(by=["district"]), "analysis.sections.parks.by",
     "by names one attribute"),
    (lambda a: a["sections"]["satisfaction"].update(indicator="green_index"),
     "analysis.sections.satisfaction.indicator", "indicator 'green_index' is not declared under indicators:"),
    (lambda a: a["sections"]["allocation"].update(segments="yes"), "analysis.sections.allocation.segments",
     "segments must be true or false"),
    (lambda a: a["sections"]["priorities"].update(min_model_n=2.5), "analysis.sections.priorities.min_model_n",
     "min_model_n must be a whole number >= 1"),
    (lambda a: a["sections"]["next_wave"].update(half_width=0), "analysis.sections.next_wave.half_width",
     "half_width must be a positive number"),
    (lambda a: a["sections"]["allocation"].update(unit=""), "analysis.sections.allocation.unit",
     "unit must be non-empty text"),
    (lambda a: a["sections"]["drivers"].update(predictors=["age_band", "allocation"]),
     "analysis.sections.drivers.predictors", "'allocation' is a allocation question"),
    (lambda a: a["sections"]["drivers"].update(reference={"park_use": 7}), "analysis.sections.drivers.reference.park_use",
     "7 is not a code of 'park_use'"),
    (lambda a: a["sections"]["drivers"].update(reference={"children": 1}), "analysis.sections.drivers.reference.children",
     "'children' is not one of the predictors"),
    (lambda a: a["sections"]["drivers"].pop("predictors"), "analysis.sections.drivers",
     "a section of kind drivers needs predictors"),
    (lambda a: a["workbook"][2]["sections"].append("satisfactoin"), "analysis.workbook[2].sections",
     "lists section 'satisfactoin', which is not declared"),
    (lambda a: a["workbook"][3]["sections"].append("satisfaction"), "analysis.workbook[3].sections",
     "section 'satisfaction' is in sheets '満足度' and '配分'; a section goes into one sheet"),
    (lambda a: a["workbook"][3].update(sheet="満足度"), "analysis.workbook[3].sheet", "sheet name '満足度' is used twice"),
    (lambda a: a["workbook"][3].update(sheet="配分" * 16), "analysis.workbook[3].sheet", "Excel refuses it"),
    (lambda a: a["workbook"][3].update(colour="green"), "analysis.workbook[3].colour", "unknown key 'colour'"),
    (lambda a: a["workbook"][3].update(sections=[]), "analysis.workbook[3].sections", "lists no section"),
    (lambda a: a["workbook"].pop(2), "analysis.sections.drivers", "section 'drivers' is in no sheet and not in html"),
    (lambda a: a["html"].append("crosstabs"), "analysis.html", "section 'crosstabs' (crosstabs) has no part in report.html"),
    (lambda a: a["html"].append("pie"), "analysis.html", "html lists section 'pie', which is not declared"),
    (lambda a: a.update(sections=[]), "analysis.sections", "sections must be a mapping"),
    (lambda a: a["sections"]["indicators"].update(admin=False), None, None),   # fine: midori declares indicators
])
def test_broken_plans_name_the_key_and_the_fix(edit, key, message):
    if key is None:
        assert _plan(edit) is not None
        return
    with pytest.raises(SpecError) as info:
        _plan(edit)
    assert f"[file q.yaml, key {key}]" in str(info.value)
    assert message in str(info.value)


def test_what_the_questions_must_carry():
    spec = copy.deepcopy(SPEC)
    park = next(q for q in spec["questions"] if q["id"] == "park_use")
    park["numeric_map"] = {1: 300, 2: 130, 3: 52, 4: 18, 5: 4, 6: 1}
    with pytest.raises(SpecError, match=r"key analysis.sections.parks.question\] the numeric_map of 'park_use' "
                                        r"maps no code to 0"):
        parse_questionnaire(spec, path="q.yaml")
    spec = copy.deepcopy(SPEC)
    spec.pop("indicators")
    spec["analysis"]["sections"]["satisfaction"].pop("indicator")
    spec["analysis"]["sections"]["indicators"]["admin"] = False
    with pytest.raises(SpecError, match="a section of kind indicators needs indicators: in the questionnaire"):
        parse_questionnaire(spec, path="q.yaml")
    spec["analysis"]["sections"]["indicators"]["admin"] = True
    # admin: true shows the administrative indicators: the questionnaire must declare them (issue 17)
    with pytest.raises(SpecError, match="a section of kind indicators needs indicators: in the questionnaire with "
                                        "source: admin when it says admin: true"):
        parse_questionnaire(spec, path="q.yaml")
    spec["indicators"] = [i for i in SPEC["indicators"] if i.get("source") == "admin"]
    assert parse_questionnaire(spec).plan.section("indicators").get("admin") is True
