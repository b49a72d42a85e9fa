"""The shared base of the result objects (survey/design/results.py, issue 17 item 2): every
result answers estimate/params, vcov, se, conf_int(level), to_frame() with fixed columns,
wald_test() and summary() the same way.

The reference numbers are hand calculations: a Wald interval's width is proportional to
the quantile ``q(0.5 + level/2)``, so the 90 % interval is ``q(0.95) / q(0.975)`` as wide as
the 95 % one (normal: 1.6448536 / 1.9599640 = 0.8392265; t on 12 df: 1.7822876 / 2.1788128 =
0.8180086); the Wald statistic of one estimate is its squared z (or t).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.design.olr import olr
from survey.design.regression import glm
from survey.design.results import COLUMNS, Summary
from survey.errors import DesignError

import helpers

NORMAL_RATIO = 0.8392265  # qnorm(0.95) / qnorm(0.975)
T12_RATIO = 0.8180086     # qt(0.95, 12) / qt(0.975, 12)


@pytest.fixture(scope="module")
def dclus1():
    data = helpers.api("apiclus1")
    data["mealcat"] = pd.cut(data["meals"], [0, 25, 50, 75, 100])
    return helpers.dclus1(data)


def width(result, level):
    ci = result.conf_int(level)
    return (ci["ci_high"] - ci["ci_low"]).to_numpy()


def check_shared(result, *, ratio, one, df):
    """The behaviour every result shares, on ``result`` whose estimate ``one`` is tested."""
    assert result.params is result.estimate or result.params.equals(result.estimate)
    assert list(result.vcov.index) == list(result.params.index)
    helpers.close(result.se, np.sqrt(np.diag(result.vcov.to_numpy())), rtol=1e-15, atol=0)
    helpers.close(width(result, 0.90) / width(result, 0.95), ratio, rtol=1e-7, atol=0)
    frame = result.to_frame()
    assert list(frame.columns) == COLUMNS
    helpers.close(frame["estimate"], result.params, rtol=0, atol=0)
    ci = result.conf_int(0.95)
    helpers.close(frame[["ci_low", "ci_high"]], ci, rtol=0, atol=0)
    test = result.wald_test(one)
    z = result.params[one] / result.se[one]
    assert test.statistic == pytest.approx(z ** 2, rel=1e-12)
    assert (test.ndf, test.ddf) == (1.0, df)
    assert list(test.contrasts.index) == [str(one)]
    s = result.summary()
    assert isinstance(s, Summary) and isinstance(s, str) and str(s).startswith(s.title)
    assert "<table" in s._repr_html_() and "<strong>" in s._repr_html_()
    assert list(s.table.columns[:3]) == ["term", "estimate", "se"] and "p" in s.table.columns
    row = s.table.set_index("term").loc[" : ".join(map(str, one)) if isinstance(one, tuple) else str(one)]
    assert row[s.table.columns[3]] == pytest.approx(z, rel=1e-12)
    assert row["p"] == pytest.approx(test.p, rel=1e-9)
    return frame


def test_estimate_of_means_shares_the_base(dclus1):
    m = dclus1.mean(["api00", "api99"])
    frame = check_shared(m, ratio=NORMAL_RATIO, one="api00", df=np.inf)
    assert list(frame["n"]) == [183, 183]
    # two estimates jointly: the chi-square of the pair, with their covariance
    b, V = m.params.to_numpy(), m.vcov.to_numpy()
    assert m.wald_test().chisq == pytest.approx(float(b @ np.linalg.solve(V, b)), rel=1e-12)
    assert m.wald_test(["api00"], null=600).statistic == pytest.approx(((b[0] - 600) / m.se.iloc[0]) ** 2)


def test_estimate_with_design_df_tests_on_them(dclus1):
    p = dclus1.proportion("sch.wide", method="logit")   # design df: 15 clusters - 1
    assert p.wald_test(p.params.index[0]).ddf == 14.0
    assert p.to_frame(0.9)["ci_low"].iloc[0] > p.to_frame()["ci_low"].iloc[0]


def test_glm_result_shares_the_base(dclus1):
    g = glm(dclus1, "api00 ~ ell + meals")
    assert g.df_resid == 12
    check_shared(g, ratio=T12_RATIO, one="ell", df=12.0)
    assert g.summary().title == "GLMResult: api00 ~ ell + meals (n = 183, df = 12); 95% intervals"
    assert g.n_iter >= 1 and not hasattr(g, "iterations")


def test_olr_result_shares_the_base(dclus1):
    o = olr(dclus1, "mealcat ~ ell")
    from scipy import stats
    ratio = stats.t.ppf(0.95, o.df_resid) / stats.t.ppf(0.975, o.df_resid)
    check_shared(o, ratio=ratio, one="ell", df=float(o.df_resid))
    assert o.n_iter >= 1 and not hasattr(o, "iterations")


def test_wald_test_names_an_unknown_estimate(dclus1):
    with pytest.raises(DesignError, match=r"wald_test: no estimate 'nope'; the estimates are \['api00'\]"):
        dclus1.mean("api00").wald_test("nope")
