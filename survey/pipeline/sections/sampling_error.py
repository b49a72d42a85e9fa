"""The sampling-error section (kind ``sampling_error``, sheet 標本誤差).

±1.96·√(deff·p(1−p)/n) for the usual bases and shares, with this wave's
Kish design effect of the weights (:func:`sampling_error_table`, computed
once per wave by the pipeline; ``report.html`` shows it in its methods).
"""
from __future__ import annotations

from survey.measures.tables.sampling_error import sampling_error_table
from survey.pipeline.base import SectionResult
from survey.report.tableinfo import describe
from survey.report.prose import prose

__all__ = ["build", "wave_sampling_error"]


def wave_sampling_error(deff: float, n_kept: int):
    """The table for this wave: its number of respondents and round bases below it."""
    ns = sorted({n for n in (n_kept, 1000, 500, 300, 200, 100, 50) if n <= n_kept}, reverse=True)
    table = sampling_error_table(ns=ns, deff=deff).round(1)
    return table.rename(columns={"n": "基数 n"})


def build(spec, ctx) -> SectionResult:
    deff = float(ctx.design.diagnostics()["kish_deff"])
    notes = (prose("sections.sampling_error.formula", deff=deff), prose("sections.sampling_error.base_note"))
    return SectionResult(title=spec.get("title", prose("sections.sampling_error.title")),
                         blocks=(("", ctx.sampling_error),), notes=notes,
                         files={"{sheet}": (prose("sections.sampling_error.file_title"), describe(
                             ctx.sampling_error.copy(), base=prose("sections.sampling_error.base"), opendata=False))})
