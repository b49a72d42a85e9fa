"""Charts drawn by a second process during ``survey run`` (survey/report/background.py, issue 18)."""
from __future__ import annotations

import pandas as pd
import pytest

from survey.errors import InputError
from survey.report import background, charts
from survey.report.background import Pending, busy, drawing_in_background, in_background, inherited
from survey.report.html import Figure
from survey.report.writers import Sheet, write_workbook

HEAT = pd.DataFrame({"group": ["全体", "全体", "18〜29歳", "18〜29歳"], "item": ["公園", "街路樹"] * 2,
                     "percent": [0.42, 0.17, 0.5, 0.25]})
ALLOCATION = pd.DataFrame({"part": ["雨水", "景観"], "group": ["全体", "全体"], "estimate": [120.0, 95.5],
                           "ci_low": [110.0, 90.0], "ci_high": [130.0, 101.0]})

needs_worker = pytest.mark.skipif(not background.worker_available(),
                                  reason="no worker here (one CPU, or not Linux): everything is done in this process")


@needs_worker
def test_a_chart_drawn_by_the_worker_is_the_chart_drawn_here():
    here = [charts.priority_heatmap(HEAT), charts.allocation_chart(ALLOCATION)]
    with drawing_in_background():
        pending = [charts.priority_heatmap(HEAT), charts.allocation_chart(ALLOCATION)]
        assert all(isinstance(p, Pending) for p in pending)
        # the worker delivered them (not the fallback): the future holds the bytes
        assert [p._future.result(timeout=120) for p in pending] == here
        assert [p.result() for p in pending] == here
    assert background._pool is None            # closed with the context: charts are drawn at once again
    assert charts.allocation_chart(ALLOCATION) == here[1]


@needs_worker
def test_a_chart_that_fails_in_the_worker_raises_its_own_error():
    bad = HEAT.assign(percent=[0.4, 1.7, 0.5, 0.2])
    with pytest.raises(InputError, match=r"^priority_heatmap: percent must be a share between 0 and 1 "
                                         r"\(divide percentages by 100\)$"):
        charts.priority_heatmap(bad)
    with drawing_in_background():
        pending = charts.priority_heatmap(bad)
        with pytest.raises(InputError, match=r"^priority_heatmap: percent must be a share between 0 and 1 "
                                             r"\(divide percentages by 100\)$"):
            pending.result()


@needs_worker
def test_a_figure_takes_a_pending_chart_and_checks_it_when_the_page_is_written():
    with drawing_in_background():
        figure = Figure(charts.allocation_chart(ALLOCATION), "配分")
        assert figure.data_uri.startswith("data:image/png;base64,iVBORw0KGgo")   # base64 of the PNG signature
        svg = Figure(charts.allocation_chart(ALLOCATION, image_format="svg"), "配分")
        assert svg.data_uri.startswith("data:image/svg+xml;base64,")
        wrong = Figure(Pending(_Done("not an image"), None), "配分")
        with pytest.raises(InputError, match=r"^figure '配分': text must be an SVG document \(it starts with "
                                             r"'not an image'\)$"):
            wrong.data_uri


@needs_worker
def test_the_workbook_written_by_the_worker_is_the_workbook_written_here(tmp_path):
    sheets = [Sheet("配分", [("平均配分額", ALLOCATION)], title="配分", notes=["n は重みなし"])]
    here = write_workbook(sheets, tmp_path / "here.xlsx", properties={"title": "みどりの市民アンケート"})
    with drawing_in_background():
        pending = in_background(write_workbook, sheets, tmp_path / "there.xlsx",
                                properties={"title": "みどりの市民アンケート"})
        assert pending._future.result(timeout=120) == tmp_path / "there.xlsx"     # written by the worker
        assert pending.result() == tmp_path / "there.xlsx"
    assert (tmp_path / "there.xlsx").read_bytes() == here.read_bytes()


@needs_worker
def test_a_job_whose_arguments_cannot_be_sent_is_done_here():
    with drawing_in_background():
        pending = in_background(_call, lambda: "made here")      # a lambda cannot be pickled
        assert pending.result() == "made here"
        assert pending._future.exception(timeout=120) is not None


@needs_worker
def test_the_worker_keeps_what_it_was_forked_with_without_it_being_sent():
    state = {"wave": "FY2025"}
    with drawing_in_background(inherit=state) as forked:
        assert forked is True and inherited() is state
        state["wave"] = "changed here after the fork"
        assert in_background(_inherited_wave).result() == "FY2025"     # the worker's copy, from the fork
        # a context opened inside another forks no worker: its jobs could not see what it inherits
        with drawing_in_background(inherit={"wave": "FY2030"}) as nested:
            assert nested is False and inherited() is state
    assert inherited() is None


@needs_worker
def test_busy_while_the_worker_has_a_job_not_finished():
    with drawing_in_background():
        assert busy() is False
        job = in_background(_sleep, 0.5)
        assert busy() is True
        assert job.result() == 0.5
        assert busy() is False


@needs_worker
def test_a_run_that_stops_stops_its_worker_at_once():
    import signal

    with pytest.raises(ZeroDivisionError):
        with drawing_in_background():
            in_background(_sleep, 600)                  # a long job the run will not wait for
            workers = list(background._pool._processes.values())
            1 / 0
    assert [w.exitcode for w in workers] == [-signal.SIGTERM]     # terminated, not waited for
    assert background._pool is None and busy() is False


@needs_worker
def test_the_wave_stays_shared_with_the_worker_and_the_worker_gives_back_what_its_jobs_freed():
    import gc

    assert gc.get_freeze_count() == 0
    with drawing_in_background():
        # frozen at the fork: neither process's collector writes to the objects they share
        assert gc.get_freeze_count() > 0
        before = in_background(_resident_mb).result()
        # 300 MB in blocks of 2 kB (glibc's heap, not mmap), freed but for the last: without
        # malloc_trim the freed pages under it stay resident in the worker
        assert in_background(_allocate_and_free, 150_000).result() == 150_000
        assert in_background(_resident_mb).result() - before < 60
    assert gc.get_freeze_count() == 0       # the objects are collectable again once the run is done


def test_outside_the_context_a_job_is_done_at_once(tmp_path):
    pending = in_background(_call, lambda: "at once")
    assert pending.result() == "at once"
    with pytest.raises(ZeroDivisionError):
        in_background(_call, lambda: 1 / 0)        # its error raised when it is asked for, as a plain call


def test_outside_the_context_a_chart_is_drawn_at_once():
    assert background._pool is None
    png = charts.priority_heatmap(HEAT)
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG\r\n\x1a\n")


def test_one_cpu_draws_here(monkeypatch):
    monkeypatch.setattr(background, "_cpus", lambda: 1)
    with drawing_in_background():
        assert background._pool is None
        assert isinstance(charts.allocation_chart(ALLOCATION), bytes)


def _call(fn):
    return fn()


def _inherited_wave():
    return inherited()["wave"]


def _sleep(seconds):
    import time

    time.sleep(seconds)
    return seconds


class _Done:
    """A finished future holding ``value``."""

    def __init__(self, value):
        self.value = value

    def result(self, timeout=None):
        return self.value


def _resident_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


_kept = []


def _allocate_and_free(count):
    blocks = [bytes(2000) + str(i).encode() for i in range(count)]
    _kept.append(blocks[-1])
    return len(blocks)
