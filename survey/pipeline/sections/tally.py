"""The tally section (kind ``tally``, sheet 単純集計): every question's answers.

Weighted % and unweighted n of every answer of every question, with the
base (:func:`survey.measures.frequencies.frequencies`); 無回答 is a level,
multi-answer shares have the respondents as base.  Written as ``<sheet>.csv``.
"""
from __future__ import annotations

import pandas as pd

from survey.measures.frequencies import frequencies
from survey.pipeline.base import SectionResult
from survey.report.format import UNWEIGHTED, WEIGHTED, with_kinds
from survey.report.present import question_title
from survey.report.tableinfo import Measure, describe

__all__ = ["build", "tally_table"]


def tally_table(freq: pd.DataFrame, questionnaire) -> pd.DataFrame:
    """Questions by their heading, never their id (issue 16 item 11); % a number to one decimal."""
    out = freq[["question", "label", "n", "percent", "base_n"]].copy()
    out["question"] = [question_title(questionnaire, q) for q in out["question"]]
    out["percent"] = (100 * out["percent"]).round(1)
    out.columns = ["設問", "選択肢", f"回答者数 n{UNWEIGHTED}", f"%{WEIGHTED}", f"基数 n{UNWEIGHTED}"]
    return with_kinds(out, {f"%{WEIGHTED}": "percent"})


def build(spec, ctx) -> SectionResult:
    table = tally_table(frequencies(ctx.design.data, ctx.design.weights.to_numpy(), ctx.questionnaire),
                        ctx.questionnaire)
    describe(table, base="全回答者（無回答を選択肢として含む。複数回答は回答者数が基数）",
             dims={"設問": "設問", "選択肢": "項目"}, values={
                 f"回答者数 n{UNWEIGHTED}": Measure(f"回答者数{UNWEIGHTED}", "人"),
                 f"%{WEIGHTED}": Measure(f"割合{WEIGHTED}", "%"), f"基数 n{UNWEIGHTED}": Measure(f"基数{UNWEIGHTED}", "人")})
    note = f"% は重み付け{WEIGHTED}、n は重みなしの回答者数{UNWEIGHTED}。複数回答の % は回答者数を基数とする（合計は100%を超える）。"
    return SectionResult(title=spec.get("title", "単純集計"), blocks=(("", table),), notes=(note,),
                         files={"{sheet}": ("全設問の回答分布（単純集計）", table)})
