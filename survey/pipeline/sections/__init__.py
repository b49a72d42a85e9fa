"""The sections of a wave's report, registered by kind.

:data:`SECTIONS` maps each kind of the analysis plan
(:data:`survey.questionnaire_plan.KINDS`) to the function that builds a
section of that kind, ``build(spec, ctx) -> SectionResult``
(:mod:`survey.pipeline.base`).  A new analysis is one module here with its
``build``, one entry below and its options in ``KINDS``.

:data:`ANALYSES` maps a kind to its section's heavy computation,
``analysis(spec, ctx)``, when the section has one that the run's second
process can do in advance (the section's ``build`` asks for it with
:meth:`WaveContext.analysed <survey.pipeline.base.WaveContext.analysed>`).
"""
from survey.pipeline.sections import (
    allocation, crosstabs, drivers, freetext, frequency, index, indicators, next_wave, overview, ranking,
    reliability, sampling_error, tally, trend,
)

__all__ = ["ANALYSES", "SECTIONS"]

SECTIONS = {
    "overview": overview.build,
    "tally": tally.build,
    "crosstabs": crosstabs.build,
    "sampling_error": sampling_error.build,
    "next_wave": next_wave.build,
    "index": index.build,
    "frequency": frequency.build,
    "drivers": drivers.build,
    "reliability": reliability.build,
    "trend": trend.build,
    "allocation": allocation.build,
    "ranking": ranking.build,
    "indicators": indicators.build,
    "freetext": freetext.build,
}

ANALYSES = {
    "freetext": freetext.analysis,
}
