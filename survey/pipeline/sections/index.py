"""The index section (kind ``index``): a scored question's index by group.

Compute: the index (mean score, わからない and 無回答 left out as a domain) for
the whole sample and each ``by`` attribute, the answer distribution and
shares for the ``chart_by`` attributes, and Holm-adjusted differences
between the groups of each ``by`` attribute.  Present: the index table
(checked against the ``indicator``'s target), the distribution and the
differences; in ``report.html`` two charts and the same tables.
"""
from __future__ import annotations

import pandas as pd

from survey.measures import compare_groups, satisfaction_distribution, satisfaction_index
from survey.measures.differences import degenerate_se
from survey.measures.tables.tabulate import NO_ANSWER_LABEL
from survey.pipeline.base import (
    HIDDEN, TOTAL, SectionResult, attribute_name, by_groups, code_labels, html_table, tidy_index,
)
from survey.report import charts
from survey.report.crosstab import has_small_base, mark_small_base, small_base_note, small_base_sheet_note
from survey.report.format import UNWEIGHTED, WEIGHTED
from survey.report.html import Figure, Section
from survey.report.labels import label_frame
from survey.report.present import ci_text, p_values, pct, rounded, signed, with_kinds
from survey.report.tableinfo import Measure, describe
from survey.report.prose import prose
from survey.report.verdicts import verdict_texts

__all__ = ["build", "index_table", "distribution_table", "comparison_table", "excluded_labels", "unscored_labels"]


def excluded_labels(question) -> list[str]:
    """Labels of the answers the index leaves out: codes without a score, then the missing codes."""
    labels = [lab for code, lab in question.codes.items() if code not in question.scores]
    labels += [lab for lab in question.missing.values()]
    return list(dict.fromkeys(labels))


def unscored_labels(question) -> list[str]:
    """The answers a distribution on every respondent adds to the scored ones: codes without a
    score (わからない), then 無回答."""
    return [lab for code, lab in question.codes.items() if code not in question.scores] + [NO_ANSWER_LABEL]


def index_table(t: pd.DataFrame, *, label: str, target=None) -> pd.DataFrame:
    """The index by group; a group of fewer than 30 respondents (``n``) is marked ``*`` (内間木*);
    its verdict is kept (the methods say it is 参考)."""
    out = pd.DataFrame({
        "区分": t["by"], "グループ": [mark_small_base(g, n) for g, n in zip(t["group"], t["n"])],
        f"{label}{WEIGHTED}": rounded(t["estimate"], 3), "標準誤差": rounded(t["se"], 3),
        "95%信頼区間": ci_text(t["ci_low"], t["ci_high"], digits=3),
        "デザイン効果": rounded(t["deff"], 2), f"回答者数 n{UNWEIGHTED}": t["n"].astype(int),
    })
    if target is not None:   # a group without sampling variance (SE 0) is not judged
        flat = degenerate_se(t["se"], t["estimate"])
        out["目標値との比較"] = ["判定できない（標準誤差0）" if f else "目標値以上" if lo >= target else
                          ("目標値未満" if hi < target else "目標値と区別できない")
                          for lo, hi, f in zip(t["ci_low"], t["ci_high"], flat)]
    return out


def distribution_table(d: pd.DataFrame) -> pd.DataFrame:
    """区分 × グループ rows, answer levels as columns (weighted % of every respondent of the group,
    so a row adds up to 100), base n; a cell the report suppresses (``hidden``) shows ``x``."""
    d = d.copy()
    d["pct"] = pct(d["estimate"])
    if "hidden" in d.columns:
        d["pct"] = [HIDDEN if h else v for v, h in zip(d["pct"], d["hidden"])]
    levels = list(dict.fromkeys(d["level"]))
    keys = list(dict.fromkeys(zip(d["by"], d["group"])))
    cells = {(b, g, lev): v for b, g, lev, v in zip(d["by"], d["group"], d["level"], d["pct"])}
    wide = pd.DataFrame([[b, g, *(cells.get((b, g, lev)) for lev in levels)] for b, g in keys],
                        columns=["by", "group", *levels]).astype({lev: object for lev in levels})
    base = d.groupby(["by", "group"], sort=False)["n"].max().reset_index(drop=True)
    wide.insert(2, f"基数 n{UNWEIGHTED}", base.astype(int).to_numpy())
    wide["group"] = [mark_small_base(g, n) for g, n in zip(wide["group"], wide[f"基数 n{UNWEIGHTED}"])]
    return with_kinds(wide.rename(columns={"by": "区分", "group": "グループ"}), {lev: "percent" for lev in levels})


def comparison_table(c: pd.DataFrame, bases: dict | None = None) -> pd.DataFrame:
    """Pairwise differences; ``bases``: ``{(by, group): n}`` of the index table, whose small groups
    are marked in 比較 (内間木* − 北部); the verdicts name the groups unmarked."""
    bases = bases or {}
    name = lambda b, g: mark_small_base(g, bases.get((b, g)))  # noqa: E731
    return pd.DataFrame({
        "区分": c["by"], "比較": [f"{name(by, a)} − {name(by, b)}" for by, a, b in zip(c["by"], c["group"], c["reference"])],
        "差": rounded(c["estimate"], 3), "標準誤差": rounded(c["se"], 3),
        "p値（調整後）": p_values(c["p_adjusted"]), "判定": verdict_texts(c["verdict"], c["group"], c["reference"]),
    })


def _compute(spec, ctx):
    q, design, column = ctx.questionnaire, ctx.design, spec.question
    chart_by = spec.get("chart_by", spec.by)
    index = by_groups(lambda by: tidy_index(satisfaction_index(design, column, questionnaire=q, by=by).to_frame()),
                      q, spec.by)
    dist, shares = [], []
    cells = ctx.small_cells
    for by in chart_by:
        # one base for the whole table: every respondent of the group (issue 16 item 1: the scored
        # levels were % of the index's respondents, わからない・無回答 % of everyone, so rows added
        # to 105-114% and そう思う for 18〜29歳 read 14.3 here, 12.4 in the chart and cross table)
        frame = label_frame(satisfaction_distribution(design, column, questionnaire=q, by=by, base="all"), q,
                            columns=["code"])
        frame = frame[frame["kind"].isin(["level", "excluded"])].copy()
        labels = code_labels(q, by)
        frame["group"] = frame[by].map(lambda v: labels.get(float(v), str(v)))
        frame["by"] = attribute_name(q, by)
        hidden = cells.hidden(column, by)
        frame["hidden"] = [bool(hidden.loc[g, lev]) for g, lev in zip(frame["group"], frame["label"])]
        dist.append(frame)
        long = cells.crosstab(column, by)
        long = long[~long["group"].isin([TOTAL, NO_ANSWER_LABEL])].copy()
        long["hidden"] = [bool(hidden.loc[g, lev]) for g, lev in zip(long["group"], long["level"])]
        shares.append(long.assign(by=attribute_name(q, by))[["by", "group", "level", "percent", "base_n", "hidden"]])
    dist = pd.concat(dist, ignore_index=True).rename(columns={"label": "level"})[
        ["by", "group", "kind", "level", "base", "estimate", "ci_low", "ci_high", "n", "count", "hidden"]]
    comps = []
    for by in spec.by:
        est = satisfaction_index(design, column, questionnaire=q, by=by)
        pairs = compare_groups(est, df=design.degf).pairs.copy()
        labels = code_labels(q, by)
        for side in ("group", "reference"):       # the groups' codes, named as the questionnaire names them
            pairs[side] = pairs[side].map(lambda v: labels.get(float(v), str(v)))
        pairs.insert(0, "by", attribute_name(q, by))
        comps.append(pairs)
    return index, dist, pd.concat(shares, ignore_index=True), pd.concat(comps, ignore_index=True)


def _intro(question, label: str) -> str:
    scored = list(question.scores.items())
    (first, high), (last, low) = scored[0], scored[-1]
    return prose("sections.index.intro", header=question.header.split(" ", 1)[-1], first=question.codes[first],
                 high=_score(high), last=question.codes[last], low=_score(low), label=label,
                 excluded="・".join(excluded_labels(question)))


def _score(value: float) -> str:
    text = signed(float(value), 1)
    return text if text.startswith("\u2212") or float(value) == 0 else "+" + text


def _describe(tables, *, question, label: str, unit: str) -> None:
    """Bases (目次.csv) and open-data layouts of the three tables."""
    (_, index), (_, dist), (_, comps) = tables
    name = question.header.split(" ", 1)[-1]
    excluded = "・".join(excluded_labels(question))
    valid = prose("sections.index.base_scored", question=name, excluded=excluded) if excluded else \
        prose("sections.index.base_answered", question=name)
    on = dict(item=label)
    describe(index, base=valid, dims={"区分": "区分", "グループ": "グループ"}, values={
        f"{label}{WEIGHTED}": Measure(f"推定値{WEIGHTED}", unit, **on), "標準誤差": Measure("標準誤差", unit, **on),
        "デザイン効果": Measure("デザイン効果", "", **on), f"回答者数 n{UNWEIGHTED}": Measure(f"回答者数{UNWEIGHTED}", "人", **on),
    }, intervals={"95%信頼区間": (Measure("95%信頼区間下限", unit, **on), Measure("95%信頼区間上限", unit, **on))})
    describe(dist, base=prose("sections.index.base_everyone", everyone=excluded) if excluded else
             prose("sections.index.base_all"),
             dims={"区分": "区分", "グループ": "グループ"},
             values={f"基数 n{UNWEIGHTED}": Measure(f"基数{UNWEIGHTED}", "人", item="")},
             melt=Measure(f"割合{WEIGHTED}", "%"))
    describe(comps, base=valid, dims={"区分": "区分", "比較": "グループ"}, fixed={"項目": f"{label}の差"}, values={
        "差": Measure("差", unit), "標準誤差": Measure("標準誤差", unit), "p値（調整後）": Measure("p値（Holm法で調整）", "")})


def build(spec, ctx) -> SectionResult:
    q = ctx.questionnaire
    question = q[spec.question]
    title = spec.get("title", attribute_name(q, spec.question))
    label = spec.get("label", f"{title}指数")
    ind = {str(i.get("id")): dict(i) for i in q.indicators}.get(spec.get("indicator"), {})
    index, dist, shares, comps = _compute(spec, ctx)
    excluded = "・".join(excluded_labels(question))
    notes = [prose("sections.index.note_excluded", excluded=excluded)] if excluded else []
    if ind:
        notes = [prose("sections.index.note_indicator", baseline=ind.get("baseline"), target=ind.get("target"),
                       baseline_year=ind.get("baseline_year"), target_year=ind.get("target_year")) + "".join(notes)]
    base = prose("sections.index.base", everyone="・".join(unscored_labels(question)))
    secret = prose("sections.hidden_cells", rule=ctx.small_cells.rule) if dist["hidden"].any() else ""
    if secret:
        notes.append(prose("sections.index.note_distribution", hidden_cells=secret))
    bases = dict(zip(zip(index["by"], index["group"]), index["n"]))
    tables = [(f"{label}（重み付け）", index_table(index, label=label, target=ind.get("target"))),
              (f"回答分布（{base}）", distribution_table(dist)),
              ("グループ間の差（Holm法で調整）", comparison_table(comps, bases))]
    small = [has_small_base(frame[frame.columns[1]]) for _, frame in tables]
    if any(small):
        notes.append(small_base_sheet_note([caption.split("（")[0] for (caption, _), s in zip(tables, small) if s]))
    _describe(tables, question=question, label=label, unit=str(ind.get("unit") or "点"))
    chart_names = [attribute_name(q, by) for by in spec.get("chart_by", spec.by)]
    groups = "・".join(f"{name}別" for name in chart_names)
    idx = index.assign(base_n=index["n"])
    levels = [*question.codes.values(), NO_ANSWER_LABEL]
    unscored = unscored_labels(question)
    figures = [
        Figure(charts.index_chart(idx[idx["by"].isin([TOTAL, *chart_names])], target=ind.get("target"),
                                  baseline=ind.get("baseline"), target_label=f"目標値（{ind.get('target_year', '')}）",
                                  baseline_label=f"基準値（{ind.get('baseline_year', '')}）", ylabel=label),
               f"{label}と95%信頼区間（{groups}）"),
        Figure(charts.satisfaction_chart(shares, levels=levels, nonsubstantive=unscored),
               f"{groups}の回答分布（{base}）"),
    ]
    html = Section(spec.id, title, intro=spec.get("intro", _intro(question, label)), figures=figures,
                   tables=[html_table(caption, frame, note="".join(
                       [secret if k == 1 else "", small_base_note() if small[k] else ""]))
                           for k, (caption, frame) in enumerate(tables)])
    return SectionResult(title=title, blocks=tuple(tables), html=html, notes=tuple(notes))
