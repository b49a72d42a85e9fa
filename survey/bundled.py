"""The questionnaire that comes with the package (issue 16 item 14).

``questionnaires/`` in the source tree is the one editable copy of the
bundled questionnaire (``midori_2025.yaml``), its keyword dictionary
(``midori_keywords.yaml``) and the tokeniser's user dictionary
(``asaka_userdict.csv``).  Building the package copies that folder's
``*.yaml`` and ``*.csv`` files into ``survey/questionnaires/`` of the wheel
(``setup.py``; ``tests/test_bundled.py`` checks the copies are identical),
so an installed ``survey validate FILE`` works from any folder.  In a source
checkout or an editable install the source folder itself is used.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["BUNDLED_QUESTIONNAIRE", "bundled_dir", "bundled_path"]

#: File name of the questionnaire used when none is given.
BUNDLED_QUESTIONNAIRE = "midori_2025.yaml"


def bundled_dir() -> Path:
    """The folder holding the bundled questionnaire files: the package's copy
    when installed from a wheel, else the source tree's ``questionnaires/``."""
    here = Path(__file__).resolve().parent
    packaged = here / "questionnaires"
    if (packaged / BUNDLED_QUESTIONNAIRE).is_file():
        return packaged
    return here.parent / "questionnaires"


def bundled_path(name: str = BUNDLED_QUESTIONNAIRE) -> Path:
    """A bundled file by name (default: the questionnaire ``midori_2025.yaml``)."""
    return bundled_dir() / name
