"""Benchmark: validate a 100,000-row delivery of the midori questionnaire.

Target (issue 4): under 5 s on one core, memory proportional to the file.
Run on demand (not a test)::

    python benchmarks/bench_validate.py [--rows 100000] [--source simulator|random|both] [--profile]

Two deliveries:

``simulator``
    :func:`survey.simulate.write_large_delivery`: the answer model of the
    bundled waves, written as a contractor does (CP932, CRLF, labels for the
    attributes, free-text comments with line breaks); no defects.
``random``
    answers drawn uniformly from the declared codes (UTF-8) with about 1% of
    rows carrying each of several defects (invalid codes, several marks,
    impossible years, skipped questions answered, allocation totals off,
    rank gaps, duplicate IDs, blank returns), so that every rule has work to
    do and the failure table is large (~40,000 findings).

The time is ``validate_file`` end to end (read, normalise with its ledger,
all checks); CPU time is printed too because the wall time is meaningless on
a shared machine.  Memory is measured in a separate run under tracemalloc.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from survey.intake.validate import validate_file
from survey.questionnaire import load_questionnaire


def make_delivery(q, n: int, *, seed: int = 20250701) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {q.respondent_id_header: np.array([f"A{i:06d}" for i in range(1, n + 1)], dtype=object)}

    def codes(question, size=n):
        return rng.choice(np.array([str(c) for c in question.codes], dtype=object), size=size)

    for x in q.questions:
        if x.type in ("single", "likert") and not x.items:
            cols[x.header] = codes(x)
        elif x.type == "likert":
            base = codes(x)
            for it in x.items:
                cols[it.header] = np.where(rng.random(n) < 0.7, base, codes(x))
        elif x.type == "numeric":
            cols[x.header] = rng.integers(0, 60, n).astype(str).astype(object)
        elif x.type == "text":
            cols[x.header] = np.where(rng.random(n) < 0.2, "公園をもっと増やしてほしい", None)
        elif x.type == "multi":
            for it in x.items:
                cols[it.header] = np.where(rng.random(n) < 0.25, "1", "0").astype(object)
        elif x.type == "allocation":
            parts = rng.multinomial(10, np.full(len(x.items), 1 / len(x.items)), size=n) * 100
            for j, it in enumerate(x.items):
                cols[it.header] = parts[:, j].astype(str).astype(object)
        elif x.type == "ranking":
            picks = np.argsort(rng.random((n, len(x.codes))), axis=1)[:, : x.depth] + 1
            for r, it in enumerate(x.items):
                cols[it.header] = picks[:, r].astype(str).astype(object)
    frame = pd.DataFrame(cols)
    park_reason = q["park_reason"].header
    frame.loc[frame[q["park_use"].header] != "6", park_reason] = None
    # defects, about 1 in 100 rows each
    m = n // 100
    for header, value in (("問1 性別", "4"), ("問2 年齢", "1,2"), ("問4 居住年数", "150"), ("問6 みどりの満足度", None),
                          ("問9_1 雨水の浸透・貯留", "150"), ("問10 今後力を入れるべき取組_2位", None)):
        frame.loc[rng.choice(n, m, replace=False), header] = value
    frame.loc[rng.choice(n, m, replace=False), park_reason] = "2"
    frame.iloc[rng.choice(n, m // 10, replace=False), 1:] = None   # blank returns
    frame.iloc[rng.choice(np.arange(1, n), m // 10, replace=False), 0] = "A000001"   # duplicate ids
    return frame


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--source", choices=("simulator", "random", "both"), default="both")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv)
    q = load_questionnaire(ROOT / "questionnaires" / "midori_2025.yaml")
    for source in (("simulator", "random") if args.source == "both" else (args.source,)):
        bench(q, source, args.rows, profile=args.profile)
    return 0


def bench(q, source: str, rows: int, *, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "delivery.csv"
        if source == "simulator":
            from survey.simulate import write_large_delivery

            write_large_delivery(q, path, rows=rows, seed=1)
        else:
            make_delivery(q, rows).to_csv(path, index=False, encoding="utf-8-sig")
        size = path.stat().st_size
        validate_file(path, q)  # warm-up (imports, caches)
        if profile:
            prof = cProfile.Profile()
            prof.enable()
        t0, c0 = time.perf_counter(), time.process_time()
        report = validate_file(path, q)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        if profile:
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        # memory in a second run: tracemalloc slows Python down, so it is not timed
        tracemalloc.start()
        validate_file(path, q)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"[{source}] rows {rows:,}  file {size / 1e6:.1f} MB  validate_file {elapsed:.2f} s wall, {cpu:.2f} s CPU  "
          f"(target < 5 s)  peak traced memory {peak / 1e6:.0f} MB ({peak / size:.1f}× the file)")
    print(f"findings: {report.errors} errors, {report.warnings} warnings; "
          f"rows read {report.ledger.rows_read} = kept {report.ledger.rows_kept} + excluded {report.ledger.rows_excluded}")
    found = report.summary.loc[report.summary["findings"] > 0]
    print("  " + ", ".join(f"{r} {n}" for r, n in zip(found["rule"], found["findings"])))


if __name__ == "__main__":
    raise SystemExit(main())
