"""Speed of raking (issue 3), side by side with the peer tools; prints timings, not a test.

Target: 1,000,000 respondents raked to three margins (age 6 x sex 2 x
district 5) to a relative margin error of 1e-10 in under 0.1 s.  Raking
runs on the 60-cell table and the factors are expanded back to the rows.

The peers rake the same rows to the same margins, each to the tightest
stopping rule it offers, and their final weights are compared with ours
(largest relative difference over the rows):

* samplics ``SampleWeight().rake`` (row-level IPF);
* weightipy ``weight`` (row-level IPF; no base weights, so it is compared
  with our rake from unit weights to the same proportions);
* balance ``weighting_methods.rake.rake`` (IPF on the cell table);
* R survey ``rake()`` (via Rscript, when present; ``--no-r`` leaves it out).

Peers that are not installed are reported as such.  balance 0.23 pins
numpy<2 on Python 3.11: ``sh benchmarks/peers/install.sh`` puts it in a
venv that sees the global packages; run this script with that venv's
python to include it.

Run:  python benchmarks/bench_rake.py [--rows 1000000] [--repeat 7]
      [--peer-repeat 3] [--peers all|none|samplics,weightipy,balance,R] [--no-r]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import rake_peers
from peers.rscript import r_available

from survey.design import Design

AGES = ["18-29", "30-39", "40-49", "50-59", "60-69", "70+"]
SEXES = ["female", "male"]
DISTRICTS = ["north", "south", "east", "west", "centre"]
PEERS = ("samplics", "weightipy", "balance")


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
    """Best wall-clock seconds of ``repeat`` calls."""
    return timed(fn, repeat)[0]


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """Best wall-clock and best CPU seconds of ``repeat`` calls, and the last result."""
    wall, cpu, out = np.inf, np.inf, None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return wall, cpu, out


def max_rel_diff(w: np.ndarray, ref: np.ndarray) -> float:
    """Largest relative difference between two weight vectors."""
    return float(np.max(np.abs(np.asarray(w, dtype=float) / ref - 1.0)))


def numpy_ipf(data: pd.DataFrame, margins: dict, *, tol: float = 1e-10, maxit: int = 100) -> np.ndarray:
    """The baseline of issue 18: a plain numpy IPF on the cell table.

    Rows are summed into the age x sex x district table of weights
    (``bincount`` of the cell code), the table is scaled to each margin in
    turn until every margin is within ``tol`` (relative), and the rows get
    their cell's factor.  No checks, no diagnostics: the floor any rake of
    these margins has to pay.
    """
    names = list(margins)
    codes = [data[c].cat.codes.to_numpy() for c in names]
    shape = tuple(len(margins[c]) for c in names)
    cell = np.ravel_multi_index(codes, shape)
    w = data["w"].to_numpy()
    table = np.bincount(cell, weights=w, minlength=int(np.prod(shape))).reshape(shape)
    target = [margins[c].to_numpy(dtype=float) for c in names]
    fitted = table.copy()
    for _ in range(maxit):
        for axis, t in enumerate(target):
            other = tuple(a for a in range(len(shape)) if a != axis)
            now = fitted.sum(axis=other)
            fitted *= np.expand_dims(t / now, other)
        if max(np.max(np.abs(fitted.sum(axis=tuple(a for a in range(len(shape)) if a != axis)) / t - 1))
               for axis, t in enumerate(target)) < tol:
            break
    factor = np.divide(fitted, table, out=np.ones_like(table), where=table > 0).reshape(-1)
    return w * factor[cell]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", "--n", dest="rows", type=int, default=1_000_000,
                    help="respondents (default 1,000,000)")
    ap.add_argument("--repeat", type=int, default=7, help="runs of ours (best is kept)")
    ap.add_argument("--peer-repeat", type=int, default=3, help="runs of each peer")
    ap.add_argument("--peers", default="all",
                    help="comma-separated subset of samplics,weightipy,balance,R; "
                         "default all (R when Rscript exists); 'none' skips the peers")
    ap.add_argument("--no-r", action="store_true", help="leave out R survey::rake")
    ap.add_argument("--r", action="store_true", help="include R (already in the default set)")
    args = ap.parse_args(argv)
    if args.peers == "all":
        peers = [*PEERS, *(["R"] if r_available() else [])]
    elif args.peers == "none":
        peers = []
    else:
        peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    if args.r and "R" not in peers:
        peers.append("R")
    if args.no_r:
        peers = [p for p in peers if p != "R"]
    n = args.rows
    data, margins = simulate(n)
    design = Design(data, weights="w")
    raked = design.rake(margins, tol=1e-10)
    diag = raked.diagnostics()
    w_ours = raked.weights.to_numpy()
    wall, cpu, _ = timed(lambda: design.rake(margins, tol=1e-10), args.repeat)
    print(f"rake {n:,} rows, 3 margins (6x2x5 cells), tol 1e-10: {wall * 1000:.1f} ms wall, "
          f"{cpu * 1000:.1f} ms CPU (best of {args.repeat}); sweeps {diag['n_iter']}, "
          f"max margin error {diag['max_margin_error']:.1e}; target < 100 ms")
    nwall, ncpu, w_np = timed(lambda: numpy_ipf(data, margins), args.repeat)
    print(f"numpy cell-table IPF (the floor, issue 18): {nwall * 1000:.1f} ms wall, {ncpu * 1000:.1f} ms CPU; "
          f"ours / numpy: {wall / nwall:.2f}x wall, {cpu / ncpu:.2f}x CPU (goal <= 2x); "
          f"weights agree to {max_rel_diff(w_ours, w_np):.1e}")
    codes = data.assign(age=data["age"].astype(str), sex=data["sex"].astype(str),
                        district=data["district"].astype(str))
    d2 = Design(codes, weights="w")
    t2 = best_of(lambda: d2.rake(margins, tol=1e-10), max(1, args.repeat // 2))
    print(f"same with string (object) columns instead of categoricals: {t2 * 1000:.1f} ms")
    if not peers:
        return

    # unit start weights, same proportions, totals n (what weightipy computes)
    unit = Design(data.assign(one=1.0), weights="one")
    m_unit = {c: s / s.sum() * n for c, s in margins.items()}
    w_unit = unit.rake(m_unit, tol=1e-10).weights.to_numpy()
    uwall, ucpu, _ = timed(lambda: unit.rake(m_unit, tol=1e-10), args.repeat)

    rows = [("midori-survey", "base w", "rel. margin error < 1e-10", wall, cpu, 1.0, 0.0)]
    notes = []
    for name in peers:
        runner = rake_peers.RUNNERS.get(name)
        if runner is None:
            notes.append(f"{name}: unknown peer (choose from {', '.join(rake_peers.RUNNERS)})")
            continue
        try:
            res = runner(data, margins, repeat=args.peer_repeat)
        except rake_peers.PeerMissing as e:
            notes.append(f"{name}: not installed ({e})")
            continue
        ref, ours_wall = (w_unit, uwall) if res.unit_start else (w_ours, wall)
        if res.unit_start and not any(r[0].startswith("midori-survey (unit") for r in rows):
            rows.append(("midori-survey (unit start)", "1", "rel. margin error < 1e-10",
                         uwall, ucpu, 1.0, 0.0))
        label = "R survey" if name == "R" else name
        rows.append((f"{label} {res.version}", "1" if res.unit_start else "base w", res.rule,
                     res.wall, res.cpu, res.wall / ours_wall, max_rel_diff(res.weights, ref)))
        if res.note:
            notes.append(f"{name}: {res.note}")

    table = pd.DataFrame(rows, columns=["tool", "start", "stopping rule", "wall s", "CPU s",
                                        "x ours (wall)", "max rel. weight diff"])
    print(f"\nRaking {n:,} rows to age x sex x district; ours best of {args.repeat}, "
          f"peers best of {args.peer_repeat}; max weight difference relative to ours "
          f"(same start weights)")
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(table.to_string(index=False, formatters={
            "wall s": "{:.3f}".format, "CPU s": "{:.3f}".format,
            "x ours (wall)": "{:.1f}".format, "max rel. weight diff": "{:.1e}".format}))
    for note in notes:
        print(" -", note)


if __name__ == "__main__":
    main()
