from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
QUESTIONNAIRE = ROOT / "questionnaires" / "midori_2025.yaml"


@pytest.fixture(scope="session")
def questionnaire():
    from survey.questionnaire import load_questionnaire

    return load_questionnaire(QUESTIONNAIRE)
