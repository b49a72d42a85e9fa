"""Reading the ``answers:`` section of a simulation model: one answer model per question.

| model | question types | what it draws |
|---|---|---|
| ``ordinal`` | likert, single (with ``scores`` or ``numeric_map``) | a latent value cut into the ordered codes |
| ``categorical`` | single | a code with fixed probabilities (overridden in groups) |
| ``dirichlet`` | allocation | shares of the total, sparse, in round units |
| ``plackett_luce`` | ranking | the top ``depth`` codes by utility + Gumbel noise |
| ``top_k`` | multi | k boxes by utility + Gumbel noise, or the exclusive code |
"""
from __future__ import annotations

from survey.simulate.model import (
    Categorical,
    Dirichlet,
    Ordinal,
    PlackettLuce,
    Straightlining,
    TopK,
)

__all__ = ["MODELS", "read_answer"]

MODELS = {
    "ordinal": ("likert", "single"),
    "categorical": ("single",),
    "dirichlet": ("allocation",),
    "plackett_luce": ("ranking",),
    "top_k": ("multi",),
}
_KEYS = {
    "ordinal": {"latent", "order", "cuts", "calibrate", "dont_know", "straightlining", "item_no_answer", "no_answer"},
    "categorical": {"probs", "overrides", "no_answer"},
    "dirichlet": {"shares", "tilt", "concentration", "zero", "all_in_one", "units", "no_answer"},
    "plackett_luce": {"utility", "tilt", "filled"},
    "top_k": {"utility", "tilt", "choices", "exclusive", "no_answer"},
}
_REQUIRED = {
    "ordinal": ("latent", "order", "cuts"),
    "categorical": ("probs",),
    "dirichlet": ("shares", "concentration", "units"),
    "plackett_luce": ("utility", "filled"),
    "top_k": ("utility", "choices"),
}


def _missing_code(r, q, key, what):
    if not q.missing:
        r.fail(key, f"{what} needs a missing code on question {q.id!r} (missing: or missing_codes: in the "
                    "questionnaire)")


def _optional_rate(r, raw, name, key, q, *, code=True):
    """A rate of answering with the missing code (``code``) or leaving it blank."""
    if name not in raw:
        return None
    if code:
        _missing_code(r, q, f"{key}.{name}", name)
    return r.rate(raw[name], f"{key}.{name}")


def read_answer(r, qid, raw, key: str):
    """One ``answers:`` entry as an answer-model object (``r``: a ModelReader)."""
    if not isinstance(raw, dict) or raw.get("model") not in MODELS:
        got = raw.get("model") if isinstance(raw, dict) else raw
        r.fail(f"{key}.model", f"model {got!r} is not one of {', '.join(MODELS)}")
    kind = raw["model"]
    q = r.question(qid, key)
    if q.type not in MODELS[kind]:
        fits = [m for m, types in MODELS.items() if q.type in types]
        r.fail(f"{key}.model", f"model {kind!r} does not fit question {qid!r} ({q.type}); use "
                               f"{' or '.join(fits) or 'reporting: (text)'}")
    body = {k: v for k, v in raw.items() if k != "model"}
    r.mapping(body, key, _KEYS[kind], _REQUIRED[kind])
    return {"ordinal": _ordinal, "categorical": _categorical, "dirichlet": _dirichlet,
            "plackett_luce": _plackett_luce, "top_k": _top_k}[kind](r, q, body, key)


def _ordinal(r, q, raw, key):
    order = raw["order"]
    ranks = {"scores": q.scores, "numeric_map": q.numeric_map}.get(order)
    if not ranks:
        r.fail(f"{key}.order", f"order must be scores or numeric_map, one the question {q.id!r} declares; "
                               f"got {order!r}")
    items = len(q.items) if q.items else None
    cuts = r.numbers(raw["cuts"], f"{key}.cuts", len(ranks) - 1, f"boundaries between the {len(ranks)} ordered codes")
    if any(b <= a for a, b in zip(cuts, cuts[1:])):
        r.fail(f"{key}.cuts", f"cuts must increase, got {list(cuts)}")
    calibrate = target = None
    if "calibrate" in raw:
        if items:
            r.fail(f"{key}.calibrate", "a matrix question cannot be calibrated; remove calibrate")
        calibrate = raw["calibrate"]
        statistic = {"scores": "score_mean", "numeric_map": "numeric_mean"}[order]
        fits = [ind for ind in r.q.indicators if ind.get("id") == calibrate and ind.get("question") == q.id
                and ind.get("statistic") == statistic and ind.get("baseline") is not None]
        if not fits:
            known = [ind.get("id") for ind in r.q.indicators_of("survey")]
            r.fail(f"{key}.calibrate", f"calibrate names {calibrate!r}, which is not an indicator of questionnaire "
                                       f"{r.q.id} on {q.id!r} ({statistic}, with a baseline); known: {known}")
        target = float(fits[0]["baseline"])
    dont_know = dont_know_code = None
    if "dont_know" in raw:
        unranked = [c for c in q.codes if c not in ranks]
        if not unranked:
            r.fail(f"{key}.dont_know", f"dont_know needs a code of {q.id!r} without a score (わからない)")
        dont_know, dont_know_code = r.rate(raw["dont_know"], f"{key}.dont_know"), unranked[0]
    straight = None
    if "straightlining" in raw:
        if not items:
            r.fail(f"{key}.straightlining", "straightlining is for a question with items")
        s = r.mapping(raw["straightlining"], f"{key}.straightlining", {"rate", "codes"}, ("rate", "codes"))
        codes = s["codes"]
        if not isinstance(codes, dict) or sorted(codes) != sorted(q.codes):
            r.fail(f"{key}.straightlining.codes", f"codes must give a probability to every code of {q.id!r} "
                                                  f"{list(q.codes)}")
        probs = r.distribution(list(codes.values()), f"{key}.straightlining.codes", len(codes), "codes")
        straight = Straightlining(r.rate(s["rate"], f"{key}.straightlining.rate"), tuple(codes), probs)
    if "item_no_answer" in raw and not items:
        r.fail(f"{key}.item_no_answer", "item_no_answer is for a question with items; use no_answer")
    return Ordinal(
        question=q.id, latent=r.terms(raw["latent"], f"{key}.latent", items), order=order, cuts=cuts,
        calibrate=calibrate, target=target, dont_know=dont_know, dont_know_code=dont_know_code,
        straightlining=straight, item_no_answer=_optional_rate(r, raw, "item_no_answer", key, q),
        no_answer=_optional_rate(r, raw, "no_answer", key, q),
    )


def _categorical(r, q, raw, key):
    n = len(q.codes)
    overrides = []
    for i, o in enumerate(raw.get("overrides") or []):
        k = f"{key}.overrides[{i}]"
        r.mapping(o, k, {"if", "probs"}, ("if", "probs"))
        overrides.append((r.conditions(o["if"], f"{k}.if"), r.distribution(o["probs"], f"{k}.probs", n, "codes")))
    return Categorical(question=q.id, probs=r.distribution(raw["probs"], f"{key}.probs", n, "codes"),
                       overrides=tuple(overrides), no_answer=_optional_rate(r, raw, "no_answer", key, q))


def _dirichlet(r, q, raw, key):
    parts = list(q.columns)
    units = raw["units"]
    if not isinstance(units, dict) or not units:
        r.fail(f"{key}.units", "units must be a mapping {unit: probability}, e.g. {10: 0.3, 50: 0.55, 100: 0.15}")
    for unit in units:
        r.number(unit, f"{key}.units", integer=True, positive=True)
        if int(q.total) % unit:
            r.fail(f"{key}.units", f"the unit {unit} does not divide the total {q.total:g} of {q.id!r}; "
                                   "use units that divide it")
    return Dirichlet(
        question=q.id, shares=r.numbers(raw["shares"], f"{key}.shares", len(parts), "parts", positive=True),
        tilt=r.tilt(raw.get("tilt") or {}, f"{key}.tilt", {c: j for j, c in enumerate(parts)}),
        concentration=r.number(raw["concentration"], f"{key}.concentration", positive=True),
        zero=r.probability(raw.get("zero", 0.0), f"{key}.zero"),
        all_in_one=r.probability(raw.get("all_in_one", 0.0), f"{key}.all_in_one"),
        units=tuple(int(u) for u in units),
        unit_probs=r.distribution(list(units.values()), f"{key}.units", len(units), "units"),
        no_answer=_optional_rate(r, raw, "no_answer", key, q, code=False),
    )


def _plackett_luce(r, q, raw, key):
    codes = list(q.codes)
    _missing_code(r, q, f"{key}.filled", "filled (its first entry: unanswered)")
    return PlackettLuce(
        question=q.id, utility=r.numbers(raw["utility"], f"{key}.utility", len(codes), "codes"),
        tilt=r.tilt(raw.get("tilt") or {}, f"{key}.tilt", {c: j for j, c in enumerate(codes)}),
        filled=r.distribution(raw["filled"], f"{key}.filled", int(q.depth) + 1,
                              f"numbers of filled slots 0 … {int(q.depth)}"),
    )


def _top_k(r, q, raw, key):
    codes = [it.code for it in q.items]
    exclusive = rate = None
    if "exclusive" in raw:
        x = r.mapping(raw["exclusive"], f"{key}.exclusive", {"code", "rate"}, ("code", "rate"))
        if x["code"] not in codes:
            r.fail(f"{key}.exclusive.code", f"{x['code']!r} is not a code of {q.id!r} {codes}")
        exclusive, rate = x["code"], r.rate(x["rate"], f"{key}.exclusive.rate")
    rest = [c for c in codes if c != exclusive]
    most = min(len(rest), q.max_choices or len(rest))
    choices = r.items(raw["choices"], f"{key}.choices", "a list of probabilities of 1, 2, … boxes")
    if len(choices) > most:
        r.fail(f"{key}.choices", f"gives {len(choices)} numbers of boxes, more than the {most} allowed")
    return TopK(
        question=q.id, utility=r.numbers(raw["utility"], f"{key}.utility", len(rest), "codes but the exclusive one"),
        tilt=r.tilt(raw.get("tilt") or {}, f"{key}.tilt", {c: j for j, c in enumerate(rest)}),
        choices=r.distribution(choices, f"{key}.choices", len(choices), "numbers of boxes"),
        exclusive_code=exclusive, exclusive_rate=rate,
        no_answer=_optional_rate(r, raw, "no_answer", key, q, code=False),
    )
