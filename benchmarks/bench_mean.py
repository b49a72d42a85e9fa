"""Speed of linearised estimation after raking (issue 3), beside R svymean; prints timings.

Target: means of 10 variables with design-based SEs (stratified cluster
design raked to age x sex x district margins, residual-based variance) on
1,000,000 rows in under 1 s.  When Rscript is present, R survey's
``svymean`` of one variable on the same raked design is timed too (inside
R with ``system.time``; reading the CSV, ``svydesign`` and ``rake`` not
counted) and its estimate and SE are compared with ours.

Run:  python benchmarks/bench_mean.py [--rows 1000000] [--repeat 5] [--r-repeat 3] [--no-r]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_rake import best_of, simulate, timed
from peers.r_survey import r_svymean
from peers.rscript import PeerMissing, r_available

from survey.design import Design


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", "--n", dest="rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--r-repeat", type=int, default=3, help="runs of R svymean (best kept)")
    ap.add_argument("--no-r", action="store_true", help="leave out R svymean")
    args = ap.parse_args(argv)
    n = args.rows
    data, margins = simulate(n)
    rng = np.random.default_rng(11)
    # 2,000 PSUs of ~500 rows, nested in the 5 districts (strata)
    data["psu"] = data["district"].cat.codes.to_numpy().astype(np.int64) * 1000 + rng.integers(0, 400, n)
    ys = [f"y{j}" for j in range(10)]
    design = Design(data, weights="w", strata="district", ids="psu").rake(margins)
    est = design.mean(ys)
    wall, cpu, _ = timed(lambda: design.mean(ys), args.repeat)
    print(f"mean + SE of 10 variables, {n:,} rows, {design.degf + 5} PSUs in 5 strata, "
          f"raked (3 margins): {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU "
          f"(best of {args.repeat}); target < 1000 ms")
    wall1, cpu1, one = timed(lambda: design.mean("y0"), args.repeat)
    print(f"mean + SE of one variable (y0): {wall1 * 1000:.0f} ms wall, {cpu1 * 1000:.0f} ms CPU")
    t_by = best_of(lambda: design.mean(ys, by="age"), max(1, args.repeat // 2))
    print(f"same 10 by age (6 domains, 60 estimates, full covariance): {t_by * 1000:.0f} ms")
    t_all = best_of(lambda: Design(data, weights="w", strata="district", ids="psu")
                    .rake(margins).mean(ys), max(1, args.repeat // 2))
    print(f"design + rake + means of 10 from scratch: {t_all * 1000:.0f} ms")
    print(est.to_frame().head(3).to_string())
    if args.no_r:
        return
    if not r_available():
        print("R svymean: not installed (no Rscript on PATH)")
        return
    try:
        r = r_svymean(data, margins, "y0", repeat=args.r_repeat)
    except PeerMissing as e:
        print(f"R svymean: {e}")
        return
    frame = one.to_frame()
    ours_est, ours_se = float(frame["estimate"].iloc[0]), float(frame["se"].iloc[0])
    print(f"\nmean + SE of y0 after rake, {n:,} rows (R best of {args.r_repeat}; R's rake() "
          f"took {r.extra['rake']:.1f} s, not counted)")
    print(f"{'tool':<22}{'wall s':>9}{'CPU s':>9}{'x ours (wall)':>15}{'estimate':>20}{'SE':>22}")
    print(f"{'midori-survey, 1 var':<22}{wall1:>9.3f}{cpu1:>9.3f}{1.0:>15.1f}"
          f"{ours_est:>20.12f}{ours_se:>22.15f}")
    print(f"{'midori-survey, 10 var':<22}{wall:>9.3f}{cpu:>9.3f}{wall / wall1:>15.1f}")
    print(f"{'R survey ' + r.version + ', 1 var':<22}{r.wall:>9.3f}{r.cpu:>9.3f}"
          f"{r.wall / wall1:>15.1f}{r.estimate[0]:>20.12f}{r.se[0]:>22.15f}")
    print(f"relative difference from R: estimate {abs(ours_est / r.estimate[0] - 1):.1e}, "
          f"SE {abs(ours_se / r.se[0] - 1):.1e}")


if __name__ == "__main__":
    main()
