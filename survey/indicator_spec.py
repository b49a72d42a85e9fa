"""The plan's indicators (``indicators:`` in the questionnaire), checked once when it is read.

An indicator comes from one of two sources (``source:``, default ``survey``):

* ``survey`` -- an estimate from the wave's answers (``question``, ``statistic``:
  ``score_mean`` or ``numeric_mean``), with sampling error;
* ``admin`` -- an exact ratio of two columns of the administrative figures
  (``survey run --admin``, one row per fiscal year):
  ``value = scale * numerator / denominator``, in ``unit``, published to
  ``decimals`` places.  The city's own columns and factor are declared here, so
  another city's figures need no code (the format: ``questionnaires/README.md``).

A broken entry raises :class:`~survey.errors.SpecError` naming the
questionnaire file, the indicator's key and the fix: here for the keys and
values of an entry, and, for a survey indicator, in
:func:`check_survey_indicators` once the questions are read (the question must
exist and carry what its statistic needs: ``scores`` for ``score_mean``,
``numeric_map`` for ``numeric_mean``).
:func:`admin_columns` says which columns of the admin file the declared
indicators need, so the file's reader checks exactly those.
"""
from __future__ import annotations

import math
import re
from types import MappingProxyType
from typing import Any, Mapping

from survey.errors import SpecError

__all__ = ["ADMIN_KEYS", "INDICATOR_SOURCES", "SURVEY_KEYS", "SURVEY_STATISTICS", "YEAR_COLUMN", "admin_columns",
           "check_survey_indicators", "parse_indicators"]

#: Where an indicator's value comes from.
INDICATOR_SOURCES = ("survey", "admin")
#: The keys of an administrative indicator, each required, with what to write when it is missing.
ADMIN_KEYS = {
    "id": "an identifier in English, e.g. green_share",
    "source": "admin",
    "label": "the indicator's name as the plan prints it",
    "unit": "the unit of the value, e.g. % or m²/人",
    "numerator": "the admin file's column above the fraction bar, e.g. green_area_ha",
    "denominator": "the admin file's column below the fraction bar, e.g. city_area_km2",
    "scale": "the factor that turns numerator / denominator into the unit, e.g. 10000 for m² per person "
             "from ha per person",
    "decimals": "the places the plan publishes the value to, e.g. 1",
    "baseline": "the plan's published baseline value (現況値)",
    "baseline_year": "the fiscal year of the baseline, e.g. FY2025",
    "target": "the plan's target value (目標値)",
    "target_year": "the fiscal year of the target, e.g. FY2035",
}
#: The statistics of a survey indicator, each with the question's mapping it needs (the
#: estimators: survey/measures/indicators/headline.py; a test checks the two agree).
SURVEY_STATISTICS = {
    "score_mean": "scores",          # the weighted mean of the answers' scores (an index)
    "numeric_mean": "numeric_map",   # the weighted mean of the answers' values (e.g. times a year)
}
#: The keys of a survey indicator, each required (``source: survey`` may be left out).
SURVEY_KEYS = {
    "id": "an identifier in English, e.g. satisfaction_index",
    "label": "the indicator's name as the plan prints it",
    "question": "the id of the question it is estimated from",
    "statistic": f"one of {', '.join(SURVEY_STATISTICS)}",
    "unit": "the unit of the value, e.g. ポイント or 回/年",
    "baseline": "the plan's published baseline value (現況値)",
    "baseline_year": "the fiscal year of the baseline, e.g. FY2025",
    "target": "the plan's target value (目標値)",
    "target_year": "the fiscal year of the target, e.g. FY2035",
}
#: A column of the admin file as an indicator names it: its heading, letters, digits and _.
_COLUMN = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
#: The admin file's column naming each row's fiscal year (not a figure).
YEAR_COLUMN = "fiscal_year"
_MAX_DECIMALS = 6


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_indicators(raw, *, path=None) -> tuple[Mapping[str, Any], ...]:
    """The ``indicators:`` list as frozen mappings, administrative entries checked.

    A survey indicator is kept as written; an administrative one
    (``source: admin``) must give every key of :data:`ADMIN_KEYS` and no
    other, name its columns as the admin file heads them, and have a positive
    ``scale``.  Ids are unique across both sources.
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise SpecError(f"indicators must be a list of mappings, got {type(raw).__name__}", path=path,
                        key="indicators")
    out, seen = [], set()
    for i, entry in enumerate(raw):
        key = f"indicators[{i}]"
        if entry is None:
            entry = {}
        if not isinstance(entry, dict):
            raise SpecError(f"an indicator must be a mapping, got {type(entry).__name__} {entry!r}", path=path,
                            key=key)
        ind_id = entry.get("id")
        if isinstance(ind_id, (str, int)) and not isinstance(ind_id, bool):
            key = f"{key} ({ind_id})"
            if ind_id in seen:
                raise SpecError(f"indicator id {_short(ind_id)} is declared twice; give each indicator its own id",
                                path=path, key=f"{key}.id")
            seen.add(ind_id)
        source = entry.get("source", "survey")
        if source not in INDICATOR_SOURCES:
            raise SpecError(f"source {_short(source)} is not a source of indicators; use survey (an estimate from a "
                            "question) or admin (a ratio of two columns of the --admin file)", path=path,
                            key=f"{key}.source")
        if source == "admin":
            entry = _admin_entry(entry, key, path)
        elif "numerator" in entry or "denominator" in entry:
            raise SpecError(f"indicator {_short(ind_id)} has numerator: and denominator: but is a survey indicator; "
                            "add source: admin to compute it from the admin file", path=path, key=f"{key}.source")
        else:
            _survey_entry(entry, key, path)
        out.append(MappingProxyType(dict(entry)))
    return tuple(out)


def _checked_keys(entry: dict, key: str, path, keys: dict, kind: str, text: tuple):
    """The checks both sources share: no unknown key, every key of ``keys`` given, the ``text`` keys
    one line of text, baseline and target numbers.  Returns ``fail(key, message)`` and the
    indicator's printed name; ``kind`` is "survey" or "administrative"."""
    def fail(name, message):
        raise SpecError(message, path=path, key=f"{key}.{name}" if name else key)

    unknown = sorted(str(k) for k in entry if k not in keys and k != "source")
    if unknown:
        article = "an" if kind[0] in "aeiou" else "a"
        fail(None, f"unknown key(s) {unknown} for {article} {kind} indicator; it has {', '.join(keys)}")
    name = _short(entry["id"]) if "id" in entry else "(without id)"
    for k, hint in keys.items():
        if k not in entry:
            fail(None, f"{kind} indicator {name} needs {k}: ({hint}); add it (see questionnaires/README.md)")
    for k in text:
        value = entry[k]
        if not isinstance(value, str) or not value.strip() or any(ch in value for ch in "\r\n"):
            fail(k, f"{k} of {kind} indicator {name} must be one line of text ({keys[k]}), got {_short(value)}")
    for k in ("baseline", "target"):
        if not _is_number(entry[k]):
            fail(k, f"{k} of {kind} indicator {name} must be a number ({keys[k]}), got {_short(entry[k])}")
    return fail, name


def _survey_entry(entry: dict, key: str, path) -> None:
    fail, name = _checked_keys(entry, key, path, SURVEY_KEYS, "survey",
                               ("id", "label", "unit", "baseline_year", "target_year", "question"))
    if entry["statistic"] not in SURVEY_STATISTICS:
        fail("statistic", f"statistic {_short(entry['statistic'])} of survey indicator {name} is not one the "
                          f"package estimates; use {' or '.join(SURVEY_STATISTICS)} (the mean of the question's "
                          "scores or of its numeric_map values)")


def check_survey_indicators(indicators, questions: Mapping[str, Any], *, path=None) -> None:
    """Each survey indicator's question exists (``questions``: ``{id: Question}``) and
    has the mapping its statistic needs (:data:`SURVEY_STATISTICS`)."""
    for i, ind in enumerate(indicators):
        if ind.get("source", "survey") != "survey":
            continue
        key = f"indicators[{i}] ({ind['id']}).question"
        qid, needs = ind["question"], SURVEY_STATISTICS[ind["statistic"]]
        if qid not in questions:
            raise SpecError(f"survey indicator {_short(ind['id'])} names question {_short(qid)}, which is not in "
                            f"the questionnaire; name one of its questions' ids", path=path, key=key)
        if not getattr(questions[qid], needs, None):
            raise SpecError(f"survey indicator {_short(ind['id'])} is a {ind['statistic']} of question "
                            f"{_short(qid)}, which has no {needs}:; add {needs}: {{code: value}} to the question "
                            f"or choose another statistic", path=path, key=key)


def _admin_entry(entry: dict, key: str, path) -> dict:
    fail, name = _checked_keys(entry, key, path, ADMIN_KEYS, "administrative",
                               ("id", "label", "unit", "baseline_year", "target_year"))
    for k in ("numerator", "denominator"):
        column = entry[k]
        if not isinstance(column, str) or not _COLUMN.match(column):
            fail(k, f"{k} {_short(column)} of administrative indicator {name} is not a column name: write the "
                    "admin file's column heading, letters, digits and _ starting with a letter (e.g. "
                    "green_area_ha)")
        if column == YEAR_COLUMN:
            fail(k, f"{k} of administrative indicator {name} is {YEAR_COLUMN}, the admin file's year label, not a "
                    "figure; name the column that holds the figure")
    scale = entry["scale"]
    if not _is_number(scale) or scale <= 0:
        fail("scale", f"scale of administrative indicator {name} must be a positive number, got {_short(scale)}; "
                      "it is the factor that turns numerator / denominator into the unit (1 when the units cancel, "
                      "10000 for m² per person from ha)")
    decimals = entry["decimals"]
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= _MAX_DECIMALS:
        fail("decimals", f"decimals of administrative indicator {name} must be a whole number from 0 to "
                         f"{_MAX_DECIMALS} (the places the plan publishes), got {_short(decimals)}")
    return entry


def admin_columns(indicators) -> dict[str, list[tuple[str, str]]]:
    """``{column: [(indicator id, "numerator" | "denominator"), ...]}`` over the
    administrative indicators, in declaration order: the columns the admin file
    must have (besides ``fiscal_year``) and who needs each."""
    out: dict[str, list[tuple[str, str]]] = {}
    for ind in indicators:
        if ind.get("source") == "admin":
            for role in ("numerator", "denominator"):
                out.setdefault(ind[role], []).append((str(ind["id"]), role))
    return out
