"""The frequency section (kind ``frequency``): a category question read as numbers.

For a single-answer question with a ``numeric_map`` (park use: times a year
per category): the weighted mean of the mapped values and the share who
answered a category mapped to 0 (利用しない), by the levels of one
attribute, each tested against the whole city (Holm-adjusted,
:func:`survey.measures.tables.parkuse.park_use_table`) and each with its verdict
in the column beside it, naming the figure it is about.
"""
from __future__ import annotations

import pandas as pd

from survey.labels import CITY_LABEL
from survey.measures import park_use_table
from survey.pipeline.base import HIDDEN, TOTAL, SectionResult, attribute_name, code_labels, html_table
from survey.report.crosstab import has_small_base, mark_small_base, small_base_note, small_base_sheet_note
from survey.report.format import UNWEIGHTED, WEIGHTED
from survey.report.html import Section
from survey.report.present import ci_text, pct, rounded, with_kinds
from survey.report.tableinfo import Measure, describe
from survey.report.prose import prose
from survey.report.verdicts import verdict_text

__all__ = ["build", "frequency_table"]


def frequency_table(p: pd.DataFrame, *, by_name: str, value_label: str, never_label: str,
                    hidden=None) -> pd.DataFrame:
    """One row per level and the city (the ``times`` and ``never`` rows of
    :func:`~survey.measures.tables.parkuse.park_use_table`'s long table side by side, with
    a ``label`` column naming each row, the city's last); each
    figure is followed by its own comparison with the city.  ``hidden``: one flag per row,
    True where the report suppresses the never-use cell (its share, interval and verdict show ``x``)."""
    never = f"「{never_label}」の割合"
    times, shares = (p[p["measure"] == m].reset_index(drop=True) for m in ("times", "never"))
    hidden = [False] * len(times) if hidden is None else list(hidden)

    def verdicts(codes, figure):
        return [verdict_text(c, group=f"{g}の{figure}", reference=city)
                for c, g, city in zip(codes, times["label"], [times["label"].iloc[-1]] * len(times))]

    def masked(values):
        return pd.Series([HIDDEN if h else v for v, h in zip(values, hidden)], dtype=object)

    # a district of fewer than 30 respondents is marked (内間木*); the verdicts name it unmarked
    return with_kinds(pd.DataFrame({
        by_name: [mark_small_base(g, n) for g, n in zip(times["label"], shares["n"])],
        f"{value_label}{WEIGHTED}": rounded(times["estimate"], 1),
        "95%信頼区間": ci_text(times["ci_low"], times["ci_high"], digits=1),
        f"{value_label}の{CITY_LABEL}との比較": verdicts(times["verdict"], value_label),
        f"{never}(%){WEIGHTED}": masked(pct(shares["estimate"])),
        "同 95%信頼区間": masked(ci_text(shares["ci_low"], shares["ci_high"], digits=1, scale=100)),
        f"{never}の{CITY_LABEL}との比較": masked(verdicts(shares["verdict"], never)),
        f"回答者数 n{UNWEIGHTED}": shares["n"].astype(int),
    }), {f"{value_label}{WEIGHTED}": "decimal1", f"{never}(%){WEIGHTED}": "percent"})


def build(spec, ctx) -> SectionResult:
    q = ctx.questionnaire
    question = q[spec.question]
    (by,) = spec.by
    by_name = attribute_name(q, by)
    title = spec.get("title", attribute_name(q, spec.question))
    label = spec.get("label", title)
    value_label = spec.get("value_label", f"平均（{question.numeric_unit}）" if question.numeric_unit else "平均")
    never = "・".join(question.codes[c] for c, v in question.numeric_map.items() if v == 0)
    p = park_use_table(ctx.design, spec.question, by=by, questionnaire=q)
    # the groups' codes named as the questionnaire names them, the whole-sample row as the city
    names = code_labels(q, by)
    p.insert(1, "label", [CITY_LABEL if v == TOTAL else names.get(float(v), str(v)) for v in p[by]])
    # the never-use share is a cell of the cross table on another base: hidden where it is hidden
    cells = ctx.small_cells.hidden(spec.question, by)
    never_levels = [question.codes[c] for c, v in question.numeric_map.items() if v == 0]
    rows = [*p.loc[p["measure"] == "times", "label"].iloc[:-1], TOTAL]
    hidden = [bool(cells.loc[g, never_levels].any()) for g in rows]
    table = frequency_table(p, by_name=by_name, value_label=value_label, never_label=never, hidden=hidden)
    unit = question.numeric_unit or ""
    share = f"「{never}」の割合"
    describe(table, base=prose("sections.frequency.base", question=attribute_name(q, spec.question)),
             dims={by_name: "グループ"},
             fixed={"区分": by_name}, values={
                 f"{value_label}{WEIGHTED}": Measure(f"平均{WEIGHTED}", unit, item=value_label),
                 f"{share}(%){WEIGHTED}": Measure(f"割合{WEIGHTED}", "%", item=share),
                 f"回答者数 n{UNWEIGHTED}": Measure(f"回答者数{UNWEIGHTED}", "人", item="")},
             intervals={"95%信頼区間": (Measure("95%信頼区間下限", unit, item=value_label),
                                    Measure("95%信頼区間上限", unit, item=value_label)),
                        "同 95%信頼区間": (Measure("95%信頼区間下限", "%", item=share),
                                      Measure("95%信頼区間上限", "%", item=share))})
    mapped = "、".join(f"{question.codes[c]}={v:g}" for c, v in question.numeric_map.items())
    intro = spec.get("intro", prose("sections.frequency.intro", value_label=value_label, mapped=mapped, never=never,
                                    by_name=by_name, city=CITY_LABEL))
    notes = [prose("sections.hidden_cells", rule=ctx.small_cells.rule)] if any(hidden) else []
    small = has_small_base(table[by_name])
    html = Section(spec.id, title, intro=intro, tables=[html_table(f"{by_name}別の{label}（重み付け）", table,
                                                                   note=small_base_note() if small else "")],
                   notes=notes)
    if small:
        notes = [*notes, small_base_sheet_note([f"{by_name}別の{label}"])]
    return SectionResult(title=title, blocks=((f"{by_name}別の{label}", table),), html=html, notes=tuple(notes))
