"""Design-based estimation: the survey design, weighting and estimators.

Public names: :class:`Design` (R ``svydesign``), :class:`ReplicateDesign`
(R ``svrepdesign``), :class:`Estimate` (result of every estimator) and
:func:`weight_diagnostics`.
"""
from survey.design.design import Design
from survey.design.estimate import Estimate
from survey.design.replicate import ReplicateDesign
from survey.design.weights import weight_diagnostics

__all__ = ["Design", "Estimate", "ReplicateDesign", "weight_diagnostics"]
