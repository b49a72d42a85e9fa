"""Planning the next wave: how many questionnaires to mail to whom, and what precision they buy.

Above the measures (it asks them for this wave's estimates and the sampling-error
table): :mod:`~survey.planning.inputs` estimates each cell's response rate and
variance from this wave, :mod:`~survey.planning.mailing` allocates the next
mailing for precision or change targets (:mod:`~survey.planning.targets`, with
:mod:`~survey.planning.allocate`), :mod:`~survey.planning.precision` gives the
reverse (the precision a mailing buys) and :mod:`~survey.planning.models` the
response-rate models. The Japanese tables are presentation:
:mod:`survey.report.planning_tables`.

Each name is imported on first use (PEP 562, :mod:`survey._lazy`).
"""
from survey._lazy import lazy_attributes

__getattr__, __dir__, __all__ = lazy_attributes(__name__, {
    "survey.planning.inputs": ("planning_inputs", "PlanInputs"),
    "survey.planning.mailing": (
        "plan_mailing", "MailingPlan", "compare_plans", "TargetsUnreachable",
    ),
    "survey.planning.targets": ("PrecisionTarget", "ChangeTarget"),
    "survey.planning.precision": ("expected_precision", "plan_sampling_error_table"),
})
