"""The pipelines of the command line, between the report layer and the CLI.

``survey run`` (:func:`run_wave`) builds the sections the questionnaire's
analysis plan declares (:data:`SECTIONS`, one module per section in
:mod:`survey.pipeline.sections`) and places them in the workbook, the CSV
files and ``report.html``; ``survey plan`` (:func:`run_plan`) writes the
next wave's mailing plan.  Each name is imported on first use
(:mod:`survey._lazy`), so ``survey run`` does not load ``survey plan``'s module.
"""
from survey._lazy import lazy_attributes

__getattr__, __dir__, __all__ = lazy_attributes(__name__, {
    "survey.pipeline.plan": ("MAILING_FILE", "plan_folder_name", "run_plan"),
    "survey.pipeline.run": ("RunResult", "require_plan", "run_wave"),
    "survey.pipeline.sections": ("SECTIONS",),
})
