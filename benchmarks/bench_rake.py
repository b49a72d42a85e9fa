"""Speed of raking (issue 3); prints timings, not a test.

Target: 1,000,000 respondents raked to three margins (age 6 x sex 2 x
district 5) to a relative margin error of 1e-10 in under 0.1 s.  Raking
runs on the 60-cell table and the factors are expanded back to the rows.

Run:  python benchmarks/bench_rake.py [--n 1000000] [--repeat 7] [--r]
(--r also times R survey's rake() on the same data when Rscript exists.)
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from survey.design import Design

AGES = ["18-29", "30-39", "40-49", "50-59", "60-69", "70+"]
SEXES = ["female", "male"]
DISTRICTS = ["north", "south", "east", "west", "centre"]


def simulate(n: int, seed: int = 3) -> tuple[pd.DataFrame, dict]:
    """Unequal-probability sample with categorical margins and 10 outcomes."""
    rng = np.random.default_rng(seed)
    age = rng.choice(6, n, p=[0.12, 0.15, 0.18, 0.18, 0.17, 0.20])
    sex = rng.choice(2, n, p=[0.55, 0.45])
    district = rng.choice(5, n, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    data = pd.DataFrame({
        "age": pd.Categorical.from_codes(age, AGES),
        "sex": pd.Categorical.from_codes(sex, SEXES),
        "district": pd.Categorical.from_codes(district, DISTRICTS),
        "w": rng.uniform(50, 150, n),
    })
    for j in range(10):
        data[f"y{j}"] = rng.normal(3 + 0.1 * age + 0.2 * sex, 1.0 + 0.1 * j)
    N = data["w"].sum()
    margins = {
        "age": pd.Series(np.array([0.15, 0.16, 0.17, 0.17, 0.16, 0.19]) * N, index=AGES),
        "sex": pd.Series(np.array([0.51, 0.49]) * N, index=SEXES),
        "district": pd.Series(np.array([0.28, 0.24, 0.2, 0.16, 0.12]) * N, index=DISTRICTS),
    }
    return data, margins


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--r", action="store_true", help="also time R survey::rake")
    args = ap.parse_args(argv)
    data, margins = simulate(args.n)
    design = Design(data, weights="w")
    raked = design.rake(margins, tol=1e-10)
    diag = raked.diagnostics()
    t = best_of(lambda: design.rake(margins, tol=1e-10), args.repeat)
    print(f"rake {args.n:,} rows, 3 margins (6x2x5 cells), tol 1e-10: "
          f"{t * 1000:.1f} ms (best of {args.repeat}); sweeps {diag['iterations']}, "
          f"max margin error {diag['max_margin_error']:.1e}; target < 100 ms")
    codes = data.assign(age=data["age"].astype(str), sex=data["sex"].astype(str),
                        district=data["district"].astype(str))
    d2 = Design(codes, weights="w")
    t2 = best_of(lambda: d2.rake(margins, tol=1e-10), max(1, args.repeat // 2))
    print(f"same with string (object) columns instead of categoricals: {t2 * 1000:.1f} ms")
    if args.r and shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "d.csv"
            data[["age", "sex", "district", "w"]].to_csv(path, index=False)
            pops = {k: ",".join(f"{v:.10g}" for v in s) for k, s in margins.items()}
            script = f"""
suppressMessages(library(survey)); d <- read.csv("{path}", stringsAsFactors=TRUE)
des <- svydesign(id=~1, weights=~w, data=d)
m <- list(data.frame(age=c({",".join(repr(a) for a in AGES)}), Freq=c({pops['age']})),
          data.frame(sex=c({",".join(repr(a) for a in SEXES)}), Freq=c({pops['sex']})),
          data.frame(district=c({",".join(repr(a) for a in DISTRICTS)}), Freq=c({pops['district']})))
t <- system.time(r <- rake(des, list(~age, ~sex, ~district), m,
                           control=list(maxit=100, epsilon=1e-10)))
cat(sprintf("R survey rake (epsilon 1e-10): %.0f ms\\n", 1000 * t[["elapsed"]]))
"""
            res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True,
                                 check=False)
            print(res.stdout.strip() or res.stderr.strip()[-300:])


if __name__ == "__main__":
    main()
