"""The plan's indicator table (成果指標): baseline, target, latest value, verdict.

The indicators are declared under ``indicators:`` in the questionnaire
(``questionnaires/README.md``), from one of two sources:

* ``source: survey`` (the default) -- an estimate from the wave's answers
  (``statistic``: ``score_mean`` of a scored question, ``numeric_mean`` of a
  question's ``numeric_map``), with sampling error;
* ``source: admin`` -- a ratio of two columns of the administrative figures
  (``--admin``, one row per fiscal year), ``scale * numerator / denominator``,
  exact (:func:`admin_indicators`; midori's file: ``data/ADMIN.md``).

For each indicator the table shows the baseline (現況値) and target (目標値),
the latest value with its interval, the change since the baseline with a
test, and a verdict.  The change is measured from one stated reference
(``reference``, ``reference_value``):

* ``plan_baseline`` -- the plan's published 現況値, a fixed number (a later
  wave without the baseline wave's data);
* ``baseline_wave`` -- the baseline wave's estimate (``baseline_design``
  given): two samples, variances add.  The plan's 現況値 is that estimate
  rounded, so the two differ (0.287 against 0.29);
* ``none`` -- this wave *is* the baseline year (its estimate is where the
  plan's 現況値 comes from): no change, verdict ``baseline_year``.

The verdicts:

* survey indicators -- *met* when the whole confidence interval is at or
  beyond the target, *not met* when it falls wholly short of it, otherwise
  *not distinguishable from the target*;
* administrative indicators -- *met* / *not met*, comparing the value
  rounded to the plan's precision with the target.

"Beyond" follows the plan's direction: up when the target exceeds the
baseline, down otherwise.  The baseline is the plan's published value,
treated as fixed (a one-sample t test with the wave's design degrees of
freedom, as R ``svyttest``); give the baseline wave's design to test the
change between the two samples instead (variances add).

An estimate without sampling variance (every answer the same: SE zero, see
:func:`survey.measures.differences.degenerate_se`) is neither tested nor
judged against the target: its verdicts are ``untestable_change`` and
``untestable_target``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from survey.intake.sidetables import check_admin, read_admin
from survey.errors import InputError
from survey.validation import check_level
from survey.measures.differences import degenerate_se, difference_p
from survey.measures.tables.parkuse import park_use_times
from survey.measures.satisfaction.index import satisfaction_index

__all__ = [
    "INDICATOR_COLUMNS",
    "admin_indicators",
    "indicator_table",
    "target_verdict",
]

INDICATOR_COLUMNS = [
    "id", "label", "unit", "source", "wave", "estimate", "se", "ci_low", "ci_high", "deff", "n",
    "decimals", "baseline", "baseline_year", "target", "target_year", "reference", "reference_value",
    "change", "change_se", "change_p", "change_verdict", "verdict",
]
#: Decimals a report shows for a survey indicator, by statistic (the same as the index and
#: park-use tables: an index to 0.001, times a year to 0.1).
SURVEY_DECIMALS = {"score_mean": 3, "numeric_mean": 1}
_STATISTICS = {"score_mean": satisfaction_index, "numeric_mean": park_use_times}


def admin_indicators(admin, *, questionnaire, year=None) -> pd.DataFrame:
    """The administrative indicators the questionnaire declares, for one fiscal year.

    Parameters
    ----------
    admin : pandas.DataFrame or path
        The administrative figures: ``fiscal_year`` and the columns the
        indicators name (midori's file: ``data/ADMIN.md``).
    questionnaire : survey.questionnaire.Questionnaire
        Declares the indicators (``indicators:`` entries with ``source: admin``).
    year : str, optional
        ``fiscal_year`` label; default the last row.

    Returns
    -------
    pandas.DataFrame
        ``id, label, unit, fiscal_year, value`` (unrounded), one row per
        administrative indicator in the questionnaire's order:
        ``value = scale * numerator / denominator``.

    Examples
    --------
    >>> from pathlib import Path
    >>> import survey
    >>> from survey.bundled import bundled_path
    >>> q = survey.load_questionnaire(bundled_path())
    >>> admin = Path(survey.__file__).parents[1] / "data" / "midori_admin.csv"
    >>> admin_indicators(admin, questionnaire=q, year="FY2025")[["id", "value"]].round(4)
                         id    value
    0           green_share  21.4995
    1  park_area_per_person   2.1299
    """
    declared = questionnaire.indicators_of("admin")
    if isinstance(admin, (str, Path)):
        frame = read_admin(admin, questionnaire=questionnaire)
    else:
        frame = check_admin(admin, questionnaire=questionnaire, path=admin.attrs.get("path"))
    path = frame.attrs.get("path")
    if year is None:
        row = frame.iloc[-1]
    else:
        hit = frame[frame["fiscal_year"].astype(str) == str(year)]
        if hit.empty:
            raise InputError(f"fiscal year {year!r} is not in the admin table; years: {list(frame['fiscal_year'])}; "
                             "add the year's row with its figures, or give the admin file of that year",
                             path=path)
        row = hit.iloc[0]
    return pd.DataFrame([{"id": d["id"], "label": d["label"], "unit": d["unit"], "fiscal_year": str(row["fiscal_year"]),
                          "value": float(d["scale"]) * float(row[d["numerator"]]) / float(row[d["denominator"]])}
                         for d in declared], columns=["id", "label", "unit", "fiscal_year", "value"])


def target_verdict(estimate, ci_low, ci_high, *, baseline, target) -> str:
    """``"met"``, ``"not_met"`` or ``"indistinguishable"`` (see module docstring)."""
    up = target >= baseline
    if up:
        if ci_low >= target:
            return "met"
        if ci_high < target:
            return "not_met"
    else:
        if ci_high <= target:
            return "met"
        if ci_low > target:
            return "not_met"
    return "indistinguishable"


def _survey_row(design, questionnaire, ind, wave, baseline_design, level):
    fn = _STATISTICS.get(ind.get("statistic"))
    if fn is None:
        raise InputError(f"indicator {ind.get('id')!r}: statistic {ind.get('statistic')!r} is not "
                         f"supported; use one of {sorted(_STATISTICS)}")
    est = fn(design, ind["question"], questionnaire=questionnaire, level=level)
    e, se = float(est.estimate.iloc[0]), float(est.se.iloc[0])
    ci = est.conf_int(level).iloc[0]
    base = float(ind["baseline"])
    flat = bool(degenerate_se(se, e))
    reference, ref_value = "plan_baseline", base
    if baseline_design is None and _same_year(wave, ind.get("baseline_year")):
        reference, ref_value = "none", float("nan")
        change = change_se = change_p = float("nan")
    elif baseline_design is None:
        change, change_se = e - base, se
        change_p = float(difference_p(change, se, float(design.degf)))
    else:
        b = fn(baseline_design, ind["question"], questionnaire=questionnaire, level=level)
        b_e, b_se = float(b.estimate.iloc[0]), float(b.se.iloc[0])
        reference, ref_value = "baseline_wave", b_e
        change = e - b_e
        change_se = float(np.sqrt(se ** 2 + b_se ** 2))
        change_p = float(difference_p(change, change_se))
        flat_change = flat or bool(degenerate_se(b_se, b_e))
    alpha = 1 - level
    if reference == "none":
        code = "baseline_year"
    elif flat if baseline_design is None else flat_change:
        code, change_p = "untestable_change", float("nan")
    else:
        code = ("increase" if change > 0 else "decrease") if change_p < alpha else "no_change"
    verdict = "untestable_target" if flat else target_verdict(e, ci["ci_low"], ci["ci_high"], baseline=base,
                                                              target=float(ind["target"]))
    return {"estimate": e, "se": se, "ci_low": float(ci["ci_low"]), "ci_high": float(ci["ci_high"]),
            "deff": float(est.deff.iloc[0]), "n": int(est.n.iloc[0]), "decimals": SURVEY_DECIMALS[ind["statistic"]], "reference": reference,
            "reference_value": ref_value, "change": change, "change_se": change_se, "change_p": change_p,
            "change_verdict": code, "verdict": verdict, "source": "survey", "wave": wave}


def _same_year(wave, baseline_year) -> bool:
    """Is ``wave`` the baseline year (``FY2025`` and ``FY2025``)?"""
    return bool(wave) and baseline_year is not None and str(wave) == str(baseline_year)


def _admin_rows(admin, year, questionnaire):
    vals = admin_indicators(admin, questionnaire=questionnaire, year=year)
    rows = []
    for d, (_, v) in zip(questionnaire.indicators_of("admin"), vals.iterrows()):
        shown = round(float(v["value"]), d["decimals"])
        if _same_year(v["fiscal_year"], d["baseline_year"]):
            change, code, reference, ref_value = float("nan"), "baseline_year", "none", float("nan")
        else:
            change = round(shown - d["baseline"], d["decimals"])
            code = "increase_exact" if change > 0 else "decrease_exact" if change < 0 else "same_exact"
            reference, ref_value = "plan_baseline", float(d["baseline"])
        up = d["target"] >= d["baseline"]
        met = shown >= d["target"] if up else shown <= d["target"]
        rows.append({**{k: d[k] for k in ("id", "label", "unit", "baseline", "baseline_year", "target",
                                           "target_year")},
                     "estimate": shown, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "deff": np.nan,
                     "n": np.nan,
                     "decimals": d["decimals"], "reference": reference, "reference_value": ref_value,
                     "change": change, "change_se": np.nan, "change_p": np.nan, "change_verdict": code,
                     "verdict": "met_exact" if met else "not_met_exact", "source": "admin",
                     "wave": v["fiscal_year"]})
    return rows


def indicator_table(design, *, questionnaire, wave=None, admin=None, admin_year=None,
                    baseline_design=None, level: float = 0.95) -> pd.DataFrame:
    """The plan's indicator table for the latest wave.

    Parameters
    ----------
    design : survey.design.Design
        The (raked) design of the latest wave.
    questionnaire : survey.questionnaire.Questionnaire
        Declares the indicators (``indicators:``): survey ones (question,
        statistic ``score_mean`` or ``numeric_mean``, baseline, target) and
        administrative ones (``source: admin``).
    wave : str, optional
        Label of the latest wave (default: the questionnaire's ``wave``).
    admin : pandas.DataFrame or path, optional
        Administrative figures (midori: ``data/midori_admin.csv``); adds the
        administrative indicators.
    admin_year : str, optional
        Fiscal year of the admin figures (default: the last row).
    baseline_design : survey.design.Design, optional
        The baseline wave's design: the change is then tested between the
        two samples (independent; variances add, z test) instead of
        against the published baseline as a fixed number.
    level : float

    Returns
    -------
    pandas.DataFrame
        Columns :data:`INDICATOR_COLUMNS`: what the row estimates (``id,
        label, unit, source, wave``), the fixed columns ``estimate, se,
        ci_low, ci_high, deff, n``, then the plan's figures and the change.
        ``change`` is latest minus
        ``reference_value`` (``reference``: ``plan_baseline``, the plan's
        現況値 as a fixed number; ``baseline_wave``, the baseline wave's
        estimate; ``none`` on the baseline year itself, where ``change`` is
        NaN and ``change_verdict`` is ``baseline_year``); ``change_p`` its
        two-sided p-value (t with the design df against a fixed baseline);
        verdict codes (:data:`survey.VERDICTS`) in ``verdict`` (against the
        target: ``met``, ``indistinguishable``, ``not_met``,
        ``untestable_target``; ``met_exact``, ``not_met_exact`` for an
        administrative row) and ``change_verdict`` (``increase``,
        ``decrease``, ``no_change``, ``untestable_change``, ``baseline_year``;
        ``increase_exact``, ``decrease_exact``, ``same_exact``), which the
        report words (:func:`survey.report.verdicts.verdict_text`: group the
        ``wave``, reference the ``baseline_year``); ``decimals`` the
        precision a report shows the indicator with.
        Administrative rows have no sampling error (``se`` NaN); their
        value is rounded to the plan's precision.
    """
    level = check_level(level)
    wave = str(wave) if wave is not None else (getattr(questionnaire, "wave", "") or "")
    rows = []
    for ind in questionnaire.indicators_of("survey"):
        ind = dict(ind)
        r = _survey_row(design, questionnaire, ind, wave, baseline_design, level)
        rows.append({**{k: ind.get(k) for k in ("id", "label", "unit", "baseline", "baseline_year",
                                                 "target", "target_year")}, **r})
    if admin is not None:
        rows.extend(_admin_rows(admin, admin_year, questionnaire))
    if not rows:
        raise InputError(f"questionnaire {getattr(questionnaire, 'id', '?')!r} declares no indicators "
                         "and no admin table was given; add 'indicators:' to the YAML")
    return pd.DataFrame(rows)[INDICATOR_COLUMNS]
