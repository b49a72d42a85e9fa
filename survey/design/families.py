"""Families and link functions of the design-based GLM (R ``family`` objects).

A :class:`Family` pairs a variance function and a deviance with a
:class:`Link`.  The numerical guards are R's: the logit, probit and cloglog
inverses keep fitted probabilities inside ``[eps, 1 - eps]`` and their
derivatives at least ``eps``; the log inverse stays above ``eps``.

``binomial``/``poisson`` and ``quasibinomial``/``quasipoisson`` give the
same estimates and design-based standard errors (as R's ``svyglm``); they
differ only where R's do: the dispersion behind ``deff`` is 1 for the
non-quasi families and the Pearson estimate for the others.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survey.design.distributions import norm_cdf, norm_pdf, norm_ppf
from survey.errors import DesignError
from survey.validation import check_option

__all__ = ["Family", "Link", "family", "link"]

_EPS = np.finfo(float).eps
_LOGIT_MAX = 30.0                      # R's C_logit_linkinv threshold
_PROBIT_MAX = -norm_ppf(_EPS)    # R's probit linkinv threshold (8.12589)


@dataclass(frozen=True)
class Link:
    """A link function ``eta = g(mu)`` with R's numerical guards."""

    name: str

    def linkfun(self, mu):
        mu = np.asarray(mu, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.name == "identity":
                return mu
            if self.name == "log":
                return np.log(mu)
            if self.name == "logit":
                return np.log(mu / (1 - mu))
            if self.name == "probit":
                return norm_ppf(mu)
            if self.name == "cloglog":
                return np.log(-np.log1p(-mu))
            if self.name == "inverse":
                return 1.0 / mu
            return np.sqrt(mu)                      # sqrt

    def linkinv(self, eta):
        eta = np.asarray(eta, dtype=float)
        if self.name == "identity":
            return eta
        if self.name == "log":
            return np.maximum(np.exp(eta), _EPS)
        if self.name == "logit":
            e = np.exp(np.clip(eta, -_LOGIT_MAX, _LOGIT_MAX))
            e = np.where(eta < -_LOGIT_MAX, _EPS, np.where(eta > _LOGIT_MAX, 1 / _EPS, e))
            return e / (1 + e)
        if self.name == "probit":
            return norm_cdf(np.clip(eta, -_PROBIT_MAX, _PROBIT_MAX))
        if self.name == "cloglog":
            return np.clip(-np.expm1(-np.exp(np.minimum(eta, 700.0))), _EPS, 1 - _EPS)
        if self.name == "inverse":
            with np.errstate(divide="ignore"):
                return 1.0 / eta
        return eta * eta                            # sqrt

    def mu_eta(self, eta):
        """``d mu / d eta``."""
        eta = np.asarray(eta, dtype=float)
        if self.name == "identity":
            return np.ones_like(eta)
        if self.name == "log":
            return np.maximum(np.exp(eta), _EPS)
        if self.name == "logit":
            e = np.exp(np.clip(eta, -_LOGIT_MAX, _LOGIT_MAX))
            out = e / (1 + e) ** 2
            return np.where(np.abs(eta) > _LOGIT_MAX, _EPS, out)
        if self.name == "probit":
            return np.maximum(norm_pdf(eta), _EPS)
        if self.name == "cloglog":
            e = np.minimum(eta, 700.0)
            return np.maximum(np.exp(e) * np.exp(-np.exp(e)), _EPS)
        if self.name == "inverse":
            with np.errstate(divide="ignore"):
                return -1.0 / (eta * eta)
        return 2 * eta                              # sqrt

    def valid_eta(self, eta) -> bool:
        eta = np.asarray(eta)
        if self.name == "inverse":
            return bool(np.all(np.isfinite(eta)) and np.all(eta != 0))
        if self.name == "sqrt":
            return bool(np.all(np.isfinite(eta)) and np.all(eta > 0))
        return bool(np.all(np.isfinite(eta)))

    def at_boundary(self, eta) -> np.ndarray:
        """Rows whose fitted value is numerically 0 or 1 (R's warning)."""
        eta = np.asarray(eta)
        if self.name == "logit":
            return np.abs(eta) >= _LOGIT_MAX
        if self.name == "probit":
            return np.abs(eta) >= _PROBIT_MAX
        if self.name == "log":
            return eta <= np.log(_EPS)
        return np.zeros(eta.shape, dtype=bool)


_LINKS = ("identity", "log", "logit", "probit", "cloglog", "inverse", "sqrt")


def link(name) -> Link:
    if isinstance(name, Link):
        return name
    key = str(name).lower()
    check_option(key, tuple(_LINKS), name="link")
    return Link(key)


@dataclass(frozen=True)
class Family:
    """An exponential-family (or quasi) model: variance, deviance, link.

    ``kind`` is ``"gaussian"``, ``"binomial"``, ``"poisson"`` or ``"Gamma"``;
    ``quasi`` marks the quasi-likelihood versions (R ``quasibinomial``,
    ``quasipoisson``), whose dispersion is estimated.  Gaussian and Gamma
    always estimate it, binomial and Poisson fix it at 1.
    """

    kind: str
    link: Link
    quasi: bool = False

    @property
    def name(self) -> str:
        return ("quasi" + self.kind) if self.quasi else self.kind

    @property
    def fixed_dispersion(self) -> bool:
        return self.kind in ("binomial", "poisson") and not self.quasi

    def variance(self, mu):
        if self.kind == "gaussian":
            return np.ones_like(mu)
        if self.kind == "binomial":
            return mu * (1 - mu)
        if self.kind == "poisson":
            return mu
        return mu * mu                              # Gamma

    def valid_mu(self, mu) -> bool:
        if not np.all(np.isfinite(mu)):
            return False
        if self.kind == "binomial":
            return bool(np.all((mu > 0) & (mu < 1)))
        if self.kind in ("poisson", "Gamma"):
            return bool(np.all(mu > 0))
        return True

    def start(self, y, n_trials):
        """R's ``mustart`` (binomial: ``(n y + 0.5) / (n + 1)``)."""
        if self.kind == "binomial":
            return (n_trials * y + 0.5) / (n_trials + 1)
        if self.kind == "poisson":
            return y + 0.1
        return y.astype(float)

    def unit_deviance(self, y, mu):
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "gaussian":
                return (y - mu) ** 2
            if self.kind == "binomial":
                a = np.where(y > 0, y * np.log(y / mu), 0.0)
                b = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
                return 2 * (a + b)
            if self.kind == "poisson":
                a = np.where(y > 0, y * np.log(y / mu), 0.0)
                return 2 * (a - (y - mu))
            return -2 * (np.log(np.where(y == 0, 1.0, y / mu)) - (y - mu) / mu)

    def deviance(self, y, mu, w) -> float:
        return float(np.sum(w * self.unit_deviance(y, mu)))

    def check_response(self, y, formula: str) -> None:
        """R's ``initialize`` checks, as a :class:`DesignError`."""
        if self.kind == "binomial" and (np.any(y < 0) or np.any(y > 1)):
            raise DesignError(
                f"{self.name} response of {formula!r} must lie in [0, 1] (or be a two-level "
                f"category, or cbind(successes, failures)); got values from {y.min()} to {y.max()}"
            )
        if self.kind == "poisson" and np.any(y < 0):
            raise DesignError(f"{self.name} response of {formula!r} must be >= 0; got minimum {y.min()}")
        if self.kind == "Gamma" and np.any(y <= 0):
            raise DesignError(
                f"Gamma response of {formula!r} must be positive; got minimum {y.min()} -- "
                "drop zero values or use family='quasipoisson' (log link) for data with zeros"
            )


_DEFAULT_LINK = {"gaussian": "identity", "binomial": "logit", "poisson": "log", "Gamma": "inverse"}
_ALLOWED = {
    "gaussian": ("identity", "log", "inverse"),
    "binomial": ("logit", "probit", "cloglog", "log"),
    "poisson": ("log", "identity", "sqrt"),
    "Gamma": ("inverse", "identity", "log"),
}
_NAMES = {
    "gaussian": ("gaussian", False), "binomial": ("binomial", False),
    "quasibinomial": ("binomial", True), "poisson": ("poisson", False),
    "quasipoisson": ("poisson", True), "gamma": ("Gamma", False),
}


def family(name, link_name=None) -> Family:
    """The :class:`Family` called ``name`` (R's spelling; ``"Gamma"`` or ``"gamma"``)."""
    if isinstance(name, Family):
        return name if link_name is None else Family(name.kind, _checked_link(name.kind, link_name),
                                                     name.quasi)
    key = str(name).lower()
    if key not in _NAMES:
        raise DesignError(
            "family must be one of 'gaussian', 'binomial', 'quasibinomial', 'poisson', "
            f"'quasipoisson', 'Gamma'; got {name!r}"
        )
    kind, quasi = _NAMES[key]
    return Family(kind, _checked_link(kind, link_name or _DEFAULT_LINK[kind]), quasi)


def _checked_link(kind: str, link_name) -> Link:
    lk = link(link_name)
    if lk.name not in _ALLOWED[kind]:
        raise DesignError(
            f"link {lk.name!r} is not available for family {kind!r}; use one of {list(_ALLOWED[kind])}"
        )
    return lk

