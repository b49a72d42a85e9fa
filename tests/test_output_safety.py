"""Output safety (issue 15): output errors in one line (item 12) and folders
written whole or not at all (item 15).

Items 16-18 (CSV line breaks, personal data in the change log, terminal
escapes) are in tests/test_output_text.py.
"""
from __future__ import annotations

import errno
import gc
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest

from survey.cli import main
from survey.errors import OutputError
from survey.report.outdir import OutputFolder, output_error, public_path

from conftest import QUESTIONNAIRE, ROOT

SAMPLE = ROOT / "data" / "raw" / "midori_2025_sample.csv"
MARGINS = ROOT / "data" / "midori_margins.csv"
SIG = "provenance.json"


def _run(out, *extra):
    return ["run", "--questionnaire", str(QUESTIONNAIRE), "--data", str(SAMPLE), "--margins", str(MARGINS),
            "--out", str(out), "--quiet", *extra]


def _plan(out):
    return ["plan", "--questionnaire", str(QUESTIONNAIRE), "--data", str(SAMPLE), "--margins", str(MARGINS),
            "--out", str(out), "--quiet"]


def _tree(folder: Path) -> dict:
    """{path inside the folder: bytes} of every file, the open-data folder's too."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One complete `survey run` of the bundled wave: {file name: bytes}."""
    out = tmp_path_factory.mktemp("finished")
    assert main(_run(out)) == 0
    assert _hidden(out) == []            # no temporary folder, no lock file left behind
    return _tree(out / "FY2025")


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


# ----------------------------------------------------------------- item 15: whole or not at all
@pytest.mark.hostile("output")
def test_a_new_run_replaces_the_previous_folder_whole(tmp_path, finished, capsys):
    target = tmp_path / "FY2025"
    target.mkdir()
    for name, data in finished.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)
    (target / "配分_9.csv").write_text("an older version's table\n", encoding="utf-8")   # not written any more
    (target / "単純集計.csv").write_text("edited by hand\n", encoding="utf-8")
    assert main(_run(tmp_path)) == 0
    assert _tree(target) == finished                 # the stray table is gone, the edit replaced
    assert _hidden(tmp_path) == []


@pytest.mark.hostile("output")
def test_a_folder_no_run_wrote_is_never_replaced(tmp_path, capsys):
    notes = tmp_path / "FY2025" / "会議メモ.docx"
    notes.parent.mkdir()
    notes.write_bytes(b"minutes")
    assert main(_run(tmp_path)) == 2
    err = _one_error_line(capsys)
    assert err == (f"survey run: error: [output {tmp_path / 'FY2025'}] the folder exists and was not written by "
                   "survey run (no provenance.json); it would be replaced whole, so move it away or give another "
                   "--out\n")
    assert notes.read_bytes() == b"minutes" and _hidden(tmp_path) == []


@pytest.mark.hostile("output")
def test_a_second_run_on_the_same_folder_is_stopped(tmp_path, finished, capsys):
    held = OutputFolder(tmp_path / "FY2025", signature=SIG)
    try:
        assert main(_run(tmp_path)) == 2
    finally:
        held.abort()
    err = _one_error_line(capsys)
    assert err == (f"survey run: error: [output {tmp_path / 'FY2025'}] another survey run is writing this folder "
                   f"(process {os.getpid()}); wait for it to finish or give another --out (lock .FY2025.lock)\n")
    assert not (tmp_path / "FY2025").exists() and _hidden(tmp_path) == []
    assert main(_run(tmp_path)) == 0                  # the lock is gone with the holder
    assert _tree(tmp_path / "FY2025") == finished


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc; none elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its new parent to reap it has stopped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
@pytest.mark.hostile("output")
def test_a_killed_run_never_leaves_a_folder_that_looks_complete(tmp_path, finished):
    target = tmp_path / "FY2025"
    target.mkdir()
    for name, data in finished.items():              # the previous, complete report
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "survey", *_run(tmp_path)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = tmp_path / f".FY2025.partial-{proc.pid}"
    deadline = time.monotonic() + 300
    while not (staging.is_dir() and len(list(staging.iterdir())) >= 3):
        assert proc.poll() is None, "the run finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    workers = _children(proc.pid)                    # survey run's forked worker (Linux, >= 2 CPUs)
    proc.send_signal(signal.SIGKILL)                 # no clean-up code runs
    proc.wait()
    gone = time.monotonic() + 30                     # the worker dies with the run (PR_SET_PDEATHSIG)
    while any(_alive(pid) for pid in workers) and time.monotonic() < gone:
        time.sleep(0.05)
    assert [pid for pid in workers if _alive(pid)] == []
    assert _tree(target) == finished                 # the previous report, untouched
    assert staging.is_dir() and 3 <= len(list(staging.iterdir())) < len(finished)
    # the operating system released the lock: the next run gets it and removes the leftover
    again = OutputFolder(target, signature=SIG)
    assert not staging.exists() and again.path.name == f".FY2025.partial-{os.getpid()}"
    again.abort()
    assert _hidden(tmp_path) == []


@pytest.mark.hostile("output")
def test_a_failed_run_leaves_the_previous_folder_and_no_temporary_one(tmp_path, finished, capsys):
    target = tmp_path / "FY2025"
    target.mkdir()
    (target / SIG).write_bytes(finished[SIG])
    full = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch("pandas.DataFrame.to_csv", side_effect=full):
        assert main(_run(tmp_path)) == 2
    err = _one_error_line(capsys)
    # the file is named as the user knows it, not by the temporary folder (the first file written:
    # the row ledger of the plan's first sheet, 調査概要)
    assert err == (f"survey run: error: [output {target / '行の記録.csv'}] cannot write: the disk is full; free some "
                   "space or give another --out\n")
    gc.collect()
    assert _tree(target) == {SIG: finished[SIG]} and _hidden(tmp_path) == []


def test_plan_writes_its_own_folder_beside_the_report(tmp_path, capsys):
    report = tmp_path / "FY2025"
    report.mkdir()
    (report / SIG).write_text("{}", encoding="utf-8")
    (report / "単純集計.csv").write_text("x\n", encoding="utf-8")
    assert main(_plan(tmp_path)) == 0
    assert sorted(p.name for p in report.iterdir()) == [SIG, "単純集計.csv"]    # untouched
    plan = tmp_path / "FY2025-plan"
    assert {"計画.xlsx", "mailing.csv", "計画_配布数.csv"} <= {p.name for p in plan.iterdir()}
    (plan / "計画_古い表.csv").write_text("stale\n", encoding="utf-8")
    assert main(_plan(tmp_path)) == 0                 # replaced whole
    assert not (plan / "計画_古い表.csv").exists() and _hidden(tmp_path) == []


class TestOutputFolder:
    def test_commit_renames_into_place(self, tmp_path):
        with OutputFolder(tmp_path / "out" / "W", signature=SIG) as folder:
            assert folder.path == tmp_path / "out" / ".W.partial-{}".format(os.getpid())
            (folder.path / SIG).write_text("{}", encoding="utf-8")
            assert not (tmp_path / "out" / "W").exists()        # nothing there until the end
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["W"]
        assert (tmp_path / "out" / "W" / SIG).read_text(encoding="utf-8") == "{}"

    @pytest.mark.hostile("output")
    def test_an_exception_aborts(self, tmp_path):
        with pytest.raises(KeyError):
            with OutputFolder(tmp_path / "W", signature=SIG) as folder:
                (folder.path / "a.csv").write_text("a", encoding="utf-8")
                raise KeyError("boom")
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.hostile("output")
    def test_a_folder_dropped_without_commit_is_cleaned_up(self, tmp_path):
        folder = OutputFolder(tmp_path / "W", signature=SIG)
        (folder.path / "a.csv").write_text("a", encoding="utf-8")
        del folder
        gc.collect()
        assert list(tmp_path.iterdir()) == []        # temporary folder and lock file gone

    def test_an_empty_folder_may_be_replaced(self, tmp_path):
        (tmp_path / "W").mkdir()
        OutputFolder(tmp_path / "W", signature=SIG).commit()
        assert (tmp_path / "W").is_dir()

    @pytest.mark.skipif(os.name == "nt", reason="fcntl locks are POSIX")
    def test_a_file_system_without_locks_is_written_unlocked(self, tmp_path):
        with mock.patch("fcntl.flock", side_effect=OSError(errno.ENOLCK, "No locks available")):
            with OutputFolder(tmp_path / "W", signature=SIG) as folder:
                (folder.path / SIG).write_text("{}", encoding="utf-8")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["W"]

    def test_commit_twice_is_refused(self, tmp_path):
        folder = OutputFolder(tmp_path / "W", signature=SIG)
        folder.commit()
        with pytest.raises(OutputError, match="already committed or aborted"):
            folder.commit()


# ----------------------------------------------------------------- item 12: every OSError on output
def test_public_path_hides_the_temporary_folder():
    assert public_path("reports/.FY2025.partial-4242/集計表.xlsx") == "reports/FY2025/集計表.xlsx"
    assert public_path("reports/.FY2025.old-7") == "reports/FY2025"
    assert public_path("reports/.hidden/x.csv") == "reports/.hidden/x.csv"


@pytest.mark.parametrize("code,fix", [
    (errno.ENOSPC, "the disk is full; free some space or give another --out"),
    (errno.EACCES, "permission denied; give a folder you may write to as --out, or change its permissions"),
    (errno.EROFS, "the file system is read-only; give another --out"),
    (errno.ENAMETOOLONG, "the name is too long for the file system; give a shorter --out (or --wave)"),
    (errno.EIO, "Input/output error; check the path, the free space and the permissions"),
])
@pytest.mark.hostile("crash")
def test_output_errors_name_the_path_and_the_fix(code, fix):
    exc = OSError(code, os.strerror(code), "reports/.FY2025.partial-9/report.html")
    assert str(output_error(exc)) == f"[output reports/FY2025/report.html] cannot write: {fix}"
    assert str(output_error(OSError(code, os.strerror(code)), "reports")) == f"[output reports] cannot write: {fix}"


@pytest.mark.parametrize("command", ["run", "plan", "simulate"])
@pytest.mark.hostile("crash")
def test_out_is_a_file_in_every_command(tmp_path, capsys, command):
    out = tmp_path / "out.txt"
    out.write_text("x", encoding="utf-8")
    args = {"run": _run(out), "plan": _plan(out),
            "simulate": ["simulate", "--questionnaire", str(QUESTIONNAIRE), "--out", str(out)]}[command]
    assert main(args) == 2
    assert _one_error_line(capsys) == (f"survey {command}: error: [output {out}] is a file, not a folder; give a "
                                       "folder as --out or move the file away\n")


@pytest.mark.parametrize("command", ["run", "plan", "simulate", "validate"])
@pytest.mark.hostile("crash")
def test_a_name_too_long_in_every_command(tmp_path, capsys, command):
    long = tmp_path / ("x" * 300)
    args = {"run": _run(long), "plan": _plan(long),
            "simulate": ["simulate", "--questionnaire", str(QUESTIONNAIRE), "--out", str(long)],
            "validate": ["validate", str(SAMPLE), "--questionnaire", str(QUESTIONNAIRE), "--format", "json",
                         "--out", str(long) + ".json"]}[command]
    assert main(args) == 2
    err = _one_error_line(capsys)
    assert err.startswith(f"survey {command}: error: [output {long}")
    assert err.endswith("] cannot write: the name is too long for the file system; give a shorter --out (or --wave)\n")


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "xlsx"])
@pytest.mark.hostile("crash")
def test_validate_into_a_full_disk_exits_2_never_1(tmp_path, capsys, fmt):
    """The sample has data problems (exit 1), but a report that cannot be written is exit 2."""
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full (Linux)")
    assert main(["validate", str(SAMPLE), "--questionnaire", str(QUESTIONNAIRE), "--format", fmt,
                 "--out", "/dev/full"]) == 2
    assert _one_error_line(capsys) == ("survey validate: error: [output /dev/full] cannot write: the disk is full; "
                                       "free some space or give another --out\n")


@pytest.mark.hostile("crash")
def test_simulate_on_a_full_disk(tmp_path, capsys):
    full = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch("pathlib.Path.write_bytes", side_effect=full):
        assert main(["simulate", "--questionnaire", str(QUESTIONNAIRE), "--out", str(tmp_path)]) == 2
    assert _one_error_line(capsys) == (f"survey simulate: error: [output {tmp_path}] cannot write: the disk is "
                                       "full; free some space or give another --out\n")


@pytest.mark.hostile("crash")
def test_run_on_a_full_disk_leaves_nothing(tmp_path, capsys):
    # the other commands were tried on a full disk; `survey run` only as root on a real 200 kB tmpfs
    full = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch("pathlib.Path.write_bytes", side_effect=full):
        assert main(_run(tmp_path)) == 2
    assert _one_error_line(capsys) == (f"survey run: error: [output {tmp_path / 'FY2025' / '行の記録.csv'}] "
                                       "cannot write: the disk is full; free some space or give another --out\n")
    gc.collect()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.hostile("crash")
def test_plan_on_a_full_disk_leaves_nothing(tmp_path, capsys):
    full = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch("pathlib.Path.write_bytes", side_effect=full):
        assert main(_plan(tmp_path)) == 2
    assert _one_error_line(capsys) == (f"survey plan: error: [output {tmp_path / 'FY2025-plan' / '計画.xlsx'}] "
                                       "cannot write: the disk is full; free some space or give another --out\n")
    gc.collect()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write into read-only folders")
@pytest.mark.hostile("crash")
def test_read_only_folder_for_real(tmp_path, capsys):
    tmp_path.chmod(0o555)
    try:
        assert main(_run(tmp_path / "out")) == 2
    finally:
        tmp_path.chmod(0o755)
    assert "cannot write: permission denied" in _one_error_line(capsys)


@pytest.mark.hostile("crash")
def test_a_closed_pipe_is_exit_2_with_one_line(tmp_path):
    """`survey validate FILE | head -c 10`: the reader goes away; one line on stderr, no second error at exit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bad = tmp_path / "bad.csv"
    text = SAMPLE.read_bytes().decode("cp932").splitlines()
    bad.write_text("\n".join([text[0]] + [line.replace(",", ",x", 7) for line in text[1:]]) + "\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "survey", "validate", str(bad), "--questionnaire",
                             str(QUESTIONNAIRE), "--format", "json"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()                               # nobody reads the report
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait() == 2
    assert err == ("survey validate: error: [output standard output] cannot write: the output was closed before "
                   "everything was written (e.g. a pipe into head); write to a file with --out\n")


@pytest.mark.hostile("output")
def test_out_folder_leftovers_of_another_wave_are_not_touched(tmp_path):
    """Only this folder's own leftovers are removed: another wave's partial folder stays."""
    other = tmp_path / ".FY2030.partial-1"
    other.mkdir()
    mine = tmp_path / ".FY2025.partial-1"
    mine.mkdir()
    OutputFolder(tmp_path / "FY2025", signature=SIG).abort()
    assert other.is_dir() and not mine.exists()
    shutil.rmtree(other)
