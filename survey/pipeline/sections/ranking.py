"""The ranking section (kind ``ranking``): a top-k ranking of items.

Compute: first-choice and top-k shares and Borda points per item for the
whole sample and each ``by`` attribute (:func:`survey.measures.topk_shares`);
with ``model`` attributes, the rank-ordered logit on them (levels with
fewer than ``min_model_n`` respondents pooled with the next code, and
labelled so), its Wald test per attribute and the predicted top-k
probability of every cell (:func:`survey.measures.rank_logit`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.measures import rank_logit, topk_shares
from survey.measures.ranking.shares import MEASURES
from survey.measures.tables.tabulate import NO_ANSWER_LABEL
from survey.pipeline.base import (
    HIDDEN, TOTAL, SectionResult, SectionUnavailable, attribute_name, by_groups, code_labels, html_table, pool_sparse,
)
from survey.report import charts
from survey.report.crosstab import has_small_base, mark_small_base, small_base_note, small_base_sheet_note
from survey.report.format import WEIGHTED
from survey.report.html import Figure, Section
from survey.report.present import ci_text, p_values, pct, rounded, with_kinds
from survey.report.tableinfo import Measure, describe
from survey.report.prose import prose

__all__ = ["build", "wide_shares", "shares_table", "predicted_table", "test_table", "MIN_MODEL_N"]

#: Levels with fewer respondents are pooled for the model (e.g. 内間木, ~25).
MIN_MODEL_N = 50


def _points(depth: int) -> str:
    return "・".join(f"{r}位{depth + 1 - r}点" for r in range(1, depth + 1))


def wide_shares(long: pd.DataFrame) -> pd.DataFrame:
    """:func:`~survey.measures.topk_shares`' long rows (one per group, measure and item) as one
    row per group and item: ``first_share``, ``topk_share`` and ``borda``, each with its
    ``_se``, ``_ci_low`` and ``_ci_high`` (the layout of the report's table)."""
    keys = [c for c in long.columns if c not in ("measure", "estimate", "se", "ci_low", "ci_high", "deff", "n")]
    out = None
    for measure in MEASURES:
        part = long.loc[long["measure"] == measure, [*keys, "estimate", "se", "ci_low", "ci_high"]].rename(columns={
            "estimate": measure, "se": f"{measure}_se", "ci_low": f"{measure}_ci_low", "ci_high": f"{measure}_ci_high"})
        out = part.reset_index(drop=True) if out is None else out.merge(part, on=keys, how="left")
    return out


def shares_table(p: pd.DataFrame, *, depth: int, item_noun: str, bases: dict | None = None) -> pd.DataFrame:
    """The shares by group; a cell the report suppresses (``first_hidden``, ``topk_hidden``) shows ``x``;
    ``bases``: ``{(by, group): respondents who ranked}``, a group of fewer than 30 marked ``*``."""
    bases = bases or {}
    first = p["first_hidden"] if "first_hidden" in p.columns else [False] * len(p)
    topk = p["topk_hidden"] if "topk_hidden" in p.columns else [False] * len(p)

    def masked(values, flags):
        return pd.Series([HIDDEN if h else v for v, h in zip(values, flags)], dtype=object)

    return with_kinds(pd.DataFrame({
        "区分": p["by"], "グループ": [mark_small_base(g, bases.get((b, g))) for b, g in zip(p["by"], p["group"])],
        item_noun: p["item"],
        f"1位に選んだ割合(%){WEIGHTED}": masked(pct(p["first_share"]), first),
        f"{depth}位までに選んだ割合(%){WEIGHTED}": masked(pct(p["topk_share"]), topk),
        "同 95%信頼区間": masked(ci_text(p["topk_share_ci_low"], p["topk_share_ci_high"], digits=1, scale=100), topk),
        f"得点（{_points(depth)}）": masked(rounded(p["borda"], 2), topk),
    }), {f"1位に選んだ割合(%){WEIGHTED}": "percent", f"{depth}位までに選んだ割合(%){WEIGHTED}": "percent",
         f"得点（{_points(depth)}）": "decimal2"})


def predicted_table(p: pd.DataFrame, names: dict) -> pd.DataFrame:
    """Model-predicted top-k inclusion (%) per cell of the model attributes, items as columns."""
    p = p.copy()
    p["pct"] = pct(p["topk_prob"])
    wide = p.pivot_table(index=list(names), columns="item", values="pct", sort=False)
    items = list(dict.fromkeys(p["item"]))
    wide = wide[items].reset_index()
    wide.columns.name = None
    return with_kinds(wide.rename(columns=names), {c: "percent" for c in items})


def test_table(t: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"要因": t["term"], "検定統計量（F）": rounded(t["statistic"], 3),
                         "自由度": [f"{int(a)}, {b:.0f}" for a, b in zip(t["ndf"], t["ddf"])],
                         "p値": p_values(t["p"]), "判定": t["verdict_ja"]})


def _model(spec, ctx, choices, items, noun):
    """Predicted top-k probabilities per cell and the Wald tests of the model attributes."""
    q, design = ctx.questionnaire, ctx.design
    model = spec.get("model", ())
    model_design, pooled = design, {}
    for col in model:
        codes, labels = pool_sparse(design.data[col], code_labels(q, col), min_n=spec.get("min_model_n", MIN_MODEL_N))
        model_design = model_design.with_columns(**{f"_model_{col}": codes})
        pooled[col] = labels
    terms = tuple(f"_model_{col}" for col in model)
    fit = rank_logit(model_design, choices, covariates=terms, categorical=terms)
    predicted = fit.predict()
    for col in model:
        predicted[col] = predicted.pop(f"_model_{col}").map(lambda v, c=col: pooled[c].get(float(v), str(v)))
    predicted = predicted[list(model) + [c for c in predicted.columns if c not in model]]
    predicted["item"] = predicted["item"].map(lambda v: items.get(float(v), str(v)))
    tests = []
    for col in model:
        t = fit.wald_test(f"_model_{col}")
        label = attribute_name(q, col)
        tests.append({"term": label, "statistic": t.statistic, "ndf": t.ndf, "ddf": t.ddf, "p": t.p,
                      "verdict_ja": prose("sections.ranking.differs", attribute=label, noun=noun) if t.p < 0.05
                      else prose("sections.ranking.no_difference", attribute=label)})
    return predicted, tests


def _summary(pri: pd.DataFrame, tests: list, *, depth: int, noun: str) -> str:
    """Plain sentences: the top items overall, and whether the model attributes matter."""
    total = pri[pri["by"] == TOTAL].sort_values("topk_share", ascending=False)
    top = "、".join(f"{row.item}（{100 * row.topk_share:.0f}%）" for row in total.head(3).itertuples())
    return prose("sections.ranking.summary", depth=depth, noun=noun, top=top) + "".join(
        prose("sections.ranking.sentence", text=t["verdict_ja"]) for t in tests)


def build(spec, ctx) -> SectionResult:
    q = ctx.questionnaire
    question = q[spec.question]
    depth, noun = question.depth, spec.get("item_noun", "項目")
    choices = list(question.columns)
    items = {float(k): v for k, v in question.codes.items()}
    title = spec.get("title", f"{attribute_name(q, spec.question)}（上位{depth}位）")
    ranked = pd.unique(ctx.design.data[choices].stack().dropna())
    if len(ranked) < 2:   # nothing to rank: every answer blank, or one item only
        raise SectionUnavailable(prose("sections.ranking.no_answers", noun=noun) if len(ranked) == 0 else
                                 prose("sections.ranking.one_item", noun=noun,
                                       item=items.get(float(ranked[0]), ranked[0])), title=title)
    # rankings cut at a tied rank are partial top-k answers (Dataset.truncated_rankings)
    cut = ctx.dataset.truncated_rankings(spec.question)
    pri = by_groups(lambda by: wide_shares(topk_shares(ctx.design, choices, by=by, truncated=cut)), q, spec.by)
    pri["item"] = pri["item"].map(lambda v: items.get(float(v), str(v)))
    pri = _suppressed(pri, spec, ctx, choices, items, cut)
    shares = shares_table(pri, depth=depth, item_noun=noun, bases=_bases(ctx, spec, choices))
    base = f"{attribute_name(q, spec.question)}の回答者"
    top = f"{depth}位までに選んだ割合"
    describe(shares, base=base, dims={"区分": "区分", "グループ": "グループ", noun: "項目"}, values={
        f"1位に選んだ割合(%){WEIGHTED}": Measure(f"1位に選んだ割合{WEIGHTED}", "%"),
        f"{top}(%){WEIGHTED}": Measure(f"{top}{WEIGHTED}", "%"),
        f"得点（{_points(depth)}）": Measure(f"平均得点（{_points(depth)}）", "点")},
        intervals={"同 95%信頼区間": (Measure(f"{top}の95%信頼区間下限", "%"), Measure(f"{top}の95%信頼区間上限", "%"))})
    blocks = [(f"1位・{depth}位までに選んだ割合", shares)]
    groups = "・".join([TOTAL, *(f"{attribute_name(q, by)}別" for by in spec.by)])
    small = has_small_base(shares["グループ"])
    html_tables = [html_table(groups, shares, note=small_base_note() if small else "")]
    tests = []
    model = spec.get("model", ())
    if model:
        predicted, tests = _model(spec, ctx, choices, items, noun)
        names = "・".join(attribute_name(q, col) for col in model)
        cells = "×".join(attribute_name(q, col) for col in model)
        tested = test_table(pd.DataFrame(tests))
        table = predicted_table(predicted, {col: attribute_name(q, col) for col in model})
        describe(tested, base=base, dims={"要因": "区分"}, fixed={"項目": f"{names}による{noun}の選ばれ方の違い"},
                 values={"検定統計量（F）": Measure("検定統計量（F）"), "p値": Measure("p値")})
        describe(table, base=base, dims={attribute_name(q, col): "グループ" for col in model}, fixed={"区分": cells},
                 melt=Measure(f"モデルによる予測：{depth}位までに選ばれる確率", "%"))
        blocks += [(f"{names}による違いの検定", tested),
                   (f"モデル予測：{depth}位までに選ばれる確率（{cells}、%）", table)]
        html_tables += [html_table(prose("sections.ranking.test_caption", attributes=names), tested),
                        html_table(prose("sections.ranking.predicted_caption", depth=depth, cells=cells), table)]
    figures = []
    if spec.by:
        first = attribute_name(q, spec.by[0])
        heat = pri[pri["by"] == first].rename(columns={"topk_share": "percent", "group": "age"})
        heat = heat.rename(columns={"item": "group", "age": "item", "topk_hidden": "hidden"})[
            ["group", "item", "percent", "hidden"]]
        figures.append(Figure(charts.priority_heatmap(heat), f"{first}別・{depth}位までに選んだ割合（重み付け%）"))
    intro = spec.get("intro", prose("sections.ranking.intro", depth=depth, points=_points(depth)))
    secret = bool(pri["first_hidden"].any() or pri["topk_hidden"].any())
    notes = [prose("sections.hidden_cells", rule=ctx.small_cells.rule)] if secret else []
    html = Section(spec.id, title, intro=intro, figures=figures, tables=html_tables,
                   notes=[_summary(pri, tests, depth=depth, noun=noun), *notes])
    if small:
        notes.append(small_base_sheet_note([blocks[0][0]]))
    label = spec.get("label", attribute_name(q, spec.question))
    methods = (prose("sections.ranking.methods", label=label, depth=depth),) if model else ()
    return SectionResult(title=title, blocks=tuple(blocks), html=html, methods=methods, notes=tuple(notes))


def _bases(ctx, spec, choices) -> dict:
    """``{(by, group): respondents}`` who gave a first choice (the base of the shares), 全体 too."""
    q, data = ctx.questionnaire, ctx.design.data
    ranked = data[choices[0]].notna().to_numpy() & (ctx.design.weights.to_numpy() > 0)
    out = {(TOTAL, TOTAL): int(ranked.sum())}
    for by in spec.by:
        labels = code_labels(q, by)
        for code, n in data.loc[ranked, by].value_counts().items():
            out[(attribute_name(q, by), labels.get(float(code), str(code)))] = int(n)
    return out


def _suppressed(pri: pd.DataFrame, spec, ctx, choices, items: dict, cut) -> pd.DataFrame:
    """Flag the cells the report hides: a first choice is a cell of the question's cross table
    (its 1位, :class:`~survey.report.disclosure.SmallCells`); the top-k inclusion of an item by
    group is a family of its own (complete rankings that name the item), suppressed by the same rule."""
    q, cells = ctx.questionnaire, ctx.small_cells
    attr = {attribute_name(q, by): by for by in spec.by}
    masks = {name: cells.hidden(spec.question, by) for name, by in attr.items()}
    masks[TOTAL] = cells.hidden(spec.question, None)
    codes = ctx.design.data[choices].to_numpy(dtype=float, na_value=np.nan)
    complete = ~np.isnan(codes[:, 0]) & ~np.asarray(cut, dtype=bool)
    labels = list(items.values())
    inside = np.column_stack([(codes == c).any(axis=1) & complete for c in items])
    counts = {None: pd.Series(inside.sum(axis=0), index=labels)}
    for by in spec.by:
        group_labels = code_labels(q, by)
        values = ctx.design.data[by].to_numpy(dtype=float, na_value=np.nan)
        distinct, at = np.unique(values, return_inverse=True)      # each code's label once
        names = np.array([group_labels.get(float(v), NO_ANSWER_LABEL) if v == v else NO_ANSWER_LABEL
                          for v in distinct] or [NO_ANSWER_LABEL], dtype=object)
        group = names[at.reshape(-1)] if len(distinct) else np.array([], dtype=object)
        frame = pd.DataFrame(inside.astype(int), columns=labels).groupby(pd.Series(group, name="group")).sum()
        order = [g for g in [*group_labels.values(), NO_ANSWER_LABEL] if g in frame.index]
        counts[by] = frame.loc[order]
    topk = cells.family(f"{spec.question}:top{len(choices)}", counts, labels)
    topk = {(TOTAL if by is None else attribute_name(q, by)): m for by, m in topk.items()}
    out = pri.copy()
    out["first_hidden"] = [bool(masks[b].loc[g if b != TOTAL else TOTAL, i]) for b, g, i in
                           zip(out["by"], out["group"], out["item"])]
    out["topk_hidden"] = [bool(topk[b].loc[i] if b == TOTAL else topk[b].loc[g, i]) for b, g, i in
                          zip(out["by"], out["group"], out["item"])]
    return out
