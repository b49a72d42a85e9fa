"""Tables: weighted frequencies and cross tables, park-use frequencies, the sampling-error table.

Each name is imported on first use (PEP 562, :mod:`survey._lazy`).
"""
from survey._lazy import lazy_attributes

#: module -> the public names it defines (survey/measures/__init__.py reuses this table)
_LAZY = {
    "survey.measures.tables.tabulate": ("frequencies", "crosstab_question"),
    "survey.measures.tables.parkuse": ("park_use_times", "park_nonuse", "park_use_table", "DEFAULT_PARK_MAP"),
    "survey.measures.tables.sampling_error": ("sampling_error_table", "margin_of_error"),
}

__getattr__, __dir__, __all__ = lazy_attributes(__name__, _LAZY)
