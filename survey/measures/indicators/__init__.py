"""Indicators: the plan's indicator table (成果指標) and change across waves.

Above the other measure sub-packages: a survey indicator is a scored index or
a mean of mapped answers; an administrative one a ratio of the admin file's
columns, as the questionnaire declares. Each name is imported on first use (PEP 562,
:mod:`survey._lazy`).
"""
from survey._lazy import lazy_attributes

#: module -> the public names it defines (survey/measures/__init__.py reuses this table)
_LAZY = {
    "survey.measures.indicators.headline": (
        "indicator_table", "admin_indicators", "target_verdict", "INDICATOR_COLUMNS",
    ),
    "survey.intake.sidetables": ("read_admin",),
    "survey.measures.indicators.waves": ("wave_estimates", "compare_waves", "WaveComparison", "trend_table"),
}

__getattr__, __dir__, __all__ = lazy_attributes(__name__, _LAZY)
