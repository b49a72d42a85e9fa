"""Charts and the workbook made in a second process while the tables are computed (issue 18).

Drawing the charts is a third of the work of ``survey run`` on the bundled
wave, and it needs nothing the tables need after it; so is writing the
workbook while the CSV files and ``report.html`` are written.  Inside
:func:`drawing_in_background` (:func:`~survey.pipeline.run.run_wave` opens it once
the wave is weighted, and also has the worker tokenise the free text: see
:mod:`survey.pipeline.run`), a chart function of the report
layer marked :func:`background` returns at once a :class:`Pending` instead
of the image, and :func:`in_background` does the same for any report
function (the workbook): the work is done by one worker process, forked
when the context opens (so it starts with every module already imported),
one job after another in the order they were asked for (it keeps what it
was forked with, the wave, without copying it: :func:`inherited`);
:class:`~survey.report.html.Figure` takes the image when ``report.html`` is
written.  The same function runs on the same arguments, so the result is
the one it gives in this process (charts and workbooks are deterministic,
see :mod:`survey.report.charts` and :mod:`survey.report.writers`).  A job the
worker cannot deliver (an error in it, an argument that cannot be sent, a
worker that died) is done again in this process when its result is needed,
which then raises the job's own error as it would have without the worker.

Outside the context (the API, the tests) and where a second process does not
help or is not safe (one CPU; not Linux: Windows has no ``fork``, and on macOS
forking a process that has loaded numpy's BLAS is not safe) everything is done at
once, as before.
"""
from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import multiprocessing
import os
import sys

__all__ = ["Pending", "background", "busy", "drawing_in_background", "in_background", "inherited",
           "worker_available"]

_pool = None
_inherited = None
_jobs: list = []


class Pending:
    """A job of the worker (a chart, the workbook, a section's analysis); :meth:`result` waits for it."""

    __slots__ = ("_future", "_call")

    def __init__(self, future, call):
        self._future = future
        self._call = call

    def result(self):
        """The result; made here when the worker could not deliver it (then its error, if any, is raised)."""
        try:
            return self._future.result()
        except Exception:   # noqa: BLE001 - whatever went wrong there, doing it here tells the truth
            fn, args, kwargs = self._call
            return fn(*args, **kwargs)

    def done(self) -> bool:
        return self._future.done()


def background(fn):
    """Mark a chart function (DataFrames and options in, image out) to be drawn by the worker
    inside :func:`drawing_in_background` (it then returns a :class:`Pending`); elsewhere it
    runs as it is."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _pool is None:
            return fn(*args, **kwargs)
        return _submit(fn, args, kwargs, trim=False)

    return wrapper


class _Done(Pending):
    """A result made at once (no worker)."""

    __slots__ = ("_value",)

    def __init__(self, value):
        super().__init__(None, None)
        self._value = value

    def result(self):
        return self._value

    def done(self) -> bool:
        return True


def in_background(fn, *args, **kwargs) -> Pending:
    """``fn(*args, **kwargs)`` as a :class:`Pending`: done by the worker inside
    :func:`drawing_in_background`, else at once (its error raised here and now).  ``fn`` is
    a module-level function whose arguments can be pickled."""
    if _pool is None:
        return _Done(fn(*args, **kwargs))
    return _submit(fn, args, kwargs, trim=True)


def _submit(fn, args, kwargs, *, trim: bool) -> Pending:
    fn = getattr(fn, "__wrapped__", fn)
    job = Pending(_pool.submit(_run, fn.__module__, fn.__qualname__, args, kwargs, trim), (fn, args, kwargs))
    _jobs.append(job)
    return job


def busy() -> bool:
    """Whether the worker has jobs not finished (a job given now would wait for them)."""
    return any(not job.done() for job in _jobs)


def _run(module: str, name: str, args, kwargs, trim: bool = True):
    """In the worker: the (undecorated) function's result; the memory the job freed is then
    given back to the system (:func:`_trim`), not kept beside the run's peak, after a job of
    :func:`in_background` (an analysis of the wave, the workbook: their memory grows with the
    wave); not after a chart, whose memory is the same for any wave and would only be asked
    for again by the next one (issue 18: 10,000 page faults, 0.05 s of the bundled run)."""
    fn = getattr(importlib.import_module(module), name)
    try:
        return getattr(fn, "__wrapped__", fn)(*args, **kwargs)
    finally:
        if trim:
            _trim()


def _trim() -> None:
    """Give the heap's free pages back to the system (glibc ``malloc_trim``): freed arrays and
    objects otherwise stay resident in the process (0.3-0.5 GB after the free text of
    1,000,000 answers)."""
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):   # not glibc
        pass


def _die_with_parent(parent: int) -> None:
    """In the worker, first: ask Linux to kill it when the run's process dies (``prctl``
    ``PR_SET_PDEATHSIG``), so a run killed with SIGKILL leaves no worker behind holding the wave."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)   # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:   # the run died before the request was made
        os._exit(1)


def _warm() -> None:
    """In the worker, at once: import matplotlib and register the chart font while the
    first tables are computed (without the cyclic garbage collector, and frozen after it: the
    collector need not scan matplotlib's modules while the charts are drawn)."""
    gc.disable()
    try:
        from matplotlib.backends import backend_agg  # noqa: F401
        from matplotlib import figure  # noqa: F401

        from survey.report.chart_style import _ensure_font

        _ensure_font()
    finally:
        gc.freeze()
        gc.enable()


def worker_available() -> bool:
    """Whether :func:`drawing_in_background` forks a worker here: Linux with two CPUs or more."""
    return sys.platform.startswith("linux") and _cpus() >= 2


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not Linux
        return os.cpu_count() or 1


def inherited():
    """What the worker was forked with (:func:`drawing_in_background`'s ``inherit``): in the
    worker, and in this process while the context is open; else None."""
    return _inherited


@contextlib.contextmanager
def drawing_in_background(*, inherit=None):
    """Within it, charts marked :func:`background` and jobs of :func:`in_background` are done
    by one worker process (see the module), forked when the context opens.  The worker keeps
    ``inherit`` (the wave of a run) without copying or sending it: a job reads it with
    :func:`inherited`.  Yields whether a worker was forked with ``inherit`` (False: no worker
    here, see :func:`worker_available`, or a worker already running, whose jobs could not see it)."""
    global _pool, _inherited
    if _pool is not None or not worker_available():
        yield False
        return
    from concurrent.futures import ProcessPoolExecutor

    _inherited = inherit
    # what the worker shares with this process stays shared: the objects frozen (neither
    # process's collector then writes to the objects they share; a full collection first would
    # cost 0.1 s and find nothing) and the free heap given back, so pages this process reuses
    # are not copied into the worker
    gc.freeze()
    _trim()
    executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_die_with_parent, initargs=(os.getpid(),))
    try:
        executor.submit(_warm)   # the worker is forked here, with _inherited
        _pool = executor
        yield True
    except BaseException:
        # the run stops (an error, Ctrl-C): nothing the worker does is needed any more
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()
        raise
    finally:
        _pool = _inherited = None
        _jobs.clear()
        executor.shutdown(wait=True, cancel_futures=True)
        gc.unfreeze()
