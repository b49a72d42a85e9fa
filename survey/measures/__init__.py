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

Each name is imported on first use (PEP 562, :mod:`survey._lazy`; the table
is the sub-packages' tables, :func:`survey._lazy.merge_tables`), so that a
caller of one measure does not load the others' libraries (statsmodels, janome for the
free text; the segments' k-means and the compositional transforms are numpy: issue 18).
"""
from survey._lazy import lazy_attributes, merge_tables
# the sub-packages' __init__ files hold only their tables (module -> names); nothing heavy is loaded
from survey.measures import allocation, freetext, indicators, ranking, satisfaction, tables

__getattr__, __dir__, __all__ = lazy_attributes(__name__, merge_tables(
    allocation._LAZY,
    satisfaction._LAZY,
    {"survey.measures.differences": (
        "compare_groups", "GroupComparison", "VERDICTS", "adjust_pvalues")},
    tables._LAZY,
    indicators._LAZY,
    ranking._LAZY,
    # the side tables the indicators and the weights read (survey.intake.sidetables)
    {"survey.intake.sidetables": ("read_admin", "read_mailing")},
    freetext._LAZY,
))
