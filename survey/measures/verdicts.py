"""The measures' wording: ``survey/measures/verdicts.yaml`` (issue 17 §3: sentences in catalogues).

The plain-language verdicts of comparisons (:data:`survey.measures.differences.VERDICTS`) and of
exact changes (:func:`survey.measures.indicators.headline.indicator_table`), why an
alpha is undefined (:data:`survey.measures.satisfaction.reliability.ALPHA_UNDEFINED`) and the
Japanese summary of a rank-ordered logit (:meth:`RankLogitResult.summary`), Japanese and English.
"""
from __future__ import annotations

from survey.catalogue import Catalogue

__all__ = ["WORDING", "wording"]

#: The measures' catalogue (:class:`survey.catalogue.Catalogue`).
WORDING = Catalogue("survey.measures", ("verdicts.yaml",))


def wording(key: str, /, **fields) -> str:
    """The catalogue's sentence ``key`` with ``fields`` filled in (``str.format``)."""
    return WORDING(key, **fields)
