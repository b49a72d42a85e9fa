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
from importlib import import_module

__all__ = ["ANALYSES", "SECTIONS"]


class _Registry(dict):
    """kind -> ``"module:function"`` of this package, imported when first looked up (issue 18:
    ``survey run`` forks its worker before the sections' modules are needed; the worker imports
    only the module of the analysis it does)."""

    def __getitem__(self, kind):
        value = super().__getitem__(kind)
        if isinstance(value, str):
            module, name = value.split(":")
            value = getattr(import_module(f"{__name__}.{module}"), name)
            super().__setitem__(kind, value)
        return value

    def get(self, kind, default=None):
        return self[kind] if kind in self else default


SECTIONS = _Registry({
    "overview": "overview:build",
    "tally": "tally:build",
    "crosstabs": "crosstabs:build",
    "sampling_error": "sampling_error:build",
    "next_wave": "next_wave:build",
    "index": "index:build",
    "frequency": "frequency:build",
    "drivers": "drivers:build",
    "reliability": "reliability:build",
    "trend": "trend:build",
    "allocation": "allocation:build",
    "ranking": "ranking:build",
    "indicators": "indicators:build",
    "freetext": "freetext:build",
})

ANALYSES = _Registry({
    "freetext": "freetext:analysis",
})
