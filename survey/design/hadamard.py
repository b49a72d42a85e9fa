"""Hadamard matrices for balanced repeated replication, as R ``survey``.

BRR needs a Hadamard matrix with more rows than (pseudo-)strata: row 1 is
all ones and row ``1 + s`` says, replicate by replicate, which PSU of
stratum ``s`` is kept.  To reproduce R's replicate weights the matrix must
be R's own, row for row, so :func:`hadamard` follows ``survey::hadamard(n)``
(survey 4.1):

* ``n`` in 0-3, 12-15, 24-27 and 32-35 use the stored matrices of orders 4,
  16, 28 and 36 (4 and 16 are Sylvester doublings of ``[[1]]``; 28 and 36
  are the two tables R stores, written out below);
* otherwise the candidate orders are 4, 16, 28 and 36 doubled until they
  exceed ``n``, and the smallest wins; if it is more than 4 above ``n`` a
  Paley matrix (``(i + j) mod p`` quadratic-residue construction for a
  prime ``p = 3 mod 4``, possibly doubled) is tried first, as R's
  ``paley(n, nmax)``; else the stored matrix is doubled.

Matrices are 0/1 (R's coding: 1 keeps the first PSU at factor ``2 - rho``).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__: list[str] = []

#: R survey's stored order-28 matrix, one row per hexadecimal number (28 bits).
_H28_ROWS = (
    "fffffff 9c71c78 83cd378 83b2e66 9a0f8d6 952c5ae 8cd239e 58aa7f0 45b59d4 46cbcac "
    "561774a 4b64e9a 5959b26 2d1eae8 3666b34 2b3b51c 31d74b2 32f89ca 2ced646 ea545e4 "
    "f1632cc f09ce1c e54ad52 e6392b2 e8a792a dffe000 bf81f80 7f8007e"
).split()
#: R survey's stored order-36 matrix: a row of ones, then the 35 left rotations of
#: this sequence in the first 35 columns and 0 in the last.
_H36_CORE = "01011100011111011100100001010110010"
_STORED_SIZES = (4, 16, 28, 36)
#: R's ``paley()`` knows the primes = 3 (mod 4) up to 7919.
_PRIME_LIMIT = 7919


def _is_prime(m: int) -> bool:
    return m > 1 and all(m % d for d in range(2, math.isqrt(m) + 1))


def _double(H: np.ndarray) -> np.ndarray:
    return np.block([[H, H], [H, 1 - H]])


@lru_cache(maxsize=None)
def _stored(order: int) -> np.ndarray:
    if order == 4:
        return _double(_double(np.ones((1, 1), dtype=np.int8)))
    if order == 16:
        return _double(_double(_stored(4)))
    if order == 28:
        return np.array([[int(b) for b in format(int(r, 16), "028b")] for r in _H28_ROWS],
                        dtype=np.int8)
    core = np.array([int(b) for b in _H36_CORE], dtype=np.int8)
    H = np.zeros((36, 36), dtype=np.int8)
    H[0] = 1
    for k in range(35):
        H[k + 1, :35] = np.roll(core, -k)
    return H


def _paley_prime(p: int) -> np.ndarray:
    """Order ``p + 1``: 0 where ``(i + j) mod p`` is 0 or a quadratic residue."""
    residues = np.zeros(p, dtype=bool)
    residues[0] = True
    residues[(np.arange(1, (p - 1) // 2 + 1) ** 2) % p] = True
    i = np.arange(p)
    core = np.where(residues[(i[:, None] + i[None, :]) % p], 0, 1).astype(np.int8)
    H = np.ones((p + 1, p + 1), dtype=np.int8)
    H[1:, 1:] = core
    return H


def _paley(n: int, nmax: int | None = None) -> np.ndarray | None:
    """R ``survey:::paley(n, nmax)``: a Paley-type matrix of order >= n + 1, or None."""
    nmax = 2 * n if nmax is None else nmax
    nceil = nn = n + 4 - n % 4
    if n % 4 + 4 == n % 8:
        while nn % 8 == 0:
            nn //= 2
        if nn - 1 <= _PRIME_LIMIT and (nn - 1) % 4 == 3 and _is_prime(nn - 1):
            H = _paley_prime(nn - 1)
            while nn < nceil:
                H = _double(H)
                nn *= 2
            return H
    if n > _PRIME_LIMIT:
        return None
    p = next(q for q in range(max(n, 3), _PRIME_LIMIT + 1) if q % 4 == 3 and _is_prime(q))
    if p + 1 > nceil + 4 and nceil + 4 < nmax:
        return _paley(nceil + 3)
    if p > nmax:
        return None
    return _paley_prime(p)


@lru_cache(maxsize=64)
def _hadamard_cached(n: int) -> np.ndarray:
    m = n - n % 4
    stored = [s for s in _STORED_SIZES if m < s <= m + 4]
    if stored:
        return _stored(stored[0])
    if all(m < s for s in _STORED_SIZES):
        return _stored(4)
    sizes = [s * 2 ** max(0, math.ceil(math.log2((n + 1) / s))) for s in _STORED_SIZES]
    best = int(np.argmin([s - n for s in sizes]))
    H = None
    if sizes[best] - n > 4:
        H = _paley(n, sizes[best])
    if H is None:
        H = _stored(_STORED_SIZES[best])
        for _ in range(math.ceil(math.log2(sizes[best] / _STORED_SIZES[best]))):
            H = _double(H)
    return H


def hadamard(n: int) -> np.ndarray:
    """R ``survey::hadamard(n)``: a 0/1 Hadamard matrix with at least ``n + 1``
    rows (first row all ones) for ``n`` strata."""
    if n < 0:
        raise ValueError(f"hadamard: n must be >= 0; got {n}")
    return _hadamard_cached(int(n)).copy()
