"""R survey / survival runs for ``bench_mean.py`` and ``bench_ranking.py``.

Both write the benchmark rows to a temporary CSV, let R build the same
design and time the estimator with ``system.time`` (reading the CSV and
building the design are not counted), and return the best wall and CPU
seconds with R's numbers so the benchmark can print how far ours are.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .rscript import run_rscript

__all__ = ["RRun", "explode_topk", "r_coxph", "r_svymean"]


@dataclass(frozen=True)
class RRun:
    version: str
    wall: float
    cpu: float
    estimate: np.ndarray
    se: np.ndarray
    extra: dict


def _parse(out: str) -> dict:
    """Lines ``key value value ...`` printed by the R scripts below."""
    vals = {}
    for line in out.splitlines():
        parts = line.split()
        if parts:
            vals[parts[0]] = parts[1:]
    return vals


def _margin_frames(margins: dict) -> str:
    return ", ".join(
        f"data.frame({c} = c({', '.join(repr(str(k)) for k in s.index)}), "
        f"Freq = c({', '.join(f'{v:.17g}' for v in s)}))"
        for c, s in margins.items())


_SVYMEAN = """
suppressMessages(library(survey))
d <- read.csv("{csv}", stringsAsFactors = TRUE)
des <- svydesign(ids = ~psu, strata = ~district, weights = ~w, data = d)
t_rake <- system.time(r <- rake(des, list({formulas}), list({frames}),
                                control = list(maxit = 100, epsilon = 1e-10)))
best <- c(Inf, Inf)
for (i in seq_len({repeat})) {{
  t <- system.time(est <- svymean(~{y}, r))
  best <- pmin(best, c(t[["elapsed"]], t[["user.self"]] + t[["sys.self"]]))
}}
cat("version", as.character(packageVersion("survey")), "\\n")
cat("time", sprintf("%.6f", best), "\\n")
cat("rake", sprintf("%.6f", t_rake[["elapsed"]]), "\\n")
cat("estimate", sprintf("%.17g", coef(est)), "\\n")
cat("se", sprintf("%.17g", SE(est)), "\\n")
"""


def r_svymean(data: pd.DataFrame, margins: dict, y: str, *, repeat: int) -> RRun:
    """R ``svymean(~y, rake(svydesign(ids=~psu, strata=~district, weights=~w)))``."""
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        data[["psu", *margins, "w", y]].to_csv(csv, index=False, float_format="%.17g")
        out = run_rscript(_SVYMEAN.format(
            csv=csv, formulas=", ".join(f"~{c}" for c in margins),
            frames=_margin_frames(margins), repeat=max(1, repeat), y=y))
    v = _parse(out)
    return RRun(v["version"][0], float(v["time"][0]), float(v["time"][1]),
                np.array(v["estimate"], dtype=float), np.array(v["se"], dtype=float),
                {"rake": float(v["rake"][0])})


def explode_topk(codes: np.ndarray, m: int) -> pd.DataFrame:
    """One row per respondent x stage x item still available.

    ``codes`` is ``(n, k)`` of chosen item indices (0-based, best first).
    Returns columns ``resp, sit, item`` (1-based item) and ``status``
    (1 = the item chosen at that stage).
    """
    n, k = codes.shape
    avail = np.ones((n, m), dtype=bool)
    parts = []
    for s in range(k):
        r, j = np.nonzero(avail)
        parts.append(pd.DataFrame({"resp": r, "sit": r * k + s, "item": j + 1,
                                   "status": (j == codes[r, s]).astype(np.int8)}))
        avail[np.arange(n), codes[:, s]] = False
    return pd.concat(parts, ignore_index=True).sort_values(["sit", "item"], kind="stable")


_COXPH = """
suppressMessages({{library(survival); library(survey)}})
ex <- read.csv("{csv}")
ex$time <- 1
m <- {m}; na <- {na}; nd <- {nd}
X <- matrix(0, nrow(ex), (m - 1) * (1 + (na - 1) + (nd - 1)))
col <- 0
for (j in 2:m) {{
  d <- as.numeric(ex$item == j)
  X[, col <- col + 1] <- d
  for (a in 2:na) X[, col <- col + 1] <- d * (ex$age == a)
  for (b in 2:nd) X[, col <- col + 1] <- d * (ex$district == b)
}}
colnames(X) <- paste0("x", seq_len(ncol(X)))
ex <- cbind(ex, X)
fml <- as.formula(paste("Surv(time, status) ~", paste(colnames(X), collapse = " + "),
                        "+ strata(sit)"))
best <- c(Inf, Inf)
for (i in seq_len({repeat})) {{
  t <- system.time(fit <- coxph(fml, data = ex, weights = w, cluster = block))
  best <- pmin(best, c(t[["elapsed"]], t[["user.self"]] + t[["sys.self"]]))
}}
cat("version", as.character(packageVersion("survival")), "\\n")
cat("time", sprintf("%.6f", best), "\\n")
cat("estimate", sprintf("%.17g", coef(fit)), "\\n")
cat("se", sprintf("%.17g", sqrt(diag(vcov(fit)))), "\\n")
if ({svy}) {{
  des <- svydesign(ids = ~block, strata = ~district, weights = ~w, data = ex, nest = TRUE)
  t <- system.time(sfit <- svycoxph(fml, design = des))
  cat("svytime", sprintf("%.6f", c(t[["elapsed"]], t[["user.self"]] + t[["sys.self"]])), "\\n")
  cat("svyestimate", sprintf("%.17g", coef(sfit)), "\\n")
  cat("svyse", sprintf("%.17g", SE(sfit)), "\\n")
}}
"""


def r_coxph(codes: np.ndarray, m: int, resp: pd.DataFrame, *, repeat: int,
            svycoxph: bool = True) -> RRun:
    """R ``coxph(Surv(time, status) ~ X + strata(sit), weights = w, cluster = block)``.

    ``resp`` has one row per respondent with integer codes ``age`` and
    ``district`` (1-based; level 1 the reference), ``w`` and ``block``.
    ``X`` holds, for items 2..m, the item dummy and its products with the
    age and district dummies, in the order of ``rank_logit``'s parameters.
    With ``svycoxph`` the same model is also fitted by survey::svycoxph on
    ``svydesign(ids=~block, strata=~district, weights=~w, nest=TRUE)``
    (timed once; its numbers in ``extra``).
    """
    ex = explode_topk(codes, m)
    ex = ex.join(resp.reset_index(drop=True), on="resp")
    na, nd = int(resp["age"].max()), int(resp["district"].max())
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "ex.csv"
        ex[["sit", "item", "status", "age", "district", "w", "block"]].to_csv(
            csv, index=False, float_format="%.17g")
        out = run_rscript(_COXPH.format(csv=csv, m=m, na=na, nd=nd, repeat=max(1, repeat),
                                        svy="TRUE" if svycoxph else "FALSE"))
    v = _parse(out)
    extra = {"rows": len(ex)}
    if "svytime" in v:
        extra.update(svy_wall=float(v["svytime"][0]), svy_cpu=float(v["svytime"][1]),
                     svy_estimate=np.array(v["svyestimate"], dtype=float),
                     svy_se=np.array(v["svyse"], dtype=float))
    return RRun(v["version"][0], float(v["time"][0]), float(v["time"][1]),
                np.array(v["estimate"], dtype=float), np.array(v["se"], dtype=float), extra)
