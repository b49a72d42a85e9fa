"""midori-survey: design-based statistics for municipal citizen questionnaires.

The public API is re-exported here; see README.md for an overview.
"""
from survey.errors import ConvergenceError, DesignError, InputError, SpecError, SurveyError
from survey.questionnaire import Questionnaire, load_questionnaire
from survey.intake import Dataset, Ledger, load, normalise, read_raw
from survey.design import Design, Estimate, ReplicateDesign, weight_diagnostics
from survey.design.olr import OLRResult, olr, svyolr
from survey.design.regression import GLMResult, RegressionResult, glm, svyglm
from survey.design.tables import ChisqTest, CrossTab, crosstab, svychisq
from survey.design.wald import WaldTest, regterm_test, wald_test
from survey.measures import *  # noqa: F401,F403  (names listed in survey.measures.__all__)
from survey.measures import __all__ as _measures_all

__version__ = "0.1.0"

__all__ = [
    "SurveyError", "SpecError", "InputError", "DesignError", "ConvergenceError",
    "Questionnaire", "load_questionnaire",
    "Dataset", "Ledger", "load", "normalise", "read_raw",
    "Design", "Estimate", "ReplicateDesign", "weight_diagnostics",
    "glm", "svyglm", "GLMResult", "RegressionResult", "olr", "svyolr", "OLRResult",
    "crosstab", "svychisq", "CrossTab", "ChisqTest", "wald_test", "regterm_test", "WaldTest",
    *_measures_all,
    "__version__",
]
