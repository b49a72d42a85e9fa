"""The sampling-error section (kind ``sampling_error``, sheet 標本誤差).

±1.96·√(deff·p(1−p)/n) for the usual bases and shares, with this wave's
Kish design effect of the weights (:func:`sampling_error_table`, computed
once per wave by the pipeline; ``report.html`` shows it in its methods).
"""
from __future__ import annotations

from survey.measures.tables.sampling_error import sampling_error_table
from survey.pipeline.base import SectionResult
from survey.report.tableinfo import describe

__all__ = ["build", "wave_sampling_error"]


def wave_sampling_error(deff: float, n_kept: int):
    """The table for this wave: its number of respondents and round bases below it."""
    ns = sorted({n for n in (n_kept, 1000, 500, 300, 200, 100, 50) if n <= n_kept}, reverse=True)
    table = sampling_error_table(ns=ns, deff=deff).round(1)
    return table.rename(columns={"n": "基数 n"})


def build(spec, ctx) -> SectionResult:
    deff = float(ctx.design.diagnostics()["kish_deff"])
    notes = (f"±1.96·√(deff·p(1−p)/n)。この調査の重みによるデザイン効果 deff = {deff:.3f}（Kish）を適用している。",
             "n は比率の基数（回答者数）。")
    return SectionResult(title=spec.get("title", "標本誤差（95%信頼区間の半幅、±ポイント）"),
                         blocks=(("", ctx.sampling_error),), notes=notes,
                         files={"{sheet}": ("標本誤差早見表（95%信頼区間の半幅、±ポイント）", describe(
                             ctx.sampling_error.copy(), base="基数 n の回答者（この調査のデザイン効果を適用した目安）",
                             opendata=False))})
