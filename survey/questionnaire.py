"""The questionnaire specification: questions, codes, scores, skip logic.

A questionnaire is described in a YAML file (format documented in
``questionnaires/README.md``) and parsed once, here, into the frozen objects
of :mod:`survey.questionnaire_spec` (re-exported here).
Everything downstream (readers, validation, estimators, reports) reads the
questionnaire through these objects and never re-parses YAML.

The file is read by :mod:`survey.spec_loader` (PyYAML's safe loader, no
arbitrary objects; duplicate keys, alias bombs and oversized files refused).
A broken specification raises :class:`survey.errors.SpecError` naming the
file, the key (or line) and the fix.
"""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from survey.errors import SpecError
from survey.indicator_spec import check_survey_indicators, parse_indicators
from survey.questionnaire_plan import parse_plan
from survey.questionnaire_spec import (
    MULTI_FORMS, OVER_LIMIT_POLICIES, QUESTION_TYPES, TOTAL_POLICIES, Condition, Contradiction, Item, Question,
    Questionnaire,
)
from survey.spec_checks import check_headings, check_labels, check_path_name
from survey.spec_loader import load_yaml

__all__ = [
    "QUESTION_TYPES",
    "Condition",
    "Item",
    "Question",
    "Contradiction",
    "Questionnaire",
    "load_questionnaire",
    "parse_questionnaire",
]

def _freeze(mapping: Mapping | None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


def _is_number(value) -> bool:
    """A finite int or float from YAML (``true``/``false`` are not numbers)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# --------------------------------------------------------------------------- parsing


class _Ctx:
    def __init__(self, path):
        self.path = path

    def fail(self, key, message):
        raise SpecError(message, path=self.path, key=key)


def _require(ctx, mapping, key, where, kind=None):
    if not isinstance(mapping, dict) or key not in mapping:
        ctx.fail(f"{where}.{key}", f"missing required key {key!r}; add it (see questionnaires/README.md)")
    value = mapping[key]
    if kind is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
        wanted = _KIND_NAMES.get(kind, getattr(kind, "__name__", str(kind)))
        ctx.fail(f"{where}.{key}", f"expected {wanted}, got {type(value).__name__} {value!r}; write it without quotes "
                                   "or units" if kind is int else f"expected {wanted}, got {type(value).__name__} {value!r}")
    return value


_KIND_NAMES = {int: "a whole number (e.g. 1000)", str: "text", dict: "a mapping (key: value)", list: "a list"}


def _number(ctx, value, key) -> float:
    if not _is_number(value):
        ctx.fail(key, f"expected a number, got {type(value).__name__} {value!r}")
    return float(value)


def _mapping(ctx, raw, key, what) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        ctx.fail(key, f"{what} must be a mapping, got {type(raw).__name__} {raw!r}")
    return raw


def _code_numbers(ctx, raw, key, codes, what) -> dict[int, float]:
    """``{code: number}`` for declared codes (likert scores, numeric_map)."""
    if not isinstance(raw, dict):
        ctx.fail(key, f"{what} map code -> number, e.g. {{1: 1.0, 2: 0.5}}; got {type(raw).__name__} {raw!r}")
    out = {}
    for code, value in raw.items():
        if isinstance(code, bool) or not (isinstance(code, int) or (isinstance(code, str) and code.strip().lstrip("-").isdigit())):
            ctx.fail(f"{key}.{code}", f"{what} names code {code!r}, which is not an integer code")
        icode = int(code)
        if icode not in codes:
            ctx.fail(key, f"{what} given for codes [{icode}] that are not declared codes {sorted(codes)}")
        if icode in out:
            ctx.fail(f"{key}.{icode}", f"duplicate code {icode}; each code may appear once")
        out[icode] = _number(ctx, value, f"{key}.{icode}")
    return out


def _codes(ctx, raw, where) -> dict[int, str]:
    if raw is None:
        return {}
    if isinstance(raw, list):  # list of {code, label} or "label" (numbered from 1)
        out = {}
        for i, entry in enumerate(raw, start=1):
            if isinstance(entry, dict):
                code, label = entry.get("code"), entry.get("label")
            else:
                code, label = i, entry
            out = _add_code(ctx, out, code, label, where)
        return out
    if not isinstance(raw, dict):
        ctx.fail(where, f"codes must be a mapping code: label, got {type(raw).__name__}")
    out: dict[int, str] = {}
    for code, label in raw.items():
        out = _add_code(ctx, out, code, label, where)
    return out


def _add_code(ctx, out, code, label, where):
    try:
        icode = int(code)
    except (TypeError, ValueError):
        ctx.fail(f"{where}.{code}", f"code {code!r} is not an integer; codes are whole numbers (1, 2, ... 9, 99)")
    if icode != code and str(icode) != str(code):
        ctx.fail(f"{where}.{code}", f"code {code!r} is not an integer")
    if icode in out:
        ctx.fail(f"{where}.{icode}", f"duplicate code {icode}; each code may appear once")
    if not isinstance(label, str) or not label.strip():
        ctx.fail(f"{where}.{icode}", f"code {icode} needs a non-empty label, got {label!r}")
    out[icode] = label
    return out


def _not_in_margins(ctx, raw, key, qtype, codes) -> tuple[int, ...]:
    """Answer codes that have no population count (回答しない): a list of declared codes."""
    values = raw if isinstance(raw, list) else [raw]
    if qtype != "single" or not all(isinstance(v, int) and not isinstance(v, bool) and v in codes for v in values) \
            or len(set(values)) != len(values):
        ctx.fail(key, f"not_in_margins lists answer codes of a single question that the population margins do not "
                      f"count (e.g. [3] for 回答しない); got {raw!r}, codes {sorted(codes)}")
    return tuple(values)


def _conditions(ctx, raw, where) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    entries = raw if isinstance(raw, list) else [raw]
    out = []
    for i, entry in enumerate(entries):
        key = f"{where}[{i}]"
        if not isinstance(entry, dict) or "column" not in entry:
            ctx.fail(key, "a condition is a mapping with 'column' and one of in/not_in/between/blank")
        ops = [op for op in ("in", "not_in", "between", "blank") if op in entry]
        if len(ops) != 1:
            ctx.fail(key, f"a condition needs exactly one of in/not_in/between/blank, got {sorted(entry)}")
        op = ops[0]
        value = entry[op]
        if op == "blank":
            if not isinstance(value, bool):
                ctx.fail(key, f"blank takes true or false, got {value!r}")
            values = (value,)
        else:
            values = tuple(value) if isinstance(value, list) else (value,)
            if op == "between" and len(values) != 2:
                ctx.fail(key, f"between needs [low, high], got {value!r}")
            if not all(_is_number(v) for v in values):
                ctx.fail(key, f"{op} needs numbers (answer codes or values), got {value!r}")
            if op == "between" and values[0] > values[1]:
                ctx.fail(key, f"between needs [low, high] with low <= high, got {value!r}")
        out.append(Condition(column=str(entry["column"]), op=op, values=values))
    return tuple(out)


def _items(ctx, raw, where, *, default_header_prefix) -> tuple[Item, ...]:
    if not isinstance(raw, list) or not raw:
        ctx.fail(where, "expected a non-empty list of items, each {column, label[, header]}")
    items, seen = [], set()
    for i, entry in enumerate(raw):
        key = f"{where}[{i}]"
        if not isinstance(entry, dict):
            ctx.fail(key, "an item is a mapping {column, label[, header]}")
        column = _require(ctx, entry, "column", key, str)
        label = _require(ctx, entry, "label", key, str)
        if column in seen:
            ctx.fail(key, f"duplicate item column {column!r}")
        seen.add(column)
        header = entry.get("header", f"{default_header_prefix}_{i + 1}")
        items.append(Item(column=column, label=label, header=str(header), code=entry.get("code")))
    return tuple(items)


_QUESTION_KEYS = {
    "id", "text", "type", "header", "codes", "missing", "attribute", "not_in_margins", "required", "asked_if",
    "scores", "items", "straightlining", "numeric_map", "numeric_unit", "max_choices",
    "over_limit", "form", "total", "total_policy", "tolerance", "parts", "depth", "minimum",
    "maximum", "integer", "outlier_iqr", "note",
}


def _question(ctx, raw, index, default_missing) -> Question:
    where = f"questions[{index}]"
    if not isinstance(raw, dict):
        ctx.fail(where, "each question is a mapping with at least id, text and type")
    qid = _require(ctx, raw, "id", where, str)
    where = f"questions[{index}] ({qid})"
    unknown = sorted(set(raw) - _QUESTION_KEYS)
    if unknown:
        ctx.fail(f"{where}.{unknown[0]}", f"unknown key(s) {unknown}; allowed: {sorted(_QUESTION_KEYS)}")
    text = _require(ctx, raw, "text", where, str)
    qtype = _require(ctx, raw, "type", where, str)
    if qtype not in QUESTION_TYPES:
        ctx.fail(f"{where}.type", f"unknown type {qtype!r}; use one of {', '.join(QUESTION_TYPES)}")
    header = str(raw.get("header", qid))
    codes = _codes(ctx, raw.get("codes"), f"{where}.codes")
    missing = _codes(ctx, raw["missing"], f"{where}.missing") if "missing" in raw else dict(default_missing)
    overlap = sorted(set(codes) & set(missing))
    if overlap:
        ctx.fail(f"{where}.missing", f"codes {overlap} are both answers and missing codes; pick one meaning")
    check_labels(codes, missing, path=ctx.path, where=where)
    kw: dict[str, Any] = dict(
        id=qid, text=text, type=qtype, header=header, codes=_freeze(codes), missing=_freeze(missing),
        attribute=bool(raw.get("attribute", False)), required=bool(raw.get("required", True)),
        asked_if=_conditions(ctx, raw.get("asked_if"), f"{where}.asked_if"),
    )
    if qtype in ("single", "likert", "multi", "ranking") and not codes:
        ctx.fail(f"{where}.codes", f"a {qtype} question needs codes with labels")
    if "not_in_margins" in raw:
        kw["not_in_margins"] = _not_in_margins(ctx, raw["not_in_margins"], f"{where}.not_in_margins", qtype, codes)
    if qtype == "likert":
        scores = raw.get("scores")
        if scores is not None:
            kw["scores"] = _freeze(_code_numbers(ctx, scores, f"{where}.scores", codes, "scores"))
        if "items" in raw:
            kw["items"] = _items(ctx, raw["items"], f"{where}.items", default_header_prefix=header)
        kw["straightlining"] = bool(raw.get("straightlining", False))
    if qtype == "single" and "numeric_map" in raw:
        nm = _code_numbers(ctx, raw["numeric_map"], f"{where}.numeric_map", codes, "numeric_map")
        kw["numeric_map"] = _freeze(nm)
        kw["numeric_unit"] = str(raw.get("numeric_unit", ""))
    if qtype == "multi":
        form = raw.get("form", "dummies")
        if form not in MULTI_FORMS:
            ctx.fail(f"{where}.form", f"form must be one of {MULTI_FORMS}, got {form!r}")
        policy = raw.get("over_limit", "keep_lowest")
        if policy not in OVER_LIMIT_POLICIES:
            ctx.fail(f"{where}.over_limit", f"over_limit must be one of {OVER_LIMIT_POLICIES}, got {policy!r}")
        limit = raw.get("max_choices")
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            ctx.fail(f"{where}.max_choices", f"max_choices must be a positive integer, got {limit!r}")
        kw.update(form=form, over_limit=policy, max_choices=limit)
        kw["items"] = tuple(
            Item(column=f"{qid}_{c}", label=lab, header=f"{header}_{c}", code=c) for c, lab in codes.items()
        )
    if qtype == "allocation":
        total = _require(ctx, raw, "total", where, int)
        policy = raw.get("total_policy", "flag")
        if policy not in TOTAL_POLICIES:
            ctx.fail(f"{where}.total_policy", f"total_policy must be one of {TOTAL_POLICIES}, got {policy!r}")
        tolerance = raw.get("tolerance", 0)
        if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
            ctx.fail(f"{where}.tolerance", f"tolerance must be a whole number of yen >= 0, got {tolerance!r}")
        if isinstance(total, bool) or total <= 0:
            ctx.fail(f"{where}.total", f"total must be a positive whole number (e.g. 1000), got {total!r}")
        kw.update(total=total, total_policy=policy, tolerance=tolerance)
        kw["items"] = _items(ctx, _require(ctx, raw, "parts", where), f"{where}.parts", default_header_prefix=header)
    if qtype == "ranking":
        depth = _require(ctx, raw, "depth", where, int)
        if not 1 <= depth <= len(codes):
            ctx.fail(f"{where}.depth", f"depth {depth} must be between 1 and the number of items {len(codes)}")
        kw["depth"] = depth
        kw["items"] = tuple(
            Item(column=f"{qid}_{r}", label=f"{r}位", header=f"{header}_{r}位") for r in range(1, depth + 1)
        )
    if qtype == "numeric":
        for key in ("minimum", "maximum", "outlier_iqr"):
            if key in raw:
                kw[key] = _number(ctx, raw[key], f"{where}.{key}")
        if kw.get("minimum") is not None and kw.get("maximum") is not None and kw["minimum"] > kw["maximum"]:
            ctx.fail(f"{where}.minimum", f"minimum {kw['minimum']:g} is above maximum {kw['maximum']:g}")
        kw["integer"] = bool(raw.get("integer", False))
    return Question(**kw)


def _heading_candidates(questions, rid, rid_header):
    """``(question, column, names)`` for every raw column: the names a delivered
    heading may match it by (its heading, its id), as the intake's
    ``map_headers`` tries them."""
    wanted = [("respondent_id", rid, (rid_header, rid))]
    for q in questions:
        if q.type == "multi" and q.form == "slots":
            wanted += [(q.id, f"{q.id}#slot{k}", (h, f"{q.id}_slot{k}")) for k, h in enumerate(q.raw_headers, 1)]
        else:
            wanted += [(q.id, col, (h, col)) for col, h in zip(q.columns, q.raw_headers)]
    return wanted


def parse_questionnaire(spec: Mapping, *, path=None, sha256=None) -> Questionnaire:
    """Build a :class:`Questionnaire` from an already-loaded mapping."""
    ctx = _Ctx(path)
    if not isinstance(spec, dict):
        ctx.fail("(top)", "the file must contain a mapping with id, version, questions")
    for key in ("id", "version", "questions"):
        _require(ctx, spec, key, "(top)")
    # both become part of file and folder names (reports/<wave>/, <id>_keywords.yaml)
    check_path_name(spec["id"], what="the questionnaire id", path=path, key="id", example="midori")
    if "wave" in spec:
        check_path_name(spec["wave"], what="wave", path=path, key="wave")
    default_missing = _codes(ctx, spec.get("missing_codes", {9: "無回答", 99: "無回答"}), "missing_codes")
    raw_questions = spec["questions"]
    if not isinstance(raw_questions, list) or not raw_questions:
        ctx.fail("questions", "questions must be a non-empty list")
    questions = tuple(_question(ctx, q, i, default_missing) for i, q in enumerate(raw_questions))
    seen: dict[str, str] = {}
    rid = str(spec.get("respondent_id", "id"))
    seen[rid] = "respondent_id"
    for q in questions:
        for col in q.columns:
            if col in seen:
                ctx.fail(f"questions ({q.id})", f"column {col!r} is declared twice (also by {seen[col]}); ids must be unique")
            seen[col] = q.id
    check_headings(_heading_candidates(questions, rid, str(spec.get("respondent_id_header", rid))), path=path)
    columns = set(seen)
    order = {q.id: i for i, q in enumerate(questions)}
    for q in questions:
        for cond in q.asked_if:
            if cond.column not in columns:
                ctx.fail(f"questions ({q.id}).asked_if", f"skip logic points at {cond.column!r}, which is not a question or column; known: {sorted(columns)}")
            if order.get(seen[cond.column], -1) >= order[q.id]:
                ctx.fail(f"questions ({q.id}).asked_if", f"skip logic depends on {cond.column!r}, which is not asked before {q.id}")
    contradictions = []
    raw_contradictions = spec.get("contradictions") or []
    if not isinstance(raw_contradictions, list):
        ctx.fail("contradictions", f"contradictions must be a list, got {type(raw_contradictions).__name__}")
    for i, raw in enumerate(raw_contradictions):
        where = f"contradictions[{i}]"
        cid = _require(ctx, raw, "id", where, str)
        when = _conditions(ctx, _require(ctx, raw, "when", where), f"{where}.when")
        for cond in when:
            if cond.column not in columns:
                ctx.fail(f"{where}.when", f"condition on unknown column {cond.column!r}")
        contradictions.append(Contradiction(
            id=cid, when=when, message_ja=str(raw.get("message_ja", "")), message_en=str(raw.get("message_en", "")),
        ))
    indicators = parse_indicators(spec.get("indicators"), path=path)
    check_survey_indicators(indicators, {q.id: q for q in questions}, path=path)
    questionnaire = Questionnaire(
        id=str(spec["id"]), version=str(spec["version"]), title=str(spec.get("title", spec["id"])),
        wave=str(spec.get("wave", "")), respondent_id=rid,
        respondent_id_header=str(spec.get("respondent_id_header", rid)),
        questions=questions, contradictions=tuple(contradictions),
        fielding=_freeze(_mapping(ctx, spec.get("fielding"), "fielding", "fielding")),
        municipality=_municipality(ctx, spec.get("municipality")),
        indicators=indicators,
        path=None if path is None else str(path), sha256=sha256,
    )
    plan = parse_plan(spec.get("analysis"), questionnaire, path=path)
    return questionnaire if plan is None else replace(questionnaire, plan=plan)


def _municipality(ctx, raw) -> str:
    """The municipality that runs the survey (``municipality: 朝霞市``), '' when not given: one
    line of text, since the report's sentences name it (the free text's user dictionary)."""
    if raw is None:
        return ""
    if not isinstance(raw, str) or not raw.strip() or any(ch in raw for ch in "\r\n"):
        ctx.fail("municipality", f"municipality must be one line of non-empty text naming the city, town "
                                 f"or village (e.g. 朝霞市), got {raw!r}")
    return raw.strip()


def load_questionnaire(path) -> Questionnaire:
    """Read and check a questionnaire YAML file (safe loader only).

    Examples
    --------
    >>> from pathlib import Path
    >>> q = load_questionnaire(Path("questionnaires/midori_2025.yaml"))  # doctest: +SKIP
    >>> q["satisfaction"].scores[1]  # doctest: +SKIP
    1.0
    """
    import hashlib

    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the questionnaire: {exc.strerror}; check the path", path=path) from None
    spec = load_yaml(blob, path=path)
    return parse_questionnaire(spec, path=path, sha256=hashlib.sha256(blob).hexdigest())
