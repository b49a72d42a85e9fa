"""Reading and checking a simulation model file (YAML → :class:`SimulationModel`).

The model of a questionnaire ``questionnaires/X.yaml`` is ``questionnaires/X_simulation.yaml``
(:func:`default_model_path`), or any file passed as ``model=`` / ``survey simulate
--model``.  It is checked against the questionnaire it simulates: every question it
names must exist with a fitting type and the right number of codes, items or parts,
and every question of the questionnaire must be simulated (by the population, an
answer model or a text model).  A broken file raises a
:class:`~survey.errors.SpecError` naming the file, the key and the fix.  Format:
``data/SIMULATION.md`` ("The model file").
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from survey.errors import SpecError
from survey.simulate.model import (
    AgeInBand,
    Binary,
    CellAttribute,
    Fielding,
    Heaping,
    Normal,
    Population,
    Reported,
    SimulationModel,
    TextAnswers,
    TruthValue,
    Wave,
    YearsInCity,
)
from survey.simulate.model_answers import read_answer
from survey.simulate.model_reader import ModelReader

__all__ = ["STATISTICS", "bundled_model", "default_model_path", "load_model", "model_for", "parse_model"]

SECTIONS = {"questionnaire", "margins_file", "population", "answers", "reporting", "fielding", "waves", "defects",
            "truth"}
#: truth statistics and the question types they fit
STATISTICS = {
    "score_mean": ("likert",), "code_shares": ("single", "likert"), "numeric_mean": ("single",),
    "zero_share": ("single",), "item_score_means": ("likert",), "part_means": ("allocation",),
    "ranked_shares": ("ranking",), "first_shares": ("ranking",), "tick_shares": ("multi",),
}


def default_model_path(questionnaire_path) -> Path:
    """``<folder>/<questionnaire file stem>_simulation.yaml`` beside the questionnaire."""
    path = Path(questionnaire_path)
    return path.with_name(f"{path.stem}_simulation.yaml")


def _read(path: Path):
    from survey.spec_loader import load_yaml

    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the simulation model: {exc.strerror}; check the path (--model)",
                        path=path) from None
    return load_yaml(blob, path=path, what="simulation model")


def load_model(path, questionnaire=None) -> SimulationModel:
    """Read the model file ``path``, checked against ``questionnaire`` (default: the
    questionnaire file the model names under ``questionnaire:``)."""
    path = Path(path)
    raw = _read(path)
    if questionnaire is None:
        from survey.questionnaire import load_questionnaire

        if not isinstance(raw, dict) or not isinstance(raw.get("questionnaire"), str):
            raise SpecError("the model names no questionnaire file (questionnaire: X.yaml, beside the model); "
                            "add it or pass the questionnaire", path=path, key="questionnaire")
        questionnaire = load_questionnaire(path.parent / raw["questionnaire"])
    return parse_model(raw, questionnaire, path=path)


def model_for(questionnaire, model=None) -> SimulationModel:
    """The model to simulate ``questionnaire`` with: ``model`` (an object or a path),
    else the file beside the questionnaire (:func:`default_model_path`), else the
    bundled model if it fits the questionnaire (a copy of the bundled
    questionnaire elsewhere, or one parsed without a file)."""
    if isinstance(model, SimulationModel):
        return model
    if model is not None:
        return load_model(model, questionnaire)
    if questionnaire.path is not None and default_model_path(questionnaire.path).is_file():
        return load_model(default_model_path(questionnaire.path), questionnaire)
    from survey.bundled import bundled_path

    try:
        return load_model(default_model_path(bundled_path()), questionnaire)
    except SpecError as exc:
        name = default_model_path(questionnaire.path or f"{questionnaire.id}.yaml").name
        raise SpecError(f"no simulation model for questionnaire {questionnaire.id}: write {name} beside it (format: "
                        f"data/SIMULATION.md) or pass --model (model=); the bundled model does not fit it: {exc}",
                        path=questionnaire.path) from None


@lru_cache(maxsize=1)
def bundled_model() -> SimulationModel:
    """The model of the bundled questionnaire (``midori_2025_simulation.yaml``)."""
    from survey.bundled import bundled_path

    return load_model(default_model_path(bundled_path()))


def parse_model(raw, questionnaire, *, path=None) -> SimulationModel:
    """Build a :class:`SimulationModel` from loaded YAML (see the module notes)."""
    r = ModelReader(path, questionnaire)
    r.mapping(raw, "(top)", SECTIONS, ("population", "answers", "fielding"))
    population = _population(r, raw["population"])
    answers = raw["answers"]
    if not isinstance(answers, dict) or not answers:
        r.fail("answers", "answers must be a mapping {question id: answer model}")
    models = tuple(read_answer(r, qid, body, f"answers.{qid}") for qid, body in answers.items())
    reporting, text = _reporting(r, raw.get("reporting") or {}, population)
    _coverage(r, population, models, text)
    model = SimulationModel(
        path=None if path is None else str(path), questionnaire=questionnaire, population=population,
        answers=models, reporting=reporting, text=text, fielding=_fielding(r, raw["fielding"]), waves={},
        defects=_defects(r, raw.get("defects") or []), truth_by=(), truth=(),
        margins_file=_file_name(r, raw.get("margins_file"), "margins_file"),
    )
    by, values = _truth(r, raw.get("truth"), models)
    return replace(model, waves=_waves(r, raw.get("waves") or {}, model), truth_by=by, truth=values)


def _file_name(r, raw, key):
    if raw is None:
        return None
    from survey.spec_checks import check_path_name

    if not isinstance(raw, str) or not raw.endswith(".csv"):
        r.fail(key, f"{key} must be a CSV file name such as kawabe_margins.csv, got {raw!r}")
    check_path_name(raw, what=key, path=r.path, key=key)
    return raw


# --------------------------------------------------------------------------- population


def _population(r, raw) -> Population:
    p = r.mapping(raw, "population", {"seed", "size", "columns", "cells", "persons"}, ("seed", "size", "columns",
                                                                                         "cells"))
    cells = tuple(_cell(r, c, f"population.cells[{i}]", i)
                  for i, c in enumerate(r.items(p["cells"], "population.cells", "a list of attributes")))
    persons = []
    for i, x in enumerate(p.get("persons") or []):
        persons.append(_person(r, x, f"population.persons[{i}]", persons))
    persons = tuple(persons)
    made = [c.question for c in cells] + [x.column for x in persons]
    columns = r.items(p["columns"], "population.columns", "a list of the register's columns")
    if sorted(map(str, columns)) != sorted(made):
        r.fail("population.columns", f"columns must list exactly the columns the cells and persons make, {made}; "
                                     f"got {columns}")
    return Population(seed=r.number(p["seed"], "population.seed", low=0, integer=True),
                      size=r.number(p["size"], "population.size", low=100, integer=True),
                      columns=tuple(columns), cells=cells, persons=persons)


def _levels(r, qid, key, n):
    q = r.question(qid, key, ("single",))
    if n > len(q.codes):
        r.fail(key, f"gives {n} levels for the {len(q.codes)} codes of {qid}")
    return tuple(q.codes)[:n]


def _cell(r, raw, key, index) -> CellAttribute:
    c = r.mapping(raw, key, {"question", "shares", "tilt", "given", "rows"}, ("question",))
    qid = c["question"]
    if ("shares" in c) == ("given" in c) or ("given" in c) != ("rows" in c) or ("tilt" in c and "shares" not in c):
        r.fail(key, "a cell attribute has shares (and an optional tilt: {by, rows}), or given and rows")
    if index == 0 and ("given" in c or "tilt" in c):
        r.fail(key, "the first cell attribute has plain shares (nothing to depend on yet)")
    if "shares" in c:
        n = len(r.items(c["shares"], f"{key}.shares", "a list of shares"))
        codes = _levels(r, qid, f"{key}.question", n)
        shares = r.distribution(c["shares"], f"{key}.shares", n, "levels")
        tilt_by = tilt = None
        if "tilt" in c:
            t = r.mapping(c["tilt"], f"{key}.tilt", {"by", "rows"}, ("by", "rows"))
            tilt_by, parents = t["by"], r.column(t["by"], f"{key}.tilt.by")
            rows = r.items(t["rows"], f"{key}.tilt.rows", f"{len(parents)} rows, one per code of {tilt_by}")
            if len(rows) != len(parents):
                r.fail(f"{key}.tilt.rows", f"gives {len(rows)} rows for the {len(parents)} codes of {tilt_by}")
            tilt = tuple(r.numbers(row, f"{key}.tilt.rows[{i}]", n, "levels", positive=True)
                         for i, row in enumerate(rows))
        cell = CellAttribute(qid, codes, shares=shares, tilt_by=tilt_by, tilt=tilt)
    else:
        parents = r.column(c["given"], f"{key}.given")
        rows = r.items(c["rows"], f"{key}.rows", f"{len(parents)} rows, one per code of {c['given']}")
        if len(rows) != len(parents):
            r.fail(f"{key}.rows", f"gives {len(rows)} rows for the {len(parents)} codes of {c['given']}")
        n = len(r.items(rows[0], f"{key}.rows[0]", "a list of shares"))
        codes = _levels(r, qid, f"{key}.question", n)
        cell = CellAttribute(qid, codes, given=c["given"],
                             rows=tuple(r.distribution(row, f"{key}.rows[{i}]", n, "levels")
                                        for i, row in enumerate(rows)))
    if qid in r.levels:
        r.fail(f"{key}.question", f"{qid!r} is drawn twice")
    r.levels[qid] = codes
    return cell


def _person(r, raw, key, persons):
    kinds = {"normal": {"column", "kind"},
             "age_in_band": {"column", "kind", "band", "lower", "width", "widths", "open"},
             "binary": {"question", "kind", "p", "codes"},
             "years_in_city": {"question", "kind", "age", "native", "native_gap", "moved_from", "moved_power"}}
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind not in kinds:
        r.fail(f"{key}.kind", f"kind must be one of {', '.join(kinds)}, got {kind!r}")
    x = r.mapping(raw, key, kinds[kind], tuple(sorted(kinds[kind] - {"widths", "open"})))
    if "column" in x:
        column = x["column"]
        if not isinstance(column, str) or column in r.q or column in r.levels:
            r.fail(f"{key}.column", f"{column!r} must be a new column name (not a question id)")
        r.levels[column] = ()   # a number, not a coded column: slopes can read it, conditions cannot
    if kind == "normal":
        return Normal(x["column"])
    if kind == "age_in_band":
        band = r.column(x["band"], f"{key}.band")
        widths = x.get("widths") or {}
        for code in widths:
            if code not in band:
                r.fail(f"{key}.widths", f"{code!r} is not a code of {x['band']} {list(band)}")
        opened = r.mapping(x.get("open", {"code": None, "mean": 1.0, "max": 0}), f"{key}.open",
                           {"code", "mean", "max"}, ("code", "mean", "max"))
        if opened["code"] is not None and opened["code"] not in band:
            r.fail(f"{key}.open.code", f"{opened['code']!r} is not a code of {x['band']} {list(band)}")
        return AgeInBand(x["column"], x["band"], band, r.numbers(x["lower"], f"{key}.lower", len(band), "codes of the band",
                                                      integer=True, low=0),
                         r.number(x["width"], f"{key}.width", integer=True, low=1),
                         tuple((int(k), r.number(v, f"{key}.widths.{k}", integer=True, low=1))
                               for k, v in widths.items()),
                         opened["code"], r.number(opened["mean"], f"{key}.open.mean", positive=True),
                         r.number(opened["max"], f"{key}.open.max", integer=True, low=0))
    if kind == "binary":
        q = r.question(x["question"], f"{key}.question", ("single",))
        codes = x["codes"]
        if not isinstance(codes, list) or len(codes) != 2 or any(c not in q.codes for c in codes):
            r.fail(f"{key}.codes", f"codes must be two codes of {q.id} {list(q.codes)}: [with probability p, else]")
        out = Binary(q.id, r.rate(x["p"], f"{key}.p"), (int(codes[0]), int(codes[1])))
        r.levels[q.id] = tuple(sorted(codes))
        return out
    q = r.question(x["question"], f"{key}.question", ("numeric",))
    if x["age"] not in {p.column for p in persons if isinstance(p, AgeInBand)}:
        r.fail(f"{key}.age", f"{x['age']!r} is not an age column (kind age_in_band) drawn before")
    out = YearsInCity(q.id, x["age"], r.rate(x["native"], f"{key}.native"),
                      r.number(x["native_gap"], f"{key}.native_gap", integer=True, low=1),
                      r.number(x["moved_from"], f"{key}.moved_from", integer=True, low=0),
                      r.number(x["moved_power"], f"{key}.moved_power", positive=True))
    r.levels[q.id] = ()
    return out


# --------------------------------------------------------------------------- reporting and coverage


def _reporting(r, raw, population):
    if not isinstance(raw, dict):
        r.fail("reporting", "reporting must be a mapping {question: what respondents write}")
    reported, text = [], []
    for qid, body in raw.items():
        key = f"reporting.{qid}"
        q = r.question(qid, key)
        if q.type == "text":
            t = r.mapping(body, key, {"rate", "two", "sentences", "joiner"}, ("rate", "sentences"))
            sentences = r.items(t["sentences"], f"{key}.sentences", "a list of sentences")
            if not all(isinstance(s, str) and s for s in sentences):
                r.fail(f"{key}.sentences", "every sentence must be non-empty text")
            text.append(TextAnswers(q.id, r.probability(t["rate"], f"{key}.rate"),
                                    r.probability(t.get("two", 0.0), f"{key}.two"), tuple(sentences),
                                    str(t.get("joiner", "　"))))
            continue
        if q.id not in population.columns:
            r.fail(key, f"{qid!r} is not a column of the population; reporting changes what respondents write for "
                        "a register attribute (or draws a text answer)")
        x = r.mapping(body, key, {"other", "heaping", "no_answer"})
        other_code = other_rate = heaping = None
        if "other" in x:
            o = r.mapping(x["other"], f"{key}.other", {"code", "rate"}, ("code", "rate"))
            if o["code"] not in q.codes:
                r.fail(f"{key}.other.code", f"{o['code']!r} is not a code of {qid} {list(q.codes)}")
            other_code, other_rate = int(o["code"]), r.rate(o["rate"], f"{key}.other.rate")
        if "heaping" in x:
            h = r.mapping(x["heaping"], f"{key}.heaping", {"above", "multiple", "rate", "at_most"},
                          ("above", "multiple", "rate"))
            if h.get("at_most") is not None and h["at_most"] not in population.columns:
                r.fail(f"{key}.heaping.at_most", f"{h['at_most']!r} is not a column of the population")
            heaping = Heaping(r.number(h["above"], f"{key}.heaping.above"),
                              r.number(h["multiple"], f"{key}.heaping.multiple", integer=True, low=1),
                              r.rate(h["rate"], f"{key}.heaping.rate"), h.get("at_most"))
        if "no_answer" in x and not q.missing:
            r.fail(f"{key}.no_answer", f"no_answer needs a missing code on question {qid!r}")
        reported.append(Reported(q.id, other_code, other_rate, heaping,
                                 r.rate(x["no_answer"], f"{key}.no_answer") if "no_answer" in x else None))
    return tuple(reported), tuple(text)


def _coverage(r, population, models, text) -> None:
    """Every question of the questionnaire is simulated exactly once."""
    owners = {}
    for name, qids in (("population", [c for c in population.columns if c in r.q]),
                       ("answers", [m.question for m in models]), ("reporting", [t.question for t in text])):
        for qid in qids:
            if qid in owners:
                r.fail(f"{name}.{qid}", f"question {qid!r} is simulated twice (also in {owners[qid]}); keep one")
            owners[qid] = name
    for q in r.q.questions:
        if q.id not in owners:
            r.fail("answers", f"question {q.id!r} ({q.type}) has no model; add it under answers: (or population: "
                              "for an attribute, reporting: for free text)")


# --------------------------------------------------------------------------- fielding, waves, defects, truth


def _fielding(r, raw) -> Fielding:
    f = r.mapping(raw, "fielding", {"response", "report_by", "mailed"}, ("response", "report_by"))
    rates = tuple(r.rate(x, f"fielding.response[{i}]", high=None)
                  for i, x in enumerate(r.items(f["response"], "fielding.response", "a list of rates")))
    r.column(f["report_by"], "fielding.report_by")
    mailed = f.get("mailed")
    return Fielding(response=rates, report_by=f["report_by"],
                    mailed=None if mailed is None else r.number(mailed, "fielding.mailed", integer=True, low=50))


def _waves(r, raw, model) -> MappingProxyType:
    if not isinstance(raw, dict):
        r.fail("waves", "waves must be a mapping {wave: {seed, shift}}")
    out = {}
    for label, body in raw.items():
        key = f"waves.{label}"
        w = r.mapping(body, key, {"seed", "shift"}, ("seed",))
        shift = w.get("shift") or {}
        if not isinstance(shift, dict):
            r.fail(f"{key}.shift", "shift must be a mapping {indicator or response: change}")
        for name, value in shift.items():
            if name not in model.shift_keys:
                r.fail(f"{key}.shift", f"shift {name!r} is not one of {list(model.shift_keys)}")
            r.number(value, f"{key}.shift.{name}")
        out[str(label)] = Wave(seed=r.number(w["seed"], f"{key}.seed", low=0, integer=True),
                               shift=MappingProxyType(dict(shift)))
    return MappingProxyType(out)


def _defects(r, raw) -> tuple:
    from survey.simulate.defects import DEFECT_KINDS

    out = []
    for i, d in enumerate(r.items(raw, "defects", "a list of [kind, question or null]")):
        if not isinstance(d, list) or len(d) != 2 or d[0] not in DEFECT_KINDS:
            r.fail(f"defects[{i}]", f"a defect is [kind, question or null] with kind one of {', '.join(DEFECT_KINDS)}")
        out.append((d[0], None if d[1] is None else str(d[1])))
    return tuple(out)


def _truth(r, raw, models):
    if raw is None:
        return (), ()
    t = r.mapping(raw, "truth", {"by", "values"}, ("values",))
    by = tuple(t.get("by") or ())
    for name in by:
        r.column(name, "truth.by")
    answered = {m.question for m in models}
    if not isinstance(t["values"], dict) or not t["values"]:
        r.fail("truth.values", "values must be a mapping {key in the truth file: {question, statistic}}")
    values = []
    for name, body in t["values"].items():
        key = f"truth.values.{name}"
        v = r.mapping(body, key, {"question", "statistic"}, ("question", "statistic"))
        statistic = v["statistic"]
        if statistic not in STATISTICS:
            r.fail(f"{key}.statistic", f"statistic must be one of {', '.join(STATISTICS)}, got {statistic!r}")
        q = r.question(v["question"], f"{key}.question", STATISTICS[statistic])
        if q.id not in answered:
            r.fail(f"{key}.question", f"{q.id!r} has no answer model; the truth is computed from answers:")
        needs = {"score_mean": bool(q.scores) and not q.items, "item_score_means": bool(q.scores) and bool(q.items),
                 "code_shares": not q.items, "numeric_mean": bool(q.numeric_map),
                 "zero_share": 0 in dict(q.numeric_map).values()}
        if not needs.get(statistic, True):
            r.fail(f"{key}.statistic", f"{statistic} does not fit question {q.id!r}: see data/SIMULATION.md for what "
                                       "each statistic needs (scores, items, a numeric_map with 0)")
        values.append(TruthValue(str(name), q.id, statistic))
    return by, tuple(values)
