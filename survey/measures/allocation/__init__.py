"""Allocation (the ¥1,000 question): design-based means and tests, log-ratio views,
Dirichlet regression and clr segments.

Each name is imported on first use (PEP 562, :mod:`survey._lazy`), so the means
do not load the modules of the log-ratios, the Dirichlet fit or the segments.
"""
from survey._lazy import lazy_attributes

#: module -> the public names it defines (survey/measures/__init__.py reuses this table)
_LAZY = {
    "survey.measures.allocation.means": (
        "allocation_means", "allocation_zero_shares", "allocation_mean_shares", "allocation_threshold_shares",
        "allocation_top_k", "allocation_group_test", "MeanVectorComparison",
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
}

__getattr__, __dir__, __all__ = lazy_attributes(__name__, _LAZY)
