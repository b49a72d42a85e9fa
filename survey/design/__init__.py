"""Design-based estimation: the survey design, weighting and estimators.

Public names: :class:`Design` (R ``svydesign``), :class:`ReplicateDesign`
(R ``svrepdesign``), :class:`Estimate` (result of every estimator),
:func:`weight_diagnostics`, :func:`svyby`, :func:`with_replicates`,
:func:`svycontrast` and :func:`svyttest` (:class:`TTest`).
"""
from survey.design.byfun import svyby, with_replicates
from survey.design.contrast import svycontrast
from survey.design.design import Design
from survey.design.estimate import Estimate
from survey.design.replicate import ReplicateDesign
from survey.design.ttest import TTest, svyttest
from survey.design.weights import weight_diagnostics

__all__ = ["Design", "Estimate", "ReplicateDesign", "TTest", "svyby", "svycontrast", "svyttest",
           "weight_diagnostics", "with_replicates"]
