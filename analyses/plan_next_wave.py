"""Plan the next wave's mailing from this wave (issue 11).

Run from the repository root (public API only: ``import survey``):

    python analyses/plan_next_wave.py
    python analyses/plan_next_wave.py --data data/raw/midori_2025_sample.csv --margins data/midori_margins.csv \\
        [--mailing mailed_by_cell.csv] --half-width 0.05 --district-half-width 0.10 \\
        [--change 0.05 --power 0.8] [--mailings 3000 | --budget 600000 --cost-per-mailing 200] \\
        [--method neyman] [--min-respondents 100] [--out reports/plan]

This wave is read, normalised and weighted as ``survey run`` does; what it
showed -- response rates by age band x district (smoothed by a main-effects
logit), the satisfaction score's variance in every cell and the design
effect of the weights -- gives the cheapest mailing that reaches the targets
(default: the satisfaction index ±0.05 at 95 % for the city and ±0.10 in
every district), or the best use of ``--mailings`` / ``--budget``.  Without
a ``--mailing`` file (questionnaires mailed per cell: ``district,
age_band, mailed``) the questionnaire's ``fielding.mailed`` is spread over
the cells by population share, as a simple random sample would on average.

Files (UTF-8 CSV with BOM) in ``--out/<wave>/``: 計画_概要, 計画_地区別,
計画_配布数 (the allocation per cell), 計画_目標, 計画_見込み精度 (every headline
figure, city / district / age band), 計画_標本誤差, 計画_方法比較, and
計画_現行設計_見込み精度 (what today's design -- the same number mailed as a
simple random sample -- would give).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

import survey  # noqa: E402


def _targets(args, group) -> list:
    targets = []
    if args.half_width:
        targets.append(survey.PrecisionTarget(args.half_width, level=args.level, measure=args.measure))
    if args.district_half_width:
        targets.append(survey.PrecisionTarget(args.district_half_width, by=group, level=args.level,
                                              measure=args.measure))
    if args.change:
        targets.append(survey.ChangeTarget(args.change, power=args.power, level=args.level, measure=args.measure))
    return targets


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="plan the next wave's mailing from this wave")
    p.add_argument("--questionnaire", type=Path, default=ROOT / "questionnaires" / "midori_2025.yaml")
    p.add_argument("--data", type=Path, default=ROOT / "data" / "raw" / "midori_2025_sample.csv")
    p.add_argument("--margins", type=Path, default=ROOT / "data" / "midori_margins.csv")
    p.add_argument("--mailing", type=Path, default=None, help="CSV: district, age_band, mailed (this wave)")
    p.add_argument("--measure", default=None, help="indicator id shaping the allocation (default the first)")
    p.add_argument("--half-width", type=float, default=0.05, help="city target (0 for none)")
    p.add_argument("--district-half-width", type=float, default=0.10,
                   help="target in every level of the planning group, e.g. every district (0 for none)")
    p.add_argument("--change", type=float, default=None, help="change against this wave to detect")
    p.add_argument("--power", type=float, default=0.80)
    p.add_argument("--level", type=float, default=0.95)
    p.add_argument("--method", default="neyman", choices=("neyman", "proportional", "proportional_respondents"))
    p.add_argument("--mailings", type=int, default=None, help="questionnaires available")
    p.add_argument("--budget", type=float, default=None, help="money available")
    p.add_argument("--cost-per-mailing", type=float, default=1.0)
    p.add_argument("--cost-per-return", type=float, default=0.0)
    p.add_argument("--min-respondents", type=float, default=None, help="expected respondents in every district")
    p.add_argument("--spend-all", action="store_true", help="spend the whole budget even when targets need less")
    p.add_argument("--out", type=Path, default=ROOT / "reports" / "plan")
    args = p.parse_args(argv)
    if not args.data.exists() or not args.margins.exists():
        print(f"missing {args.data if not args.data.exists() else args.margins}; simulate the bundled wave with "
              "`survey simulate` or pass --data / --margins", file=sys.stderr)
        return 2

    q = survey.load_questionnaire(args.questionnaire)
    dataset = survey.load(args.data, q)
    margins = survey.read_margins(args.margins)
    design = survey.weight_wave(dataset, margins)
    mailed = survey.read_mailing(args.mailing, q.plan.cells) if args.mailing else None
    inputs = survey.planning_inputs(design, population=margins, mailed=mailed, questionnaire=q)
    options = {"targets": _targets(args, q.plan.cells[0]), "measure": args.measure, "budget": args.budget,
               "mailings": args.mailings, "cost_per_mailing": args.cost_per_mailing,
               "cost_per_return": args.cost_per_return, "min_respondents": args.min_respondents,
               "spend_all": args.spend_all, "level": args.level, "power": args.power}
    plan = survey.plan_mailing(inputs, method=args.method, **options)
    comparison = survey.compare_plans(inputs, **options)
    today_total = int(inputs.cells["mailed"].sum().round())
    today = survey.expected_precision(inputs, today_total, level=args.level, power=args.power)

    out = args.out / (q.wave or "wave")
    out.mkdir(parents=True, exist_ok=True)
    tables = survey.plan_tables(plan, comparison=comparison)
    for name, (caption, frame) in zip(survey.plan_table_names(plan), tables):
        frame.to_csv(out / f"{name}.csv", index=False, encoding="utf-8-sig")
    today.to_csv(out / "計画_現行設計_見込み精度.csv", index=False, encoding="utf-8-sig")

    print(f"{q.title} {q.wave}: {len(dataset.data)} respondents; mailing per cell: {inputs.mailing_source}")
    for note in inputs.notes:
        print(f"  note: {note}")
    print(f"\nplan ({args.method}): {plan.totals['mailings']:,} mailed, {plan.totals['respondents']:,.0f} "
          f"respondents expected, {'targets met' if plan.feasible else 'targets NOT met'}")
    print(plan.by_group().round(3).to_string())
    for note in plan.notes[len(inputs.notes):]:
        print(f"  note: {note}")
    print("\nmethods compared:")
    print(comparison.round(3).to_string(index=False))
    city = today[(today["domain"] != "age_band")][["measure", "label", "respondents", "half_width", "mdc"]]
    print(f"\ntoday's design ({today_total:,} mailed at random) would give:")
    print(city.round(3).to_string(index=False))
    print(f"\ntables -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
