"""Contractor validation (issue 4): check a delivered file against the
questionnaire and hand back a failure table, a summary by rule and the row
ledger.

``survey validate FILE`` exit codes: **0** no errors (warnings may be
listed), **1** at least one error (:mod:`survey.intake.rules` says which
rules are errors), **2** the file or the questionnaire cannot be used at all
(:class:`~survey.errors.InputError` / :class:`~survey.errors.SpecError`,
whose message says why).

There is no R equivalent; the checks are the ones a Japanese survey
contractor runs before delivery (非指定値, 異常値, 非該当, 論理矛盾, 未記入...).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.intake.checks import Context, check_question
from survey.intake.checks_file import check_damage, check_hidden_rows, check_unreadable_cells, check_value_labels
from survey.intake.checks_rows import (
    check_columns,
    check_contradictions,
    check_ids,
    check_personal_info,
    check_skips_and_blanks,
)
from survey.intake.findings import FAILURE_COLUMNS, Collector
from survey.intake.ledger import Ledger
from survey.intake.damage import unreadable_rows
from survey.intake.normalise import normalise, refuse_ambiguous_headings
from survey.intake.readers import Provenance, RawTable, read_raw
from survey.intake.rules import Severity, rule_catalogue
from survey.intake.sav import apply_user_missing, label_disagreements
from survey.intake.values import clean_column, map_headers
from survey.questionnaire import Questionnaire, load_questionnaire

__all__ = ["FAILURE_COLUMNS", "SUMMARY_COLUMNS", "ValidationReport", "validate_file", "validate_raw"]

SUMMARY_COLUMNS = ("rule", "category", "severity", "title_ja", "title_en", "findings", "rows")


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one delivered file.

    Attributes
    ----------
    failures : DataFrame
        One row per finding, columns :data:`FAILURE_COLUMNS`: ``row`` (1-based
        data row, the first row under the header is 1; ``<NA>`` for findings
        about the whole file), ``respondent_id``, ``column`` (heading as in the
        file), ``column_id`` (tidy column or question id), ``value`` (as read),
        ``rule`` (a :class:`Rule` value), ``category`` (contractor's term),
        ``severity`` (``error``/``warning``), ``message_ja``, ``message_en``.
    summary : DataFrame
        Every rule (also those that found nothing) with the number of
        findings and of distinct rows, columns :data:`SUMMARY_COLUMNS`.
    ledger : Ledger
        Rows read = rows kept + rows excluded, each exclusion with its reason,
        each cell the cleaning rules change with its value before and after.
    provenance : Provenance
        File path, sha256, format, encoding, rows read.
    questionnaire : Questionnaire
    positions : tuple
        ``(excel_row, line)`` of each data row in the delivered file
        (:attr:`RawTable.positions`); the rendered report shows a finding's
        data row with its Excel row (and, for a CSV, its file line).
    """

    failures: pd.DataFrame
    summary: pd.DataFrame
    ledger: Ledger
    provenance: Provenance
    questionnaire: Questionnaire
    positions: tuple = ()

    @property
    def errors(self) -> int:
        return int((self.failures["severity"] == Severity.ERROR.value).sum())

    @property
    def warnings(self) -> int:
        return int((self.failures["severity"] == Severity.WARNING.value).sum())

    @property
    def status(self) -> str:
        """``"errors"``, ``"warnings"`` or ``"clean"``."""
        return "errors" if self.errors else ("warnings" if self.warnings else "clean")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return self.errors == 0

    @property
    def exit_code(self) -> int:
        """0 when there is no error (warnings allowed), 1 otherwise."""
        return 0 if self.ok else 1

    def rules_found(self) -> dict:
        """``{rule code: number of findings}`` for the rules that found something."""
        s = self.summary[self.summary["findings"] > 0]
        return dict(zip(s["rule"], s["findings"].astype(int)))

    def to_dict(self) -> dict:
        """Everything in plain JSON types (the ``--format json`` output)."""
        from survey.intake.validate_output import report_dict

        return report_dict(self)

    def render(self, fmt: str = "text", *, max_lines: int | None = 200) -> str:
        """The ``text``, ``json`` or ``csv`` rendering as a string (the CSV
        holds the failure table only)."""
        from survey.intake.validate_output import render_report

        return render_report(self, fmt, max_lines=max_lines)

    def write(self, fmt: str = "text", out=None, *, max_lines: int | None = 200):
        """Write the report as ``text``, ``json``, ``csv`` or ``xlsx``.

        ``out=None`` writes text/json/csv to standard output (xlsx needs a
        path).  With a path the file is written and its path returned;
        ``csv`` then also writes ``<stem>_summary.csv``,
        ``<stem>_exclusions.csv`` and ``<stem>_changes.csv`` beside it (the
        summary by rule and the row ledger), UTF-8 with BOM for Excel.
        ``max_lines`` caps the findings listed in the text form (``None``: all).
        """
        from survey.intake.validate_output import write_report

        return write_report(self, fmt, out, max_lines=max_lines)


def _summary(failures: pd.DataFrame) -> pd.DataFrame:
    cat = rule_catalogue()
    counts = failures.groupby("rule").size()
    rows = failures.dropna(subset=["row"]).groupby("rule")["row"].nunique()
    cat["findings"] = cat["rule"].map(counts).fillna(0).astype(int)
    cat["rows"] = cat["rule"].map(rows).fillna(0).astype(int)
    return cat[list(SUMMARY_COLUMNS)]


def validate_raw(raw: RawTable, questionnaire: Questionnaire) -> ValidationReport:
    """Validate an already-read :class:`RawTable` (see :func:`validate_file`)."""
    q = questionnaire
    frame = raw.frame
    hmap = map_headers(list(frame.columns), q, labels=raw.column_labels)
    matched = [c for c in hmap.columns if c != q.respondent_id]
    if not matched:
        expected = ", ".join(x.raw_headers[0] for x in q.questions[:3])
        found = ", ".join(str(c) for c in list(frame.columns)[:3])
        raise InputError(
            f"none of the column headings match questionnaire {q.id} {q.version} (expected e.g. {expected}; "
            f"found {found}); check that the first line is the header row and that --questionnaire names "
            "the right questionnaire",
            path=raw.provenance.path,
        )
    refuse_ambiguous_headings(hmap, raw.provenance.path)
    # normalisation needs every column: give it blank ones for the missing (reported as errors here);
    # what it would refuse (unreadable rows and cells, value labels) is listed here instead
    patched = replace(raw, value_labels={}, cell_problems=())
    if hmap.missing:
        extra = {}
        for key in hmap.missing:
            header = q.respondent_id_header if key == q.respondent_id else _expected_header(q, key)
            extra[header] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        patched = replace(patched, frame=pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1))
    damage = unreadable_rows(raw, hmap, q)
    ledger = normalise(patched, q, exclude_undecodable=True, _damage=damage).ledger

    frame, _ = apply_user_missing(raw, hmap, q)  # SPSS user-missing values read as the questionnaire's codes
    unreadable = frame.index.isin(damage["row"].dropna().astype(int))
    if unreadable.any():  # an unreadable row is reported as such, not cell by cell
        others = [c for c in frame.columns if c != hmap.columns.get(q.respondent_id)]
        frame = frame.copy()
        frame.loc[unreadable, others] = None
    ids = clean_column(frame[hmap.columns[q.respondent_id]]).to_numpy(dtype=object) if q.respondent_id in hmap.columns \
        else np.full(len(frame), None, dtype=object)
    ctx = Context(questionnaire=q, frame=frame, hmap=hmap, out=Collector(q, ids))
    check_columns(ctx)
    check_damage(ctx, raw, damage)
    check_unreadable_cells(ctx, raw)
    check_value_labels(ctx, label_disagreements(raw, hmap, q))
    check_hidden_rows(ctx, raw)
    for question in q.questions:
        check_question(ctx, question)
    check_ids(ctx, ledger, ids)
    blank_rows = frame.index.isin(ledger.exclusions.loc[ledger.exclusions["reason"] == "blank_return", "row"])
    check_skips_and_blanks(ctx, np.asarray(blank_rows) | unreadable)
    check_contradictions(ctx)
    check_personal_info(ctx)
    failures = ctx.out.frame()
    return ValidationReport(failures=failures, summary=_summary(failures), ledger=ledger,
                            provenance=raw.provenance, questionnaire=q, positions=raw.positions)


def _expected_header(q: Questionnaire, key: str) -> str:
    for x in q.questions:
        if "#slot" in key and key.startswith(f"{x.id}#slot"):
            return x.raw_headers[int(key.split("#slot")[1]) - 1]
        if key in x.columns:
            return dict(zip(x.columns, x.raw_headers))[key]
    return key


def validate_file(path, questionnaire, *, encoding: str | None = None, sheet=None) -> ValidationReport:
    """Check a delivered respondent file against a questionnaire.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (UTF-8 or CP932), ``.xlsx``, ``.sav`` or ``.parquet``.
    questionnaire : Questionnaire or str or Path
        The questionnaire object or its YAML file.
    encoding, sheet
        Passed to :func:`survey.intake.readers.read_raw`.

    Returns
    -------
    ValidationReport
        ``.exit_code`` is 0 without errors, 1 with errors.

    Raises
    ------
    InputError
        The file cannot be used (missing, empty, header only, binary,
        UTF-16, truncated, or no heading matches the questionnaire): the
        CLI's exit code 2.
    SpecError
        The questionnaire cannot be used (exit code 2).

    Examples
    --------
    >>> report = validate_file("delivery.csv", "questionnaires/midori_2025.yaml")  # doctest: +SKIP
    >>> report.exit_code, report.rules_found()  # doctest: +SKIP
    (1, {'invalid_code': 2, 'required_blank': 5})
    >>> report.write("xlsx", "checked.xlsx")  # doctest: +SKIP
    """
    if not isinstance(questionnaire, Questionnaire):
        questionnaire = load_questionnaire(questionnaire)
    raw = read_raw(Path(path), encoding=encoding, sheet=sheet)
    return validate_raw(raw, questionnaire)
