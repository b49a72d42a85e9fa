"""Which green-space policies do citizens want first? (問10 今後力を入れるべき取組)

Planner-ready tables from the ranking question (up to 3 policies in order of
importance), using the public API only:

1. load and normalise the delivery against the questionnaire, rake the
   design to the population margins (age band x sex x district);
2. ``survey.topk_shares``: share ranking each policy first, in the top 3,
   and the mean Borda score (3/2/1 points), overall and by age band and
   district, with design-based 95% CIs;
3. ``survey.rank_logit``: top-3 exploded logit with age band and district,
   predicted first-choice and top-3 probabilities for every age x district
   cell, Wald tests "does the ranking differ by age / by district";
4. a heat map (age band x policy, share putting it in the top 3) and a
   short plain-language summary in Japanese and English.

Run:  python analyses/priorities.py [--data data/raw/midori_2025_sample.csv]
          [--margins data/midori_margins.csv] [--out reports/priorities]
Writes CSV tables, ``priority_heatmap.png`` and ``summary.txt`` to ``--out``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

import survey
from survey.report import priority_heatmap

QUESTION = "policy"
GROUPS = {"age_band": "年齢", "district": "地区"}


def labelled_design(dataset, margins_path: Path | None):
    """Raked design (equal weights without margins) with labelled group columns."""
    if margins_path is not None and margins_path.exists():
        design = survey.weight_wave(dataset, survey.read_margins(margins_path))
    else:
        print(f"note: no margins at {margins_path}; using equal weights", file=sys.stderr)
        design = survey.Design(dataset.data)
    labels = {f"{col}_label": dataset.labelled(col).reindex(design.data.index) for col in GROUPS}
    return design.with_columns(**labels)


def share_tables(design, choices, items, labels) -> pd.DataFrame:
    """topk_shares overall and by each group, with Japanese item labels: the long table
    (``by, group, policy, measure, estimate, se, ci_low, ci_high, deff, n``; ``measure`` is
    ``first_share``, ``topk_share`` or ``borda``)."""
    blocks = []
    overall = survey.topk_shares(design, choices, items=items)
    blocks.append(overall.assign(by="全体", group="全体"))
    for col, name in GROUPS.items():
        part = survey.topk_shares(design, choices, items=items, by=f"{col}_label")
        part = part.rename(columns={f"{col}_label": "group"}).assign(by=name)
        blocks.append(part)
    out = pd.concat(blocks, ignore_index=True)
    out.insert(0, "policy", out.pop("item").map(labels))
    front = ["by", "group", "policy", "measure"]
    return out[front + [c for c in out.columns if c not in front]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questionnaire", type=Path, default=ROOT / "questionnaires" / "midori_2025.yaml")
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "raw" / "midori_2025_sample.csv")
    ap.add_argument("--margins", type=Path, default=ROOT / "data" / "midori_margins.csv")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "priorities")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    q = survey.load_questionnaire(args.questionnaire)
    dataset = survey.load(args.data, q)
    design = labelled_design(dataset, args.margins)
    question = q[QUESTION]
    choices = list(question.columns)
    codes = {float(k): v for k, v in question.codes.items()}
    items = list(codes)

    shares = share_tables(design, choices, items, codes)
    shares.to_csv(args.out / "priority_shares.csv", index=False, encoding="utf-8-sig")

    covariates = [f"{col}_label" for col in GROUPS]
    fit = survey.rank_logit(design, choices, items=items, covariates=covariates)
    coefs = fit.table.assign(item=fit.table["item"].map(lambda v: codes.get(v, v)))
    coefs.to_csv(args.out / "priority_model_coefficients.csv", index=False, encoding="utf-8-sig")
    cells = fit.predict()
    cells["item"] = cells["item"].map(codes)
    cells = cells.rename(columns={"item": "policy", "age_band_label": "age_band",
                                  "district_label": "district"})
    cells.to_csv(args.out / "priority_predicted_cells.csv", index=False, encoding="utf-8-sig")
    tests = []
    for col, name in GROUPS.items():
        t = fit.wald_test(f"{col}_label")
        tests.append({"term": name, "F": t.statistic, "ndf": t.ndf, "ddf": t.ddf, "p": t.p,
                      "verdict": (f"{name}によって重視する取組の順位が異なる"
                                  if t.p < 0.05 else f"{name}による順位の違いははっきりしない")})
    pd.DataFrame(tests).to_csv(args.out / "priority_tests.csv", index=False, encoding="utf-8-sig")

    by_age = shares[(shares["by"] == GROUPS["age_band"]) & (shares["measure"] == "topk_share")]
    base = design.data.groupby("age_band_label", observed=True)[choices[0]].count()
    heat = pd.DataFrame({"group": by_age["group"].astype(str), "item": by_age["policy"],
                         "percent": by_age["estimate"].clip(0, 1),
                         "base_n": by_age["group"].map(base).to_numpy()})
    image = priority_heatmap(heat, title="上位3位までに選ばれた割合（年齢別）", width=13.0, wrap=6)
    (args.out / "priority_heatmap.png").write_bytes(image)

    names = {f"{col}_label": name for col, name in GROUPS.items()}
    text = "\n\n".join([fit.summary(lang="ja", labels=codes, names=names),
                         fit.summary(lang="en", labels=codes,
                                     names={"age_band_label": "age band",
                                            "district_label": "district"})])
    (args.out / "summary.txt").write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"\nwrote tables, heat map and summary to {args.out}")


if __name__ == "__main__":
    main()
