"""Weighting a wave: base weights from the mailing, then raking to the population margins.

Between the design (which holds the weights and rakes) and the measures: it reads
the questionnaire's plan (``analysis.weighting``) and the side tables
(:mod:`survey.intake.sidetables`) and returns a raked :class:`~survey.design.Design`.

Each name is imported on first use (PEP 562, :mod:`survey._lazy`).
"""
from survey._lazy import lazy_attributes

__getattr__, __dir__, __all__ = lazy_attributes(__name__, {
    "survey.weighting.wave": (
        "weight_wave", "plan_margins", "raking_margins", "mailing_cells", "UNKNOWN_LEVEL", "MAX_ADJUSTMENT",
    ),
    "survey.intake.sidetables": ("read_margins",),
})
