"""The drivers section (kind ``drivers``): who gives a higher score.

A design-based ordinal logit of a scored question on categorical
predictors (:func:`survey.measures.satisfaction_drivers`, R ``svyolr``),
each against its first code or the plan's ``reference`` code; reported as
odds ratios of an answer on the higher-scored side.
"""
from __future__ import annotations

import pandas as pd

from survey.errors import ConvergenceError, DesignError
from survey.measures import satisfaction_drivers
from survey.pipeline.base import SectionResult, SectionUnavailable, attribute_name, code_labels, html_table
from survey.report.crosstab import has_small_base, mark_small_base, small_base_note, small_base_sheet_note
from survey.report.html import Section
from survey.report.present import ci_text, p_values, rounded
from survey.report.tableinfo import Measure, describe
from survey.report.prose import prose

__all__ = ["build", "drivers_table", "formula_terms"]


def formula_terms(predictors, reference) -> list[str]:
    """``C(x)`` per predictor, ``C(x, contr.treatment(base=k))`` with a reference code."""
    return [f"C({p}, contr.treatment(base={reference[p]}))" if p in reference else f"C({p})" for p in predictors]


def drivers_table(d: pd.DataFrame, names: dict, bases: dict | None = None) -> pd.DataFrame:
    """Odds ratios of a higher-scored answer (design-based ordinal logit); ``bases``:
    ``{(variable, level label): respondents in the model}``, a level of fewer than 30 marked ``*``."""
    bases = bases or {}
    return pd.DataFrame({
        "要因": d["variable"].map(names).fillna(d["variable"]),
        "区分": [mark_small_base(lab, bases.get((v, lab))) for v, lab in zip(d["variable"], d["level_label"])], "オッズ比": rounded(d["odds_ratio"], 2),
        "95%信頼区間": ci_text(d["ci_low"], d["ci_high"], digits=2), "p値": p_values(d["p"]),
    })


def build(spec, ctx) -> SectionResult:
    q = ctx.questionnaire
    predictors = spec.get("predictors")
    title = spec.get("title", prose("sections.drivers.title", question=attribute_name(q, spec.question)))
    question = q[spec.question]
    answers = ctx.design.data[spec.question]
    scored = sorted(int(c) for c in answers.dropna().unique() if int(c) in question.scores)
    if len(scored) < 3:   # an ordinal model needs three or more answers to order
        shown = "・".join(f"「{question.codes[c]}」" for c in scored) or "なし"
        raise SectionUnavailable(prose("sections.drivers.too_few_answers", count=len(scored), shown=shown), title=title)
    try:
        fit = satisfaction_drivers(ctx.design, spec.question, questionnaire=q,
                                   predictors=formula_terms(predictors, dict(spec.get("reference", {}))))
    except (ConvergenceError, DesignError):
        raise SectionUnavailable(_why_not(ctx, spec, predictors), title=title) from None
    table = drivers_table(fit.odds_ratios, {p: attribute_name(q, p) for p in predictors},
                          _level_bases(ctx, spec, predictors))
    unscored = [lab for code, lab in question.codes.items() if code not in question.scores]
    unscored += list(question.missing.values())
    odds = prose("sections.drivers.item")
    describe(table, base=prose("sections.drivers.base", question=attribute_name(q, spec.question),
                               excluded="・".join(dict.fromkeys(unscored))),
             dims={"要因": "区分", "区分": "グループ"}, fixed={"項目": odds},
             values={"オッズ比": Measure("オッズ比"), "p値": Measure("p値")},
             intervals={"95%信頼区間": (Measure("95%信頼区間下限"), Measure("95%信頼区間上限"))})
    small = has_small_base(table["区分"])
    notes = (small_base_sheet_note([title.split("（")[0]]),) if small else ()
    return SectionResult(title=title, blocks=((title, table),), notes=notes,
                         html=Section(spec.id, title, tables=[html_table(title, table,
                                                                         note=small_base_note() if small else "")]))


def _level_bases(ctx, spec, predictors) -> dict:
    """``{(predictor, level label): respondents}`` of the model: a scored answer and every predictor
    known (the rows the ordinal logit uses)."""
    q, data = ctx.questionnaire, ctx.design.data
    question = q[spec.question]
    used = (data[spec.question].isin([float(c) for c in question.scores]) & data[list(predictors)].notna().all(axis=1)
            & (ctx.design.weights.to_numpy() > 0))
    out = {}
    for p in predictors:
        labels = code_labels(q, p)
        for code, n in data.loc[used, p].value_counts().items():
            out[(p, labels.get(float(code), str(code)))] = int(n)
    return out


def _why_not(ctx, spec, predictors) -> str:
    """Why the model has no estimate: the levels with fewer than three scored answers, if any."""
    q = ctx.questionnaire
    scores = q[spec.question].scores
    data = ctx.design.data
    scored = data[spec.question].isin(list(scores)).fillna(False).to_numpy(dtype=bool)
    sparse = []
    for p in predictors:
        counts = data.loc[scored, p].value_counts()
        sparse += [f"{attribute_name(q, p)}「{q[p].codes.get(int(c), c)}」{int(n)}人" for c, n in counts.items() if n < 3]
    if sparse:
        return prose("sections.drivers.sparse", cells="、".join(sparse))
    return prose("sections.drivers.separation")
