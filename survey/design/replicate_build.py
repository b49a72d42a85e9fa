"""Replicate weights built from a linearised design (R ``as.svrepdesign``):
delete-one jackknife (JK1, JKn), balanced repeated replication (BRR, Fay)
and the Rao-Wu rescaling bootstrap, with R's scale and rscales.
"""
from __future__ import annotations

import numpy as np

from survey.design.replicate import ReplicateDesign
from survey.errors import DesignError

__all__: list[str] = []


def _hadamard(order_min: int) -> np.ndarray:
    """A +/-1 Hadamard matrix of the smallest order >= order_min available
    from Sylvester doubling of orders 1, or Paley's construction (q + 1 for
    primes q = 3 mod 4), normalised so that row 0 is all ones."""
    def paley(q):
        res = np.zeros(q, dtype=int)
        res[(np.arange(1, q) ** 2) % q] = 1
        chi = np.where(res == 1, 1, -1)
        chi[0] = 0
        Q = np.array([[chi[(j - i) % q] for j in range(q)] for i in range(q)])
        H = np.ones((q + 1, q + 1), dtype=int)
        H[1:, 1:] = Q + np.eye(q, dtype=int)
        H[1:, 0] = -1
        return H

    def is_prime(m):
        return m > 1 and all(m % d for d in range(2, int(m ** 0.5) + 1))

    best = None
    size = 1
    while size < 4 * order_min + 8:
        for base in ([1, 2] + [q + 1 for q in range(3, order_min + 4, 4) if is_prime(q)]):
            order = base * size
            if order >= order_min and (best is None or order < best[0]):
                best = (order, base, size)
        size *= 2
    order, base, _ = best
    if base == 1:
        H = np.ones((1, 1), dtype=int)
    elif base == 2:
        H = np.array([[1, 1], [1, -1]])
    else:
        H = paley(base - 1)
    while H.shape[0] < order:
        H = np.block([[H, H], [H, -H]])
    # normalise: first row and column all +1
    H = H * H[0][None, :]
    H = H * H[:, 0][:, None]
    return H


def build_replicates(design, method: str, *, replicates, seed, fay_rho, mse) -> ReplicateDesign:
    """Replicate weights for a :class:`~survey.design.Design` as constructed."""
    method = str(method).lower()
    if method not in ("jk1", "jkn", "bootstrap", "brr", "fay"):
        raise DesignError(
            f"replicate: method must be 'jk1', 'jkn', 'bootstrap', 'brr' or 'fay'; got {method!r}.")
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
        if not np.all(npsu_h == 2):
            bad = [labels[h] for h in np.flatnonzero(npsu_h != 2)][:10]
            raise DesignError(
                f"replicate({method!r}) needs exactly 2 PSUs in every stratum; strata {bad} "
                "differ. Use 'jkn' or 'bootstrap', or pair PSUs into pseudo-strata.")
        rho = 0.0 if method == "brr" else float(fay_rho)
        if not 0 <= rho < 1:
            raise DesignError(f"fay_rho must be in [0, 1); got {fay_rho}.")
        H = _hadamard(st.n_strata + 1)
        R = H.shape[1]
        F = np.empty((n_psu, R))
        for h in range(st.n_strata):
            first, second = np.flatnonzero(psu_stratum == h)
            sign = H[h + 1]
            F[first] = np.where(sign > 0, 2 - rho, rho)
            F[second] = np.where(sign > 0, rho, 2 - rho)
        scale = 1.0 / (R * (1 - rho) ** 2)
        rscales = np.ones(R)
        R_method = method
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
