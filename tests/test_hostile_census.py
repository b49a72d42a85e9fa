"""The README's count of attacks tried and handled (issue 15's "Done when").

Every test that builds a broken or hostile input and asserts its outcome carries the marker
``hostile(kind)`` (registered in setup.cfg): ``silent`` (the input would give a silent wrong
number), ``crash`` (a traceback or a failed run), ``output`` (an unsafe or damaged output) or
``fuzz`` (a hypothesis property over random inputs).  A parametrized test counts each of its
cases.  This test collects the marked cases of the whole suite in a child pytest (collection
only) and checks the numbers the README states under "Untrusted input", so the README cannot
drift from the suite.  Legitimate neighbours that must keep working (a Japanese wave label,
scaled margins, a date outside the questionnaire's columns) are not marked.
"""
from __future__ import annotations

import collections
import os
import re
import subprocess
import sys

from conftest import ROOT

KINDS = ("silent", "crash", "output", "fuzz")
MARKER = "mark." + "hostile("          # spelt apart so this file is not one of the marked files


def _census(tmp_path) -> list[tuple[str, str]]:
    files = sorted(p for p in (ROOT / "tests").glob("test_*.py") if MARKER in p.read_text(encoding="utf-8"))
    out = tmp_path / "census.txt"
    env = dict(os.environ, SURVEY_HOSTILE_CENSUS=str(out))
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           *[str(f.relative_to(ROOT)) for f in files]],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [tuple(line.split(" ", 1)) for line in out.read_text(encoding="utf-8").splitlines() if line]


def _readme_counts() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"\*\*Attacks tried and handled: ([\d,]+)\*\* \(([\d,]+) that would give a silent wrong number, "
                  r"([\d,]+) that would crash or trace back, ([\d,]+) against output safety\), and ([\d,]+) "
                  r"hypothesis properties", text)
    assert m, "README's Untrusted input section no longer states the count of attacks"
    total, silent, crash, output, fuzz = (int(g.replace(",", "")) for g in m.groups())
    return {"total": total, "silent": silent, "crash": crash, "output": output, "fuzz": fuzz}


def test_the_readme_states_the_attacks_the_suite_tries(tmp_path):
    cases = _census(tmp_path)
    kinds = collections.Counter(kind for kind, _ in cases)
    assert set(kinds) <= set(KINDS), kinds                       # hostile("typo") would not be counted
    assert len({node for _, node in cases}) == len(cases)        # one kind per case
    readme = _readme_counts()
    got = {k: kinds[k] for k in KINDS} | {"total": kinds["silent"] + kinds["crash"] + kinds["output"]}
    assert got == readme, f"the suite has {got}; update README.md (Untrusted input)"
    # the corpus files of issue 15 are counted, not only a few of their tests
    per_file = collections.Counter(node.split("::", 1)[0] for _, node in cases)
    assert per_file["tests/test_hostile_deliveries.py"] >= 30 and per_file["tests/test_hostile_spec.py"] >= 55
