"""The CSV side of a wave's report: one file per table, ``目次.csv``, the open data.

Every table of the workbook is also a CSV named after its sheet and title
(:func:`survey.report.names.table_stem`: ``満足度_回答分布.csv``), unique and
safe on every file system; a section that writes its own files names them
(``行の記録``, ``単純集計``).  ``目次.csv`` lists each file with its title,
sheet and base (基数), and says when a section could not be estimated on
this wave (推定できません：理由).  When the plan declares ``opendata:``,
every table described for open data is also written to ``opendata/`` in the
tidy long layout with ``データ辞書.csv`` (:mod:`survey.report.opendata`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from survey.report.names import safe_stem, table_stem, unique_stems
from survey.report.opendata import DICTIONARY_FILE, OpenDataMeta, OpenTable, long_table, write_opendata
from survey.report.prose import prose
from survey.report.tableinfo import table_info
from survey.report.writers import write_csv

__all__ = ["INDEX_COLUMNS", "INDEX_FILE", "OPENDATA_FOLDER", "CsvTable", "csv_tables", "index_table",
           "opendata_meta", "write_tables"]

#: The index of the folder's CSV files.
INDEX_FILE = "目次"
#: The open-data folder inside ``<out>/<wave>/``.
OPENDATA_FOLDER = "opendata"
INDEX_COLUMNS = ("ファイル (file)", "表題 (title)", "シート (sheet)", "基数 (base)", "備考 (note)")


@dataclass(frozen=True)
class CsvTable:
    """One CSV of the report: its ``stem``, ``title``, ``sheet``, ``base``, ``note``,
    ``frame`` and the ``question`` heading its section is about."""

    stem: str
    title: str
    sheet: str
    base: str
    note: str
    frame: pd.DataFrame
    question: str = ""


def _question(questionnaire, spec) -> str:
    return questionnaire[spec.question].header if spec.question else ""


def csv_tables(plan, results: dict, questionnaire) -> list[CsvTable]:
    """The report's CSV tables in sheet order, with unique safe stems (``目次`` reserved)."""
    entries = []
    for sheet in plan.workbook:
        for sid in sheet.sections:
            r = results[sid]
            question = _question(questionnaire, plan.section(sid))
            if r.files is None:  # an analysis: one CSV per block, named after the sheet and the block's title
                for caption, frame in r.blocks:
                    title = caption or r.title
                    entries.append((table_stem(sheet.name, title), title, sheet.name, frame, r.unavailable, question))
            else:
                for stem, value in r.files.items():
                    title, frame = value if isinstance(value, tuple) else (None, value)
                    stem = safe_stem(stem.format(sheet=sheet.name))
                    entries.append((stem, title or stem, sheet.name, frame, r.unavailable, question))
    stems = unique_stems([INDEX_FILE, *(e[0] for e in entries)])[1:]
    return [CsvTable(stem=stem, title=title, sheet=sheet, base=table_info(frame).base, note=note, frame=frame,
                     question=question)
            for stem, (_s, title, sheet, frame, note, question) in zip(stems, entries)]


def index_table(tables, *, opendata: bool = False) -> pd.DataFrame:
    """``目次.csv``: one row per file (ファイル, 表題, シート, 基数, 備考)."""
    rows = [(f"{t.stem}.csv", t.title, t.sheet, t.base, t.note) for t in tables]
    if opendata:
        rows.append((f"{OPENDATA_FOLDER}/{DICTIONARY_FILE}.csv", prose("files.opendata_dictionary"), "", "", ""))
    return pd.DataFrame(rows, columns=list(INDEX_COLUMNS))


def opendata_meta(questionnaire) -> OpenDataMeta | None:
    """The open data's licence, source and publisher from the plan (None: no open data)."""
    spec = questionnaire.plan.opendata
    if spec is None:
        return None
    wave = questionnaire.wave or ""
    source = spec.source or f"{questionnaire.title}（{wave}）"
    return OpenDataMeta(licence=spec.licence, source=source, wave=wave, publisher=spec.publisher,
                        municipality_code=spec.municipality_code, notes=spec.notes)


def _open_tables(plan, results, questionnaire, tables) -> list[OpenTable]:
    out = [OpenTable(stem=t.stem, title=t.title, base=t.base, frame=long_table(t.frame, question=t.question))
           for t in tables if table_info(t.frame).is_open]
    taken = [t.stem for t in out]
    extra = []
    for sheet in plan.workbook:
        for sid in sheet.sections:
            for title, frame in results[sid].opendata:
                extra.append((table_stem(sheet.name, title), title, frame,
                              _question(questionnaire, plan.section(sid))))
    stems = unique_stems([INDEX_FILE, *taken, *(e[0] for e in extra)])[1 + len(taken):]
    out += [OpenTable(stem=stem, title=title, base=table_info(frame).base, frame=long_table(frame, question=q))
            for stem, (_s, title, frame, q) in zip(stems, extra)]
    return out


def write_tables(plan, results: dict, questionnaire, out_dir) -> tuple[list[Path], list[str]]:
    """Write the CSV tables, ``目次.csv`` and (when declared) ``opendata/``; returns the
    paths written and the reasons of the sections that could not be estimated."""
    out_dir = Path(out_dir)
    tables = csv_tables(plan, results, questionnaire)
    files = [write_csv(t.frame, out_dir / f"{t.stem}.csv") for t in tables]
    meta = opendata_meta(questionnaire)
    unavailable = list(dict.fromkeys(f"{r.title}：{r.unavailable}" for r in results.values() if r.unavailable))
    if meta is not None:
        meta = OpenDataMeta(**{**meta.__dict__, "notes": (*meta.notes, *unavailable)})
        files += write_opendata(_open_tables(plan, results, questionnaire, tables), out_dir / OPENDATA_FOLDER, meta)
    files.append(write_csv(index_table(tables, opendata=meta is not None), out_dir / f"{INDEX_FILE}.csv"))
    return files, unavailable
