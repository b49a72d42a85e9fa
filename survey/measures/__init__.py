"""Measures: what the plan asks about (satisfaction, allocation, ranking, tables).

Each name is imported on first use (PEP 562, :mod:`survey._lazy`), so that a
caller of one measure does not load the others' libraries (scikit-learn for the
segments, scikit-bio for the compositional transforms, statsmodels).
"""
from survey._lazy import lazy_attributes
# names that are modules of this package too are bound now: importing the module first
# (survey.measures.frequencies) would otherwise hide the function behind it
from survey.measures.frequencies import frequencies
from survey.measures.planning_inputs import planning_inputs

__getattr__, __dir__, __all__ = lazy_attributes(__name__, {
    # allocation (the ¥1,000 question)
    "survey.measures.allocation": (
        "allocation_means", "allocation_zero_shares", "allocation_mean_shares", "allocation_threshold_shares",
        "allocation_top_k", "allocation_group_test", "allocation_policy", "apply_total_policy",
    ),
    "survey.measures.compositional": (
        "closure", "multiplicative_replacement", "clr", "ilr", "ilr_basis", "closed_geometric_mean",
        "replacement_sensitivity", "ilr_group_test",
    ),
    "survey.measures.dirichlet": ("DirichletFit", "dirichlet_regression", "prepare_composition"),
    "survey.measures.segments": (
        "SegmentResult", "allocation_segments", "weighted_silhouette", "weighted_calinski_harabasz",
    ),
    # satisfaction and indicators
    "survey.measures.satisfaction": (
        "satisfaction_index", "satisfaction_distribution", "satisfaction_drivers", "Drivers", "DEFAULT_SCORES",
        "resolve_scores",
    ),
    "survey.measures.differences": ("compare_groups", "GroupComparison", "VERDICTS", "verdict_text", "adjust_pvalues"),
    "survey.measures.parkuse": ("park_use_times", "park_nonuse", "park_use_table", "DEFAULT_PARK_MAP"),
    "survey.measures.indicators": (
        "indicator_table", "admin_indicators", "read_admin", "target_verdict", "ADMIN_INDICATORS", "INDICATOR_COLUMNS",
    ),
    "survey.measures.waves": ("wave_estimates", "compare_waves", "trend_table"),
    "survey.measures.reliability": ("cronbach_alpha", "Reliability"),
    # rankings
    "survey.measures.ranking": ("topk_shares", "rank_logit", "RankLogitResult"),
    # planning the next wave
    "survey.measures.planning_inputs": ("planning_inputs", "PlanInputs", "read_mailing"),
    "survey.measures.planning": ("plan_mailing", "MailingPlan", "compare_plans", "PrecisionTarget", "ChangeTarget"),
    "survey.measures.planning_precision": ("expected_precision", "plan_sampling_error_table"),
    "survey.measures.planning_tables": ("plan_tables", "plan_table_names"),
    # free text (自由記述)
    "survey.measures.freetext": (
        "analyse_freetext", "FreeTextTables", "load_keywords", "ThemeDictionary", "code_themes", "theme_shares",
        "representative_quotes", "tokenize", "tokenize_series", "word_frequencies", "weighted_log_odds",
        "cooccurrence",
    ),
    # tables
    "survey.measures.frequencies": ("frequencies", "crosstab_question"),
    "survey.measures.sampling_error": ("sampling_error_table", "margin_of_error"),
})
