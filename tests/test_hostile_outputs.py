"""Untrusted text never becomes code in an output (issue 9).

A simulated delivery whose free-text comments and code cells carry formula
and script payloads, read with a copy of the questionnaire whose labels and
title carry them too, goes through ``survey run`` and ``survey validate``.
Every CSV cell, every workbook cell and the HTML report are checked:

* CSV / XLSX: no formula (OWASP "CSV injection"): a cell starting with
  ``= + - @``, tab or CR is a plain number, a dash, or carries the apostrophe
  prefix (in the text, or as the XLSX quote-prefix attribute); no XLSX cell
  has data type ``f``;
* HTML: no element or attribute came from the data (no ``<script>``, no
  ``on…=`` handler, no ``javascript:`` link): the payloads appear escaped.

Also: the package never unpickles, evals or execs, and loads YAML safely.
"""
from __future__ import annotations

import ast
import csv
import html.parser
import io
import shutil
import tokenize
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from survey.cli import main
from survey.questionnaire import load_questionnaire
from survey.simulate.large import write_large_delivery

from conftest import QUESTIONNAIRE, ROOT

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: labels of the copied questionnaire (question id -> code -> hostile label)
HOSTILE_LABELS = {
    "district": {1: '=HYPERLINK("http://evil.example","y")', 2: "<script>alert(1)</script>"},
    "sex": {1: "+cmd"},
    "age_band": {1: "@SUM(1)"},
    "children": {1: "<b onclick=alert(5)>いる</b>"},
    "park_use": {1: "\t=tab"},
    "policy": {1: "-2+3+cmd|' /C calc'!A0", 2: "<img src=x onerror=alert(2)>"},
    "activity": {1: "@cmd"},
}
HOSTILE_TITLE = '<script>alert("title")</script>'
HOSTILE_PART = "=1+1"  # label of the first allocation part
#: free-text comments (the privacy mask may rewrite some; the rest must stay inert)
HOSTILE_COMMENTS = ['=HYPERLINK("http://evil.example","click")', "+1+cmd", "-2+3 公園", "\t=1+1",
                    '<script>alert("c")</script>', '"><img src=x onerror=alert(3)>', "=cmd|' /C calc'!A0 公園"]
#: delivered code cells (invalid codes: listed by validation with the value as read)
HOSTILE_CELLS = {"問6 みどりの満足度": '=HYPERLINK("http://evil.example","z")', "問5 子ども": "@SUM(1)",
                 "問8_1 雨水の浸透・貯留": "<script>alert(4)</script>"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    spec = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))
    spec["title"] = HOSTILE_TITLE
    questions = {q["id"]: q for q in spec["questions"]}
    for qid, labels in HOSTILE_LABELS.items():
        questions[qid]["codes"].update(labels)
    questions["allocation"]["parts"][0]["label"] = HOSTILE_PART
    qpath = d / "midori_2025.yaml"
    qpath.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    for name in ("midori_keywords.yaml", "asaka_userdict.csv"):  # the free-text analysis runs too
        shutil.copy(ROOT / "questionnaires" / name, d / name)
    q = load_questionnaire(qpath)
    raw_path = write_large_delivery(q, d / "raw.csv", rows=600, seed=5)
    raw = pd.read_csv(raw_path, encoding="cp932", dtype=str, keep_default_na=False)
    for i in range(0, 560, 8):
        raw.loc[i, "問12 自由意見"] = HOSTILE_COMMENTS[(i // 8) % len(HOSTILE_COMMENTS)] + " 公園のみどりが好きです"
    for k, (header, value) in enumerate(HOSTILE_CELLS.items()):
        raw.loc[[3 + k, 300 + k], header] = value
    raw.to_csv(raw_path, index=False, encoding="cp932", lineterminator="\r\n")
    out = d / "out"
    assert main(["run", "--questionnaire", str(qpath), "--data", str(raw_path), "--margins",
                 str(ROOT / "data" / "midori_margins.csv"), "--out", str(out), "--quiet"]) == 0
    checked = d / "checked"
    checked.mkdir()
    assert main(["validate", str(raw_path), "--questionnaire", str(qpath), "--format", "xlsx",
                 "--out", str(checked / "validation.xlsx")]) == 1  # the hostile code cells are errors
    return {"run": out / "FY2025", "validate": checked}


def _inert(text: str) -> bool:
    """True unless a spreadsheet would read ``text`` as a formula."""
    if not text.startswith(FORMULA_START):
        return True
    if text.strip("-") == "":
        return True  # the zero-count dash
    try:
        float(text)
        return True  # a negative number
    except ValueError:
        return False


def _csv_cells(path: Path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh):
            yield from row


def _all_csv(hostile):
    """Every CSV of ``survey run`` (``survey validate --format csv`` and line
    breaks inside cells: tests/test_output_text.py)."""
    files = sorted(hostile["run"].glob("*.csv"))
    assert len(files) >= 20
    return files


@pytest.mark.hostile("output")
def test_payloads_reach_every_kind_of_output(hostile):
    """Guard against a vacuous pass: the payloads are in the outputs, made inert."""
    cells = {c for path in _all_csv(hostile) for c in _csv_cells(path)}
    for payload in ("'=HYPERLINK(\"http://evil.example\",\"y\")", "'+cmd", "'@SUM(1)", "'-2+3+cmd|' /C calc'!A0",
                    "'=1+1"):
        assert any(payload in c for c in cells), payload
    page = (hostile["run"] / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in page or \
        "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in page


@pytest.mark.hostile("output")
def test_no_csv_cell_is_a_formula(hostile):
    for path in _all_csv(hostile):
        bad = [c for c in _csv_cells(path) if not _inert(c)]
        assert not bad, (path.name, bad[:5])


@pytest.mark.parametrize("which,name", [("run", "集計表.xlsx"), ("validate", "validation.xlsx")])
@pytest.mark.hostile("output")
def test_no_workbook_cell_is_a_formula(hostile, which, name):
    wb = openpyxl.load_workbook(hostile[which] / name)
    strings = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    strings += 1
                    assert _inert(cell.value) or cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
    assert strings > 100
    values = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    hyperlinks = [v for v in values if "HYPERLINK" in v]
    assert hyperlinks, "the payload should be in the workbook, as inert text"


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.hostile("output")
def test_report_html_has_no_element_from_the_data(hostile):
    page = (hostile["run"] / "report.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(page)
    assert len(parser.tags) > 50
    assert "script" not in {tag for tag, _ in parser.tags}
    for tag, attrs in parser.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for key in ("href", "src"):
            value = (attrs.get(key) or "").strip().lower()
            assert not value.startswith("javascript:"), (tag, attrs)
        if tag == "img":
            assert (attrs.get("src") or "").startswith("data:image/"), (tag, str(attrs)[:80])
    assert "<script" not in page.lower()


# ----------------------------------------------------------------- no unsafe deserialisation or dynamic code

_BANNED_MODULES = {"pickle", "cPickle", "_pickle", "dill", "shelve", "marshal", "joblib", "cloudpickle"}
_BANNED_CALLS = {"eval", "exec", "__import__"}
_BANNED_METHODS = {"read_pickle", "to_pickle", "unsafe_load", "full_load", "load_all"}


def unsafe_constructs(source: str) -> list[str]:
    """Lines of ``source`` that unpickle, eval/exec, or load YAML unsafely."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in _BANNED_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _BANNED_MODULES:
            found.append(f"{node.lineno}: from {node.module} import")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            keywords = {k.arg: k.value for k in node.keywords}
            if (isinstance(func, ast.Name) and name in _BANNED_CALLS) or name in _BANNED_METHODS:
                found.append(f"{node.lineno}: {name}(")
            elif name == "load" and isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "yaml":
                loader = keywords.get("Loader", node.args[1] if len(node.args) > 1 else None)
                if not (isinstance(loader, ast.Attribute) and loader.attr in ("SafeLoader", "CSafeLoader")):
                    found.append(f"{node.lineno}: yaml.load( without SafeLoader")
            elif name == "load" and "allow_pickle" in keywords:
                value = keywords["allow_pickle"]
                if not (isinstance(value, ast.Constant) and value.value is False):
                    found.append(f"{node.lineno}: load(allow_pickle=...)")
            elif "shell" in keywords and not (isinstance(keywords["shell"], ast.Constant)
                                             and keywords["shell"].value is False):
                found.append(f"{node.lineno}: shell=")
            elif name == "system" and getattr(func.value, "id", "") == "os":
                found.append(f"{node.lineno}: os.system(")
    # any other mention of pickle in code (not in comments or strings)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and "pickle" in tok.string.lower() and tok.string != "allow_pickle":
            found.append(f"{tok.start[0]}: {tok.string}")
    return sorted(set(found))


@pytest.mark.parametrize("snippet", [
    "import pickle", "from pickle import loads", "import shelve", "x = eval(s)", "exec(code)",
    "yaml.load(text)", "yaml.load(text, Loader=yaml.Loader)", "yaml.unsafe_load(t)", "yaml.full_load(t)",
    "pd.read_pickle(p)", "frame.to_pickle(p)", "np.load(p, allow_pickle=True)", "subprocess.run(c, shell=True)",
    "os.system(c)", "__import__(name)", "obj = cloudpickle", "import joblib",
])
def test_the_scanner_finds_each_unsafe_construct(snippet):
    assert unsafe_constructs(snippet), snippet


def test_the_scanner_accepts_safe_forms():
    safe = ("yaml.safe_load(text)\nyaml.load(text, Loader=yaml.SafeLoader)\nre.compile('eval(x)')\n"
            "np.load(p, allow_pickle=False)\nmodel.evaluate(x)\n# pickle in a comment\ns = 'exec( in a string'\n")
    assert unsafe_constructs(safe) == []


def test_package_never_unpickles_evals_or_loads_yaml_unsafely():
    files = sorted((ROOT / "survey").rglob("*.py"))
    assert len(files) > 40
    found = {str(p.relative_to(ROOT)): unsafe_constructs(p.read_text(encoding="utf-8")) for p in files}
    assert {k: v for k, v in found.items() if v} == {}
