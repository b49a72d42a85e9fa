"""The bundled wave for examples: the design the docstrings' ``Examples`` run on.

:func:`bundled_wave` reads the bundled sample (``data/raw/midori_2025_sample.csv``) with
the bundled questionnaire and rakes it to ``data/midori_margins.csv`` exactly as
``survey run`` does::

    q = survey.load_questionnaire("questionnaires/midori_2025.yaml")
    wave = survey.weight_wave(survey.load("data/raw/midori_2025_sample.csv", q),
                              survey.read_margins("data/midori_margins.csv"))

once per process (the doctests share it).  The same design in R, whose numbers
``tests/test_examples.py`` checks, is built by ``tests/reference/bundled_wave.R``::

    wave <- calibrate(svydesign(ids = ~1, weights = ~bw, data = d),
                      ~rake_age_band + rake_sex + rake_district, population, calfun = "raking")
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from survey.errors import InputError

__all__ = ["bundled_wave"]

_ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def bundled_wave():
    """``(wave, questionnaire)``: the bundled FY2025 sample's raked design and its questionnaire.

    The sample and margins live in the source tree's ``data/`` (not in the wheel); outside a
    source checkout this is an :class:`~survey.errors.InputError`.

    >>> from survey.examples import bundled_wave
    >>> wave, q = bundled_wave()
    >>> wave
    Design(n=1352, strata=0, clusters=1352, stages=1, fpc=no, steps=rake)
    >>> q.id, q.wave
    ('midori', 'FY2025')
    """
    import survey
    from survey.bundled import bundled_path

    data = _ROOT / "data" / "raw" / "midori_2025_sample.csv"
    margins = _ROOT / "data" / "midori_margins.csv"
    for path in (data, margins):
        if not path.is_file():
            raise InputError(f"the bundled sample is not here ({path}); the examples need a source "
                             "checkout of midori-survey (its data/ folder)", path=path)
    questionnaire = survey.load_questionnaire(bundled_path())
    return survey.weight_wave(survey.load(data, questionnaire), survey.read_margins(margins)), questionnaire
