"""The next-wave section (kind ``next_wave``, sheet 計画): the mailing the next wave needs.

From this wave's raked design, the population margins and the mailing per
cell (the mailing file, or ``fielding.mailed`` spread by population share):
response rates, variances and design effects per cell of the plan's
``weighting.cells`` (:func:`survey.measures.planning_inputs`), then the
Neyman mailing for the default targets -- the city ±``half_width`` and every
level of the planning group ±``group_half_width`` -- compared with the other
allocation methods (:mod:`survey.measures.planning`).  ``survey plan``
(:mod:`survey.pipeline.plan`) writes the same tables with any targets.
"""
from __future__ import annotations

import pandas as pd

from survey.measures import ChangeTarget, PrecisionTarget, compare_plans, plan_mailing, plan_tables, planning_inputs
from survey.pipeline.base import SectionResult
from survey.report.writers import Sheet

__all__ = ["build", "default_targets", "mailing_table", "plan_sheet"]

TITLE = "次回調査の配布計画"


def default_targets(group, *, half_width=0.05, group_half_width=0.10, change=None, power=0.8, level=0.95,
                    measure=None) -> list:
    """The city ±half_width and every level of the planning ``group`` ±group_half_width
    (0/None to drop one), plus an optional change to detect between two waves."""
    targets = []
    if half_width:
        targets.append(PrecisionTarget(half_width, level=level, measure=measure))
    if group_half_width:
        targets.append(PrecisionTarget(group_half_width, by=group, level=level, measure=measure))
    if change:
        targets.append(ChangeTarget(change, power=power, level=level, measure=measure))
    return targets


def plan_sheet(design, questionnaire, margins, *, mailed=None, method="neyman", targets=None, **options):
    """The 計画 sheet, its tables and the plan for a weighted wave (cells: the plan's ``weighting.cells``)."""
    group, other = questionnaire.plan.cells
    inputs = planning_inputs(design, population=margins, mailed=mailed, questionnaire=questionnaire,
                             group=group, other=other)
    targets = default_targets(group) if targets is None else targets
    plan = plan_mailing(inputs, method=method, targets=targets, **options)
    comparison = compare_plans(inputs, targets=targets, **options)
    tables = plan_tables(plan, comparison=comparison)
    notes = [f"配布数の見込みは今回の調査の回答率（{inputs.names[other]}×{inputs.names[group]}）、セル内の分散、"
             "重みのデザイン効果から計算した。"]
    return Sheet("計画", tables, title=TITLE, notes=notes), tables, plan


def mailing_table(plan) -> pd.DataFrame:
    """The plan's mailing per cell as the mailing file of the next wave:
    ``<group>, <group>_label, <other>, <other>_label, mailed``."""
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


def build(spec, ctx) -> SectionResult:
    q = ctx.questionnaire
    mailed = None if ctx.mailing is None else ctx.mailing[[*q.plan.cells, "mailed"]]
    targets = default_targets(q.plan.cells[0], half_width=spec.get("half_width", 0.05),
                              group_half_width=spec.get("group_half_width", 0.10))
    sheet, tables, _plan = plan_sheet(ctx.design, q, ctx.margins, mailed=mailed, targets=targets)
    return SectionResult(title=spec.get("title", TITLE), blocks=tuple(tables), notes=tuple(sheet.notes))
