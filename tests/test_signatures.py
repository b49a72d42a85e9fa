"""The public estimators speak one argument vocabulary (issue 17 item 2): the design first,
``questionnaire=``, ``level=`` and ``seed=`` keyword-only, ``by=None`` (no group), and a data
frame is never taken as an implicit simple random sample.  The group tests and tables whose
point is the groups (allocation_group_test, ilr_group_test, park_use_table, svyby) require
``by``.  Randomness is seeded by default: every public callable that draws random numbers
defaults to ``seed=0`` (README "Python API"), except the simulators and pipelines named in
SEED_EXCEPTIONS."""
from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

import survey
from survey.errors import DesignError

#: Every public function that estimates from a design (survey.__all__).
ESTIMATORS = [
    "svyby", "with_replicates", "svyttest", "glm", "svyglm", "olr", "svyolr", "crosstab", "svychisq",
    "allocation_means", "allocation_zero_shares", "allocation_mean_shares", "allocation_threshold_shares",
    "allocation_top_k", "allocation_group_test", "closed_geometric_mean", "replacement_sensitivity",
    "ilr_group_test", "allocation_segments",
    "satisfaction_index", "satisfaction_distribution", "satisfaction_drivers",
    "park_use_times", "park_nonuse", "park_use_table", "indicator_table", "cronbach_alpha",
    "topk_shares", "rank_logit", "planning_inputs", "analyse_freetext", "theme_shares",
]
#: dirichlet_regression also fits DirichletReg's maximum likelihood to a plain data frame
#: (``weights=`` as frequency weights, the published examples): a model, not a survey design;
#: given a Design it is design-based.
MODEL_BASED = {"dirichlet_regression": "source"}


def params(name):
    return inspect.signature(getattr(survey, name)).parameters


@pytest.mark.parametrize("name", ESTIMATORS)
def test_the_design_comes_first(name):
    first = next(iter(params(name).values()))
    assert first.name == "design" and first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD


@pytest.mark.parametrize("name", ESTIMATORS + list(MODEL_BASED))
def test_options_are_keyword_only_with_one_default(name):
    p = params(name)
    for option in ("questionnaire", "level", "seed", "covariates", "policy", "total", "method"):
        if option in p:
            assert p[option].kind is inspect.Parameter.KEYWORD_ONLY, f"{name}({option}=) must be keyword-only"
    if "questionnaire" in p:                 # optional, or required (indicators, free text)
        assert p["questionnaire"].default in (None, inspect.Parameter.empty)
    if "level" in p:
        assert p["level"].default == 0.95
    if "by" in p and name not in ("allocation_group_test", "ilr_group_test", "park_use_table", "svyby"):
        assert p["by"].default is None, f"{name}(by=) defaults to None (no groups)"


def test_the_model_based_exception_is_named():
    assert next(iter(params("dirichlet_regression"))) == MODEL_BASED["dirichlet_regression"]


FRAME = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1, 2, 1]})


@pytest.mark.parametrize("call", [
    lambda: survey.satisfaction_index(FRAME, "x"),
    lambda: survey.allocation_means(FRAME, ["x", "y"]),
    lambda: survey.topk_shares(FRAME, ["y"]),
    lambda: survey.cronbach_alpha(FRAME, ["x", "y"]),
    lambda: survey.svyglm(FRAME, "x ~ y"),
    lambda: survey.svyolr(FRAME, "y ~ x"),
    lambda: survey.svychisq(FRAME, "x", "y"),
    lambda: survey.crosstab(FRAME, "x", "y"),
    lambda: survey.svyttest(FRAME, "x"),
    lambda: survey.park_use_times(FRAME, "y"),
    lambda: survey.rank_logit(FRAME, ["y"]),
])
def test_a_data_frame_is_not_a_design(call):
    with pytest.raises(DesignError, match=r"needs a survey design \(survey.Design or a replicate design\); got DataFrame\. "):
        call()


# ------------------------------------------------------------------ seed=0 by default
#: The rule: a public callable that draws random numbers takes ``seed`` keyword-only and
#: defaults to ``seed=0`` (the same result on every call; ``seed=None`` asks for fresh draws).
#: The exceptions are not estimators, and their default is deterministic too:
SEED_EXCEPTIONS = {
    # the seed names the synthetic data they make: the caller states it
    "simulate_population": inspect.Parameter.empty, "simulate_wave": inspect.Parameter.empty,
    "inject_defect": inspect.Parameter.empty, "write_large_delivery": inspect.Parameter.empty,
    # None: the simulation model's seed of the wave (waves:), rebuilding the bundled files byte for byte
    "run_simulate": None,
    # the run's seed (the segments' k-means), printed in provenance as 乱数シード: 2025
    "run_wave": 2025,
}


def public_callables():
    """``(name, callable)`` of survey.__all__: its functions and its classes' public methods."""
    for name in survey.__all__:
        obj = getattr(survey, name)
        if inspect.isclass(obj):
            for attr in dir(obj):
                if not attr.startswith("_") and callable(getattr(obj, attr, None)):
                    yield f"{name}.{attr}", getattr(obj, attr)
        elif callable(obj):
            yield name, obj


def seeded():
    found = {}
    for name, fn in public_callables():
        try:
            parameters = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            continue
        if "seed" in parameters:
            found[name] = parameters["seed"]
    return found


def test_every_public_callable_with_randomness_defaults_to_seed_0():
    found = seeded()
    # the ones that draw: bootstrap replicates, the allocation's rank bootstrap, k-means
    rule = {name for name in found if name not in SEED_EXCEPTIONS}
    assert rule == {"Design.replicate", "allocation_top_k", "allocation_segments"}
    assert set(SEED_EXCEPTIONS) <= set(found), "an exception that no longer takes a seed: drop it"
    for name, p in found.items():
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, f"{name}(seed=) must be keyword-only"
        expected = SEED_EXCEPTIONS.get(name, 0)
        assert p.default is expected or (type(p.default) is int and p.default == expected), \
            f"{name}(seed={p.default!r}): the rule is seed=0 (README, Python API)"


def test_the_default_seed_gives_the_same_draws_and_none_fresh_ones():
    frame = pd.DataFrame({"y": np.arange(40, dtype=float), "w": 1.0})
    d = survey.Design(frame, weights="w")
    first, again = (d.replicate("bootstrap", replicates=5).replicate_weights for _ in range(2))
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, d.replicate("bootstrap", replicates=5, seed=0).replicate_weights)
    fresh = [d.replicate("bootstrap", replicates=5, seed=None).replicate_weights for _ in range(2)]
    assert not np.array_equal(fresh[0], fresh[1])          # 40 draws x 5: a tie has probability ~0
