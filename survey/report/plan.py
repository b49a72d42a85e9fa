"""``survey plan``: the next wave's mailing from this wave, as tables.

Reads and weights this wave exactly as ``survey run`` does (from the base
weights of ``--mailing`` when this wave's mailing file is given), estimates
what the wave showed (response rates and the item's variance per age ×
district cell, the weighting design effect), and writes the plan (計画) as a
workbook sheet and CSV files in ``<out>/<wave>-plan/`` (beside ``survey
run``'s ``<out>/<wave>/``, written whole or not at all), plus ``mailing.csv``:
the planned mailing per cell in the form ``survey run --mailing`` and
``survey plan --mailing`` read (``district, district_label, age_band,
age_band_label, mailed``).  The statistics live in
:mod:`survey.measures.planning`.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from survey.intake import load
from survey.measures import (
    PLAN_TABLE_NAMES, ChangeTarget, PrecisionTarget, compare_plans, plan_mailing, plan_tables, planning_inputs,
    read_mailing,
)
from survey.questionnaire import load_questionnaire
from survey.report.outdir import OutputFolder
from survey.report.weighting import read_margins, weight_wave
from survey.report.writers import Sheet, write_csv, write_workbook

__all__ = ["MAILING_FILE", "PLAN_FOLDER_SUFFIX", "default_targets", "mailing_table", "plan_folder_name", "plan_sheet",
           "run_plan"]

#: The machine-readable mailing of the plan, written beside 計画.xlsx.
MAILING_FILE = "mailing.csv"
#: ``survey plan`` writes ``<out>/<wave><PLAN_FOLDER_SUFFIX>/``.
PLAN_FOLDER_SUFFIX = "-plan"


def default_targets(*, half_width=0.05, district_half_width=0.10, change=None, power=0.8, level=0.95,
                    measure=None) -> list:
    """City ±half_width and every district ±district_half_width (0/None to drop one), plus an
    optional change to detect between two waves."""
    targets = []
    if half_width:
        targets.append(PrecisionTarget(half_width, level=level, measure=measure))
    if district_half_width:
        targets.append(PrecisionTarget(district_half_width, by="district", level=level, measure=measure))
    if change:
        targets.append(ChangeTarget(change, power=power, level=level, measure=measure))
    return targets


def plan_sheet(design, questionnaire, margins, *, mailed=None, method="neyman", targets=None, **options):
    """The 計画 sheet and its tables for a weighted wave."""
    inputs = planning_inputs(design, population=margins, mailed=mailed, questionnaire=questionnaire)
    targets = default_targets() if targets is None else targets
    plan = plan_mailing(inputs, method=method, targets=targets, **options)
    comparison = compare_plans(inputs, targets=targets, **options)
    tables = plan_tables(plan, comparison=comparison)
    notes = ["配布数の見込みは今回の調査の回答率（年齢×地区）、セル内の分散、重みのデザイン効果から計算した。"]
    return Sheet("計画", tables, title="次回調査の配布計画", notes=notes), tables, plan


def mailing_table(plan):
    """The plan's mailing per cell as the mailing file of the next wave:
    ``district, district_label, age_band, age_band_label, mailed``."""
    a = plan.allocation
    group, other = plan.keys
    labels = plan.inputs.labels
    return pd.DataFrame({
        group: a[group].astype(int).to_numpy(),
        f"{group}_label": [labels.get(group, {}).get(int(c), "") for c in a[group]],
        other: a[other].astype(int).to_numpy(),
        f"{other}_label": [labels.get(other, {}).get(int(c), "") for c in a[other]],
        "mailed": a["mailed"].astype(int).to_numpy(),
    })


def plan_folder_name(wave: str) -> str:
    """The folder of ``survey plan`` under ``--out``: ``FY2025-plan`` beside ``survey run``'s ``FY2025``
    (each command replaces its own folder whole)."""
    return f"{wave}{PLAN_FOLDER_SUFFIX}"


def run_plan(questionnaire_path, data_path, margins_path, *, out="reports", mailing_path=None, method="neyman",
             targets=None, progress=lambda m: None, **options):
    """Write ``<out>/<wave>-plan/計画.xlsx``, one CSV per plan table and ``mailing.csv``; return the plan
    and the files written.  The folder is written whole or not at all (see
    :class:`~survey.report.outdir.OutputFolder`).

    ``mailing_path``: this wave's mailing per cell (``district, age_band,
    mailed``); it gives the response rates and, as in ``survey run
    --mailing``, the base weights of this wave.
    """
    questionnaire = load_questionnaire(questionnaire_path)
    progress("今回の調査を読み込み・重み付け中 (this wave)")
    dataset = load(data_path, questionnaire)
    margins = read_margins(margins_path)
    design = weight_wave(dataset, margins, mailing=mailing_path if mailing_path else None)
    mailed = read_mailing(mailing_path) if mailing_path else None
    progress("配布計画を計算中 (plan)")
    sheet, tables, plan = plan_sheet(design, questionnaire, margins, mailed=mailed, method=method,
                                     targets=targets, **options)
    target = Path(out) / plan_folder_name(questionnaire.wave or "wave")
    with OutputFolder(target, signature="計画.xlsx", command="survey plan") as folder:   # whole or not at all
        files = [write_workbook([sheet], folder.path / "計画.xlsx", properties={"title": questionnaire.title})]
        for name, (_caption, frame) in zip(PLAN_TABLE_NAMES, tables):
            files.append(write_csv(frame, folder.path / f"{name}.csv"))
        files.append(write_csv(mailing_table(plan), folder.path / MAILING_FILE))
    return plan, [target / f.name for f in files]
