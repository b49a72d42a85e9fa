"""Charts drawn in a second process while the tables are computed (issue 18).

Drawing the charts is a third of the work of ``survey run`` on the bundled
wave, and it needs nothing the tables need after it.  Inside
:func:`drawing_in_background` (``survey run`` uses :func:`draws_in_background`
on :func:`~survey.pipeline.run.run_wave`), a chart function of the report
layer marked :func:`background` returns at once a :class:`PendingImage`
instead of the image: the chart is drawn by one worker process, forked when
the context opens (so it starts with every module already imported) and
drawing the charts one after another in the order they were asked for;
:class:`~survey.report.html.Figure` takes the image when ``report.html`` is
written.  The same function draws the chart from the same arguments, so the
bytes are the ones it draws in this process (charts are deterministic, see
:mod:`survey.report.charts`).  A chart the worker cannot deliver (an error in
the chart, an argument that cannot be sent, a worker that died) is drawn
again in this process when it is needed, which then raises the chart's own
error as it would have without the worker.

Outside the context (the API, the tests) and where a second process does not
help (one CPU, or no ``fork``: Windows) every chart is drawn at once, as
before.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import multiprocessing
import os

__all__ = ["PendingImage", "background", "drawing_in_background", "draws_in_background"]

_pool = None


class PendingImage:
    """A chart being drawn by the worker; :meth:`result` waits for its PNG bytes (or SVG text)."""

    __slots__ = ("_future", "_call")

    def __init__(self, future, call):
        self._future = future
        self._call = call

    def result(self):
        """The image; drawn here when the worker could not deliver it (then its error, if any, is raised)."""
        try:
            return self._future.result()
        except Exception:   # noqa: BLE001 - whatever went wrong there, drawing it here tells the truth
            fn, args, kwargs = self._call
            return fn(*args, **kwargs)


def background(fn):
    """Mark a chart function (DataFrames and options in, image out) to be drawn by the worker
    inside :func:`drawing_in_background`; elsewhere it runs as it is."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _pool is None:
            return fn(*args, **kwargs)
        return PendingImage(_pool.submit(_draw, fn.__module__, fn.__qualname__, args, kwargs), (fn, args, kwargs))

    return wrapper


def _draw(module: str, name: str, args, kwargs):
    """In the worker: the undecorated chart function's image."""
    return getattr(importlib.import_module(module), name).__wrapped__(*args, **kwargs)


def _warm() -> None:
    """In the worker, at once: import matplotlib and register the chart font while the
    first tables are computed."""
    from matplotlib.backends import backend_agg  # noqa: F401
    from matplotlib import figure  # noqa: F401

    from survey.report.chart_style import _ensure_font

    _ensure_font()


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def drawing_in_background():
    """Within it, charts marked :func:`background` are drawn by one worker process (see the module)."""
    global _pool
    if _pool is not None or _cpus() < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield
        return
    from concurrent.futures import ProcessPoolExecutor

    executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    executor.submit(_warm)   # the worker is forked here
    _pool = executor
    try:
        yield
    finally:
        _pool = None
        executor.shutdown(wait=True, cancel_futures=True)


def draws_in_background(fn):
    """Run ``fn`` inside :func:`drawing_in_background`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with drawing_in_background():
            return fn(*args, **kwargs)

    return wrapper
