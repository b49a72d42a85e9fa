"""The error messages a user can meet, as listed in the README (section "Error messages").

The README table is the source of truth: each row has an id, the command or
call that meets it, an excerpt of the message, the cause and the fix.  Here
every id has a trigger; the test reads the excerpt from the table and checks
that the real message contains it (for commands: exit code 2 and the reason
in one line on stderr, never a traceback).  A row without a trigger, or a
trigger without a row, fails too, so the table stays true.
"""
from __future__ import annotations

import errno
import re
import zipfile
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

import openpyxl
import pandas as pd
import pytest
import yaml

from survey.cli import main
from survey.errors import SurveyError

from conftest import QUESTIONNAIRE, ROOT
from delivery import delivery, sav_delivery, workbook, xlsx_parts, zip_parts

DOC = ROOT / "README.md"
MARGINS = ROOT / "data" / "midori_margins.csv"
SAMPLE = ROOT / "data" / "raw" / "midori_2025_sample.csv"
SPEC = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))


def doc_rows() -> dict[str, str]:
    """``{id: message excerpt}`` from the error tables in the README."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\|\s*([A-Z]\d\d)\s*\|[^|]*\|\s*`(.+?)`\s*\|", line)
        if m:
            assert m.group(1) not in rows, f"{m.group(1)} twice in {DOC.name}"
            rows[m.group(1)] = m.group(2).replace("\\|", "|")
    return rows


# ----------------------------------------------------------------- inputs


def _csv(tmp: Path, name: str, text: str | bytes) -> Path:
    path = tmp / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _spec(tmp: Path, edit) -> Path:
    """A copy of the questionnaire with ``edit(spec)`` applied."""
    import copy

    spec = copy.deepcopy(SPEC)
    edit(spec)
    path = tmp / "questionnaire.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def _plan(tmp: Path, edit) -> Path:
    """A copy of the questionnaire with ``edit(spec["analysis"])`` applied."""
    return _spec(tmp, lambda s: edit(s["analysis"]))


def _drop_section(analysis, sid):
    analysis["sections"].pop(sid)
    analysis["workbook"] = [s for s in analysis["workbook"] if s["sections"] != [sid]]


def _question(spec, qid):
    return next(q for q in spec["questions"] if q["id"] == qid)


def _indicator(spec, ind_id):
    return next(i for i in spec["indicators"] if i["id"] == ind_id)


def _margins(tmp: Path, edit) -> Path:
    frame = pd.read_csv(MARGINS, encoding="utf-8")
    path = tmp / "margins.csv"
    edit(frame).to_csv(path, index=False, encoding="utf-8")
    return path


def _validate(path, questionnaire=QUESTIONNAIRE, *extra):
    return ["validate", str(path), "--questionnaire", str(questionnaire), *extra]


def _run(tmp, *, data=SAMPLE, questionnaire=QUESTIONNAIRE, margins=MARGINS, mailing=None):
    return ["run", "--questionnaire", str(questionnaire), "--data", str(data), "--margins", str(margins),
            "--out", str(tmp / "out"), "--quiet", *(["--mailing", str(mailing)] if mailing else [])]


def _model(tmp: Path, edit) -> list[str]:
    """``survey simulate --model`` with a copy of the bundled simulation model, ``edit(model)`` applied."""
    model = yaml.safe_load((ROOT / "questionnaires" / "midori_2025_simulation.yaml").read_text(encoding="utf-8"))
    model["questionnaire"] = str(QUESTIONNAIRE)
    edit(model)
    path = tmp / "model.yaml"
    path.write_text(yaml.safe_dump(model, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return ["simulate", "--model", str(path), "--out", str(tmp / "out")]


def _renamed(mapping: dict, old: str, new: str) -> dict:
    """``mapping`` with the key ``old`` renamed ``new`` in place (order kept)."""
    items = [(new if k == old else k, v) for k, v in mapping.items()]
    mapping.clear()
    mapping.update(items)
    return mapping


def _kawabe_alone(tmp: Path) -> Path:
    """The kawabe questionnaire copied to a folder without a simulation model."""
    path = tmp / "kawabe_parks_2026.yaml"
    path.write_bytes((ROOT / "questionnaires" / "kawabe_parks_2026.yaml").read_bytes())
    return path


def _mailing(tmp: Path, edit=lambda f: f) -> Path:
    """A mailing file for the bundled wave (5 % of every district × age band cell), edited."""
    frame = pd.read_csv(MARGINS, encoding="utf-8").groupby(
        ["district", "district_label", "age_band", "age_band_label"], as_index=False)["count"].sum()
    frame = frame.assign(mailed=(frame["count"] * 0.05).round().astype(int)).drop(columns="count")
    path = tmp / "mailing.csv"
    edit(frame).to_csv(path, index=False, encoding="utf-8")
    return path


def _unplaced(tmp: Path):
    """weight_wave with respondents of a cell that was not mailed."""
    from types import SimpleNamespace

    from survey.weighting import read_margins, weight_wave

    data = pd.DataFrame({"district": [2.0, 3.0], "age_band": [1.0, 1.0], "sex": [1.0, 2.0]})
    path = _mailing(tmp, lambda f: f.assign(mailed=f["mailed"].where(f["district"] == 1, 0)))
    return lambda: weight_wave(SimpleNamespace(data=data), read_margins(MARGINS), variables=("age_band", "sex", "district"),
                               cells=("district", "age_band"), mailing=path)


def _good_csv(tmp: Path, questionnaire, name="d.csv", **edits) -> Path:
    frame = delivery(questionnaire, n=3)
    for col, value in edits.items():
        frame[col] = value
    path = tmp / name
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


class _While:
    """CLI arguments run while ``context`` is entered: a lock held by another run, or an
    operating-system error that cannot be produced for real here (the tests may run as root,
    who may write anywhere)."""

    def __init__(self, context, args):
        self.context, self.args = context, args


def _failing(errno_, strerror, path, where="survey.report.outdir._make_dirs"):
    return mock.patch(where, side_effect=OSError(errno_, strerror, str(path)))


class _ClosedPipe:
    """A standard output whose reader has gone (``survey validate FILE | head``)."""

    def write(self, text):
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    def flush(self):
        pass


def _held(tmp: Path):
    from survey.report.outdir import OutputFolder

    class Held:
        def __enter__(self):
            self.folder = OutputFolder(tmp / "out" / "FY2025", signature="provenance.json")

        def __exit__(self, *exc):
            self.folder.abort()

    return Held()


def _file_at(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not a folder", encoding="utf-8")
    return path


def _disk_full(tmp: Path):
    """survey validate --out /dev/full (a real full disk on Linux), else a patched one."""
    if Path("/dev/full").exists():
        return _While(nullcontext(), _validate(SAMPLE, QUESTIONNAIRE, "--format", "json", "--out", "/dev/full"))
    return _While(mock.patch("pathlib.Path.write_text", side_effect=OSError(errno.ENOSPC, "No space left on device")),
                  _validate(SAMPLE, QUESTIONNAIRE, "--format", "json", "--out", str(tmp / "r.json")))


# id -> function(tmp, questionnaire) returning CLI arguments (exit 2 expected), a _While, or a callable to raise
TRIGGERS = {
    # ------------------------------------------------------------- the data file
    "D01": lambda t, q: _validate(t / "missing.csv"),
    "D02": lambda t, q: _validate(t),
    "D03": lambda t, q: _validate(_csv(t, "d.docx", "x")),
    "D04": lambda t, q: _validate(_csv(t, "d.csv", b"")),
    "D05": lambda t, q: _validate(_csv(t, "d.csv", "回答者ID,問1 性別\nR1,1\n".encode("utf-16"))),
    "D06": lambda t, q: _validate(_csv(t, "d.csv", b"PK\x03\x04\x00\x00binary")),
    "D07": lambda t, q: _validate(_csv(t, "d.csv", b"\xef\xbb\xbf")),
    "D08": lambda t, q: _validate(_csv(t, "d.csv", "回答者ID,問1 性別\n")),
    "D09": lambda t, q: _validate(_csv(t, "d.csv", "回答者ID,問1 性別,問2 年齢\nR1,1,3\nR2,2")),
    "D10": lambda t, q: _validate(_csv(t, "d.csv", "回答者ID,問1 性別\nR1,1\nR2,1,3\n")),
    "D11": lambda t, q: _validate(_csv(t, "d.csv", '回答者ID,問12 自由意見\nR1,"公園が\nR2,x\n')),
    "D12": lambda t, q: _validate(_csv(t, "d.csv", "回答者ID,問1 性別,問1 性別\nR1,1,2\n")),
    "D13": lambda t, q: _validate(_csv(t, "d.xlsx", b"PK\x03\x04 not really a zip")),
    "D14": lambda t, q: _validate(_csv(t, "d.sav", b"$FL2 broken")),
    "D15": lambda t, q: _validate(_csv(t, "d.parquet", b"PAR1 broken")),
    "D16": lambda t, q: _run(t, data=_csv(t, "d.csv", "番号,問1 性別\n1,1\n")),
    "D17": lambda t, q: _run(t, data=_dropped(t, q, "問6 みどりの満足度")),
    "D18": lambda t, q: _validate(_csv(t, "d.csv", "name,age\nx,3\n")),
    "D19": lambda t, q: (lambda: __import__("survey.intake.readers", fromlist=["read_raw"]).read_raw(
        _good_csv(t, q), encoding="shift_jis")),
    "D20": lambda t, q: (lambda: __import__("survey.intake.readers", fromlist=["read_raw"]).read_raw(
        _xlsx(t, q), sheet="Sheet9")),
    "D21": lambda t, q: _validate(_csv(t, "d.csv", "回答者ID,問1 性別,sex\nR1,1,2\n")),
    "D22": lambda t, q: _validate(_csv(t, "d.csv", "回答者ID,問1 性別\nR1,男性\n".encode("euc_jp"))),
    "D23": lambda t, q: _validate(_csv(t, "d.csv", _garbled("回答者ID,問1 性別\nR1,1\n"))),
    "D24": lambda t, q: _run(t, data=_csv(t, "d.csv", _bad_line(SAMPLE.read_bytes(), 6))),
    "D25": lambda t, q: _run(t, data=_csv(t, "d.csv", _bad_heading(SAMPLE.read_bytes()))),
    "D26": lambda t, q: _validate(workbook([("a", delivery(q, n=2), "visible"), ("b", delivery(q, n=2), "visible")],
                                           t / "d.xlsx")),
    "D27": lambda t, q: _validate(workbook([("a", None, "visible"), ("b", delivery(q, n=2), "hidden")], t / "d.xlsx")),
    "D28": lambda t, q: _validate(_xlsx(t, q), QUESTIONNAIRE, "--sheet", "9"),
    "D29": lambda t, q: _run(t, data=_dated(t, q)),
    "D30": lambda t, q: _validate(zip_parts(t / "d.xlsx", xlsx_parts(b"<worksheet/>", b"<sst>" + b" " * 2**26 + b"</sst>"))),
    "D31": lambda t, q: _validate(zip_parts(t / "d.xlsx", xlsx_parts(
        b'<worksheet><sheetData><row r="9"><c r="XFD9"><v>1</v></c></row>'
        b'<row r="3000"><c r="A3000"><v>1</v></c></row></sheetData></worksheet>'))),
    "D32": lambda t, q: _validate(zip_parts(t / "d.xlsx", xlsx_parts(b'<!DOCTYPE x [<!ENTITY a "a">]><worksheet/>'))),
    "D33": lambda t, q: _run(t, data=sav_delivery(t / "d.sav", q, value_labels={"Q2": {1: "女性", 2: "男性"}})),
    "D34": lambda t, q: _validate(sav_delivery(t / "d.sav", q, missing={"Q7": [-1]}, edit=lambda f: f.__setitem__(
        "Q7", -1.0)), _spec(t, lambda s: _question(s, "satisfaction").update(missing={8: "非該当", 9: "無回答"}))),
    "D35": lambda t, q: _validate(SAMPLE, QUESTIONNAIRE, "--sheet", "1"),
    "D36": lambda t, q: _validate(workbook([("空", None, "visible")], t / "d.xlsx")),
    "D37": lambda t, q: _validate(_charted(t, q), QUESTIONNAIRE, "--sheet", "グラフ"),
    # ------------------------------------------------------------- the questionnaire
    "Q01": lambda t, q: _validate(SAMPLE, t / "nosuch.yaml"),
    "Q02": lambda t, q: _validate(SAMPLE, _csv(t, "q.yaml", "id: ｍｉｄｏｒｉ".encode("cp932"))),
    "Q03": lambda t, q: _validate(SAMPLE, _csv(t, "q.yaml", "id: midori\nquestions: [\n")),
    "Q04": lambda t, q: _validate(SAMPLE, _csv(t, "q.yaml", "[" * 5000 + "]" * 5000)),
    "Q05": lambda t, q: _validate(SAMPLE, _csv(t, "q.yaml", "- just\n- a list\n")),
    "Q06": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: s.pop("version"))),
    "Q07": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "sex").update(colour="red"))),
    "Q08": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "sex").update(type="matrix"))),
    "Q09": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "sex").update(
        codes=[{"code": 1, "label": "男性"}, {"code": 1, "label": "女性"}]))),
    "Q10": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "sex").update(codes={"a": "男性"}))),
    "Q11": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "sex").update(codes={1: ""}))),
    "Q12": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "sex").update(missing={1: "無回答"}))),
    "Q13": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "park_reason").update(
        asked_if=[{"column": "park_usage", "in": [6]}]))),
    "Q14": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "park_reason").update(
        asked_if=[{"column": "comment", "blank": False}]))),
    "Q15": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "park_reason").update(
        asked_if=[{"column": "park_use", "between": ["often", "never"]}]))),
    "Q16": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "satisfaction")["scores"].update({7: 2.0}))),
    "Q17": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "policy").update(depth=13))),
    "Q18": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "children").update(id="sex"))),
    "Q19": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "years_lived").update(minimum=100,
                                                                                                 maximum=0))),
    "Q20": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "allocation").update(total="1000円"))),
    "Q21": lambda t, q: _validate(SAMPLE, _csv(t, "q.yaml", "id: midori\nscores: 1\nscores: 2\n")),
    "Q22": lambda t, q: _validate(SAMPLE, _csv(t, "q.yaml", _BILLION_LAUGHS + "id: *lol9\n")),
    "Q23": lambda t, q: _validate(SAMPLE, _csv(t, "q.yaml", "a: &a 1\nb: [" + ", ".join(["*a"] * 501) + "]\n")),
    "Q24": lambda t, q: _validate(SAMPLE, _csv(t, "q.yaml", "a: &a [1, *a]\n")),
    "Q25": lambda t, q: _validate(SAMPLE, _csv(t, "q.yaml", "id: midori\n" + "# padding\n" * 100_000)),
    "Q26": lambda t, q: _validate(SAMPLE, _csv(t, "q.yaml", "id: midori\nversion: 2025-13-01\n")),
    "Q27": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "sex").update(codes={1: "男性", 2: "男性"}))),
    "Q28": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "sex").update(codes={1: "2", 2: "1"}))),
    "Q29": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "age_band").update(header="問1 性別"))),
    "Q30": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: s.update(wave="../x"))),
    "Q31": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: s.update(wave=2025))),
    "Q32": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "sex").update(not_in_margins=[4]))),
    # ------------------------------------------------------------- the simulation model
    "Q50": lambda t, q: ["simulate", "--questionnaire", str(_kawabe_alone(t)), "--out", str(t / "out")],
    "Q51": lambda t, q: _model(t, lambda m: _renamed(m["answers"], "policy", "policies")),
    "Q52": lambda t, q: _model(t, lambda m: m["answers"].pop("activity")),
    "Q53": lambda t, q: _model(t, lambda m: m["answers"]["policy"].update(model="ordinal")),
    "Q54": lambda t, q: _model(t, lambda m: m["answers"]["satisfaction"]["latent"][1]["values"].pop()),
    "Q55": lambda t, q: _model(t, lambda m: m["answers"]["park_reason"].update(probs=[0.18, 0.27, 0.30, 0.15, 0.05])),
    "Q56": lambda t, q: _model(t, lambda m: _renamed(m["answers"]["park_use"], "cuts", "cut")),
    "Q57": lambda t, q: ["simulate", "--wave", "FY2040", "--out", str(t / "out")],
    "Q58": lambda t, q: _model(t, lambda m: m["answers"]["satisfaction"].update(calibrate="happiness")),
    "Q59": lambda t, q: ["simulate", "--model", str(t / "nosuch.yaml"), "--out", str(t / "out")],
    # ------------------------------------------------------------- the analysis plan
    "P01": lambda t, q: _run(t, questionnaire=_spec(t, lambda s: s.pop("analysis"))),
    "P02": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a.update(sheets=[]))),
    "P03": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a.pop("workbook"))),
    "P04": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["sections"].update(pie={"kind": "pie"}))),
    "P05": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["sections"]["satisfaction"].update(segments=True))),
    "P06": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["sections"]["satisfaction"].pop("question"))),
    "P07": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["sections"]["satisfaction"].update(
        question="satisfation"))),
    "P08": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["sections"]["satisfaction"].update(
        question="park_use"))),
    "P09": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["sections"]["parks"].update(question="children"))),
    "P10": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a.update(groups=["park_use"]))),
    "P11": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["sections"]["satisfaction"].update(
        indicator="green_index"))),
    "P12": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["workbook"][2]["sections"].append("satisfactoin"))),
    "P13": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["workbook"][3]["sections"].append("satisfaction"))),
    "P14": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["workbook"].pop(2))),
    "P15": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["html"].append("crosstabs"))),
    "P16": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["workbook"][3].update(sheet="配分" * 16))),
    "P17": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["workbook"][3].update(sheet="満足度"))),
    "P18": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["sections"]["allocation"].update(segments="yes"))),
    "P19": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["weighting"].update(rake=["sex", "sex"]))),
    "P20": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["weighting"].update(cells=["district"]))),
    "P21": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["weighting"].pop("cells"))),
    "P22": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["sections"]["drivers"].update(
        reference={"park_use": 7}))),
    "P23": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["weighting"].pop("rake"))),
    "P24": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _question(s, "park_use")["numeric_map"].update({6: 1}))),
    "P25": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: (s.pop("indicators"), s["analysis"]["sections"].update(
        indicators={"admin": False}), s["analysis"]["sections"]["satisfaction"].pop("indicator")))),
    "P26": lambda t, q: _run(t, questionnaire=_plan(t, lambda a: (a["weighting"].pop("cells"),
                                                                   _drop_section(a, "next_wave"))),
                             mailing=_mailing(t)),
    "P27": lambda t, q: _run(t, questionnaire=_plan(t, lambda a: a["weighting"].update(
        rake=[{"question": "age_band", "column": "nendai"}, "sex", "district"]))),
    # ------------------------------------------------------------- the plan's opendata block
    "E01": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["opendata"].pop("licence"))),
    "E02": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["opendata"].update(municipality_code="112276"))),
    "E03": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["opendata"].update(municipality_code=112275))),
    "E04": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["opendata"].update(licence_url="https://x"))),
    "E05": lambda t, q: _validate(SAMPLE, _plan(t, lambda a: a["opendata"].update(publisher=""))),
    # ------------------------------------------------------------- the population margins
    "M01": lambda t, q: _run(t, margins=t / "nosuch.csv"),
    "M02": lambda t, q: _run(t, margins=_csv(t, "m.csv", MARGINS.read_text(encoding="utf-8").encode("cp932"))),
    "M03": lambda t, q: _run(t, margins=_margins(t, lambda f: f.rename(columns={"count": "人口"}))),
    "M04": lambda t, q: _run(t, margins=_margins(t, lambda f: f.astype({"count": str}).assign(
        count=lambda x: x["count"].where(x.index != 4, "1,060")))),
    "M05": lambda t, q: _run(t, margins=_margins(t, lambda f: f.assign(count=0))),
    "M06": lambda t, q: _run(t, margins=_margins(t, lambda f: f.drop(columns="district"))),
    "M07": lambda t, q: _run(t, margins=_margins(t, lambda f: f.assign(district=f["district_label"]))),
    "M08": lambda t, q: _run(t, margins=_margins(t, lambda f: pd.concat(
        [f, f.head(1).assign(district=6, count=50)], ignore_index=True))),
    "M09": lambda t, q: _run(t, margins=_margins(t, lambda f: f[f["district"] != 5])),
    "M10": lambda t, q: _run(t, margins=_margins(t, lambda f: pd.concat([f, f.head(1)], ignore_index=True))),
    "M11": lambda t, q: _run(t, margins=_margins(t, lambda f: f.assign(count=f["count"].where(f.index != 0, 0.001)))),
    "M12": lambda t, q: _run(t, margins=_margins(t, lambda f: f.assign(count=f["count"] * 1e9))),
    "M13": lambda t, q: _run(t, margins=_margins(t, lambda f: f.assign(count=f["count"].where(f.index != 0, 1e9)))),
    "M14": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: s.update(municipality=["朝霞市"]))),
    "M17": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _indicator(s, "green_share").pop("numerator"))),
    "M18": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _indicator(s, "green_share").update(
        numerator="green area (ha)"))),
    "M19": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _indicator(s, "green_share").update(scale=0))),
    "M20": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _indicator(s, "satisfaction_index").update(
        statistic="score_median"))),
    "M21": lambda t, q: _validate(SAMPLE, _spec(t, lambda s: _indicator(s, "satisfaction_index").update(
        question="satisfacton"))),
    # ------------------------------------------------------------- the admin file
    "D38": lambda t, q: [*_run(t), "--admin", str(_csv(t, "admin.csv", "fiscal_year,city_area_km2,green_area_ha,"
                                                                        "population\nFY2025,18.34,394.3,143950\n"))],
    "D39": lambda t, q: [*_run(t), "--admin", str(ROOT / "data" / "midori_admin.csv"), "--wave", "FY2040"],
    # ------------------------------------------------------------- the mailing file
    "S01": lambda t, q: _run(t, mailing=t / "nosuch.csv"),
    "S02": lambda t, q: _run(t, mailing=_csv(t, "m.csv", _mailing(t).read_text(encoding="utf-8").encode("cp932"))),
    "S03": lambda t, q: _run(t, mailing=_mailing(t, lambda f: f.rename(columns={"mailed": "配布数"}))),
    "S04": lambda t, q: _run(t, mailing=_mailing(t, lambda f: f.assign(district=f["district_label"]))),
    "S05": lambda t, q: _run(t, mailing=_mailing(t, lambda f: f.astype({"mailed": str}).assign(
        mailed=lambda x: x["mailed"].where(x.index != 6, "1,200")))),
    "S06": lambda t, q: _run(t, mailing=_mailing(t, lambda f: pd.concat([f, f.head(1)], ignore_index=True))),
    "S07": lambda t, q: _run(t, mailing=_mailing(t, lambda f: pd.concat([f, f.head(1).assign(district=6)],
                                                                         ignore_index=True))),
    "S08": lambda t, q: _run(t, mailing=_mailing(t, lambda f: f.assign(mailed=f["mailed"].where(f.index != 0,
                                                                                                 5000)))),
    "S09": lambda t, q: _run(t, mailing=_mailing(t, lambda f: f.assign(mailed=0))),
    "S10": lambda t, q: _run(t, mailing=_mailing(t, lambda f: f.assign(mailed=1))),
    "S11": lambda t, q: _unplaced(t),
    "S12": lambda t, q: ["plan", "--questionnaire", str(_spec(t, lambda s: s["fielding"].update(mailed=600))),
                         "--data", str(SAMPLE), "--margins", str(MARGINS), "--out", str(t / "out"), "--quiet"],
    # ------------------------------------------------------------- the command line
    "C01": lambda t, q: ["run", "--colour", "green"],
    "C02": lambda t, q: ["validate"],
    "C03": lambda t, q: _validate(SAMPLE, QUESTIONNAIRE, "--format", "pdf"),
    "C04": lambda t, q: _validate(SAMPLE, QUESTIONNAIRE, "--format", "xlsx"),
    "C05": lambda t, q: _validate(SAMPLE, QUESTIONNAIRE, "--format", "csv", "--out", str(t / "no" / "r.csv")),
    "C06": lambda t, q: _validate(SAMPLE, QUESTIONNAIRE, "--format", "json", "--out", str(t)),
    "C07": lambda t, q: ["frobnicate"],
    "C20": lambda t, q: ["run", "--wave", "../x"],
    "C21": lambda t, q: ["simulate", "--out", str(_existing_delivery(t))],
    # ------------------------------------------------------------- writing the outputs
    "O01": lambda t, q: (_file_at(t / "out"), _run(t))[1],
    "O02": lambda t, q: _While(_failing(errno.EACCES, "Permission denied", t / "out"), _run(t)),
    "O03": lambda t, q: _disk_full(t),
    "O04": lambda t, q: _run(t / ("x" * 300)),
    "O05": lambda t, q: _While(_failing(errno.EROFS, "Read-only file system", t / "out"), _run(t)),
    "O06": lambda t, q: _While(_held(t), _run(t)),
    "O07": lambda t, q: (_file_at(t / "out" / "FY2025" / "メモ.txt"), _run(t))[1],
    "O08": lambda t, q: (_file_at(t / "out" / "FY2025"), _run(t))[1],
    "O09": lambda t, q: _While(mock.patch("sys.stdout", _ClosedPipe()), _validate(SAMPLE)),
    "O10": lambda t, q: _While(_failing(errno.EIO, "Input/output error", t / "out"), _run(t)),
}


_BILLION_LAUGHS = "".join(  # 9 levels of 9 aliases: 9**10 values once expanded
    ["lol0: &lol0 [" + ", ".join(["lol"] * 9) + "]\n"]
    + [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]\n" for i in range(1, 10)])


def _existing_delivery(tmp: Path) -> Path:
    """A folder that already holds the raw delivery ``survey simulate`` would write."""
    (tmp / "raw").mkdir(exist_ok=True)
    (tmp / "raw" / "midori_2025_sample.csv").write_bytes(b"delivered\n")
    return tmp


def _dropped(tmp: Path, q, header: str) -> Path:
    path = tmp / "dropped.csv"
    delivery(q, n=3).drop(columns=[header]).to_csv(path, index=False, encoding="utf-8")
    return path


def _xlsx(tmp: Path, q) -> Path:
    path = tmp / "d.xlsx"
    delivery(q, n=3).to_excel(path, index=False, sheet_name="data")
    return path


def _garbled(text: str) -> bytes:
    """UTF-8 text opened as CP932 and saved again as CP932 (lost bytes become '?')."""
    return text.encode("utf-8").decode("cp932", errors="replace").replace("\ufffd", "?").encode("cp932")


def _bad_line(blob: bytes, line: int) -> bytes:
    lines = blob.split(b"\n")
    lines[line - 1] = lines[line - 1].rstrip(b"\r") + b"\x81\r"
    return b"\n".join(lines)


def _bad_heading(blob: bytes) -> bytes:
    """An extra column whose heading holds a byte CP932 cannot decode."""
    lines = blob.split(b"\r\n")
    lines = [lines[0] + b",\x81 memo"] + [x + b"," if x else x for x in lines[1:]]
    return b"\r\n".join(lines)


def _dated(tmp: Path, q) -> Path:
    path = workbook([("data", delivery(q, n=3), "visible")], tmp / "d.xlsx")
    book = openpyxl.load_workbook(path)
    book["data"]["E2"].value = 10  # 問4 居住年数, shown as 1900/1/10
    book["data"]["E2"].number_format = "yyyy/m/d"
    book.save(path)
    return path


def _charted(tmp: Path, q) -> Path:
    path = workbook([("data", delivery(q, n=3), "visible")], tmp / "d.xlsx")
    book = openpyxl.load_workbook(path)
    book.create_chartsheet("グラフ")
    book.save(path)
    return path


def test_every_documented_error_has_a_trigger_and_back():
    assert set(doc_rows()) == set(TRIGGERS)


@pytest.mark.parametrize("error_id", sorted(TRIGGERS))
def test_message_is_as_documented(error_id, tmp_path, questionnaire, capsys):
    excerpt = doc_rows()[error_id]
    trigger = TRIGGERS[error_id](tmp_path, questionnaire)
    if callable(trigger):  # a Python call
        with pytest.raises(SurveyError) as info:
            trigger()
        assert excerpt in str(info.value)
        return
    run = trigger if isinstance(trigger, _While) else _While(nullcontext(), trigger)
    try:
        with run.context:
            code = main(run.args)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert excerpt in err, err
    reason = [line for line in err.splitlines() if "error:" in line]
    assert len(reason) == 1, err  # the reason in one line


def test_zip_without_a_workbook_is_refused(tmp_path, capsys):
    """An .xlsx that is a zip archive without a workbook inside: exit 2, one line."""
    path = tmp_path / "d.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    assert main(_validate(path)) == 2
    err = capsys.readouterr().err
    assert "not a readable .xlsx workbook" in err and err.count("\n") == 1
