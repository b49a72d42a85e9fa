"""The overview section (kind ``overview``, sheet 調査概要): the survey and its weights.

Fielding facts from the questionnaire (配布数 from the mailing file when one
is given), 有効回収数 and 回収率, the weights' design effect, the weighting
diagnostics and the row ledger (rows read = kept + excluded); the ledger
goes to ``行の記録.csv``, ``除外行.csv`` and ``修正セル.csv`` (respondent ids
never appear: the file row identifies a changed cell).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from survey.pipeline.base import SectionResult, attribute_name
from survey.report.ledger import changed_cells_table, exclusions_table, summary_table
from survey.report.present import diagnostics_table, question_title
from survey.report.prose import prose
from survey.report.tableinfo import describe

__all__ = ["build", "overview_table", "changes_table"]


def overview_table(ctx) -> pd.DataFrame:
    q, mailing = ctx.questionnaire, ctx.mailing
    f = dict(q.fielding)
    mailed = f.get("mailed")
    if mailing is not None:  # the mailing file is this wave's record of what was mailed
        mailed = int(mailing["mailed"].sum())
        cells = "×".join(attribute_name(q, key) for key in q.plan.cells)
        f["sampling"] = prose("sections.overview.sampling", cells=cells, file=Path(ctx.mailing_path).name)
        f["weighting"] = (prose("sections.overview.weighting_from", weighting=f["weighting"]) if f.get("weighting")
                          else prose("sections.overview.weighting"))
    kept = ctx.dataset.ledger.rows_kept
    rate = round(100 * kept / mailed, 1) if mailed else None
    w = ctx.design.weights.to_numpy()
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
    return pd.DataFrame(rows, columns=["項目", "内容"], dtype=object)  # numbers stay numbers (issue 16 item 9)


def changes_table(changes: pd.DataFrame, questionnaire) -> pd.DataFrame:
    """The cells cleaning changed, without respondent ids (the file row identifies
    them), each column named by its question's heading, not its id."""
    out = changes.drop(columns=["respondent_id"])
    known = (set(questionnaire.columns) | {q.id for q in questionnaire.questions}) - {questionnaire.respondent_id}
    out["column"] = [question_title(questionnaire, c) if c in known else c for c in out["column"]]
    return out


def build(spec, ctx) -> SectionResult:
    ledger = ctx.dataset.ledger
    rows = describe(summary_table(ledger.summary()), base=prose("sections.overview.base_rows"), opendata=False)
    blocks = (("", overview_table(ctx)), ("重み付けの診断", diagnostics_table(ctx.design.diagnostics())),
              ("行の記録（読込 = 採用 + 除外）", rows))
    rows_only = dict(base=prose("sections.overview.base_listed"), opendata=False)
    files = {"行の記録": (prose("sections.overview.ledger_file"), rows),
             "除外行": ("除外した行と理由", describe(exclusions_table(ledger.exclusions), **rows_only)),
             "修正セル": ("正規化で変更したセル（変更前・変更後・規則）", describe(
                 changed_cells_table(changes_table(ledger.changes, ctx.questionnaire)), **rows_only))}
    return SectionResult(title=spec.get("title", ctx.questionnaire.title), blocks=blocks, files=files)
