"""The linearised variance of a :class:`~survey.design.Design` (R ``svyrecvar``).

:class:`LinearisedVariance` gives the design its variance services: the
covariance of score totals (``score_vcov``), of per-pattern contributions
(``pattern_vcov``, on collapsed rows), of a model's estimate (``model_vcov``,
the sandwich), and the hooks the estimators use (domain degrees of freedom,
the covariance of estimator columns).  The numerics live in
:mod:`survey.design.variance`, :mod:`survey.design.calstep`,
:mod:`survey.design.collapse` and :mod:`survey.design.blockvar`.
"""
from __future__ import annotations

import numpy as np

from survey.design import modelvcov
from survey.design.variance import recvar
from survey.errors import DesignError

__all__: list[str] = []


class LinearisedVariance:
    """Variance services of a linearised design (mixed into :class:`~survey.design.Design`)."""

    __slots__ = ()

    def _domain_degf(self, mask: np.ndarray, atoms=None) -> float:
        st = self._stages[0]
        if atoms is not None:           # mask per atom
            rows = atoms.rep[mask]
            h = np.bincount(st.strata[rows], minlength=st.n_strata) > 0
            if st.singletons:
                return float(atoms.count[mask].sum() - h.sum())
            c = np.bincount(st.cluster[rows], minlength=st.n_clusters) > 0
            return float(c.sum() - h.sum())
        h = np.bincount(st.strata[mask], minlength=st.n_strata) > 0
        if st.singletons:               # every cluster one row: the clusters are the rows
            return float(np.count_nonzero(mask) - h.sum())
        c = np.bincount(st.cluster[mask], minlength=st.n_clusters) > 0
        return float(c.sum() - h.sum())

    # ------------------------------------------------------------ variance
    def score_vcov(self, z) -> np.ndarray:
        """Design-based covariance of the column totals of ``z``.

        Parameters
        ----------
        z : array-like, shape (n, p) or (n,)
            Already weighted per-row contributions (influence functions or
            scores times weights), aligned to :attr:`data`; zeros for rows
            outside a domain.

        Returns
        -------
        ndarray, shape (p, p)
            Stratified multi-stage covariance as R ``svyrecvar`` (with-
            replacement ultimate clusters, plus later stages when fpc is
            given, fpc, lonely PSUs per ``lonely_psu``).  For calibrated,
            raked or post-stratified designs ``z`` is first replaced by its
            residuals from the calibration model (R stores the same
            adjustment in ``design$postStrata``).
        """
        z = np.asarray(z, dtype=float)
        if z.ndim == 1:
            z = z[:, None]
        if z.ndim != 2 or z.shape[0] != self.n:
            raise DesignError(f"score_vcov: z must have shape (n={self.n}, p); got {z.shape}.")
        return self._score_vcov(np.array(z, dtype=float, order="F"), self._var_rows,
                                zero_outside=True)

    def pattern_vcov(self, u, pattern) -> np.ndarray:
        """Design-based covariance of the totals of ``z_i = w_i u[pattern_i]``.

        The same number as ``score_vcov(weights[:, None] * u[pattern])``
        for per-unit-weight contributions that depend on the row only
        through a pattern (its answers, covariates, domain), computed
        without the (n, p) array: rows that share the pattern and their
        part in the variance are summed first (exactly;
        :mod:`survey.design.collapse`).

        Parameters
        ----------
        u : array-like, shape (n_patterns, p) or (n_patterns,)
            Contribution per unit weight of each pattern.
        pattern : array-like of int, shape (n,)
            Pattern of every row; -1 (or any negative code) contributes zero.
        """
        u = np.asarray(u, dtype=float)
        if u.ndim == 1:
            u = u[:, None]
        pattern = np.asarray(pattern)
        if pattern.shape != (self.n,) or not np.issubdtype(pattern.dtype, np.integer):
            raise DesignError(f"pattern_vcov: pattern must be {self.n} integer codes; got {pattern.dtype} "
                              f"of shape {pattern.shape}.")
        if u.ndim != 2 or (pattern.size and pattern.max(initial=-1) >= u.shape[0]):
            raise DesignError(f"pattern_vcov: u needs one row per pattern ({int(pattern.max()) + 1}); "
                              f"got shape {u.shape}.")
        atoms = self._collapse([pattern])
        rows = np.arange(self.n) if atoms is None else atoms.rep
        scale = self._w[rows] * (1.0 if atoms is None else atoms.count)
        pat = pattern[rows]
        z = np.zeros((len(rows), u.shape[1]), order="F")
        inside = pat >= 0
        z[inside] = u[pat[inside]] * scale[inside, None]
        return self._score_vcov(z, self._var_rows[rows], zero_outside=True, atoms=atoms)

    def model_vcov(self, theta, *, scores, bread=None, rows=None, refit=None, pattern=None) -> np.ndarray:
        """Design covariance of a model's estimate: the sandwich of its scores
        (Binder 1983); see :func:`survey.design.modelvcov.sandwich` (with
        ``pattern=``, per-pattern scores summed over collapsed rows), and
        :meth:`ReplicateDesign.model_vcov <survey.design.ReplicateDesign.model_vcov>`
        for the refits of a replicate design."""
        return modelvcov.sandwich(self, scores, bread=bread, rows=rows, pattern=pattern)

    def _score_vcov(self, z: np.ndarray, present: np.ndarray, *,
                    zero_outside: bool = False, atoms=None) -> np.ndarray:
        """``z`` (n, p), Fortran order, is overwritten by its residuals
        (per atom of interchangeable rows when ``atoms`` is given)."""
        for step in self._steps:
            z = step.residualise(z, atoms)
        return recvar(z, self._stages, present=present, lonely_psu=self._lonely,
                      zero_outside=zero_outside, overwrite=True, atoms=atoms)

    def _replicate_estimates(self, cols):
        return None

    def _vcov_columns(self, theta, union, z, reps, atoms=None):
        var_rows = self._var_rows if atoms is None else self._var_rows[atoms.rep]
        present = var_rows if self._calibrated else (var_rows & union)
        return self._score_vcov(z, present, atoms=atoms)
