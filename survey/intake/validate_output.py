"""Writers of a :class:`~survey.intake.validate.ValidationReport`: text,
JSON, CSV and the XLSX workbook handed back to the data-entry team.

The workbook never contains a formula: every text cell is written as a
string, and text that a spreadsheet would read as a formula (starting with
``= + - @``, tab or carriage return) also gets the quote-prefix attribute
(the apostrophe Excel shows), so a delivered value such as
``=HYPERLINK(...)`` stays inert text.
"""
from __future__ import annotations

import io
import json
import math
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.xlsx_layout import page_setup

__all__ = ["FORMATS", "display_width", "render_report", "render_text", "report_dict", "write_report"]

FORMATS = ("text", "json", "csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_XLSX_HEADERS = {
    "row": "行 row", "respondent_id": "回答者ID respondent_id", "column": "列 column",
    "column_id": "列ID column_id", "value": "値 value", "rule": "ルール rule", "category": "区分 category",
    "severity": "重要度 severity", "message_ja": "内容 message_ja", "message_en": "message_en",
    "title_ja": "チェック内容 title_ja", "title_en": "title_en", "findings": "件数 findings",
    "rows": "行数 rows", "reason": "理由 reason", "before": "変更前 before", "after": "変更後 after",
}


def _plain(v):
    """A value in plain JSON types (numpy scalars unwrapped, NaN/NA → None)."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return int(v) if v.is_integer() else v
    return v


def _records(frame: pd.DataFrame) -> list[dict]:
    cols = list(frame.columns)
    return [{c: _plain(v) for c, v in zip(cols, vals)} for vals in frame.itertuples(index=False, name=None)]


def report_dict(report) -> dict:
    lg = report.ledger
    q = report.questionnaire
    return {
        "file": report.provenance.as_dict(),
        "questionnaire": {"id": q.id, "version": q.version, "path": q.path, "sha256": q.sha256},
        "status": report.status, "exit_code": report.exit_code,
        "errors": report.errors, "warnings": report.warnings,
        "summary": _records(report.summary),
        "failures": _records(report.failures),
        "ledger": {
            "rows_read": lg.rows_read, "rows_kept": lg.rows_kept, "rows_excluded": lg.rows_excluded,
            "exclusions": _records(lg.exclusions), "changes": _records(lg.changes),
        },
    }


def display_width(text: str) -> int:
    """Columns a string takes in a monospace font (East Asian wide = 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def render_text(report, *, max_lines: int | None = 200) -> str:
    p, q, lg = report.provenance, report.questionnaire, report.ledger
    verdict = {"errors": "ERRORS", "warnings": "OK with warnings", "clean": "OK"}[report.status]
    enc = f", {p.encoding}" if p.encoding else ""
    out = [
        f"survey validate — {q.title} ({q.id} {q.version})",
        f"File: {p.path} ({p.format}{enc}, sha256 {p.sha256[:12]}…, {p.rows_read} data rows)",
        f"Result: {verdict} — {report.errors} error(s), {report.warnings} warning(s); exit code {report.exit_code}",
        "",
        f"Rows: read {lg.rows_read} = kept {lg.rows_kept} + excluded {lg.rows_excluded}",
    ]
    if len(lg.exclusions):
        ex = lg.exclusions.groupby("reason").size()
        out.append("  excluded: " + ", ".join(f"{r} {n}" for r, n in ex.items()))
    if len(lg.changes):
        ch = lg.changes.groupby("rule").size()
        out.append(f"  cells changed by cleaning: {len(lg.changes)} (" + ", ".join(f"{r} {n}" for r, n in ch.items()) + ")")
    found = report.summary[report.summary["findings"] > 0]
    out += ["", "By rule:" if len(found) else "By rule: nothing found"]
    if len(found):
        w = max(display_width(r) for r in found["rule"])
        cw = max(display_width(c) for c in found["category"])
        out.append(f"  {'severity':<8}  {_pad('rule', w)}  {_pad('category', cw)}  findings  rows")
        for r in found.itertuples(index=False):
            out.append(f"  {r.severity:<8}  {_pad(r.rule, w)}  {_pad(r.category, cw)}  {r.findings:>8}  {r.rows:>4}")
    f = report.failures
    if len(f):
        shown = f if max_lines is None else f.head(max_lines)
        more = f" (first {len(shown)} of {len(f)}; use --format csv or xlsx for all)" if len(shown) < len(f) else ""
        out += ["", f"Findings{more}:"]
        for r in shown.itertuples(index=False):
            where = "file" if pd.isna(r.row) else f"row {r.row}"
            rid = "" if r.respondent_id is None else f" id {r.respondent_id}"
            col = "" if r.column is None else f"  {r.column}" + ("" if r.column_id in (None, r.column) else f" [{r.column_id}]")
            val = "" if r.value is None else f"  value {str(r.value)!r}"
            out.append(f"  {where}{rid}{col}{val}  {r.severity} {r.rule}")
            out.append(f"      {r.message_ja}")
            out.append(f"      {r.message_en}")
    return "\n".join(out) + "\n"


def _csv(frame: pd.DataFrame) -> str:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def _write_csv(report, out: Path) -> Path:
    stem = out.with_suffix("")
    tables = {
        out: report.failures,
        Path(f"{stem}_summary.csv"): report.summary,
        Path(f"{stem}_exclusions.csv"): report.ledger.exclusions,
        Path(f"{stem}_changes.csv"): report.ledger.changes,
    }
    for path, frame in tables.items():
        path.write_text(_csv(frame), encoding="utf-8-sig")  # BOM: Excel opens Japanese text correctly
    return out


def _about(report) -> pd.DataFrame:
    p, q, lg = report.provenance, report.questionnaire, report.ledger
    items = [
        ("ファイル file", p.path), ("形式 format", p.format), ("文字コード encoding", p.encoding or ""),
        ("sha256", p.sha256), ("調査票 questionnaire", f"{q.id} {q.version}"),
        ("調査票 sha256", q.sha256 or ""), ("結果 status", report.status),
        ("エラー errors", report.errors), ("警告 warnings", report.warnings),
        ("読込行数 rows read", lg.rows_read), ("採用行数 rows kept", lg.rows_kept),
        ("除外行数 rows excluded", lg.rows_excluded), ("変更セル数 cells changed", len(lg.changes)),
    ]
    return pd.DataFrame(items, columns=["item", "value"])


def _write_sheet(book, name: str, frame: pd.DataFrame, fmts, *, title: str = "") -> None:
    sheet = book.add_worksheet(name)
    headers = [_XLSX_HEADERS.get(c, c) for c in frame.columns]
    widths = [display_width(h) for h in headers]
    for j, h in enumerate(headers):
        sheet.write_string(0, j, h, fmts["header"])
    for i, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        for j, v in enumerate(values):
            v = _plain(v)
            if v is None:
                continue
            if isinstance(v, bool):
                v = str(v)
            if isinstance(v, (int, float)):
                sheet.write_number(i, j, v)
                text = str(v)
            else:
                text = str(v)
                sheet.write_string(i, j, text, fmts["quoted"] if text.startswith(_FORMULA_START) else None)
            widths[j] = max(widths[j], display_width(text))
    for j, w in enumerate(widths):
        sheet.set_column(j, j, min(max(w, 6), 80) + 2)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(frame), 1), len(headers) - 1)
    # A4 landscape, one page wide, the heading row on every page (survey.xlsx_layout)
    page_setup(sheet, title=title, sheet=name, repeat=(0, 0))


def _write_xlsx(report, out: Path) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False,
                                          "strings_to_numbers": False})
    fmts = {"header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "quoted": book.add_format({"quote_prefix": True})}
    title = f"{report.questionnaire.title} 納品データの点検 validation"
    _write_sheet(book, "一覧 Failures", report.failures, fmts, title=title)
    _write_sheet(book, "集計 Summary", report.summary, fmts, title=title)
    _write_sheet(book, "除外 Exclusions", report.ledger.exclusions, fmts, title=title)
    _write_sheet(book, "変更 Changes", report.ledger.changes, fmts, title=title)
    _write_sheet(book, "情報 About", _about(report), fmts, title=title)
    book.close()
    return out


def render_report(report, fmt: str, *, max_lines: int | None = 200) -> str:
    """See :meth:`ValidationReport.render`."""
    if fmt == "text":
        return render_text(report, max_lines=max_lines)
    if fmt == "json":
        return json.dumps(report_dict(report), ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        return _csv(report.failures)
    if fmt == "xlsx":
        raise InputError("the xlsx report is a file: give an output path (--out PATH.xlsx)")
    raise InputError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")


def write_report(report, fmt: str, out=None, *, max_lines: int | None = 200):
    """See :meth:`ValidationReport.write`."""
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    if out is None:
        sys.stdout.write(render_report(report, fmt, max_lines=max_lines))
        sys.stdout.flush()
        return None
    out = Path(out)
    if out.is_dir():
        raise InputError("the output path is a folder; give a file name", path=out)
    if not out.parent.exists():
        raise InputError("the output folder does not exist; create it first", path=out.parent)
    if fmt == "xlsx":
        return _write_xlsx(report, out)
    if fmt == "csv":
        return _write_csv(report, out)
    out.write_text(render_report(report, fmt, max_lines=max_lines), encoding="utf-8")
    return out
