"""survey.validation: one check per kind of argument, one exception class per kind of mistake;
and the design's one variance service for models (Design.model_vcov)."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design import Design
from survey.errors import ColumnError, DesignError, InputError, OptionError
from survey.validation import check_by, check_columns, check_design, check_level, check_option, check_seed

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def api():
    return pd.read_csv(DATA / "apistrat.csv")


@pytest.fixture(scope="module")
def dstrat(api):
    return Design(api, weights="pw", strata="stype", fpc="fpc")


@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.999, np.float64(0.8)])
def test_check_level_accepts_levels(level):
    assert check_level(level) == float(level)


@pytest.mark.parametrize("level", [0, 1, 1.5, 95, -0.1, float("nan"), float("inf"), "0.95", None, True])
def test_check_level_refuses_the_rest(level):
    with pytest.raises(OptionError, match=r"^level must be a number between 0 and 1 \(e\.g\. 0\.95\); got "):
        check_level(level)


def test_check_option_lists_the_choices():
    assert check_option("flag", ("reject", "rescale", "flag"), name="policy") == "flag"
    with pytest.raises(OptionError, match=r"^policy must be one of \('reject', 'rescale', 'flag'\); got 'drop'$"):
        check_option("drop", ("reject", "rescale", "flag"), name="policy")
    with pytest.raises(OptionError, match=r"got \['a'\]"):
        check_option(["a"], {"a", "b"}, name="x")      # unhashable value: refused, not a TypeError


@pytest.mark.parametrize("seed, expected", [(0, 0), (2025, 2025), (np.int64(7), 7), (None, None)])
def test_check_seed_accepts_integers_and_none(seed, expected):
    got = check_seed(seed)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("seed", [-1, 1.5, 2.0, "0", True, [1]])
def test_check_seed_refuses_the_rest(seed):
    with pytest.raises(OptionError, match=r"^seed must be a non-negative integer \(e\.g\. 0; the default\), or None "
                                          r"for fresh random draws on every call; got "):
        check_seed(seed)


def test_a_bad_seed_is_an_option_error_not_a_numpy_traceback(dstrat):
    with pytest.raises(OptionError, match=r"^seed must be a non-negative integer .*; got 'abc'$"):
        dstrat.replicate("bootstrap", replicates=5, seed="abc")


def test_check_columns_and_by(api):
    assert check_columns(api, "api00") == ["api00"]
    assert check_columns(api, ["api00", "api99"]) == ["api00", "api99"]
    with pytest.raises(ColumnError, match=r"^column 'nope' is not in the design data; available columns: "
                                          r"\['cds', 'stype', .*\] \.\.\.$") as err:
        check_columns(api, ["api00", "nope"])
    assert err.value.column == "nope"
    with pytest.raises(ColumnError, match="an allocation needs at least 2 column"):
        check_columns(api, ["api00"], what="an allocation", min_count=2)
    with pytest.raises(ColumnError, match="by must be a column name or a list of column names; got 3"):
        check_by(api, 3)
    assert check_by(api, None) == [] and check_by(api, ()) == [] and check_by(api, "stype") == ["stype"]


def test_one_class_per_mistake_is_also_the_old_classes():
    # handlers written for the classes the estimators raised before still catch them
    for cls in (ColumnError, OptionError):
        assert issubclass(cls, InputError) and issubclass(cls, DesignError) and issubclass(cls, ValueError)


def test_check_design_refuses_a_data_frame(api, dstrat):
    assert check_design(dstrat) is dstrat
    assert check_design(dstrat.replicate("jkn")).is_replicate
    with pytest.raises(DesignError, match=r"^mean needs a survey design \(survey.Design or a replicate design\); "
                                          r"got DataFrame\. .* For an unweighted simple random sample, pass "
                                          r"survey\.Design\(frame\)\.$"):
        check_design(api, what="mean")
    with pytest.raises(DesignError, match="got dict"):
        check_design({"data": api})


def test_design_estimators_check_their_arguments(dstrat):
    with pytest.raises(ColumnError, match="column 'nope' is not in the design data"):
        dstrat.mean("nope")
    with pytest.raises(ColumnError, match="by 'nope' is not in the design data"):
        dstrat.mean("api00", by="nope")
    for estimator in (dstrat.mean, dstrat.total, dstrat.var, dstrat.proportion):
        with pytest.raises(OptionError, match="level must be a number between 0 and 1"):
            estimator("stype" if estimator == dstrat.proportion else "api00", level=1.5)
    with pytest.raises(OptionError, match="level must be a number between 0 and 1"):
        dstrat.ratio("api00", "api99", level=95)
    with pytest.raises(OptionError, match=r"proportion: method must be one of \('logit'"):
        dstrat.proportion("stype", method="wilson")


# --------------------------------------------------------------- model_vcov
def test_model_vcov_sandwich_is_the_mean_variance(dstrat):
    # the mean solves sum w (y - m) = 0: score w (y - m), bread 1 / sum w;
    # its sandwich is Design.mean's linearised variance (R svymean)
    y = dstrat.data["api00"].to_numpy(float)
    w = dstrat.weights.to_numpy()
    m = (w @ y) / w.sum()
    V = dstrat.model_vcov([m], scores=(w * (y - m))[:, None], bread=[[1 / w.sum()]])
    ref = dstrat.mean("api00").vcov.to_numpy()
    np.testing.assert_allclose(V, ref, rtol=1e-12)
    # influence functions directly, for the rows of a domain only
    rows = dstrat.data["stype"].eq("E").to_numpy()
    wd, yd = w[rows], y[rows]
    md = (wd @ yd) / wd.sum()
    Vd = dstrat.model_vcov([md], scores=(wd * (yd - md) / wd.sum())[:, None], rows=rows)
    np.testing.assert_allclose(Vd, dstrat.subset(rows).mean("api00").vcov.to_numpy(), rtol=1e-12)


def test_model_vcov_refits_on_a_replicate_design(dstrat):
    rep = dstrat.replicate("jkn")
    y = rep.data["api00"].to_numpy(float)
    w = rep.weights.to_numpy()
    calls = []

    def refit(wr):
        calls.append(wr.shape)
        return [(wr @ y) / wr.sum()]

    V = rep.model_vcov([(w @ y) / w.sum()], scores=lambda: pytest.fail("a replicate design never asks for scores"),
                       refit=refit)
    assert len(calls) == rep.n_replicates and calls[0] == (rep.n,)
    np.testing.assert_allclose(V, rep.mean("api00").vcov.to_numpy(), rtol=1e-12)
