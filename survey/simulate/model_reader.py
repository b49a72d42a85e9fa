"""Reading the parts of a simulation model file: numbers, probabilities, terms, rates.

Every mistake is a :class:`~survey.errors.SpecError` naming the model file, the key
(``answers.satisfaction.cuts``) and the fix; the format is in ``data/SIMULATION.md``.
"""
from __future__ import annotations

import math

from survey.errors import SpecError
from survey.simulate.model import Constant, Factor, Lookup, Noise, Scaled, Slope, When

__all__ = ["ModelReader"]

TERM_FORMS = "{by, values}, {if, add}, {slope, center, per_step}, {add}, {factor} or {noise}"
RATE_FORMS = "a number, {by, values} or {base, if, times}"


class ModelReader:
    """Primitives of the model parser, bound to the model file and its questionnaire.

    ``levels`` maps every register column of the population to its codes (for a
    lookup or a condition); it grows while the population section is read.
    """

    def __init__(self, path, questionnaire):
        self.path = None if path is None else str(path)
        self.q = questionnaire
        self.levels: dict[str, tuple[int, ...]] = {}

    def fail(self, key: str, message: str):
        raise SpecError(message, path=self.path, key=key)

    # ------------------------------------------------------------------ plain values

    def mapping(self, raw, key: str, allowed, required=()) -> dict:
        if not isinstance(raw, dict):
            self.fail(key, f"{key} must be a mapping with keys {sorted(allowed)}, got {type(raw).__name__}")
        unknown = [k for k in raw if k not in allowed]
        if unknown:
            self.fail(key, f"the model does not know the key(s) {sorted(map(str, unknown))} here; "
                           f"allowed: {', '.join(sorted(allowed))}")
        for name in required:
            if name not in raw:
                self.fail(key, f"missing required key {name!r}; add it (data/SIMULATION.md, 'The model file')")
        return raw

    def items(self, raw, key: str, what: str = "a list") -> list:
        if not isinstance(raw, list) or not raw:
            self.fail(key, f"{key} must be {what} (a non-empty YAML list)")
        return raw

    def number(self, raw, key: str, *, low=None, high=None, integer=False, positive=False) -> float:
        ok = isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw)
        if ok and integer:
            ok = float(raw).is_integer()
        if not ok:
            kind = "a whole number" if integer else "a number"
            self.fail(key, f"expected {kind}, got {type(raw).__name__} {raw!r}; write it as a plain number")
        if (low is not None and raw < low) or (high is not None and raw > high) or (positive and raw <= 0):
            bounds = "above 0" if positive else f"between {low} and {high}" if high is not None else f"at least {low}"
            self.fail(key, f"{raw!r} must be {bounds}")
        return int(raw) if integer else raw

    def numbers(self, raw, key: str, n: int, what: str, **bounds) -> tuple:
        values = self.items(raw, key, f"a list of {n} numbers")
        if len(values) != n:
            self.fail(key, f"gives {len(values)} values for {n} {what}; give one value for each, in the "
                           "questionnaire's order")
        return tuple(self.number(v, f"{key}[{i}]", **bounds) for i, v in enumerate(values))

    def probability(self, raw, key: str) -> float:
        return self.number(raw, key, low=0, high=1)

    def distribution(self, raw, key: str, n: int, what: str) -> tuple[float, ...]:
        """Probabilities of ``n`` outcomes that add up to 1."""
        probs = self.numbers(raw, key, n, what, low=0, high=1)
        if abs(sum(probs) - 1.0) > 1e-9:
            self.fail(key, f"the probabilities add up to {sum(probs):.6g}, not 1; correct them")
        return probs

    # ------------------------------------------------------------------ questions and columns

    def question(self, qid, key: str, types=None):
        if not isinstance(qid, str) or qid not in self.q:
            self.fail(key, f"the model names question {qid!r}, which questionnaire {self.q.id} lacks; remove it "
                           "or simulate the questionnaire the model was written for")
        question = self.q[qid]
        if types and question.type not in types:
            self.fail(key, f"question {qid!r} is {question.type}; this needs a {' or '.join(types)} question")
        return question

    def column(self, name, key: str, *, coded: bool = True) -> tuple[int, ...]:
        """The codes of a register column (read by terms, rates and conditions);
        ``coded=False`` also accepts a number column (age in years) for a slope."""
        if name not in self.levels or (coded and not self.levels[name]):
            known = ", ".join(k for k, v in self.levels.items() if v or not coded) or "none yet"
            what = "coded column" if coded else "column"
            self.fail(key, f"{name!r} is not a {what} of the population drawn before this point "
                           f"(known: {known}); terms, rates and conditions read the register's attributes")
        return self.levels[name]

    def conditions(self, raw, key: str) -> tuple:
        if not isinstance(raw, dict) or not raw:
            self.fail(key, "if must be a mapping {column: [codes]}, e.g. {children: [1]}")
        out = []
        for name, codes in raw.items():
            levels = self.column(name, f"{key}.{name}")
            codes = codes if isinstance(codes, list) else [codes]
            bad = [c for c in codes if c not in levels]
            if bad or not codes:
                self.fail(f"{key}.{name}", f"codes {bad or codes} are not codes of {name} {list(levels)}")
            out.append((name, tuple(int(c) for c in codes)))
        return tuple(out)

    def lookup(self, raw, key: str, **bounds) -> Lookup:
        codes = self.column(raw.get("by"), f"{key}.by")
        values = self.numbers(raw.get("values"), f"{key}.values", len(codes), f"codes of {raw['by']}", **bounds)
        return Lookup(column=raw["by"], codes=codes, values=values)

    # ------------------------------------------------------------------ terms and rates

    def amount(self, raw, key: str, items: int | None):
        """A number, or (for a matrix question) one number per item."""
        if isinstance(raw, list):
            if not items:
                self.fail(key, "a list of values is for a question with items; give one number")
            return self.numbers(raw, key, items, "items")
        return self.number(raw, key)

    def term(self, raw, key: str, items: int | None):
        forms = {frozenset({"by", "values"}), frozenset({"if", "add"}), frozenset({"slope", "center", "per_step"}),
                 frozenset({"add"}), frozenset({"factor"}), frozenset({"noise"})}
        if not isinstance(raw, dict) or frozenset(raw) not in forms:
            got = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
            self.fail(key, f"a term is one of {TERM_FORMS}; got {got}")
        if "by" in raw:
            return self.lookup(raw, key)
        if "if" in raw:
            return When(self.conditions(raw["if"], f"{key}.if"), self.amount(raw["add"], f"{key}.add", items))
        if "slope" in raw:
            self.column(raw["slope"], f"{key}.slope", coded=False)
            return Slope(raw["slope"], self.number(raw["center"], f"{key}.center"),
                         self.amount(raw["per_step"], f"{key}.per_step", items))
        if "add" in raw:
            return Constant(self.amount(raw["add"], f"{key}.add", items))
        if "factor" in raw:
            return Factor(self.number(raw["factor"], f"{key}.factor"))
        return Noise(self.number(raw["noise"], f"{key}.noise", low=0))

    def terms(self, raw, key: str, items: int | None = None) -> tuple:
        return tuple(self.term(t, f"{key}[{i}]", items) for i, t in enumerate(self.items(raw, key, "a list of terms")))

    def rate(self, raw, key: str, *, high=1):
        """A probability per person (``high=None``: a non-negative factor)."""
        if isinstance(raw, dict):
            if set(raw) == {"by", "values"}:
                return self.lookup(raw, key, low=0, high=high)
            if set(raw) == {"base", "if", "times"}:
                return Scaled(self.number(raw["base"], f"{key}.base", low=0, high=high),
                              self.conditions(raw["if"], f"{key}.if"), self.number(raw["times"], f"{key}.times", low=0))
            self.fail(key, f"a rate is {RATE_FORMS}; got keys {sorted(raw)}")
        return self.number(raw, key, low=0, high=high)

    def tilt(self, raw, key: str, targets: dict) -> tuple:
        """``{target: [terms]}`` -> ``((index, terms), ...)``; ``targets`` maps the
        allowed keys (item columns or codes) to their position."""
        if not isinstance(raw, dict):
            self.fail(key, "tilt must be a mapping {item column or code: [terms]}")
        out = []
        for name, terms in raw.items():
            if name not in targets:
                self.fail(f"{key}.{name}", f"{name!r} is not one of {list(targets)}")
            out.append((targets[name], self.terms(terms, f"{key}.{name}")))
        return tuple(out)
