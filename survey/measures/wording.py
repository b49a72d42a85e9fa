"""The measures' wording: ``survey/measures/wording.yaml`` (issue 17 §3: sentences in catalogues).

The Japanese lines of a rank-ordered logit's own summary (:meth:`RankLogitResult.summary` with
``lang="ja"``: the result describing itself to an analyst, as its English lines do; the report's
sentences are the report's).  The verdicts of the tests and the reasons an alpha is undefined
(:data:`survey.measures.satisfaction.reliability.ALPHA_UNDEFINED`) are codes here; the report
words them: :mod:`survey.report.verdicts`.
"""
from __future__ import annotations

from survey.catalogue import Catalogue

__all__ = ["WORDING", "wording"]

#: The measures' catalogue (:class:`survey.catalogue.Catalogue`).
WORDING = Catalogue("survey.measures", ("wording.yaml",))


def wording(key: str, /, **fields) -> str:
    """The catalogue's sentence ``key`` with ``fields`` filled in (``str.format``)."""
    return WORDING(key, **fields)
