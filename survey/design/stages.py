"""The sampling structure of a design: strata and clusters of every stage,
coded as integers aligned to the data rows (R ``svydesign``'s ``cluster``,
``strata`` and ``fpc``), for :mod:`survey.design.variance`."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from survey.errors import DesignError

__all__: list[str] = []


@dataclass(frozen=True)
class Stage:
    """One sampling stage, coded as integers aligned to the data rows.

    Attributes
    ----------
    strata : ndarray of int, shape (n,)
        Stratum code of each row at this stage, unique across the sample
        (stage ``s >= 2`` strata are nested in the stage ``s-1`` cluster).
    cluster : ndarray of int, shape (n,)
        Cluster code of each row at this stage, unique across the sample.
    group : ndarray of int, shape (n,)
        The unit inside which R's recursion evaluates this stage: 0 at
        stage 1, the stage ``s-1`` cluster code afterwards.  The lonely-PSU
        "average" rescaling is done within each group.
    npsu : ndarray of int, shape (n_strata,)
        Number of sampled clusters per stratum in the full design.
    popsize : ndarray of float, shape (n_strata,) or None
        Population number of clusters per stratum (``inf`` when unknown).
    strata_labels : list
        Readable label of each stratum code (for error messages).
    """

    strata: np.ndarray
    cluster: np.ndarray
    group: np.ndarray
    npsu: np.ndarray
    popsize: np.ndarray | None
    strata_labels: list

    @property
    def n_strata(self) -> int:
        return len(self.npsu)

    @property
    def n_clusters(self) -> int:
        return int(self.cluster.max()) + 1 if self.cluster.size else 0

    @property
    def fraction(self) -> np.ndarray:
        """Sampling fraction ``n_h/N_h`` per stratum (0 without fpc)."""
        if self.popsize is None:
            return np.zeros(self.n_strata)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.isinf(self.popsize), 0.0, self.npsu / self.popsize)

    @cached_property
    def singletons(self) -> bool:
        """Every cluster is one row."""
        return self.n_clusters == self.cluster.size

    @cached_property
    def _identity(self) -> bool:
        n = self.cluster.size
        return self.n_clusters == n and bool(np.all(self.cluster == np.arange(n)))

    @cached_property
    def _indicator(self) -> sp.csr_matrix:
        n = self.cluster.size
        return sp.csr_matrix(
            (np.ones(n), (self.cluster, np.arange(n))), shape=(self.n_clusters, n)
        )

    def cluster_totals(self, x: np.ndarray) -> np.ndarray:
        """Sum the rows of ``x`` (n, p) into cluster totals (n_clusters, p)."""
        if self._identity:
            return x
        if x.shape[1] <= 32 or np.isfortran(x):
            out = np.empty((self.n_clusters, x.shape[1]), order="F")
            for k in range(x.shape[1]):
                out[:, k] = np.bincount(self.cluster, weights=x[:, k], minlength=self.n_clusters)
            return out
        return np.asarray(self._indicator @ x)


def _codes(values) -> tuple[np.ndarray, list]:
    """Integer codes (order of first appearance) and labels of a key array."""
    if not isinstance(values, pd.Series):
        values = pd.Series(values)
    codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
    if (codes < 0).any():
        raise DesignError("internal: missing value in a design key")
    return codes.astype(np.int64), pd.Index(uniques).tolist()


def _combine(*arrays) -> np.ndarray:
    """Codes of the interaction of several integer code arrays."""
    if len(arrays) == 1:
        return _codes(arrays[0])[0]
    frame = pd.DataFrame({i: a for i, a in enumerate(arrays)})
    codes = frame.groupby(list(frame.columns), sort=False, observed=True).ngroup()
    return codes.to_numpy(np.int64)


def build_stages(ids, strata, popsize, *, nest: bool) -> tuple[Stage, ...]:
    """Code the sampling stages the way ``svydesign.default`` does.

    Parameters
    ----------
    ids : list of ndarray
        Cluster identifiers per stage (stage 1 first).
    strata : ndarray or None
        First-stage strata (later stages are stratified by the previous
        stage's cluster, as in R).
    popsize : list of ndarray (float) or None
        Population size per stage, one value per row (already converted
        from fractions).  ``None`` means no fpc.
    nest : bool
        Make stage-1 cluster ids unique within strata (R ``nest=TRUE``).
    """
    n = len(ids[0])
    if strata is None:
        strata_codes = np.zeros(n, dtype=np.int64)
        strata_labels = ["(all)"]
    else:
        strata_codes, strata_labels = _codes(strata)
    cluster_codes = []
    for s, key in enumerate(ids):
        parts = [_codes(k)[0] for k in ids[: s + 1]]
        if nest and strata is not None:
            parts = [strata_codes] + parts
        cluster_codes.append(_combine(*parts))
    if strata is not None and not nest:
        c0 = cluster_codes[0]
        stratum_of = np.zeros(int(c0.max()) + 1, dtype=np.int64)
        stratum_of[c0] = strata_codes
        clash = stratum_of[c0] != strata_codes
        if clash.any():
            bad = pd.Series(ids[0]).iloc[int(np.flatnonzero(clash)[0])]
            raise DesignError(
                "Clusters are not nested in strata at the first stage "
                f"(cluster {bad!r} appears in several strata); pass nest=True "
                "if cluster ids are only unique within strata."
            )
    stages = []
    for s in range(len(ids)):
        if s == 0:
            h_codes, labels = strata_codes, strata_labels
            group = np.zeros(n, dtype=np.int64)
        else:
            h_codes = cluster_codes[s - 1]
            group = cluster_codes[s - 1]
            labels = [f"stage-{s} cluster {i}" for i in range(int(h_codes.max()) + 1)]
        c_codes = cluster_codes[s]
        n_strata = int(h_codes.max()) + 1
        # clusters per stratum in the full design (clusters are nested in strata)
        stratum_of = np.zeros(int(c_codes.max()) + 1, dtype=np.int64)
        stratum_of[c_codes] = h_codes
        npsu = np.bincount(stratum_of, minlength=n_strata)
        pop = None
        if popsize is not None:
            pop_rows = np.asarray(popsize[s], dtype=float)
            pop = np.full(n_strata, np.nan)
            pop[h_codes] = pop_rows
            check = pop[h_codes]
            varies = ~np.isclose(check, pop_rows, rtol=1e-12, atol=0) & ~(
                np.isinf(check) & np.isinf(pop_rows)
            )
            if varies.any():
                i = int(np.flatnonzero(varies)[0])
                raise DesignError(
                    f"fpc varies within stratum {labels[h_codes[i]]!r} at stage "
                    f"{s + 1} (row {i}); give one population size per stratum."
                )
            too_small = pop < npsu - 1e-9
            if too_small.any():
                h = int(np.flatnonzero(too_small)[0])
                raise DesignError(
                    f"fpc implies more than 100% sampling in stratum {labels[h]!r} "
                    f"at stage {s + 1}: population {pop[h]:g} < sample {npsu[h]} "
                    "clusters. Check that fpc holds population counts (or "
                    "sampling fractions <= 1)."
                )
        stages.append(
            Stage(strata=h_codes, cluster=c_codes, group=group, npsu=npsu,
                  popsize=pop, strata_labels=labels)
        )
    return tuple(stages)


def sample_sizes(stages: tuple[Stage, ...]) -> list[np.ndarray]:
    """Per-row number of sampled clusters in the row's stratum, per stage."""
    return [st.npsu[st.strata].astype(float) for st in stages]
