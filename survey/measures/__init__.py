"""Measures: what the plan asks about, one sub-package per kind of question.

* :mod:`~survey.measures.satisfaction` -- the scored index, its distribution and drivers; scale reliability
* :mod:`~survey.measures.allocation` -- the ¥1,000 allocation: means, log-ratios, Dirichlet regression, segments
* :mod:`~survey.measures.ranking` -- top-k shares and the exploded logit
* :mod:`~survey.measures.freetext` -- free-text words and themes
* :mod:`~survey.measures.tables` -- frequencies and cross tables, park use, the sampling-error table
* :mod:`~survey.measures.indicators` -- the plan's indicator table and change across waves (uses the above)

The sub-packages do not import each other (``setup.cfg``, import-linter);
what they share sits below them in :mod:`~survey.measures.derive` (answer codes
and derived variables) and :mod:`~survey.measures.differences` (group
comparisons and verdicts).

Each name is imported on first use (PEP 562, :mod:`survey._lazy`), so that a
caller of one measure does not load the others' libraries (scikit-learn for the
segments, scikit-bio for the compositional transforms, statsmodels).
"""
from survey._lazy import lazy_attributes

__getattr__, __dir__, __all__ = lazy_attributes(__name__, {
    # allocation (the ¥1,000 question)
    "survey.measures.allocation.means": (
        "allocation_means", "allocation_zero_shares", "allocation_mean_shares", "allocation_threshold_shares",
        "allocation_top_k", "allocation_group_test",
    ),
    "survey.measures.allocation.policy": ("allocation_policy", "apply_total_policy"),
    "survey.measures.allocation.compositional": (
        "closure", "multiplicative_replacement", "clr", "ilr", "ilr_basis", "closed_geometric_mean",
        "replacement_sensitivity", "ilr_group_test",
    ),
    "survey.measures.allocation.dirichlet": ("DirichletFit", "dirichlet_regression", "prepare_composition"),
    "survey.measures.allocation.segments": (
        "SegmentResult", "allocation_segments", "weighted_silhouette", "weighted_calinski_harabasz",
    ),
    # satisfaction and indicators
    "survey.measures.satisfaction.index": (
        "satisfaction_index", "satisfaction_distribution", "DEFAULT_SCORES", "resolve_scores",
    ),
    "survey.measures.satisfaction.drivers": ("satisfaction_drivers", "Drivers"),
    "survey.measures.differences": ("compare_groups", "GroupComparison", "VERDICTS", "verdict_text", "adjust_pvalues"),
    "survey.measures.tables.parkuse": ("park_use_times", "park_nonuse", "park_use_table", "DEFAULT_PARK_MAP"),
    "survey.measures.indicators.headline": (
        "indicator_table", "admin_indicators", "target_verdict", "ADMIN_INDICATORS", "INDICATOR_COLUMNS",
    ),
    "survey.measures.indicators.waves": ("wave_estimates", "compare_waves", "trend_table"),
    "survey.measures.satisfaction.reliability": ("cronbach_alpha", "Reliability"),
    # rankings
    "survey.measures.ranking.estimators": ("topk_shares", "rank_logit", "RankLogitResult"),
    # the side tables the indicators and the weights read (survey.intake.sidetables)
    "survey.intake.sidetables": ("read_admin", "read_mailing"),
    # free text (自由記述)
    "survey.measures.freetext.analyse": (
        "analyse_freetext", "FreeTextTables", "load_keywords", "ThemeDictionary", "code_themes", "theme_shares",
        "representative_quotes", "tokenize", "tokenize_series", "word_frequencies", "weighted_log_odds",
        "cooccurrence",
    ),
    # tables
    "survey.measures.tables.tabulate": ("frequencies", "crosstab_question"),
    "survey.measures.tables.sampling_error": ("sampling_error_table", "margin_of_error"),
})
