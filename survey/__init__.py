"""midori-survey: design-based statistics for municipal citizen questionnaires.

The public API is re-exported here; see README.md for an overview.
"""
from survey._version import __version__
from survey.errors import ConvergenceError, DesignError, InputError, OutputError, SpecError, SurveyError
from survey.questionnaire import Questionnaire, load_questionnaire
from survey.intake import (
    Dataset, Ledger, Rule, Severity, ValidationReport, load, mask_personal_data, mask_series, mask_text_columns,
    normalise, read_raw, validate_file, validate_raw,
)
from survey.design import (
    Design, Estimate, ReplicateDesign, TTest, svyby, svycontrast, svyttest, weight_diagnostics, with_replicates,
)
from survey.design.olr import OLRResult, olr, svyolr
from survey.design.regression import GLMResult, RegressionResult, glm, svyglm
from survey.design.predict import PredictionResult
from survey.design.predmeans import marginal_means, svypredmeans
from survey.design.tables import ChisqTest, CrossTab, crosstab, svychisq
from survey.design.wald import WaldTest, wald_test
from survey.design.anova import LRTest, anova, regterm_test
from survey.design.chisqsum import pchisqsum, pfsum
from survey.measures import *  # noqa: F401,F403  (names listed in survey.measures.__all__)
from survey.measures import __all__ as _measures_all
from survey.pipeline import run_wave
from survey.report.weighting import read_margins, weight_wave
from survey.simulate import inject_defect, run_simulate, simulate_population, simulate_wave, write_large_delivery


__all__ = [
    "SurveyError", "SpecError", "InputError", "OutputError", "DesignError", "ConvergenceError",
    "Questionnaire", "load_questionnaire",
    "Dataset", "Ledger", "load", "normalise", "read_raw",
    "ValidationReport", "validate_file", "validate_raw", "Rule", "Severity",
    "mask_personal_data", "mask_series", "mask_text_columns",
    "run_wave", "weight_wave", "read_margins",
    "simulate_population", "simulate_wave", "run_simulate", "write_large_delivery", "inject_defect",
    "Design", "Estimate", "ReplicateDesign", "weight_diagnostics",
    "svyby", "with_replicates", "svycontrast", "svyttest", "TTest",
    "glm", "svyglm", "GLMResult", "RegressionResult", "olr", "svyolr", "OLRResult",
    "PredictionResult", "svypredmeans", "marginal_means",
    "crosstab", "svychisq", "CrossTab", "ChisqTest", "wald_test", "regterm_test", "WaldTest",
    "anova", "LRTest", "pchisqsum", "pfsum",
    *_measures_all,
    "__version__",
]
