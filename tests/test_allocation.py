"""Tests for survey.measures.allocation.means (the ¥1,000 allocation, issue 6).

Reference numbers come from tests/reference/allocation_svymean.R (R survey
4.1.1 svymean/svyby on tests/data/allocation_test.csv, written by
tests/reference/allocation_make_data.py) unless a comment gives a hand
calculation.
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design.design import Design
from survey.errors import ColumnError, DesignError, InputError, OptionError
from survey.measures.allocation.means import (
    MeanVectorComparison,
    allocation_group_test,
    allocation_mean_shares,
    allocation_means,
    allocation_threshold_shares,
    allocation_top_k,
    allocation_zero_shares,
)
from survey.measures.allocation.policy import apply_total_policy

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "reference" / "allocation_svymean.json").read_text())
PARTS = REF["parts"]


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(HERE / "data" / "allocation_test.csv")


@pytest.fixture(scope="module")
def design(data):
    return Design(data, weights="wt", strata="stratum")


def _close(table, ref, *, rel=1e-9):
    np.testing.assert_allclose(table["estimate"], ref["estimate"], rtol=rel, atol=1e-10)
    np.testing.assert_allclose(table["se"], ref["se"], rtol=rel, atol=1e-12)


# ------------------------------------------------------------------ policy
def test_rescale_largest_remainder_hand_examples():
    frame = pd.DataFrame({"a": [1, 100, 250], "b": [1, 200, 250], "c": [1, 300, 250],
                          "d": [0, 300, 250]})
    out, counts = apply_total_policy(frame, ["a", "b", "c", "d"], policy="rescale")
    # (1,1,1,0): 333.33 each -> floors 999, the spare yen to the leftmost tie.
    # (100,200,300,300) x 10/9 = 111.1, 222.2, 333.3, 333.3 -> 111,222,333,333 (999);
    # remainders .11 .22 .33 .33 -> +1 to the leftmost largest (c).
    # (250,250,250,250) is on the total and stays.
    assert out[["a", "b", "c", "d"]].to_numpy().tolist() == [
        [334, 333, 333, 0], [111, 222, 334, 333], [250, 250, 250, 250]]
    assert counts["rescaled"] == 2 and counts["valid"] == 1 and counts["rejected"] == 0


def test_policy_counts_on_test_set(data):
    # 192 valid, 2 rows with a missing part, 6 rows off the total (4 at 900, 2 at 1100)
    kept, counts = apply_total_policy(data, PARTS, policy="reject")
    assert counts == {"rows": 200, "valid": 192, "missing": 2, "off_total": 6,
                      "rejected": 6, "rescaled": 0, "flagged": 0}
    assert len(kept) == 194                      # missing rows are kept, unchanged
    resc, counts = apply_total_policy(data, PARTS, policy="rescale")
    assert counts["rescaled"] == 6 and len(resc) == 200
    complete = resc[PARTS].notna().all(axis=1)
    assert (resc.loc[complete, PARTS].sum(axis=1) == 1000).all()
    flagged, counts = apply_total_policy(data, PARTS, policy="flag")
    assert counts["flagged"] == 6 and int(flagged["total_off"].sum()) == 6
    assert counts["off_total"] == REF["counts"]["off_total"]


def test_tolerance_and_zero_total_rows():
    frame = pd.DataFrame({"a": [999, 0], "b": [0, 0]})
    _, counts = apply_total_policy(frame, ["a", "b"], policy="reject", tolerance=1)
    assert counts["valid"] == 1 and counts["rejected"] == 1
    out, counts = apply_total_policy(frame, ["a", "b"], policy="rescale")
    # (999, 0) x 1000/999 = (1000, 0) exactly; (0, 0) has no total to rescale and is dropped
    assert out.to_numpy().tolist() == [[1000, 0]] and counts["rejected"] == 1


def test_policy_errors_say_what_was_wrong():
    frame = pd.DataFrame({"a": [500, -5], "b": [500, 1005]})
    with pytest.raises(InputError, match="-5"):
        apply_total_policy(frame, ["a", "b"])
    with pytest.raises(InputError, match="policy must be one of"):
        apply_total_policy(frame.abs(), ["a", "b"], policy="drop")
    with pytest.raises(InputError, match="not in the data"):
        apply_total_policy(frame, ["a", "zz"])


# -------------------------------------------------------------- estimators
def test_means_match_svymean_and_add_to_1000(design):
    t = allocation_means(design, PARTS)
    assert list(t.columns) == ["part", "estimate", "se", "ci_low", "ci_high", "deff", "n"]
    _close(t, REF["means"])
    assert t["estimate"].sum() == pytest.approx(1000.0, abs=1e-9)
    assert (t["n"] == 192).all()
    assert t.attrs["total_policy"]["rejected"] == 6
    # normal 95 % interval, as confint(svymean(...))
    np.testing.assert_allclose(t["ci_high"] - t["estimate"], 1.959963984540054 * t["se"])


def test_zero_threshold_and_share_estimators(design):
    _close(allocation_zero_shares(design, PARTS), REF["zero_shares"])
    _close(allocation_threshold_shares(design, PARTS, threshold=300), REF["threshold300"])
    # under "flag" each kept row is closed by its own sum (R: svymean(~I(p / rowsum)))
    _close(allocation_mean_shares(design, PARTS, policy="flag"), REF["mean_shares_flag"])
    # on valid rows the mean share is the mean yen / 1000
    shares = allocation_mean_shares(design, PARTS)
    np.testing.assert_allclose(shares["estimate"] * 1000, REF["means"]["estimate"], rtol=1e-12)


def test_policies_flag_and_rescale_match_r(design):
    flag = allocation_means(design, PARTS, policy="flag")
    _close(flag, REF["means_flag"])
    assert flag.attrs["total_policy"]["flagged"] == 6
    resc = allocation_means(design, PARTS, policy="rescale")
    _close(resc, REF["means_rescale"])
    assert resc["estimate"].sum() == pytest.approx(1000.0, abs=1e-9)


def test_by_age_matches_svyby(design):
    t = allocation_means(design, PARTS, by="age")
    assert list(t.columns) == ["age", "part", "estimate", "se", "ci_low", "ci_high", "deff", "n"]
    ref = pd.DataFrame({"key": REF["by_age"]["names"], "r_est": REF["by_age"]["estimate"],
                        "r_se": REF["by_age"]["se"]})
    merged = t.assign(key=t["age"] + ":" + t["part"]).merge(ref, on="key")
    assert len(merged) == 30
    np.testing.assert_allclose(merged["estimate"], merged["r_est"], rtol=1e-9)
    np.testing.assert_allclose(merged["se"], merged["r_se"], rtol=1e-9)
    np.testing.assert_allclose(t.groupby("age")["estimate"].sum(), 1000.0, atol=1e-9)
    z = allocation_zero_shares(design, PARTS, by="age")
    zref = dict(zip(REF["zero_by_age"]["names"], REF["zero_by_age"]["se"]))
    for row in z.itertuples():
        assert row.se == pytest.approx(zref[f"{row.age}:z_{row.part}"], rel=1e-9)


def test_replicate_design_matches_r_jkn(design):
    t = allocation_means(design.replicate("jkn"), PARTS)
    _close(t, REF["means_jkn"])


def test_group_test_matches_wald_from_svyby(design):
    res = allocation_group_test(design, PARTS, by="age")
    assert isinstance(res, MeanVectorComparison)
    ref = REF["wald_age"]
    assert res.test.chisq == pytest.approx(ref["statistic"], rel=1e-9)
    assert res.test.ndf == ref["df"] and res.test.ddf == ref["df_denom"]   # degf(subset) = 189
    assert res.p == pytest.approx(ref["p_F"], rel=1e-8)
    chi = allocation_group_test(design, PARTS, by="age", method="chisq")
    assert chi.p == pytest.approx(ref["p_chisq"], rel=1e-8)
    row = res.differences.query("part == 'health' and group == '65+'").iloc[0]
    assert row["reference"] == "18-39"
    assert row["estimate"] == pytest.approx(REF["diff_health_65_vs_18"]["estimate"], rel=1e-9)
    assert row["se"] == pytest.approx(REF["diff_health_65_vs_18"]["se"], rel=1e-9)


def test_group_test_does_not_depend_on_the_dropped_part(design):
    # the parts add up to 1000, so leaving out any one part gives the same statistic
    a = allocation_group_test(design, PARTS, by="age", method="chisq")
    b = allocation_group_test(design, PARTS[::-1], by="age", method="chisq")
    assert a.test.chisq == pytest.approx(b.test.chisq, rel=1e-8)


# ----------------------------------------------------------------- ranking
def test_top_k_probabilities_recomputed_by_hand(design, data):
    rep = design.replicate("bootstrap", replicates=40, seed=7)
    t = allocation_top_k(rep, PARTS, k=3)
    y = data[PARTS].to_numpy(dtype=float)
    valid = ~np.isnan(y).any(axis=1) & (np.nansum(y, axis=1) == 1000)
    wr = np.asarray(rep.subset(valid).replicate_weights, dtype=float)
    means = (wr[valid].T @ y[valid]) / wr[valid].sum(axis=0)[:, None]
    ranks = pd.DataFrame(means).rank(axis=1, ascending=False, method="min").to_numpy()
    np.testing.assert_allclose(t["p_top_k"], (ranks <= 3).mean(axis=0))
    np.testing.assert_allclose(t["p_top1"], (ranks == 1).mean(axis=0))
    np.testing.assert_allclose(t["mean_rank"], ranks.mean(axis=0))
    assert t["p_top_k"].sum() == pytest.approx(3.0)          # no ties among continuous means
    np.testing.assert_allclose(t["estimate"], REF["means"]["estimate"], rtol=1e-9)
    # full-sample rank: childhood (135.6) first, health (112.7) second, rainwater (63.9) last
    ranked = t.sort_values("rank")["part"].tolist()
    assert ranked[0] == "childhood" and ranked[1] == "health" and ranked[-1] == "rainwater"
    assert t.attrs["replicates"] == 40


def test_top_k_builds_replicates_from_a_linearisation_design(design):
    a = allocation_top_k(design, PARTS, k=2, replicates=30, seed=3)
    b = allocation_top_k(design.replicate("rescaled_bootstrap", replicates=30, seed=3), PARTS, k=2)
    pd.testing.assert_frame_equal(a, b)
    assert "p_top_k" in a.columns and (a["k"] == 2).all()
    with pytest.raises(InputError, match="k must be between 1"):
        allocation_top_k(design, PARTS, k=11)


def test_design_errors(data):
    with pytest.raises(DesignError, match="allocation_means needs a survey design .* got DataFrame"):
        allocation_means(data, PARTS)
    design = Design(data, weights="wt", strata="stratum")
    with pytest.raises(ColumnError, match="by 'ward' is not in the design data"):
        allocation_means(design, PARTS, by="ward")
    # a level outside (0, 1) is refused, not turned into NaN intervals
    with pytest.raises(OptionError, match=r"level must be a number between 0 and 1 \(e\.g\. 0\.95\); got 1\.5"):
        allocation_means(design, PARTS, level=1.5)
    with pytest.raises(OptionError, match=r"policy must be one of \('reject', 'rescale', 'flag'\); got 'drop'"):
        allocation_zero_shares(design, PARTS, policy="drop")
