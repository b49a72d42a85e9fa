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
        "ValidationReport", "validate_file", "validate_raw", "Rule", "Severity",
        "mask_personal_data", "mask_series", "mask_text_columns",
    ),
    "survey.pipeline": ("run_wave",),
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
    # every name of survey.measures.__all__ (tests/test_lazy_import.py checks that the two agree)
    "survey.measures": (
        "allocation_means", "allocation_zero_shares", "allocation_mean_shares", "allocation_threshold_shares",
        "allocation_top_k", "allocation_group_test", "allocation_policy", "apply_total_policy",
        "closure", "multiplicative_replacement", "clr", "ilr", "ilr_basis", "closed_geometric_mean",
        "replacement_sensitivity", "ilr_group_test",
        "DirichletFit", "dirichlet_regression", "prepare_composition",
        "SegmentResult", "allocation_segments", "weighted_silhouette", "weighted_calinski_harabasz",
        "satisfaction_index", "satisfaction_distribution", "satisfaction_drivers", "Drivers", "DEFAULT_SCORES",
        "resolve_scores", "compare_groups", "GroupComparison", "VERDICTS", "verdict_text", "adjust_pvalues",
        "park_use_times", "park_nonuse", "park_use_table", "DEFAULT_PARK_MAP",
        "indicator_table", "admin_indicators", "target_verdict", "ADMIN_INDICATORS",
        "INDICATOR_COLUMNS", "wave_estimates", "compare_waves", "trend_table", "cronbach_alpha", "Reliability",
        "topk_shares", "rank_logit", "RankLogitResult",
        "analyse_freetext", "FreeTextTables", "load_keywords", "ThemeDictionary", "code_themes", "theme_shares",
        "representative_quotes", "tokenize", "tokenize_series", "word_frequencies", "weighted_log_odds",
        "cooccurrence",
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
