"""The indicators section (kind ``indicators``): the plan's indicator table.

Every indicator declared under ``indicators:`` (latest value with its
interval, change since the baseline with its test, verdict against the
target: :func:`survey.measures.indicator_table`); the administrative ones
(``source: admin``, from the admin table ``--admin``) only when the plan says
``admin: true``.  The
same indicators head ``report.html``.
"""
from __future__ import annotations

import pandas as pd

from survey.measures import indicator_table
from survey.pipeline.base import SectionResult
from survey.report.format import fmt_number
from survey.report.html import Indicator, Section, Table
from survey.report.present import ci_text, signed
from survey.report.tableinfo import Measure, describe
from survey.report.prose import prose
from survey.report.verdicts import verdict_text, verdict_texts

__all__ = ["build", "indicator_table_ja", "headline_indicators"]

_SOURCES = {"survey": "市民アンケート", "admin": "行政資料"}


def _reference_text(row) -> str:
    """What the change is measured from, in words."""
    if row.reference == "baseline_wave":
        return f"{row.baseline_year}調査の推定値"
    if row.reference == "plan_baseline":
        return f"計画の現況値（{row.baseline_year}）"
    return "なし（今回が基準年）"


def _baseline_name(year) -> str:
    """The reference wave of a change's verdict: the baseline year, or 基準年 when the plan names none."""
    return "基準年" if year is None or (not isinstance(year, str) and pd.isna(year)) or year == "" else str(year)


def _plan_digits(*values) -> int:
    """Decimals of the plan's published figures (0.29 and 0.30 → 2): the fewest that show each exactly."""
    def need(v):
        return next((d for d in range(6) if abs(round(float(v), d) - float(v)) < 1e-9), 6)
    return max(need(v) for v in values)


def _shown(value, digits: int):
    return float("nan") if pd.isna(value) else round(float(value), int(digits))


def indicator_table_ja(t: pd.DataFrame) -> pd.DataFrame:
    """The indicator table as published: every figure at the indicator's precision
    (``decimals``), and the change as the difference of the two figures printed
    beside it (今回値 − 変化の基準値), so the arithmetic can be checked by eye."""
    now = [_shown(v, d) for v, d in zip(t["estimate"], t["decimals"])]
    ref = [_shown(v, d) for v, d in zip(t["reference_value"], t["decimals"])]
    change = [float("nan") if pd.isna(a) or pd.isna(b) else round(a - b, int(d))
              for a, b, d in zip(now, ref, t["decimals"])]
    # a column mixes precisions (an index to 0.001, times a year to 0.1): each cell keeps its own
    # (object columns: the writers show every number with the decimals it was rounded to)
    return pd.DataFrame({
        "指標": t["label"], "単位": t["unit"], "出典": t["source"].map(_SOURCES),
        "現況値（計画）": pd.Series(t["baseline"].tolist(), dtype=object), "現況年度": t["baseline_year"],
        "目標値": pd.Series(t["target"].tolist(), dtype=object), "目標年度": t["target_year"],
        "今回値": pd.Series(now, dtype=object),
        "95%信頼区間": [ci_text([lo], [hi], digits=int(d))[0] for lo, hi, d in zip(t["ci_low"], t["ci_high"], t["decimals"])],
        "変化の基準": [_reference_text(row) for row in t.itertuples(index=False)],
        "基準の値": pd.Series(ref, dtype=object), "変化（今回値−基準の値）": pd.Series(change, dtype=object),
        "変化の判定": verdict_texts(t["change_verdict"], t["wave"], [_baseline_name(b) for b in t["baseline_year"]]),
        "目標の判定": verdict_texts(t["verdict"]),
    })


def _page_text(shown: pd.DataFrame, t: pd.DataFrame) -> pd.DataFrame:
    """The table for ``report.html``: each row's figures at its own precision (a column
    mixes an index to 0.001 and times a year to 0.1), the change with its sign."""
    out = shown.copy().astype(object)
    for col in ("現況値（計画）", "目標値"):
        out[col] = [f"{v:.{_plan_digits(a, b)}f}" for v, a, b in zip(shown[col], shown["現況値（計画）"], shown["目標値"])]
    for col in ("今回値", "基準の値", "変化（今回値−基準の値）"):
        out[col] = ["" if pd.isna(v) else (("+" if col.startswith("変化") and v > 0 else "") + signed(v, int(d)))
                    for v, d in zip(shown[col], t["decimals"])]
    return out


def _page_tables(text: pd.DataFrame, note: str) -> list[Table]:
    """Two tables for the page, so that no column is squeezed: the figures, then the change
    and the verdicts (the workbook and the CSV keep them in one table)."""
    figures = ["指標", "単位", "出典", "現況値（計画）", "現況年度", "目標値", "目標年度", "今回値", "95%信頼区間"]
    verdicts = ["指標", "今回値", "変化の基準", "基準の値", "変化（今回値−基準の値）", "変化の判定", "目標の判定"]
    return [Table("指標の現況値・目標値・今回値", text[figures]),
            Table("今回値の変化と目標の判定", text[verdicts], note=note)]


def headline_indicators(table: pd.DataFrame) -> list[Indicator]:
    """The indicator table as the headline cards of ``report.html`` (the same figures, same precision)."""
    out = []
    for row in table.itertuples(index=False):
        digits, plan = int(row.decimals), _plan_digits(row.baseline, row.target)
        ci = "" if pd.isna(row.ci_low) else ci_text([row.ci_low], [row.ci_high], digits=digits)[0]
        out.append(Indicator(label=row.label, value=fmt_number(row.estimate, digits=digits), ci=ci,
                             baseline=f"{row.baseline:.{plan}f}（{row.baseline_year}）",
                             target=f"{row.target:.{plan}f}（{row.target_year}）",
                             unit=row.unit, n="" if pd.isna(row.n) else f"{int(row.n):,}",
                             note=verdict_text(row.verdict)))
    return out


def build(spec, ctx) -> SectionResult:
    q = ctx.questionnaire
    admin = ctx.admin if spec.get("admin", False) else None
    table = indicator_table(ctx.design, questionnaire=q, admin=admin, admin_year=(q.wave or None) if admin is not None else None,
                            baseline_design=ctx.baseline_design)
    title = spec.get("title", "計画の指標")
    shown = describe(indicator_table_ja(table), base=prose("sections.indicators.base"),
                     dims={"指標": "項目"}, unit_column="単位", values={
                         "現況値（計画）": Measure("現況値（計画）", None), "目標値": Measure("目標値", None),
                         "今回値": Measure("今回値", None), "基準の値": Measure("変化の基準の値", None),
                         "変化（今回値−基準の値）": Measure("変化（今回値−基準の値）", None)},
                     intervals={"95%信頼区間": (Measure("今回値の95%信頼区間下限", None),
                                            Measure("今回値の95%信頼区間上限", None))})
    note = prose("sections.indicators.note_change") + "".join(
        prose(f"sections.indicators.reference_{kind}") for kind in ("none", "plan_baseline", "baseline_wave")
        if (table["reference"] == kind).any())
    return SectionResult(title=title, blocks=(("", shown),), headline=tuple(headline_indicators(table)),
                         notes=(note,),
                         html=Section(spec.id, title, tables=_page_tables(_page_text(shown, table), note)))
