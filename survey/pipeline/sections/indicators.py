"""The indicators section (kind ``indicators``): the plan's indicator table.

Every indicator declared under ``indicators:`` (latest value with its
interval, change since the baseline with its test, verdict against the
target: :func:`survey.measures.indicator_table`), plus the area indicators
of the admin table (``--admin``) when the plan says ``admin: true``.  The
same indicators head ``report.html``.
"""
from __future__ import annotations

import pandas as pd

from survey.measures import indicator_table
from survey.pipeline.base import SectionResult, html_table
from survey.report.format import fmt_number
from survey.report.html import Indicator, Section
from survey.report.present import ci_text, rounded
from survey.report.tableinfo import Measure, describe

__all__ = ["build", "indicator_table_ja", "headline_indicators"]

_UNIT_DIGITS = {"ポイント": 2, "回/年": 1, "%": 1, "m²/人": 2}


def indicator_table_ja(t: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "指標": t["label"], "単位": t["unit"], "出典": t["source"].map({"survey": "市民アンケート", "admin": "行政資料"}),
        "現況値": t["baseline"], "現況年度": t["baseline_year"], "目標値": t["target"], "目標年度": t["target_year"],
        "今回値": rounded(t["estimate"], 3), "95%信頼区間": ci_text(t["ci_low"], t["ci_high"], digits=3),
        "現況値からの変化": rounded(t["change"], 3), "変化の判定": t["change_verdict_ja"], "目標の判定": t["verdict_ja"],
    })


def headline_indicators(table: pd.DataFrame) -> list[Indicator]:
    """The indicator table as the headline cards of ``report.html``."""
    out = []
    for row in table.itertuples(index=False):
        digits = _UNIT_DIGITS.get(row.unit, 2)
        ci = "" if pd.isna(row.ci_low) else ci_text([row.ci_low], [row.ci_high], digits=digits)[0]
        out.append(Indicator(label=row.label, value=fmt_number(row.estimate, digits=digits), ci=ci,
                             baseline=f"{row.baseline:.{digits}f}（{row.baseline_year}）",
                             target=f"{row.target:.{digits}f}（{row.target_year}）",
                             unit=row.unit, n="" if pd.isna(row.n) else f"{int(row.n):,}", note=row.verdict_ja))
    return out


def build(spec, ctx) -> SectionResult:
    q = ctx.questionnaire
    admin = ctx.admin if spec.get("admin", False) else None
    table = indicator_table(ctx.design, q, admin=admin, admin_year=(q.wave or None) if admin is not None else None,
                            baseline_design=ctx.baseline_design)
    title = spec.get("title", "計画の指標")
    shown = describe(indicator_table_ja(table), base="指標ごと（市民アンケートの指標は回答者、行政資料の指標は資料の値）",
                     dims={"指標": "項目"}, unit_column="単位", values={
                         "現況値": Measure("現況値", None), "目標値": Measure("目標値", None),
                         "今回値": Measure("今回値", None), "現況値からの変化": Measure("現況値からの変化", None)},
                     intervals={"95%信頼区間": (Measure("今回値の95%信頼区間下限", None),
                                            Measure("今回値の95%信頼区間上限", None))})
    return SectionResult(title=title, blocks=(("", shown),), headline=tuple(headline_indicators(table)),
                         html=Section(spec.id, title, tables=[html_table("指標の現況値・目標値・今回値", shown)]))
