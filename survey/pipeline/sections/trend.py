"""The trend section (kind ``trend``): the index since the baseline wave.

With ``survey run --baseline FILE``: the scored question's index in the
baseline wave and in this one, by group, with the change and its test
(independent waves, variances add: :func:`survey.measures.compare_waves`).
Without a baseline wave the section has nothing to show.
"""
from __future__ import annotations

import pandas as pd

from survey.measures import compare_waves, satisfaction_index
from survey.pipeline.base import SectionResult, attribute_name, by_groups, html_table, tidy_index
from survey.report.format import WEIGHTED
from survey.report.html import Section
from survey.report.present import ci_text, p_values, rounded
from survey.report.tableinfo import Measure, describe
from survey.report.verdicts import verdict_texts

__all__ = ["build", "trend_table"]


def trend_table(t: pd.DataFrame) -> pd.DataFrame:
    """The index: baseline wave, this wave, change and its test."""
    est = [c for c in t.columns if c.startswith("estimate_")]
    se = [c for c in t.columns if c.startswith("se_")]
    before, after = (c.removeprefix("estimate_") for c in est)   # the waves' labels
    return pd.DataFrame({
        "区分": t["by"], "グループ": t["group"],
        f"基準年{WEIGHTED}": rounded(t[est[0]], 3), "標準誤差（基準年）": rounded(t[se[0]], 3),
        f"今回{WEIGHTED}": rounded(t[est[1]], 3), "標準誤差（今回）": rounded(t[se[1]], 3),
        "変化": rounded(t["change"], 3), "95%信頼区間": ci_text(t["change_ci_low"], t["change_ci_high"], digits=3),
        "p値": p_values(t["p"]), "判定": verdict_texts(t["verdict"], after, before),
    })


def build(spec, ctx) -> SectionResult:
    q, column = ctx.questionnaire, spec.question
    label = spec.get("label", f"{attribute_name(q, column)}指数")
    title = spec.get("title", f"基準年からの変化（{label}）")
    if ctx.baseline_design is None:
        return SectionResult(title=title)

    def change(by):
        before = satisfaction_index(ctx.baseline_design, column, questionnaire=q, by=by)
        after = satisfaction_index(ctx.design, column, questionnaire=q, by=by)
        return tidy_index(compare_waves(before, after, labels=("基準年", q.wave or "今回")))

    table = trend_table(by_groups(change, q, spec.by))
    unit = str({str(i.get("question")): i for i in q.indicators}.get(column, {}).get("unit") or "点")
    on = dict(item=label)
    describe(table, base=f"各回の{attribute_name(q, column)}の回答者（得点のない回答・無回答を除く）",
             dims={"区分": "区分", "グループ": "グループ"}, values={
                 f"基準年{WEIGHTED}": Measure(f"基準年の推定値{WEIGHTED}", unit, **on),
                 "標準誤差（基準年）": Measure("基準年の標準誤差", unit, **on),
                 f"今回{WEIGHTED}": Measure(f"今回の推定値{WEIGHTED}", unit, **on),
                 "標準誤差（今回）": Measure("今回の標準誤差", unit, **on), "変化": Measure("変化", unit, **on),
                 "p値": Measure("変化のp値", "", **on)},
             intervals={"95%信頼区間": (Measure("変化の95%信頼区間下限", unit, **on),
                                    Measure("変化の95%信頼区間上限", unit, **on))})
    return SectionResult(title=title, blocks=((title, table),),
                         html=Section(spec.id, title, tables=[html_table(title, table)]))
