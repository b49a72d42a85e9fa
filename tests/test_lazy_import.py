"""``import survey`` is lazy (PEP 562, issue 17 item 3): the light commands load no analysis library.

Each command runs in a fresh interpreter under ``python -X importtime``, which
lists every module the process imported; the public names are checked to
resolve as they did when the packages imported them eagerly. Timings are not
asserted here: ``benchmarks/bench_startup.py`` measures them.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import survey
from survey._lazy import lazy_attributes
from survey._version import __version__

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "raw" / "midori_2025_sample.csv"
# what the light commands must not load: the modelling, plotting and text libraries (and scipy)
HEAVY = {"sklearn", "skbio", "matplotlib", "seaborn", "statsmodels", "pingouin", "janome", "scipy", "formulaic"}
# --version and --help need no data library at all
DATA_LIBRARIES = {"pandas", "numpy", "pyarrow", "yaml", "openpyxl", "jinja2"}
PACKAGES = ("survey", "survey.measures", "survey.measures.satisfaction", "survey.measures.allocation",
            "survey.measures.ranking", "survey.measures.freetext", "survey.measures.tables",
            "survey.measures.indicators", "survey.intake", "survey.design", "survey.weighting", "survey.planning",
            "survey.report", "survey.pipeline", "survey.simulate")
SUBMODULES = {"errors", "questionnaire", "intake", "design", "weighting", "measures", "planning", "report", "pipeline",
              "simulate"}


def _python(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``python -X importtime ARGS`` from the repository root: the process and the top-level
    names of the packages it imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    imported = {line.rsplit("|", 1)[1].strip().split(".")[0]
                for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, imported


def test_version_prints_the_version_and_imports_no_library():
    done, imported = _python("-m", "survey", "--version")
    assert (done.returncode, done.stdout) == (0, f"{__version__}\n")
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)        # survey/_version.py: "0.1.0"
    assert "survey" in imported and "argparse" in imported     # the listing is real
    assert imported & (HEAVY | DATA_LIBRARIES) == set()


def test_help_lists_the_commands_and_imports_no_library():
    done, imported = _python("-m", "survey", "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: survey [-h] [--version] {run,validate,simulate,plan} ...")
    assert imported & (HEAVY | DATA_LIBRARIES) == set()


def test_validate_on_the_bundled_sample_imports_no_analysis_library():
    done, imported = _python("-m", "survey", "validate", str(SAMPLE.relative_to(ROOT)))
    # the bundled delivery carries the simulator's defects (data/SIMULATION.md): errors, exit code 1
    assert done.returncode == 1
    assert "File: data/raw/midori_2025_sample.csv (csv, cp932, sha256 02925d12cab5…, 1353 data rows)" in done.stdout
    assert "Result: ERRORS" in done.stdout
    assert "pandas" in imported
    assert imported & HEAVY == set()


def test_import_survey_loads_only_the_table():
    done, _ = _python("-c", "import json, sys, survey; "
                            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
                            "('survey', 'pandas', 'numpy', 'scipy', 'yaml'))))")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == ["survey", "survey._lazy"]


def test_a_name_resolves_on_first_use_and_is_kept():
    done, _ = _python("-c", "import json, sys, survey; before = 'survey.design.design' in sys.modules; "
                            "d = survey.Design; "
                            "print(json.dumps([before, 'survey.design.design' in sys.modules, "
                            "'Design' in vars(survey), d is sys.modules['survey.design.design'].Design, "
                            "'sklearn' in sys.modules, survey.report.__name__]))")
    assert done.returncode == 0, done.stderr[-2000:]
    # Design needs survey.design (scipy), not survey.measures (scikit-learn); a sub-package is an attribute too
    assert json.loads(done.stdout) == [False, True, True, True, False, "survey.report"]


def test_no_public_name_is_hidden_by_a_module_of_the_same_name():
    """Importing every module first (survey.planning.inputs is a module and a
    function) must leave every public name as it was: the function, never the module."""
    code = (
        "import importlib, json, pkgutil, sys, types, survey\n"
        "for info in pkgutil.walk_packages(survey.__path__, 'survey.'):\n"
        "    if not info.name.endswith('__main__'):\n"
        "        importlib.import_module(info.name)\n"
        f"bad = [f'{{p}}.{{n}}' for p in {PACKAGES!r} for n in importlib.import_module(p).__all__\n"
        "       if isinstance(getattr(importlib.import_module(p), n), types.ModuleType)]\n"
        "print(json.dumps(bad))\n"
    )
    done, _ = _python("-c", code)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves(package):
    module = __import__(package, fromlist=["__all__"])
    assert len(module.__all__) == len(set(module.__all__))
    for name in module.__all__:
        value = getattr(module, name)
        assert not isinstance(value, types.ModuleType), f"{package}.{name} is a module"
    assert set(module.__all__) <= set(dir(module))
    namespace: dict = {}
    exec(f"from {package} import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(module.__all__)


#: survey.measures' helpers, not re-exported at the top level (issue 17 item 2)
HELPERS = {"multiplicative_replacement", "ilr_basis", "prepare_composition", "weighted_silhouette",
           "weighted_calinski_harabasz", "DEFAULT_SCORES", "resolve_scores", "adjust_pvalues",
           "DEFAULT_PARK_MAP", "target_verdict", "INDICATOR_COLUMNS", "code_themes",
           "representative_quotes", "tokenize", "tokenize_series", "word_frequencies", "weighted_log_odds",
           "cooccurrence"}


def test_the_top_level_reexports_every_measure_but_the_helpers_as_the_same_object():
    import survey.measures

    assert set(survey.measures.__all__) - HELPERS == set(survey.__all__) & set(survey.measures.__all__)
    assert HELPERS <= set(survey.measures.__all__) and not HELPERS & set(survey.__all__)
    for name in set(survey.measures.__all__) - HELPERS:
        assert getattr(survey, name) is getattr(survey.measures, name), name
    assert not {"validate_raw", "mask_series", "mask_text_columns"} & set(survey.__all__)   # intake's helpers
    assert survey.Design is survey.design.Design
    assert survey.run_wave is survey.pipeline.run_wave
    assert survey.SurveyError.__module__ == "survey.errors"
    assert survey.__version__ == __version__


def test_the_top_level_lists_its_submodules_but_not_in_all():
    assert SUBMODULES <= set(dir(survey))
    assert SUBMODULES & set(survey.__all__) == set()


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match=r"^module 'survey' has no attribute 'no_such_name'$"):
        survey.no_such_name
    assert not hasattr(survey.measures, "no_such_measure")
    with pytest.raises(ImportError, match=r"^cannot import name 'no_such_name' from 'survey'"):
        exec("from survey import no_such_name", {})


def test_the_table_refuses_a_name_listed_twice():
    with pytest.raises(ImportError, match=r"^pkg: 'x' is listed under 'pkg\.a' and 'pkg\.b'$"):
        lazy_attributes("pkg", {"pkg.a": ("x",), "pkg.b": ("y", "x")})


def test_survey_run_asks_blas_for_one_thread_unless_told():
    """``survey run`` sets OPENBLAS_NUM_THREADS=1 before numpy loads (idle BLAS
    threads spin on a busy machine, issue 18); a value already set is kept."""
    code = ("import os; from survey.cli import _one_blas_thread; _one_blas_thread(); "
            "import numpy, threadpoolctl; "
            "print(os.environ['OPENBLAS_NUM_THREADS'], "
            "sorted({i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'}))")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**env, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split() == ["1", "[1]"], done.stderr
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**env, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "2"})
    assert done.stdout.split()[0] == "2", done.stderr


def test_survey_run_loads_neither_survey_plan_nor_the_chart_and_text_libraries(tmp_path):
    """``survey run`` imports ``survey.pipeline.run`` without ``survey plan``'s module, and its worker
    (survey/report/background.py, issue 18) draws the charts and analyses the free text: the main
    process loads neither matplotlib nor janome (the workbook it writes itself when the worker is
    still drawing, so xlsxwriter may be loaded in either).  Neither process loads scipy.stats,
    scikit-learn or scikit-bio (issue 18: a second of importing; survey.design.distributions,
    survey.measures.allocation.kmeans and the numpy log-ratios give their numbers)."""
    from survey.report.background import worker_available

    code = ("import json, sys; from survey.cli import main; "
            f"code = main(['run', '--quiet', '--out', {str(tmp_path)!r}]); "
            "print(json.dumps([code, sorted(m for m in ('survey.pipeline.plan', 'matplotlib', 'janome', "
            "'seaborn', 'scipy.stats', 'sklearn', 'skbio') if m in sys.modules)]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0, done.stderr
    worker = worker_available()
    assert loaded == ([] if worker else ["janome", "matplotlib"])
    assert (tmp_path / "FY2025" / "集計表.xlsx").is_file() and (tmp_path / "FY2025" / "report.html").is_file()
    # the worker's imports too: every process of the run writes its imports to stderr under -X importtime
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "survey", "run", "--quiet", "--out",
                           str(tmp_path / "again")], cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert done.returncode == 0 and "matplotlib" in imported and "janome" in imported
    assert imported & {"scipy.stats", "sklearn", "skbio"} == set()
