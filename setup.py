"""Build hook: copy the bundled questionnaire files into the package.

Everything else is declared in setup.cfg.  ``questionnaires/`` stays the one
editable copy; the wheel gets its ``*.yaml`` and ``*.csv`` files in
``survey/questionnaires/`` (see survey/bundled.py), so ``survey validate FILE``
finds the questionnaire from any folder.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "questionnaires"
PATTERNS = ("*.yaml", "*.csv")


class BuildWithQuestionnaires(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "survey" / "questionnaires"
        target.mkdir(parents=True, exist_ok=True)
        for pattern in PATTERNS:
            for path in sorted(SOURCE.glob(pattern)):
                shutil.copyfile(path, target / path.name)


setup(cmdclass={"build_py": BuildWithQuestionnaires})
