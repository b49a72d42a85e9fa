"""The bundled questionnaire is package data (issue 16 item 14): the build copies
questionnaires/*.yaml and *.csv into survey/questionnaires/ of the package, byte for
byte, and `survey validate FILE` finds it from any folder."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from survey.bundled import BUNDLED_QUESTIONNAIRE, bundled_dir, bundled_path

from conftest import ROOT
from delivery import delivery


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The package as `pip install .` builds it (setup.py's build_py)."""
    lib = tmp_path_factory.mktemp("build") / "lib"
    done = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(lib)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return lib


def test_the_build_copies_the_questionnaire_files_unchanged(built):
    source = sorted(p for pattern in ("*.yaml", "*.csv") for p in (ROOT / "questionnaires").glob(pattern))
    copied = sorted((built / "survey" / "questionnaires").iterdir())
    assert [p.name for p in copied] == sorted(p.name for p in source)
    assert {"midori_2025.yaml", "midori_keywords.yaml", "asaka_userdict.csv"} <= {p.name for p in copied}
    for path in source:  # one editable copy: the package gets exactly these bytes
        assert (built / "survey" / "questionnaires" / path.name).read_bytes() == path.read_bytes(), path.name


def test_source_checkout_uses_the_source_folder():
    assert bundled_dir() == ROOT / "questionnaires"
    assert bundled_path() == ROOT / "questionnaires" / BUNDLED_QUESTIONNAIRE


def test_installed_package_validates_from_any_folder(built, tmp_path, questionnaire):
    """Run the built package (not the source tree) from an unrelated folder, without
    --questionnaire: it finds its own copy, keywords and user dictionary beside it."""
    data = tmp_path / "delivery.csv"
    delivery(questionnaire, n=3, edits=[(1, "問1 性別", "7")]).to_csv(data, index=False)
    env = {**os.environ, "PYTHONPATH": str(built)}
    where = subprocess.run([sys.executable, "-c", "import survey.bundled as b; print(b.bundled_dir())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert where.stdout.strip() == str(built / "survey" / "questionnaires")
    run = subprocess.run([sys.executable, "-m", "survey", "validate", data.name], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr  # data row 2 has sex 7: one error
    assert "朝霞市 みどりの市民アンケート (midori 2025.1)" in run.stdout
    assert "row 2 (Excel 3, line 3) id R0002  問1 性別 [sex]  value '7'  エラー error invalid_code" in run.stdout
    from survey.measures.freetext.analyse import default_keywords_path
    from survey.questionnaire import load_questionnaire

    q = load_questionnaire(built / "survey" / "questionnaires" / BUNDLED_QUESTIONNAIRE)
    assert default_keywords_path(q).is_file()  # survey run's free-text defaults come along


def test_help_says_the_bundled_questionnaire_is_the_default(capsys):
    from survey.cli import main

    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "by default the bundled questionnaires/midori_2025.yaml installed with the package" in out
    assert "works from any folder" in out
