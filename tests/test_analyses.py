"""The scripted analyses run on the bundled wave and use only the public API."""
import ast
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT

SCRIPTS = sorted((ROOT / "analyses").glob("*.py"))
PUBLIC = {"survey", "survey.report"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_imports_only_the_public_api(script):
    tree = ast.parse(script.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("survey"):
            assert node.module in PUBLIC, f"{script.name} imports from {node.module}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert not alias.name.startswith("survey.") or alias.name in PUBLIC, alias.name


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Run every script once (allocation with 50 bootstrap replicates to keep it quick)."""
    out = {}
    for script in SCRIPTS:
        folder = tmp_path_factory.mktemp(script.stem)
        extra = ["--replicates", "50"] if script.stem == "allocation" else []
        done = subprocess.run([sys.executable, str(script), "--out", str(folder), *extra], cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        out[script.name] = (done, folder)
    return out


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_runs_on_the_bundled_wave(script, outputs):
    done, folder = outputs[script.name]
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(folder.rglob("*.csv")), f"{script.name} wrote no table"


def test_allocation_script_means_equal_the_api(outputs):
    import survey

    _done, folder = outputs["allocation.py"]
    table = pd.read_csv(folder / "FY2025" / "配分_平均.csv", encoding="utf-8-sig")
    q = survey.load_questionnaire(ROOT / "questionnaires/midori_2025.yaml")
    design = survey.weight_wave(survey.load(ROOT / "data/raw/midori_2025_sample.csv", q),
                                survey.read_margins(ROOT / "data/midori_margins.csv"))
    api = survey.allocation_means(design, list(q["allocation"].columns), policy="flag")
    got = table[(table["group"] == "全体") & (table["part"] == "防災")]["estimate"].iloc[0]
    assert got == pytest.approx(api.set_index("part").loc["alloc_disaster", "estimate"], rel=1e-12)
