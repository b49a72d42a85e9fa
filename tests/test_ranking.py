"""Tests of survey.measures.ranking.estimators (issue 7: priority rankings).

Reference numbers:
* tests/reference/ranking_game.R -> ranking_game.json (R survey 4.1.1 +
  survival 3.5.3: coxph / svycoxph on the exploded Game data, svymean /
  svyby of the share indicators); the set-up below (weights, strata, ragged
  answers) mirrors the header of that script.
* Hunter (2004), Ann. Statist. 32, 384-406, NASCAR 2002 log-worths (also in
  the R PlackettLuce vignette), relative to Austin Cameron.
* mlogit's published rank-ordered logit of Game (Croissant, "Estimation of
  random utility models in R: the mlogit package", J. Stat. Softw. 95(11),
  2020): logLik -516.552, own 0.96337 (0.19040), hours:GameBoy -0.23561
  (0.05213).
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design import Design
from survey.errors import ConvergenceError, DesignError, InputError
from survey.measures.ranking import fit as ranking_fit
from survey.measures.ranking.estimators import rank_logit, topk_shares
from survey.measures.ranking.predict import topk_inclusion

HERE = Path(__file__).parent
DATA = HERE / "data"
REF = json.loads((HERE / "reference" / "ranking_game.json").read_text())
PLAT = ["Xbox", "PlayStation", "PSPortable", "GameCube", "GameBoy", "PC"]
NONREF = PLAT[:5]
RANKS3 = ["rank1", "rank2", "rank3"]
OWN = {"own": {p: f"own.{p}" for p in PLAT}}


def game(depth=3, ragged=False) -> pd.DataFrame:
    """Game data set up as in tests/reference/ranking_game.R."""
    g = pd.read_csv(DATA / "game_wide.csv")
    n = len(g)
    r = np.arange(1, n + 1)
    g["w"] = 1 + (g["age"] - 17) / 4 + 0.5 * (g["hours"] >= 5)
    g["stratum"] = np.where(g["age"] <= 19, "a", "b")
    g["heavy"] = np.where(g["hours"] >= 5, "yes", "no")
    if ragged:
        k = np.where(r % 13 == 0, 0, np.where(r % 11 == 0, 1, np.where(r % 7 == 0, 2, 3)))
    else:
        k = np.full(n, depth)
    ranks = g[[f"ch.{p}" for p in PLAT]].to_numpy()
    best_first = [[PLAT[list(row).index(s)] for s in range(1, 7)] for row in ranks]
    for s in range(depth):
        g[f"rank{s + 1}"] = [b[s] if s < kk else np.nan for b, kk in zip(best_first, k)]
    return g


def r_order(res, terms, numeric="hours", dummy="h_"):
    """Map R coefficient names (d_/h_/a_/y_ + item, own) to our (item, term)."""
    names = {}
    for p in NONREF:
        names[f"d_{p}"] = (p, "(intercept)")
        names[f"h_{p}"] = (p, "hours")
        names[f"a_{p}"] = (p, "age")
        names[f"y_{p}"] = (p, "heavy[yes]")
    names["own"] = ("", "own")
    idx = [names[t] for t in terms]
    return res.params.loc[idx].to_numpy(), res.vcov.loc[idx, idx].to_numpy()


def assert_matches(res, ref, rtol=1e-6):
    est, V = r_order(res, ref["terms"])
    np.testing.assert_allclose(est, ref["estimate"], rtol=rtol)
    np.testing.assert_allclose(np.sqrt(np.diag(V)), ref["se"], rtol=rtol)
    Vr = np.array(ref["vcov"])
    np.testing.assert_allclose(V, Vr, rtol=0, atol=rtol * np.abs(Vr).max())


# ---------------------------------------------------------------- NASCAR
def test_nascar_plackett_luce_log_worths():
    # Hunter (2004): full rankings of each race's starters; the four drivers
    # who finished last in every race they entered (ids 84-87) have no
    # finite MLE and are removed, leaving 83 drivers.
    orders = pd.read_csv(DATA / "nascar_orderings.csv")
    drivers = pd.read_csv(DATA / "nascar_drivers.csv").set_index("driver")["id"]
    orders = orders.where(~orders.isin([84, 85, 86, 87]))
    res = rank_logit(Design(orders), list(orders.columns), choice_set="ranked", vcov_type="model",
                     reference=1)  # 1 = Austin Cameron
    assert len(res.items) == 83 and res.converged
    est = res.table.set_index("item")["estimate"]
    published = {"PJ Jones": 4.15, "Scott Pruett": 3.62, "Mark Martin": 2.08,
                 "Dave Marcis": 0.03, "Dick Trickle": -0.31, "Joe Varde": -0.15}
    for name, value in published.items():
        assert est[drivers[name]] == pytest.approx(value, abs=0.005), name
    assert (res.table["term"] == "(intercept)").all()


def test_nascar_always_last_driver_is_a_clear_error():
    orders = pd.read_csv(DATA / "nascar_orderings.csv")
    with pytest.raises(InputError, match="never chosen"):
        rank_logit(Design(orders), list(orders.columns), choice_set="ranked", vcov_type="model")


# ------------------------------------------------------------------ Game
def test_game_full_ranking_matches_mlogit_and_coxph():
    g = game(depth=5)  # the 6th choice is forced
    res = rank_logit(Design(g), [f"rank{s}" for s in range(1, 6)], items=PLAT, reference="PC",
                     covariates=["hours", "age"], item_covariates=OWN, vcov_type="model")
    tab = res.table.set_index(["item", "term"])
    # mlogit (published, 5-6 significant digits)
    assert res.loglik == pytest.approx(-516.552, abs=5e-4)
    assert tab.loc[("", "own"), "estimate"] == pytest.approx(0.96337, abs=5e-6)
    assert tab.loc[("", "own"), "se"] == pytest.approx(0.19040, abs=5e-6)
    assert tab.loc[("GameBoy", "hours"), "estimate"] == pytest.approx(-0.23561, abs=5e-6)
    assert tab.loc[("GameBoy", "hours"), "se"] == pytest.approx(0.05213, abs=5e-6)
    # R coxph on the exploded data, all coefficients
    ref = REF["full_model"]
    assert res.loglik == pytest.approx(ref["loglik"], rel=1e-9)
    assert_matches(res, ref)
    assert res.vcov_type == "model" and np.isinf(res.ddf)


def test_game_top3_unweighted_model_and_design():
    g = game()
    kw = {"items": PLAT, "reference": "PC", "covariates": ["hours", "age"], "item_covariates": OWN}
    model = rank_logit(Design(g), RANKS3, vcov_type="model", **kw)
    assert model.loglik == pytest.approx(REF["top3_model"]["loglik"], rel=1e-9)
    assert_matches(model, REF["top3_model"])
    design = rank_logit(Design(g), RANKS3, **kw)  # respondents are the PSUs
    assert_matches(design, REF["top3_design"])
    assert design.ddf == REF["top3_design"]["degf_resid"]


def test_game_ragged_weighted_stratified_design():
    g = game(ragged=True)
    d = Design(g, weights="w", strata="stratum")
    res = rank_logit(d, RANKS3, items=PLAT, reference="PC", covariates=["hours", "age"],
                     item_covariates=OWN)
    ref = REF["ragged_weighted"]
    assert_matches(res, ref)
    assert res.n == int(g["rank1"].notna().sum()) == 84
    assert res.ddf == ref["degf_resid"] == 74
    test = res.wald_test("hours")
    wr = ref["wald_hours"]
    assert test.ndf == wr["df"] == 5
    assert test.ddf == wr["ddf"] == 74
    assert test.chisq == pytest.approx(wr["chisq"], rel=1e-6)
    assert test.statistic == pytest.approx(wr["F"], rel=1e-6)
    assert test.p == pytest.approx(wr["p"], rel=1e-6)
    model = rank_logit(d, RANKS3, items=PLAT, reference="PC", covariates=["hours", "age"],
                       item_covariates=OWN, vcov_type="model")
    assert np.isinf(model.wald_test("hours").ddf)  # chi-square version
    tab = res.table
    assert list(tab.columns) == ["item", "term", "estimate", "se", "z", "p"]
    assert "PC" not in set(tab["item"])
    np.testing.assert_allclose(tab["z"], tab["estimate"] / tab["se"])


def test_game_categorical_covariate_design_and_jackknife():
    g = game(ragged=True)
    d = Design(g, weights="w", strata="stratum")
    kw = {"items": PLAT, "reference": "PC", "covariates": ["heavy", "age"], "item_covariates": OWN}
    res = rank_logit(d, RANKS3, **kw)
    assert set(res.table["term"]) == {"(intercept)", "heavy[yes]", "age", "own"}
    assert_matches(res, REF["ragged_heavy"])
    test = res.wald_test("heavy")
    assert test.statistic == pytest.approx(REF["ragged_heavy"]["wald_heavy"]["F"], rel=1e-6)
    assert test.p == pytest.approx(REF["ragged_heavy"]["wald_heavy"]["p"], rel=1e-6)
    # the same dummy from a 0/1 float code declared categorical
    coded = Design(g.assign(heavy=(g["heavy"] == "yes") * 1.0), weights="w", strata="stratum")
    res01 = rank_logit(coded, RANKS3, **{**kw, "categorical": ["heavy"]})
    assert "heavy[1.0]" in set(res01.table["term"])
    np.testing.assert_allclose(res01.params.to_numpy(), res.params.to_numpy(), rtol=1e-12)
    # R refits svycoxph on every JKn replicate (coxph tolerance 1e-9 and a
    # 1e-10 weight offset), hence the looser tolerance.
    jk = rank_logit(d.replicate("jkn"), RANKS3, **kw)
    assert jk.vcov_type == "replicate"
    assert_matches(jk, REF["ragged_heavy_jkn"], rtol=1e-6)


# ---------------------------------------------------------- topk_shares
def of(out, measure, column="estimate"):
    """One measure's column of topk_shares' long table, in item order (one group)."""
    rows = out[out["measure"] == measure]
    return rows[column].to_numpy()


@pytest.mark.parametrize("case", ["shares_top3", "shares_ragged"])
def test_topk_shares_match_svymean(case):
    g = game(ragged=case == "shares_ragged")
    d = Design(g, weights="w", strata="stratum")
    out = topk_shares(d, RANKS3, items=PLAT)
    # the long layout: one row per measure and item, the house's fixed columns
    assert list(out.columns) == ["measure", "item", "estimate", "se", "ci_low", "ci_high", "deff", "n"]
    assert list(out["measure"]) == [m for m in ("first_share", "topk_share", "borda") for _ in PLAT]
    assert list(out["item"]) == PLAT * 3
    ref = REF[case]
    for measure, key in [("first_share", "first"), ("topk_share", "topk"), ("borda", "borda")]:
        for column, rkey in [("estimate", "estimate"), ("se", "se")]:
            np.testing.assert_allclose(of(out, measure, column), ref[key][rkey], rtol=1e-9,
                                       atol=1e-12, err_msg=f"{measure} {column}")
    # the Borda score is a mean: Wald interval, R confint(svymean)
    np.testing.assert_allclose(of(out, "borda", "ci_low"), ref["borda"]["ci_low"], rtol=1e-9)
    np.testing.assert_allclose(of(out, "borda", "ci_high"), ref["borda"]["ci_high"], rtol=1e-9)
    # the shares are proportions: R svyciprop(method="logit") (issue 16 item 5; the Wald
    # interval of svymean went below 0: -0.0092 for GameBoy's first-choice share)
    ciprop = REF["ciprop_top3" if case == "shares_top3" else "ciprop_ragged"]
    for measure, key in [("first_share", "first"), ("topk_share", "topk")]:
        lo, hi = of(out, measure, "ci_low"), of(out, measure, "ci_high")
        np.testing.assert_allclose(lo, ciprop[key]["ci_low"], rtol=1e-7, err_msg=measure)
        np.testing.assert_allclose(hi, ciprop[key]["ci_high"], rtol=1e-7, err_msg=measure)
        assert (lo >= 0).all() and (hi <= 1).all()
    if case == "shares_top3":
        assert REF[case]["first"]["ci_low"][4] < 0 < of(out, "first_share", "ci_low")[4]
    # hand check: first shares of answering respondents sum to one, top-3 to three
    assert of(out, "first_share").sum() == pytest.approx(1.0)
    assert of(out, "topk_share").sum() == pytest.approx(3.0 if case == "shares_top3" else
                                                        float(np.average(
                                                            g[RANKS3].notna().sum(axis=1)[
                                                                g["rank1"].notna()],
                                                            weights=g["w"][g["rank1"].notna()])))
    # n: the respondents who answered (hand count: ragged drops r % 13 == 0, 7 of 91)
    answered = int(g["rank1"].notna().sum())
    assert set(out["n"]) == {answered} and answered == (91 if case == "shares_top3" else 84)
    # deff: the design variance over the SRS variance of the same mean (R svymean(deff=TRUE)),
    # here checked against Design.mean of the first-choice indicators
    x = {f"x{j}": np.where(g["rank1"].notna(), (g["rank1"] == item) * 1.0, np.nan) for j, item in enumerate(PLAT)}
    dm = d.with_columns(**x).subset(g["rank1"].notna().to_numpy()).mean(list(x)).to_frame()
    np.testing.assert_allclose(of(out, "first_share", "deff"), dm["deff"].to_numpy(), rtol=1e-12)


def test_topk_shares_on_replicate_design():
    g = game(ragged=True)
    d = Design(g, weights="w", strata="stratum")
    lin = topk_shares(d, RANKS3, items=PLAT)
    rep = topk_shares(d.replicate("jkn"), RANKS3, items=PLAT)
    np.testing.assert_allclose(of(rep, "topk_share"), of(lin, "topk_share"), rtol=1e-12)
    # jackknife and linearisation SEs of a mean agree closely (not exactly)
    np.testing.assert_allclose(of(rep, "topk_share", "se"), of(lin, "topk_share", "se"), rtol=0.05)
    assert (of(rep, "topk_share", "ci_low") > 0).all() and (of(rep, "topk_share", "ci_high") < 1).all()


def test_topk_shares_by_group_match_svyby():
    g = game(ragged=True)
    d = Design(g, weights="w", strata="stratum")
    out = topk_shares(d, RANKS3, items=PLAT, by="heavy")
    assert list(out.columns) == ["heavy", "measure", "item", "estimate", "se", "ci_low", "ci_high", "deff", "n"]
    # group-major: each group's first_share, topk_share and borda rows, items in order
    assert list(out["heavy"]) == ["no"] * 18 + ["yes"] * 18
    assert list(out["item"]) == PLAT * 6
    ref = REF["shares_ragged_by_heavy"]
    for measure, key in [("first_share", "first"), ("topk_share", "topk"), ("borda", "borda")]:
        r = ref[key]
        # R names are "level:variable"; map variable back to the item
        for name, est, se, lo, hi in zip(r["ci_names"], r["estimate"], r["se"], r["ci_low"],
                                         r["ci_high"]):
            level, var = name.split(":")
            row = out[(out["heavy"] == level) & (out["measure"] == measure) & (out["item"] == var.rsplit("_", 1)[1])]
            assert len(row) == 1
            np.testing.assert_allclose(row[["estimate", "se"]].to_numpy()[0], [est, se], rtol=1e-9, atol=1e-12)
            if measure == "borda":
                np.testing.assert_allclose(row[["ci_low", "ci_high"]].to_numpy()[0], [lo, hi], rtol=1e-9)
    # shares: R svyby(~I(x == 1), ~heavy, subset(design, answered), svyciprop, method="logit")
    for measure, key in [("first_share", "first"), ("topk_share", "topk")]:
        r = REF["ciprop_ragged_by_heavy"][key]
        for name, lo, hi in zip(r["ci_names"], r["ci_low"], r["ci_high"]):
            level, item = name.split(":")
            row = out[(out["heavy"] == level) & (out["measure"] == measure) & (out["item"] == item)]
            np.testing.assert_allclose(row[["ci_low", "ci_high"]].to_numpy()[0], [lo, hi],
                                       rtol=1e-7, atol=1e-10, err_msg=name)   # R's 0 share: 2e-12 (glm)
    # n per group: the group's answering respondents (hand count)
    for level in ("no", "yes"):
        answered = int((g["rank1"].notna() & (g["heavy"] == level)).sum())
        assert set(out.loc[out["heavy"] == level, "n"]) == {answered}


def test_topk_shares_of_an_item_nobody_chose():
    # Wii is an item nobody ranked: share 0 (0 to 0), SE 0, no design effect, n of the answerers
    g = game()
    out = topk_shares(Design(g, weights="w", strata="stratum"), RANKS3, items=PLAT + ["Wii"])
    wii = out[out["item"] == "Wii"].set_index("measure")
    assert wii[["estimate", "se", "ci_low", "ci_high"]].to_numpy().tolist() == [[0.0] * 4] * 3
    assert wii["deff"].isna().all() and list(wii["n"]) == [91, 91, 91]


def tied_game():
    """The ragged Game data with tied ranks, as tests/reference/ranking_game.R 4c: respondent
    r % 17 == 0 marked two items at rank 1, r % 5 == 0 at rank 2; intake stops the ranking at
    the tie (ranks above it kept, the rest blank) and flags it."""
    g = game(ragged=True)
    r = np.arange(1, len(g) + 1)
    tie = np.where(r % 17 == 0, 1, np.where(r % 5 == 0, 2, 0))
    for s in range(3):
        g.loc[(tie > 0) & (s + 1 >= tie), f"rank{s + 1}"] = np.nan
    g["tied"] = tie > 0
    return g, tie


def test_topk_shares_of_rankings_cut_at_a_tie_match_r():
    g, tie = tied_game()
    assert tie.tolist() == [0 if v == "NA" else int(v) for v in REF["tied"]["tie_at"]]
    out = topk_shares(Design(g, weights="w", strata="stratum"), RANKS3, items=PLAT, truncated="tied")
    ref = REF["tied"]
    for measure, key in [("first_share", "first"), ("topk_share", "topk"), ("borda", "borda")]:
        np.testing.assert_allclose(of(out, measure), ref[key]["estimate"], rtol=1e-9, err_msg=measure)
        np.testing.assert_allclose(of(out, measure, "se"), ref[key]["se"], rtol=1e-9, err_msg=measure)
    for measure, key in [("first_share", "ciprop_first"), ("topk_share", "ciprop_topk")]:
        np.testing.assert_allclose(of(out, measure, "ci_low"), ref[key]["ci_low"], rtol=1e-7)
        np.testing.assert_allclose(of(out, measure, "ci_high"), ref[key]["ci_high"], rtol=1e-7)
    # hand check: a complete ranking names 3 items (or fewer when the respondent gave fewer), so the
    # top-3 shares over complete rankings add up to their mean length; a tie at rank 2 keeps the
    # first choice in the first-choice shares (they still add up to 1)
    complete = g["rank1"].notna() & ~g["tied"]
    assert of(out, "topk_share").sum() == pytest.approx(
        np.average(g.loc[complete, RANKS3].notna().sum(axis=1), weights=g.loc[complete, "w"]))
    assert of(out, "first_share").sum() == pytest.approx(1.0)
    # n: the first-choice shares count every first choice, the top-k and Borda rows the complete rankings
    assert set(of(out, "first_share", "n")) == {int(g["rank1"].notna().sum())}
    assert set(of(out, "topk_share", "n")) == set(of(out, "borda", "n")) == {int(complete.sum())}
    # without the flag, the cut rankings would read as "chose fewer": top-3 shares would drop
    naive = topk_shares(Design(g, weights="w", strata="stratum"), RANKS3, items=PLAT)
    assert of(naive, "topk_share").sum() < of(out, "topk_share").sum()
    # every ranking cut at a tie: no top-k figures (NaN, n 0), the first choices still counted
    every = topk_shares(Design(g.assign(tied=g["rank1"].notna()), weights="w", strata="stratum"), RANKS3,
                        items=PLAT, truncated="tied")
    np.testing.assert_allclose(of(every, "first_share"), of(out, "first_share"), rtol=1e-12)
    assert every.loc[every["measure"] != "first_share", ["estimate", "se", "ci_low", "ci_high", "deff"]].isna().all().all()
    assert set(every.loc[every["measure"] != "first_share", "n"]) == {0}
    with pytest.raises(InputError, match="truncated= has 3 flags for 91 rows"):
        topk_shares(Design(g, weights="w", strata="stratum"), RANKS3, items=PLAT, truncated=[True, False, True])


def test_rank_logit_uses_the_stages_above_a_tie():
    # Plackett-Luce for a ranking cut at a tie at rank r is the product of its first r - 1 choice
    # stages: R svycoxph on the exploded data with those stages (ranking_game.R 4c)
    g, tie = tied_game()
    fit = rank_logit(Design(g, weights="w", strata="stratum"), RANKS3, items=PLAT,
                     covariates=["hours", "age"], item_covariates=OWN, reference="PC")
    assert_matches(fit, REF["tied"]["model"])
    assert fit.n == int(g["rank1"].notna().sum())     # a tie at rank 1 leaves nothing to fit


# ---------------------------------------------------------- predictions
def test_topk_inclusion_equals_brute_force_enumeration():
    rng = np.random.default_rng(3)
    V = rng.normal(size=(3, 6))
    got = topk_inclusion(V, 3)
    for row, v in zip(got, V):
        e = np.exp(v)
        expected = np.zeros(6)
        for seq in itertools.permutations(range(6), 3):  # every ordered top-3
            prob, rest = 1.0, e.sum()
            for j in seq:
                prob *= e[j] / rest
                rest -= e[j]
            expected[list(seq)] += prob
        np.testing.assert_allclose(row, expected, rtol=1e-12)
    np.testing.assert_allclose(got.sum(axis=1), 3.0)


def test_predict_probabilities_and_delta_method():
    g = game(ragged=True)
    d = Design(g, weights="w", strata="stratum")
    res = rank_logit(d, RANKS3, items=PLAT, reference="PC", covariates=["heavy", "age"],
                     item_covariates=OWN)
    cells = res.predict()
    assert len(cells) == 2 * 6 and set(cells["heavy"]) == {"no", "yes"}
    for _, grp in cells.groupby("heavy", observed=True):
        assert grp["first_prob"].sum() == pytest.approx(1.0)
        assert grp["topk_prob"].sum() == pytest.approx(3.0)
    assert ((cells["first_prob_ci_low"] < cells["first_prob"])
            & (cells["first_prob"] < cells["first_prob_ci_high"])).all()
    # first choice by hand: softmax of the linear predictor of one profile
    prof = pd.DataFrame({"heavy": ["yes"], "age": [22.0],
                         **{f"own.{p}": [1.0 if p == "PC" else 0.0] for p in PLAT}})
    out = res.predict(prof).set_index("item")
    b = res.params
    util = {p: (0.0 if p == "PC" else b[(p, "(intercept)")] + b[(p, "heavy[yes]")]
                + 22.0 * b[(p, "age")]) + b[("", "own")] * (p == "PC") for p in PLAT}
    expo = {p: np.exp(u) for p, u in util.items()}
    for p in PLAT:
        assert out.loc[p, "first_prob"] == pytest.approx(expo[p] / sum(expo.values()), rel=1e-12)
    # delta-method SEs against central finite differences in the parameters
    theta0 = res.params.to_numpy()
    h = 1e-6

    def probs(theta):
        shifted = type(res)(**{**res.__dict__, "params": pd.Series(theta, index=res.params.index)})
        frame = shifted.predict(prof)
        return frame[["first_prob", "topk_prob"]].to_numpy()

    grad = np.stack([(probs(theta0 + h * e) - probs(theta0 - h * e)) / (2 * h)
                     for e in np.eye(len(theta0))], axis=-1)
    V = res.vcov.to_numpy()
    se_fd = np.sqrt(np.einsum("ijp,pq,ijq->ij", grad, V, grad))
    np.testing.assert_allclose(out[["first_prob_se", "topk_prob_se"]].to_numpy(), se_fd,
                               rtol=1e-5)
    k1 = res.predict(prof, k=1)
    np.testing.assert_allclose(k1["topk_prob"], k1["first_prob"], rtol=1e-12)


def test_summary_and_average_first_choice():
    g = game(ragged=True)
    res = rank_logit(Design(g, weights="w", strata="stratum"), RANKS3, items=PLAT,
                     reference="PC", covariates=["heavy", "age"], item_covariates=OWN)
    avg = res.average_first_choice()
    assert avg.to_numpy().sum() == pytest.approx(1.0)
    text = res.summary()
    top = avg.iloc[0].idxmax()
    assert f"Most likely first choices: {top}" in text
    assert "heavy (F = 2.24, p = 0.0589)" in text  # R: F 2.2421, p 0.058869
    ja = res.summary(lang="ja", labels={top: "首位"}, names={"heavy": "利用時間"})
    assert "1位に選ばれやすい項目: 首位" in ja and "利用時間" in ja and "heavy" not in ja
    # level averages, weighted by the levels' weights, give back the overall average
    by = res.average_first_choice("heavy")
    assert list(by.index) == ["no", "yes"]
    g_fit = g[g["rank1"].notna()]
    level_w = g_fit.groupby("heavy")["w"].sum().reindex(by.index).to_numpy()
    np.testing.assert_allclose(level_w @ by.to_numpy() / level_w.sum(), avg.to_numpy()[0],
                               rtol=1e-12)
    # respondent-by-respondent check of the top-3 average for one level
    yes = g_fit[g_fit["heavy"] == "yes"]
    per_resp = res.predict(yes)
    manual = (per_resp["topk_prob"].to_numpy().reshape(len(yes), 6)
              * yes["w"].to_numpy()[:, None]).sum(axis=0) / yes["w"].sum()
    np.testing.assert_allclose(res.average_topk("heavy").loc["yes"].to_numpy(), manual,
                               rtol=1e-12)
    assert "Largest difference by heavy" in text


# ---------------------------------------------------------- invariances
def test_duplicated_respondents_and_doubled_weights():
    """Same estimates; model-based SEs count respondents, not weights (mlogit
    normalises weights to mean 1): duplicating every respondent halves the
    variance, doubling every weight leaves it as unweighted."""
    g = game(ragged=True)
    kw = {"items": PLAT, "reference": "PC", "covariates": ["hours", "heavy"],
              "item_covariates": OWN, "vcov_type": "model"}
    twice = pd.concat([g, g], ignore_index=True)
    a = rank_logit(Design(twice), RANKS3, **kw)
    b = rank_logit(Design(g, weights=np.full(len(g), 2.0)), RANKS3, **kw)
    one = rank_logit(Design(g), RANKS3, **kw)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.vcov, one.vcov / 2, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(b.vcov, one.vcov, rtol=1e-9, atol=1e-14)
    assert a.loglik == pytest.approx(2 * one.loglik, rel=1e-12)
    assert b.loglik == pytest.approx(one.loglik, rel=1e-12)


def test_weighted_model_vcov_as_mlogit():
    """ranking_game.R top3_weighted_model: coxph with weights w / mean(w) is
    mlogit(weights = w); weights scaled to a population total (x 1000) give
    the same SEs (raw frequency weights made them sqrt(1000) = 32x too small)."""
    g = game()
    kw = {"items": PLAT, "reference": "PC", "covariates": ["hours", "age"], "item_covariates": OWN,
          "vcov_type": "model"}
    ref = REF["top3_weighted_model"]
    res = rank_logit(Design(g, weights="w"), RANKS3, **kw)
    assert_matches(res, ref)
    # coxph weights the risk-set sums too: its log-likelihood is mlogit's minus
    # sum over the 3 choices of each respondent of wn log(wn) (wn = w / mean(w))
    wn = (g["w"] / ref["mean_w"]).to_numpy()
    assert res.loglik == pytest.approx(ref["loglik"] + 3 * np.sum(wn * np.log(wn)), rel=1e-9)
    big = rank_logit(Design(g.assign(W=g["w"] * 1000), weights="W"), RANKS3, **kw)
    np.testing.assert_allclose(big.table["se"], res.table["se"], rtol=1e-9)
    np.testing.assert_allclose(big.params, res.params, rtol=1e-9)


def test_domain_subset_keeps_design_but_fits_the_domain():
    g = game(ragged=True)
    d = Design(g, weights="w", strata="stratum")
    kw = {"items": PLAT, "reference": "PC", "covariates": ["hours"]}
    light = (g["heavy"] == "no").to_numpy()
    dom = rank_logit(d.subset(light), RANKS3, **kw)
    alone = rank_logit(Design(g[light], weights="w", strata="stratum"), RANKS3, **kw)
    np.testing.assert_allclose(dom.params, alone.params, rtol=1e-10)
    assert dom.n == int((light & g["rank1"].notna()).sum())
    # the domain keeps every PSU of the full design in its variance: the
    # meat gains the (n_h - 1) / n_h-type terms from zero-score PSUs, so the
    # two variances differ, while the zero rows do not touch the estimate
    assert not np.allclose(dom.vcov, alone.vcov)


def test_generic_situation_path_equals_bitmask_path(monkeypatch):
    g = game(ragged=True)
    kw = {"items": PLAT, "reference": "PC", "covariates": ["hours", "heavy"], "item_covariates": OWN}
    d = Design(g, weights="w", strata="stratum")
    fast = rank_logit(d, RANKS3, **kw)
    monkeypatch.setattr(ranking_fit, "_BITMASK_MAX_ITEMS", 0)  # force the packed-bytes path
    monkeypatch.setattr(ranking_fit, "_GROUP_LOOP_MAX", 0)  # and the per-situation Hessian
    slow = rank_logit(d, RANKS3, **kw)
    np.testing.assert_allclose(fast.params, slow.params, rtol=1e-10)
    np.testing.assert_allclose(fast.vcov, slow.vcov, rtol=1e-9)


def test_grouped_hessian_equals_per_situation_hessian(monkeypatch):
    rng = np.random.default_rng(11)
    n, items = 3000, [f"i{j}" for j in range(7)]
    age = rng.choice(["young", "mid", "old"], n)
    util = rng.normal(size=(n, 7)) + np.where(age == "old", 1.0, 0.0)[:, None] * np.arange(7) / 3
    order = np.argsort(-util - rng.gumbel(size=(n, 7)), axis=1)
    df = pd.DataFrame({f"c{s}": np.array(items)[order[:, s]] for s in range(3)})
    df["age"], df["w"] = age, rng.uniform(0.5, 2, n)
    d = Design(df, weights="w")
    grouped = rank_logit(d, ["c0", "c1", "c2"], covariates=["age"], vcov_type="model")
    monkeypatch.setattr(ranking_fit, "_GROUP_LOOP_MAX", 0)
    plain = rank_logit(d, ["c0", "c1", "c2"], covariates=["age"], vcov_type="model")
    np.testing.assert_allclose(grouped.params, plain.params, rtol=1e-10)
    np.testing.assert_allclose(grouped.vcov, plain.vcov, rtol=1e-9)
    test = grouped.wald_test("age")
    assert test.ndf == 6 * 2 and test.p < 1e-6  # old respondents do differ
    assert np.isinf(test.ddf) and test.statistic == test.chisq


# ---------------------------------------------------------------- errors
def test_input_errors_are_clear():
    g = game()
    with pytest.raises(InputError, match="not among the items"):
        rank_logit(Design(g), RANKS3, items=PLAT[:5])
    bad = g.copy()
    bad.loc[3, "rank2"] = bad.loc[3, "rank1"]
    with pytest.raises(InputError, match="same item at two ranks"):
        topk_shares(Design(bad), RANKS3)
    gap = g.copy()
    gap.loc[5, "rank1"] = np.nan
    with pytest.raises(InputError, match="later choice without an earlier one"):
        rank_logit(Design(gap), RANKS3)
    with pytest.raises(InputError, match="vcov_type"):
        rank_logit(Design(g), RANKS3, vcov_type="robust")
    with pytest.raises(InputError, match="not one of the items"):
        rank_logit(Design(g), RANKS3, reference="Wii")
    # a missing covariate takes the respondent out of the fit (R svyglm's na.action),
    # exactly as if the row were not there (model-based SEs; design SEs keep it as a domain)
    miss = g.copy()
    miss.loc[2, "age"] = np.nan
    a = rank_logit(Design(miss), RANKS3, covariates=["age"], vcov_type="model")
    b = rank_logit(Design(g.drop(index=2)), RANKS3, covariates=["age"], vcov_type="model")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
    np.testing.assert_allclose(a.vcov, b.vcov, rtol=1e-8)
    with pytest.raises(InputError, match="not in the data"):
        rank_logit(Design(g), RANKS3, covariates=["income"])


def test_item_never_chosen_within_a_covariate_level():
    g = game()
    # GameBoy is never among the first choices of heavy players? make it so:
    heavy_gb = (g["heavy"] == "yes") & (g[RANKS3] == "GameBoy").any(axis=1)
    g = g[~heavy_gb]
    with pytest.raises(InputError, match=r"GameBoy.*heavy = 'yes'"):
        rank_logit(Design(g), RANKS3, items=PLAT, covariates=["heavy"])
    with pytest.raises(InputError, match="never chosen by all respondents"):
        rank_logit(Design(g), RANKS3, items=PLAT + ["Wii"])


def test_nonconvergence_and_singularity_errors():
    g = game()
    g["twice_age"] = 2 * g["age"]
    with pytest.raises(DesignError, match="singular"):
        rank_logit(Design(g), RANKS3, covariates=["age", "twice_age"], vcov_type="model")
    with pytest.raises(ConvergenceError, match="did not converge"):
        rank_logit(Design(g), RANKS3, covariates=["age"], max_iter=1, vcov_type="model")


def test_a_data_frame_is_not_taken_as_a_design():
    # no implicit simple random sample: the caller says so with Design(frame)
    g = game()
    with pytest.raises(DesignError, match=r"rank_logit needs a survey design .* got DataFrame\. "
                                          r".*pass survey\.Design\(frame\)"):
        rank_logit(g, RANKS3, vcov_type="model")
    with pytest.raises(DesignError, match="topk_shares needs a survey design"):
        topk_shares(g, RANKS3)
