"""survey.pipeline: `survey run` builds what the questionnaire's plan declares, where it says."""
from __future__ import annotations

import copy
import re

import openpyxl
import pytest
import yaml

from survey.cli import main
from survey.pipeline import SECTIONS, run_wave
from survey.pipeline.base import SectionUnavailable
from survey.questionnaire_plan import KINDS

from conftest import QUESTIONNAIRE, ROOT

DATA = ROOT / "data" / "raw" / "midori_2025_sample.csv"
MARGINS = ROOT / "data" / "midori_margins.csv"
SPEC = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))


def _questionnaire(tmp_path, edit):
    spec = copy.deepcopy(SPEC)
    edit(spec)
    path = tmp_path / "midori_2025.yaml"   # beside it: no keyword dictionary, so no free-text section below
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _without(analysis, *ids):
    for sid in ids:
        analysis["sections"].pop(sid)
    for sheet in analysis["workbook"]:
        sheet["sections"] = [s for s in sheet["sections"] if s not in ids]
    analysis["workbook"] = [s for s in analysis["workbook"] if s["sections"]]
    analysis["html"] = [s for s in analysis["html"] if s not in ids]


def _html_sections(path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    main_part = text[text.index("<main>"):]
    return [s for s in re.findall(r'<section id="([^"]+)">', main_part) if s not in ("headline", "methods",
                                                                                     "provenance")]


def test_every_kind_of_the_plan_has_a_section_builder():
    assert set(SECTIONS) == set(KINDS)


def test_a_smaller_plan_gives_a_smaller_report(tmp_path):
    """Only the declared sections, in the declared order: the 満足度 sheet without park use,
    drivers and reliability keeps the index's three blocks; the html follows `html:`."""
    def edit(spec):
        a = spec["analysis"]
        _without(a, "parks", "drivers", "reliability", "freetext", "next_wave", "crosstabs", "allocation")
        a["html"] = ["priorities", "satisfaction", "indicators"]

    result = run_wave(_questionnaire(tmp_path, edit), DATA, MARGINS, out=tmp_path / "out")
    book = openpyxl.load_workbook(result.out_dir / "集計表.xlsx", read_only=True)
    assert book.sheetnames == ["調査概要", "単純集計", "満足度", "重要施策", "指標", "標本誤差"]
    names = sorted(p.name for p in result.out_dir.glob("満足度_*.csv"))
    assert names == ["満足度_グループ間の差.csv", "満足度_回答分布.csv", "満足度_満足度指数.csv"]
    assert not list(result.out_dir.glob("配分_*.csv")) and not (result.out_dir / "クロス集計.csv").exists()
    assert _html_sections(result.out_dir / "report.html") == ["priorities", "satisfaction", "indicators"]
    text = (result.out_dir / "report.html").read_text(encoding="utf-8")
    assert "ランク付きロジット（不完全順位" in text          # the ranking section's methods sentence
    assert text.count('class="indicator"') == 2              # headline: the two survey indicators (admin: false)


def test_the_bundled_report_holds_exactly_the_plans_sections(bundled_run, questionnaire):
    result = bundled_run
    plan = questionnaire.plan
    book = openpyxl.load_workbook(result.out_dir / "集計表.xlsx", read_only=True)
    # without a baseline wave the trend section has nothing to show; its sheet (満足度) has the others
    assert book.sheetnames == [s.name for s in plan.workbook]
    assert _html_sections(result.out_dir / "report.html") == list(plan.html)


def test_a_section_that_cannot_be_estimated_says_why(tmp_path, monkeypatch):
    def degenerate(spec, ctx):
        raise SectionUnavailable("回答者が2人未満", title="重要度の信頼性")

    monkeypatch.setitem(SECTIONS, "reliability", degenerate)
    result = run_wave(_questionnaire(tmp_path, lambda s: _without(s["analysis"], "freetext")), DATA, MARGINS,
                      out=tmp_path / "out")
    rows = list(openpyxl.load_workbook(result.out_dir / "集計表.xlsx", read_only=True)["満足度"].iter_rows(
        values_only=True))
    assert ("重要度の信頼性", "推定できません：回答者が2人未満") in [r[:2] for r in rows]
    assert any(r[0] == "重要度の信頼性：推定できません：回答者が2人未満" for r in rows)   # the sheet's note


def test_run_without_a_plan_is_refused(tmp_path, capsys):
    path = _questionnaire(tmp_path, lambda s: s.pop("analysis"))
    code = main(["run", "--questionnaire", str(path), "--data", str(DATA), "--margins", str(MARGINS),
                 "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 2
    assert "declares no analysis plan; add an 'analysis:' block" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["run", "plan"])
def test_public_pipelines_stay_importable(name):
    import survey

    assert callable(survey.run_wave) and callable(survey.weight_wave) and callable(survey.read_margins)
    assert callable(getattr(__import__("survey.pipeline", fromlist=["x"]), f"run_{'wave' if name == 'run' else name}"))
