"""The ¥1,000 allocation (問9, みどりのチカラ): tables and a chart (issue 6).

Run from the repository root (public API only: ``import survey``):

    python analyses/allocation.py [--data FILE] [--margins CSV] [--out reports/allocation]

Writes UTF-8 CSVs (with BOM) and ``配分_平均.png`` to ``--out/<wave>/``:

* 配分_平均 — mean yen per function, overall and by age band and district
  (design-based SE and CI; arithmetic means: a ¥0 answer is a real zero);
* 配分_0円 / 配分_300円以上 / 配分_構成比 — share giving ¥0, share giving at least
  ¥300 (a strong priority), and the weighted mean share;

(every estimator follows the questionnaire's ``total``, ``total_policy`` and
``tolerance``; the amounts given in yen of ¥1,000 here -- ¥300, the ¥1 zero
replacement -- scale with the total, e.g. 30 points of 100)
* 配分_上位3位の確率 — the probability that each function is among the top
  three, from 500 Rao-Wu rescaled bootstrap replicates, each re-raked to the margins;
* 配分_群間検定 — design-based Wald tests that the mean allocation is the
  same across age bands and across districts (arithmetic and ilr scale);
* 配分_幾何平均 / 配分_置換感度 — the weighted closed geometric mean after
  multiplicative replacement, and its sensitivity to the replacement value;
* 配分_ディリクレ回帰 — Dirichlet regression of the composition on age band;
* 配分_セグメント / 配分_セグメント特徴 — respondents clustered on clr coordinates
  (weighted k-means, k by weighted silhouette).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

import survey  # noqa: E402
from survey.report import allocation_chart, write_csv  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="the ¥1,000 allocation: tables and a chart")
    p.add_argument("--questionnaire", type=Path, default=ROOT / "questionnaires" / "midori_2025.yaml")
    p.add_argument("--data", type=Path, default=ROOT / "data" / "raw" / "midori_2025_sample.csv")
    p.add_argument("--margins", type=Path, default=ROOT / "data" / "midori_margins.csv")
    p.add_argument("--replicates", type=int, default=500, help="bootstrap replicates for the top-3 probabilities")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--out", type=Path, default=ROOT / "reports" / "allocation")
    args = p.parse_args(argv)

    q = survey.load_questionnaire(args.questionnaire)
    design = survey.weight_wave(survey.load(args.data, q), survey.read_margins(args.margins))
    question = q["allocation"]
    parts = list(question.columns)
    names = {it.column: it.label for it in question.items}
    policy = survey.allocation_policy(question)   # the questionnaire's total, total_policy and tolerance
    per_yen = question.total / 1000                 # amounts in yen of ¥1,000 (¥300, ¥1 replacement) scaled
    out = args.out / (q.wave or "wave")
    out.mkdir(parents=True, exist_ok=True)

    def labelled(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for col in ("part",):
            if col in frame.columns:
                frame[col] = frame[col].map(lambda v: names.get(v, v))
        for by in ("age_band", "district"):
            if by in frame.columns:
                frame[by] = frame[by].map(lambda v, b=by: q[b].codes.get(int(v), v) if pd.notna(v) else v)
        return frame

    means = pd.concat([survey.allocation_means(design, parts, **policy).assign(group="全体")]
                      + [survey.allocation_means(design, parts, by=by, **policy).rename(columns={by: "group"})
                         .assign(group=lambda f, b=by: f["group"].map(lambda v: q[b].codes.get(int(v), v)))
                         for by in ("age_band", "district")], ignore_index=True)
    tables = {
        "配分_平均": labelled(means),
        "配分_0円": labelled(survey.allocation_zero_shares(design, parts, **policy)),
        f"配分_{300 * per_yen:g}円以上": labelled(survey.allocation_threshold_shares(design, parts, threshold=300 * per_yen,
                                                                                **policy)),
        "配分_構成比": labelled(survey.allocation_mean_shares(design, parts, **policy)),
        # Rao-Wu rescaled bootstrap (allocation_top_k's default): every replicate keeps a
        # positive weight in each raking level, so the raking is replayed on each replicate
        "配分_上位3位の確率": labelled(survey.allocation_top_k(design, parts, k=3, replicates=args.replicates,
                                                       seed=args.seed, **policy)),
        "配分_幾何平均": labelled(survey.closed_geometric_mean(design, parts, delta=per_yen, **policy)),
        "配分_置換感度": labelled(survey.replacement_sensitivity(design, parts, deltas=tuple(
            d * per_yen for d in (0.5, 1.0, 5.0, 10.0)), **policy)),
    }
    tests = []
    for by, label in (("age_band", "年齢"), ("district", "地区")):
        for scale, fn in (("算術平均", survey.allocation_group_test), ("ilr（対数比）", survey.ilr_group_test)):
            # compositions must close: only rows whose parts add up to the total
            t = fn(design, parts, by=by, total=question.total, policy="reject",
                   **({"delta": per_yen} if fn is survey.ilr_group_test else {})).test
            tests.append({"要因": label, "尺度": scale, "F": t.statistic, "自由度1": t.ndf, "自由度2": t.ddf, "p値": t.p})
    tables["配分_群間検定"] = pd.DataFrame(tests)

    totals = design.data[parts].sum(axis=1)
    valid = (design.data[parts].notna().all(axis=1) & (totals == question.total)).to_numpy()
    fit = survey.dirichlet_regression(design.subset(valid & design.data["age_band"].notna().to_numpy()),
                                      parts, covariates=["age_band"])
    tables["配分_ディリクレ回帰"] = fit.table if hasattr(fit, "table") else fit.to_frame()
    seg = survey.allocation_segments(design, parts, by=("age_band", "district"), seed=args.seed, delta=per_yen,
                                     **policy)
    tables["配分_セグメント"] = labelled(seg.sizes)
    tables["配分_セグメント特徴"] = labelled(seg.profiles)

    for name, frame in tables.items():
        write_csv(frame, out / f"{name}.csv")
    chart = means[means["group"].isin(["全体", *q["age_band"].codes.values()])].copy()
    chart["part"] = chart["part"].map(names)
    (out / "配分_平均.png").write_bytes(allocation_chart(chart[["part", "group", "estimate", "ci_low", "ci_high"]]))

    overall = tables["配分_平均"][means["group"] == "全体"].sort_values("estimate", ascending=False)
    print(f"{q.title} {q.wave}: mean yen per function (weighted), {seg.k} segments")
    print(overall[["part", "estimate", "ci_low", "ci_high"]].round(1).to_string(index=False))
    print(f"\ntables -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
