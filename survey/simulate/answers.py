"""The answer model: what every person of the population would answer.

Each person gets a complete set of tidy answers (integer codes, including
the questionnaire's missing codes and skips) so that the true population
values are plain means over the population frame.  Question ids, codes,
scores and column names all come from the questionnaire object; the model
parameters below are positional (item *k* of a question gets parameter *k*)
and their meaning is written down in ``data/SIMULATION.md``.

Two intercepts (satisfaction, park use) are calibrated by bisection with the
random draws held fixed, so the realised population values hit the targets
(the plan's FY2025 baselines 0.29 and 30.9 times a year, plus any wave
shift) to within a few ten-thousandths.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import SpecError

__all__ = ["BASE_TARGETS", "MODEL_QUESTIONS", "check_supported", "condition_mask", "simulate_answers"]

# population values the intercepts are calibrated to when no target is given
# (the FY2025 baselines of the Green Basic Plan)
BASE_TARGETS = {"satisfaction": 0.29, "park_use": 30.9}

# question id -> (type, number of codes or items)
MODEL_QUESTIONS = {
    "sex": ("single", 3), "age_band": ("single", 6), "district": ("single", 5),
    "years_lived": ("numeric", 0), "children": ("single", 2), "satisfaction": ("likert", 6),
    "park_use": ("single", 6), "park_reason": ("single", 5), "importance": ("likert", 10),
    "allocation": ("allocation", 10), "policy": ("ranking", 12), "activity": ("multi", 8),
    "comment": ("text", 0),
}

# -- satisfaction: latent normal, cuts between the five scored codes
SAT_AGE = np.array([-0.55, -0.35, -0.10, 0.05, 0.30, 0.55])
SAT_DISTRICT = np.array([0.10, 0.05, -0.05, 0.10, -0.10])
SAT_FEMALE = 0.05
SAT_CUTS = np.array([-1.30, -0.45, 0.35, 1.30])
SAT_DONT_KNOW = np.array([0.07, 0.05, 0.04, 0.03, 0.03, 0.04])
SAT_NO_ANSWER = np.array([0.008, 0.008, 0.008, 0.010, 0.012, 0.025])
# -- park use: latent normal, cuts between the six frequency categories
PARK_AGE = np.array([-0.25, 0.00, 0.00, -0.10, 0.05, 0.15])
PARK_CHILDREN = 0.45
PARK_DISTRICT = np.array([-0.70, 0.05, 0.00, 0.10, -0.05])
PARK_CUTS = np.array([-0.90, -0.10, 0.60, 1.20, 1.80])
PARK_NO_ANSWER = 0.01
# reasons for not using parks (近くにない, 魅力的でない, 時間がない, 関心がない, その他)
REASON_BASE = np.array([0.18, 0.27, 0.30, 0.20, 0.05])
REASON_YOUNG = np.array([0.15, 0.25, 0.38, 0.17, 0.05])
REASON_LACKING = np.array([0.55, 0.15, 0.15, 0.10, 0.05])  # 内間木: few parks
REASON_NO_ANSWER = 0.03
# -- importance of the ten functions: one latent factor
IMP_MEAN = np.array([0.60, 0.80, 0.30, 0.40, 0.40, 0.10, 0.80, 0.80, 0.00, 1.00])
IMP_AGE = np.array([0.00, 0.03, -0.03, -0.02, 0.00, 0.06, 0.05, -0.05, 0.02, 0.12])  # per band above 3.5
IMP_CHILDREN = np.array([0.0, 0.1, 0.0, 0.1, 0.0, 0.0, 0.0, 0.45, 0.1, 0.0])
IMP_LOADING, IMP_NOISE = 0.70, 0.70
IMP_CUTS = np.array([-0.90, 0.00, 1.00])
IMP_STRAIGHT = 0.03
IMP_STRAIGHT_CODE = np.array([0.60, 0.30, 0.07, 0.03])  # best score first
IMP_ITEM_NA, IMP_ALL_NA = 0.008, 0.015
# -- allocation of 1,000 yen: Dirichlet shares, sparsity, round numbers
ALLOC_BASE = np.array([0.10, 0.10, 0.06, 0.09, 0.07, 0.07, 0.11, 0.13, 0.06, 0.21])
ALLOC_CONCENTRATION = 4.0
ALLOC_ZERO = 0.30
ALLOC_ALL_IN_ONE = 0.03
ALLOC_UNITS, ALLOC_UNIT_P = np.array([10, 50, 100]), np.array([0.30, 0.55, 0.15])
ALLOC_NO_ANSWER = 0.04
# -- policy ranking (Plackett-Luce utilities of the twelve items)
POLICY_THETA = np.array([1.40, 1.00, 0.80, 0.05, 0.15, 0.35, 0.20, -0.40, -0.50, 0.30, 0.00, -0.80])
POLICY_DEPTH_P = np.array([0.04, 0.05, 0.06, 0.85])  # unanswered, 1, 2, all slots
# -- activities (multi-answer, Gumbel top-k of the first seven, last code = none)
ACT_THETA = np.array([0.90, 0.15, 0.60, -0.50, 0.10, 0.25, -0.10])
ACT_NONE = np.array([0.20, 0.17, 0.17, 0.20, 0.24, 0.32])
ACT_K_P = np.array([0.30, 0.35, 0.35])
ACT_NO_ANSWER = 0.03


def check_supported(questionnaire) -> None:
    """Raise :class:`SpecError` unless the questionnaire has the questions
    the answer model knows (the midori questionnaire family)."""
    for qid, (qtype, size) in MODEL_QUESTIONS.items():
        if qid not in questionnaire:
            raise SpecError(f"the simulator needs question {qid!r} ({qtype}); the questionnaire lacks it. "
                            "Simulate with questionnaires/midori_2025.yaml or a questionnaire with the same ids",
                            path=questionnaire.path, key=qid)
        q = questionnaire[qid]
        n = len(q.items) if qtype in ("allocation",) or (qtype == "likert" and q.items) else len(q.codes)
        if q.type != qtype or (size and n != size):
            raise SpecError(f"the simulator expects {qid!r} to be {qtype} with {size} codes/items, "
                            f"got {q.type} with {n}; restore the midori layout of this question",
                            path=questionnaire.path, key=qid)


def condition_mask(frame: pd.DataFrame, cond) -> np.ndarray:
    """Boolean mask of rows where a skip/contradiction condition holds."""
    col = frame[cond.column]
    if cond.op == "blank":
        return (col.isna().to_numpy()) == bool(cond.values[0])
    values = col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if cond.op == "in":
        return np.isin(values, np.asarray(cond.values, dtype=float))
    if cond.op == "not_in":
        return ~np.isin(values, np.asarray(cond.values, dtype=float)) & ~np.isnan(values)
    low, high = (float(v) for v in cond.values)
    return (values >= low) & (values <= high)


def _bisect(fn, target, lo=-4.0, hi=4.0, steps=40) -> float:
    """Smallest-error intercept of a non-decreasing step function."""
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if fn(mid) < target:
            lo = mid
        else:
            hi = mid
    return lo if abs(fn(lo) - target) <= abs(fn(hi) - target) else hi


def _categorical(rng, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (rows sum to 1); 0-based."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return (u >= cum).sum(axis=1)


def _int(values, mask_na=None) -> pd.Series:
    out = pd.array(np.asarray(values, dtype=np.int64), dtype="Int64")
    if mask_na is not None:
        out[np.asarray(mask_na)] = pd.NA
    return out


def _satisfaction(q, people, rng, target, intercept):
    a, d = people["age_band"].to_numpy() - 1, people["district"].to_numpy() - 1
    n = len(people)
    z = SAT_AGE[a] + SAT_DISTRICT[d] + SAT_FEMALE * (people["sex"].to_numpy() == 2) + rng.standard_normal(n)
    dont_know = rng.random(n) < SAT_DONT_KNOW[a]
    no_answer = rng.random(n) < SAT_NO_ANSWER[a]
    scored = sorted(q.scores, key=lambda c: q.scores[c])           # worst ... best
    score = np.array([q.scores[c] for c in scored])
    valid = ~dont_know & ~no_answer

    def index(c):
        return score[np.digitize(z[valid] + c, SAT_CUTS)].mean()

    if intercept is None:
        intercept = _bisect(index, target)
    codes = np.asarray(scored)[np.digitize(z + intercept, SAT_CUTS)]
    dk_code = next(c for c in q.codes if c not in q.scores)
    codes = np.where(dont_know, dk_code, codes)
    codes = np.where(no_answer, min(q.missing), codes)
    return {q.id: _int(codes)}, intercept


def _park(q, people, rng, target, intercept):
    a, d = people["age_band"].to_numpy() - 1, people["district"].to_numpy() - 1
    n = len(people)
    z = (PARK_AGE[a] + PARK_CHILDREN * (people["children"].to_numpy() == 1) + PARK_DISTRICT[d]
         + rng.standard_normal(n))
    no_answer = rng.random(n) < PARK_NO_ANSWER
    ordered = sorted(q.numeric_map, key=lambda c: q.numeric_map[c])  # never ... daily
    times = np.array([q.numeric_map[c] for c in ordered])

    def mean(c):
        return times[np.digitize(z[~no_answer] + c, PARK_CUTS)].mean()

    if intercept is None:
        intercept = _bisect(mean, target)
    codes = np.asarray(ordered)[np.digitize(z + intercept, PARK_CUTS)]
    codes = np.where(no_answer, min(q.missing), codes)
    return {q.id: _int(codes)}, intercept


def _park_reason(q, people, answers, rng):
    n = len(people)
    a, d = people["age_band"].to_numpy() - 1, people["district"].to_numpy() - 1
    probs = np.where((a <= 1)[:, None], REASON_YOUNG, REASON_BASE)
    probs = np.where((d == 0)[:, None], REASON_LACKING, probs)
    codes = np.asarray(list(q.codes))[_categorical(rng, probs)]
    codes = np.where(rng.random(n) < REASON_NO_ANSWER, min(q.missing), codes)
    asked = np.ones(n, dtype=bool)
    for cond in q.asked_if:
        asked &= condition_mask(answers, cond)
    return {q.id: _int(codes, ~asked)}


def _importance(q, people, rng):
    n, k = len(people), len(q.items)
    a = people["age_band"].to_numpy()[:, None] - 3.5
    kids = (people["children"].to_numpy() == 1)[:, None]
    v = (IMP_MEAN + IMP_LOADING * rng.standard_normal((n, 1)) + IMP_AGE * a + IMP_CHILDREN * kids
         + IMP_NOISE * rng.standard_normal((n, k)))
    scored = np.asarray(sorted(q.scores, key=lambda c: q.scores[c]))  # least ... most important
    codes = scored[np.digitize(v, IMP_CUTS)]
    straight = rng.random(n) < IMP_STRAIGHT * (1.0 + 0.5 * (a[:, 0] < 0))
    line = scored[::-1][_categorical(rng, np.tile(IMP_STRAIGHT_CODE, (n, 1)))]
    codes = np.where(straight[:, None], line[:, None], codes)
    missing = min(q.missing)
    codes = np.where(rng.random((n, k)) < IMP_ITEM_NA, missing, codes)
    codes = np.where((rng.random(n) < IMP_ALL_NA)[:, None], missing, codes)
    return {item.column: _int(codes[:, j]) for j, item in enumerate(q.items)}


def _round_to_units(shares: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding of each row to ``total/unit`` whole units."""
    slots = units[:, None]
    raw = shares * slots
    base = np.floor(raw).astype(np.int64)
    short = (slots[:, 0] - base.sum(axis=1)).astype(np.int64)
    order = np.argsort(-(raw - base), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(shares.shape[1])[None, :], axis=1)
    return base + (rank < short[:, None])


def _allocation(q, people, rng):
    n, k = len(people), len(q.items)
    total = int(q.total)
    if any(total % int(u) for u in ALLOC_UNITS):
        raise SpecError(f"the simulator rounds allocations to 10/50/100 and needs a total divisible by 100, "
                        f"got {total}", path=None, key=f"{q.id}.total")
    a = people["age_band"].to_numpy() - 3.5
    kids = people["children"].to_numpy() == 1
    mult = np.ones((n, k))
    mult[:, 9] = np.exp(0.18 * a)                     # disaster safety: older residents
    mult[:, 7] = np.exp(0.70 * kids - 0.08 * a)       # children's growth: child households, younger
    mult[:, 6] = np.exp(0.05 * a)                     # health
    alpha = ALLOC_BASE * mult
    alpha = ALLOC_CONCENTRATION * alpha / alpha.sum(axis=1, keepdims=True)
    shares = rng.gamma(alpha)
    top = np.argmax(shares, axis=1)
    keep = (rng.random((n, k)) >= ALLOC_ZERO)
    keep[np.arange(n), top] = True
    one = rng.random(n) < ALLOC_ALL_IN_ONE
    keep[one] = False
    keep[one, top[one]] = True
    shares = np.where(keep, shares, 0.0)
    shares = shares / shares.sum(axis=1, keepdims=True)
    unit = ALLOC_UNITS[_categorical(rng, np.tile(ALLOC_UNIT_P, (n, 1)))]
    yen = _round_to_units(shares, total // unit) * unit[:, None]
    na = rng.random(n) < ALLOC_NO_ANSWER
    return {item.column: _int(yen[:, j], na) for j, item in enumerate(q.items)}


def _policy(q, people, rng):
    n, depth = len(people), int(q.depth)
    a = people["age_band"].to_numpy() - 3.5
    kids = people["children"].to_numpy() == 1
    d = people["district"].to_numpy() - 1
    u = np.tile(POLICY_THETA, (n, 1))
    u[:, 9] += 0.18 * a                               # 災害時に役立つみどり: older
    u[:, 1] += 0.60 * kids - 0.05 * a + 0.50 * (d == 0)  # 身近な公園: child households, 内間木
    u[:, 4] += 0.06 * a + 0.30 * (d == 0)             # 農地・市民農園
    u[:, 10] -= 0.05 * a                              # 生き物: younger
    u += rng.gumbel(size=u.shape)
    order = np.argsort(-u, axis=1, kind="stable")[:, :depth]
    codes = np.asarray(list(q.codes))[order]
    filled = _categorical(rng, np.tile(POLICY_DEPTH_P, (n, 1)))       # 0 = unanswered
    out = {}
    for r, item in enumerate(q.items):
        col = np.where(filled == 0, min(q.missing), codes[:, r])
        out[item.column] = _int(col, (filled > 0) & (filled <= r))
    return out


def _activity(q, people, rng):
    n = len(people)
    a = people["age_band"].to_numpy() - 3.5
    kids = people["children"].to_numpy() == 1
    u = np.tile(ACT_THETA, (n, 1))
    u[:, 1] += 0.08 * a                               # 花壇づくり: older
    u[:, 5] += 0.10 * a                               # 清掃活動: older
    u[:, 4] += 0.60 * kids                            # 自然観察会: families
    u[:, 6] += -0.10 * a + 0.30 * kids                # 緑化イベント: younger, families
    u += rng.gumbel(size=u.shape)
    k = 1 + _categorical(rng, np.tile(ACT_K_P, (n, 1)))
    rank = np.argsort(np.argsort(-u, axis=1, kind="stable"), axis=1, kind="stable")
    ticks = (rank < k[:, None]).astype(np.int64)
    none = rng.random(n) < ACT_NONE[people["age_band"].to_numpy() - 1]
    ticks[none] = 0
    ticks = np.column_stack([ticks, none.astype(np.int64)])
    na = rng.random(n) < ACT_NO_ANSWER
    return {item.column: _int(ticks[:, j], na) for j, item in enumerate(q.items)}


def simulate_answers(people: pd.DataFrame, questionnaire, *, rng, targets=None, intercepts=None):
    """Give every person of ``people`` a full set of tidy answers.

    Parameters
    ----------
    people : DataFrame
        Attribute columns ``sex, age_band, district, children, years_lived``.
    questionnaire : Questionnaire
        The midori questionnaire (ids and codes are read from it).
    rng : numpy.random.Generator
        Source of all draws; seven child streams are spawned from it.
    targets : mapping, optional
        ``{"satisfaction": index, "park_use": mean}`` the intercepts are
        calibrated to hit on ``people`` (ignored for a question whose
        intercept is given).
    intercepts : mapping, optional
        Fixed latent intercepts ``{"satisfaction": c, "park_use": c}``.

    Returns
    -------
    (DataFrame, dict)
        ``people`` plus one tidy column per answer, and the intercepts used.
    """
    check_supported(questionnaire)
    targets = {**BASE_TARGETS, **dict(targets or {})}
    intercepts = dict(intercepts or {})
    streams = rng.spawn(7)
    q = questionnaire
    cols: dict[str, object] = {}
    sat, c_sat = _satisfaction(q["satisfaction"], people, streams[0], targets.get("satisfaction"),
                               intercepts.get("satisfaction"))
    park, c_park = _park(q["park_use"], people, streams[1], targets.get("park_use"), intercepts.get("park_use"))
    cols.update(sat)
    cols.update(park)
    answered = people.assign(**cols)
    cols.update(_park_reason(q["park_reason"], people, answered, streams[2]))
    cols.update(_importance(q["importance"], people, streams[3]))
    cols.update(_allocation(q["allocation"], people, streams[4]))
    cols.update(_policy(q["policy"], people, streams[5]))
    cols.update(_activity(q["activity"], people, streams[6]))
    out = people.assign(**cols)
    return out, {"satisfaction": float(c_sat), "park_use": float(c_park)}
