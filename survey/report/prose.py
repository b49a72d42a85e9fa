"""The report's Japanese prose: sentences kept in a catalogue, not in code.

``survey/report/templates/prose_ja.yaml`` holds every sentence of the methods
paragraphs, the weighting diagnostics, the page's default notes, the ledger's
and the open data's descriptions and the planning notes;
``sections_ja.yaml`` the sections' introductions, notes, sentence captions and
reasons (``sections.*``).  Both are one catalogue
(:class:`survey.catalogue.Catalogue`), keyed by a dotted id (``methods.variance``). A value is one string
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

#: The catalogue's file names in ``survey/report/templates/``: the methods, the page's defaults,
#: the ledger, open data and planning; the sections (every key ``sections.*``).
CATALOGUE = ("prose_ja.yaml", "sections_ja.yaml")
#: The report's catalogue (:class:`survey.catalogue.Catalogue`), one namespace over both files.
PROSE = Catalogue("survey.report", tuple(f"templates/{name}" for name in CATALOGUE))


def _catalogue() -> dict[str, str]:
    return PROSE.entries()


def prose(key: str, /, **fields) -> str:
    """The catalogue's sentence ``key`` with ``fields`` filled in (``str.format``)."""
    return PROSE(key, **fields)
