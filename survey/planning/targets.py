"""Targets of a mailing plan: a half-width, or a change to detect.

A target becomes a ceiling on the variance of the next wave's estimate of a
figure in a domain (the city, or every level of a cell key):

* :class:`PrecisionTarget` ``(h, level)``: ``z_{(1+level)/2} se <= h``, so
  ``V <= (h / z)^2``;
* :class:`ChangeTarget` ``(Delta, power, level)``: a two-sided test at
  ``alpha = 1 - level`` of the difference of two independent waves detects
  ``Delta`` with power ``1 - beta`` when ``z_{1-alpha/2} + z_{1-beta} =
  Delta / sqrt(V_1 + V_2)`` (normal approximation), so ``V_2 <= (Delta /
  (z_{1-alpha/2} + z_{1-beta}))^2 - V_1`` with ``V_1`` this wave's variance
  (``against="wave"``), or half the bracket when both waves follow the
  plan (``against="plan"``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survey.design.distributions import norm_ppf
from survey.errors import DesignError
from survey.planning.precision import z_value

__all__ = ["ChangeTarget", "PrecisionTarget"]


@dataclass(frozen=True)
class PrecisionTarget:
    """Half-width of the ``level`` interval: ``z * se <= half_width``.

    ``by=None`` is the city; ``by="district"`` every district (or another
    cell key); ``measure=None`` the plan's measure.
    """

    half_width: float
    by: str | None = None
    level: float = 0.95
    measure: str | None = None

    def __post_init__(self):
        if not (isinstance(self.half_width, (int, float)) and np.isfinite(self.half_width) and self.half_width > 0):
            raise DesignError(f"half_width must be a positive number (e.g. 0.05); got {self.half_width!r}")
        z_value(self.level)

    kind = "half_width"

    def ceiling(self, wave_se: float) -> float:
        """Largest variance of the next wave's estimate that meets the target."""
        return (self.half_width / z_value(self.level)) ** 2

    @property
    def value(self) -> float:
        return float(self.half_width)


@dataclass(frozen=True)
class ChangeTarget:
    """Detect a change of ``change`` between two independent waves.

    Power ``power`` for a two-sided test at ``1 - level``: ``z_{1-alpha/2}
    + z_power = change / sqrt(V_1 + V_2)``.  ``against="wave"`` compares
    the next wave with this one (``V_1`` = this wave's variance, from the
    design); ``against="plan"`` with a wave of the same plan (``V_1 =
    V_2``).
    """

    change: float
    by: str | None = None
    power: float = 0.80
    level: float = 0.95
    against: str = "wave"
    measure: str | None = None

    def __post_init__(self):
        if not (isinstance(self.change, (int, float)) and np.isfinite(self.change) and self.change > 0):
            raise DesignError(f"change must be a positive number (e.g. 0.05); got {self.change!r}")
        if not 0 < self.power < 1:
            raise DesignError(f"power must be between 0 and 1 (e.g. 0.8); got {self.power!r}")
        z_value(self.level)
        if self.against not in ("wave", "plan"):
            raise DesignError(f"against must be 'wave' or 'plan'; got {self.against!r}")

    kind = "change"

    def ceiling(self, wave_se: float) -> float:
        total = (self.change / (z_value(self.level) + float(norm_ppf(self.power)))) ** 2
        if self.against == "plan":
            return total / 2
        if not np.isfinite(wave_se):
            raise DesignError("this wave has no estimate for a domain of the change target; use against='plan'")
        return total - wave_se ** 2

    @property
    def value(self) -> float:
        return float(self.change)
