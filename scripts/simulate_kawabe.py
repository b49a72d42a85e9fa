"""Simulate the delivery and the margins of 川辺市 公園利用者アンケート (a fictional city).

    python scripts/simulate_kawabe.py [--out data] [--seed 2026]

writes ``<out>/kawabe_margins.csv`` (adults per 地区 × 年代 cell, columns
``chiku, chiku_label, nendai, nendai_label, count``: the questionnaire's plan
rakes ``area`` from ``chiku`` and ``age_group`` from ``nendai``) and
``<out>/raw/kawabe_parks_2026_sample.csv`` (CP932, Japanese headings, CRLF:
the contractor's delivery of ``questionnaires/kawabe_parks_2026.yaml``).
With the default seed the bundled files are reproduced byte for byte
(``tests/test_kawabe.py`` checks it).

The model (all numbers invented, not a real city):

* 98,000 adults in four districts (川辺 26,000, 中央 34,000, 丘陵 22,000,
  港 16,000) and six age groups; 2,400 questionnaires mailed by simple
  random sampling; response rising with age (22 % of the 10・20代 to 55 %
  of the 70代以上) and lower in 港地区 (×0.85);
* satisfaction (4 levels): a latent normal with district effects (丘陵 +0.35,
  港 −0.45), age (older more satisfied) and children (−0.15), cut into
  満足 … 不満; 2 % 無回答;
* visits (6 frequencies): latent normal, more with children at home, fewer
  in 港地区 and among the 10・20代; 1.5 % 無回答;
* facilities (5 items, 4 levels): one factor (correlated with satisfaction)
  plus item noise; 1 % of items 無回答;
* the 100 points: Dirichlet shares over the six uses (children at home put
  more on 遊具, the old on ベンチ・日陰 and 防犯灯), in steps of 5 points,
  largest-remainder rounded to exactly 100; 4 % leave the question blank;
* the top 2 of 8 (Plackett–Luce): 遊び場 for parents, 木陰・ベンチ and
  トイレ for the old, ドッグラン and Wi-Fi for the young; 3 % 無回答, 4 %
  choose only one;
* three delivery defects for ``survey validate`` (their data rows are
  printed): a satisfaction code 7, an allocation adding up to 110, and the
  same item ranked first and second.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from survey.questionnaire import load_questionnaire  # noqa: E402
from survey.simulate.delivery import to_delivery, write_delivery  # noqa: E402

QUESTIONNAIRE = ROOT / "questionnaires" / "kawabe_parks_2026.yaml"
SEED = 2026
MAILED = 2400
DISTRICT_ADULTS = np.array([26_000, 34_000, 22_000, 16_000])
AGE_SHARE = np.array([[0.15, 0.16, 0.18, 0.17, 0.15, 0.19],     # 川辺
                      [0.19, 0.19, 0.18, 0.16, 0.13, 0.15],     # 中央 (younger)
                      [0.10, 0.12, 0.16, 0.18, 0.19, 0.25],     # 丘陵 (older)
                      [0.17, 0.17, 0.17, 0.17, 0.15, 0.17]])    # 港
RESPONSE = np.array([0.22, 0.28, 0.36, 0.42, 0.50, 0.55])
RESPONSE_PORT = 0.85
# the answer model
RATING_AREA = np.array([0.0, 0.10, 0.35, -0.45])
RATING_AGE = np.array([-0.20, -0.15, -0.05, 0.05, 0.20, 0.30])
RATING_CUTS = np.array([-1.10, 0.20, 1.35])                   # 満足 | やや満足 | やや不満 | 不満 (latent high = 満足)
VISIT_AREA = np.array([0.10, 0.0, 0.05, -0.40])
VISIT_AGE = np.array([-0.35, 0.10, 0.15, -0.05, 0.05, 0.0])
VISIT_CUTS = np.array([-1.75, -1.05, -0.35, 0.45, 1.30])      # ほぼ毎日 … 行かない
BUDGET_BASE = np.array([0.20, 0.20, 0.16, 0.16, 0.16, 0.12])
BUDGET_KIDS = np.array([1.8, 1.0, 1.0, 1.0, 1.0, 1.2])        # children at home: 遊具, イベント
BUDGET_OLD = np.array([0.7, 1.3, 1.0, 1.4, 1.3, 0.7])         # 60代 and older: トイレ, 日陰, 防犯灯
WISH_THETA = np.array([0.40, 0.25, 0.45, 0.35, -0.20, 0.10, 0.00, -0.40])
WISH_KIDS = np.array([1.10, 0.0, 0.20, 0.0, 0.0, 0.0, 0.0, 0.0])
WISH_OLD = np.array([-0.50, 0.35, 0.40, 0.55, -0.60, 0.10, 0.30, -0.90])    # per age group above the middle
NO_ANSWER = 99


def population_cells() -> pd.DataFrame:
    """Adults per district × age group (rounded to whole people)."""
    rows = []
    for d, adults in enumerate(DISTRICT_ADULTS, start=1):
        counts = np.round(adults * AGE_SHARE[d - 1]).astype(int)
        for a, count in enumerate(counts, start=1):
            rows.append((d, a, int(count)))
    return pd.DataFrame(rows, columns=["chiku", "nendai", "count"])


def margins_table(q, cells: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "chiku": cells["chiku"], "chiku_label": [q["area"].codes[c] for c in cells["chiku"]],
        "nendai": cells["nendai"], "nendai_label": [q["age_group"].codes[c] for c in cells["nendai"]],
        "count": cells["count"],
    })


def _ordinal(latent, cuts):
    """Codes 1..len(cuts)+1 from high latent to low."""
    return 1 + (latent[:, None] < -cuts[None, ::-1]).sum(axis=1)


def _points(rng, shares) -> np.ndarray:
    """Shares -> multiples of 5 adding up to exactly 100 (largest remainder)."""
    units = shares * 20
    base = np.floor(units).astype(int)
    short = 20 - base.sum(axis=1)
    order = np.argsort(-(units - base) + 1e-9 * rng.random(units.shape), axis=1)
    for i, k in enumerate(short):
        base[i, order[i, :k]] += 1
    return 5 * base


def simulate(q, rng: np.random.Generator) -> tuple[pd.DataFrame, list]:
    """The tidy answers of every respondent (codes), then the defects put in."""
    cells = population_cells()
    mailed = rng.multinomial(MAILED, cells["count"] / cells["count"].sum())
    area = np.repeat(cells["chiku"].to_numpy(), mailed)
    age = np.repeat(cells["nendai"].to_numpy(), mailed)
    p = RESPONSE[age - 1] * np.where(area == 4, RESPONSE_PORT, 1.0)
    keep = rng.random(len(p)) < p
    area, age = area[keep], age[keep]
    n = len(area)
    kids = np.where(rng.random(n) < np.array([0.12, 0.45, 0.40, 0.15, 0.04, 0.02])[age - 1], 1, 2)
    gender = np.where(rng.random(n) < 0.52, 1, 2)
    gender = np.where(rng.random(n) < 0.02, 3, gender)
    gender = np.where(rng.random(n) < 0.01, NO_ANSWER, gender)
    a, d = age - 1, area - 1
    factor = rng.normal(size=n)
    rating_latent = RATING_AREA[d] + RATING_AGE[a] - 0.15 * (kids == 1) + 0.6 * factor + 0.8 * rng.normal(size=n)
    rating = _ordinal(rating_latent, RATING_CUTS)
    rating = np.where(rng.random(n) < 0.02, NO_ANSWER, rating)
    visit_latent = VISIT_AREA[d] + VISIT_AGE[a] + 0.6 * (kids == 1) + rng.normal(size=n)
    visits = _ordinal(visit_latent, VISIT_CUTS)
    visits = np.where(rng.random(n) < 0.015, NO_ANSWER, visits)
    facilities = {}
    for k, item in enumerate(q["facilities"].items):
        latent = 0.5 + 0.7 * factor + 0.3 * RATING_AREA[d] - 0.25 * k + 0.7 * rng.normal(size=n)
        codes = _ordinal(latent, np.array([-0.6, 0.4, 1.3]))
        facilities[item.column] = np.where(rng.random(n) < 0.01, NO_ANSWER, codes)
    alpha = np.tile(BUDGET_BASE * 6.0, (n, 1))
    alpha[kids == 1] *= BUDGET_KIDS
    alpha[age >= 5] *= BUDGET_OLD
    draws = rng.gamma(alpha)                       # Dirichlet shares, one row per respondent
    shares = draws / draws.sum(axis=1, keepdims=True)
    points = _points(rng, shares).astype(float)
    points[rng.random(n) < 0.04] = np.nan
    theta = WISH_THETA + WISH_KIDS * (kids == 1)[:, None] + WISH_OLD * ((age - 3.5) / 2.5)[:, None]
    gumbel = theta - np.log(-np.log(rng.random((n, 8))))
    order = np.argsort(-gumbel, axis=1)[:, :2] + 1
    wishes = order.astype(float)
    depth = rng.random(n)
    wishes[depth < 0.03] = [NO_ANSWER, np.nan]      # nothing chosen: 無回答 in the first slot
    wishes[(depth >= 0.03) & (depth < 0.07), 1] = np.nan
    tidy = pd.DataFrame({q.respondent_id: [f"K{i:04d}" for i in range(1, n + 1)],
                         "area": area, "age_group": age, "gender": gender, "kids": kids, "visits": visits,
                         "rating": rating, **facilities,
                         **{c: points[:, j] for j, c in enumerate(q["park_budget"].columns)},
                         "wishes_1": wishes[:, 0], "wishes_2": wishes[:, 1]})
    tidy = tidy.astype({c: "Int64" for c in tidy.columns if c != q.respondent_id})
    defects = []
    rows = rng.choice(n, size=3, replace=False)
    tidy.loc[rows[0], "rating"] = 7                                      # a code the question does not have
    defects.append((int(rows[0]) + 1, "rating", 7))
    budget = list(q["park_budget"].columns)
    tidy.loc[rows[1], budget] = [30, 20, 20, 20, 10, 10]                 # adds up to 110
    defects.append((int(rows[1]) + 1, "park_budget", 110))
    tidy.loc[rows[2], ["wishes_1", "wishes_2"]] = [3, 3]                 # the same item twice
    defects.append((int(rows[2]) + 1, "wishes", 3))
    return tidy, defects


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "data")
    p.add_argument("--seed", type=int, default=SEED)
    args = p.parse_args(argv)
    q = load_questionnaire(QUESTIONNAIRE)
    rng = np.random.Generator(np.random.PCG64(args.seed))
    tidy, defects = simulate(q, rng)
    args.out.mkdir(parents=True, exist_ok=True)
    margins = margins_table(q, population_cells())
    margins_path = args.out / "kawabe_margins.csv"
    margins_path.write_bytes(margins.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    delivery = write_delivery(to_delivery(tidy, q), args.out / "raw" / "kawabe_parks_2026_sample.csv")
    print(f"{margins_path}\n{delivery}  ({len(tidy)} respondents of {MAILED} mailed)")
    for row, column, value in defects:
        print(f"  defect: data row {row}, {column}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
