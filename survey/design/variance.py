"""Design structure and the linearisation (Taylor) variance of totals.

This module holds the sampling structure of a design (strata, clusters,
finite population corrections for every stage) and computes the
design-based covariance of a vector of estimated totals from per-row,
already weighted contributions ``z`` -- the same quantity as R
``survey:::svyrecvar(z, ...)``:

* each stage's variance is the between-cluster variance of the cluster
  totals within each stratum, ``f_h n_h/(n_h-1) sum_c (t_c - tbar_h)^2``
  with ``f_h = (N_h - n_h)/N_h`` (``f_h = 1`` without fpc: sampling with
  replacement of the ultimate clusters);
* with fpc at several stages the variance of stage ``s+1`` is added inside
  every stage-``s`` cluster, multiplied by the stage-``s`` sampling fraction
  ``n_s/N_s`` (Bellhouse's recursion, as ``survey:::multistage``); without
  fpc only the first stage is used (ultimate-cluster approximation);
* a domain keeps every stratum and cluster of the full design: clusters
  without domain rows count as zero totals (R pads them with zeros);
* strata with one PSU follow ``lonely_psu`` like R's
  ``options(survey.lonely.psu=)``.

Nothing here is public API; :class:`survey.design.Design` exposes it as
``Design.score_vcov``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from survey.errors import DesignError

__all__: list[str] = []

LONELY_PSU_OPTIONS = ("fail", "remove", "certainty", "adjust", "average")


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


def stage_factors(stage: Stage, clus_stratum: np.ndarray, clus_present: np.ndarray, copies,
                  mult: np.ndarray, lonely_psu: str, stage_no: int):
    """Per-stratum multiplier of the between-cluster sum of squares.

    Returns ``(factor, center, all_lonely)``: ``factor`` (n_strata,) is the
    fpc-corrected ``n_h/(n_h-1)`` times ``mult`` (0 for strata without
    data, certainty strata and lonely PSUs as ``lonely_psu`` says),
    ``center`` whether a stratum's totals are centred on its mean (not a
    lonely PSU under ``"adjust"``), ``all_lonely`` a group whose strata are
    all lonely under ``"average"`` (R returns NaN).  ``clus_present``
    marks the clusters with data; ``copies`` (or None) how many clusters
    each entry stands for.
    """
    H = stage.n_strata
    npsu = stage.npsu.astype(float)
    if stage.popsize is None:
        f = np.ones(H)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(np.isinf(stage.popsize), 1.0,
                         (stage.popsize - npsu) / stage.popsize)
    certain = f < 1e-7
    nsub = np.bincount(clus_stratum[clus_present], minlength=H,
                       weights=None if copies is None else copies[clus_present])
    strat_present = nsub > 0
    lonely = strat_present & (npsu == 1) & ~certain
    if lonely.any() and lonely_psu == "fail":
        labels = [str(stage.strata_labels[h]) for h in np.flatnonzero(lonely)]
        shown = ", ".join(labels[:10]) + (" ..." if len(labels) > 10 else "")
        raise DesignError(
            f"{len(labels)} stratum/strata with only one PSU at stage {stage_no}: "
            f"{shown}. Choose how to handle them with Design(..., lonely_psu="
            "'remove'|'certainty'|'adjust'|'average') (R: options(survey.lonely.psu))."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(npsu > 1, f * npsu / np.maximum(npsu - 1, 1), f)
    scale = np.where(certain, 0.0, scale)
    ok = strat_present & ~(lonely & (lonely_psu == "average"))
    if lonely_psu in ("certainty", "remove"):
        scale = np.where(lonely, 0.0, scale)
    # "average": scale the sum over ok strata by nstrat/nokstrat within groups
    group_of_stratum = np.zeros(H, dtype=np.int64)
    group_of_stratum[stage.strata] = stage.group
    G = int(stage.group.max()) + 1 if stage.group.size else 1
    nstrat = np.bincount(group_of_stratum[strat_present], minlength=G).astype(float)
    nok = np.bincount(group_of_stratum[ok], minlength=G).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        gfac = nstrat / nok
    factor = np.where(ok, scale * mult * gfac[group_of_stratum], 0.0)
    center = np.ones(H, dtype=bool)
    if lonely_psu == "adjust":
        center = ~(lonely & (nsub == 1))
    all_lonely = bool(np.any((nstrat > 0) & (nok == 0)))
    return factor, center, all_lonely


def _stage_var(x: np.ndarray, stage: Stage, present: np.ndarray, mult: np.ndarray,
               lonely_psu: str, stage_no: int, *, scratch: bool = False, atoms=None) -> np.ndarray:
    """Contribution of one stage (all groups) to the covariance matrix.

    ``mult`` (per stratum) is the product of earlier sampling fractions.
    ``scratch``: ``x`` is not needed afterwards and may be overwritten.
    ``atoms`` (:class:`~survey.design.collapse.Atoms`): ``x`` and
    ``present`` are per atom (``x`` the atom's total); see
    :func:`atom_clusters`.
    """
    p = x.shape[1]
    H = stage.n_strata
    npsu = stage.npsu.astype(float)
    # which strata / clusters have rows in the (domain of the) data
    if atoms is None:
        clus_present = np.bincount(stage.cluster, weights=present.astype(float),
                                   minlength=stage.n_clusters) > 0
        clus_stratum = np.zeros(stage.n_clusters, dtype=np.int64)
        clus_stratum[stage.cluster] = stage.strata
        copies = None
    else:
        totals, clus_stratum, clus_present, copies = atom_clusters(x, stage, atoms, present)
    factor, center, all_lonely = stage_factors(stage, clus_stratum, clus_present, copies, mult,
                                               lonely_psu, stage_no)
    if not np.any(factor):
        return np.full((p, p), np.nan) if all_lonely else np.zeros((p, p))
    if atoms is None:
        totals = stage.cluster_totals(x)  # (n_clusters, p)
    summed = totals if copies is None else x      # per atom, x is the sum of its m clusters
    if H == 1:
        stotal = summed.sum(axis=0)[None, :]
    else:  # per-column bincount: much faster than np.add.at on (n, p)
        stotal = np.column_stack([np.bincount(clus_stratum, weights=summed[:, j], minlength=H)
                                  for j in range(p)]) if p else np.zeros((H, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(center[:, None], stotal / npsu[:, None], 0.0)
    # deviations kept in column-major order (as ``totals``): the cross-product
    # below is then one fast BLAS call (a row-major gather made it 5x slower).
    # Computed in place when ``totals`` is ours (cluster sums, or ``x`` given
    # up by the caller): one (n, p) array less at the peak, the same numbers.
    if totals.flags.f_contiguous and (totals is not x or scratch or atoms is not None):
        dev = totals
        if H == 1:
            dev -= means[0]
        else:
            for j in range(p):
                dev[:, j] -= means[clus_stratum, j]
    else:
        dev = totals - (means[0] if H == 1 else means.T[:, clus_stratum].T)
    cf = factor[clus_stratum]
    if copies is not None:            # an atom of singleton clusters: its cluster m times
        cf = cf * copies
    keep = cf != 0
    if not keep.all():
        dev, cf = dev[keep], cf[keep]
    if cf.size and np.all(cf == cf[0]):
        v = cf[0] * (dev.T @ dev)
    else:
        v = (dev * cf[:, None]).T @ dev
    # clusters of the full design absent from a domain enter as zero totals
    # (x is zero there), which is R's zero padding.
    if all_lonely:
        v[:] = np.nan
    return v


def atom_clusters(x: np.ndarray, stage: Stage, atoms, present: np.ndarray):
    """Cluster totals of per-atom totals ``x`` (A, p).

    Returns ``(totals, clus_stratum, clus_present, copies)``.  Where every
    cluster is one row, the "clusters" are the atoms, each standing for
    ``copies`` clusters with the same total ``x / m``; otherwise atoms lie
    inside clusters (the cluster is part of their key) and their totals
    are summed per cluster (``copies`` None).
    """
    rep = atoms.rep
    if stage.singletons:
        totals = np.asarray(x / atoms.count[:, None], order="F")
        return totals, stage.strata[rep], present.astype(bool), atoms.count
    C = stage.n_clusters
    cl = stage.cluster[rep]
    totals = np.empty((C, x.shape[1]), order="F")
    for k in range(x.shape[1]):
        totals[:, k] = np.bincount(cl, weights=x[:, k], minlength=C)
    clus_stratum = np.zeros(C, dtype=np.int64)
    clus_stratum[stage.cluster] = stage.strata
    clus_present = np.bincount(cl, weights=present.astype(float), minlength=C) > 0
    return totals, clus_stratum, clus_present, None


def recvar(x: np.ndarray, stages: tuple[Stage, ...], *, present: np.ndarray,
           lonely_psu: str, zero_outside: bool = True, overwrite: bool = False,
           atoms=None) -> np.ndarray:
    """Covariance of the column totals of ``x`` (R ``svyrecvar``).

    Parameters
    ----------
    x : ndarray, shape (n, p)
        Weighted per-row contributions (zeros outside a domain).
    stages : tuple of Stage
    present : ndarray of bool, shape (n,)
        Rows R would still hold (a domain of an uncalibrated design drops
        rows; strata and clusters without such rows are skipped).
    lonely_psu : str
    zero_outside : bool
        Set rows outside ``present`` to zero first (callers whose ``x`` is
        already zero there skip the copy).
    overwrite : bool
        ``x`` may be overwritten (its last stage's deviations are then
        computed in place).
    atoms : Atoms, optional
        ``x`` and ``present`` are per atom of interchangeable rows
        (:mod:`survey.design.collapse`); only the first stage is used
        (designs with fpc at several stages are never collapsed).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if zero_outside and not present.all():
        x = np.where(present[:, None], x, 0.0)
    p = x.shape[1]
    v = np.zeros((p, p))
    mult = np.ones(stages[0].n_strata)
    for s, stage in enumerate(stages):
        if s > 0:
            prev = stages[s - 1]
            # multiplier per stage-s stratum = parent's multiplier * n/N
            frac = prev.fraction * mult
            parent_stratum = np.zeros(prev.n_clusters, dtype=np.int64)
            parent_stratum[prev.cluster] = prev.strata
            # stage-s strata are the stage-(s-1) clusters
            mult_rows = frac[parent_stratum[stage.group]]
            mult = np.zeros(stage.n_strata)
            mult[stage.strata] = mult_rows
            if not np.any(mult):
                break
        last = stage.popsize is None or s == len(stages) - 1
        v = v + _stage_var(x, stage, present, mult, lonely_psu, s + 1, scratch=overwrite and last,
                           atoms=atoms)
        if stage.popsize is None:
            break
    return v
