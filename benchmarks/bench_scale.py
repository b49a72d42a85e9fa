"""Scale benchmark (issues 9, 18): ``survey run`` on 1,000,000 respondents, ``survey validate`` on 100,000.

Builds the synthetic deliveries with :func:`survey.simulate.write_large_delivery`
(CP932 CSV, the bundled wave's answer model, cached in ``--workdir``), then runs
the real commands in a child process under ``/usr/bin/time -v`` (wall time and
maximum resident set size) while timing each stage from the progress lines
and sampling the child's memory.

The questionnaire is copied with ``fielding.mailed`` set to twice the rows:
the mailing plan (計画) estimates response rates, which needs at least as many
questionnaires mailed as returned (the bundled file says 3,000).

Every run reports wall time, CPU time (user + system of the child and of the
worker it forks, which is what to compare on a shared machine), the maximum
resident set size of the largest process (GNU time) and the peak memory of the
process tree sampled every 0.25 s (the sum of the processes' proportional set
sizes: pages the forked worker shares with ``survey run`` count once), and
per stage the wall and CPU seconds and the peak memory sampled; the memory
goals are checked against the larger of the two peaks.  The goals
of issue 18 are printed against the figures, each "met" or "NOT met": ``survey run`` on
the bundled wave <= 3 s wall, 1,000,000 respondents <= 60 s (wall and CPU shown apart:
on a shared machine compare CPU) and <= 2 GB, 10,000,000 within 24 GB (given several
``--rows``, the peak memory is extrapolated linearly from the two largest to 10,000,000
when that size was not run, and said so), raking 1,000,000 rows within 2x a numpy IPF on
the cell table and ``rank_logit`` <= 5 us a respondent (``--skip-core`` leaves these two
out).  The load average at the start and the end is printed beside them.

Usage::

    python benchmarks/bench_scale.py                      # bundled wave, validate 100,000, run 1,000,000
    python benchmarks/bench_scale.py --rows 200000        # a quick look
    python benchmarks/bench_scale.py --rows 1000000 2000000 5000000   # and the 10M extrapolation
    python benchmarks/bench_scale.py --skip-run           # only `survey validate` on 100,000 rows
    python benchmarks/bench_scale.py --only-bundled --bundled-repeat 5   # the bundled wave alone, median of 5

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


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc; a process gone meanwhile is skipped): GNU time,
    the ``survey`` process under it and that one's worker (survey/report/background.py)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return pids


def _rss_of_tree(pid: int) -> int:
    """Memory of ``pid`` and its children (the python under time, and the worker ``survey run``
    forks): the sum of their proportional set sizes (a page shared by two processes counts
    half in each, so the forked worker's shared copy of the wave is counted once), or of
    their resident sizes where the kernel gives no PSS."""
    total = 0
    for p in _tree(pid):
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup")
            text = rollup.read_text() if rollup.exists() else Path(f"/proc/{p}/status").read_text()
            for line in text.splitlines():
                if line.startswith(("Pss:", "VmRSS:")):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            pass
    return total


def _cpu_of_tree(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its children so far."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = _tree(pid)
    total = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / tick    # utime stime cutime cstime
        except (OSError, IndexError, ValueError):
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
    stages: list[dict] = [{"stage": "start (imports)", "start": 0.0, "cpu_start": 0.0, "peak_rss": 0}]
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
            stages.append({"stage": line[2:].strip(), "start": time.perf_counter() - start,
                           "cpu_start": _cpu_of_tree(proc.pid), "peak_rss": 0})
            print(f"  {stages[-1]['start']:7.1f} s  {stages[-1]['stage']}", flush=True)
    out = proc.stdout.read()
    cpu_end = _cpu_of_tree(proc.pid)
    code = proc.wait()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    result = {"label": label, "command": "survey " + " ".join(command), "exit_code": code,
              "wall_seconds": round(elapsed, 1), "wall_exact": round(elapsed, 3), "stages": stages,
              "peak_rss_gb_sampled": round(max(s["peak_rss"] for s in stages) / 1e9, 2)}
    if GNU_TIME and timefile.exists():
        report = timefile.read_text()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
        w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", report)
        if m:
            result["max_rss_gb"] = round(int(m.group(1)) / 1e6, 2)
        if w:
            parts = [float(x) for x in w.group(1).split(":")]
            result["wall_exact"] = round(sum(p * 60 ** i for i, p in enumerate(reversed(parts))), 3)
            result["wall_seconds"] = round(result["wall_exact"], 1)
        u = re.search(r"User time \(seconds\): ([\d.]+)", report)
        y = re.search(r"System time \(seconds\): ([\d.]+)", report)
        if u and y:
            result["cpu_seconds"] = round(float(u.group(1)) + float(y.group(1)), 1)
    timefile.unlink(missing_ok=True)
    result.setdefault("cpu_seconds", round(cpu_end, 1))
    ends = stages[1:] + [{"start": elapsed, "cpu_start": result["cpu_seconds"]}]
    for this, after in zip(stages, ends):
        this["seconds"] = round(after["start"] - this["start"], 1)
        this["cpu_seconds"] = round(after["cpu_start"] - this["cpu_start"], 1)
    if code not in (0, 1):
        result["stderr"] = "".join(err_lines[-20:]) + out[-2000:]
    return result


GOALS = {"bundled_wall": 3.0, "run_1m_wall": 60.0, "run_1m_gb": 2.0, "run_10m_gb": 24.0,
         "rake_vs_ipf": 2.0, "rank_logit_us": 5.0}


def core(repeat: int = 5) -> dict:
    """The core the issue keeps where it is, measured in this process (CPU seconds, best of
    ``repeat``): raking 1,000,000 rows against the plain numpy IPF on the cell table
    (``benchmarks/bench_rake.py``), and ``rank_logit`` with design SEs on 100,000
    respondents (``benchmarks/bench_ranking.py``, 140 coefficients)."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_rake
    import bench_ranking
    from survey.design import Design
    from survey.measures.ranking.estimators import rank_logit

    data, margins = bench_rake.simulate(1_000_000)
    design = Design(data, weights="w")
    _, rake_cpu, _ = bench_rake.timed(lambda: design.rake(margins, tol=1e-10), repeat)
    _, ipf_cpu, _ = bench_rake.timed(lambda: bench_rake.numpy_ipf(data, margins), repeat)
    data, items, choices = bench_ranking.simulate(100_000)
    ranked = Design(data, weights="w", strata="district", ids="block", nest=True)
    fit = lambda: rank_logit(ranked, choices, items=items, covariates=["age", "district"])  # noqa: E731
    fit()                                                                                   # warm-up
    _, fit_cpu, _ = bench_rake.timed(fit, max(1, repeat // 2))
    return {"rake_ms_cpu": round(rake_cpu * 1e3, 2), "numpy_ipf_ms_cpu": round(ipf_cpu * 1e3, 2),
            "rake_vs_ipf": round(rake_cpu / ipf_cpu, 2), "rank_logit_s_cpu": round(fit_cpu, 3),
            "rank_logit_us": round(fit_cpu / 100_000 * 1e6, 2)}


def extrapolate_peak(points: dict, rows: int) -> float | None:
    """Peak GB at ``rows`` on the line through the two largest measured sizes."""
    sizes = sorted(points)
    if len(sizes) < 2:
        return None
    (a, ga), (b, gb) = (sizes[-2], points[sizes[-2]]), (sizes[-1], points[sizes[-1]])
    return gb + (gb - ga) / (b - a) * (rows - b)


def _peak_gb(r: dict) -> float:
    """The larger of GNU time's maximum resident set (of the largest single process) and the
    sampled peak of the process tree's memory (worker included)."""
    return max(r.get("max_rss_gb", 0.0), r["peak_rss_gb_sampled"])


def report(results: list[dict], core_figures: dict | None = None) -> list[str]:
    """The goals of issue 18 against the measured figures, each "met" or "NOT met"."""
    lines = []
    by = {r["label"]: r for r in results}
    peaks = {r["rows"]: _peak_gb(r) for r in results if r.get("rows")}
    if "run bundled" in by:
        r = by["run bundled"]
        ok = r["wall_exact"] <= GOALS["bundled_wall"]     # not the rounded figure: 3.04 s is not met
        runs = f"median of {r['repeat']} runs, " if r.get("repeat", 1) > 1 else ""
        every = f" (each run: {', '.join(f'{w:.2f}' for w in r['walls'])} s)" if len(r.get("walls", ())) > 1 else ""
        lines.append(f"bundled wave: {r['wall_exact']:.2f} s wall{every}, {r['cpu_seconds']:.1f} s CPU "
                     f"({runs}load average {r['load']:.1f} at the start; goal <= {GOALS['bundled_wall']:.0f} s wall: "
                     f"{'met' if ok else 'NOT met'}{'' if r['load'] < 1 else ', the machine was busy: compare CPU'})")
    if 1_000_000 in peaks:
        r = next(r for r in results if r.get("rows") == 1_000_000)
        lines.append(f"1,000,000: {r['wall_seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, {peaks[1_000_000]:.2f} GB "
                     f"(goal <= {GOALS['run_1m_wall']:.0f} s: wall {'met' if r['wall_seconds'] <= GOALS['run_1m_wall'] else 'NOT met'}, "
                     f"CPU {'met' if r['cpu_seconds'] <= GOALS['run_1m_wall'] else 'NOT met'}; "
                     f"<= {GOALS['run_1m_gb']:.0f} GB: {'met' if peaks[1_000_000] <= GOALS['run_1m_gb'] else 'NOT met'})")
    if 10_000_000 in peaks:
        gb, how = peaks[10_000_000], "measured"
    else:
        gb, how = extrapolate_peak(peaks, 10_000_000), "extrapolated linearly from " + \
            " and ".join(f"{n:,}" for n in sorted(peaks)[-2:])
    if gb is not None:
        r = next((r for r in results if r.get("rows") == 10_000_000), None)
        ran = "" if r is None else (f", exit {r['exit_code']}, {r['wall_seconds']:.0f} s wall, "
                                    f"{r['cpu_seconds']:.0f} s CPU")
        ok = gb <= GOALS["run_10m_gb"] and (r is None or r["exit_code"] in (0, 1))
        lines.append(f"10,000,000: peak {gb:.1f} GB {how}{ran} (goal: runs within {GOALS['run_10m_gb']:.0f} GB: "
                     f"{'met' if ok else 'NOT met'}{'' if r is not None else ', by extrapolation only'})")
    if core_figures:
        c = core_figures
        lines.append(f"raking 1,000,000 rows: {c['rake_ms_cpu']:.1f} ms CPU, {c['rake_vs_ipf']:.2f}x the numpy IPF's "
                     f"{c['numpy_ipf_ms_cpu']:.1f} ms (goal <= {GOALS['rake_vs_ipf']:.0f}x: "
                     f"{'met' if c['rake_vs_ipf'] <= GOALS['rake_vs_ipf'] else 'NOT met'})")
        lines.append(f"rank_logit, 100,000 respondents, design SEs: {c['rank_logit_s_cpu']:.2f} s CPU, "
                     f"{c['rank_logit_us']:.1f} us a respondent (goal <= {GOALS['rank_logit_us']:.0f} us: "
                     f"{'met' if c['rank_logit_us'] <= GOALS['rank_logit_us'] else 'NOT met'})")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000], help="respondents for `survey run`")
    parser.add_argument("--validate-rows", type=int, default=100_000, help="respondents for `survey validate` (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "midori_scale")
    parser.add_argument("--skip-run", action="store_true", help="only time `survey validate`")
    parser.add_argument("--skip-bundled", action="store_true", help="leave out `survey run` on the bundled wave")
    parser.add_argument("--skip-core", action="store_true",
                        help="leave out raking 1,000,000 rows and rank_logit on 100,000 (the core's goals)")
    parser.add_argument("--only-bundled", action="store_true", help="only `survey run` on the bundled wave")
    parser.add_argument("--bundled-repeat", type=int, default=1,
                        help="run the bundled wave this many times and report the median wall and CPU seconds")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    load_start = os.getloadavg()[0]

    if not args.skip_run and not args.skip_bundled:
        print("survey run, the bundled wave", flush=True)
        load = os.getloadavg()[0]
        runs = [timed(["run", "--out", str(args.workdir / "reports_bundled")], label="run bundled")
                for _ in range(max(1, args.bundled_repeat))]
        runs.sort(key=lambda r: r["wall_exact"])
        median = dict(runs[len(runs) // 2], repeat=len(runs), load=load, walls=[r["wall_exact"] for r in runs],
                      cpu_seconds=sorted(r["cpu_seconds"] for r in runs)[len(runs) // 2])
        results.append(median)
    if args.only_bundled:
        args.validate_rows, args.rows, args.skip_core = 0, [], True
    if args.validate_rows:
        small = delivery(args.validate_rows, args.seed, args.workdir)
        print(f"survey validate, {args.validate_rows:,} rows", flush=True)
        results.append(timed(["validate", str(small), "--format", "json", "--out", str(args.workdir / "validate.json")],
                             label=f"validate {args.validate_rows:,}"))
    for rows in ([] if args.skip_run else args.rows):
        big = delivery(rows, args.seed, args.workdir)
        q = questionnaire_for(rows, args.workdir)
        print(f"survey run, {rows:,} rows", flush=True)
        results.append(timed(["run", "--questionnaire", str(q), "--data", str(big), "--margins", str(MARGINS),
                              "--out", str(args.workdir / "reports")], label=f"run {rows:,}"))
        results[-1]["rows"] = rows
    print()
    for r in results:
        print(f"{r['label']:>16}: exit {r['exit_code']}, {r['wall_seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, "
              f"max RSS {r.get('max_rss_gb', float('nan')):.2f} GB (largest process), peak of the process tree "
              f"{r['peak_rss_gb_sampled']:.2f} GB (sampled PSS)")
        for s in r["stages"]:
            print(f"{'':>18}{s['seconds']:7.1f} s {s['cpu_seconds']:7.1f} s CPU  {s['peak_rss'] / 1e9:5.2f} GB  {s['stage']}")
        if "stderr" in r:
            print(r["stderr"])
    core_figures = None
    if not args.skip_core:
        print("core: raking 1,000,000 rows, rank_logit on 100,000", flush=True)
        core_figures = core()
    load = (load_start, os.getloadavg()[0])
    print(f"\nload average (1 min) at the start and the end: {load[0]:.1f}, {load[1]:.1f} on {os.cpu_count()} cores "
          "(compare CPU seconds when it is above the cores)")
    for line in report(results, core_figures):
        print(line)
    (args.workdir / "bench_scale.json").write_text(json.dumps({"runs": results, "core": core_figures, "load": load},
                                                              ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if all(r["exit_code"] in (0, 1) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
