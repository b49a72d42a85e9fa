"""Benchmark: how fast resource bombs are refused (issue 15 item 14).

Run on demand (not a test; the tests assert what is refused and the message)::

    python benchmarks/bench_bombs.py [--repeat 5]

Three bombs, each timed from the call to the one-line error (median of
``--repeat``, wall and CPU):

``yaml``
    a questionnaire with a billion-laughs alias bomb (9 levels of 9 aliases:
    3.5 billion values once expanded) refused by the node limit of
    :func:`survey.load_questionnaire`;
``xlsx``
    a 0.2 MB workbook whose shared strings expand to 64 MiB, refused by
    :func:`survey.intake.read_raw` before they are parsed;
``cells``
    a workbook with one stray cell at XFD1048576 (a used range of 17 billion
    cells), refused before the sheet is built.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from survey import load_questionnaire  # noqa: E402
from survey.errors import SurveyError  # noqa: E402
from survey.intake import read_raw  # noqa: E402
from survey.intake.xlsx import MAX_SHARED_STRINGS_BYTES  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from delivery import xlsx_parts, zip_parts  # noqa: E402  (the tests' hand-built xlsx packages)

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _xlsx(path: Path, sheet: bytes, shared: bytes | None = None) -> Path:
    return zip_parts(path, xlsx_parts(sheet, shared))


def bombs(tmp: Path) -> dict:
    laughs = "".join([f"lol0: &lol0 [{', '.join(['lol'] * 9)}]\n"]
                     + [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]\n" for i in range(1, 10)])
    spec = (ROOT / "questionnaires" / "midori_2025.yaml").read_text(encoding="utf-8")
    yaml_path = tmp / "bomb.yaml"
    yaml_path.write_text(laughs + spec.replace("\ntitle:", "\ntitle: *lol9\nold_title:", 1), encoding="utf-8")
    empty = f"<worksheet {NS}><sheetData/></worksheet>".encode()
    shared = b"<sst>" + b"<si><t>x</t></si>" * (MAX_SHARED_STRINGS_BYTES // 16 + 1) + b"</sst>"
    far = (f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>'
           '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>').encode()
    strings, stray = _xlsx(tmp / "strings.xlsx", empty, shared), _xlsx(tmp / "far.xlsx", far)
    return {"yaml": lambda: load_questionnaire(yaml_path), "xlsx": lambda: read_raw(strings),
            "cells": lambda: read_raw(stray)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for name, call in bombs(Path(tmp)).items():
            walls, cpus, message = [], [], ""
            for _ in range(args.repeat):
                w0, c0 = time.perf_counter(), time.process_time()
                try:
                    call()
                except SurveyError as exc:
                    message = str(exc)
                else:
                    raise SystemExit(f"{name}: not refused")
                walls.append(time.perf_counter() - w0)
                cpus.append(time.process_time() - c0)
            print(f"{name:6s} refused in {statistics.median(walls) * 1e3:7.1f} ms wall, "
                  f"{statistics.median(cpus) * 1e3:7.1f} ms CPU: {message[:90]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
