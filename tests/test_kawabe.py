"""A second questionnaire end to end: 川辺市 公園利用者アンケート (questionnaires/kawabe_parks_2026.yaml).

Other ids and headings than midori, four districts, a 4-level satisfaction scale scored
+2 … −2, a 100-point allocation over six uses, a top-2 ranking, no free text, and margins
whose columns (chiku, nendai) are not the question ids.  The delivery and the margins
come from its simulation model (questionnaires/kawabe_parks_2026_simulation.yaml, seed 2026:
`survey simulate --questionnaire questionnaires/kawabe_parks_2026.yaml --wave FY2026`, or
scripts/simulate_kawabe.py).  Reference figures are hand computations on the raked weights,
written out below.
"""
from __future__ import annotations

import importlib.util
import json
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

import survey
from survey.cli import main

from conftest import ROOT

Q = ROOT / "questionnaires" / "kawabe_parks_2026.yaml"
DATA = ROOT / "data" / "raw" / "kawabe_parks_2026_sample.csv"
MARGINS = ROOT / "data" / "kawabe_margins.csv"
TRUTH = ROOT / "data" / "kawabe_parks_2026_truth.json"
SHEETS = ["概要", "単純集計", "満足度", "利用頻度", "予算配分", "優先整備", "指標", "クロス集計", "標本誤差", "次回の配布計画"]


def _csv(folder, name) -> pd.DataFrame:
    return pd.read_csv(folder / name, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("kawabe")
    # --admin is midori's default file: the plan does not ask for the area indicators, so it is not read
    assert main(["run", "--questionnaire", str(Q), "--data", str(DATA), "--margins", str(MARGINS),
                 "--out", str(out), "--quiet"]) == 0
    return out / "FY2026"


@pytest.fixture(scope="module")
def wave():
    q = survey.load_questionnaire(Q)
    ds = survey.load(DATA, q)
    design = survey.weight_wave(ds, survey.read_margins(MARGINS))   # rakes area from chiku, age_group from nendai
    return q, ds, design, design.weights.to_numpy()


def test_the_simulation_script_reproduces_the_bundled_files(tmp_path):
    from test_simulate import assert_same_truth

    spec = importlib.util.spec_from_file_location("simulate_kawabe", ROOT / "scripts" / "simulate_kawabe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "raw" / "kawabe_parks_2026_sample.csv").read_bytes() == DATA.read_bytes()
    assert (tmp_path / "kawabe_margins.csv").read_bytes() == MARGINS.read_bytes()
    assert_same_truth(tmp_path / "kawabe_parks_2026_truth.json", TRUTH)
    assert module.main(["--out", str(tmp_path)]) == 2        # the delivery is not replaced without --force


def test_the_report_holds_exactly_the_declared_sections(report):
    book = openpyxl.load_workbook(report / "集計表.xlsx", read_only=True)
    assert book.sheetnames == SHEETS
    html = (report / "report.html").read_text(encoding="utf-8")
    main_part = html[html.index("<main>"):]
    sections = [s for s in re.findall(r'<section id="([^"]+)">', main_part) if s not in ("headline", "methods",
                                                                                       "provenance")]
    assert sections == ["rating", "visits", "wishes", "budget", "indicators"]
    assert "自由記述" not in html and "みどり" not in html and "朝霞" not in html
    names = {p.name for p in report.iterdir()}
    tables = {"満足度": ["満足度スコア", "回答分布", "グループ間の差", "設備の評価の信頼性"], "利用頻度": ["居住地区別の公園利用"],
              "予算配分": ["平均配分点", "0点と回答した人の割合", "配分パターンによるグループ"],
              "優先整備": ["1位・2位までに選んだ割合", "年代による違いの検定", "モデル予測：2位までに選ばれる確率"],
              "指標": ["計画の指標"], "計画": ["概要", "居住地区別", "配布数", "目標", "見込み精度", "標本誤差", "方法比較"]}
    expected = {f"{sheet}_{title}.csv" for sheet, titles in tables.items() for title in titles}   # named after titles
    expected |= {"行の記録.csv", "除外行.csv", "修正セル.csv", "単純集計.csv", "クロス集計.csv", "標本誤差.csv", "目次.csv",
                 "集計表.xlsx", "report.html", "provenance.json"}     # no opendata/: the plan declares none
    assert names == expected
    # the headline: the questionnaire's two indicators, no area indicators of midori's admin table
    assert html.count('class="indicator"') == 2 and "公園の満足度スコア" in html


def test_weights_reach_the_margins_named_chiku_and_nendai(wave):
    q, ds, design, w = wave
    margins = pd.read_csv(MARGINS)
    assert len(ds.data) == 926 and w.sum() == pytest.approx(margins["count"].sum(), rel=1e-10)   # 98,000 adults
    by_area = pd.Series(w).groupby(ds.data["area"].to_numpy(dtype=float, na_value=np.nan)).sum()
    want = margins.groupby("chiku")["count"].sum()
    for code in (1, 2, 3, 4):   # 26,000 / 34,000 / 22,000 / 16,000 (no respondent left the district blank)
        assert by_area[float(code)] == pytest.approx(want[code], rel=1e-8)


def test_the_index_is_the_weighted_mean_score(report, wave):
    """満足度スコア: scores {1: +2, 2: +1, 3: -1, 4: -2}; 無回答 and the cleared code 5 left out."""
    q, ds, design, w = wave
    codes = ds.data["rating"].to_numpy(dtype=float, na_value=np.nan)
    score = pd.Series(codes).map({1.0: 2.0, 2.0: 1.0, 3.0: -1.0, 4.0: -2.0}).to_numpy()
    ok = ~np.isnan(score)
    hand = float(np.sum(w[ok] * score[ok]) / np.sum(w[ok]))     # by hand: sum w y / sum w over answers
    engine = design.with_columns(score=score).mean("score").to_frame()["estimate"].iloc[0]   # R svymean(na.rm=TRUE)
    assert engine == pytest.approx(hand, abs=1e-12)
    table = _csv(report, "満足度_満足度スコア.csv").set_index(["区分", "グループ"])
    assert table.loc[("全体", "全体"), "満足度スコア（重み付け）"] == round(hand, 3) == 0.220
    assert table.loc[("全体", "全体"), "回答者数 n（重みなし）"] == ok.sum() == 904
    area = ds.data["area"].to_numpy(dtype=float, na_value=np.nan)
    for code, label in q["area"].codes.items():
        sel = ok & (area == code)
        by_hand = np.sum(w[sel] * score[sel]) / np.sum(w[sel])
        assert table.loc[("居住地区", label), "満足度スコア（重み付け）"] == round(by_hand, 3)
    assert table.loc[("居住地区", "丘陵地区"), "満足度スコア（重み付け）"] == 0.681   # the most satisfied district
    assert table.loc[("居住地区", "港地区"), "満足度スコア（重み付け）"] == -0.495    # the least


def test_visits_a_year_by_hand(report, wave):
    q, ds, design, w = wave
    times = ds.data["visits"].map(dict(q["visits"].numeric_map)).to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(times)
    city = _csv(report, "利用頻度_居住地区別の公園利用.csv").set_index("居住地区").loc["市全体"]
    assert city["年間利用回数（重み付け）"] == round(np.sum(w[ok] * times[ok]) / np.sum(w[ok]), 1) == 52.7
    never = np.sum(w[ok] * (times[ok] == 0)) / np.sum(w[ok])       # 行かない, the code mapped to 0
    assert city["「行かない」の割合(%)（重み付け）"] == round(100 * never, 1) == 10.0


def test_the_100_points_by_hand(report, wave):
    """Mean points per use over the answers adding up to 100 (policy reject), to a tenth of a point."""
    q, ds, design, w = wave
    parts = list(q["park_budget"].columns)
    y = ds.data[parts].to_numpy(dtype=float, na_value=np.nan)
    valid = ~np.isnan(y).any(axis=1) & (np.nansum(y, axis=1) == 100)
    assert valid.sum() == 882            # 926 − 43 blank − 1 adding up to 105 (its parts cleared: policy reject)
    assert set(_csv(report, "予算配分_0点と回答した人の割合.csv")["回答者数 n（重みなし）"]) == {882}
    means = (w[valid, None] * y[valid]).sum(axis=0) / w[valid].sum()
    table = _csv(report, "予算配分_平均配分点.csv").set_index("予算の使いみち（平均配分点・点）（重み付け）")
    labels = [it.label for it in q["park_budget"].items]
    np.testing.assert_array_equal(table.loc[labels, "全体"].to_numpy(), np.round(means, 1))
    assert table.loc["トイレの改修", "全体"] == 21.5 and means.sum() == pytest.approx(100, abs=1e-9)


def test_the_top_two_by_hand(report, wave):
    q, ds, design, w = wave
    first = ds.data["wishes_1"].to_numpy(dtype=float, na_value=np.nan)
    second = ds.data["wishes_2"].to_numpy(dtype=float, na_value=np.nan)
    answered = ~np.isnan(first)                                   # base: gave at least a first choice
    table = _csv(report, "優先整備_1位・2位までに選んだ割合.csv")
    total = table[table["区分"] == "全体"].set_index("整備")
    for code, label in q["wishes"].codes.items():
        first_share = np.sum(w[answered & (first == code)]) / np.sum(w[answered])
        top2 = np.sum(w[answered & ((first == code) | (second == code))]) / np.sum(w[answered])
        borda = np.sum(w[answered] * (2 * (first[answered] == code) + (second[answered] == code))) / np.sum(w[answered])
        assert total.loc[label, "1位に選んだ割合(%)（重み付け）"] == round(100 * first_share, 1)
        assert total.loc[label, "2位までに選んだ割合(%)（重み付け）"] == round(100 * top2, 1)
        assert total.loc[label, "得点（1位2点・2位1点）"] == round(borda, 2)
    assert total.loc["子どもの遊び場の充実", "2位までに選んだ割合(%)（重み付け）"] == 37.1
    tests = _csv(report, "優先整備_年代による違いの検定.csv")
    assert tests["要因"].tolist() == ["年代"] and tests["自由度"].tolist() == ["35, 884"]   # 5 age contrasts × 7 items


def test_validate_finds_the_three_delivery_defects(capsys):
    assert main(["validate", str(DATA), "--questionnaire", str(Q), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    found = {(f["rule"], f["row"], f["value"]) for f in report["failures"]
             if f["rule"] in ("invalid_code", "allocation_total", "ranking_duplicate")}
    # the defects the truth file lists (0-based rows; validate counts data rows from 1): a rating code 5
    # (the rating has 1-4), 105 points (a part 10 -> 15), item 1 ranked second as well as first
    defects = json.loads(TRUTH.read_text(encoding="utf-8"))["defects"]
    assert [(d["kind"], d["row"], d["after"]) for d in defects] == [
        ("out_of_range_code", 100, "5"), ("allocation_total", 637, "15"), ("rank_duplicate", 214, "1")]
    assert found == {("invalid_code", 101, "5"), ("allocation_total", 638, "105"), ("ranking_duplicate", 215, "1")}
    assert report["errors"] == 1


def test_plan_plans_district_by_age_cells(tmp_path):
    assert main(["plan", "--questionnaire", str(Q), "--data", str(DATA), "--margins", str(MARGINS),
                 "--half-width", "0.1", "--district-half-width", "0.25", "--out", str(tmp_path), "--quiet"]) == 0
    folder = tmp_path / "FY2026-plan"
    mailing = pd.read_csv(folder / "mailing.csv", encoding="utf-8-sig")
    assert list(mailing.columns) == ["area", "area_label", "age_group", "age_group_label", "mailed"]
    assert len(mailing) == 24 and mailing["area_label"].iloc[0] == "川辺地区"
    by_area = _csv(folder, "計画_居住地区別.csv")
    assert by_area.columns[0] == "居住地区" and by_area.iloc[-1, 0] == "市全体"
    assert int(by_area["配布数"].iloc[:-1].sum()) == int(mailing["mailed"].sum())
