"""Satisfaction, park use and the plan's indicators for every wave (issue 5).

Run from the repository root (public API only: ``import survey``):

    python analyses/satisfaction.py
    python analyses/satisfaction.py --wave FY2025=data/raw/midori_2025_sample.csv \\
        --wave FY2030=data/raw/midori_2030_sample.csv --margins data/midori_margins.csv \\
        --admin data/midori_admin.csv --out reports/satisfaction

Each wave is read and normalised against the questionnaire, weighted as
``survey run`` does (equal base weights raked to age band x sex x district),
and the latest wave gives the tables below; with two or more waves the
trend tables compare them (independent samples: variances add).  Files are
UTF-8 CSV with BOM (opens in Excel) in ``--out``:

* 満足度指数.csv -- the index overall and by age band, district and sex
* 満足度分布.csv -- the distribution behind it (levels, top-2/bottom-2, net,
  わからない and 無回答), overall and by district
* 満足度_地区比較.csv, 満足度_年齢比較.csv -- pairwise differences, Holm-adjusted,
  with verdicts in Japanese and English
* 満足度_要因.csv -- odds ratios of the ordinal logit (age, district, sex, park use)
* 公園利用_地区別.csv -- times a year and the never-use share by district
* 成果指標.csv -- the plan's indicator table
* 推移_満足度.csv, 推移_公園利用.csv -- trend over the waves (two or more waves)
* 重要度_信頼性.csv, 重要度_項目.csv -- Cronbach's alpha of the ten importance items
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

import survey
from survey.report import CITY_LABEL, label_frame, verdict_text, verdict_texts

DEFAULT_WAVES = {"FY2025": ROOT / "data" / "raw" / "midori_2025_sample.csv",
                 "FY2030": ROOT / "data" / "raw" / "midori_2030_sample.csv"}


def _wave_args(values):
    waves = {}
    for v in values:
        label, sep, path = v.partition("=")
        if not sep or not label or not path:
            raise SystemExit(f"--wave takes LABEL=PATH (e.g. FY2025=data/raw/midori_2025_sample.csv); got {v!r}")
        waves[label] = Path(path)
    return waves


def _write(frame: pd.DataFrame, out: Path, name: str, *, index=False) -> None:
    path = out / name
    frame.to_csv(path, index=index, encoding="utf-8-sig")
    print(f"  {path}")


def _labelled(frame: pd.DataFrame, questionnaire) -> pd.DataFrame:
    """Add Japanese labels of the attribute codes in the index."""
    out = frame.reset_index()
    for col in list(out.columns):
        if col in questionnaire and questionnaire[col].attribute:
            q = questionnaire[col]
            out.insert(out.columns.get_loc(col) + 1, f"{col}_label",
                       [q.label(int(v)) if pd.notna(v) else "" for v in out[col]])
    return out


def _worded(frame: pd.DataFrame, groups, references, column: str = "verdict") -> pd.DataFrame:
    """The verdict codes of ``column`` with their words beside them (``<column>_ja``, ``<column>_en``)."""
    out = frame.copy()
    at = out.columns.get_loc(column) + 1
    for i, lang in enumerate(("ja", "en")):
        out.insert(at + i, f"{column}_{lang}", verdict_texts(out[column].fillna(""), groups, references, lang=lang))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="satisfaction, park use and indicator tables")
    parser.add_argument("--questionnaire", type=Path, default=ROOT / "questionnaires" / "midori_2025.yaml")
    parser.add_argument("--wave", action="append", default=[], metavar="LABEL=PATH",
                        help="a wave's raw file, oldest first (default: the bundled FY2025 and FY2030)")
    parser.add_argument("--margins", type=Path, default=ROOT / "data" / "midori_margins.csv")
    parser.add_argument("--admin", type=Path, default=ROOT / "data" / "midori_admin.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "satisfaction")
    args = parser.parse_args(argv)

    waves = _wave_args(args.wave) if args.wave else {k: v for k, v in DEFAULT_WAVES.items() if v.exists()}
    missing = [str(p) for p in waves.values() if not p.exists()]
    if not waves or missing:
        print(f"no wave file found ({missing or list(DEFAULT_WAVES.values())}); simulate the bundled "
              "waves with `survey simulate` or pass --wave LABEL=PATH", file=sys.stderr)
        return 2
    q = survey.load_questionnaire(args.questionnaire)
    margins = survey.read_margins(args.margins)
    designs = {}
    for label, path in waves.items():
        dataset = survey.load(path, q)
        designs[label] = survey.weight_wave(dataset, margins)
        print(f"{label}: {path.name}, {len(dataset.data)} respondents")
    latest_label = list(designs)[-1]
    d = designs[latest_label]
    out = args.out / latest_label
    out.mkdir(parents=True, exist_ok=True)
    print(f"tables for {latest_label} -> {out}")

    index = [survey.satisfaction_index(d, "satisfaction", questionnaire=q).to_frame().reset_index()]
    for by in ("age_band", "district", "sex"):
        index.append(_labelled(survey.satisfaction_index(d, "satisfaction", questionnaire=q, by=by).to_frame(), q))
    _write(pd.concat(index, ignore_index=True), out, "満足度指数.csv")

    dist = pd.concat([survey.satisfaction_distribution(d, "satisfaction", questionnaire=q),
                      survey.satisfaction_distribution(d, "satisfaction", questionnaire=q, by="district")],
                     ignore_index=True)
    # the answers' codes named beside them (the district stays a code, as in the index table)
    _write(label_frame(dist, q, columns=["code"]), out, "満足度分布.csv")

    for by, name in (("district", "満足度_地区比較.csv"), ("age_band", "満足度_年齢比較.csv")):
        est = survey.satisfaction_index(d, "satisfaction", questionnaire=q, by=by)
        cmp = survey.compare_groups(est, df=d.degf)
        table = cmp.pairs.copy()
        table.attrs = {}
        for side in ("group", "reference"):          # the groups' codes, and their names beside them
            table.insert(table.columns.get_loc(side) + 1, f"{side}_label", [q[by].label(int(v)) for v in table[side]])
        table["overall_F"], table["overall_p"] = cmp.overall.statistic, cmp.overall.p
        _write(_worded(table, table["group_label"], table["reference_label"]), out, name)

    drivers = ("C(age_band)", "C(district)", "C(sex)", "C(park_use, contr.treatment(base=6))")
    _write(survey.satisfaction_drivers(d, "satisfaction", questionnaire=q, predictors=drivers).odds_ratios, out,
           "満足度_要因.csv")
    parks = survey.park_use_table(d, "park_use", by="district", questionnaire=q)
    # each district's code named, and the whole-sample row (survey.TOTAL_LABEL) as the city it is
    parks.insert(1, "district_label", [CITY_LABEL if v == survey.TOTAL_LABEL else q["district"].label(int(v))
                                       for v in parks["district"]])
    _write(_worded(parks, parks["district_label"], CITY_LABEL), out, "公園利用_地区別.csv")

    first = designs[next(iter(designs))] if len(designs) > 1 else None
    table = survey.indicator_table(d, questionnaire=q, wave=latest_label, admin=args.admin if args.admin.exists() else None,
                                   baseline_design=first)
    baseline = [str(b or "基準年") for b in table["baseline_year"]]
    _write(_worded(_worded(table, table["wave"], baseline, "change_verdict"), None, None), out, "成果指標.csv")

    if len(designs) > 1:
        for column, estimator, name in (("satisfaction", survey.satisfaction_index, "推移_満足度.csv"),
                                        ("park_use", survey.park_use_times, "推移_公園利用.csv")):
            overall = survey.trend_table(survey.wave_estimates(designs, estimator, column, questionnaire=q))
            by_district = survey.trend_table(
                survey.wave_estimates(designs, estimator, column, questionnaire=q, by="district"))
            trend = pd.concat([overall, by_district], ignore_index=True)[by_district.columns]
            _write(_worded(trend, trend["wave"], trend["reference_wave"].fillna("")), out, name)

    rel = survey.cronbach_alpha(d, "importance", questionnaire=q)
    _write(rel.to_frame(), out, "重要度_信頼性.csv", index=True)
    _write(rel.items, out, "重要度_項目.csv")

    s = table.set_index("id")
    for ind, row in s.iterrows():
        ci = "" if pd.isna(row["se"]) else f" ({row['ci_low']:.3g}–{row['ci_high']:.3g})"
        print(f"  {row['label']}: {row['estimate']:.3g}{ci} → {verdict_text(row['verdict'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
