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

The sampling structure itself (:class:`Stage`, :func:`build_stages`) is
coded in :mod:`survey.design.stages`.  Nothing here is public API;
:class:`survey.design.Design` exposes it as ``Design.score_vcov``.
"""
from __future__ import annotations

import numpy as np

from survey.design.stages import Stage, build_stages, sample_sizes  # noqa: F401  (re-exported)
from survey.errors import DesignError

__all__: list[str] = []

LONELY_PSU_OPTIONS = ("fail", "remove", "certainty", "adjust", "average")


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
