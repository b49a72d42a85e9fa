"""Expected precision of a mailing plan, and its 標本誤差 table.

The reverse of :func:`survey.planning.mailing.plan_mailing`: given how
many questionnaires go to every cell, what half-width will each headline
figure have, for the city, every district and every age band?  Formulas in
:mod:`survey.planning.allocate`; power from the normal approximation
for the difference of two independent waves: a change ``Delta`` is detected
with power ``1 - beta`` by a two-sided test at level ``alpha`` when
``z_{1-alpha/2} + z_{1-beta} = Delta / sqrt(V_1 + V_2)``, so the minimum
detectable change is ``(z_{1-alpha/2} + z_{1-beta}) sqrt(V_1 + V_2)``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.design.distributions import norm_ppf
from survey.errors import DesignError, InputError
from survey.labels import CITY_LABEL
from survey.validation import check_level
from survey.planning.allocate import domain_variance
from survey.planning.inputs import PlanInputs, _cell_frame
from survey.measures.tables.sampling_error import DEFAULT_PS, margin_of_error

__all__ = [
    "PRECISION_COLUMNS",
    "domain_label",
    "domain_masks",
    "expected_precision",
    "mailing_vector",
    "measure_variance",
    "plan_sampling_error_table",
    "population_variance",
    "z_value",
]

#: Columns of :func:`expected_precision`.
PRECISION_COLUMNS = ["measure", "domain", "level", "label", "mailed", "respondents", "answers", "se",
                     "half_width", "deff", "mdc", "wave_se", "wave_half_width"]


def z_value(level: float) -> float:
    """``z_{(1+level)/2}``: 1.959964 for 95 %."""
    level = check_level(level)
    return float(norm_ppf(0.5 + level / 2))


def mailing_vector(inputs: PlanInputs, mailing) -> np.ndarray:
    """Mailings per cell (in the order of ``inputs.cells``) from a plan, a
    DataFrame of ``group, other, mailed`` or a total (spread by population
    share, the expectation of a simple random sample)."""
    if not isinstance(inputs, PlanInputs):
        raise DesignError(f"inputs must come from planning_inputs(); got {type(inputs).__name__}")
    if hasattr(mailing, "allocation") and isinstance(mailing.allocation, pd.DataFrame):
        mailing = mailing.allocation
    cells = inputs.cells
    if isinstance(mailing, pd.DataFrame):
        counts = _cell_frame(mailing, inputs.keys, "mailed", "planned mailings")
        idx = pd.MultiIndex.from_frame(cells[list(inputs.keys)].astype(np.int64))
        extra = counts.index.difference(idx)
        if len(extra):
            raise InputError(f"the planned mailings hold cells {list(extra)[:5]} that the population does not have")
        return counts.reindex(idx, fill_value=0.0).to_numpy(dtype=float)
    if isinstance(mailing, bool) or not isinstance(mailing, (int, float, np.integer, np.floating)) or mailing <= 0:
        raise InputError(f"mailing must be a MailingPlan, a DataFrame ({', '.join(inputs.keys)}, mailed) or a "
                         f"positive total; got {mailing!r}")
    N = cells["population"].to_numpy(dtype=float)
    return float(mailing) * N / N.sum()


def domain_masks(inputs: PlanInputs, by=None) -> list[tuple[str, int, np.ndarray]]:
    """``[(domain, level, cell mask)]``: the city, then every level of each ``by`` key."""
    by = inputs.keys if by is None else ((by,) if isinstance(by, str) else tuple(by))
    cells = inputs.cells
    out = [("city", 0, np.ones(len(cells), dtype=bool))]
    for k in by:
        if k not in inputs.keys:
            raise DesignError(f"by={k!r} is not a cell key; use one of {list(inputs.keys)}")
        codes = cells[k].to_numpy()
        out.extend((k, int(lvl), codes == lvl) for lvl in np.unique(codes))
    return out


def domain_label(inputs, domain, level) -> str:
    """The ``label`` column of the planning frames, for analysts reading them: the city's is
    :data:`survey.labels.CITY_LABEL` (the report's one name of it), a level's the questionnaire's
    label.  The report labels the ``domain`` and ``level`` codes itself
    (:mod:`survey.report.planning_tables`)."""
    if domain == "city":
        return CITY_LABEL
    return inputs.labels.get(domain, {}).get(int(level), str(level))


def _wave_lookup(inputs: PlanInputs, measure: str):
    w = inputs.wave[inputs.wave["measure"] == measure]
    return {(d, int(lv)): se for d, lv, se in zip(w["domain"], w["level"], w["se"])}


def population_variance(population, variance, mean, mask) -> float:
    """Variance of the item over a domain implied by the cell model:
    ``sum W_h|D S_h^2 + sum W_h|D (mu_h - mu_D)^2`` (cells without a mean
    take the domain mean)."""
    N = np.asarray(population, dtype=float)[mask]
    W = N / N.sum()
    S2 = np.asarray(variance, dtype=float)[mask]
    mu = np.asarray(mean, dtype=float)[mask]
    known = np.isfinite(mu)
    mu_d = float(np.sum(W[known] * mu[known]) / W[known].sum()) if known.any() else 0.0
    mu = np.where(known, mu, mu_d)
    return float(np.sum(W * S2) + np.sum(W * (mu - mu_d) ** 2))


def measure_variance(inputs: PlanInputs, m, measure: str, mask=None, *, fpc: bool = False) -> float:
    """Expected variance of ``measure`` over the cells in ``mask`` (all cells:
    the city) for mailings ``m`` per cell.  Domains smaller than the city
    include the term for random cell sizes, with the additive-model cell
    means (:func:`~survey.planning.allocate.domain_variance`)."""
    whole = mask is None or bool(np.all(mask))
    population, variance, response, answer = _cell_arrays(inputs, measure)
    return domain_variance(m, population, variance, response, answer, inputs.deff[measure], mask, fpc=fpc,
                           means=None if whole else _cell_arrays(inputs, measure, "fitted_mean"))


def _cell_arrays(inputs: PlanInputs, measure: str, column: str | None = None):
    """The per-cell columns :func:`measure_variance` reads, as float arrays, read once per
    inputs and measure (the allocation search asks for hundreds of variances, and a column
    look-up costs more than the variance): ``population, variance, response_rate,
    answer_rate``, or the item's ``column`` alone."""
    cache = inputs.__dict__.setdefault("_cell_arrays", {})
    key = (measure, column)
    if key not in cache:
        cells, item = inputs.cells, inputs.items[measure]
        cache[key] = (item[column].to_numpy(dtype=float) if column is not None else
                      (cells["population"].to_numpy(dtype=float), item["variance"].to_numpy(dtype=float),
                       cells["response_rate"].to_numpy(dtype=float), item["answer_rate"].to_numpy(dtype=float)))
    return cache[key]


def expected_precision(inputs: PlanInputs, mailing, *, measures=None, level: float = 0.95, power: float = 0.80,
                       fpc: bool = False, by=None) -> pd.DataFrame:
    """Expected standard error and half-width of every headline figure.

    Parameters
    ----------
    inputs : PlanInputs
        From :func:`survey.planning.inputs.planning_inputs`.
    mailing : MailingPlan, DataFrame or number
        Mailings per cell, or a total mailed as a simple random sample
        (cells get the expected ``total x N_h / N``).
    measures : list of str, optional
        Default every measure of ``inputs``.
    level : float
        Confidence level of the half-width ``z * se`` (R ``confint`` of
        ``svymean``: normal quantiles).
    power : float
        Power of the minimum detectable change (``mdc``) against this wave,
        two-sided test at ``1 - level``.
    fpc : bool
        Apply the finite population correction ``1 - m_h / N_h`` (the
        report's design-based SEs do not; keep False to predict them).
    by : str or list, optional
        Domains besides the city; default both cell keys.

    Returns
    -------
    DataFrame
        Columns :data:`PRECISION_COLUMNS`: ``respondents`` (expected
        returned forms) and ``answers`` (those answering the item) in the
        domain, ``se``, ``half_width``, ``deff`` (plan variance over the
        variance of a simple random sample of ``answers``; the population
        variance from the cell model, :func:`population_variance`), ``mdc``, and this wave's
        ``wave_se`` and ``wave_half_width`` for comparison.
    """
    m = mailing_vector(inputs, mailing)
    z = z_value(level)
    if not 0 < power < 1:
        raise DesignError(f"power must be between 0 and 1; got {power!r}")
    z_power = float(norm_ppf(power))
    measures = list(inputs.measures) if measures is None else ([measures] if isinstance(measures, str)
                                                                else list(measures))
    unknown = [x for x in measures if x not in inputs.items]
    if unknown:
        raise DesignError(f"unknown measure(s) {unknown}; the inputs hold {list(inputs.measures)}")
    cells = inputs.cells
    N = cells["population"].to_numpy(dtype=float)
    r = cells["response_rate"].to_numpy(dtype=float)
    rows = []
    for name in measures:
        item = inputs.items[name]
        S2, a = item["variance"].to_numpy(dtype=float), item["answer_rate"].to_numpy(dtype=float)
        mu = item["mean"].to_numpy(dtype=float)
        wave = _wave_lookup(inputs, name)
        for domain, lvl, mask in domain_masks(inputs, by):
            V = measure_variance(inputs, m, name, mask, fpc=fpc)
            answers = float(np.sum((m * r * a)[mask]))
            wave_se = wave.get((domain, lvl), np.nan)
            pop_var = population_variance(N, S2, mu, mask)
            with np.errstate(divide="ignore", invalid="ignore"):
                deff = V / (pop_var / answers) if answers > 0 and pop_var > 0 else np.nan
            rows.append({
                "measure": name, "domain": domain, "level": lvl, "label": domain_label(inputs, domain, lvl),
                "mailed": float(m[mask].sum()), "respondents": float(np.sum((m * r)[mask])), "answers": answers,
                "se": np.sqrt(V), "half_width": z * np.sqrt(V), "deff": deff,
                "mdc": (z + z_power) * np.sqrt(V + wave_se ** 2), "wave_se": wave_se, "wave_half_width": z * wave_se,
            })
    return pd.DataFrame(rows, columns=PRECISION_COLUMNS)


def plan_sampling_error_table(inputs: PlanInputs, mailing, *, ps=DEFAULT_PS, level: float = 0.95,
                              by=None, fpc: bool = False) -> pd.DataFrame:
    """標本誤差 of a plan: ± points of a proportion ``p`` for every domain.

    Row = the city and every level of ``by`` (default: the planning group,
    ``inputs.keys[0]``), with its expected number of
    respondents ``n`` and design effect ``deff = deff_w * n * sum_h
    W_{h|D}^2 / n_h`` (Kish 1965, sec. 11.7: the weighting effect measured
    on this wave times the effect of a disproportionate allocation, for a
    proportion with the same ``p`` in every cell); columns as
    :func:`survey.measures.tables.sampling_error.sampling_error_table`:
    ``100 z sqrt(deff p (1 - p) / n)``.
    """
    m = mailing_vector(inputs, mailing)
    z = z_value(level)
    by = inputs.keys[0] if by is None else by
    cells = inputs.cells
    N = cells["population"].to_numpy(dtype=float)
    n_cell = m * cells["response_rate"].to_numpy(dtype=float)
    rows = []
    for domain, lvl, mask in domain_masks(inputs, by):
        sel = mask & (N > 0)
        n = float(n_cell[sel].sum())
        if n <= 0 or np.any(n_cell[sel] <= 0):
            raise DesignError(f"the plan mails nobody in some cells of {domain} {lvl}; every cell needs mailings "
                              "for a sampling-error row")
        Wd = N[sel] / N[sel].sum()
        deff = inputs.deff["_unit"] * n * float(np.sum(Wd ** 2 / n_cell[sel]))
        row = {"domain": domain, "level": lvl, "label": domain_label(inputs, domain, lvl), "n": n, "deff": deff}
        for p in ps:
            key = f"{100 * p:.0f}% / {100 - 100 * p:.0f}%"
            hw = margin_of_error(p, n, deff=deff, z=z)
            if fpc:
                hw = hw * np.sqrt(max(0.0, 1 - float(m[sel].sum()) / float(N[sel].sum())))
            row[key] = 100 * float(hw)
        rows.append(row)
    return pd.DataFrame(rows)
