"""The contractor's standard checks: stable rule codes, severities, messages.

Every problem :func:`survey.intake.validate.validate_file` reports carries a
:class:`Rule` code.  The codes are part of the public interface (they appear
in JSON/CSV/XLSX outputs and scripts filter on them): never rename one, only
add new ones.

Severity policy
---------------
``error``
    The file cannot say what the paper form says: a value that is not a
    declared code, not a number or outside the possible range, a
    single-answer cell with several marks, a blank or repeated respondent
    ID, undecodable bytes or garbled text (mojibake), a row with fewer
    fields than the heading or a heading row inside the data, a workbook
    cell holding a date, an uncalculated formula or an error value, SPSS
    value labels that disagree with the questionnaire, a missing column,
    or a contradiction the questionnaire declares.  The data-entry team
    must check the form and correct the file.  Any error makes
    ``survey validate`` exit with 1.
``warning``
    Respondent behaviour that the questionnaire's cleaning policies handle
    (answers to skipped questions, over-limit multi-answers, allocation
    totals, ranking gaps and repeats), blanks, outliers, straight-lining,
    blank returns, extra columns, rows hidden in a workbook and phone
    numbers or e-mail addresses in free text.  Listed for review; exit
    code 0.
"""
from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from survey.intake.messages import MESSAGES

__all__ = ["RULES", "SEVERITIES", "Rule", "RuleInfo", "Severity", "rule_catalogue"]


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Rule(str, enum.Enum):
    """Stable codes of the validation rules (values never change)."""

    UNDECODABLE_BYTES = "undecodable_bytes"
    MISSING_COLUMN = "missing_column"
    UNKNOWN_COLUMN = "unknown_column"
    MISSING_ID = "missing_id"
    DUPLICATE_ID = "duplicate_id"
    BLANK_RETURN = "blank_return"
    INVALID_CODE = "invalid_code"
    MULTIPLE_MARKS = "multiple_marks"
    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"
    NOT_INTEGER = "not_integer"
    OUTLIER = "outlier"
    ANSWERED_WHEN_SKIPPED = "answered_when_skipped"
    BLANK_WHEN_ASKED = "blank_when_asked"
    CONTRADICTION = "contradiction"
    MULTI_OVER_LIMIT = "multi_over_limit"
    ALLOCATION_TOTAL = "allocation_total"
    RANKING_DUPLICATE = "ranking_duplicate"
    RANKING_GAP = "ranking_gap"
    STRAIGHTLINING = "straightlining"
    REQUIRED_BLANK = "required_blank"
    PERSONAL_INFO = "personal_info"
    MOJIBAKE = "mojibake"
    SHORT_ROW = "short_row"
    HEADING_ROW = "heading_row"
    UNREADABLE_CELL = "unreadable_cell"
    VALUE_LABEL = "value_label"
    HIDDEN_ROW = "hidden_row"

    def __str__(self) -> str:  # "invalid_code", not "Rule.INVALID_CODE"
        return self.value


@dataclass(frozen=True)
class RuleInfo:
    """What a rule checks (contractor's term in Japanese), its severity and
    its message templates (``str.format`` fields filled per finding), as
    ``survey/intake/messages.yaml`` words them."""

    category: str
    severity: Severity
    title_ja: str
    title_en: str
    message_ja: str
    message_en: str


_E, _W = Severity.ERROR, Severity.WARNING

#: Each rule's severity; its category, titles and messages are in ``survey/intake/messages.yaml``
#: (``rules.<code>``).
SEVERITIES: dict[Rule, Severity] = {
    Rule.UNDECODABLE_BYTES: _E, Rule.MISSING_COLUMN: _E, Rule.UNKNOWN_COLUMN: _W, Rule.MISSING_ID: _E,
    Rule.DUPLICATE_ID: _E, Rule.BLANK_RETURN: _W, Rule.INVALID_CODE: _E, Rule.MULTIPLE_MARKS: _E,
    Rule.NOT_A_NUMBER: _E, Rule.OUT_OF_RANGE: _E, Rule.NOT_INTEGER: _E, Rule.OUTLIER: _W,
    Rule.ANSWERED_WHEN_SKIPPED: _W, Rule.BLANK_WHEN_ASKED: _W, Rule.CONTRADICTION: _E, Rule.MULTI_OVER_LIMIT: _W,
    Rule.ALLOCATION_TOTAL: _W, Rule.RANKING_DUPLICATE: _W, Rule.RANKING_GAP: _W, Rule.STRAIGHTLINING: _W,
    Rule.REQUIRED_BLANK: _W, Rule.PERSONAL_INFO: _W, Rule.MOJIBAKE: _E, Rule.SHORT_ROW: _E, Rule.HEADING_ROW: _E,
    Rule.UNREADABLE_CELL: _E, Rule.VALUE_LABEL: _E, Rule.HIDDEN_ROW: _W,
}

if set(SEVERITIES) != set(Rule):  # pragma: no cover - a programming error, caught by any test import
    raise RuntimeError(f"rules without a severity: {sorted(set(Rule) - set(SEVERITIES))}")


@lru_cache(maxsize=1)
def _rule_infos() -> dict[Rule, RuleInfo]:
    def text(rule: Rule, name: str) -> str:
        return MESSAGES.template(f"rules.{rule.value}.{name}")

    return {rule: RuleInfo(text(rule, "category"), severity, text(rule, "title_ja"), text(rule, "title_en"),
                           text(rule, "message_ja"), text(rule, "message_en"))
            for rule, severity in SEVERITIES.items()}


class _RuleTable(Mapping):
    """``{Rule: RuleInfo}``, read from the catalogue on first use (no I/O at import)."""

    def __getitem__(self, rule) -> RuleInfo:
        return _rule_infos()[Rule(rule)]

    def __iter__(self) -> Iterator[Rule]:
        return iter(_rule_infos())

    def __len__(self) -> int:
        return len(SEVERITIES)

    def __repr__(self) -> str:
        return f"RULES({len(self)} rules, survey/intake/messages.yaml)"


#: Every rule's :class:`RuleInfo`, in :class:`Rule` order.
RULES: Mapping[Rule, RuleInfo] = _RuleTable()


def rule_catalogue() -> pd.DataFrame:
    """All rules with category, severity and titles (one row per rule).

    >>> rule_catalogue().set_index("rule").loc["invalid_code", "category"]
    '非指定値'
    """
    return pd.DataFrame(
        [(r.value, i.category, i.severity.value, i.title_ja, i.title_en) for r, i in RULES.items()],
        columns=["rule", "category", "severity", "title_ja", "title_en"],
    )
