"""midori-survey: design-based statistics for municipal citizen questionnaires.

The public API is re-exported here; see README.md for an overview. Each name is
imported on first use (PEP 562, :mod:`survey._lazy`): ``import survey`` loads only
this table, so the ``survey`` command starts without the analysis stack.
"""
from survey._lazy import lazy_attributes

__getattr__, __dir__, __all__ = lazy_attributes(__name__, {
    "survey.errors": ("SurveyError", "SpecError", "InputError", "OutputError", "DesignError", "ConvergenceError",
                      "ColumnError", "OptionError"),
    "survey.questionnaire": ("Questionnaire", "load_questionnaire"),
    "survey.intake": (
        "Dataset", "Ledger", "load", "normalise", "read_raw",
        "ValidationReport", "validate_file", "Rule", "Severity", "mask_personal_data",
    ),
    "survey.pipeline": ("run_wave",),
    # the markers of the whole-sample row (全体: park_use_table, crosstab_question) and of no answer (無回答)
    "survey.labels": ("TOTAL_LABEL", "NO_ANSWER_LABEL"),
    "survey.intake.sidetables": ("read_margins", "read_admin", "read_mailing"),
    "survey.weighting.wave": ("weight_wave",),
    "survey.simulate": (
        "simulate_population", "simulate_wave", "run_simulate", "write_large_delivery", "inject_defect",
    ),
    "survey.design": (
        "Design", "Estimate", "ReplicateDesign", "weight_diagnostics",
        "svyby", "with_replicates", "svycontrast", "svyttest", "TTest",
    ),
    "survey.design.regression": ("glm", "svyglm", "GLMResult", "RegressionResult"),
    "survey.design.olr": ("olr", "svyolr", "OLRResult"),
    "survey.design.predict": ("PredictionResult",),
    "survey.design.predmeans": ("svypredmeans", "marginal_means"),
    "survey.design.tables": ("crosstab", "svychisq", "CrossTab", "ChisqTest"),
    "survey.design.wald": ("wald_test", "WaldTest"),
    "survey.design.anova": ("anova", "regterm_test", "LRTest"),
    "survey.design.chisqsum": ("pchisqsum", "pfsum"),
    # the estimators, their results and the constants a reader of their tables needs; the
    # measures' helpers (transforms, tokenisers, p-value adjustment, verdict wording ...) are
    # survey.measures' names only (tests/test_lazy_import.py: HELPERS)
    "survey.measures": (
        "allocation_means", "allocation_zero_shares", "allocation_mean_shares", "allocation_threshold_shares",
        "allocation_top_k", "allocation_group_test", "MeanVectorComparison", "allocation_policy", "apply_total_policy",
        "closure", "clr", "ilr", "closed_geometric_mean", "replacement_sensitivity", "ilr_group_test",
        "DirichletFit", "dirichlet_regression",
        "SegmentResult", "allocation_segments",
        "satisfaction_index", "satisfaction_distribution", "satisfaction_drivers", "Drivers",
        "compare_groups", "GroupComparison", "VERDICTS",
        "park_use_times", "park_nonuse", "park_use_table",
        "indicator_table", "admin_indicators",
        "wave_estimates", "compare_waves", "WaveComparison", "trend_table", "cronbach_alpha", "Reliability",
        "topk_shares", "rank_logit", "RankLogitResult",
        "analyse_freetext", "FreeTextTables", "load_keywords", "ThemeDictionary", "theme_shares",
        "frequencies", "crosstab_question", "sampling_error_table", "margin_of_error",
    ),
    # planning the next wave (above the measures) and its tables in Japanese (the report layer)
    "survey.planning": (
        "planning_inputs", "PlanInputs", "plan_mailing", "MailingPlan", "compare_plans", "PrecisionTarget",
        "ChangeTarget", "expected_precision", "plan_sampling_error_table",
    ),
    "survey.report.planning_tables": ("plan_tables", "plan_table_names"),
    "survey._version": ("__version__",),
}, submodules=("errors", "validation", "questionnaire", "intake", "design", "weighting", "measures",
               "planning", "report", "pipeline", "simulate"))
