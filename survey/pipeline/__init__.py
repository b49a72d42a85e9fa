"""The pipelines of the command line, between the report layer and the CLI.

``survey run`` (:func:`run_wave`) builds the sections the questionnaire's
analysis plan declares (:data:`SECTIONS`, one module per section in
:mod:`survey.pipeline.sections`) and places them in the workbook, the CSV
files and ``report.html``; ``survey plan`` (:func:`run_plan`) writes the
next wave's mailing plan.
"""
from survey.pipeline.plan import MAILING_FILE, plan_folder_name, run_plan
from survey.pipeline.run import RunResult, require_plan, run_wave
from survey.pipeline.sections import SECTIONS

__all__ = ["MAILING_FILE", "RunResult", "SECTIONS", "plan_folder_name", "require_plan", "run_plan", "run_wave"]
