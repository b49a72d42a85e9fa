"""Tests of model terms and comparisons of nested models (R ``regTermTest``, ``anova.svyglm``).

:func:`regterm_test` tests that every coefficient of some model terms is
zero, by one of R's three methods:

* ``"Wald"``: the design-based Wald test (:func:`~survey.design.wald.wald_test`);
* ``"LRT"``: the Rao-Scott working likelihood ratio (Lumley & Scott 2014):
  the change in deviance when the terms are dropped, whose null
  distribution is ``sum lambda_i chi^2_1`` with ``lambda_i`` the
  eigenvalues of ``V0^-1 V`` (``V0`` the model-based, ``V`` the design-based
  covariance of the tested coefficients); its p-value comes from
  :func:`~survey.design.chisqsum.pfsum` (saddlepoint by default, F with the
  model's design df, or chi-square with ``df=inf``);
* ``"WorkingWald"``: the same reference distribution for the model-based
  Wald statistic ``b' V0^-1 b``.

:func:`anova` compares two nested GLMs (or, with one model, drops its terms
one at a time from the last, R's sequential ``anova(model)``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.design._modelframe import term_key
from survey.design.chisqsum import METHODS, pfsum
from survey.design.regression import glm
from survey.design.wald import wald_test
from survey.errors import DesignError
from survey.validation import check_option

__all__ = ["LRTest", "anova", "regterm_test"]

_TESTS = ("Wald", "WorkingWald", "LRT")


@dataclass(frozen=True)
class LRTest:
    """Result of a working likelihood-ratio (or working Wald) test.

    Attributes
    ----------
    chisq : float
        R's ``x$chisq``: the deviance difference (LRT) or ``b' V0^-1 b``,
        on the scale of weights rescaled to mean 1, as R's ``svyglm``.
    statistic : float
        ``chisq / mean(lambdas)``, R's printed "Working 2logLR".
    ndf, ddf : float
        Number of coefficients tested; denominator df (``inf``: chi-square).
    p : float
    lambdas : numpy.ndarray
        Eigenvalues of the misspecification matrix (design effects of the
        tested directions).
    method : str
    terms : tuple
    """

    chisq: float
    statistic: float
    ndf: float
    ddf: float
    p: float
    lambdas: np.ndarray
    method: str
    terms: tuple

    def to_frame(self) -> pd.DataFrame:
        """One-row frame: statistic, chisq, ndf, ddf, p, method."""
        return pd.DataFrame([{"statistic": self.statistic, "chisq": self.chisq, "ndf": self.ndf,
                              "ddf": self.ddf, "p": self.p, "method": self.method}])


def _strip_c(key: str) -> str:
    parts = []
    for part in key.split(":"):
        part = part.strip("`")
        if part.startswith("C(") and part.endswith(")"):
            part = part[2:-1].split(",")[0].strip("`")
        parts.append(part)
    return ":".join(sorted(parts))


def _terms(terms) -> list[str]:
    if isinstance(terms, str):
        return [t.strip() for t in terms.replace("~", "").split("+") if t.strip()]
    return list(terms)


def _match_terms(model, terms):
    """(model term labels, coefficient positions) of the terms asked for."""
    slices = {k: v for k, v in (getattr(model, "term_slices", None) or {}).items() if k != "1"}
    by_key = {}
    for label in slices:
        by_key[term_key(label)] = label
        by_key.setdefault(_strip_c(term_key(label)), label)
    labels, cols = [], []
    for t in _terms(terms):
        key = term_key(t)
        label = by_key.get(key, by_key.get(_strip_c(key)))
        if label is None:
            raise DesignError(f"term {t!r} is not in the model; its terms are {list(slices)}")
        if label not in labels:
            labels.append(label)
            cols.extend(range(slices[label].start, slices[label].stop))
    return labels, sorted(set(cols))


def _refit_without(model, labels):
    """R ``update(model, . ~ . - terms)`` on the rows the model used."""
    fit = model.fit
    return glm(fit.design, f"{model.formula} - ({' + '.join(labels)})", family=fit.family,
               offset=fit.offset_arg)


def _working_test(chisq, V0, V, k, df, approximation, label, terms) -> LRTest:
    lam = np.linalg.eigvals(np.linalg.solve(V0, V)).real
    if chisq <= 0:
        p = 1.0
    else:
        p = pfsum(chisq, np.ones(k, dtype=int), lam, ddf=df, lower_tail=False,
                  method=approximation)
    kind = "Rao-Scott+F" if np.isfinite(df) else "Rao-Scott"
    return LRTest(chisq=float(chisq), statistic=float(chisq / lam.mean()), ndf=float(k),
                  ddf=float(df), p=float(p), lambdas=lam,
                  method=f"Working ({kind}) {label} ({approximation})", terms=tuple(terms))


def regterm_test(model, terms, *, df=None, null=None, method: str = "Wald",
                 lrt_approximation: str = "saddlepoint"):
    """Test that all coefficients of the given model terms are zero (R ``regTermTest``).

    Parameters
    ----------
    model : GLMResult or OLRResult
        ``method="LRT"``/``"WorkingWald"`` need a :func:`~survey.design.regression.glm` fit.
    terms : str or list of str
        ``"~ C(stype) + ell:C(stype)"``, ``"stype"`` or ``["ell", "meals"]``;
        a factor may be named with or without ``C(...)``; interaction order
        does not matter.
    df : float, optional
        Denominator df (default the model's ``df_resid``; ``np.inf`` for the
        chi-square version).
    null : float or array-like, optional
        Null values of the coefficients (Wald and WorkingWald).
    method : {"Wald", "WorkingWald", "LRT"}
    lrt_approximation : {"saddlepoint", "satterthwaite"}
        Tail of the linear combination of chi-squares (R's argument).

    Returns
    -------
    WaldTest (``method="Wald"``) or LRTest

    Notes
    -----
    Same numbers as R ``regTermTest(model, ~stype + ell:stype, method=)``.
    For ``"LRT"`` the model without the terms is refitted on the rows the
    full model used (R refits on the original design, which differs only
    when the tested terms have missing values).
    """
    check_option(method, tuple(_TESTS), name="regterm_test: method")
    check_option(lrt_approximation, tuple(METHODS), name="regterm_test: lrt_approximation")
    labels, cols = _match_terms(model, terms)
    names = list(model.params.index)
    if method == "Wald":
        return wald_test(model, contrasts=[names[i] for i in cols], null=null, df=df)
    if getattr(model, "fit", None) is None or getattr(model, "naive_cov", None) is None:
        raise DesignError(f"method={method!r} needs a model fitted by glm(); use method='Wald'")
    if df is None:
        df = model.df_resid
    V = model.vcov.to_numpy()[np.ix_(cols, cols)]
    V0 = model.naive_cov.to_numpy()[np.ix_(cols, cols)]
    if method == "LRT":
        reduced = _refit_without(model, labels)
        raw0 = reduced.deviance * reduced.fit.weight_scale
        chisq = raw0 / model.fit.weight_scale - model.deviance
    else:
        b = model.params.to_numpy()[cols]
        if null is not None:
            b = b - np.broadcast_to(np.asarray(null, dtype=float), b.shape)
        chisq = float(b @ np.linalg.solve(V0, b))
    label = "LRT" if method == "LRT" else "Wald"
    return _working_test(chisq, V0, V, len(cols), df, lrt_approximation, label, labels)


def _nested_difference(small, big):
    keys_s = {term_key(t) for t in small.term_slices if t != "1"}
    keys_b = {term_key(t): t for t in big.term_slices if t != "1"}
    if not keys_s <= set(keys_b):
        return None
    return [t for k, t in keys_b.items() if k not in keys_s]


def anova(model, other=None, *, test: str = "F", method: str = "LRT"):
    """Compare nested GLMs, or test a model's terms in sequence (R ``anova.svyglm``).

    Parameters
    ----------
    model, other : GLMResult
        Two fits whose terms are nested (either order).  Without ``other``,
        each term is tested after removing the terms that follow it
        (R ``anova(model)``), last to first.
    test : {"F", "Chisq"}
        F with the bigger model's design df, or chi-square.
    method : {"LRT", "Wald"}

    Returns
    -------
    LRTest or WaldTest (two models); a DataFrame with one row per term
    (columns term, statistic, chisq, ndf, ddf, p, method) for one model.

    Notes
    -----
    Same numbers as R ``anova(model1, model2, test=, method=)``, which for
    nested term sets is ``regTermTest(bigger, ~difference, method=)``.
    """
    if test not in ("F", "Chisq"):
        raise DesignError(f"anova: test must be 'F' or 'Chisq'; got {test!r}")
    if method not in ("LRT", "Wald"):
        raise DesignError(f"anova: method must be 'LRT' or 'Wald'; got {method!r}")
    ddf = None if test == "F" else np.inf
    if other is None:
        return _sequential(model, ddf, method)
    for diff, big in ((_nested_difference(model, other), other),
                      (_nested_difference(other, model), model)):
        if diff is not None:
            if not diff:
                raise DesignError("anova: the two models have the same terms; nothing to test")
            return regterm_test(big, diff, df=ddf, method=method)
    raise DesignError(
        f"anova: the models {model.formula!r} and {other.formula!r} are not nested (the terms "
        "of one must all be terms of the other); compare them with regterm_test"
    )


def _sequential(model, ddf, method) -> pd.DataFrame:
    labels = [t for t in model.term_slices if t != "1"]
    if len(labels) < 2:
        raise DesignError("anova of one model needs at least two terms; use regterm_test")
    rows = []
    current = model
    for label in reversed(labels):
        res = regterm_test(current, [label], df=ddf, method=method)
        rows.append({"term": label, "statistic": res.statistic, "chisq": res.chisq,
                     "ndf": res.ndf, "ddf": res.ddf, "p": res.p, "method": res.method})
        if label != labels[0]:
            current = _refit_without(current, [label])
    return pd.DataFrame(rows[::-1])
