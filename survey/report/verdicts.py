"""The verdicts in words: the report layer's reading of the measures' verdict codes.

The measures return numbers and a machine verdict, one fixed code per test
(``verdict``: ``"higher"``, ``"lower"``, ``"no_difference"``, ``"untestable"``
for two groups; ``"increase"``, ``"decrease"``, ``"no_change"``,
``"untestable_change"`` for a change; ``"met"``, ``"indistinguishable"``,
``"not_met"``, ``"untestable_target"`` against a target; the administrative
indicators' ``"met_exact"``, ``"not_met_exact"``, ``"increase_exact"``,
``"decrease_exact"``, ``"same_exact"``; ``"baseline_year"``:
:data:`survey.measures.differences.VERDICTS`).  The report turns a code into
a sentence here, from the prose catalogue (``verdicts.<code>.ja`` and
``.en`` in ``survey/report/templates/prose_ja.yaml``), with ``{group}`` and
``{reference}`` filled in::

    verdict_text("higher", group="西部", reference="東部")   # 西部は東部より高い（統計的に有意な差）

An empty code (the reference row of a table: the city itself) reads as an
empty string.  The reasons a measure gives for a figure it cannot compute are
codes too, worded here the same way: why Cronbach's alpha is undefined
(:data:`survey.measures.satisfaction.reliability.ALPHA_UNDEFINED`,
``alpha_undefined.<code>.ja``/``.en``) by :func:`alpha_undefined_text`.
"""
from __future__ import annotations

from survey.errors import DesignError
from survey.report.prose import _catalogue, prose

__all__ = ["LANGUAGES", "alpha_undefined_text", "verdict_text", "verdict_texts"]

#: The languages of the verdicts in the catalogue.
LANGUAGES = ("ja", "en")


def verdict_text(code: str, *, group="", reference="", lang: str = "ja") -> str:
    """The sentence of a verdict ``code`` in ``lang`` (``"ja"`` or ``"en"``).

    >>> verdict_text("higher", group="西部", reference="東部")
    '西部は東部より高い（統計的に有意な差）'
    >>> verdict_text("no_change", group="FY2030", reference="FY2025", lang="en")
    'No clear change from FY2025 to FY2030'
    >>> verdict_text("")
    ''
    """
    if lang not in LANGUAGES:
        raise DesignError(f"verdict language {lang!r} is not one of {list(LANGUAGES)}")
    if code == "":
        return ""
    try:
        return prose(f"verdicts.{code}.{lang}", group=group, reference=reference)
    except KeyError:
        known = sorted({k.split(".")[1] for k in _catalogue() if k.startswith("verdicts.")})
        raise DesignError(f"unknown verdict {code!r}; known: {known}") from None


def verdict_texts(codes, groups=None, references=None, *, lang: str = "ja") -> list[str]:
    """:func:`verdict_text` of each code, with the group and reference of its row
    (one value for every row when a string is given, or none)."""
    codes = list(codes)

    def each(values):
        if values is None or isinstance(values, str):
            return ["" if values is None else values] * len(codes)
        return [str(v) for v in values]

    return [verdict_text(c, group=g, reference=r, lang=lang)
            for c, g, r in zip(codes, each(groups), each(references))]


def alpha_undefined_text(code: str, *, lang: str = "ja") -> str:
    """Why an alpha is undefined, in ``lang``: the reason ``code`` of
    :attr:`survey.measures.satisfaction.reliability.Reliability.reason` (one of
    :data:`~survey.measures.satisfaction.reliability.ALPHA_UNDEFINED`; ``""``, a defined
    alpha, reads as ``""``).

    >>> alpha_undefined_text("no_variance")
    '算出できない：全員が全項目に同じ回答（分散0）'
    >>> alpha_undefined_text("below_minus_one", lang="en")
    'undefined: alpha below -1 (negatively correlated items; check for reversed items)'
    """
    if lang not in LANGUAGES:
        raise DesignError(f"language {lang!r} is not one of {list(LANGUAGES)}")
    if code == "":
        return ""
    try:
        return prose(f"alpha_undefined.{code}.{lang}")
    except KeyError:
        known = sorted({k.split(".")[1] for k in _catalogue() if k.startswith("alpha_undefined.")})
        raise DesignError(f"unknown reason {code!r} for an undefined alpha; known: {known}") from None
