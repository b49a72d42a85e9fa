"""Replicate weights built from a linearised design (R ``as.svrepdesign``):
delete-one jackknife (JK1, JKn), balanced repeated replication (BRR, Fay),
R's with-replacement bootstrap, with R's scale and rscales, and the Rao-Wu
rescaled bootstrap with fewer draws than PSUs, whose replicate weights
never reach zero (so every replicate can be raked to the same margins).
"""
from __future__ import annotations

import numpy as np

from survey.design.hadamard import hadamard
from survey.design.replicate import ReplicateDesign
from survey.errors import DesignError
from survey.validation import check_option

__all__: list[str] = []

METHODS = ("jk1", "jkn", "bootstrap", "rescaled_bootstrap", "brr", "fay")


def _r_label(value) -> str:
    """A stratum label as R's ``as.character`` writes it (83.0 -> "83")."""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return str(int(v)) if v.is_integer() else format(v, ".15g")
    return str(value)


def brr_factors(stage, rho: float, method: str = "brr", large: str = "split") -> np.ndarray:
    """Replication factors per first-stage PSU, shape (n_psu, R), as R
    ``brrweights(strata, psu, fay.rho=rho, large=large)`` (survey 4.1).

    Strata are taken in the sorted order of their labels as text (R's
    ``table``; C-locale order), PSUs within a stratum in order of first
    appearance in the data.  A stratum with more than two PSUs is split into
    consecutive pairs (``large="split"``, R's default; needs an even number)
    or into two half-samples, the first ``n_h // 2`` PSUs and the rest
    (``large="merge"``); those strata come first, then the two-PSU strata.
    Row ``1 + s`` of :func:`~survey.design.hadamard.hadamard` (number of
    pairs) gives pair ``s``: 1 keeps the first half at ``2 - rho`` and the
    second at ``rho``, 0 the reverse.
    """
    if large not in ("split", "merge"):
        raise DesignError(f"replicate({method!r}): large must be 'split' or 'merge'; got {large!r}.")
    n_psu = stage.n_clusters
    psu_stratum = np.zeros(n_psu, dtype=np.int64)
    psu_stratum[stage.cluster] = stage.strata
    first_row = np.full(n_psu, stage.cluster.size, dtype=np.int64)
    np.minimum.at(first_row, stage.cluster, np.arange(stage.cluster.size))
    labels = [_r_label(v) for v in stage.strata_labels]
    npsu = stage.npsu
    one = [labels[h] for h in np.flatnonzero(npsu < 2)]
    if one:
        raise DesignError(
            f"replicate({method!r}) needs at least 2 PSUs in every stratum; strata {one[:10]} "
            "have one. Merge each into a neighbouring stratum, or use 'jkn' or 'bootstrap'.")
    odd = [labels[h] for h in np.flatnonzero((npsu > 2) & (npsu % 2 == 1))]
    if odd and large == "split":
        raise DesignError(
            f"replicate({method!r}) pairs the PSUs of each stratum; strata {odd[:10]} have an odd "
            "number of PSUs (R: \"Can't split with odd numbers of PSUs in a stratum\"). Pass "
            "large='merge' (two half-samples per stratum, R large=\"merge\"), form pseudo-strata "
            "of 2 PSUs, or use 'jkn' or 'bootstrap'.")
    order = sorted(range(len(labels)), key=lambda h: labels[h])
    halves = []
    for big in (True, False):
        for h in order:
            if (npsu[h] > 2) != big:
                continue
            members = np.flatnonzero(psu_stratum == h)
            members = members[np.argsort(first_row[members], kind="stable")]
            if big and large == "merge":
                half = members.size // 2
                halves.append((members[:half], members[half:]))
            else:
                halves.extend(zip(members[0::2, None], members[1::2, None]))
    H = hadamard(len(halves))
    F = np.empty((n_psu, H.shape[1]))
    for s, (a, b) in enumerate(halves):
        keep_first = H[s + 1] == 1
        F[a] = np.where(keep_first, 2 - rho, rho)
        F[b] = np.where(keep_first, rho, 2 - rho)
    return F


def rescaled_bootstrap_factors(stage, B: int, draws, rng, lonely: str) -> np.ndarray:
    """Rao & Wu (1988) rescaled bootstrap factors per PSU, shape (n_psu, B).

    In stratum ``h`` (``n_h`` PSUs, sampling fraction ``f_h``) each replicate
    draws ``m_h`` PSUs with replacement; PSU ``i``, drawn ``k_i`` times, gets
    ``1 - lambda_h + lambda_h (n_h / m_h) k_i`` with ``lambda_h = sqrt(m_h
    (1 - f_h) / (n_h - 1))``.  For any ``m_h`` the replicate variance of a
    total is, in expectation, the linearised ``(1 - f_h) n_h / (n_h - 1)
    sum (t_i - tbar)^2``; with ``m_h <= n_h - 2`` every factor is at least
    ``1 - lambda_h > 0``: no PSU (and no raking level) ever loses all its
    weight.  ``draws``: ``m_h`` as a fraction of ``n_h`` (float in (0, 1),
    rounded down, at least 1) or a number of PSUs (int, at most ``n_h - 1``).
    """
    n_psu = stage.n_clusters
    psu_stratum = np.zeros(n_psu, dtype=np.int64)
    psu_stratum[stage.cluster] = stage.strata
    F = np.ones((n_psu, B))
    lonely_strata = [stage.strata_labels[h] for h in np.flatnonzero(stage.npsu == 1)]
    if lonely_strata and lonely == "fail":
        raise DesignError(
            f"replicate('rescaled_bootstrap'): strata {lonely_strata[:10]} have one PSU; choose "
            "Design(..., lonely_psu=...) (their PSUs keep their weight in every replicate).")
    for h in range(stage.n_strata):
        members = np.flatnonzero(psu_stratum == h)
        nh = members.size
        if nh < 2:
            continue
        if isinstance(draws, (int, np.integer)) and not isinstance(draws, bool):
            m = min(int(draws), nh - 1)
        else:
            m = max(1, int(np.floor(float(draws) * nh)))
        f = 0.0 if stage.popsize is None or np.isinf(stage.popsize[h]) else nh / stage.popsize[h]
        lam = np.sqrt(m * (1 - f) / (nh - 1))
        counts = rng.multinomial(m, np.full(nh, 1.0 / nh), size=B)       # (B, nh)
        F[members] = (1 - lam + lam * nh / m * counts).T
    return F


def _check_draws(draws):
    ok = (isinstance(draws, (int, np.integer)) and not isinstance(draws, bool) and draws >= 1) or (
        isinstance(draws, (float, np.floating)) and 0 < draws < 1)
    if not ok:
        raise DesignError(
            f"replicate('rescaled_bootstrap'): draws must be a fraction of each stratum's PSUs "
            f"(0 < draws < 1, default 0.5) or a number of PSUs (an int >= 1); got {draws!r}.")


def build_replicates(design, method: str, *, replicates, seed, fay_rho, mse,
                     large: str = "split", draws=0.5) -> ReplicateDesign:
    """Replicate weights for a :class:`~survey.design.Design` as constructed."""
    method = str(method).lower()
    if method not in METHODS:
        check_option(method, tuple(METHODS), name="replicate: method")
    st = design._stages[0]
    w = design._w_base
    has_strata = design._spec["strata"] is not None
    psu = st.cluster
    strata = st.strata
    n_psu = st.n_clusters
    psu_stratum = np.zeros(n_psu, dtype=np.int64)
    psu_stratum[psu] = strata
    npsu_h = st.npsu
    labels = st.strata_labels
    if st.popsize is None:
        fpc_corr = np.ones(st.n_strata)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            fpc_corr = np.where(np.isinf(st.popsize), 1.0, (st.popsize - npsu_h) / st.popsize)
    if method == "jk1":
        if has_strata:
            raise DesignError("replicate('jk1') needs an unstratified design; use 'jkn' "
                              "for a stratified one.")
        k = n_psu
        F = np.full((n_psu, k), k / (k - 1))
        F[np.arange(k), np.arange(k)] = 0.0
        scale = (k - 1) / k * fpc_corr[0]
        rscales = np.ones(k)
        R_method = "jk1"
    elif method == "jkn":
        if not has_strata:
            raise DesignError("replicate('jkn') needs a stratified design; use 'jk1' for "
                              "an unstratified one.")
        cols, rsc = [], []
        lonely = [h for h in range(st.n_strata) if npsu_h[h] == 1 and fpc_corr[h] != 0]
        if lonely and design._lonely == "fail":
            raise DesignError(
                f"replicate('jkn'): strata {[labels[h] for h in lonely][:10]} have one PSU; "
                "choose Design(..., lonely_psu=...) to handle them.")
        kept = 0
        for h in range(st.n_strata):
            members = np.flatnonzero(psu_stratum == h)
            nh = members.size
            if nh == 1 and fpc_corr[h] != 0:
                if design._lonely == "adjust":
                    col = np.where(psu_stratum == h, 0.0, st.n_strata / (st.n_strata - 1))
                    cols.append(col)
                    rsc.append((st.n_strata - 1) / st.n_strata)
                    kept += 1
                continue
            for m in members:
                col = np.ones(n_psu)
                col[members] = nh / (nh - 1) if nh > 1 else 1.0
                col[m] = 0.0
                cols.append(col)
                rsc.append(fpc_corr[h] * (nh - 1) / nh)
                kept += 1
        F = np.column_stack(cols)
        rscales = np.array(rsc)
        scale = 1.0
        if design._lonely == "average" and kept < n_psu:
            scale = n_psu / kept
        R_method = "jkn"
    elif method in ("brr", "fay"):
        if not has_strata:
            raise DesignError(f"replicate({method!r}) needs a stratified design with 2 PSUs "
                              "per stratum.")
        rho = 0.0 if method == "brr" else float(fay_rho)
        if not 0 <= rho < 1:
            raise DesignError(f"fay_rho must be in [0, 1); got {fay_rho}.")
        F = brr_factors(st, rho, method, large)
        R = F.shape[1]
        scale = 1.0 / (R * (1 - rho) ** 2)
        rscales = np.ones(R)
        R_method = method
    elif method == "rescaled_bootstrap":
        _check_draws(draws)
        B = 50 if replicates is None else int(replicates)
        if B < 2:
            raise DesignError(f"replicate({method!r}): replicates must be >= 2; got {replicates}.")
        F = rescaled_bootstrap_factors(st, B, draws, np.random.default_rng(seed), design._lonely)
        scale = 1.0 / (B - 1)
        rscales = np.ones(B)
        R_method = "bootstrap"
    else:  # bootstrap
        B = 50 if replicates is None else int(replicates)
        if B < 2:
            raise DesignError(f"replicate('bootstrap'): replicates must be >= 2; got {replicates}.")
        rng = np.random.default_rng(seed)
        F = np.zeros((n_psu, B))
        for h in range(st.n_strata):
            members = np.flatnonzero(psu_stratum == h)
            nh = members.size
            if st.popsize is None or np.isinf(st.popsize[h]):
                draws = rng.integers(0, nh, size=(B, nh))
                for b in range(B):
                    F[members, b] = np.bincount(draws[b], minlength=nh)
            else:
                N = round(st.popsize[h])
                pool = np.resize(np.arange(nh), N)
                for b in range(B):
                    pick = rng.choice(pool, size=nh, replace=False)
                    F[members, b] = np.bincount(pick, minlength=nh)
        harm = 1.0 / np.mean(1.0 / npsu_h)
        scale = harm / ((harm - 1) * (B - 1))
        rscales = np.ones(B)
        R_method = "bootstrap"
    W = F[psu] * w[:, None]
    return ReplicateDesign._from_parts(design._data, w.copy(), W, method=R_method, scale=scale,
                                       rscales=rscales, mse=mse, pattern=psu.copy(),
                                       rho=fay_rho if method == "fay" else 0.0)
