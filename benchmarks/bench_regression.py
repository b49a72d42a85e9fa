"""Benchmark: design-based models and tables on a large synthetic questionnaire.

Run on demand (not a test)::

    python benchmarks/bench_regression.py [--rows 100000] [--replicates 50]

A stratified two-stage-like sample (40 strata x 25 clusters) with a
numeric outcome, a binary one, a 5-point Likert item and two categorical
predictors.  Times ``glm`` (gaussian, quasibinomial), ``olr``,
``svychisq`` and ``crosstab`` on the linearisation design and, with
``--replicates``, ``glm`` on a bootstrap replicate design.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from survey.design.design import Design  # noqa: E402
from survey.design.olr import olr  # noqa: E402
from survey.design.regression import glm  # noqa: E402
from survey.design.tables import crosstab, svychisq  # noqa: E402


def make_sample(n: int, *, seed: int = 20250701) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 40, n)
    cluster = stratum * 25 + rng.integers(0, 25, n)
    age = rng.choice(["18-29", "30-49", "50-69", "70+"], n)
    ward = rng.choice([f"w{i}" for i in range(8)], n)
    x = rng.normal(size=n)
    u = rng.normal(size=1000)[cluster] * 0.3
    eta = 0.5 * x + (age == "70+") * 0.4 + u
    likert = np.digitize(eta + rng.logistic(size=n), [-2, -0.7, 0.7, 2]) + 1
    return pd.DataFrame({
        "stratum": stratum, "cluster": cluster, "age": age, "ward": ward, "x": x,
        "y": 3 + eta + rng.normal(size=n),
        "visit": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float),
        "satisfied": pd.Categorical(likert, categories=[1, 2, 3, 4, 5], ordered=True),
        "w": rng.uniform(50, 150, n),
    })


def timed(label, fn):
    t0 = time.perf_counter()
    fn()
    print(f"{label:<44s} {time.perf_counter() - t0:7.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--replicates", type=int, default=50)
    args = ap.parse_args()
    df = make_sample(args.rows)
    d = Design(df, strata="stratum", ids="cluster", weights="w", nest=False)
    print(f"{args.rows} rows, 40 strata, 1000 clusters")
    timed("glm gaussian  y ~ x + C(age) + C(ward)", lambda: glm(d, "y ~ x + C(age) + C(ward)"))
    timed("glm logit     visit ~ x + C(age) + C(ward)",
          lambda: glm(d, "visit ~ x + C(age) + C(ward)", family="quasibinomial"))
    timed("olr           satisfied ~ x + C(age)", lambda: olr(d, "satisfied ~ x + C(age)"))
    timed("svychisq F    age x ward", lambda: svychisq(d, "age", "ward"))
    timed("crosstab      age x ward", lambda: crosstab(d, "age", "ward"))
    if args.replicates:
        rep = d.replicate("bootstrap", replicates=args.replicates, seed=1)
        timed(f"glm logit, {args.replicates} bootstrap replicates",
              lambda: glm(rep, "visit ~ x + C(age) + C(ward)", family="quasibinomial"))


if __name__ == "__main__":
    main()
