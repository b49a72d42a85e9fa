"""The measures' wording: ``survey/measures/wording.yaml`` (issue 17 §3: sentences in catalogues).

Why an alpha is undefined (:data:`survey.measures.satisfaction.reliability.ALPHA_UNDEFINED`) and the
Japanese summary of a rank-ordered logit (:meth:`RankLogitResult.summary`), Japanese and English.
(The verdicts of the tests are codes here; the report words them: :mod:`survey.report.verdicts`.)
"""
from __future__ import annotations

from survey.catalogue import Catalogue

__all__ = ["WORDING", "wording"]

#: The measures' catalogue (:class:`survey.catalogue.Catalogue`).
WORDING = Catalogue("survey.measures", ("wording.yaml",))


def wording(key: str, /, **fields) -> str:
    """The catalogue's sentence ``key`` with ``fields`` filled in (``str.format``)."""
    return WORDING(key, **fields)
