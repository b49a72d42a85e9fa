"""The report's Japanese prose: sentences kept in a catalogue, not in code.

``survey/report/templates/prose_ja.yaml`` holds every sentence of the methods
paragraphs, the weighting diagnostics and the sections' standard introductions
and notes, keyed by a dotted id (``methods.variance``). A value is one string
or a list of fragments joined without a separator (Japanese has no spaces
between sentences), with ``str.format`` fields for the figures
(``{kish_deff:.3f}``). :func:`prose` fills one in::

    prose("methods.mailing", file="mailing.csv", cells="地区×年代", strata=28, mailed="2,000")

The catalogue is read once, on first use. A missing id or field is a
programming error of the caller (``KeyError``), met by the tests of every
report.
"""
from __future__ import annotations

from survey.catalogue import Catalogue

__all__ = ["CATALOGUE", "PROSE", "prose"]

#: The catalogue's file name in ``survey/report/templates/``.
CATALOGUE = "prose_ja.yaml"
#: The report's catalogue (:class:`survey.catalogue.Catalogue`).
PROSE = Catalogue("survey.report", (f"templates/{CATALOGUE}",))


def _catalogue() -> dict[str, str]:
    return PROSE.entries()


def prose(key: str, /, **fields) -> str:
    """The catalogue's sentence ``key`` with ``fields`` filled in (``str.format``)."""
    return PROSE(key, **fields)
