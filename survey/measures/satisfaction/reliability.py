"""Internal consistency of a multi-item scale: Cronbach's alpha and item statistics.

The importance of the ten functions of green (問8, ``imp_*``) is a Likert
matrix scored 4..1.  Whether the ten items measure one thing ("green
matters") is summarised by Cronbach's alpha, computed two ways:

* **unweighted** (respondents as they are): the alpha of
  ``pingouin.cronbach_alpha`` with listwise deletion and its Feldt (1987)
  F-distribution interval (computed here unrounded on the complete cases;
  pingouin rounds the interval to 3 decimals and, with missing items, takes
  ``n`` before listwise deletion) -- the psychometric convention, a property of
  the instrument in this sample;
* **weighted** (the population): alpha from the design-weighted covariance
  matrix (R ``svyvar``) with a linearised design-based standard error
  (delta method through ``Design.score_vcov``; replicate weights for a
  replicate design) and a Wald interval.

Item statistics: weighted mean score; item-rest correlations (item against
the sum of the other items), both unweighted and design-weighted (point
estimates only; pingouin has no weighted version); alpha if the item is
deleted, unweighted and weighted.

Alpha is undefined -- NaN with a reason code (:data:`ALPHA_UNDEFINED`), its
interval and SE NaN, never a number outside [-1, 1] and never a numpy
warning -- when every respondent gives the same answer to every item
(``no_variance``), when the items cancel out so that the total score does
not vary (``no_total_variance``), or when the formula gives a value below
-1 (``below_minus_one``: strongly negatively correlated items, usually an
item scored the wrong way round).  Item variances within ``1e-9`` of the
item's scale are zero (a weighted mean of equal values differs from them by
rounding only); a value above 1 (rounding: alpha <= 1 for any covariance
matrix) is 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.design.distributions import f_isf, norm_ppf
from survey.design.results import COLUMNS, ResultMixin
from survey.errors import DesignError, InputError
from survey.measures.derive import answer_codes
from survey.validation import check_design, check_level

__all__ = ["ALPHA_UNDEFINED", "Reliability", "cronbach_alpha"]

#: Why alpha is undefined: the reason codes of :attr:`Reliability.reason` and ``weighted_reason``
#: (the report words them: :func:`survey.report.alpha_undefined_text`):
#:
#: * ``"no_variance"`` -- every respondent gave the same answer to every item (no item varies);
#: * ``"no_total_variance"`` -- the items cancel out, the total score does not vary;
#: * ``"below_minus_one"`` -- the formula gives a value below -1 (strongly negatively correlated
#:   items, usually an item scored the wrong way round).
ALPHA_UNDEFINED = ("no_variance", "no_total_variance", "below_minus_one")
_RTOL = 1e-9


@dataclass(frozen=True)
class Reliability(ResultMixin):
    """Result of :func:`cronbach_alpha`.

    Attributes
    ----------
    alpha, ci_low, ci_high : float
        Unweighted alpha and its Feldt interval (as pingouin, unrounded).
    weighted_alpha, weighted_se, weighted_ci_low, weighted_ci_high : float
        Design-weighted alpha, linearised SE, Wald interval (normal).
    n, k : int
        Complete respondents used, number of items.
    reason, weighted_reason : str
        ``""`` when the alpha is defined, else one of the codes
        :data:`ALPHA_UNDEFINED` (the alpha, its interval and SE are NaN).
    items : pandas.DataFrame
        Per item: ``item, label, mean, item_rest, item_rest_weighted,
        alpha_if_deleted, alpha_if_deleted_weighted``.
    level : float
    """

    alpha: float
    ci_low: float
    ci_high: float
    weighted_alpha: float
    weighted_se: float
    weighted_ci_low: float
    weighted_ci_high: float
    n: int
    k: int
    items: pd.DataFrame
    level: float
    reason: str = ""
    weighted_reason: str = ""

    # ------------------------------------------------ the shared result base
    @property
    def params(self) -> pd.Series:
        """The two alphas, indexed ``unweighted``, ``weighted``."""
        return pd.Series([self.alpha, self.weighted_alpha], index=pd.Index(["unweighted", "weighted"], name="alpha"),
                         name="estimate")

    estimate = params

    @property
    def vcov(self) -> pd.DataFrame:
        """Variance of the weighted alpha (linearised); the unweighted one has none (NaN):
        its interval is Feldt's, not a Wald interval."""
        index = self.params.index
        return pd.DataFrame(np.diag([np.nan, self.weighted_se ** 2]), index=index, columns=index)

    def _title(self) -> str:
        return f"Cronbach's alpha of {self.k} items (n = {self.n})"

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Feldt's interval of the unweighted alpha (as pingouin) and the Wald interval
        (normal) of the weighted one, at ``level`` (default ``self.level``)."""
        level = check_level(self.level if level is None else level)
        if np.isclose(level, self.level):
            low, high = [self.ci_low, self.weighted_ci_low], [self.ci_high, self.weighted_ci_high]
        else:
            lo, hi = _feldt(self.alpha, self.n, self.k, level)
            zq = norm_ppf(0.5 + level / 2)
            low = [lo, self.weighted_alpha - zq * self.weighted_se]
            high = [hi, self.weighted_alpha + zq * self.weighted_se]
        return pd.DataFrame({"ci_low": low, "ci_high": high}, index=self.params.index)

    def to_frame(self, level: float | None = None) -> pd.DataFrame:
        """Two rows (``unweighted``, ``weighted``) with the columns ``estimate, se, ci_low,
        ci_high, deff, n`` (no SE for the unweighted alpha, no design effect)."""
        ci = self.conf_int(level)
        return pd.DataFrame({
            "estimate": self.params, "se": [np.nan, self.weighted_se],
            "ci_low": ci["ci_low"], "ci_high": ci["ci_high"], "deff": np.nan, "n": [self.n, self.n],
        }, index=self.params.index)[COLUMNS]


def _feldt(alpha: float, n: int, k: int, level: float) -> tuple[float, float]:
    """Feldt's (1987) F interval of an unweighted alpha, as pingouin."""
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return (1 - (1 - alpha) * f_isf((1 - level) / 2, df1, df2),
            1 - (1 - alpha) * f_isf((1 + level) / 2, df1, df2))


def _alpha(S: np.ndarray) -> tuple[float, str]:
    """Alpha from a covariance matrix, or ``(nan, reason)`` when undefined."""
    k = S.shape[0]
    trace, total = float(np.trace(S)), float(S.sum())
    if trace <= 0:
        return float("nan"), "no_variance"
    if total <= _RTOL * trace:
        return float("nan"), "no_total_variance"
    a = k / (k - 1) * (1 - trace / total)
    if a < -1:
        return float("nan"), "below_minus_one"
    return min(a, 1.0), ""   # above 1 only by rounding: S is positive semi-definite


def _alpha_from_cov(S: np.ndarray) -> float:
    return _alpha(S)[0]


def _zero_flat(S: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``S`` with the rows and columns of items that do not vary (variance
    within rounding of zero, relative to the item's scale) set to exactly 0."""
    scale = np.maximum(1.0, np.nanmax(np.abs(X), axis=0)) if len(X) else np.ones(S.shape[0])
    flat = np.diag(S) <= (_RTOL * scale) ** 2
    if flat.any():
        S = S.copy()
        S[flat, :] = 0.0
        S[:, flat] = 0.0
    return S


def _weighted_cov(X, w):
    mu = w @ X / w.sum()
    Xc = X - mu
    return _zero_flat((Xc * w[:, None]).T @ Xc / w.sum(), X), Xc


def _corr(a, b, w=None):
    """(Weighted) correlation; NaN when either variable does not vary."""
    wa = np.full(len(a), 1.0 / len(a)) if w is None else w / w.sum()
    ma, mb = wa @ a, wa @ b
    va, vb = wa @ (a - ma) ** 2, wa @ (b - mb) ** 2
    if va <= (_RTOL * max(1.0, float(np.max(np.abs(a))))) ** 2 or \
            vb <= (_RTOL * max(1.0, float(np.max(np.abs(b))))) ** 2:
        return float("nan")
    return float(wa @ ((a - ma) * (b - mb)) / np.sqrt(va * vb))


def _resolve_items(items, questionnaire, scores):
    labels = {}
    if isinstance(items, str):
        if questionnaire is None or items not in questionnaire:
            raise InputError(f"items={items!r}: give a list of item columns, or a question id "
                             "together with questionnaire=")
        q = questionnaire[items]
        if not q.items:
            raise InputError(f"question {items!r} is not a matrix of items; pass the item columns")
        labels = {it.column: it.label for it in q.items}
        cols = [it.column for it in q.items]
        if scores is None:
            scores = dict(q.scores) or None
    else:
        cols = list(items)
    if len(cols) < 2 or not all(isinstance(c, str) for c in cols):
        raise InputError(f"a scale needs at least 2 item columns; got {items!r}")
    return cols, labels, scores


def cronbach_alpha(design, items, *, questionnaire=None, scores=None,
                   level: float = 0.95) -> Reliability:
    """Cronbach's alpha of a multi-item scale, unweighted and design-weighted.

    Parameters
    ----------
    design : survey.design.Design
    items : str or list of str
        Item columns, or the id of a likert matrix question (with
        ``questionnaire``), e.g. ``"importance"``.
    questionnaire : survey.questionnaire.Questionnaire, optional
    scores : dict, optional
        ``{code: score}`` applied to every item (default: the question's
        scores; without any, the codes themselves).  Codes without a score
        count as missing.  Alpha does not change under a reversal of the
        scale, but item means do.
    level : float

    Returns
    -------
    Reliability

    Notes
    -----
    Rows with any item missing (or zero weight) are left out (listwise).
    Unweighted alpha and interval equal ``pingouin.cronbach_alpha(...,
    nan_policy="listwise")`` on the complete rows (pingouin rounds the
    interval to 3 decimals and counts incomplete rows in its ``n``) and R ``k/(k-1) (1 - tr(S)/sum(S))`` with
    ``S = cov(X)``; the weighted alpha uses ``S`` from R ``svyvar`` on the
    complete cases and its SE is the delta method on ``vcov(svyvar(...))``
    (the ``n/(n-1)`` factor of ``svyvar`` cancels in alpha).

    Examples
    --------
    The ten importance items (問8) of the bundled wave (:func:`survey.examples.bundled_wave`;
    ``wave`` in R: ``tests/reference/bundled_wave.R``):

    >>> import survey
    >>> from survey.examples import bundled_wave
    >>> wave, q = bundled_wave()
    >>> survey.cronbach_alpha(wave, "importance", questionnaire=q).to_frame().round(4)
    ...     # R: k/(k-1) (1 - tr(S)/sum(S)), S = cov(X) or svyvar(~s_rain + ..., subset(wave, complete))
                estimate      se  ci_low  ci_high  deff     n
    alpha
    unweighted    0.8869     NaN  0.8773   0.8960   NaN  1245
    weighted      0.8883  0.0052  0.8780   0.8986   NaN  1245
    """
    level = check_level(level)
    design = check_design(design, what="cronbach_alpha")
    w = np.asarray(design.weights, dtype=float)
    cols, labels, scores = _resolve_items(items, questionnaire, scores)
    X = np.column_stack([answer_codes(design, c, what="cronbach_alpha") for c in cols])
    if scores is not None:
        mapping = {float(k): float(v) for k, v in dict(scores).items()}
        X = pd.DataFrame(X).apply(lambda s: s.map(mapping)).to_numpy(dtype=float)
    ok = ~np.isnan(X).any(axis=1) & (w != 0)
    k, n = len(cols), int(ok.sum())
    if n < 3:
        raise DesignError(f"only {n} respondent(s) answered every item of {cols}; alpha needs more")
    Xo, wo = X[ok], w[ok]
    Su_all = _zero_flat(np.cov(Xo, rowvar=False), Xo)
    a_u, reason = _alpha(Su_all)
    lo, hi = _feldt(a_u, n, k, level)                     # Feldt (1987), as pingouin
    S, Xc = _weighted_cov(Xo, wo)
    a_w, weighted_reason = _alpha(S)
    T, Dg = S.sum(), np.trace(S)
    if weighted_reason:
        var = float("nan")
    else:
        G = k / (k - 1) * (-np.eye(k) / T + Dg / T ** 2)    # d alpha / d S
        var = float(design.model_vcov(
            [a_w], rows=ok,
            scores=lambda: (wo * np.einsum("ri,ij,rj->r", Xc, G, Xc) / wo.sum())[:, None],  # (sum G*S = 0)
            refit=lambda wr: [_alpha_from_cov(_weighted_cov(Xo, wr)[0])])[0, 0])
    se = np.sqrt(var) if var >= 0 else float("nan")
    zq = norm_ppf(0.5 + level / 2)
    total = Xo.sum(axis=1)
    rows = []
    for j, c in enumerate(cols):
        rest = total - Xo[:, j]
        keep = [i for i in range(k) if i != j]
        rows.append({
            "item": c, "label": labels.get(c, c), "mean": float(wo @ Xo[:, j] / wo.sum()),
            "item_rest": _corr(Xo[:, j], rest),
            "item_rest_weighted": _corr(Xo[:, j], rest, wo),
            "alpha_if_deleted": float(_alpha_from_cov(Su_all[np.ix_(keep, keep)])) if k > 2 else np.nan,
            "alpha_if_deleted_weighted": float(_alpha_from_cov(S[np.ix_(keep, keep)])) if k > 2 else np.nan,
        })
    return Reliability(alpha=float(a_u), ci_low=float(lo), ci_high=float(hi), weighted_alpha=float(a_w),
                       weighted_se=float(se), weighted_ci_low=float(a_w - zq * se),
                       weighted_ci_high=float(a_w + zq * se), n=n, k=k, items=pd.DataFrame(rows),
                       level=level, reason=reason, weighted_reason=weighted_reason)
