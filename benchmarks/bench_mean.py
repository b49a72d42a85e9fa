"""Speed of linearised estimation after raking (issue 3); prints timings.

Target: means of 10 variables with design-based SEs (stratified cluster
design raked to age x sex x district margins, residual-based variance) on
1,000,000 rows in under 1 s.

Run:  python benchmarks/bench_mean.py [--n 1000000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_rake import best_of, simulate

from survey.design import Design


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    data, margins = simulate(args.n)
    rng = np.random.default_rng(11)
    # 2,000 PSUs of ~500 rows, nested in the 5 districts (strata)
    data["psu"] = data["district"].cat.codes.to_numpy().astype(np.int64) * 1000 + rng.integers(0, 400, args.n)
    ys = [f"y{j}" for j in range(10)]
    design = Design(data, weights="w", strata="district", ids="psu").rake(margins)
    est = design.mean(ys)
    t_mean = best_of(lambda: design.mean(ys), args.repeat)
    print(f"mean + SE of 10 variables, {args.n:,} rows, {design.degf + 5} PSUs in 5 strata, "
          f"raked (3 margins): {t_mean * 1000:.0f} ms (best of {args.repeat}); target < 1000 ms")
    t_by = best_of(lambda: design.mean(ys, by="age"), max(1, args.repeat // 2))
    print(f"same by age (6 domains, 60 estimates, full covariance): {t_by * 1000:.0f} ms")
    t_all = best_of(lambda: Design(data, weights="w", strata="district", ids="psu")
                    .rake(margins).mean(ys), max(1, args.repeat // 2))
    print(f"design + rake + means from scratch: {t_all * 1000:.0f} ms")
    print(est.to_frame().head(3).to_string())


if __name__ == "__main__":
    main()
