"""The next-wave section (kind ``next_wave``, sheet 計画): the mailing the next wave needs.

From this wave's raked design, the population margins and the mailing per
cell (the mailing file, or ``fielding.mailed`` spread by population share):
response rates, variances and design effects per cell of the plan's
``weighting.cells`` (:func:`survey.planning.inputs`), then the
Neyman mailing for the default targets -- the city ±``half_width`` and every
level of the planning group ±``group_half_width`` -- compared with the other
allocation methods (:mod:`survey.planning.mailing`).  ``survey plan``
(:mod:`survey.pipeline.plan`) writes the same tables with any targets.
"""
from __future__ import annotations

import pandas as pd

from survey.errors import DesignError
from survey.pipeline.base import SectionResult, SectionUnavailable
from survey.planning import (
    ChangeTarget, PrecisionTarget, TargetsUnreachable, compare_plans, plan_mailing, planning_inputs,
)
from survey.report.planning_tables import note_ja, plan_table_names, plan_tables
from survey.report.tableinfo import describe
from survey.report.writers import Sheet
from survey.report.prose import prose

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
    notes = [prose("sections.next_wave.note_inputs", other=inputs.names[other], group=inputs.names[group])]
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
    """The plan for the default targets; when no mailing can meet them (a district of one
    or two respondents), the plan for as many questionnaires as this wave mailed, with the
    reason in the notes: ``survey run`` never stops for the next wave's plan."""
    q = ctx.questionnaire
    mailed = None if ctx.mailing is None else ctx.mailing[[*q.plan.cells, "mailed"]]
    targets = default_targets(q.plan.cells[0], half_width=spec.get("half_width", 0.05),
                              group_half_width=spec.get("group_half_width", 0.10))
    notes = []
    title = spec.get("title", TITLE)
    try:
        try:
            sheet, tables, plan = plan_sheet(ctx.design, q, ctx.margins, mailed=mailed, targets=targets)
        except TargetsUnreachable as exc:
            budget = int(ctx.mailing["mailed"].sum()) if ctx.mailing is not None else int(q.fielding.get("mailed") or 0)
            if budget <= 0:
                raise
            notes.append(prose("sections.next_wave.unreachable", budget=budget,
                               notes="；".join(note_ja(exc.inputs, n) for n in exc.notes)))
            sheet, tables, plan = plan_sheet(ctx.design, q, ctx.margins, mailed=mailed, targets=targets,
                                             mailings=budget)
    except DesignError as exc:
        raise SectionUnavailable(_reason(ctx, mailed, exc), title=title) from None
    base = prose("sections.next_wave.base")
    files = {name: (caption, describe(frame, base=base, opendata=False))
             for name, (caption, frame) in zip(plan_table_names(plan), tables)}
    return SectionResult(title=title, blocks=tuple(tables), notes=(*notes, *sheet.notes), files=files)


def _reason(ctx, mailed, exc) -> str:
    """Why no plan can be drawn, in Japanese: most often an indicator without variance."""
    q = ctx.questionnaire
    group, other = q.plan.cells
    try:
        inputs = planning_inputs(ctx.design, population=ctx.margins, mailed=mailed, questionnaire=q, group=group,
                                 other=other)
    except DesignError:
        inputs = None
    if inputs is not None:
        flat = [inputs.labels.get(name, name) for name, item in inputs.items.items()
                if not (item["variance"].fillna(0) > 0).any()]
        if flat:
            return prose("sections.next_wave.no_variance", items="・".join(map(str, flat)))
    return prose("sections.next_wave.unavailable", reason=exc)
