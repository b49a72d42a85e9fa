"""Does the planned precision come true?  Repeated simulated waves (issue 11).

Run on demand from the repository root (about 0.1 s per simulated wave and
plan on one core; the default 200 replications of three plans take ~1-2
minutes):

    python benchmarks/planning_simulation.py [--reps 200] [--seed 2025] [--oracle] [--out runs.csv]

Steps:

1. The simulator's synthetic Asaka population (120,000 adults, seed
   ``survey.simulate.POPULATION_SEED``) answers the questionnaire once
   (FY2025 baselines); this answered population stays fixed.
2. "This wave": the bundled FY2025 wave (``simulate_wave`` with seed
   ``BUNDLED_SEEDS["FY2025"]``, 3,000 mailed by simple random sampling,
   response rising with age), weighted as ``survey run`` does.  Its
   mailing per age x district cell is taken from ``wave.mailed``.
3. ``planning_inputs`` + ``plan_mailing`` give three plans for the next wave:
   ``A`` the cheapest Neyman plan for ±0.05 (city) and ±0.10 (every
   district) on the satisfaction index; ``B`` 3,000 mailings in proportion
   to the population (today's design); ``C`` 3,000 Neyman mailings with
   every district at ±0.10 and the rest spent on the city.
4. Every replication mails each plan as a stratified simple random sample
   per cell, lets people answer with the simulator's response propensities
   (age band x sex x district, ``survey.simulate.response_propensity``), starts
   from base weights ``N_h / m_h``, rakes them to the age x sex x district
   margins and estimates the index for the city, every district and every
   age band.  Attributes are the register's (no misreporting).
5. For every figure: the planned half-width against the mean half-width
   the replications actually printed (``1.96 x se``) and against ``1.96 x``
   the empirical SD of the estimates, and the coverage of the true value.
   The check passes when the planned half-width is within 10 % of the
   mean printed one.

``--oracle`` also plans from a very large pilot wave (30,000 mailed) so
that the formulas can be judged apart from the noise of estimating the
inputs from one wave of 1,350 respondents (内間木 has ~20 of them).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

import survey  # noqa: E402
from survey.planning.mailing import PrecisionTarget, plan_mailing  # noqa: E402
from survey.planning.inputs import planning_inputs  # noqa: E402
from survey.measures.satisfaction.index import satisfaction_index  # noqa: E402
from survey.simulate import response_propensity  # noqa: E402

KEYS = ("district", "age_band")
TOLERANCE = 0.10


def propensity(frame: pd.DataFrame) -> np.ndarray:
    """The simulator's response probability of every person of ``frame`` (the bundled model's
    ``fielding.response``)."""
    return np.minimum(response_propensity(frame), 1.0)


class Frame:
    """An answered population split into mailing cells, ready to sample."""

    def __init__(self, answered: pd.DataFrame, margins: pd.DataFrame, *, keys=KEYS, response=propensity):
        self.answered = answered.reset_index(drop=True)
        self.keys = keys
        self.margins = margins
        self.cells = {tuple(int(v) for v in key): idx for key, idx in
                      self.answered.groupby(list(keys), sort=True).indices.items()}
        self.p = response(self.answered)
        self.rake_margins = {c: margins.groupby(c)["count"].sum().astype(float) for c in ("age_band", "sex", "district")}

    def mailing_counts(self, allocation: pd.DataFrame) -> dict:
        return {(int(g), int(o)): int(m) for g, o, m in zip(allocation[self.keys[0]], allocation[self.keys[1]],
                                                            allocation["mailed"])}

    def draw(self, allocation, rng) -> pd.DataFrame:
        """Respondents of one stratified mailing (tidy answers + ``_base_weight``)."""
        counts = self.mailing_counts(allocation) if isinstance(allocation, pd.DataFrame) else allocation
        picked, weights = [], []
        for key, m in counts.items():
            if m <= 0:
                continue
            idx = self.cells[key]
            chosen = rng.choice(idx, size=min(m, len(idx)), replace=False)
            picked.append(chosen)
            weights.append(np.full(len(chosen), len(idx) / len(chosen)))
        picked, weights = np.concatenate(picked), np.concatenate(weights)
        answered = rng.random(len(picked)) < self.p[picked]
        out = self.answered.iloc[picked[answered]].reset_index(drop=True)
        return out.assign(_base_weight=weights[answered])

    def design(self, respondents: pd.DataFrame):
        """Base weights N_h / m_h raked to the age x sex x district margins."""
        return survey.Design(respondents, weights="_base_weight").rake(self.rake_margins)


def estimates(design, questionnaire) -> pd.DataFrame:
    """The satisfaction index for the city, every district and age band."""
    rows = []
    f = satisfaction_index(design, "satisfaction", questionnaire=questionnaire).to_frame()
    rows.append(("city", 0, float(f["estimate"].iloc[0]), float(f["se"].iloc[0])))
    for by in KEYS:
        f = satisfaction_index(design, "satisfaction", questionnaire=questionnaire, by=by).to_frame()
        for (lvl, _), row in f.iterrows():
            rows.append((by, int(lvl), float(row["estimate"]), float(row["se"])))
    return pd.DataFrame(rows, columns=["domain", "level", "estimate", "se"])


def true_values(answered: pd.DataFrame, questionnaire) -> dict:
    score = answered["satisfaction"].map(dict(questionnaire["satisfaction"].scores))
    out = {("city", 0): float(score.mean())}
    for by in KEYS:
        for lvl, v in score.groupby(answered[by]).mean().items():
            out[(by, int(lvl))] = float(v)
    return out


def run_plan(frame: Frame, plan, questionnaire, reps: int, rng) -> pd.DataFrame:
    runs = []
    for r in range(reps):
        est = estimates(frame.design(frame.draw(plan.allocation, rng)), questionnaire)
        runs.append(est.assign(rep=r))
    return pd.concat(runs, ignore_index=True)


def compare(plan, runs: pd.DataFrame, truth: dict, *, measure="satisfaction_index", z=1.959963984540054) -> pd.DataFrame:
    """Planned against obtained half-widths, one row per figure."""
    p = plan.precision[plan.precision["measure"] == measure].set_index(["domain", "level"])
    g = runs.groupby(["domain", "level"], sort=False)
    out = pd.DataFrame({
        "planned": p["half_width"],
        "printed": z * g["se"].mean(),
        "empirical": z * g["estimate"].std(),
    }).dropna()
    truth_s = pd.Series(truth)
    runs = runs.assign(truth=[truth_s[(d, lv)] for d, lv in zip(runs["domain"], runs["level"])])
    covered = (runs["estimate"] - runs["truth"]).abs() <= z * runs["se"]
    out["coverage"] = covered.groupby([runs["domain"], runs["level"]]).mean()
    out["planned/printed"] = out["planned"] / out["printed"]
    out["planned/empirical"] = out["planned"] / out["empirical"]
    out["within_10pct"] = (out["planned/printed"] - 1).abs() <= TOLERANCE
    return out


def plans(inputs) -> dict:
    city, district = PrecisionTarget(0.05), PrecisionTarget(0.10, by="district")
    return {
        "A neyman, city ±0.05 & district ±0.10 (cheapest)": plan_mailing(inputs, targets=[city, district]),
        "B proportional, 3000 mailings": plan_mailing(inputs, method="proportional", mailings=3000),
        "C neyman, 3000 mailings, district ±0.10": plan_mailing(inputs, targets=[district], mailings=3000,
                                                                spend_all=True),
    }


def base_wave(q, population, *, mailed=3000, seed=None):
    """This wave (the bundled FY2025 wave by default), its raked design and mailing counts."""
    from types import SimpleNamespace

    from survey.weighting.wave import weight_wave  # the weighting of `survey run`

    wave = survey.simulate.simulate_wave(q, seed=survey.simulate.BUNDLED_SEEDS["FY2025"] if seed is None else seed,
                                         population=population, mailed=mailed, shift={})
    data = wave.respondents.drop(columns=["id", "comment"]).astype("float64")
    design = weight_wave(SimpleNamespace(data=data, questionnaire=q), wave.margins)
    mail = wave.mailed.groupby(list(KEYS)).size().rename("mailed").reset_index()
    return wave, design, mail


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2025, help="seed of the replications")
    ap.add_argument("--oracle", action="store_true", help="also plan from a 30,000-mailing pilot wave")
    ap.add_argument("--out", type=Path, default=None, help="write every replication's estimates here (CSV)")
    args = ap.parse_args(argv)
    pd.set_option("display.width", 200)
    q = survey.load_questionnaire(ROOT / "questionnaires" / "midori_2025.yaml")
    t0 = time.time()
    population = survey.simulate.simulate_population(seed=survey.simulate.POPULATION_SEED)
    wave, design, mail = base_wave(q, population)
    frame = Frame(wave.population, wave.margins)
    truth = true_values(wave.population, q)
    sources = {"this wave (3,000 mailed)": planning_inputs(design, population=wave.margins, mailed=mail,
                                                           questionnaire=q)}
    if args.oracle:
        _, pdesign, pmail = base_wave(q, population, mailed=30000, seed=1)
        sources["pilot (30,000 mailed)"] = planning_inputs(pdesign, population=wave.margins, mailed=pmail,
                                                           questionnaire=q)
    print(f"set-up {time.time() - t0:.1f} s; replications: {args.reps}\n")
    rng = np.random.Generator(np.random.PCG64(args.seed))
    failures, all_runs = 0, []
    for source, inputs in sources.items():
        for name, plan in plans(inputs).items():
            t = time.time()
            runs = run_plan(frame, plan, q, args.reps, rng)
            table = compare(plan, runs, truth)
            failures += int((~table["within_10pct"]).sum())
            print(f"== inputs from {source} | plan {name}: {plan.totals['mailings']:,} mailed, "
                  f"{plan.totals['respondents']:,.0f} respondents expected, {time.time() - t:.1f} s")
            print(table.round(4).to_string(), "\n")
            all_runs.append(runs.assign(source=source, plan=name))
    if args.out:
        pd.concat(all_runs, ignore_index=True).to_csv(args.out, index=False)
    print(f"figures outside ±{TOLERANCE:.0%} (planned vs printed half-width): {failures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
