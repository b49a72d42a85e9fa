"""Startup benchmark (issue 17 item 3): the ``survey`` command's wall time, light commands and the run.

Each command runs ``--repeat`` times in a fresh interpreter from the checkout's
root (``PYTHONPATH`` = the checkout); the median wall and CPU (user + system)
seconds are printed as a Markdown table, with the analysis libraries the
command imported (one more run under ``python -X importtime``):

* ``python -c pass``: the interpreter and its site-packages alone, the floor;
* ``python -c "import survey"``;
* ``python -m survey --version`` and ``--help``;
* ``python -m survey validate data/raw/midori_2025_sample.csv`` (the bundled delivery; exit code 1);
* ``python -m survey run --out TMP --quiet`` on the bundled wave (``--run-repeat`` times).

``--profile N`` then runs ``survey run`` once under cProfile and prints the N
functions with the largest cumulative time and the share spent importing.
``--root DIR`` measures another checkout, e.g. a worktree of an earlier commit
(``git worktree add /tmp/before 108a096``), for a before/after figure.

Usage::

    python benchmarks/bench_startup.py                        # 5 runs each, 3 of survey run
    python benchmarks/bench_startup.py --repeat 11 --profile 25
    python benchmarks/bench_startup.py --root /tmp/before --skip-run
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = "data/raw/midori_2025_sample.csv"
LIBRARIES = ("pandas", "scipy", "statsmodels", "sklearn", "skbio", "formulaic", "matplotlib", "seaborn",
             "pingouin", "janome", "jinja2")


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], root: Path, expect: int) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh ``python ARGS`` from ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    cpu, start = _cpu_of_children(), time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=root, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if done.returncode != expect:
        sys.exit(f"{' '.join(args)}: exit code {done.returncode}, expected {expect}\n{done.stderr[-2000:]}")
    return wall, _cpu_of_children() - cpu


def imported_libraries(args: list[str], root: Path) -> list[str]:
    """The analysis libraries ``python ARGS`` imports (``-X importtime`` lists every module)."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=root, text=True,
                          env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    names = {line.rsplit("|", 1)[1].strip().split(".")[0]
             for line in done.stderr.splitlines() if line.startswith("import time:")}
    return [name for name in LIBRARIES if name in names]


def commands(out: Path) -> list[tuple[str, list[str], int]]:
    return [
        ("`python -c pass` (floor)", ["-c", "pass"], 0),
        ("`import survey`", ["-c", "import survey"], 0),
        ("`survey --version`", ["-m", "survey", "--version"], 0),
        ("`survey --help`", ["-m", "survey", "--help"], 0),
        ("`survey validate` bundled sample", ["-m", "survey", "validate", SAMPLE], 1),
        ("`survey run` bundled wave", ["-m", "survey", "run", "--out", str(out), "--quiet"], 0),
    ]


def profile_run(root: Path, out: Path, top: int) -> None:
    """cProfile one ``survey run`` in this process (``root`` first on the path)."""
    sys.path.insert(0, str(root))
    os.chdir(root)
    from survey.cli import main   # the checkout under test


    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.runcall(main, ["run", "--out", str(out), "--quiet"])
    wall = time.perf_counter() - start
    stats = pstats.Stats(profile)
    imports = max((row[3] for func, row in stats.stats.items() if func[2] == "_find_and_load"), default=0.0)
    print(f"\n`survey run` under cProfile: {wall:.2f} s wall, of which importing {imports:.2f} s "
          f"({imports / wall:.0%}); top {top} by cumulative time:\n")
    stats.sort_stats("cumulative").print_stats(top)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each light command (median kept)")
    parser.add_argument("--run-repeat", type=int, default=3, help="runs of `survey run` (median kept)")
    parser.add_argument("--skip-run", action="store_true", help="leave out `survey run`")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile `survey run`, top N")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to measure (default: this one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        out = Path(tmp) / "reports"
        print(f"{root} · python {sys.version.split()[0]} · load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores\n")
        print("| command | runs | median wall s | median CPU s | analysis libraries imported |")
        print("|---|---:|---:|---:|---|")
        for label, command, expect in commands(out):
            is_run = command[:3] == ["-m", "survey", "run"]
            if is_run and args.skip_run:
                continue
            runs = [timed(command, root, expect) for _ in range(args.run_repeat if is_run else args.repeat)]
            shutil.rmtree(out, ignore_errors=True)
            libraries = imported_libraries(command, root)
            shutil.rmtree(out, ignore_errors=True)
            print(f"| {label} | {len(runs)} | {statistics.median(w for w, _ in runs):.2f} "
                  f"| {statistics.median(c for _, c in runs):.2f} | {', '.join(libraries) or '—'} |", flush=True)
        if args.profile:
            profile_run(root, out, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
