"""Rankings ("choose up to k in order"): top-k shares and the exploded (rank-ordered) logit.

:mod:`~survey.measures.ranking.estimators` holds the public functions; ``data``,
``fit``, ``predict`` and ``result`` are its parts. Each name is imported on
first use (PEP 562, :mod:`survey._lazy`).
"""
from survey._lazy import lazy_attributes

__getattr__, __dir__, __all__ = lazy_attributes(__name__, {
    "survey.measures.ranking.estimators": ("topk_shares", "rank_logit", "RankLogitResult"),
})
