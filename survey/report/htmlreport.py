"""Assemble ``report.html`` for a wave from the analysis tables."""
from __future__ import annotations

import pandas as pd

from survey.report import charts, present
from survey.report.analyses import TOTAL, WaveTables
from survey.report.format import cell_kind, column_kinds, fmt_number, kind_text
from survey.report.html import Figure, Indicator, Methods, Section, Table, write_html

__all__ = ["write_wave_html", "headline_indicators", "METHODS_WEIGHTING", "METHODS_VARIANCE"]

METHODS_WEIGHTING = (
    "回答者には、年齢（6区分）・性別・地区（5地区）の母集団人口（住民基本台帳）に合うよう、"
    "レイキング（反復比例調整、Deville & Särndal 1992; R survey の rake() と同じ）で重みを付けた。"
    "性別・年齢・地区が無回答の回答者は、その変数の「不明」区分として扱い、標本中の割合に応じた母集団数を割り当てた。"
)
METHODS_VARIANCE = (
    "標準誤差は線形化（テイラー展開）法による設計ベースの推定量で、レイキングによる較正を考慮する"
    "（較正変数への回帰残差を用いる。R survey の svymean と同じ数値）。割合の信頼区間はロジット法（svyciprop）、"
    "グループ間の差は設計ベースのWald検定で、多重比較は Holm 法で調整した。重要施策の順位は上位3位の"
    "ランク付きロジット（不完全順位の Plackett–Luce モデル）を疑似最尤法で推定し、標準誤差はサンドイッチ推定量による。"
)


def _decimals(values) -> int:
    """Decimals needed to show already-rounded numbers (at most 4)."""
    finite = [v for v in values if isinstance(v, float) and v == v]
    for d in range(5):
        if all(abs(round(v, d) - v) < 1e-9 for v in finite):
            return d
    return 4


def _table(caption, frame: pd.DataFrame, note: str = "") -> Table:
    """A Table whose float columns keep the precision they were rounded to;
    p-values, yen and percentages as their kind says (``<0.001``, ``1,000``, ``12.0``)."""
    formats = {}
    kinds = column_kinds(frame)
    for col in frame.columns:
        if kinds.get(col) in ("p", "yen", "percent"):
            formats[col] = (lambda v, k=kinds[col]: kind_text(v, k).lstrip("¥") if cell_kind(v, k) else
                            ("" if v is None or v != v else str(v)))
        elif pd.api.types.is_float_dtype(frame[col]):
            d = _decimals(frame[col].tolist())
            formats[col] = (lambda v, d=d: "" if v != v else f"{v:,.{d}f}")
    return Table(caption, frame, formats=formats, note=note)


_UNIT_DIGITS = {"ポイント": 2, "回/年": 1, "%": 1, "m²/人": 2}


def headline_indicators(tables: WaveTables) -> list[Indicator]:
    out = []
    for row in tables.indicators.itertuples(index=False):
        digits = _UNIT_DIGITS.get(row.unit, 2)
        ci = "" if pd.isna(row.ci_low) else present.ci_text([row.ci_low], [row.ci_high], digits=digits)[0]
        out.append(Indicator(label=row.label, value=fmt_number(row.estimate, digits=digits), ci=ci,
                             baseline=f"{row.baseline:.{digits}f}（{row.baseline_year}）",
                             target=f"{row.target:.{digits}f}（{row.target_year}）",
                             unit=row.unit, n="" if pd.isna(row.n) else f"{int(row.n):,}", note=row.verdict_ja))
    return out


def _satisfaction_section(t: WaveTables, questionnaire) -> Section:
    ind = {i["id"]: i for i in questionnaire.indicators}.get("satisfaction_index", {})
    dist = t.satisfaction_shares
    idx = t.satisfaction_index.assign(base_n=t.satisfaction_index["n"])
    return Section(
        "satisfaction", "みどりの満足度",
        intro="「朝霞市のみどりの豊かさに満足している」への回答を、そう思う +1.0 〜 そう思わない −1.0 で得点化した平均が満足度指数である。"
              "わからない・無回答は指数の計算から除く。",
        figures=[Figure(charts.index_chart(idx[idx["by"] != "性別"], target=ind.get("target"), baseline=ind.get("baseline"),
                                           target_label=f"目標値（{ind.get('target_year', '')}）",
                                           baseline_label=f"基準値（{ind.get('baseline_year', '')}）",
                                           ylabel="満足度指数"), "満足度指数と95%信頼区間（年齢別・地区別）"),
                 Figure(charts.satisfaction_chart(dist), "年齢別・地区別の回答分布（重み付け%）")],
        tables=[_table("満足度指数（重み付け）", present.satisfaction_index_table(t.satisfaction_index, target=ind.get("target"))),
                _table("回答分布（重み付け%）", present.satisfaction_distribution_table(t.satisfaction_distribution)),
                _table("グループ間の差（Holm法で調整）", present.comparison_table(t.satisfaction_comparisons))],
    )


def _park_section(t: WaveTables) -> Section:
    return Section("parks", "公園の利用",
                   intro="利用頻度の回答を年間利用回数に換算した（ほぼ毎日=300回 … 利用しない=0回）。"
                         "「利用しない」割合が市全体より高い地区は、身近な公園が不足する地域の候補である。",
                   tables=[_table("地区別の公園利用（重み付け）", present.park_table(t.park_use))])


def _allocation_section(t: WaveTables) -> Section:
    alloc = t.allocation
    total = t.notes.get("allocation_total", 1000)  # the questionnaire's total
    chart_frame = alloc[alloc["by"].isin([TOTAL, "年齢"])].rename(columns={"group": "group"})
    return Section(
        "allocation", f"{total:,}円の配分（みどりのチカラ）",
        intro=f"仮に{total:,}円を使えるとしたら、みどりの10の働きにどう配分するか。平均配分額は0円の回答も含めた算術平均である。",
        figures=[Figure(charts.allocation_chart(chart_frame[["part", "group", "estimate", "ci_low", "ci_high"]]),
                        "平均配分額（全体・年齢別、重み付け）")],
        tables=[_table("平均配分額（円、重み付け）", present.allocation_table(alloc, total=total)),
                _table("0円と回答した人の割合", present.zero_share_table(t.allocation_zero)),
                _table(f"配分パターンによるグループ（k-means、{t.notes.get('segments_k')}グループ）",
                      present.segment_table(t.segments))],
    )


def _priority_section(t: WaveTables) -> Section:
    pri = t.priorities
    # items as rows (their labels are long), age bands as columns
    heat = pri[pri["by"] == "年齢"].rename(columns={"topk_share": "percent", "group": "age"})
    heat = heat.rename(columns={"item": "group", "age": "item"})[["group", "item", "percent"]]
    return Section(
        "priorities", "今後力を入れるべき取組（上位3位）",
        intro="重要な順に3つまで選んだ回答。3位までに選んだ割合と、1位3点・2位2点・3位1点の得点で示す。",
        figures=[Figure(charts.priority_heatmap(heat), "年齢別・3位までに選んだ割合（重み付け%）")],
        tables=[_table("全体・年齢別・地区別", present.priority_table(pri)),
                _table("年齢・地区による違いの検定（ランク付きロジット、Wald検定）", present.ranking_test_table(t.ranking_tests)),
                _table("モデルによる予測：3位までに選ばれる確率（年齢×地区、%）", present.predicted_table(t.predicted))],
        notes=[t.notes.get("ranking_summary_ja", "")],
    )


def write_wave_html(tables: WaveTables, path, *, questionnaire, provenance_lines, sampling_error: pd.DataFrame,
                    diagnostics_text: str, extra_sections=()) -> object:
    sections = [_satisfaction_section(tables, questionnaire), _park_section(tables),
                _allocation_section(tables), _priority_section(tables), *extra_sections,
                Section("indicators", "計画の指標", tables=[_table("指標の現況値・目標値・今回値",
                                                             present.indicator_table_ja(tables.indicators))])]
    methods = Methods(weighting=[METHODS_WEIGHTING, diagnostics_text], variance=METHODS_VARIANCE,
                      tables=[_table("標本誤差早見表（±ポイント、この調査のデザイン効果を適用）", sampling_error)])
    return write_html(sections, path, title=f"{questionnaire.title}（{questionnaire.wave}）",
                      provenance_lines=provenance_lines, methods=methods, headline=headline_indicators(tables))
