"""What `survey run` computes for a wave: the measures, as tidy tables.

Each table here is a plain DataFrame with codes replaced by the
questionnaire's Japanese labels; formatting (rounding, %, yen) happens later
in :mod:`survey.report.sheets` and :mod:`survey.report.htmlreport`.  The
statistics are all design-based (the raked design of the wave).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.measures import (
    compare_waves, cronbach_alpha, satisfaction_drivers,
    allocation_means, allocation_policy, allocation_segments, allocation_zero_shares, compare_groups,
    indicator_table,
    park_use_table, rank_logit, satisfaction_distribution, satisfaction_index, topk_shares,
)
from survey.measures.frequencies import NO_ANSWER_LABEL, crosstab_question
from survey.questionnaire import Questionnaire

__all__ = ["WaveTables", "analyse_wave", "GROUPS", "TOTAL"]

GROUPS = ("age_band", "district", "sex")
MIN_MODEL_N = 50
TOTAL = "全体"


@dataclass(frozen=True)
class WaveTables:
    """Every table of the planner deliverable, tidy and labelled."""

    satisfaction_index: pd.DataFrame      # by, group, estimate, se, ci_low, ci_high, deff, n
    satisfaction_distribution: pd.DataFrame  # by, group, level, estimate (0–1), ci_low, ci_high, base_n
    satisfaction_shares: pd.DataFrame     # by, group, level, percent (all asked, 0–1), base_n — for charts
    satisfaction_comparisons: pd.DataFrame   # by, group_a, group_b, difference, se, p_adjusted, verdict_ja
    indicators: pd.DataFrame
    park_use: pd.DataFrame
    allocation: pd.DataFrame              # by, group, part, estimate, se, ci_low, ci_high, n
    allocation_zero: pd.DataFrame         # by, group, part, estimate, ...
    segments: pd.DataFrame                # segment, share, top_parts, n
    segment_profiles: pd.DataFrame        # segment, part, estimate
    priorities: pd.DataFrame              # by, group, item, first_share, topk_share, borda (+ se/ci)
    predicted: pd.DataFrame               # age_band, district, item, first, topk (+ ci)
    ranking_tests: pd.DataFrame           # term, statistic, df, p, verdict
    drivers: pd.DataFrame = None          # term, variable, level_label, odds_ratio, ci_low, ci_high, p
    reliability: pd.DataFrame = None      # the importance scale: alpha (unweighted, weighted) and items
    trend: pd.DataFrame = None            # satisfaction index by district, baseline wave vs this wave
    notes: dict = field(default_factory=dict)


def _labels(questionnaire: Questionnaire, column: str) -> dict:
    return {float(k): v for k, v in questionnaire[column].codes.items()}


def _by_groups(fn, questionnaire, groups=GROUPS) -> pd.DataFrame:
    """Run ``fn(by)`` for the total (by=None) and each attribute; label groups."""
    frames = []
    for by in (None, *groups):
        frame = fn(by).copy()
        if by is None:
            frame.insert(0, "group", TOTAL)
            frame.insert(0, "by", TOTAL)
        else:
            labels = _labels(questionnaire, by)
            frame.insert(0, "group", frame.pop(by).map(lambda v: labels.get(float(v), str(v))))
            frame.insert(0, "by", questionnaire[by].header.split(" ", 1)[-1])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _pool_sparse(values: pd.Series, labels: dict, *, min_n: int):
    """Pool levels with fewer than ``min_n`` respondents into the next code's
    level (the last one into the previous), repeatedly; returns the pooled
    codes (the first code of each pool) and ``{code: "label・label"}``."""
    codes = sorted(labels)
    groups = [[c] for c in codes]
    counts = values.value_counts()
    size = lambda g: int(sum(counts.get(c, 0) for c in g))  # noqa: E731
    while len(groups) > 2 and min(size(g) for g in groups) < min_n:
        i = min(range(len(groups)), key=lambda k: size(groups[k]))
        j = i + 1 if i + 1 < len(groups) else i - 1
        lo, hi = sorted((i, j))
        groups[lo] = groups[lo] + groups[hi]
        del groups[hi]
    mapping = {c: g[0] for g in groups for c in g}
    pooled = values.map(lambda v: mapping.get(float(v), np.nan) if pd.notna(v) else np.nan)
    names = {float(g[0]): "・".join(labels[c] for c in g) for g in groups}
    return pooled.astype(float), names


def _index_frame_of(frame: pd.DataFrame) -> pd.DataFrame:
    """An estimator's table with its index as columns, without the ``variable`` level."""
    frame = frame.reset_index()
    return frame.drop(columns=[c for c in ("variable",) if c in frame.columns])


def _index_frame(est, by) -> pd.DataFrame:
    return _index_frame_of(est.to_frame())


def analyse_wave(design, questionnaire: Questionnaire, *, admin=None, seed: int = 2025,
                 baseline_design=None) -> WaveTables:
    q = questionnaire
    sat = _by_groups(lambda by: _index_frame(satisfaction_index(design, "satisfaction", questionnaire=q, by=by), by), q)

    dist = []
    for by in ("age_band", "district"):
        frame = satisfaction_distribution(design, "satisfaction", questionnaire=q, by=by)
        frame = frame[frame["kind"].isin(["level", "excluded"])].copy()
        labels = _labels(q, by)
        frame["group"] = frame[by].map(lambda v: labels.get(float(v), str(v)))
        frame["by"] = q[by].header.split(" ", 1)[-1]
        dist.append(frame)
    dist = pd.concat(dist, ignore_index=True)
    dist = dist.rename(columns={"label": "level"})[["by", "group", "kind", "level", "base", "estimate", "ci_low",
                                                    "ci_high", "n", "count"]]

    shares = []
    for by in ("age_band", "district"):
        long = crosstab_question(design.data, design.weights.to_numpy(), q, "satisfaction", by)
        long = long[~long["group"].isin([TOTAL, NO_ANSWER_LABEL])]
        shares.append(long.assign(by=q[by].header.split(" ", 1)[-1])[["by", "group", "level", "percent", "base_n"]])
    shares = pd.concat(shares, ignore_index=True)

    comps = []
    for by in GROUPS:
        est = satisfaction_index(design, "satisfaction", questionnaire=q, by=by)
        cmp_ = compare_groups(est, df=design.degf, labels=_labels(q, by)).pairs.copy()
        cmp_.insert(0, "by", q[by].header.split(" ", 1)[-1])
        comps.append(cmp_)
    comps = pd.concat(comps, ignore_index=True)

    indicators = indicator_table(design, q, admin=admin, admin_year=(q.wave or None) if admin is not None else None,
                                 baseline_design=baseline_design)
    park = park_use_table(design, questionnaire=q, labels=_labels(q, "district"))

    parts = list(q["allocation"].columns)
    part_labels = {it.column: it.label for it in q["allocation"].items}
    # the questionnaire's total, total_policy and tolerance: the answers the intake kept
    policy = allocation_policy(q["allocation"])
    alloc = _by_groups(lambda by: allocation_means(design, parts, by=by, **policy), q,
                       groups=("age_band", "district"))
    alloc["part"] = alloc["part"].map(part_labels)
    zero = _by_groups(lambda by: allocation_zero_shares(design, parts, by=by, **policy), q,
                      groups=("age_band", "district"))
    zero["part"] = zero["part"].map(part_labels)
    # zeros replaced by 1/1000 of the total (¥1 of ¥1,000), whatever the scale
    seg = allocation_segments(design, parts, random_state=seed, delta=policy["total"] / 1000, **policy)
    sizes = seg.sizes.copy()
    sizes["top_parts"] = sizes["top_parts"].map(
        lambda s: "・".join(part_labels.get(p.strip(), p.strip()) for p in str(s).split(",")))
    profiles = seg.profiles.copy()
    profiles["part"] = profiles["part"].map(part_labels)

    choices = list(q["policy"].columns)
    items = {float(k): v for k, v in q["policy"].codes.items()}
    pri = _by_groups(lambda by: topk_shares(design, choices, by=by), q, groups=("age_band", "district"))
    pri["item"] = pri["item"].map(lambda v: items.get(float(v), str(v)))

    # sparse levels (e.g. 内間木, ~25 respondents) are pooled with the next code for the
    # model, so that every item is chosen in every level (see pooled_levels)
    model_design, pooled = design, {}
    for col in ("age_band", "district"):
        codes, labels = _pool_sparse(design.data[col], _labels(q, col), min_n=MIN_MODEL_N)
        model_design = model_design.with_columns(**{f"_model_{col}": codes})
        pooled[col] = labels
    fit = rank_logit(model_design, choices, covariates=("_model_age_band", "_model_district"),
                     categorical=("_model_age_band", "_model_district"))
    predicted = fit.predict()
    for col in ("age_band", "district"):
        predicted[col] = predicted.pop(f"_model_{col}").map(lambda v, c=col: pooled[c].get(float(v), str(v)))
    predicted = predicted[["age_band", "district"] + [c for c in predicted.columns if c not in ("age_band", "district")]]
    predicted["item"] = predicted["item"].map(lambda v: items.get(float(v), str(v)))
    fit_terms = {"age_band": "_model_age_band", "district": "_model_district"}
    tests = []
    for term, label in (("age_band", "年齢"), ("district", "地区")):
        t = fit.wald_test(fit_terms[term])
        tests.append({"term": label, "statistic": t.statistic, "ndf": t.ndf, "ddf": t.ddf, "p": t.p,
                      "verdict_ja": (f"{label}によって重視する施策の順位は異なる（統計的に有意）" if t.p < 0.05
                                     else f"{label}による順位の違いは統計的に明らかではない")})
    drivers = satisfaction_drivers(design, questionnaire=q).odds_ratios
    rel = cronbach_alpha(design, [it.column for it in q["importance"].items])
    reliability = pd.DataFrame({
        "statistic": ["alpha", "weighted_alpha"], "estimate": [rel.alpha, rel.weighted_alpha],
        "ci_low": [rel.ci_low, rel.weighted_ci_low], "ci_high": [rel.ci_high, rel.weighted_ci_high],
        "n": [rel.n, rel.n], "k": [rel.k, rel.k], "reason": [rel.reason, rel.weighted_reason]})
    trend = None
    if baseline_design is not None:
        def change(by):
            before = satisfaction_index(baseline_design, "satisfaction", questionnaire=q, by=by)
            after = satisfaction_index(design, "satisfaction", questionnaire=q, by=by)
            return _index_frame_of(compare_waves(before, after, labels=("基準年", q.wave or "今回")))

        trend = _by_groups(change, q, groups=("district", "age_band"))
    return WaveTables(
        drivers=drivers, reliability=reliability, trend=trend,
        satisfaction_index=sat, satisfaction_distribution=dist, satisfaction_shares=shares,
        satisfaction_comparisons=comps,
        indicators=indicators, park_use=park, allocation=alloc, allocation_zero=zero,
        segments=sizes, segment_profiles=profiles, priorities=pri, predicted=predicted,
        ranking_tests=pd.DataFrame(tests),
        notes={"segments_k": int(seg.k), "ranking_summary_ja": _ranking_summary(pri, tests),
               "allocation_total": int(policy["total"])},
    )


def _ranking_summary(pri: pd.DataFrame, tests: list) -> str:
    """Two plain sentences: the top three overall, and whether age/district matter."""
    total = pri[pri["by"] == TOTAL].sort_values("topk_share", ascending=False)
    top = "、".join(f"{row.item}（{100 * row.topk_share:.0f}%）" for row in total.head(3).itertuples())
    return f"3位までに選ばれた割合が高い施策は {top}。" + "".join(t["verdict_ja"] + "。" for t in tests)
