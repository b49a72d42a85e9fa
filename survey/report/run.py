"""``survey run``: one wave from raw file to ``reports/<wave>/``.

The steps, in order: read the questionnaire; read and normalise the raw
file (ledger); build the design and rake it to the population margins
(from the base weights of the mailing file when one is given:
:func:`~survey.report.weighting.weight_wave`); compute the tables; write
CSV (UTF-8 with BOM) and the workbook.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from survey._version import __version__
from survey.intake import load
from survey.intake.privacy import mask_text_columns
from survey.measures.freetext import analyse_freetext, default_keywords_path
from survey.measures.frequencies import crosstab_question, frequencies
from survey.measures.planning_inputs import read_mailing
from survey.measures.sampling_error import sampling_error_table
from survey.report import present
from survey.report.analyses import analyse_wave
from survey.report.crosstab import crosstab_block, crosstab_long
from survey.report.freetext_section import freetext_section, freetext_sheet
from survey.report.htmlreport import write_wave_html
from survey.questionnaire import load_questionnaire
from survey.report.format import UNWEIGHTED, WEIGHTED, with_kinds
from survey.report.outdir import OutputFolder, writes_output
from survey.report.plan import plan_sheet
from survey.spec_checks import check_path_name
from survey.report.weighting import RAKING_VARIABLES, mailing_cells, read_margins, weight_wave
from survey.report.writers import Sheet, write_csv, write_workbook

__all__ = ["run_wave", "RunResult", "RAKING_VARIABLES", "weight_wave"]

CROSS_BY = ("age_band", "district", "sex")
MIN_CELL = 3


@dataclass(frozen=True)
class RunResult:
    out_dir: Path
    files: tuple
    design: object
    dataset: object


def provenance_lines(dataset, questionnaire, margins_path, seed) -> list[str]:
    p = dataset.provenance
    return [
        f"入力ファイル: {Path(p.path).name}  sha256: {p.sha256}  文字コード: {p.encoding or '-'}",
        f"調査票: {questionnaire.id} version {questionnaire.version}  sha256: {questionnaire.sha256}",
        f"母集団表: {Path(margins_path).name}",
        f"midori-survey {__version__}  乱数シード: {seed}",
    ]


@writes_output
def run_wave(questionnaire_path, data_path, margins_path, *, out="reports", progress=lambda m: None,
             min_cell: int = MIN_CELL, admin_path=None, seed: int = 2025, wave: str | None = None,
             baseline_data_path=None, mailing_path=None, sheet=None, exclude_undecodable: bool = False) -> RunResult:
    """Run one wave from the raw file to ``<out>/<wave>/``.

    The folder is written whole or not at all (:class:`~survey.report.outdir.OutputFolder`):
    into a hidden temporary folder, renamed into place at the end,
    replacing a previous one whole; a second run on the same folder meanwhile
    stops with an :class:`~survey.errors.OutputError`.

    ``mailing_path``: the wave's mailing per district x age band cell (CSV
    ``district, age_band, mailed``, e.g. the ``mailing.csv`` that ``survey
    plan`` wrote).  The wave is then weighted as a stratified sample of
    those cells, from base weights ``N_h / m_h``, before raking; the plan
    for the next wave uses the same counts.  Without it every respondent
    starts from ``N / n``.  The baseline wave is always weighted from equal
    base weights (the file describes this wave's mailing only).

    ``sheet``: the worksheet of an ``.xlsx`` data file (name, or number from
    1).  ``exclude_undecodable``: leave out rows that cannot be read as
    delivered (listed in the ledger) instead of refusing the file.
    """
    progress("調査票を読み込み中 (questionnaire)")
    questionnaire = load_questionnaire(questionnaire_path)
    if wave:
        questionnaire = replace(questionnaire, wave=check_path_name(wave, what="wave"))
    progress("回答データを読み込み・正規化中 (read + normalise)")
    # personal data in free text is masked before anything is counted or written
    dataset = mask_text_columns(load(data_path, questionnaire, sheet=sheet, exclude_undecodable=exclude_undecodable))
    hidden = dataset.ledger.notes
    if len(hidden):
        rows = ", ".join(str(r) for r in hidden["row"].head(10)) + (" ..." if len(hidden) > 10 else "")
        progress(f"注意: ワークブックで非表示の行 {len(hidden)} 行も集計します (hidden rows analysed: {rows})")
    progress("母集団へのレイキング中 (raking)")
    margins = read_margins(margins_path)
    mailing = None
    if mailing_path is not None:
        mailing = mailing_cells(read_mailing(mailing_path), margins, path=mailing_path)
    design = weight_wave(dataset, margins, mailing=mailing_path)
    baseline_design = None
    if baseline_data_path is not None:
        progress("基準年の回答を読み込み・重み付け中 (baseline wave)")
        baseline_design = weight_wave(mask_text_columns(load(baseline_data_path, questionnaire)), margins)
    wave = questionnaire.wave or "wave"
    # written whole or not at all: a temporary folder, renamed into place at the end (outdir.py)
    staging = OutputFolder(Path(out) / wave, signature="provenance.json", command="survey run")
    out_dir = staging.path
    progress("集計表を作成中 (tables)")
    freq = frequencies(design.data, design.weights.to_numpy(), questionnaire)
    simple = _simple_table(freq, questionnaire)
    ledger = dataset.ledger
    files = [
        write_csv(simple, out_dir / "単純集計.csv"),
        write_csv(ledger.summary(), out_dir / "行の記録.csv"),
        write_csv(ledger.exclusions.drop(columns=["respondent_id"]), out_dir / "除外行.csv"),
        write_csv(_changes_for_report(ledger.changes, questionnaire), out_dir / "修正セル.csv"),
    ]
    notes = provenance_lines(dataset, questionnaire, margins_path, seed)
    if mailing is not None:
        notes.insert(3, f"配布数ファイル: {Path(mailing_path).name}  sha256: {_sha256(mailing_path)}")
    overview = _overview(questionnaire, dataset, design, mailing=mailing, mailing_path=mailing_path)
    sheets = [
        Sheet("調査概要", [("", overview), ("重み付けの診断", present.diagnostics_table(design.diagnostics())),
                        ("行の記録（読込 = 採用 + 除外）", ledger.summary())],
              title=questionnaire.title),
        Sheet("単純集計", [("", simple)], title="単純集計",
              notes=[f"% は重み付け{WEIGHTED}、n は重みなしの回答者数{UNWEIGHTED}。複数回答の % は回答者数を基数とする（合計は100%を超える）。"]),
    ]
    cross, cross_long = _cross_tables(design, questionnaire, min_cell)
    sheets.append(Sheet("クロス集計", cross, title="クロス集計（上段 n：重みなし回答者数、下段 %：重み付け行%）",
                        notes=[f"* は基数が30未満（比率は参考値）。{min_cell}未満のセルと、差し引きで復元できるセルは x で秘匿"
                               "（n・% とも。数値ではなく文字の x）。"]))
    files.append(write_csv(cross_long, out_dir / "クロス集計.csv"))
    diag = design.diagnostics()
    deff = float(diag["kish_deff"])
    se_table = _sampling_error(deff, dataset.ledger.rows_kept)
    sheets.append(Sheet("標本誤差", [("", se_table)], title="標本誤差（95%信頼区間の半幅、±ポイント）",
                        notes=[f"±1.96·√(deff·p(1−p)/n)。この調査の重みによるデザイン効果 deff = {deff:.3f}（Kish）を適用している。",
                               "n は比率の基数（回答者数）。"]))
    files.append(write_csv(se_table, out_dir / "標本誤差.csv"))
    progress("満足度・配分・重要施策を分析中 (measures)")
    tables = analyse_wave(design, questionnaire, admin=admin_path, seed=seed, baseline_design=baseline_design)
    freetext = analyse_freetext(design, questionnaire) if default_keywords_path(questionnaire).exists() else None
    analysis_sheets = _analysis_sheets(tables, questionnaire) + ([freetext_sheet(freetext)] if freetext else [])
    sheets[2:2] = analysis_sheets  # after 単純集計, before クロス集計 / 標本誤差
    for sheet in analysis_sheets:
        for i, (caption, frame) in enumerate(sheet.blocks, start=1):
            files.append(write_csv(frame, out_dir / f"{sheet.name}_{i}.csv"))
    progress("次回調査の配布計画を計算中 (plan)")
    plan_tab, plan_tables, _plan = plan_sheet(design, questionnaire, margins,
                                              mailed=None if mailing is None else mailing[["district", "age_band",
                                                                                           "mailed"]])
    sheets.append(plan_tab)
    for i, (_caption, frame) in enumerate(plan_tables, start=1):
        files.append(write_csv(frame, out_dir / f"計画_{i}.csv"))
    progress("報告書（HTML）を作成中 (report.html)")
    diag_text = (f"重みの範囲 {float(diag['min']):.1f}〜{float(diag['max']):.1f}（最大/最小 {float(diag['max_min_ratio']):.2f}）、"
                 f"Kishのデザイン効果 {deff:.3f}、有効標本サイズ {float(diag['n_effective']):.0f}、"
                 f"レイキング {int(diag['iterations'])} 回で収束（周辺度数の最大誤差 {float(diag['max_margin_error']):.1e}）。")
    if mailing is not None:
        diag_text = _mailing_text(mailing, mailing_path) + diag_text
    files.append(write_wave_html(tables, out_dir / "report.html", questionnaire=questionnaire,
                                 provenance_lines=notes, sampling_error=se_table, diagnostics_text=diag_text,
                                 extra_sections=[freetext_section(freetext)] if freetext else []))
    files.append(write_workbook(sheets, out_dir / "集計表.xlsx", properties={"title": questionnaire.title},
                                provenance=notes))  # provenance at the bottom of every sheet
    provenance = {
        "input": dataset.provenance.as_dict(), "questionnaire": {"id": questionnaire.id, "version": questionnaire.version,
                                                               "sha256": questionnaire.sha256},
        "package_version": __version__, "rows": {"read": ledger.rows_read, "kept": ledger.rows_kept,
                                                 "excluded": ledger.rows_excluded},
    }
    if mailing is not None:
        provenance["mailing"] = {"file": Path(mailing_path).name, "sha256": _sha256(mailing_path),
                                 "cells": len(mailing), "mailed": int(mailing["mailed"].sum())}
    files.append(_write_json(out_dir / "provenance.json", provenance))
    out_dir = staging.commit()
    return RunResult(out_dir=out_dir, files=tuple(out_dir / f.name for f in files), design=design, dataset=dataset)


def _analysis_sheets(t, questionnaire) -> list:
    ind = {i["id"]: i for i in questionnaire.indicators}.get("satisfaction_index", {})
    alloc_total = questionnaire["allocation"].total
    trend = [("基準年からの変化（満足度指数）", present.trend_table_ja(t.trend))] if t.trend is not None else []
    sheets = [
        Sheet("満足度", [("満足度指数（重み付け）", present.satisfaction_index_table(t.satisfaction_index, target=ind.get("target"))),
                      ("回答分布（重み付け%）", present.satisfaction_distribution_table(t.satisfaction_distribution)),
                      ("グループ間の差（Holm法で調整）", present.comparison_table(t.satisfaction_comparisons)),
                      ("地区別の公園利用", present.park_table(t.park_use)),
                      ("満足度の要因（順序ロジット、オッズ比：より満足側に答えるオッズ）", present.drivers_table(t.drivers)),
                      ("みどりのチカラの重要度（10項目）の信頼性", present.reliability_table(t.reliability)),
                      *trend],
              title="みどりの満足度", notes=[f"基準値 {ind.get('baseline')}（{ind.get('baseline_year')}）、"
                                          f"目標値 {ind.get('target')}（{ind.get('target_year')}）。わからない・無回答は指数から除く。"]),
        Sheet("配分", [("平均配分額（円）", present.allocation_table(t.allocation, total=alloc_total)),
                     ("0円と回答した人の割合", present.zero_share_table(t.allocation_zero)),
                     ("配分パターンによるグループ", present.segment_table(t.segments))],
              title=f"{alloc_total:,}円の配分（みどりのチカラ）",
              notes=[f"合計が{alloc_total:,}円でない回答の扱いは調査票の定義に従う（行の記録を参照）。"]),
        Sheet("重要施策", [("1位・3位までに選んだ割合", present.priority_table(t.priorities)),
                       ("年齢・地区による違いの検定", present.ranking_test_table(t.ranking_tests)),
                       ("モデル予測：3位までに選ばれる確率（年齢×地区、%）", present.predicted_table(t.predicted))],
              title="今後力を入れるべき取組（上位3位）"),
        Sheet("指標", [("", present.indicator_table_ja(t.indicators))], title="計画の指標"),
    ]
    return sheets


def _cross_tables(design, questionnaire, min_cell):
    blocks, longs = [], []
    data, w = design.data, design.weights.to_numpy()
    for q in questionnaire.questions:
        if q.attribute or q.type not in ("single", "likert", "multi", "ranking"):
            continue
        columns = [it.column for it in q.items] if (q.type == "likert" and q.items) else [q.id]
        for column in columns:
            for by in CROSS_BY:
                long = crosstab_question(data, w, questionnaire, column, by)
                title, by_title = present.question_title(questionnaire, column), questionnaire[by].header
                blocks.append((f"{title} × {by_title}", crosstab_block(long, min_count=min_cell)))
                longs.append(crosstab_long(long, min_count=min_cell, question=title, by=by_title))
    return blocks, pd.concat(longs, ignore_index=True)


def _sampling_error(deff: float, n_kept: int) -> pd.DataFrame:
    ns = sorted({n for n in (n_kept, 1000, 500, 300, 200, 100, 50) if n <= n_kept}, reverse=True)
    table = sampling_error_table(ns=ns, deff=deff).round(1)
    return table.rename(columns={"n": "基数 n"})


def _sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _mailing_text(mailing: pd.DataFrame, mailing_path) -> str:
    return (f"配布数ファイル（{Path(mailing_path).name}：地区×年齢 {len(mailing)} 層、計 {int(mailing['mailed'].sum()):,} 通）"
            "に従う層別抽出として、各回答者の基本ウエイトを層の母集団数÷配布数とし、層別の分散を用いた。"
            "レイキングはこの基本ウエイトから始めた。")


def _write_json(path: Path, payload) -> Path:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _simple_table(freq: pd.DataFrame, questionnaire) -> pd.DataFrame:
    out = freq[["question", "label", "n", "percent", "base_n"]].copy()
    out["question"] = [present.question_title(questionnaire, q) for q in out["question"]]
    out["percent"] = (100 * out["percent"]).round(1)
    out.columns = ["設問", "選択肢", f"回答者数 n{UNWEIGHTED}", f"%{WEIGHTED}", f"基数 n{UNWEIGHTED}"]
    return with_kinds(out, {f"%{WEIGHTED}": "percent"})


def _changes_for_report(changes: pd.DataFrame, questionnaire) -> pd.DataFrame:
    """Respondent ids never appear in reports: keep the file row instead; the
    column is named by its question's heading, not its id."""
    out = changes.drop(columns=["respondent_id"])
    columns = set(questionnaire.columns) | {q.id for q in questionnaire.questions}
    out["column"] = [present.question_title(questionnaire, c) if c in columns and c != questionnaire.respondent_id
                     else c for c in out["column"]]
    return out


def _overview(questionnaire, dataset, design, *, mailing=None, mailing_path=None) -> pd.DataFrame:
    f = dict(questionnaire.fielding)
    mailed = f.get("mailed")
    if mailing is not None:  # the mailing file is this wave's record of what was mailed
        mailed = int(mailing["mailed"].sum())
        f["sampling"] = f"住民基本台帳から地区×年齢別の層別無作為抽出（配布数ファイル {Path(mailing_path).name}）"
        f["weighting"] = ("基本ウエイト（層の母集団数÷配布数）から、" + str(f.get("weighting", "")) if f.get("weighting")
                          else "基本ウエイト（層の母集団数÷配布数）")
    kept = dataset.ledger.rows_kept
    rate = round(100 * kept / mailed, 1) if mailed else None
    w = design.weights.to_numpy()
    kish = float(len(w) * np.sum(w ** 2) / np.sum(w) ** 2)
    rows = [
        ("調査対象", f.get("population", "")),
        ("抽出方法", f.get("sampling", "")),
        ("調査方法", f.get("method", "")),
        ("調査期間", f.get("period", "")),
        ("配布数", int(mailed) if mailed else None),
        ("有効回収数", int(kept)),
        ("有効回収率(%)", rate),
        ("重み付け", f.get("weighting", "")),
        ("重みによるデザイン効果（Kish）", round(kish, 3)),
        ("有効標本サイズ", int(round(kept / kish))),
    ]
    return pd.DataFrame(rows, columns=["項目", "内容"], dtype=object)
