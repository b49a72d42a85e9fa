"""The allocation section (kind ``allocation``): how respondents split a fixed amount.

Compute: mean amounts per part (arithmetic means; a zero is an answer) and
the share giving a part nothing, for the whole sample and each ``by``
attribute, keeping exactly the answers the intake kept (the question's
``total``, ``total_policy`` and ``tolerance``:
:func:`survey.measures.allocation_policy`), and weighted k-means segments of
the allocation patterns (zeros replaced by a thousandth of the total;
``segments: false`` to leave them out).  Present: a wide table of means
(rounded to a thousandth of the total), the zero shares, the segments; a
dot chart.
"""
from __future__ import annotations

import pandas as pd

from survey.errors import InputError
from survey.measures import allocation_means, allocation_policy, allocation_segments, allocation_zero_shares
from survey.pipeline.base import TOTAL, SectionResult, SectionUnavailable, attribute_name, by_groups, html_table
from survey.report import charts
from survey.report.crosstab import has_small_base, mark_small_base, small_base_note, small_base_sheet_note
from survey.report.format import UNWEIGHTED, WEIGHTED
from survey.report.html import Figure, Section
from survey.report.present import ci_text, pct, with_kinds
from survey.report.tableinfo import Measure, describe
from survey.report.prose import prose

__all__ = ["build", "means_table", "zero_share_table", "segment_table"]


def means_table(a: pd.DataFrame, *, heading: str, total: int = 1000, unit: str = "点") -> pd.DataFrame:
    """Mean amount per part (rows) by group (columns), rounded to a
    thousandth of the ``total`` (yen of ¥1,000; a tenth of a point of 100);
    whole yen are shown ``"¥"#,##0`` in the workbook."""
    a = a.copy()
    # a group of fewer than 30 respondents is marked in its heading (地区:内間木*)
    a["col"] = [g if b == TOTAL else f"{b}:{mark_small_base(g, n)}" for b, g, n in zip(a["by"], a["group"], a["n"])]
    wide = a.pivot_table(index="part", columns="col", values="estimate", sort=False)
    digits = max(0, 3 - len(str(int(total))) + 1)   # 1000 -> 0 decimals, 100 -> 1, 10 -> 2
    wide = wide[list(dict.fromkeys(a["col"]))].round(digits)
    wide.index.name = heading
    out = wide.reset_index()
    out.columns.name = None
    kind = "yen" if unit == "円" and digits == 0 else f"decimal{digits}"
    return with_kinds(out, {c: kind for c in out.columns[1:]})


def zero_share_table(z: pd.DataFrame, *, items_label: str, unit: str) -> pd.DataFrame:
    z = z[z["by"] == TOTAL]
    return with_kinds(pd.DataFrame({
        items_label: z["part"], f"0{unit}の人の割合(%){WEIGHTED}": pct(z["estimate"]),
        "95%信頼区間": ci_text(z["ci_low"], z["ci_high"], digits=1, scale=100), f"回答者数 n{UNWEIGHTED}": z["n"],
    }), {f"0{unit}の人の割合(%){WEIGHTED}": "percent"})


def segment_table(s: pd.DataFrame, *, item_noun: str) -> pd.DataFrame:
    return with_kinds(pd.DataFrame({
        "グループ": [mark_small_base(f"グループ{k}", n) for k, n in zip(s["segment"], s["n"])], f"構成比(%){WEIGHTED}": pct(s["estimate"]),
        "95%信頼区間": ci_text(s["ci_low"], s["ci_high"], digits=1, scale=100),
        f"人数 n{UNWEIGHTED}": s["n"], f"特に多く配分した{item_noun}": s["top_parts"],
    }), {f"構成比(%){WEIGHTED}": "percent"})


def build(spec, ctx) -> SectionResult:
    q, design = ctx.questionnaire, ctx.design
    question = q[spec.question]
    parts = list(question.columns)
    labels = {it.column: it.label for it in question.items}
    unit, amount = spec.get("unit", "点"), spec.get("amount_label", "配分")
    items_label, noun = spec.get("items_label", "項目"), spec.get("item_noun", "項目")
    policy = allocation_policy(question)   # the answers the intake kept
    title = spec.get("title", f"{question.total:,}{unit}の配分（{items_label}）")
    amounts = design.data[parts].astype(float)
    answered = amounts.notna().any(axis=1)
    if answered.any() and (amounts[answered].fillna(0).sum(axis=1) == 0).all():
        raise SectionUnavailable(prose("sections.allocation.all_zero", unit=unit), title=title)
    try:
        means = by_groups(lambda by: allocation_means(design, parts, by=by, **policy), q, spec.by)
    except InputError as exc:
        if not str(exc).startswith("no respondent has a usable allocation"):
            raise
        raise SectionUnavailable(prose("sections.allocation.none_usable", total=question.total, unit=unit),
                                 title=title) from None
    means["part"] = means["part"].map(labels)
    zero = by_groups(lambda by: allocation_zero_shares(design, parts, by=by, **policy), q, spec.by)
    zero["part"] = zero["part"].map(labels)
    mean_table = means_table(means, heading=f"{items_label}（平均{amount}・{unit}）{WEIGHTED}", total=question.total,
                             unit=unit)
    zeros = zero_share_table(zero, items_label=items_label, unit=unit)
    base = prose("sections.allocation.base", question=attribute_name(q, spec.question), unit=unit, total=question.total)
    describe(mean_table, base=base, dims={mean_table.columns[0]: "項目"}, melt=Measure(f"平均{amount}{WEIGHTED}", unit),
             split=":")
    zero_share = f"0{unit}の人の割合"
    describe(zeros, base=base, dims={items_label: "項目"}, values={
        f"{zero_share}(%){WEIGHTED}": Measure(f"{zero_share}{WEIGHTED}", "%"),
        f"回答者数 n{UNWEIGHTED}": Measure(f"回答者数{UNWEIGHTED}", "人")},
        intervals={"95%信頼区間": (Measure("95%信頼区間下限", "%"), Measure("95%信頼区間上限", "%"))})
    blocks = [(f"平均{amount}（{unit}）", mean_table), (f"0{unit}と回答した人の割合", zeros)]
    html_tables = [html_table(f"平均{amount}（{unit}、重み付け）", mean_table),
                   html_table(f"0{unit}と回答した人の割合", zeros)]
    if spec.get("segments", True):
        # zeros replaced by 1/1000 of the total (¥1 of ¥1,000), whatever the scale
        seg = allocation_segments(design, parts, seed=ctx.seed, delta=question.total / 1000, **policy)
        sizes = seg.sizes.copy()
        sizes["top_parts"] = sizes["top_parts"].map(
            lambda s: "・".join(labels.get(p.strip(), p.strip()) for p in str(s).split(",")))
        segments = segment_table(sizes, item_noun=noun)
        describe(segments, base=base, dims={"グループ": "グループ", f"特に多く配分した{noun}": "項目"},
                 fixed={"区分": "配分パターン"}, values={
                     f"構成比(%){WEIGHTED}": Measure(f"構成比{WEIGHTED}", "%"),
                     f"人数 n{UNWEIGHTED}": Measure(f"人数{UNWEIGHTED}", "人")},
                 intervals={"95%信頼区間": (Measure("95%信頼区間下限", "%"), Measure("95%信頼区間上限", "%"))})
        blocks.append(("配分パターンによるグループ", segments))
        html_tables.append(html_table(f"配分パターンによるグループ（k-means、{int(seg.k)}グループ）", segments))
    first = [TOTAL, *(attribute_name(q, by) for by in spec.by[:1])]
    chart = means[means["by"].isin(first)]
    groups = "・".join([TOTAL, *(f"{attribute_name(q, by)}別" for by in spec.by[:1])])
    figure = Figure(charts.allocation_chart(chart[["part", "group", "estimate", "ci_low", "ci_high"]],
                                            xlabel=f"平均{amount}（{unit}）"),
                    f"平均{amount}（{groups}、重み付け）")
    intro = spec.get("intro", prose("sections.allocation.intro", total=question.total, unit=unit, parts=len(parts),
                                    noun=noun, amount=amount))
    small = [has_small_base(frame.columns, frame.iloc[:, 0]) for _, frame in blocks]
    html_tables = [type(t)(t.caption, t.frame, formats=t.formats, note=small_base_note() if s else t.note)
                   for t, s in zip(html_tables, small)]
    html = Section(spec.id, title, intro=intro, figures=[figure], tables=html_tables)
    notes = (prose("sections.allocation.note_total", total=question.total, unit=unit),)
    if any(small):
        notes += (small_base_sheet_note([caption for (caption, _), s in zip(blocks, small) if s]),)
    return SectionResult(title=title, blocks=tuple(blocks), html=html, notes=notes)
