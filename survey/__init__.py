"""midori-survey: design-based statistics for municipal citizen questionnaires.

The public API is re-exported here; see README.md for an overview.
"""
from survey.errors import ConvergenceError, DesignError, InputError, SpecError, SurveyError
from survey.questionnaire import Questionnaire, load_questionnaire
from survey.intake import Dataset, Ledger, load, normalise, read_raw
from survey.design import Design, Estimate, ReplicateDesign, weight_diagnostics

__version__ = "0.1.0"

__all__ = [
    "SurveyError", "SpecError", "InputError", "DesignError", "ConvergenceError",
    "Questionnaire", "load_questionnaire",
    "Dataset", "Ledger", "load", "normalise", "read_raw",
    "Design", "Estimate", "ReplicateDesign", "weight_diagnostics",
    "__version__",
]
