"""The report's Japanese prose catalogue (survey/report/prose.py, templates/prose_ja.yaml;
issue 17 §3: prose out of f-strings). The expected sentences are written out by hand from
the catalogue's fragments and fields."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from survey.report.prose import _catalogue, prose

ROOT = Path(__file__).resolve().parents[1]


def test_fragments_join_without_a_separator_and_fields_are_formatted():
    text = prose("methods.diagnostics", min=0.25, max=4.75, max_min_ratio=19.0, kish_deff=1.23456, n_effective=812.6,
                 n_iter=7, max_margin_error=2.5e-10)
    assert text == ("重みの範囲 0.2〜4.8（最大/最小 19.00）、Kishのデザイン効果 1.235、有効標本サイズ 813、"
                    "レイキング 7 回で収束（周辺度数の最大誤差 2.5e-10）。")
    assert prose("methods.mailing", file="mailing.csv", cells="地区×年代", strata=36, mailed=2000) == (
        "配布数ファイル（mailing.csv：地区×年代 36 層、計 2,000 通）に従う層別抽出として、各回答者の基本ウエイトを"
        "層の母集団数÷配布数とし、層別の分散を用いた。レイキングはこの基本ウエイトから始めた。")
    assert prose("sections.allocation.note_total", total=1000, unit="円") == (
        "合計が1,000円でない回答の扱いは調査票の定義に従う（行の記録を参照）。")


def test_an_unknown_key_names_the_catalogue():
    with pytest.raises(KeyError, match=r"no sentence 'methods\.nothing' in prose_ja\.yaml, sections_ja\.yaml; known under 'methods\.': methods\.diagnostics, methods\.mailing"):
        prose("methods.nothing")


# every sentence is named by the code, every key exists: tests/test_prose_catalogues.py


def test_the_weighting_paragraph_of_a_plan_without_its_own_wording():
    # kawabe declares no weighting.methods: the paragraph is built from its raked attributes
    # (the same sentence the code wrote before the catalogue, checked against main's output)
    from survey.pipeline.page import weighting_methods
    from survey.questionnaire import load_questionnaire

    q = load_questionnaire(ROOT / "questionnaires" / "kawabe_parks_2026.yaml")
    assert weighting_methods(q) == (
        "回答者には、居住地区（4区分）・年代（6区分）の母集団人口に合うよう、レイキング（反復比例調整、Deville & Särndal "
        "1992; R survey の rake() と同じ）で重みを付けた。居住地区・年代が無回答の回答者は、その変数の「不明」区分として扱い、"
        "標本中の割合に応じた母集団数を割り当てた。")


def test_the_bundled_report_carries_the_catalogue_sentences(bundled_run):
    html = (bundled_run.out_dir / "report.html").read_text(encoding="utf-8")
    assert prose("methods.variance") in html
    assert re.search(r"重みの範囲 \d+\.\d〜\d+\.\d（最大/最小 \d+\.\d\d）、Kishのデザイン効果 \d\.\d{3}、", html)


def test_planning_notes_in_japanese_name_the_attributes():
    # the planning API's English notes as the 計画 sheet says them (the same sentences as before
    # the catalogue: compared note by note with the f-string version when they moved)
    from types import SimpleNamespace

    from survey.report.planning_tables import note_ja

    inputs = SimpleNamespace(names={"district": "地区", "age_band": "年代"},
                             labels={"satisfaction": "満足度", "district": {1: "内間木", 2: "本町"}})
    assert note_ja(inputs, "12 respondent(s) with unknown district/age_band spread over the cells "
                           "(returned counts x 1.02)") == "12人は地区・年代が不明のため、各セルに按分した（回収数 × 1.02）"
    assert note_ja(inputs, "satisfaction district 2: this wave's SE 0.03 alone exceeds what a change of 0.05 allows; "
                           "no next wave can reach it (use against='plan' or a larger change)") == (
        "満足度 地区 本町：今回の調査の標準誤差 0.03 だけで変化 0.05 の検出に許される誤差を超えるため、次回調査では届かない"
        "（計画値との比較にするか、より大きな変化を指定）")
    assert note_ja(inputs, "something else") == "something else"
