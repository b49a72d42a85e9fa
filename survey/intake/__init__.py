"""Intake: raw file → tidy respondent frame + row ledger."""
from survey.intake.ledger import Dataset, Ledger
from survey.intake.normalise import normalise
from survey.intake.privacy import (
    MASK_TOKENS, PERSONAL_DATA_KINDS, PersonalData, find_personal_data, mask_changes, mask_personal_data,
    mask_series, mask_text_columns,
)
from survey.intake.readers import Provenance, RawTable, read_raw
from survey.intake.rules import RULES, Rule, Severity, rule_catalogue
from survey.intake.validate import FAILURE_COLUMNS, SUMMARY_COLUMNS, ValidationReport, validate_file, validate_raw
from survey.intake.values import clean_text, map_headers

__all__ = [
    "Dataset", "Ledger", "Provenance", "RawTable", "clean_text", "map_headers", "normalise", "read_raw", "load",
    "ValidationReport", "validate_file", "validate_raw", "Rule", "Severity", "RULES", "rule_catalogue",
    "FAILURE_COLUMNS", "SUMMARY_COLUMNS",
    "mask_personal_data", "mask_series", "mask_text_columns", "mask_changes", "find_personal_data", "PersonalData",
    "MASK_TOKENS",
    "PERSONAL_DATA_KINDS",
]


def load(path, questionnaire, *, exclude_undecodable: bool = False, **read_options) -> Dataset:
    """Read a delivered file and normalise it against a questionnaire.

    ``questionnaire`` is a :class:`survey.questionnaire.Questionnaire` or a
    path to its YAML file; ``read_options`` (``encoding=``, ``sheet=``) go to
    :func:`read_raw`.  Rows that cannot be read as delivered are refused, or
    with ``exclude_undecodable=True`` left out and listed in the ledger
    (:func:`normalise`).
    """
    from survey.questionnaire import Questionnaire, load_questionnaire

    if not isinstance(questionnaire, Questionnaire):
        questionnaire = load_questionnaire(questionnaire)
    return normalise(read_raw(path, **read_options), questionnaire, exclude_undecodable=exclude_undecodable)
