"""midori-survey: design-based statistics for municipal citizen questionnaires."""
from survey.errors import ConvergenceError, DesignError, InputError, SpecError, SurveyError

__version__ = "0.1.0"

__all__ = [
    "SurveyError",
    "SpecError",
    "InputError",
    "DesignError",
    "ConvergenceError",
    "__version__",
]
