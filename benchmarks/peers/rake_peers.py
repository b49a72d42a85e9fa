"""Raking with the peer tools, for ``bench_rake.py`` (optional imports).

Each runner takes the benchmark rows and margins (``{column: Series of
population totals}``), rakes them ``repeat`` times with the peer's own
API and stopping rule, and returns a :class:`PeerResult` with the best
wall and CPU seconds and the final weights in row order.  A peer that is
not installed raises :class:`PeerMissing`.
"""
from __future__ import annotations

import logging
import tempfile
import time
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .rscript import PeerMissing, run_rscript

__all__ = [
    "RUNNERS",
    "PeerMissing",
    "PeerResult",
    "run_balance",
    "run_r",
    "run_samplics",
    "run_weightipy",
]


@dataclass(frozen=True)
class PeerResult:
    version: str
    rule: str
    wall: float
    cpu: float
    weights: np.ndarray
    unit_start: bool = False
    note: str = ""


def _best(fn, repeat: int):
    wall, cpu, out = np.inf, np.inf, None
    for _ in range(max(1, repeat)):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return wall, cpu, out


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def run_samplics(data: pd.DataFrame, margins: dict, *, repeat: int) -> PeerResult:
    """samplics ``SampleWeight().rake`` on integer level codes.

    Integer codes are samplics' fastest input: with the same levels as
    strings each sweep compares a million strings per level (27x slower at
    100,000 rows here).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "samplics is archived" FutureWarning
            from samplics import SampleWeight
    except ImportError as e:
        raise PeerMissing(str(e)) from None
    doms = {c: data[c].cat.codes.to_numpy() for c in margins}
    ctrl = {c: {i: float(v) for i, v in enumerate(s.reindex(data[c].cat.categories))}
            for c, s in margins.items()}
    w = data["w"].to_numpy()

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return SampleWeight().rake(w, doms, control=ctrl, tol=1e-10, ctrl_tol=1e-10,
                                       max_iter=100)

    wall, cpu, out = _best(fit, repeat)
    return PeerResult(_version("samplics"),
                      "tol=ctrl_tol=1e-10 (rel. change and rel. margin error)",
                      wall, cpu, np.asarray(out, dtype=float),
                      note="given integer level codes (its fastest input; strings are "
                           "about 27x slower)")


def run_weightipy(data: pd.DataFrame, margins: dict, *, repeat: int) -> PeerResult:
    """weightipy ``weight`` with a scheme of target percentages.

    weightipy always starts from unit weights (it has no base-weight
    argument), so its weights are compared with ours raked from unit
    weights to the same proportions.
    """
    try:
        import weightipy
    except ImportError as e:
        raise PeerMissing(str(e)) from None
    scheme = weightipy.scheme_from_dict(
        {c: {k: 100.0 * v / s.sum() for k, v in s.items()} for c, s in margins.items()},
        name="bench")
    frame = data[list(margins)]
    n = len(frame)
    wall, cpu, out = _best(lambda: weightipy.weight(frame, scheme), repeat)
    w = out.to_numpy(dtype=float)
    # weightipy returns weights with mean 1; ours from unit weights sum to n too
    return PeerResult(_version("weightipy"),
                      "none settable: stops when sum|dw| falls < 1%/sweep",
                      wall, cpu, w * n / w.sum(), unit_start=True,
                      note="no base weights (starts from 1); compared with our rake from "
                           "unit weights")


def run_balance(data: pd.DataFrame, margins: dict, *, repeat: int) -> PeerResult:
    """balance ``weighting_methods.rake.rake`` with ``target_margins``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.disable(logging.INFO)  # balance logs a banner at import
            try:
                from balance.weighting_methods.rake import rake
            finally:
                logging.disable(logging.NOTSET)
    except ImportError as e:
        raise PeerMissing(f"{e}; see benchmarks/peers/install.sh") from None
    logging.getLogger("balance").setLevel(logging.ERROR)
    target = {c: {k: float(v) for k, v in s.items()} for c, s in margins.items()}
    frame = data[list(margins)]
    w = data["w"]

    def fit():
        return rake(frame, w, None, None, target_margins=target, transformations=None,
                    na_action="drop", convergence_rate=1e-10, rate_tolerance=0.0,
                    max_iteration=1000)["weight"]

    wall, cpu, out = _best(fit, repeat)
    return PeerResult(_version("balance"), "convergence_rate=1e-10 (abs. margin proportion)",
                      wall, cpu, out.reindex(data.index).to_numpy(dtype=float))


_R_SCRIPT = """
suppressMessages(library(survey))
d <- read.csv("{csv}", stringsAsFactors = TRUE)
des <- svydesign(id = ~1, weights = ~w, data = d)
m <- list({frames})
best <- c(Inf, Inf)
for (i in seq_len({repeat})) {{
  t <- system.time(r <- rake(des, list({formulas}), m,
                             control = list(maxit = 100, epsilon = 1e-10)))
  best <- pmin(best, c(t[["elapsed"]], t[["user.self"]] + t[["sys.self"]]))
}}
writeBin(as.numeric(weights(r)), "{out}")
cat(sprintf("%.6f %.6f %s\\n", best[1], best[2], as.character(packageVersion("survey"))))
"""


def run_r(data: pd.DataFrame, margins: dict, *, repeat: int) -> PeerResult:
    """R survey ``rake()`` (via Rscript), timed inside R with ``system.time``."""
    frames = ", ".join(
        f"data.frame({c} = c({', '.join(repr(str(k)) for k in s.index)}), "
        f"Freq = c({', '.join(f'{v:.17g}' for v in s)}))"
        for c, s in margins.items())
    with tempfile.TemporaryDirectory() as tmp:
        csv, out = Path(tmp) / "d.csv", Path(tmp) / "w.bin"
        data[[*margins, "w"]].to_csv(csv, index=False, float_format="%.17g")
        formulas = ", ".join(f"~{c}" for c in margins)
        script = _R_SCRIPT.format(csv=csv, frames=frames, formulas=formulas,
                                  repeat=max(1, repeat), out=out)
        elapsed, cpu, version = run_rscript(script).split()[-3:]
        w = np.fromfile(out, dtype="<f8")
    return PeerResult(version, "epsilon=1e-10 x sum(w) (abs. change of cell table)",
                      float(elapsed), float(cpu), w,
                      note="timed inside R (system.time around rake()); reading the CSV is "
                           "not counted")


RUNNERS = {"samplics": run_samplics, "weightipy": run_weightipy, "balance": run_balance,
           "R": run_r}
