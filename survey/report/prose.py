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

from functools import lru_cache
from importlib.resources import files

from survey.spec_loader import load_yaml

__all__ = ["CATALOGUE", "prose"]

#: The catalogue's file name in ``survey/report/templates/``.
CATALOGUE = "prose_ja.yaml"


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, str]:
    resource = files("survey.report").joinpath("templates", CATALOGUE)
    data = load_yaml(resource.read_bytes(), path=str(resource), what="prose catalogue")
    out: dict[str, str] = {}

    def walk(prefix: str, node) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(f"{name}.", value)
            elif isinstance(value, list):
                out[name] = "".join(str(v) for v in value)
            else:
                out[name] = str(value)

    walk("", data)
    return out


def prose(key: str, /, **fields) -> str:
    """The catalogue's sentence ``key`` with ``fields`` filled in (``str.format``)."""
    catalogue = _catalogue()
    if key not in catalogue:
        raise KeyError(f"no sentence {key!r} in {CATALOGUE}; known: {', '.join(sorted(catalogue))}")
    return catalogue[key].format(**fields)
