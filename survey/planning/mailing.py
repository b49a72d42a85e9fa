"""Planning the next wave: how many questionnaires to mail to whom (issue 11).

:func:`plan_mailing` turns what this wave showed (response rates by age x
district, the item's variance in every cell, the design effect of the
weights: :func:`~survey.planning.inputs.planning_inputs`) and a
target into a mailing allocation per cell:

* a precision target -- e.g. the satisfaction index to ±0.05 at 95 % for
  the city (:class:`PrecisionTarget` ``(0.05)``) and ±0.10 in every district
  (``PrecisionTarget(0.10, by="district")``);
* a detectable change between this wave and the next with 80 % power
  (:class:`ChangeTarget`);
* a minimum number of respondents per district;
* a budget (yen, with costs per mailing and per returned form) or a number
  of mailings.

Allocation methods: ``"proportional"`` (mailings in proportion to the
population: the simple random sample of today), ``"proportional_respondents"``
(more mailings where fewer answer, so the respondents mirror the population)
and ``"neyman"`` (the optimum ``m_h ~ W_h S_h / sqrt(r_h a_h k_h)``, derived
in :mod:`survey.planning.allocate`).  District floors are kept by
iterative fixing (the device of Cochran 1977, ch. 5, for an optimum
allocation that asks for more than the whole stratum).

The result is a :class:`MailingPlan`: the allocation per cell (whole
questionnaires), the expected respondents, the expected half-width of every
headline figure for the city, every district and age band
(:func:`~survey.planning.precision.expected_precision`) and the
targets with whether they are met.  How well the planned precision matches
the intervals the next wave actually yields is checked by simulation in
``benchmarks/planning_simulation.py``.

References: Cochran, W. G. (1977) *Sampling Techniques*, 3rd ed., ch. 5;
Kish, L. (1965) *Survey Sampling*, sec. 11.7; Neyman, J. (1934) On the two
different aspects of the representative method, *JRSS* 97, 558-625.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.design.distributions import norm_ppf
from survey.errors import DesignError
from survey.validation import check_option
from survey.planning.allocate import (
    METHODS,
    round_to_budget,
    round_up,
)
from survey.planning.inputs import PlanInputs
from survey.planning.problem import AllocationProblem
from survey.planning.precision import (
    domain_label,
    expected_precision,
    measure_variance,
    plan_sampling_error_table,
    z_value,
)
from survey.planning.targets import ChangeTarget, PrecisionTarget

__all__ = [
    "ALLOCATION_COLUMNS",
    "METHODS",
    "TARGET_COLUMNS",
    "ChangeTarget",
    "MailingPlan",
    "PrecisionTarget",
    "TargetsUnreachable",
    "compare_plans",
    "plan_mailing",
]

class TargetsUnreachable(DesignError):
    """No mailing meets the targets: ``notes`` say which and why (the 計画 sheet
    shows them in Japanese: :func:`~survey.report.planning_tables.note_ja` with ``inputs``)."""

    def __init__(self, notes, inputs=None):
        self.notes = tuple(notes)
        self.inputs = inputs
        super().__init__("the targets cannot be met: " + "; ".join(self.notes))


ALLOCATION_COLUMNS = ["population", "response_rate", "mailed", "expected_respondents", "sampling_fraction",
                      "base_weight"]
TARGET_COLUMNS = ["measure", "kind", "domain", "level", "label", "target", "required_se", "expected_se",
                  "expected", "met"]


@dataclass(frozen=True)
class MailingPlan:
    """A mailing allocation and what it is expected to give.

    Attributes
    ----------
    method, measure : str
    keys : tuple of str
    allocation : DataFrame
        One row per cell: the two keys, then :data:`ALLOCATION_COLUMNS`
        (``mailed`` whole questionnaires; ``base_weight = N_h / m_h`` is the
        base weight the next wave's design should start from).
    precision : DataFrame
        :func:`~survey.planning.precision.expected_precision` of
        every measure, for the city and every level of both keys.
    targets : DataFrame
        :data:`TARGET_COLUMNS`, one row per target and domain.
    totals : dict
        ``mailings, respondents, cost, required_cost`` (cost of the cheapest
        plan meeting every target; NaN if none can), ``budget``.
    feasible : bool
        Every target and floor is met.
    notes : tuple of str
    """

    method: str
    measure: str
    keys: tuple
    allocation: pd.DataFrame = field(repr=False)
    precision: pd.DataFrame = field(repr=False)
    targets: pd.DataFrame = field(repr=False)
    totals: dict
    feasible: bool
    notes: tuple = ()
    inputs: PlanInputs = field(repr=False, default=None)
    level: float = 0.95

    def by_group(self) -> pd.DataFrame:
        """Mailings, respondents and the measure's half-width per group and for the city."""
        g = self.keys[0]
        a = self.allocation.groupby(g)[["population", "mailed", "expected_respondents"]].sum()
        p = self.precision[(self.precision["measure"] == self.measure) & (self.precision["domain"] == g)]
        a["half_width"] = p.set_index("level")["half_width"].reindex(a.index).to_numpy()
        city = self.precision[(self.precision["measure"] == self.measure) & (self.precision["domain"] == "city")]
        total = a[["population", "mailed", "expected_respondents"]].sum().to_frame().T
        total["half_width"] = float(city["half_width"].iloc[0])
        total.index = pd.Index(["city"], name=g)
        out = pd.concat([a, total])
        out["response_rate"] = out["expected_respondents"] / out["mailed"]
        return out[["population", "mailed", "expected_respondents", "response_rate", "half_width"]]

    def sampling_error(self, **kwargs) -> pd.DataFrame:
        """標本誤差 table of the plan (:func:`plan_sampling_error_table`)."""
        kwargs.setdefault("level", self.level)
        return plan_sampling_error_table(self.inputs, self.allocation, by=self.keys[0], **kwargs)


# --------------------------------------------------------------------------- constraints
def _targets(targets, measure, inputs):
    if isinstance(targets, (PrecisionTarget, ChangeTarget)):
        targets = (targets,)
    out = []
    for t in targets or ():
        if not isinstance(t, (PrecisionTarget, ChangeTarget)):
            raise DesignError(f"targets must be PrecisionTarget or ChangeTarget objects; got {t!r}")
        if t.by is not None and t.by not in inputs.keys:
            raise DesignError(f"target by={t.by!r} is not a cell key; use None (city) or one of {list(inputs.keys)}")
        m = t.measure or measure
        if m not in inputs.items:
            raise DesignError(f"target measure {m!r} is not in the inputs ({list(inputs.measures)})")
        out.append((t, m))
    return out


def _floor_respondents(min_respondents, levels) -> dict:
    if min_respondents is None:
        return {}
    if isinstance(min_respondents, dict):
        unknown = [k for k in min_respondents if int(k) not in set(levels)]
        if unknown:
            raise DesignError(f"min_respondents names unknown groups {unknown}; the groups are {sorted(levels)}")
        out = {int(k): float(v) for k, v in min_respondents.items()}
    else:
        out = {int(g): float(min_respondents) for g in levels}
    if any(not np.isfinite(v) or v < 0 for v in out.values()):
        raise DesignError(f"min_respondents must be non-negative numbers; got {min_respondents!r}")
    return out


def plan_mailing(inputs: PlanInputs, *, targets=(), measure: str | None = None, method: str = "neyman",
                 budget: float | None = None, mailings: int | None = None, cost_per_mailing: float = 1.0,
                 cost_per_return: float = 0.0, min_respondents=None, spend_all: bool = False,
                 fpc: bool = False, level: float = 0.95, power: float = 0.80) -> MailingPlan:
    """Allocate the next wave's mailings to the cells.

    Parameters
    ----------
    inputs : PlanInputs
        From :func:`~survey.planning.inputs.planning_inputs`.
    targets : PrecisionTarget, ChangeTarget or a list of them
        What the next wave must deliver.  Targets by the group key
        (districts) become floors of their groups; the others (the city,
        age bands) are met by the smallest total that reaches them.
    measure : str, optional
        The figure whose variances shape the Neyman allocation (default the
        first measure of ``inputs``, the satisfaction index).
    method : {"neyman", "proportional", "proportional_respondents"}
    budget : float, optional
        Money available; the cost of a cell is ``m_h (cost_per_mailing +
        cost_per_return r_h)``.
    mailings : int, optional
        Questionnaires available (instead of ``budget``).
    min_respondents : int or dict, optional
        Expected respondents per group: one number for every group or
        ``{group code: number}``.
    spend_all : bool
        With targets and a budget: spend the whole budget (extra precision
        for the city) rather than return the cheapest plan meeting them.
        Without targets (only ``min_respondents`` floors, or none) the whole
        budget is always spent.
    fpc : bool
        Finite population correction in the variances (see
        :func:`~survey.planning.precision.expected_precision`).
    level, power : float
        Of the reported precision and minimum detectable change.

    Returns
    -------
    MailingPlan
        ``feasible`` is False (and ``notes`` say why) when the budget or the
        population cannot meet every target; the plan is then the best the
        budget allows with the group floors scaled down alike.

    Notes
    -----
    R ``survey`` has no allocation function.  With every response and
    answer rate 1 and no floors, ``method="neyman"`` is the allocation of
    R ``PracTools::strAlloc(alloc = "totcost")`` (cost-constrained Neyman)
    and, with equal costs, ``alloc = "neyman"``; the tests check the
    optimum against a hand calculation and an independent optimiser
    (scipy SLSQP).  The next wave should start its weights from the
    plan's ``base_weight = N_h / m_h`` before raking.
    """
    if not isinstance(inputs, PlanInputs):
        raise DesignError(f"inputs must come from planning_inputs(); got {type(inputs).__name__}")
    if method not in METHODS:
        check_option(method, tuple(METHODS), name="method")
    measure = measure or inputs.measures[0]
    if measure not in inputs.items:
        raise DesignError(f"measure {measure!r} is not in the inputs ({list(inputs.measures)})")
    if budget is not None and mailings is not None:
        raise DesignError("give budget= or mailings=, not both")
    if cost_per_mailing <= 0 or cost_per_return < 0:
        raise DesignError(f"costs must be positive (per mailing) and non-negative (per return); got "
                          f"{cost_per_mailing!r}, {cost_per_return!r}")
    resource = budget if budget is not None else mailings
    if resource is not None and not (np.isfinite(resource) and resource > 0):
        raise DesignError(f"budget / mailings must be a positive number; got {resource!r}")
    tlist = _targets(targets, measure, inputs)
    cells = inputs.cells
    r = cells["response_rate"].to_numpy(dtype=float)
    money = cost_per_mailing + cost_per_return * r
    prob = AllocationProblem(inputs, measure, method, np.ones_like(r) if mailings is not None else money, fpc)
    floors_n = _floor_respondents(min_respondents, prob.levels)
    if not tlist and not floors_n and resource is None:
        raise DesignError("nothing to plan for: give targets=, min_respondents=, budget= or mailings=")
    notes, impossible = list(inputs.notes), []
    rows, city_rows = prob.target_rows(tlist)
    floor = prob.group_floors(rows, floors_n, impossible, level)
    required = prob.required_total(floor, city_rows, impossible)
    feasible = not impossible
    if resource is None:
        if not feasible:
            raise TargetsUnreachable(impossible, inputs)
        m = round_up(prob.allocate(required, floor), prob.cap)
    elif feasible and tlist and not spend_all and required <= resource:
        m = round_up(prob.allocate(required, floor), prob.cap)
        if float(prob.k @ m) > resource:
            m = round_to_budget(prob.allocate(required, floor), prob.k, prob.cap, resource)
        notes.append(f"the cheapest plan meeting the targets uses {float(prob.k @ m):,.0f} of {resource:,.0f}")
    else:
        resource = float(resource)
        if feasible and required > resource:
            feasible = False
            notes.append(f"the targets need {required:,.0f} but only {resource:,.0f} is available; "
                         "the plan below is the best the budget allows")
        if resource > prob.upper.sum():
            notes.append(f"{resource:,.0f} exceeds mailing every adult of the cells ({prob.upper.sum():,.0f}); capped")
            resource = float(prob.upper.sum())
        if floor.sum() > resource:
            floor = floor * resource / floor.sum()
            feasible = False
            notes.append("the group floors do not fit in the budget; they were scaled down alike")
        mf = prob.allocate(resource, floor)
        costs = np.array([float(prob.k[prob.groups == g] @ mf[prob.groups == g]) for g in prob.levels])
        fixed = (floor > 0) & np.isclose(costs, floor, rtol=1e-9)
        m = round_to_budget(mf, prob.k, prob.cap, resource, keep=np.isin(prob.groups, prob.levels[fixed]))
    notes.extend(impossible)
    required_cost = np.nan if impossible or required is None else float(money @ prob.allocate(required, floor))
    return _result(inputs, method, measure, m, money, rows + city_rows, level, power, fpc, feasible, notes,
                   required_cost, resource)


def _result(inputs, method, measure, m, money, rows, level, power, fpc, feasible, notes, required_cost,
            resource) -> MailingPlan:
    cells = inputs.cells
    group, other = inputs.keys
    N = cells["population"].to_numpy(dtype=float)
    r = cells["response_rate"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        allocation = pd.DataFrame({group: cells[group].to_numpy(), other: cells[other].to_numpy(), "population": N,
                                   "response_rate": r, "mailed": m.astype(np.int64), "expected_respondents": m * r,
                                   "sampling_fraction": np.where(N > 0, m / N, np.nan),
                                   "base_weight": np.where(m > 0, N / m, np.nan)})
    precision = expected_precision(inputs, allocation, level=level, power=power, fpc=fpc)
    trows = []
    for t, mname, dom, lv, mask, ceiling in rows:
        V = measure_variance(inputs, m.astype(float), mname, mask, fpc=fpc)
        se = float(np.sqrt(V))
        if t.kind == "half_width":
            expected = z_value(t.level) * se
        else:
            wave_se = inputs.wave.set_index(["measure", "domain", "level"])["se"].get((mname, dom, lv), np.nan)
            other_v = V if t.against == "plan" else wave_se ** 2
            expected = (z_value(t.level) + float(norm_ppf(t.power))) * np.sqrt(V + other_v)
        trows.append({"measure": mname, "kind": t.kind, "domain": dom, "level": lv,
                      "label": domain_label(inputs, dom, lv),
                      "target": t.value, "required_se": float(np.sqrt(ceiling)) if ceiling > 0 else np.nan,
                      "expected_se": se, "expected": expected, "met": bool(ceiling > 0 and V <= ceiling * (1 + 1e-9))})
    tframe = pd.DataFrame(trows, columns=TARGET_COLUMNS)
    if len(tframe) and not tframe["met"].all():
        feasible = False
    totals = {"mailings": int(m.sum()), "respondents": float(m @ r), "cost": float(money @ m),
              "required_cost": float(required_cost), "budget": np.nan if resource is None else float(resource)}
    return MailingPlan(method=method, measure=measure, keys=inputs.keys, allocation=allocation, precision=precision,
                       targets=tframe, totals=totals, feasible=bool(feasible), notes=tuple(notes), inputs=inputs,
                       level=level)


def compare_plans(inputs: PlanInputs, *, methods=METHODS, **kwargs) -> pd.DataFrame:
    """:func:`plan_mailing` with every method: one row each, for choosing.

    Columns: ``method, mailings, respondents, cost, city_half_width,
    max_group_half_width, min_group_half_width, feasible``.
    """
    rows = []
    for method in methods:
        plan = plan_mailing(inputs, method=method, **kwargs)
        g = plan.by_group()
        groups = g.drop(index="city")["half_width"]
        rows.append({"method": method, "mailings": plan.totals["mailings"], "respondents": plan.totals["respondents"],
                     "cost": plan.totals["cost"], "city_half_width": float(g.loc["city", "half_width"]),
                     "max_group_half_width": float(groups.max()), "min_group_half_width": float(groups.min()),
                     "feasible": plan.feasible})
    return pd.DataFrame(rows)
