"""A long fuzzing session over everything that reads untrusted input (on demand).

Runs the properties of ``tests/test_fuzz.py`` (readers, normalisation and its
row ledger, validation, the questionnaire parser, ``survey validate``) with
many random (not derandomised) examples each, and prints per property the
examples run, how far they got and the failures found.

Usage::

    python benchmarks/fuzz_long.py                       # 10,000 examples per property
    python benchmarks/fuzz_long.py --examples 2000 -k deliveries --seed 7

The exit code is pytest's (0: no failure).  A failure is printed with the
smallest input hypothesis could find; add it as an explicit test before
fixing the boundary that let the exception escape.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_statistics(text: str) -> list[dict]:
    """Per property: name, passing/failing/invalid examples, outcome events."""
    out = []
    blocks = re.split(r"^tests/test_fuzz\.py::(\w+):\s*$", text, flags=re.MULTILINE)
    for name, body in zip(blocks[1::2], blocks[2::2]):
        row = {"property": name, "passing": 0, "failing": 0, "invalid": 0, "events": {}}
        for m in re.finditer(r"(\d+) passing examples?, (\d+) failing examples?, (\d+) invalid examples?", body):
            row["passing"] += int(m.group(1))
            row["failing"] += int(m.group(2))
            row["invalid"] += int(m.group(3))
        for m in re.finditer(r"\* ([\d.]+)%, (.+)$", body, flags=re.MULTILINE):
            if not m.group(2).startswith(("Retried", "Draw for", "Aborted")):  # hypothesis' own notes
                row["events"][m.group(2).strip()] = float(m.group(1))
        out.append(row)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000, help="examples per property (default 10,000)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random, printed)")
    parser.add_argument("-k", default=None, help="pytest -k expression to pick properties")
    args = parser.parse_args(argv)
    seed = random.randrange(2**32) if args.seed is None else args.seed
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "tests" / "test_fuzz.py"), "-q", "-p", "no:cacheprovider",
           "-p", "no:warnings", "--hypothesis-show-statistics", f"--hypothesis-seed={seed}"]
    if args.k:
        cmd += ["-k", args.k]
    env = dict(os.environ, MIDORI_FUZZ_EXAMPLES=str(args.examples))
    print(f"fuzzing with {args.examples:,} examples per property, seed {seed}", flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    stats = parse_statistics(proc.stdout)
    width = max([len(s["property"]) for s in stats] + [8])
    print(f"\n{'property':<{width}}  {'passing':>8}  {'failing':>7}  {'invalid':>7}  outcomes")
    for s in stats:
        events = ", ".join(f"{k} {v:.0f}%" for k, v in s["events"].items())
        print(f"{s['property']:<{width}}  {s['passing']:>8,}  {s['failing']:>7}  {s['invalid']:>7}  {events}")
    total = sum(s["passing"] + s["failing"] for s in stats)
    failing = sum(s["failing"] for s in stats)
    print(f"\n{total:,} examples in {elapsed / 60:.1f} min, {failing} failing; pytest exit code {proc.returncode}")
    if proc.returncode:
        print("\n" + proc.stdout[-20000:] + proc.stderr[-5000:])
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
