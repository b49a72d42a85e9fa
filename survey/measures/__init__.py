"""Measures: what the plan asks about (satisfaction, allocation, ranking, tables)."""
from survey.measures.allocation import (
    allocation_group_test, allocation_mean_shares, allocation_means, allocation_threshold_shares,
    allocation_top_k, allocation_zero_shares, apply_total_policy,
)
from survey.measures.compositional import (
    closed_geometric_mean, closure, clr, ilr, ilr_basis, ilr_group_test, multiplicative_replacement,
    replacement_sensitivity,
)
from survey.measures.differences import compare_groups
from survey.measures.dirichlet import DirichletFit, dirichlet_regression
from survey.measures.frequencies import crosstab_question, frequencies
from survey.measures.indicators import admin_indicators, indicator_table, read_admin
from survey.measures.parkuse import park_nonuse, park_use_table, park_use_times
from survey.measures.ranking import RankLogitResult, rank_logit, topk_shares
from survey.measures.reliability import cronbach_alpha
from survey.measures.sampling_error import margin_of_error, sampling_error_table
from survey.measures.satisfaction import satisfaction_distribution, satisfaction_drivers, satisfaction_index
from survey.measures.segments import allocation_segments
from survey.measures.waves import compare_waves, trend_table, wave_estimates

__all__ = [
    "allocation_means", "allocation_zero_shares", "allocation_mean_shares", "allocation_threshold_shares",
    "allocation_top_k", "allocation_group_test", "apply_total_policy",
    "closure", "multiplicative_replacement", "clr", "ilr", "ilr_basis", "closed_geometric_mean",
    "replacement_sensitivity", "ilr_group_test",
    "compare_groups", "DirichletFit", "dirichlet_regression", "frequencies", "crosstab_question",
    "read_admin", "admin_indicators", "indicator_table",
    "park_use_times", "park_nonuse", "park_use_table",
    "topk_shares", "rank_logit", "RankLogitResult",
    "cronbach_alpha", "sampling_error_table", "margin_of_error",
    "satisfaction_index", "satisfaction_distribution", "satisfaction_drivers",
    "allocation_segments", "wave_estimates", "compare_waves", "trend_table",
]
