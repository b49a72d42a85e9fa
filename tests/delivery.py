"""Hand-made deliveries in the contractor's raw layout, for intake tests: CSV frames,
workbooks (sheets hidden or not), hand-built xlsx packages and SPSS files."""
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat


def raw_headers(q):
    return [q.respondent_id_header] + [h for x in q.questions for h in x.raw_headers]


def base_row(q, rid):
    """A clean, fully answered return (codes as a contractor would type them)."""
    r = {h: "" for h in raw_headers(q)}
    r.update({q.respondent_id_header: rid, "問1 性別": "1", "問2 年齢": "3", "問3 地区": "2",
              "問4 居住年数": "10", "問5 子ども": "2", "問6 みどりの満足度": "2", "問7 公園の利用頻度": "3"})
    for i, it in enumerate(q["importance"].items):
        r[it.header] = str(1 + i % 3)
    for it in q["allocation"].items:
        r[it.header] = "100"
    for slot, code in zip(q["policy"].items, ("1", "2", "3")):
        r[slot.header] = code
    for it in q["activity"].items:
        r[it.header] = "0"
    r[q["activity"].items[0].header] = "1"
    r["問12 自由意見"] = "公園が好きです"
    return r


def delivery(q, n=4, edits=()):
    """n clean rows, then edits: (row_index_0_based, header, value)."""
    rows = [base_row(q, f"R{i + 1:04d}") for i in range(n)]
    for i, header, value in edits:
        rows[i][header] = value
    return pd.DataFrame(rows)[raw_headers(q)]


def workbook(sheets: list[tuple[str, pd.DataFrame | None, str]], path: Path, active: int = 0) -> Path:
    """A workbook with sheets (title, frame or None, state)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, frame, state in sheets:
        ws = book.create_sheet(title)
        if frame is not None:
            ws.append(list(frame.columns))
            for row in frame.itertuples(index=False):
                ws.append([None if v == "" else v for v in row])
        ws.sheet_state = state
    book.active = active
    book.save(path)
    return path


def zip_parts(path: Path, parts: dict) -> Path:
    """A zip package holding ``parts`` ({name: bytes}) as given."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def xlsx_parts(sheet_xml: bytes, shared: bytes | None = None) -> dict:
    """The parts of a minimal xlsx with one sheet 'data' (and shared strings, if given)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                       b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook {ns} {rel}><sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets>'
                           "</workbook>".encode(),
        "xl/_rels/workbook.xml.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                                      b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
                                      b'org/officeDocument/2006/relationships/worksheet" Target="worksheets/'
                                      b'sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    return parts


def sav_delivery(path, q, *, value_labels=None, missing=None, n=3, edit=None):
    """The delivery as SPSS: variables Q1..Q41 labelled with the questionnaire's headings."""
    frame = delivery(q, n=n)
    headers = list(frame.columns)
    names = [f"Q{i}" for i in range(1, len(headers) + 1)]
    frame.columns = names
    out = pd.DataFrame({"Q1": frame["Q1"], "Q41": frame["Q41"].replace("", None)})
    for name in names[1:-1]:
        out[name] = pd.to_numeric(frame[name].replace("", np.nan))
    out = out[names]
    if edit:
        edit(out)
    pyreadstat.write_sav(out, str(path), column_labels=dict(zip(names, headers)),
                         variable_value_labels=value_labels or {}, missing_ranges=missing or {})
    return path
