"""Synthetic Asaka population, survey waves and contractor deliveries.

The simulator builds an adult population with known answers (so true
population values are exact), draws a mailed sample with age-dependent
non-response, and writes what a contractor delivers (CP932 CSV, Japanese
headers, realistic defects).  Assumptions: ``data/SIMULATION.md``.
"""
from survey.simulate.answers import simulate_answers
from survey.simulate.defects import DEFECT_KINDS, Defect, inject_defect
from survey.simulate.delivery import cp932_text, delivery_headers, to_delivery
from survey.simulate.large import write_large_delivery
from survey.simulate.population import population_margins, simulate_population
from survey.simulate.truth import population_truth
from survey.simulate.wave import (
    BUNDLED_DEFECTS,
    BUNDLED_SEEDS,
    DEFAULT_SHIFTS,
    POPULATION_SEED,
    SimulatedWave,
    run_simulate,
    simulate_wave,
    stratified_sample,
    write_wave,
)

__all__ = [
    "BUNDLED_DEFECTS",
    "BUNDLED_SEEDS",
    "DEFAULT_SHIFTS",
    "DEFECT_KINDS",
    "POPULATION_SEED",
    "Defect",
    "SimulatedWave",
    "cp932_text",
    "delivery_headers",
    "inject_defect",
    "population_margins",
    "population_truth",
    "run_simulate",
    "simulate_answers",
    "simulate_population",
    "simulate_wave",
    "stratified_sample",
    "to_delivery",
    "write_large_delivery",
    "write_wave",
]
