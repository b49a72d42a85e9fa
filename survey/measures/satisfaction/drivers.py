"""Who is more satisfied: the drivers of a satisfaction question, a design-based
ordinal logit (R ``svyolr``) of the scored answers on the respondents' attributes.

The answers and their scores are those of :func:`~survey.measures.satisfaction.index.satisfaction_index`
(the index's domain); the odds ratios are oriented towards *more* satisfied.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.design.distributions import t_ppf, t_sf
from survey.errors import InputError
from survey.measures.satisfaction.index import _scored, resolve_scores

__all__ = ["Drivers", "satisfaction_drivers"]


@dataclass(frozen=True)
class Drivers:
    """Result of :func:`satisfaction_drivers`.

    Attributes
    ----------
    odds_ratios : pandas.DataFrame
        One row per predictor column: ``term, variable, level,
        level_label`` (the questionnaire's label of a category, when
        given), ``odds_ratio, ci_low, ci_high, p, estimate, se`` -- odds of a *more satisfied* answer (any cut of
        the scale) relative to the reference level, with Wald intervals
        (t with the model's df).  ``estimate``/``se`` are on the log-odds
        scale, oriented the same way.
    model : survey.design.olr.OLRResult
        The fitted proportional-odds model (response levels in code order).
    orientation : int
        ``-1`` when higher codes mean less satisfied (the midori layout:
        ``exp(-beta)`` are reported), ``+1`` otherwise.
    """

    odds_ratios: pd.DataFrame
    model: object
    orientation: int

    def to_frame(self) -> pd.DataFrame:
        return self.odds_ratios


_TERM = re.compile(r"^C\(\s*([A-Za-z_]\w*).*\)\[T\.(.+)\]$")


def _term_parts(term: str, questionnaire) -> tuple[str, str, str]:
    """(variable, level, label) of a model column such as ``C(age_band)[T.2]``
    (``[T.2.0]`` when the codes are floats)."""
    m = _TERM.match(term)
    if not m:
        return term, "", ""
    var, level = m.group(1), m.group(2)
    try:
        code = float(level)
        level = str(int(code)) if code.is_integer() else level
    except ValueError:
        code = None
    label = level
    if questionnaire is not None and var in questionnaire and code is not None and float(code).is_integer():
        label = questionnaire[var].label(int(code))
    return var, level, label


def satisfaction_drivers(design, column: str, *, predictors, scores=None, questionnaire=None,
                         level: float = 0.95) -> Drivers:
    """Who is more satisfied: a design-based ordinal logit (R ``svyolr``).

    Parameters
    ----------
    design : survey.design.Design
    column : str
        Likert column of codes; only scored codes enter the model (the
        index's domain), ordered by their score.
    predictors : sequence of str
        Right-hand-side terms in formula syntax (``C(x)`` for categories,
        ``C(x, contr.treatment(base=6))`` against code 6), e.g. the
        questionnaire plan's drivers section: age band, district, sex and
        park use against 利用しない.
    scores, questionnaire
        As :func:`satisfaction_index`; the scores must be monotone in the
        codes (they fix the direction of "more satisfied").
    level : float

    Returns
    -------
    Drivers

    Notes
    -----
    The model is ``logit P(Y <= k) = zeta_k - x'beta`` on the scored codes
    (:func:`survey.design.olr`).  With midori codes (1 = そう思う) a
    positive ``beta`` moves answers towards *less* satisfied, so the
    reported odds ratios are ``exp(-beta)``: same numbers as R
    ``exp(coef(svyolr(ordered(score) ~ ..., design)))`` with the response
    ordered from least to most satisfied.
    """
    from survey.design.olr import olr

    scores = resolve_scores(column, scores, questionnaire)
    design, _, score = _scored(design, column, scores, "satisfaction_drivers")
    ordered = sorted(scores)
    vals = np.array([scores[c] for c in ordered])
    if np.all(np.diff(vals) < 0):
        orientation = -1
    elif np.all(np.diff(vals) > 0):
        orientation = 1
    else:
        raise InputError(f"scores {scores} are not monotone in the codes; an ordinal model "
                         "needs the codes in satisfaction order")
    if isinstance(predictors, str) or not predictors:
        raise InputError(f"predictors must be a list of formula terms, e.g. ['C(x)', 'C(y, contr.treatment(base=6))']; "
                         f"got {predictors!r}")
    formula = f"{column} ~ " + " + ".join(predictors)
    model = olr(design.subset(~np.isnan(score)), formula)
    slopes = model.coefficients
    se = model.se.loc[slopes.index]
    est = orientation * slopes
    q = t_ppf(0.5 + level / 2, model.df_resid) if model.df_resid > 0 else np.nan
    t = est / se
    parts = [_term_parts(t, questionnaire) for t in slopes.index]
    table = pd.DataFrame({
        "term": list(slopes.index), "variable": [p[0] for p in parts], "level": [p[1] for p in parts],
        "level_label": [p[2] for p in parts], "odds_ratio": np.exp(est).to_numpy(),
        "ci_low": np.exp(est - q * se).to_numpy(), "ci_high": np.exp(est + q * se).to_numpy(),
        "p": 2 * t_sf(np.abs(t.to_numpy()), model.df_resid),
        "estimate": est.to_numpy(), "se": se.to_numpy(),
    })
    return Drivers(odds_ratios=table, model=model, orientation=orientation)
