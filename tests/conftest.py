from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
QUESTIONNAIRE = ROOT / "questionnaires" / "midori_2025.yaml"


@pytest.fixture(scope="session")
def questionnaire():
    from survey.questionnaire import load_questionnaire

    return load_questionnaire(QUESTIONNAIRE)


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory):
    """One `survey run` of the bundled wave (default options), shared by the tests that read
    its outputs: ``.out_dir`` (``<tmp>/FY2025``), ``.design`` and ``.dataset`` (the weighted,
    masked wave the run reported on).  Read it, never write into it."""
    from survey.pipeline.run import run_wave

    out = tmp_path_factory.mktemp("bundled_run")
    return run_wave(QUESTIONNAIRE, ROOT / "data" / "raw" / "midori_2025_sample.csv",
                    ROOT / "data" / "midori_margins.csv", out=out, admin_path=ROOT / "data" / "midori_admin.csv")


def pytest_collection_finish(session):
    """With SURVEY_HOSTILE_CENSUS=<file>, write the collected hostile cases there, one
    ``<kind> <node id>`` a line (tests/test_hostile_census.py counts them for the README)."""
    import os

    target = os.environ.get("SURVEY_HOSTILE_CENSUS")
    if not target:
        return
    lines = []
    for item in session.items:
        for mark in item.iter_markers("hostile"):
            lines.append(f"{mark.args[0] if mark.args else '?'} {item.nodeid}")
    Path(target).write_text("\n".join(lines) + "\n", encoding="utf-8")
