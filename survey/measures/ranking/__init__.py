"""Rankings ("choose up to k in order"): top-k shares and the exploded (rank-ordered) logit.

:mod:`~survey.measures.ranking.shares` holds :func:`topk_shares` and
:mod:`~survey.measures.ranking.estimators` the exploded logit (and re-exports
``topk_shares``); ``data``, ``fit``, ``predict`` and ``result`` are their parts.
Each name is imported on first use (PEP 562, :mod:`survey._lazy`).
"""
from survey._lazy import lazy_attributes

#: module -> the public names it defines (survey/measures/__init__.py reuses this table)
_LAZY = {
    "survey.measures.ranking.shares": ("topk_shares",),
    "survey.measures.ranking.estimators": ("rank_logit", "RankLogitResult"),
}

__getattr__, __dir__, __all__ = lazy_attributes(__name__, _LAZY)
