"""Synthetic populations, survey waves and contractor deliveries.

The simulator builds an adult population with known answers (so true
population values are exact), draws a mailed sample with non-response, and
writes what a contractor delivers (CP932 CSV, Japanese headers, realistic
defects).  The engine is generic over question types; what a population is
and how it answers a questionnaire is its *simulation model*, a YAML file
beside the questionnaire (``questionnaires/midori_2025_simulation.yaml``).
Format and assumptions: ``data/SIMULATION.md``.  Names are imported on first
use (PEP 562); the bundled model's constants (``BUNDLED_SEEDS`` …) are read
from its file then.
"""
from survey._lazy import lazy_attributes

__getattr__, __dir__, __all__ = lazy_attributes(__name__, {
    "survey.simulate.answers": ("simulate_answers",),
    "survey.simulate.defects": ("DEFECT_KINDS", "Defect", "inject_defect"),
    "survey.simulate.delivery": ("cp932_text", "delivery_headers", "reported_attributes", "to_delivery"),
    "survey.simulate.large": ("write_large_delivery",),
    "survey.simulate.model": ("SimulationModel",),
    "survey.simulate.model_parse": ("default_model_path", "load_model", "model_for"),
    "survey.simulate.population": ("population_margins", "simulate_population"),
    "survey.simulate.sampling": ("response_propensity", "stratified_sample"),
    "survey.simulate.truth": ("population_truth",),
    "survey.simulate.wave": (
        "BUNDLED_DEFECTS", "BUNDLED_SEEDS", "DEFAULT_SHIFTS", "POPULATION_SEED", "SimulatedWave", "run_simulate",
        "simulate_wave", "write_wave",
    ),
})
