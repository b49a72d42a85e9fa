"""The reliability section (kind ``reliability``): Cronbach's alpha of a matrix question.

The alpha of the matrix's items, unweighted (Feldt interval) and
design-weighted (linearised SE), with the reason when it is undefined
(:func:`survey.measures.cronbach_alpha`).
"""
from __future__ import annotations

import pandas as pd

from survey.measures import cronbach_alpha
from survey.pipeline.base import SectionResult, attribute_name, html_table
from survey.report.format import WEIGHTED
from survey.report.html import Section
from survey.report.present import ci_text, rounded
from survey.report.prose import prose
from survey.report.tableinfo import Measure, describe
from survey.report.verdicts import alpha_undefined_text

__all__ = ["build", "reliability_table"]


def reliability_table(r: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "指標": r["statistic"].map({"alpha": "クロンバックのα（重みなし）", "weighted_alpha": f"クロンバックのα{WEIGHTED}"}),
        "推定値": rounded(r["estimate"], 3), "95%信頼区間": ci_text(r["ci_low"], r["ci_high"], digits=3),
        "回答者数 n": r["n"], "項目数": r["k"],
        "備考": [alpha_undefined_text(c) for c in r.get("reason", pd.Series([""] * len(r)))],
    })


def build(spec, ctx) -> SectionResult:
    items = ctx.questionnaire[spec.question].items
    rel = cronbach_alpha(ctx.design, [it.column for it in items])
    frame = pd.DataFrame({
        "statistic": ["alpha", "weighted_alpha"], "estimate": [rel.alpha, rel.weighted_alpha],
        "ci_low": [rel.ci_low, rel.weighted_ci_low], "ci_high": [rel.ci_high, rel.weighted_ci_high],
        "n": [rel.n, rel.n], "k": [rel.k, rel.k], "reason": [rel.reason, rel.weighted_reason]})
    title = spec.get("title", f"{attribute_name(ctx.questionnaire, spec.question)}（{len(items)}項目）の信頼性")
    table = describe(reliability_table(frame),
                     base=prose("sections.reliability.base", question=attribute_name(ctx.questionnaire, spec.question),
                                items=len(items)),
                     dims={"指標": "項目"}, values={"推定値": Measure("推定値"), "回答者数 n": Measure("回答者数", "人"),
                                                 "項目数": Measure("項目数", "項目")},
                     intervals={"95%信頼区間": (Measure("95%信頼区間下限"), Measure("95%信頼区間上限"))})
    return SectionResult(title=title, blocks=((title, table),),
                         html=Section(spec.id, title, tables=[html_table(title, table)]))
