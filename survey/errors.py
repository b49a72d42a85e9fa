"""One error family for the whole toolkit.

Every error a user can meet is a :class:`SurveyError` (which is also a
``ValueError``), so a generic handler still catches it.  Messages say what
was received, where (file, row, column, key) and how to fix it.
"""
from __future__ import annotations

from survey.safetext import terminal_safe

__all__ = [
    "SurveyError",
    "SpecError",
    "InputError",
    "OutputError",
    "DesignError",
    "ConvergenceError",
    "ColumnError",
    "OptionError",
]


class SurveyError(ValueError):
    """Base class of every error raised on purpose by the toolkit.

    The text is always one line, safe to print on a terminal: control
    characters that reached a message from the data (a line break in a
    column heading, a YAML key or a file name, a terminal escape, a
    bidirectional override) are shown escaped (``\\n``, ``\\x1b``,
    ``\\u202e``; :func:`survey.safetext.terminal_safe`), so the command
    line's one-line reason stays one line and shows what is there.
    """

    def __str__(self) -> str:
        return terminal_safe(super().__str__())


class SpecError(SurveyError):
    """A questionnaire specification (YAML) is broken."""

    def __init__(self, message: str, *, path=None, key=None):
        self.path = None if path is None else str(path)
        self.key = key
        where = []
        if self.path:
            where.append(f"file {self.path}")
        if key:
            where.append(f"key {key}")
        prefix = f"[{', '.join(where)}] " if where else ""
        super().__init__(prefix + message)


class InputError(SurveyError):
    """A data file cannot be used (unreadable, wrong encoding, missing columns...)."""

    def __init__(self, message: str, *, path=None, row=None, column=None):
        self.path = None if path is None else str(path)
        self.row = row
        self.column = column
        where = []
        if self.path:
            where.append(f"file {self.path}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        prefix = f"[{', '.join(where)}] " if where else ""
        super().__init__(prefix + message)


class OutputError(SurveyError):
    """An output cannot be written (``--out`` is a file, a full disk, no
    permission, a folder locked by another run ...)."""

    def __init__(self, message: str, *, path=None):
        self.path = None if path is None else str(path)
        super().__init__((f"[output {self.path}] " if self.path else "") + message)


class DesignError(SurveyError):
    """A survey design or an estimator's arguments are inconsistent."""


class ConvergenceError(SurveyError):
    """An iterative procedure (raking, model fit) did not converge."""


class ColumnError(InputError, DesignError):
    """A column named in a call is not in the design's data, or cannot be used
    as asked (``by`` that is not a column name).

    One class for this mistake wherever it is made (``Design.mean`` and
    ``satisfaction_index`` alike, :mod:`survey.validation`); it is also an
    :class:`InputError` and a :class:`DesignError`, which the estimators
    raised for it before.
    """


class OptionError(InputError, DesignError):
    """An argument's value is outside what the function accepts: a confidence
    level outside (0, 1), a policy or method that is not one of the choices
    (:mod:`survey.validation`).  Also an :class:`InputError` and a
    :class:`DesignError`, as the estimators raised before."""
