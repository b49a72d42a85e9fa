from pathlib import Path

import pytest
import yaml

from survey.errors import SpecError
from survey.questionnaire import load_questionnaire, parse_questionnaire

from conftest import QUESTIONNAIRE


def test_midori_questionnaire_parses(questionnaire):
    q = questionnaire
    assert q.id == "midori" and q.version == "2025.1"
    assert [a.id for a in q.attributes] == ["sex", "age_band", "district", "years_lived", "children"]
    assert dict(q["district"].codes) == {1: "内間木", 2: "北部", 3: "東部", 4: "西部", 5: "南部"}
    assert dict(q["satisfaction"].scores) == {1: 1.0, 2: 0.5, 3: 0.0, 4: -0.5, 5: -1.0}
    assert 6 not in q["satisfaction"].scores  # わからない has no score
    assert q["satisfaction"].missing[9] == "無回答"
    assert q["park_use"].numeric_map[6] == 0 and q["park_use"].numeric_map[1] == 300
    alloc = q["allocation"]
    assert alloc.total == 1000 and len(alloc.columns) == 10
    assert [i.label for i in alloc.items][-1] == "防災"
    pol = q["policy"]
    assert pol.depth == 3 and len(pol.codes) == 12 and pol.columns == ("policy_1", "policy_2", "policy_3")
    assert pol.codes[1] == "みどり豊かで安全に歩ける歩道空間の整備"
    act = q["activity"]
    assert act.max_choices == 3 and act.over_limit == "keep_lowest"
    assert act.codes[1] == "市民農園などで野菜や草花を生産する"
    assert q["park_reason"].asked_if[0].column == "park_use"
    assert q.columns[0] == "id" and len(q.columns) == len(set(q.columns))


def test_the_questionnaire_names_its_municipality(questionnaire, tmp_path):
    # the report's sentences name the city from here (issue 17: no 朝霞市 in the templates)
    assert questionnaire.municipality == "朝霞市"
    kawabe = load_questionnaire(QUESTIONNAIRE.parent / "kawabe_parks_2026.yaml")
    assert kawabe.municipality == "川辺市"
    # optional: without it the report names no city
    assert load_questionnaire(_broken(tmp_path, lambda s: s.pop("municipality"))).municipality == ""
    for bad in ("", "  ", "朝霞市\n北部", ["朝霞市"], 112275):
        with pytest.raises(SpecError, match=r"broken\.yaml.*municipality.*municipality must be one line of "
                                            r"non-empty text naming the city, town or village \(e\.g\. 朝霞市\)"):
            load_questionnaire(_broken(tmp_path, lambda s: s.update(municipality=bad)))


def test_questionnaire_objects_are_frozen(questionnaire):
    with pytest.raises(Exception):
        questionnaire["sex"].id = "x"
    with pytest.raises(TypeError):
        questionnaire["sex"].codes[4] = "x"


def _spec():
    return yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))


def _broken(tmp_path, mutate):
    spec = _spec()
    mutate(spec)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def test_unknown_type_names_file_key_and_fix(tmp_path):
    path = _broken(tmp_path, lambda s: s["questions"][0].update(type="dropdown"))
    with pytest.raises(SpecError, match=r"broken\.yaml.*questions\[0\] \(sex\)\.type.*unknown type 'dropdown'; use one of single"):
        load_questionnaire(path)


def test_duplicate_code_is_rejected(tmp_path):
    def mutate(s):
        s["questions"][0]["codes"] = [{"code": 1, "label": "男性"}, {"code": 1, "label": "女性"}]
    with pytest.raises(SpecError, match=r"duplicate code 1"):
        load_questionnaire(_broken(tmp_path, mutate))


def test_skip_logic_to_missing_question(tmp_path):
    def mutate(s):
        q = next(q for q in s["questions"] if q["id"] == "park_reason")
        q["asked_if"] = [{"column": "park_usage", "in": [6]}]
    with pytest.raises(SpecError, match=r"park_reason\)\.asked_if.*'park_usage', which is not a question"):
        load_questionnaire(_broken(tmp_path, mutate))


def test_skip_logic_must_point_backwards(tmp_path):
    def mutate(s):
        q = next(q for q in s["questions"] if q["id"] == "sex")
        q["asked_if"] = [{"column": "district", "in": [1]}]
    with pytest.raises(SpecError, match="not asked before sex"):
        load_questionnaire(_broken(tmp_path, mutate))


def test_scores_for_undeclared_code(tmp_path):
    def mutate(s):
        q = next(q for q in s["questions"] if q["id"] == "satisfaction")
        q["scores"][7] = 2.0
    with pytest.raises(SpecError, match=r"scores given for codes \[7\]"):
        load_questionnaire(_broken(tmp_path, mutate))


def test_missing_required_key_and_unknown_key(tmp_path):
    with pytest.raises(SpecError, match=r"missing required key 'total'"):
        load_questionnaire(_broken(tmp_path, lambda s: next(q for q in s["questions"] if q["id"] == "allocation").pop("total")))
    with pytest.raises(SpecError, match=r"unknown key\(s\) \['colour'\]"):
        load_questionnaire(_broken(tmp_path, lambda s: s["questions"][1].update(colour="red")))


def test_invalid_yaml_and_unsafe_tags(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nquestions: [\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"bad\.yaml.*invalid YAML at line"):
        load_questionnaire(bad)
    evil = tmp_path / "evil.yaml"
    evil.write_text("id: !!python/object/apply:os.system ['echo hi']\nversion: 1\nquestions: []\n", encoding="utf-8")
    with pytest.raises(SpecError, match="invalid YAML"):
        load_questionnaire(evil)


def test_ranking_depth_bounds():
    spec = {"id": "t", "version": "1", "questions": [
        {"id": "r", "text": "rank", "type": "ranking", "depth": 5, "codes": {1: "a", 2: "b"}}]}
    with pytest.raises(SpecError, match="depth 5 must be between 1 and the number of items 2"):
        parse_questionnaire(spec)
