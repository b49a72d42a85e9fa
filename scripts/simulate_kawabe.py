"""Simulate the delivery, margins and truth of 川辺市 公園利用者アンケート (a fictional city).

    python scripts/simulate_kawabe.py [--out data] [--seed 2026] [--force]

is ``survey simulate --questionnaire questionnaires/kawabe_parks_2026.yaml --wave FY2026``:
the package's generic simulator driven by the questionnaire's simulation model,
``questionnaires/kawabe_parks_2026_simulation.yaml`` (its comments give the model; the
format is in ``data/SIMULATION.md``).  It writes

* ``<out>/raw/kawabe_parks_2026_sample.csv``: the contractor's delivery (CP932,
  Japanese headings, CRLF) with three defects for ``survey validate`` (a rating code
  the question lacks, points not adding up to 100, the same item ranked first and
  second; printed with their data rows);
* ``<out>/kawabe_margins.csv``: adults per 地区 × 年代 cell, columns ``chiku,
  chiku_label, nendai, nendai_label, count`` (the plan rakes ``area`` from ``chiku``
  and ``age_group`` from ``nendai``);
* ``<out>/kawabe_parks_2026_truth.json``: the population's true values.

With the default seed the bundled files are reproduced byte for byte
(``tests/test_kawabe.py`` checks it).  An existing delivery is replaced only with
``--force``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from survey.errors import SurveyError  # noqa: E402
from survey.simulate import run_simulate  # noqa: E402

QUESTIONNAIRE = ROOT / "questionnaires" / "kawabe_parks_2026.yaml"
WAVE = "FY2026"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "data")
    p.add_argument("--seed", type=int, default=None, help="default: the model's seed of FY2026 (2026)")
    p.add_argument("--force", action="store_true", help="replace an existing delivery")
    args = p.parse_args(argv)
    try:
        paths = run_simulate(args.out, seed=args.seed, wave=WAVE, questionnaire_path=QUESTIONNAIRE, force=args.force)
    except SurveyError as exc:
        print(f"simulate_kawabe: error: {exc}", file=sys.stderr)
        return 2
    truth = json.loads(paths["truth"].read_text(encoding="utf-8"))
    fielding = truth["fielding"]
    print("\n".join(str(path) for path in paths.values()))
    print(f"  {fielding['returned']} respondents of {fielding['mailed']} mailed")
    for d in truth["defects"]:
        print(f"  defect: data row {d['row'] + 1}, {d['question']}: {d['before']} -> {d['after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
