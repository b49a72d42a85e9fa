"""Measures: what the plan asks about (satisfaction, allocation, ranking, tables)."""
from survey.measures.allocation import (
    allocation_group_test, allocation_mean_shares, allocation_means, allocation_threshold_shares,
    allocation_policy, allocation_top_k, allocation_zero_shares, apply_total_policy,
)
from survey.measures.compositional import (
    closed_geometric_mean, closure, clr, ilr, ilr_basis, ilr_group_test, multiplicative_replacement,
    replacement_sensitivity,
)
from survey.measures.differences import VERDICTS, GroupComparison, adjust_pvalues, compare_groups, verdict_text
from survey.measures.dirichlet import DirichletFit, dirichlet_regression, prepare_composition
from survey.measures.freetext import (
    FreeTextTables, ThemeDictionary, analyse_freetext, code_themes, cooccurrence, load_keywords,
    representative_quotes, theme_shares, tokenize, tokenize_series, weighted_log_odds, word_frequencies,
)
from survey.measures.frequencies import crosstab_question, frequencies
from survey.measures.indicators import (
    ADMIN_INDICATORS, INDICATOR_COLUMNS, admin_indicators, indicator_table, read_admin, target_verdict,
)
from survey.measures.parkuse import DEFAULT_PARK_MAP, park_nonuse, park_use_table, park_use_times
from survey.measures.planning import ChangeTarget, MailingPlan, PrecisionTarget, compare_plans, plan_mailing
from survey.measures.planning_inputs import PlanInputs, planning_inputs, read_mailing
from survey.measures.planning_precision import expected_precision, plan_sampling_error_table
from survey.measures.planning_tables import plan_table_names, plan_tables
from survey.measures.ranking import RankLogitResult, rank_logit, topk_shares
from survey.measures.reliability import Reliability, cronbach_alpha
from survey.measures.sampling_error import margin_of_error, sampling_error_table
from survey.measures.satisfaction import (
    DEFAULT_SCORES, Drivers, resolve_scores, satisfaction_distribution, satisfaction_drivers, satisfaction_index,
)
from survey.measures.segments import (
    SegmentResult, allocation_segments, weighted_calinski_harabasz, weighted_silhouette,
)
from survey.measures.waves import compare_waves, trend_table, wave_estimates

__all__ = [
    # allocation (the ¥1,000 question)
    "allocation_means", "allocation_zero_shares", "allocation_mean_shares", "allocation_threshold_shares",
    "allocation_top_k", "allocation_group_test", "allocation_policy", "apply_total_policy",
    "closure", "multiplicative_replacement", "clr", "ilr", "ilr_basis", "closed_geometric_mean",
    "replacement_sensitivity", "ilr_group_test",
    "DirichletFit", "dirichlet_regression", "prepare_composition",
    "SegmentResult", "allocation_segments", "weighted_silhouette", "weighted_calinski_harabasz",
    # satisfaction and indicators
    "satisfaction_index", "satisfaction_distribution", "satisfaction_drivers", "Drivers", "DEFAULT_SCORES",
    "resolve_scores", "compare_groups", "GroupComparison", "VERDICTS", "verdict_text", "adjust_pvalues",
    "park_use_times", "park_nonuse", "park_use_table", "DEFAULT_PARK_MAP",
    "indicator_table", "admin_indicators", "read_admin", "target_verdict", "ADMIN_INDICATORS", "INDICATOR_COLUMNS",
    "wave_estimates", "compare_waves", "trend_table", "cronbach_alpha", "Reliability",
    # rankings
    "topk_shares", "rank_logit", "RankLogitResult",
    # planning the next wave
    "planning_inputs", "PlanInputs", "read_mailing", "plan_mailing", "MailingPlan", "compare_plans",
    "PrecisionTarget", "ChangeTarget", "expected_precision", "plan_sampling_error_table", "plan_tables",
    "plan_table_names",
    # free text (自由記述)
    "analyse_freetext", "FreeTextTables", "load_keywords", "ThemeDictionary", "code_themes", "theme_shares",
    "representative_quotes", "tokenize", "tokenize_series", "word_frequencies", "weighted_log_odds", "cooccurrence",
    # tables
    "frequencies", "crosstab_question", "sampling_error_table", "margin_of_error",
]
