"""``survey run``: one wave from the raw file to ``reports/<wave>/``, as the plan says.

The steps, in order: read the questionnaire and its analysis plan; read and
normalise the raw file (ledger; personal data in free text masked); rake it
to the population margins (from the base weights of the mailing file when
one is given: :func:`~survey.weighting.wave.weight_wave`); build every
section the plan declares (:data:`survey.pipeline.sections.SECTIONS`) and
place it: the workbook's sheets in the plan's order, every table as a CSV
named after its sheet and title with ``目次.csv`` and, when the plan declares
``opendata:``, the open data (:mod:`survey.pipeline.outputs`),
``report.html`` with the plan's ``html`` sections, and ``provenance.json``.
A section that cannot be estimated on this wave is shown with its reason
(推定できません：…) and the rest is written.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from survey._version import __version__
from survey.errors import ConvergenceError, DesignError, SpecError
from survey.intake import load
from survey.intake.privacy import mask_text_columns
from survey.intake.sidetables import read_admin, read_mailing, read_margins
from survey.measures.indicators.headline import admin_indicators
from survey.pipeline.base import SectionUnavailable, WaveContext, attribute_name, unavailable
from survey.pipeline.outputs import INDEX_FILE, OPENDATA_FOLDER, write_tables
from survey.pipeline.page import write_wave_html
from survey.pipeline.sections import ANALYSES, SECTIONS
from survey.pipeline.sections.sampling_error import wave_sampling_error
from survey.questionnaire import load_questionnaire
from survey.report.background import busy, drawing_in_background, in_background, inherited
from survey.report.opendata import DICTIONARY_FILE
from survey.report.outdir import OutputFolder, writes_output
from survey.report.writers import Sheet, write_workbook
from survey.report.prose import prose
from survey.spec_checks import check_path_name
from survey.weighting.wave import mailing_cells, plan_margins, weight_wave

__all__ = ["run_wave", "RunResult", "require_plan", "provenance_lines"]

MIN_CELL = 3


@dataclass(frozen=True)
class RunResult:
    out_dir: Path
    files: tuple
    design: object
    dataset: object


def require_plan(questionnaire):
    """The questionnaire's analysis plan; a SpecError when it declares none."""
    if questionnaire.plan is None:
        raise SpecError(f"questionnaire {questionnaire.id!r} declares no analysis plan; add an 'analysis:' block "
                        "(questionnaires/README.md, The analysis plan)", path=questionnaire.path, key="analysis")
    return questionnaire.plan


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

    ``mailing_path``: the wave's mailing per cell of the plan's
    ``weighting.cells`` (CSV, e.g. ``district, age_band, mailed``: the
    ``mailing.csv`` that ``survey plan`` wrote).  The wave is then weighted
    as a stratified sample of those cells, from base weights ``N_h / m_h``,
    before raking; the plan for the next wave uses the same counts.  Without
    it every respondent starts from ``N / n``.  The baseline wave is always
    weighted from equal base weights (the file describes this wave's
    mailing only).

    ``sheet``: the worksheet of an ``.xlsx`` data file (name, or number from
    1).  ``exclude_undecodable``: leave out rows that cannot be read as
    delivered (listed in the ledger) instead of refusing the file.
    """
    progress(prose("progress.questionnaire"))
    questionnaire = load_questionnaire(questionnaire_path)
    if wave:
        questionnaire = replace(questionnaire, wave=check_path_name(wave, what="wave"))
    plan = require_plan(questionnaire)
    admin = None
    if admin_path is not None and any(s.get("admin", False) for s in plan.of_kind("indicators")):
        # the administrative indicators' columns and this wave's row, checked before the long work
        admin = read_admin(admin_path, questionnaire=questionnaire)
        admin_indicators(admin, questionnaire=questionnaire, year=questionnaire.wave or None)
    progress(prose("progress.read"))
    # personal data in free text is masked before anything is counted or written
    dataset = mask_text_columns(load(data_path, questionnaire, sheet=sheet, exclude_undecodable=exclude_undecodable))
    hidden = dataset.ledger.notes
    if len(hidden):
        rows = ", ".join(str(r) for r in hidden["row"].head(10)) + (" ..." if len(hidden) > 10 else "")
        progress(prose("progress.hidden_rows", count=len(hidden), rows=rows))
    progress(prose("progress.raking"))
    margins = plan_margins(read_margins(margins_path), plan.rake, path=margins_path)
    mailing = None
    if mailing_path is not None:
        if len(plan.cells) != 2:
            raise SpecError("the plan declares no mailing cells, so --mailing cannot be read; add weighting: "
                            "{cells: [group, other]} to the analysis block", path=questionnaire.path,
                            key="analysis.weighting")
        mailing = mailing_cells(read_mailing(mailing_path, plan.cells), margins, keys=plan.cells, path=mailing_path)
    design = weight_wave(dataset, margins, variables=plan.raked, cells=plan.cells, mailing=mailing_path)
    baseline_design = None
    if baseline_data_path is not None:
        progress(prose("progress.baseline"))
        baseline_design = weight_wave(mask_text_columns(load(baseline_data_path, questionnaire)), margins,
                                      variables=plan.raked)
    notes = provenance_lines(dataset, questionnaire, margins_path, seed)
    if mailing is not None:
        notes.insert(3, f"配布数ファイル: {Path(mailing_path).name}  sha256: {_sha256(mailing_path)}")
    diag = design.diagnostics()
    ctx = WaveContext(questionnaire=questionnaire, design=design, dataset=dataset, margins=margins,
                      provenance=tuple(notes), baseline_design=baseline_design, admin=admin, seed=seed,
                      min_cell=min_cell, mailing=mailing, mailing_path=mailing_path,
                      sampling_error=wave_sampling_error(float(diag["kish_deff"]), dataset.ledger.rows_kept))
    # a second process draws the charts, writes the workbook and tokenises the free text while
    # the tables are computed (report/background.py); forked here, so it has the wave as it is,
    # and before the output folder is opened, so it never holds its lock
    with drawing_in_background(inherit=ctx) as forked:
        if forked:
            built = {sid for sheet in plan.workbook for sid in sheet.sections} | set(plan.html)
            for sid in sorted(built):
                if plan.section(sid).kind in ANALYSES:
                    ctx.pending[sid] = in_background(_analysis, sid)
        # written whole or not at all: a temporary folder, renamed into place at the end (report/outdir.py)
        staging = OutputFolder(Path(out) / (questionnaire.wave or "wave"), signature="provenance.json",
                               command="survey run")
        return _report(ctx, staging, notes=notes, diag=diag, progress=progress)


def _analysis(sid: str):
    """A section's analysis (:data:`~survey.pipeline.sections.ANALYSES`) of the wave the worker
    was forked with (or, should the worker fail, of the wave of this run)."""
    ctx = inherited()
    spec = ctx.plan.section(sid)
    return ANALYSES[spec.kind](spec, ctx)


def _report(ctx: WaveContext, staging: OutputFolder, *, notes: list, diag, progress) -> RunResult:
    """Build the sections and write the folder (see :func:`run_wave`)."""
    questionnaire, plan, dataset, design = ctx.questionnaire, ctx.plan, ctx.dataset, ctx.design
    mailing, mailing_path = ctx.mailing, ctx.mailing_path
    out_dir = staging.path
    results: dict = {}

    def result(sid):
        if sid not in results:
            spec = plan.section(sid)
            progress(prose("progress.section", section=sid, kind=spec.kind))
            try:
                results[sid] = SECTIONS[spec.kind](spec, ctx)
            except SectionUnavailable as exc:
                results[sid] = unavailable(spec, exc.title or spec.get("title", sid), exc.reason)
            except (ConvergenceError, DesignError) as exc:   # a statistic this wave cannot give: the rest is written
                results[sid] = unavailable(spec, spec.get("title", sid), prose("sections.failed", error=exc))
        return results[sid]

    sheets = []
    for sheet in plan.workbook:
        blocks, sheet_notes, title = [], [], sheet.title
        for sid in sheet.sections:
            r = result(sid)
            title = title or r.title
            blocks.extend(r.blocks)
            sheet_notes.extend(r.notes)
        if blocks:  # (a sheet of a trend alone has nothing to show without a baseline wave)
            sheets.append(Sheet(sheet.name, blocks, title=title, notes=[*sheet.notes, *sheet_notes]))
    progress(prose("progress.html"))
    for sid in plan.html:
        result(sid)
    # the workbook, with the inputs at the bottom of every sheet, written by the worker when it has
    # nothing left to draw (report/background.py), while every table is written as CSV named after
    # its title, 目次.csv and the open data (pipeline/outputs.py); else here, while it draws
    book = (sheets, out_dir / "集計表.xlsx")
    book_options = {"properties": {"title": questionnaire.title}, "provenance": notes}
    workbook = None if busy() else in_background(write_workbook, *book, **book_options)
    files, _unavailable = write_tables(plan, results, questionnaire, out_dir)
    book = write_workbook(*book, **book_options) if workbook is None else workbook.result()
    links = [(prose("files.index"), f"{INDEX_FILE}.csv")]
    if plan.opendata is not None:
        links.append((prose("files.opendata_link"), f"{OPENDATA_FOLDER}/{DICTIONARY_FILE}.csv"))
    diag_text = prose("methods.diagnostics", n_iter=int(diag["n_iter"]), **{
        key: float(diag[key]) for key in ("min", "max", "max_min_ratio", "kish_deff", "n_effective", "max_margin_error")})
    if mailing is not None:
        diag_text = _mailing_text(questionnaire, mailing, mailing_path) + diag_text
    files.append(write_wave_html(results, out_dir / "report.html", questionnaire=questionnaire,
                                 provenance_lines=notes, sampling_error=ctx.sampling_error,
                                 diagnostics_text=diag_text, links=links))
    files.append(book)
    ledger = dataset.ledger
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
    staged = staging.path
    out_dir = staging.commit()
    return RunResult(out_dir=out_dir, files=tuple(out_dir / Path(f).relative_to(staged) for f in files),
                     design=design, dataset=dataset)


def _sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _mailing_text(questionnaire, mailing, mailing_path) -> str:
    cells = "×".join(attribute_name(questionnaire, key) for key in questionnaire.plan.cells)
    return prose("methods.mailing", file=Path(mailing_path).name, cells=cells, strata=len(mailing),
                 mailed=int(mailing["mailed"].sum()))


def _write_json(path: Path, payload) -> Path:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
