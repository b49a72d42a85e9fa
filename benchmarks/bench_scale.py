"""Scale benchmark (issue 9): ``survey run`` on 1,000,000 respondents, ``survey validate`` on 100,000.

Builds the synthetic deliveries with :func:`survey.simulate.write_large_delivery`
(CP932 CSV, the bundled wave's answer model, cached in ``--workdir``), then runs
the real commands in a child process under ``/usr/bin/time -v`` (wall time and
maximum resident set size) while timing each stage from the progress lines
and sampling the child's memory.

The questionnaire is copied with ``fielding.mailed`` set to twice the rows:
the mailing plan (計画) estimates response rates, which needs at least as many
questionnaires mailed as returned (the bundled file says 3,000).

Usage::

    python benchmarks/bench_scale.py                      # 1,000,000 rows (about 4 minutes, 5.6 GB)
    python benchmarks/bench_scale.py --rows 100000        # a quick look
    python benchmarks/bench_scale.py --skip-run           # only `survey validate` on 100,000 rows

Needs GNU time (``apt-get install -y time``); without it the wall time is
measured here and the peak memory comes from the sampling.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
QUESTIONNAIRE = ROOT / "questionnaires" / "midori_2025.yaml"
MARGINS = ROOT / "data" / "midori_margins.csv"
GNU_TIME = shutil.which("time") if Path("/usr/bin/time").exists() else None


def delivery(rows: int, seed: int, workdir: Path) -> Path:
    """The cached synthetic delivery of ``rows`` respondents."""
    path = workdir / f"midori_{rows}_seed{seed}.csv"
    if not path.exists():
        sys.path.insert(0, str(ROOT))
        from survey.questionnaire import load_questionnaire
        from survey.simulate.large import write_large_delivery

        start = time.perf_counter()
        write_large_delivery(load_questionnaire(QUESTIONNAIRE), path, rows=rows, seed=seed)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.0f} s", flush=True)
    return path


def questionnaire_for(rows: int, workdir: Path) -> Path:
    spec = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))
    spec["fielding"]["mailed"] = 2 * rows
    path = workdir / f"midori_mailed_{2 * rows}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name in ("midori_keywords.yaml", "asaka_userdict.csv"):  # the free-text analysis, as with the bundled file
        if (QUESTIONNAIRE.parent / name).exists():
            shutil.copy(QUESTIONNAIRE.parent / name, workdir / name)
    return path


def _rss_of_tree(pid: int) -> int:
    """Resident bytes of ``pid`` and its children (the python under time)."""
    total = 0
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def timed(command: list[str], *, label: str) -> dict:
    """Run ``python -m survey <command>``: wall time, peak memory, per-stage times."""
    timefile = Path(tempfile.mkstemp(suffix=".time")[1])
    argv = [sys.executable, "-m", "survey", *command]
    if GNU_TIME:
        argv = [GNU_TIME, "-v", "-o", str(timefile), *argv]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stages: list[dict] = [{"stage": "start (imports)", "start": 0.0, "peak_rss": 0}]
    done = threading.Event()

    def sample():
        while not done.is_set():
            rss = _rss_of_tree(proc.pid)
            stages[-1]["peak_rss"] = max(stages[-1]["peak_rss"], rss)
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    err_lines = []
    for line in proc.stderr:
        err_lines.append(line)
        if line.startswith("… "):
            stages.append({"stage": line[2:].strip(), "start": time.perf_counter() - start, "peak_rss": 0})
            print(f"  {stages[-1]['start']:7.1f} s  {stages[-1]['stage']}", flush=True)
    out = proc.stdout.read()
    code = proc.wait()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    for this, after in zip(stages, stages[1:] + [{"start": elapsed}]):
        this["seconds"] = round(after["start"] - this["start"], 1)
    result = {"label": label, "command": "survey " + " ".join(command), "exit_code": code,
              "wall_seconds": round(elapsed, 1), "stages": stages,
              "peak_rss_gb_sampled": round(max(s["peak_rss"] for s in stages) / 1e9, 2)}
    if GNU_TIME and timefile.exists():
        report = timefile.read_text()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
        w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", report)
        if m:
            result["max_rss_gb"] = round(int(m.group(1)) / 1e6, 2)
        if w:
            parts = [float(x) for x in w.group(1).split(":")]
            result["wall_seconds"] = round(sum(p * 60 ** i for i, p in enumerate(reversed(parts))), 1)
    timefile.unlink(missing_ok=True)
    if code not in (0, 1):
        result["stderr"] = "".join(err_lines[-20:]) + out[-2000:]
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="respondents for `survey run`")
    parser.add_argument("--validate-rows", type=int, default=100_000, help="respondents for `survey validate`")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "midori_scale")
    parser.add_argument("--skip-run", action="store_true", help="only time `survey validate`")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []

    small = delivery(args.validate_rows, args.seed, args.workdir)
    print(f"survey validate, {args.validate_rows:,} rows", flush=True)
    results.append(timed(["validate", str(small), "--format", "json", "--out", str(args.workdir / "validate.json")],
                         label=f"validate {args.validate_rows:,}"))
    if not args.skip_run:
        big = delivery(args.rows, args.seed, args.workdir)
        q = questionnaire_for(args.rows, args.workdir)
        print(f"survey run, {args.rows:,} rows", flush=True)
        results.append(timed(["run", "--questionnaire", str(q), "--data", str(big), "--margins", str(MARGINS),
                              "--out", str(args.workdir / "reports")], label=f"run {args.rows:,}"))
    print()
    for r in results:
        rss = r.get("max_rss_gb", r["peak_rss_gb_sampled"])
        print(f"{r['label']:>16}: exit {r['exit_code']}, {r['wall_seconds']:.1f} s wall, max RSS {rss:.2f} GB")
        for s in r["stages"]:
            print(f"{'':>18}{s['seconds']:7.1f} s  {s['peak_rss'] / 1e9:5.2f} GB  {s['stage']}")
        if "stderr" in r:
            print(r["stderr"])
    (args.workdir / "bench_scale.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if all(r["exit_code"] in (0, 1) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
