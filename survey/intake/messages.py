"""The intake's sentences: ``survey/intake/messages.yaml`` (issue 17 §3).

The validation rules' categories, titles and message templates
(:data:`survey.intake.rules.RULES`), the wording their messages are filled
with and the frame of the text report live in that catalogue, Japanese and
English side by side; :func:`message` fills one in::

    message("wording.no_answer_code.ja", code=9)   # '無回答なら9を入力してください'
"""
from __future__ import annotations

from survey.catalogue import Catalogue

__all__ = ["MESSAGES", "message"]

#: The intake's catalogue (:class:`survey.catalogue.Catalogue`).
MESSAGES = Catalogue("survey.intake", ("messages.yaml",))


def message(key: str, /, **fields) -> str:
    """The catalogue's sentence ``key`` with ``fields`` filled in (``str.format``)."""
    return MESSAGES(key, **fields)
