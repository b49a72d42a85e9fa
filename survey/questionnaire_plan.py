"""The analysis plan: what ``survey run`` computes and reports for a questionnaire.

A questionnaire declares its plan under the top-level key ``analysis:``
(format: ``questionnaires/README.md``, "The analysis plan"): the reporting
groups (表側), the raked attributes and their margins columns, the cells of
a mailing file, the report's sections (each of a registered *kind*, with
its question and options) and where they go -- which workbook sheet, in
which order, and which of them ``report.html`` shows, in which order.

This module only *checks* the plan (spec, not engine): each kind's options
are listed in :data:`survey.plan_spec.KINDS`; the pipeline
(:mod:`survey.pipeline.sections`) computes and presents a section of each
kind.  The plan is parsed with the questionnaire, once; a broken plan
raises :class:`~survey.errors.SpecError` naming the file, the key (e.g.
``analysis.sections.parks.by``) and the fix.
"""
from __future__ import annotations

import numbers
from types import MappingProxyType

from survey.errors import SpecError
from survey.plan_opendata import parse_opendata
from survey.plan_spec import (
    HTML_KINDS, KINDS, SHEET_NAME_LIMIT, AnalysisPlan, Kind, RakeVariable, SectionSpec, SheetSpec,
)

__all__ = ["KINDS", "HTML_KINDS", "Kind", "AnalysisPlan", "RakeVariable", "SectionSpec", "SheetSpec", "parse_plan"]

_SHEET_FORBIDDEN = set("[]:*?/\\")
_REQUIRED_OPTIONS = {"frequency": ("by",), "drivers": ("predictors",)}
_TOP_KEYS = ("groups", "weighting", "sections", "workbook", "html", "opendata")
_WEIGHTING_KEYS = ("rake", "cells", "methods")
_SHEET_KEYS = ("sheet", "title", "notes", "sections")


# --------------------------------------------------------------------------- parsing


class _Checker:
    def __init__(self, questionnaire, path):
        self.q = questionnaire
        self.path = path
        self.ids = {x.id: x for x in questionnaire.questions}

    def fail(self, key, message):
        raise SpecError(message, path=self.path, key=key)

    def mapping(self, raw, key, what) -> dict:
        if not isinstance(raw, dict):
            self.fail(key, f"{what} must be a mapping (key: value), got {type(raw).__name__} {_short(raw)}")
        bad = [k for k in raw if not isinstance(k, str)]
        if bad:
            self.fail(key, f"{what} has a key {bad[0]!r} that is not text; keys are names")
        return raw

    def names(self, raw, key, what) -> tuple[str, ...]:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
            self.fail(key, f"{what} must be a list of names, e.g. [age_band, district]; got {_short(raw)}")
        twice = sorted({x for x in raw if raw.count(x) > 1})
        if twice:
            self.fail(key, f"{what} names {twice[0]!r} twice; list each once")
        return tuple(raw)

    def question(self, qid, key):
        if qid not in self.ids:
            self.fail(key, f"question {qid!r} is not in questionnaire {self.q.id}; "
                           f"known: {', '.join(self.ids)}")
        return self.ids[qid]

    def attribute(self, qid, key) -> str:
        q = self.question(qid, key)
        if not q.attribute or q.type != "single" or not q.codes:
            self.fail(key, f"{qid!r} is not an attribute with codes; groups, by, model and weighting name "
                           "single-answer questions marked `attribute: true`")
        return qid

    def attributes(self, raw, key, what) -> tuple[str, ...]:
        names = self.names(raw, key, what)
        for name in names:
            self.attribute(name, key)
        return names


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _option(ck: _Checker, kind: str, name: str, kind_of: str, raw, key):
    if kind_of == "text":
        if not isinstance(raw, str) or not raw.strip():
            ck.fail(key, f"{name} must be non-empty text, got {type(raw).__name__} {_short(raw)}")
        return raw
    if kind_of == "bool":
        if not isinstance(raw, bool):
            ck.fail(key, f"{name} must be true or false, got {_short(raw)}")
        return raw
    if kind_of in ("number", "count"):
        whole = kind_of == "count"
        if (isinstance(raw, bool) or not isinstance(raw, numbers.Real) or not raw > 0 or raw != raw
                or raw == float("inf") or (whole and raw != int(raw))):
            ck.fail(key, f"{name} must be a {'whole number >= 1' if whole else 'positive number'}, got {_short(raw)}")
        return int(raw) if whole else float(raw)
    if kind_of == "attributes":
        return ck.attributes(raw, key, name)
    if kind_of == "attribute":
        if not isinstance(raw, str):
            ck.fail(key, f"{name} names one attribute, e.g. district; got {_short(raw)}")
        return ck.attribute(raw, key)
    if kind_of == "questions":
        names = ck.names(raw, key, name)
        if not names:
            ck.fail(key, f"{name} must name at least one question")
        for qid in names:
            q = ck.question(qid, key)
            if not q.codes or q.type not in ("single", "likert") or q.items:
                ck.fail(key, f"{qid!r} is a {q.type} question; {name} must be single-column questions with codes")
        return names
    if kind_of == "codes":
        ck.mapping(raw, key, name)
        out = {}
        for qid, code in raw.items():
            q = ck.question(qid, f"{key}.{qid}")
            if isinstance(code, bool) or not isinstance(code, int) or code not in q.codes:
                ck.fail(f"{key}.{qid}", f"{_short(code)} is not a code of {qid!r}; use one of {sorted(q.codes)}")
            out[qid] = code
        return MappingProxyType(out)
    if kind_of == "indicator":
        known = [str(i.get("id")) for i in ck.q.indicators_of("survey")]
        if isinstance(raw, str) and raw in [str(i.get("id")) for i in ck.q.indicators_of("admin")]:
            ck.fail(key, f"indicator {_short(raw)} is an administrative indicator (source: admin), not an estimate "
                         f"of the question; name a survey indicator: {known}")
        if not isinstance(raw, str) or raw not in known:
            ck.fail(key, f"indicator {_short(raw)} is not declared under indicators:; known: {known}")
        return raw
    if kind_of == "file":
        if not isinstance(raw, str) or not raw.strip():
            ck.fail(key, f"{name} must be a file name (relative to the questionnaire), got {_short(raw)}")
        return raw
    raise AssertionError(kind_of)  # pragma: no cover - KINDS uses only the types above


def _needs(ck: _Checker, kind: str, q, key):
    if q.type not in KINDS[kind].question:
        ck.fail(key, f"a section of kind {kind} needs a {' or '.join(KINDS[kind].question)} question; "
                     f"{q.id!r} is a {q.type} question")
    for need in KINDS[kind].needs:
        if need == "scores" and not q.scores:
            ck.fail(key, f"{q.id!r} has no scores; a section of kind {kind} needs scores on the question "
                         "(e.g. scores: {1: 1.0, 2: 0.5, ...})")
        if need == "numeric_map" and not q.numeric_map:
            ck.fail(key, f"{q.id!r} has no numeric_map; a section of kind {kind} needs numeric_map on the question "
                         "(e.g. times a year per code)")
        if need == "numeric_map" and 0 not in q.numeric_map.values():
            ck.fail(key, f"the numeric_map of {q.id!r} maps no code to 0; a section of kind {kind} also reports "
                         "the share answering the code mapped to 0 (e.g. 利用しない: 0)")
        if need == "items" and len(q.items) < 2:
            ck.fail(key, f"{q.id!r} is not a matrix of two or more items; a section of kind {kind} needs items")
        if need == "one column" and q.items:
            ck.fail(key, f"{q.id!r} is a matrix; a section of kind {kind} needs a one-column question")


def _section(ck: _Checker, sid, raw, groups) -> SectionSpec:
    key = f"analysis.sections.{sid}"
    raw = {} if raw is None else ck.mapping(raw, key, f"section {sid!r}")
    kind = raw.get("kind", sid)
    if not isinstance(kind, str) or kind not in KINDS:
        ck.fail(f"{key}.kind", f"unknown section kind {_short(kind)}; use one of {', '.join(KINDS)} "
                               "(kind defaults to the section's name)")
    spec = KINDS[kind]
    allowed = {"kind", *spec.options, *(("question",) if spec.question else ())}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        ck.fail(f"{key}.{unknown[0]}", f"{unknown[0]!r} is not an option of a section of kind {kind}; "
                                       f"allowed: {sorted(allowed)}")
    question = None
    if spec.question:
        if "question" not in raw:
            ck.fail(key, f"a section of kind {kind} needs a question (question: <id> of a {' or '.join(spec.question)} "
                          "question)")
        if not isinstance(raw["question"], str):
            ck.fail(f"{key}.question", f"question must be a question id, got {_short(raw['question'])}")
        question = raw["question"]
        _needs(ck, kind, ck.question(question, f"{key}.question"), f"{key}.question")
    for name in _REQUIRED_OPTIONS.get(kind, ()):
        if name not in raw:
            ck.fail(key, f"a section of kind {kind} needs {name}: (see questionnaires/README.md)")
    options = {name: _option(ck, kind, name, spec.options[name], value, f"{key}.{name}")
               for name, value in raw.items() if name in spec.options}
    if kind == "indicators" and options.get("admin", False) and not ck.q.indicators_of("admin"):
        ck.fail(f"{key}.admin", "a section of kind indicators needs indicators: in the questionnaire with source: "
                                "admin when it says admin: true; declare the administrative indicators "
                                "(questionnaires/README.md) or remove admin: true")
    if kind == "indicators" and not ck.q.indicators_of("survey") and not options.get("admin", False):
        ck.fail(key, "a section of kind indicators needs indicators: in the questionnaire (or admin: true)")
    if kind == "drivers":
        for qid in options.get("reference", {}):
            if qid not in options["predictors"]:
                ck.fail(f"{key}.reference.{qid}", f"{qid!r} is not one of the predictors {list(options['predictors'])}")
    by = options.pop("by", groups)
    by = (by,) if isinstance(by, str) else tuple(by)
    return SectionSpec(id=sid, kind=kind, question=question, by=by, options=MappingProxyType(options))


def _rake(ck: _Checker, raw, key) -> tuple[RakeVariable, ...]:
    if not isinstance(raw, list) or not raw:
        ck.fail(key, "rake must be a non-empty list of attributes, e.g. [age_band, sex, district], "
                     "or of {question: age_band, column: <margins column>}")
    out, seen = [], set()
    for i, entry in enumerate(raw):
        where = f"{key}[{i}]"
        if isinstance(entry, str):
            qid, column = entry, entry
        elif isinstance(entry, dict) and set(entry) <= {"question", "column"} and "question" in entry:
            qid, column = entry["question"], entry.get("column", entry["question"])
            if not isinstance(qid, str) or not isinstance(column, str) or not column.strip():
                ck.fail(where, f"question and column must be names, got {_short(entry)}")
        else:
            ck.fail(where, f"a raked attribute is a name or {{question: ..., column: ...}}, got {_short(entry)}")
        ck.attribute(qid, where)
        if qid in seen:
            ck.fail(where, f"{qid!r} is raked twice; list each attribute once")
        seen.add(qid)
        out.append(RakeVariable(question=qid, column=column))
    columns = [r.column for r in out]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        ck.fail(key, f"margins column {twice[0]!r} is named for two attributes; each needs its own column")
    return tuple(out)


def _sheets(ck: _Checker, raw, sections) -> tuple[SheetSpec, ...]:
    key = "analysis.workbook"
    if not isinstance(raw, list) or not raw:
        ck.fail(key, "workbook must be a non-empty list of sheets, each {sheet: name, sections: [...]}")
    out, placed, names = [], {}, set()
    for i, entry in enumerate(raw):
        where = f"{key}[{i}]"
        entry = ck.mapping(entry, where, "a sheet")
        unknown = sorted(set(entry) - set(_SHEET_KEYS))
        if unknown:
            ck.fail(f"{where}.{unknown[0]}", f"unknown key {unknown[0]!r}; a sheet has {', '.join(_SHEET_KEYS)}")
        name = entry.get("sheet")
        if not isinstance(name, str) or not name.strip():
            ck.fail(where, f"a sheet needs a name (sheet: ...), got {_short(name)}")
        if len(name) > SHEET_NAME_LIMIT or _SHEET_FORBIDDEN & set(name):
            ck.fail(f"{where}.sheet", f"sheet name {name!r} is longer than {SHEET_NAME_LIMIT} characters or holds "
                                      "one of [ ] : * ? / \\; Excel refuses it, shorten it")
        if name in names:
            ck.fail(f"{where}.sheet", f"sheet name {name!r} is used twice; sheet names must be unique")
        names.add(name)
        ids = ck.names(entry.get("sections"), f"{where}.sections", "sections")
        if not ids:
            ck.fail(f"{where}.sections", f"sheet {name!r} lists no section")
        for sid in ids:
            if sid not in sections:
                ck.fail(f"{where}.sections", f"sheet {name!r} lists section {sid!r}, which is not declared under "
                                             f"analysis.sections; declared: {', '.join(sections)}")
            if sid in placed:
                ck.fail(f"{where}.sections", f"section {sid!r} is in sheets {placed[sid]!r} and {name!r}; "
                                             "a section goes into one sheet")
            placed[sid] = name
        title = entry.get("title")
        if title is not None and not isinstance(title, str):
            ck.fail(f"{where}.title", f"title must be text, got {_short(title)}")
        notes = entry.get("notes", [])
        if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
            ck.fail(f"{where}.notes", f"notes must be a list of texts, got {_short(notes)}")
        out.append(SheetSpec(name=name, sections=ids, title=title, notes=tuple(notes)))
    return tuple(out)


def parse_plan(raw, questionnaire, *, path=None) -> AnalysisPlan | None:
    """Check the ``analysis:`` block against ``questionnaire``; None when absent.

    ``questionnaire`` is the :class:`~survey.questionnaire.Questionnaire`
    being built (its questions and indicators); ``path`` is named in errors.
    """
    if raw is None:
        return None
    ck = _Checker(questionnaire, path)
    ck.mapping(raw, "analysis", "analysis")
    unknown = sorted(set(raw) - set(_TOP_KEYS))
    if unknown:
        ck.fail(f"analysis.{unknown[0]}", f"unknown key {unknown[0]!r}; the plan has {', '.join(_TOP_KEYS)}")
    for name in ("groups", "sections", "workbook"):
        if name not in raw:
            ck.fail("analysis", f"the plan needs {name!r} (see questionnaires/README.md, The analysis plan)")
    groups = ck.attributes(raw["groups"], "analysis.groups", "groups")
    weighting = ck.mapping(raw.get("weighting", {}), "analysis.weighting", "weighting")
    unknown = sorted(set(weighting) - set(_WEIGHTING_KEYS))
    if unknown:
        ck.fail(f"analysis.weighting.{unknown[0]}", f"unknown key {unknown[0]!r}; weighting has "
                                                    f"{', '.join(_WEIGHTING_KEYS)}")
    if "rake" not in weighting:
        ck.fail("analysis.weighting", "the plan needs weighting: {rake: [...]}, the attributes raked to the "
                                      "population margins")
    rake = _rake(ck, weighting["rake"], "analysis.weighting.rake")
    cells = ()
    if "cells" in weighting:
        cells = ck.attributes(weighting["cells"], "analysis.weighting.cells", "cells")
        if len(cells) != 2:
            ck.fail("analysis.weighting.cells", f"cells names two attributes (the planning group first, e.g. "
                                                f"[district, age_band]); got {list(cells)}")
    methods = weighting.get("methods")
    if methods is not None and (not isinstance(methods, str) or not methods.strip()):
        ck.fail("analysis.weighting.methods", f"methods must be non-empty text, got {_short(methods)}")
    raw_sections = ck.mapping(raw["sections"], "analysis.sections", "sections")
    if not raw_sections:
        ck.fail("analysis.sections", "sections must declare at least one section")
    sections = {sid: _section(ck, sid, spec, groups) for sid, spec in raw_sections.items()}
    for sid, spec in sections.items():
        if spec.kind == "next_wave" and not cells:
            ck.fail(f"analysis.sections.{sid}", "a next_wave section needs the cells of the mailing plan: "
                                                "weighting: {cells: [group, other]}")
    workbook = _sheets(ck, raw["workbook"], sections)
    html = ck.names(raw.get("html", []), "analysis.html", "html")
    for sid in html:
        if sid not in sections:
            ck.fail("analysis.html", f"html lists section {sid!r}, which is not declared under analysis.sections")
        if not KINDS[sections[sid].kind].html:
            ck.fail("analysis.html", f"section {sid!r} ({sections[sid].kind}) has no part in report.html; "
                                     "list it under workbook only")
    used = {s for sheet in workbook for s in sheet.sections} | set(html)
    unused = [sid for sid in sections if sid not in used]
    if unused:
        ck.fail(f"analysis.sections.{unused[0]}", f"section {unused[0]!r} is in no sheet and not in html; "
                                                 "place it or remove it")
    return AnalysisPlan(groups=groups, rake=rake, cells=cells, sections=MappingProxyType(sections),
                        workbook=workbook, html=html, weighting_methods=methods,
                        opendata=parse_opendata(raw.get("opendata"), path=path))
