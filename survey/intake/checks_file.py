"""Checks of the delivery as a file: unreadable rows (undecodable bytes, mojibake,
rows with too few fields, heading rows inside the data), workbook cells whose
number cannot be read, rows hidden in a workbook and SPSS value labels that
disagree with the questionnaire.  They report what
:func:`survey.intake.normalise.normalise` refuses (or, with
``exclude_undecodable``, excludes)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.intake.checks import Context
from survey.intake.damage import problem_cells
from survey.intake.messages import message
from survey.intake.rules import Rule
from survey.intake.sav import LabelDisagreement

__all__ = ["check_damage", "check_hidden_rows", "check_unreadable_cells", "check_value_labels"]

_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "cp932": "CP932"}


def check_damage(ctx: Context, raw, damage: pd.DataFrame) -> None:
    """One finding per unreadable cell or row (see :mod:`survey.intake.damage`)."""
    inverse = {v: k for k, v in ctx.hmap.columns.items()}
    encoding = _ENCODING_NAMES.get(raw.provenance.encoding, raw.provenance.encoding)
    width = raw.frame.shape[1]
    run = {"run_ja": message("wording.run_refuses.ja"), "run_en": message("wording.run_refuses.en")}
    for r in damage.itertuples(index=False):
        rows = None if pd.isna(r.row) else [int(r.row)]
        line = "?" if r.line is None or pd.isna(r.line) else int(r.line)
        if r.reason == "undecodable_bytes":
            ctx.out.add(Rule.UNDECODABLE_BYTES, rows, column=r.column, column_id=inverse.get(r.column),
                        value=r.value, line=line, encoding=encoding, bytes=r.info)
        elif r.reason == "mojibake":
            ctx.out.add(Rule.MOJIBAKE, rows, column=r.column, column_id=inverse.get(r.column), value=r.value,
                        reads=r.info, **run)
        elif r.reason == "short_row":
            ctx.out.add(Rule.SHORT_ROW, rows, line=line, fields=r.info, expected=width, **run)
        elif r.reason == "heading_row":
            ctx.out.add(Rule.HEADING_ROW, rows, same=r.info, **run)


def check_unreadable_cells(ctx: Context, raw) -> None:
    """XLSX questionnaire cells holding a date, an uncalculated formula or an error value."""
    inverse = {v: k for k, v in ctx.hmap.columns.items()}
    for row, column, ref, kind, shown in problem_cells(raw, ctx.hmap):
        # what the cell holds and how to fix it: unreadable_cell.<date|percent|formula|error> of the catalogue
        words = {name: message(f"unreadable_cell.{kind}.{name}") for name in ("kind_ja", "kind_en", "fix_ja", "fix_en")}
        ctx.out.add(Rule.UNREADABLE_CELL, [row], column=column, column_id=inverse.get(column), value=shown,
                    cell=ref, **words)


def check_hidden_rows(ctx: Context, raw) -> None:
    """Rows hidden in the delivered workbook (a warning: they are analysed)."""
    if not raw.hidden_rows:
        return
    rows = np.array([r for r, _ in raw.hidden_rows], dtype=np.int64)
    ctx.out.add(Rule.HIDDEN_ROW, rows, sheet=raw.provenance.sheet,
                sheet_row=np.array([s for _, s in raw.hidden_rows], dtype=object))


def check_value_labels(ctx: Context, found: list[LabelDisagreement]) -> None:
    """SPSS value labels that say something else than the questionnaire's codes."""
    for d in found:
        if d.questionnaire_label is None:
            ja = message("wording.label_not_in_questionnaire", code=d.code, label=d.file_label)
        elif d.file_label == "":
            ja = message("wording.label_declared_missing", code=d.code, answer=d.questionnaire_label)
        else:
            ja = message("wording.label_differs", code=d.code, label=d.file_label, answer=d.questionnaire_label)
        ctx.out.add(Rule.VALUE_LABEL, None, column=d.variable, column_id=d.column, value=d.code,
                    variable=d.variable, detail_ja=ja, detail_en=d.message().split(") ", 1)[1])
