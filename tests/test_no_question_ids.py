"""No question id appears as a literal in survey/ (issue 17): the code is general, the
questionnaire files (and their analysis plans) say what a survey asks and reports, and
the simulation model files beside them how a synthetic population answers it.

Every string literal of survey/**/*.py (docstrings and comments are free to give
examples) is compared with the ids and tidy columns of every questionnaire in
questionnaires/.  Words of the questionnaire format itself are allowed where they mean
the format: a question type ("allocation" is also midori's question id) -- but never as
a subscript (``questionnaire["allocation"]``).
"""
from __future__ import annotations

import ast
from pathlib import Path

from survey.questionnaire import QUESTION_TYPES, load_questionnaire

from conftest import ROOT
from helpers import string_literals

SURVEY = ROOT / "survey"
#: Data files beside the questionnaires that are not questionnaires: the keyword
#: dictionaries and the simulation models (their questions are the questionnaire's).
SIDE_FILES = ("_keywords.yaml", "_simulation.yaml")


def question_ids() -> dict[str, str]:
    """``{id or tidy column: questionnaire file}`` of every bundled questionnaire."""
    out = {}
    for path in sorted((ROOT / "questionnaires").glob("*.yaml")):
        if path.name.endswith(SIDE_FILES):
            continue
        q = load_questionnaire(path)
        for question in q.questions:
            for name in (question.id, *question.columns):
                out[name] = path.name
    return out


def literals(path: Path, ids) -> list[tuple[int, str]]:
    """``(line, literal)`` of the string literals of ``path`` that are question ids."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    subscripts = {id(node.slice) for node in ast.walk(tree) if isinstance(node, ast.Subscript)}
    found = []
    for node, text in string_literals(tree, join_fstrings=False):
        if text in ids and (text not in QUESTION_TYPES or id(node) in subscripts):
            found.append((node.lineno, text))
    return sorted(found)


def test_the_questionnaires_give_the_ids_to_look_for():
    ids = question_ids()
    for name in ("satisfaction", "allocation", "policy", "importance", "age_band", "district", "sex", "park_use",
                 "comment", "imp_rain", "alloc_rain", "policy_1", "activity_8",      # midori_2025.yaml
                 "rating", "park_budget", "wishes", "area", "age_group", "bud_play"):      # kawabe_parks_2026.yaml
        assert name in ids, name


def test_no_question_id_is_a_literal_in_the_package():
    ids = question_ids()
    found = {}
    for path in sorted(SURVEY.rglob("*.py")):
        hits = literals(path, ids)
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    assert found == {}, f"question ids written into the code (read them from the questionnaire or its plan): {found}"


def test_the_check_catches_what_it_should(tmp_path):
    ids = question_ids()
    code = tmp_path / "x.py"
    code.write_text('"""Docstrings may say "satisfaction" and q["policy"]."""\n'
                    'def f(q, t):\n'
                    '    """e.g. ``district``."""\n'
                    '    a = q["satisfaction"]             # a question by its id\n'
                    '    b = q["allocation"]               # a type word used as an id\n'
                    '    c = t.type == "allocation"        # the type word: fine\n'
                    '    d = f"{t}district"                # an id as a part of an f-string\n'
                    '    return a, b, c, d, ("age_band", "rating")\n', encoding="utf-8")
    assert literals(code, ids) == [(4, "satisfaction"), (5, "allocation"), (7, "district"), (8, "age_band"),
                                   (8, "rating")]


def test_the_simulator_reads_its_questions_from_the_model_files():
    """The simulator (survey/simulate) is part of the check: the questions it simulates and
    their parameters are in the model files beside the questionnaires."""
    models = sorted(p.name for p in (ROOT / "questionnaires").glob("*_simulation.yaml"))
    assert "midori_2025_simulation.yaml" in models
    assert list((SURVEY / "simulate").glob("*.py"))        # scanned by the test above
