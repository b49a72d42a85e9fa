"""The frequency section (kind ``frequency``): a category question read as numbers.

For a single-answer question with a ``numeric_map`` (park use: times a year
per category): the weighted mean of the mapped values and the share who
answered a category mapped to 0 (利用しない), by the levels of one
attribute against the whole city, Holm-adjusted
(:func:`survey.measures.parkuse.park_use_table`).
"""
from __future__ import annotations

import pandas as pd

from survey.measures import park_use_table
from survey.pipeline.base import SectionResult, attribute_name, code_labels, html_table
from survey.report.format import UNWEIGHTED, WEIGHTED
from survey.report.html import Section
from survey.report.present import ci_text, pct, rounded, with_kinds
from survey.report.tableinfo import Measure, describe

__all__ = ["build", "frequency_table"]


def frequency_table(p: pd.DataFrame, *, by_name: str, value_label: str, never_label: str) -> pd.DataFrame:
    return with_kinds(pd.DataFrame({
        by_name: p["label"], f"{value_label}{WEIGHTED}": rounded(p["times"], 1),
        "95%信頼区間": ci_text(p["times_ci_low"], p["times_ci_high"], digits=1),
        f"{never_label}人の割合(%){WEIGHTED}": pct(p["never"]),
        "同 95%信頼区間": ci_text(p["never_ci_low"], p["never_ci_high"], digits=1, scale=100),
        f"回答者数 n{UNWEIGHTED}": p["n"].astype(int), "市全体との比較": p["verdict_ja"].fillna(""),
    }), {f"{value_label}{WEIGHTED}": "decimal1", f"{never_label}人の割合(%){WEIGHTED}": "percent"})


def build(spec, ctx) -> SectionResult:
    q = ctx.questionnaire
    question = q[spec.question]
    (by,) = spec.by
    by_name = attribute_name(q, by)
    title = spec.get("title", attribute_name(q, spec.question))
    label = spec.get("label", title)
    value_label = spec.get("value_label", f"平均（{question.numeric_unit}）" if question.numeric_unit else "平均")
    never = "・".join(question.codes[c] for c, v in question.numeric_map.items() if v == 0)
    table = frequency_table(park_use_table(ctx.design, spec.question, by=by, questionnaire=q,
                                           labels=code_labels(q, by)),
                            by_name=by_name, value_label=value_label, never_label=never)
    unit = question.numeric_unit or ""
    share = f"{never}人の割合"
    describe(table, base=f"{attribute_name(q, spec.question)}の回答者（無回答を除く）", dims={by_name: "グループ"},
             fixed={"区分": by_name}, values={
                 f"{value_label}{WEIGHTED}": Measure(f"平均{WEIGHTED}", unit, item=value_label),
                 f"{share}(%){WEIGHTED}": Measure(f"割合{WEIGHTED}", "%", item=share),
                 f"回答者数 n{UNWEIGHTED}": Measure(f"回答者数{UNWEIGHTED}", "人", item="")},
             intervals={"95%信頼区間": (Measure("95%信頼区間下限", unit, item=value_label),
                                    Measure("95%信頼区間上限", unit, item=value_label)),
                        "同 95%信頼区間": (Measure("95%信頼区間下限", "%", item=share),
                                      Measure("95%信頼区間上限", "%", item=share))})
    mapped = "、".join(f"{question.codes[c]}={v:g}" for c, v in question.numeric_map.items())
    intro = spec.get("intro", f"回答を{value_label}に換算した（{mapped}）。「{never}」の割合が市全体より高い"
                              f"{by_name}を示す。")
    html = Section(spec.id, title, intro=intro, tables=[html_table(f"{by_name}別の{label}（重み付け）", table)])
    return SectionResult(title=title, blocks=((f"{by_name}別の{label}", table),), html=html)
