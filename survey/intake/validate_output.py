"""Writers of a :class:`~survey.intake.validate.ValidationReport`: text,
JSON, CSV and the XLSX workbook handed back to the data-entry team.

Every form lists the findings the same way (issue 16 item 13): errors
first, then warnings, each group by row (findings about the whole file
first); a summary line per rule with its counts, errors first; the frame
(headings, summary, column names) in Japanese with the English alongside;
and each finding's row as the data row (1 = the first row under the
heading), the row Excel shows it on in the delivered file (heading row +
data row, blank lines counted) and, for a CSV, the file line its record
starts on (:func:`ordered_failures`).

The workbook never contains a formula: every text cell is written as a
string, and text that a spreadsheet would read as a formula (starting with
``= + - @``, tab or carriage return) also gets the quote-prefix attribute
(the apostrophe Excel shows), so a delivered value such as
``=HYPERLINK(...)`` stays inert text.  The CSV files quote every field that
holds a line break (a lone CR too) and put an apostrophe before a formula at
the start of a field or after a line break in it; JSON keeps every value
exactly as read.  The text report (and CSV shown on a terminal) escapes
control, separator and bidirectional characters
(:func:`survey.safetext.terminal_safe`), so a value or a questionnaire
label can neither send terminal escapes nor forge a line of the report.
"""
from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.intake.messages import message
from survey.safetext import FORMULA_START, csv_text, json_safe, neutralise_formula, terminal_safe
from survey.xlsx_layout import display_width, page_setup

__all__ = ["FORMATS", "REPORT_COLUMNS", "display_width", "ordered_failures", "ordered_summary", "render_report",
           "render_text", "report_dict", "write_report"]

FORMATS = ("text", "json", "csv", "xlsx")
#: Columns of the failure list as every form of the report shows it.
REPORT_COLUMNS = ("severity", "row", "excel_row", "line", "respondent_id", "column", "column_id", "value", "rule",
                  "category", "message_ja", "message_en")
_FORMULA_START = FORMULA_START
_SEVERITY = {"error": (0, "エラー"), "warning": (1, "警告")}
_STATUS = {"errors": ("ERRORS", "エラーあり"), "warnings": ("OK with warnings", "警告のみ"), "clean": ("OK", "問題なし")}
_ROW_COLUMNS = ("row", "excel_row", "line")

#: Column names of the CSV and XLSX forms: Japanese, then English.
HEADERS = {
    "row": "行 row", "excel_row": "Excel行 excel_row", "line": "ファイル行 line",
    "respondent_id": "回答者ID respondent_id", "column": "列 column",
    "column_id": "列ID column_id", "value": "値 value", "rule": "ルール rule", "category": "区分 category",
    "severity": "重要度 severity", "message_ja": "内容 message_ja", "message_en": "message_en",
    "title_ja": "チェック内容 title_ja", "title_en": "title_en", "findings": "件数 findings",
    "rows": "行数 rows", "reason": "理由 reason", "before": "変更前 before", "after": "変更後 after",
    "item": "項目 item", "value_": "値 value",
}
_XLSX_HEADERS = HEADERS  # the name earlier versions used


def _positions(report, rows) -> tuple[list, list]:
    """Excel rows and file lines of 1-based data rows (``None`` where unknown)."""
    positions = report.positions
    fmt = report.provenance.format
    excel, lines = [], []
    for r in rows:
        if r is None or r is pd.NA or (isinstance(r, float) and math.isnan(r)):
            excel.append(None)
            lines.append(None)
            continue
        r = int(r)
        if positions and 1 <= r <= len(positions):
            e, line = positions[r - 1]
        else:  # one heading row, no blank lines above the data
            e = r + 1 if fmt in ("csv", "xlsx") else None
            line = r + 1 if fmt == "csv" else None
        excel.append(e)
        lines.append(line)
    return excel, lines


def ordered_failures(report) -> pd.DataFrame:
    """The findings as the report lists them, columns :data:`REPORT_COLUMNS`:
    errors first, then warnings; within each, findings about the whole file
    first, then by data row (the failure table's order kept among equals)."""
    f = report.failures.reset_index(drop=True)
    rank = np.array([_SEVERITY.get(s, (2, ""))[0] for s in f["severity"]], dtype=float)
    rows = np.array([0.0 if pd.isna(r) else float(r) for r in f["row"]])
    order = np.lexsort((np.arange(len(f)), rows, rank))
    out = f.iloc[order].reset_index(drop=True)
    excel, lines = _positions(report, out["row"])
    out["excel_row"] = pd.Series(excel, dtype="Int64")
    out["line"] = pd.Series(lines, dtype="Int64")
    return out[list(REPORT_COLUMNS)]


def ordered_summary(report) -> pd.DataFrame:
    """One line per rule with its counts: the rules that found something,
    errors first (most findings first), then the rules that found nothing."""
    s = report.summary.reset_index(drop=True)
    found = (s["findings"] > 0).to_numpy()
    rank = np.array([_SEVERITY.get(v, (2, ""))[0] for v in s["severity"]], dtype=float)
    order = np.lexsort((np.arange(len(s)), -s["findings"].to_numpy(dtype=float), rank, ~found))
    return s.iloc[order].reset_index(drop=True)


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
        "status": report.status, "status_ja": _STATUS[report.status][1], "exit_code": report.exit_code,
        "errors": report.errors, "warnings": report.warnings,
        "summary": _records(ordered_summary(report)),
        "failures": _records(ordered_failures(report)),
        "ledger": {
            "rows_read": lg.rows_read, "rows_kept": lg.rows_kept, "rows_excluded": lg.rows_excluded,
            "exclusions": _records(lg.exclusions), "changes": _records(lg.changes),
            "notes": _records(lg.notes),
        },
    }


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _where(r) -> str:
    """``row 3 (Excel 4, line 4)`` for a finding, ``file`` for the whole file."""
    if pd.isna(r.row):
        return "file"
    place = [f"Excel {r.excel_row}"] if not pd.isna(r.excel_row) else []
    if not pd.isna(r.line):
        place.append(f"line {r.line}")
    return f"row {r.row}" + (f" ({', '.join(place)})" if place else "")


def render_text(report, *, max_lines: int | None = 200) -> str:
    p, q, lg = report.provenance, report.questionnaire, report.ledger
    verdict, verdict_ja = _STATUS[report.status]
    enc = f", {p.encoding}" if p.encoding else ""
    enc += f", sheet {p.sheet!r}" if getattr(p, "sheet", None) else ""
    out = [
        f"survey validate — {q.title} ({q.id} {q.version})",
        message("report.file", path=p.path, format=p.format, encoding=enc, sha256=p.sha256[:12], rows=p.rows_read),
        message("report.result", verdict=verdict, verdict_ja=verdict_ja, errors=report.errors,
                warnings=report.warnings, exit_code=report.exit_code),
        "",
        message("report.rows", read=lg.rows_read, kept=lg.rows_kept, excluded=lg.rows_excluded),
    ]
    if len(lg.exclusions):
        ex = lg.exclusions.groupby("reason").size()
        out.append("  " + message("report.excluded", reasons=", ".join(f"{r} {n}" for r, n in ex.items())))
    if len(lg.changes):
        ch = lg.changes.groupby("rule").size()
        out.append("  " + message("report.changed", cells=len(lg.changes),
                                  rules=", ".join(f"{r} {n}" for r, n in ch.items())))
    if len(getattr(lg, "notes", ())):
        rows = ", ".join(str(r) for r in lg.notes["row"].head(20)) + (" ..." if len(lg.notes) > 20 else "")
        out.append("  " + message("report.hidden", rows=rows))
    summary = ordered_summary(report)
    found = summary[summary["findings"] > 0]
    out += ["", message("report.summary" if len(found) else "report.summary_empty")]
    if len(found):
        w = max(display_width(r) for r in found["rule"])
        cw = max(display_width(c) for c in found["category"])
        out.append(f"  {_pad('重要度 severity', 16)}  {_pad('ルール rule', w)}  {_pad('区分 category', cw)}  "
                   "件数 findings  行数 rows  内容 check")
        for r in found.itertuples(index=False):
            sev = f"{_SEVERITY.get(r.severity, (2, ''))[1]} {r.severity}"
            out.append(f"  {_pad(sev, 16)}  {_pad(r.rule, w)}  {_pad(r.category, cw)}  {r.findings:>13}  "
                       f"{r.rows:>9}  {r.title_ja} / {r.title_en}")
    rest = len(summary) - len(found)
    if rest:
        out.append("  " + message("report.rules_unused", rules=rest))
    f = ordered_failures(report)
    if len(f):
        shown = f if max_lines is None else f.head(max_lines)
        more = message("report.findings_cut", total=len(f), shown=len(shown)) if len(shown) < len(f) else ""
        out += ["", message("report.findings", more=more), "  " + message("report.legend")]
        for r in shown.itertuples(index=False):
            rid = "" if r.respondent_id is None else f" id {r.respondent_id}"
            col = "" if r.column is None else f"  {r.column}" + ("" if r.column_id in (None, r.column) else f" [{r.column_id}]")
            val = "" if r.value is None else f"  value {str(r.value)!r}"
            sev = f"{_SEVERITY.get(r.severity, (2, ''))[1]} {r.severity}"
            out.append(f"  {_where(r)}{rid}{col}{val}  {sev} {r.rule}")
            out.append(f"      {r.message_ja}")
            out.append(f"      {r.message_en}")
    # one line each, whatever the data or the questionnaire hold: no escape sequence, no forged line
    return "\n".join(terminal_safe(line) for line in out) + "\n"


def _bilingual(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with Japanese + English column names (:data:`HEADERS`)."""
    return frame.rename(columns={c: HEADERS.get(c, c) for c in frame.columns})


def _csv(frame: pd.DataFrame) -> str:
    """CSV text with Japanese + English headings: every field holding a line break quoted,
    text that a spreadsheet would read as a formula (at the start or after a line break)
    neutralised."""
    out = _bilingual(frame)
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = pd.Series([neutralise_formula(v) for v in out[col]], index=out.index, dtype=object)
    return csv_text(out, index=False)


def _write_csv(report, out: Path) -> Path:
    stem = out.with_suffix("")
    tables = {
        out: ordered_failures(report),
        Path(f"{stem}_summary.csv"): ordered_summary(report),
        Path(f"{stem}_exclusions.csv"): report.ledger.exclusions,
        Path(f"{stem}_changes.csv"): report.ledger.changes,
    }
    for path, frame in tables.items():
        path.write_text(_csv(frame), encoding="utf-8-sig")  # BOM: Excel opens Japanese text correctly
    return out


def _about(report) -> pd.DataFrame:
    p, q, lg = report.provenance, report.questionnaire, report.ledger
    verdict, verdict_ja = _STATUS[report.status]
    items = [
        ("ファイル file", p.path), ("形式 format", p.format), ("文字コード encoding", p.encoding or ""),
        ("シート sheet", getattr(p, "sheet", None) or ""),
        ("sha256", p.sha256), ("調査票 questionnaire", f"{q.id} {q.version}"),
        ("調査票 sha256", q.sha256 or ""), ("結果 status", f"{verdict_ja} {verdict}"),
        ("エラー errors", report.errors), ("警告 warnings", report.warnings),
        ("読込行数 rows read", lg.rows_read), ("採用行数 rows kept", lg.rows_kept),
        ("除外行数 rows excluded", lg.rows_excluded), ("変更セル数 cells changed", len(lg.changes)),
    ]
    return pd.DataFrame(items, columns=["item", "value_"], dtype=object)


def _write_sheet(book, name: str, frame: pd.DataFrame, fmts, *, title: str = "") -> None:
    """One table from A1: frozen and filterable heading row, widths that fit
    (Japanese two wide), whole numbers as number cells (row numbers ``0``,
    counts ``#,##0``), printed A4 landscape one page wide with the heading
    row on every page."""
    sheet = book.add_worksheet(name)
    headers = [HEADERS.get(c, c) for c in frame.columns]
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
                sheet.write_number(i, j, v, fmts["row" if frame.columns[j] in _ROW_COLUMNS else "count"])
                text = f"{v:,}"
            else:
                text = str(v)
                sheet.write_string(i, j, text, fmts["quoted"] if text.startswith(_FORMULA_START) else None)
            widths[j] = max(widths[j], display_width(text))
    for j, w in enumerate(widths):
        sheet.set_column(j, j, min(max(w, 6), 80) + 2)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(frame), 1), len(headers) - 1)
    page_setup(sheet, title=title, sheet=name, repeat=(0, 0))


def _write_xlsx(report, out: Path) -> Path:
    import xlsxwriter

    buffer = io.BytesIO()   # built in memory: a full disk is one OSError, never a half-closed zip
    book = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    fmts = {"header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "quoted": book.add_format({"quote_prefix": True}),
            "row": book.add_format({"num_format": "0"}), "count": book.add_format({"num_format": "#,##0"})}
    title = f"{report.questionnaire.title} 納品データの点検 validation"
    _write_sheet(book, "一覧 Failures", ordered_failures(report), fmts, title=title)
    _write_sheet(book, "集計 Summary", ordered_summary(report), fmts, title=title)
    _write_sheet(book, "除外 Exclusions", report.ledger.exclusions, fmts, title=title)
    _write_sheet(book, "変更 Changes", report.ledger.changes, fmts, title=title)
    _write_sheet(book, "情報 About", _about(report), fmts, title=title)
    book.close()
    out.write_bytes(buffer.getvalue())
    return out


def _unknown_format(fmt) -> InputError:
    return InputError(message("report.unknown_format", formats=", ".join(FORMATS), format=fmt))


def render_report(report, fmt: str, *, max_lines: int | None = 200) -> str:
    """See :meth:`ValidationReport.render`."""
    if fmt == "text":
        return render_text(report, max_lines=max_lines)
    if fmt == "json":   # DEL, C1 and bidirectional controls as \\u escapes (the same JSON value)
        return json_safe(json.dumps(report_dict(report), ensure_ascii=False, indent=1)) + "\n"
    if fmt == "csv":
        return _csv(ordered_failures(report))
    if fmt == "xlsx":
        raise InputError(message("report.xlsx_needs_out"))
    raise _unknown_format(fmt)


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def write_report(report, fmt: str, out=None, *, max_lines: int | None = 200):
    """See :meth:`ValidationReport.write`."""
    if fmt not in FORMATS:
        raise _unknown_format(fmt)
    if out is None:
        text = render_report(report, fmt, max_lines=max_lines)
        if fmt == "csv" and _is_terminal(sys.stdout):   # shown, not saved: no escape sequence reaches it
            text = "".join(terminal_safe(line) + "\n" for line in text.split("\n")[:-1])
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    out = Path(out)
    if out.is_dir():
        raise InputError(message("report.out_is_folder"), path=out)
    if not out.parent.exists():
        raise InputError(message("report.out_folder_missing"), path=out.parent)
    if fmt == "xlsx":
        return _write_xlsx(report, out)
    if fmt == "csv":
        return _write_csv(report, out)
    out.write_text(render_report(report, fmt, max_lines=max_lines), encoding="utf-8")
    return out
