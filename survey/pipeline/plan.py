"""``survey plan``: the next wave's mailing from this wave, as tables.

Reads and weights this wave exactly as ``survey run`` does (from the base
weights of ``--mailing`` when this wave's mailing file is given), estimates
what the wave showed (response rates and the item's variance per cell of
the plan's ``weighting.cells``, the weighting design effect), and writes the
plan (計画) as a workbook sheet and CSV files in ``<out>/<wave>-plan/``
(beside ``survey run``'s ``<out>/<wave>/``, written whole or not at all),
plus ``mailing.csv``: the planned mailing per cell in the form ``survey run
--mailing`` and ``survey plan --mailing`` read (``<group>, <group>_label,
<other>, <other>_label, mailed``).  The statistics live in
:mod:`survey.planning.mailing`.
"""
from __future__ import annotations

from pathlib import Path

from survey.errors import SpecError
from survey.intake import load
from survey.intake.sidetables import read_mailing, read_margins
from survey.pipeline.run import require_plan
from survey.pipeline.sections.next_wave import default_targets, mailing_table, plan_sheet
from survey.questionnaire import load_questionnaire
from survey.report.outdir import OutputFolder
from survey.report.planning_tables import plan_table_names
from survey.report.prose import prose
from survey.report.writers import write_csv, write_workbook
from survey.weighting.wave import plan_margins, weight_wave

__all__ = ["MAILING_FILE", "PLAN_FOLDER_SUFFIX", "default_targets", "mailing_table", "plan_folder_name", "plan_sheet",
           "run_plan"]

#: The machine-readable mailing of the plan, written beside 計画.xlsx.
MAILING_FILE = "mailing.csv"
#: ``survey plan`` writes ``<out>/<wave><PLAN_FOLDER_SUFFIX>/``.
PLAN_FOLDER_SUFFIX = "-plan"


def plan_folder_name(wave: str) -> str:
    """The folder of ``survey plan`` under ``--out``: ``FY2025-plan`` beside ``survey run``'s ``FY2025``
    (each command replaces its own folder whole)."""
    return f"{wave}{PLAN_FOLDER_SUFFIX}"


def run_plan(questionnaire_path, data_path, margins_path, *, out="reports", mailing_path=None, method="neyman",
             targets=None, target_options=None, progress=lambda m: None, **options):
    """Write ``<out>/<wave>-plan/計画.xlsx``, one CSV per plan table and ``mailing.csv``; return the plan
    and the files written.  The folder is written whole or not at all (see
    :class:`~survey.report.outdir.OutputFolder`).

    ``mailing_path``: this wave's mailing per cell (``<group>, <other>,
    mailed``); it gives the response rates and, as in ``survey run
    --mailing``, the base weights of this wave.  ``targets`` default to
    :func:`default_targets` of the plan's planning group with
    ``target_options`` (``half_width``, ``group_half_width``, ``change``,
    ``power``, ``level``, ``measure``).
    """
    questionnaire = load_questionnaire(questionnaire_path)
    plan = require_plan(questionnaire)
    if len(plan.cells) != 2:
        raise SpecError("the plan declares no cells to plan the mailing for; add weighting: {cells: [group, other]} "
                        "to the analysis block", path=questionnaire.path, key="analysis.weighting")
    progress(prose("progress.this_wave"))
    dataset = load(data_path, questionnaire)
    margins = plan_margins(read_margins(margins_path), plan.rake, path=margins_path)
    design = weight_wave(dataset, margins, variables=plan.raked, cells=plan.cells,
                         mailing=mailing_path if mailing_path else None)
    mailed = read_mailing(mailing_path, plan.cells) if mailing_path else None
    progress(prose("progress.plan"))
    targets = default_targets(plan.cells[0], **(target_options or {})) if targets is None else targets
    sheet, tables, result = plan_sheet(design, questionnaire, margins, mailed=mailed, method=method,
                                       targets=targets, **options)
    target = Path(out) / plan_folder_name(questionnaire.wave or "wave")
    with OutputFolder(target, signature="計画.xlsx", command="survey plan") as folder:   # whole or not at all
        files = [write_workbook([sheet], folder.path / "計画.xlsx", properties={"title": questionnaire.title})]
        for name, (_caption, frame) in zip(plan_table_names(result), tables):
            files.append(write_csv(frame, folder.path / f"{name}.csv"))
        files.append(write_csv(mailing_table(result), folder.path / MAILING_FILE))
    return result, [target / f.name for f in files]
