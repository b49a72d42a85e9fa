"""Run an R script with Rscript for the benchmarks (R is optional)."""
from __future__ import annotations

import shutil
import subprocess

__all__ = ["PeerMissing", "r_available", "run_rscript"]


class PeerMissing(RuntimeError):
    """The peer tool is not installed here (or failed to run)."""


def r_available() -> bool:
    """Whether ``Rscript`` is on the PATH."""
    return shutil.which("Rscript") is not None


def run_rscript(script: str) -> str:
    """Run ``script`` with ``Rscript -e`` and return its standard output.

    Raises :class:`PeerMissing` when Rscript is absent or the script fails
    (the end of R's error output is in the message).
    """
    if not r_available():
        raise PeerMissing("no Rscript on PATH")
    res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise PeerMissing(f"Rscript failed: {res.stderr.strip()[-400:]}")
    return res.stdout
