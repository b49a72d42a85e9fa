"""The trend section (kind ``trend``): the index since the baseline wave.

With ``survey run --baseline FILE``: the scored question's index in the
baseline wave and in this one, by group, with the change and its test
(independent waves, variances add: :func:`survey.measures.compare_waves`).
Without a baseline wave the section has nothing to show.
"""
from __future__ import annotations

import pandas as pd

from survey.measures import compare_waves, satisfaction_index
from survey.pipeline.base import SectionResult, attribute_name, by_groups, html_table
from survey.report.format import WEIGHTED
from survey.report.html import Section
from survey.report.present import ci_text, p_values, rounded
from survey.report.tableinfo import Measure, describe
from survey.report.verdicts import verdict_texts

__all__ = ["build", "side_by_side", "trend_table"]


def side_by_side(comparison) -> pd.DataFrame:
    """:func:`~survey.measures.compare_waves`'s two long frames as one row per change: the
    identifiers (by levels), ``wave`` and ``reference_wave``, the reference wave's
    ``estimate_reference, se_reference``, this wave's ``estimate_wave, se_wave``, then the
    change ``change, change_se, change_ci_low, change_ci_high, p, verdict``."""
    changes, estimates = comparison.changes, comparison.estimates
    keys = [c for c in changes.columns[:changes.columns.get_loc("estimate")] if c not in ("wave", "reference_wave")]
    figures = estimates[["wave", *keys, "estimate", "se"]]
    reference = figures.rename(columns={"wave": "reference_wave", "estimate": "estimate_reference",
                                        "se": "se_reference"})
    wave = figures.rename(columns={"estimate": "estimate_wave", "se": "se_wave"})
    out = changes.rename(columns={"estimate": "change", "se": "change_se", "ci_low": "change_ci_low",
                                  "ci_high": "change_ci_high"})
    out = out.merge(reference, on=["reference_wave", *keys], how="left").merge(wave, on=["wave", *keys], how="left")
    return out[[*keys, "wave", "reference_wave", "estimate_reference", "se_reference", "estimate_wave", "se_wave",
                "change", "change_se", "change_ci_low", "change_ci_high", "p", "verdict"]]


def trend_table(t: pd.DataFrame) -> pd.DataFrame:
    """The index: baseline wave, this wave, change and its test (rows of :func:`side_by_side`)."""
    return pd.DataFrame({
        "区分": t["by"], "グループ": t["group"],
        f"基準年{WEIGHTED}": rounded(t["estimate_reference"], 3), "標準誤差（基準年）": rounded(t["se_reference"], 3),
        f"今回{WEIGHTED}": rounded(t["estimate_wave"], 3), "標準誤差（今回）": rounded(t["se_wave"], 3),
        "変化": rounded(t["change"], 3), "95%信頼区間": ci_text(t["change_ci_low"], t["change_ci_high"], digits=3),
        "p値": p_values(t["p"]), "判定": verdict_texts(t["verdict"], t["wave"], t["reference_wave"]),
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
        wide = side_by_side(compare_waves(before, after, labels=("基準年", q.wave or "今回")))
        return wide.drop(columns=["variable"])

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
