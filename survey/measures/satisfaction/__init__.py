"""Satisfaction: the scored Likert index, its distribution and drivers, and scale reliability.

Each name is imported on first use (PEP 562, :mod:`survey._lazy`).
"""
from survey._lazy import lazy_attributes

#: module -> the public names it defines (survey/measures/__init__.py reuses this table)
_LAZY = {
    "survey.measures.satisfaction.index": (
        "satisfaction_index", "satisfaction_distribution", "DEFAULT_SCORES", "resolve_scores",
    ),
    "survey.measures.satisfaction.drivers": ("satisfaction_drivers", "Drivers"),
    "survey.measures.satisfaction.reliability": ("cronbach_alpha", "Reliability"),
}

__getattr__, __dir__, __all__ = lazy_attributes(__name__, _LAZY)
