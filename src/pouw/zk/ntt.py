"""The number-theoretic transform (NTT) over Fr, the scalar field of BN254.

The multiplicative group of Fr has order ``r - 1 = 2^28 * t`` (t odd), so
domains of every size ``n = 2^k``, ``k <= 28``, exist.  Their roots come from
the generator 5 (as in snarkjs and arkworks): ``w_{2^28} = 5^t``, and the
domain of ``n`` points uses ``w_n = w_{2^28}^(2^28 / n)`` (:func:`root_of_unity`).

- :func:`ntt`: evaluations ``y[k] = sum_i x[i] w_n^(ik)`` -- the values of the
  polynomial with coefficients ``x`` at ``w_n^0, w_n^1, ...`` (natural order).
- :func:`intt`: the inverse, evaluations back to coefficients.
- :func:`coset_ntt` / :func:`coset_intt`: the same on the coset ``shift * <w_n>``:
  ``y[k] = P(shift * w_n^k)``.
- ``*_inplace`` variants overwrite their argument (for provers that own the buffer).

Every function takes an :class:`~pouw.zk.field.FrArray` whose length is a power
of two (else ValueError) and ``threads`` (None: ``os.cpu_count()``); the native
kernel releases the GIL and splits large transforms between threads.  Results do
not depend on the thread count or the multiply backend, bit for bit.
"""

from __future__ import annotations

import operator
import os
from dataclasses import dataclass

from .._native import missing_extension
from .field import Fr, FrArray, R

try:
    from .._native import ntt as _k
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("ntt", exc) from exc

__all__ = [
    "MAX_LOG_SIZE",
    "Domain",
    "root_of_unity",
    "ntt",
    "intt",
    "coset_ntt",
    "coset_intt",
    "ntt_inplace",
    "intt_inplace",
    "coset_ntt_inplace",
    "coset_intt_inplace",
]

#: The two-adicity of ``r - 1``: the largest domain has ``2^28`` points.
MAX_LOG_SIZE = 28
#: A primitive 2^28-th root of unity (``5^((r - 1) / 2^28)``).
ROOT_OF_UNITY = 19103219067921713944291392827692070036145651957329286315305642004821462161904

if _k.MAX_LOG != MAX_LOG_SIZE or _k.ROOT_OF_UNITY != ROOT_OF_UNITY:  # pragma: no cover
    raise ImportError("pouw._native.ntt disagrees with pouw.zk.ntt on the 2^28-th root of unity")


def _log2(n: int) -> int:
    if n < 1 or n & (n - 1):
        raise ValueError(f"the NTT length must be a power of two, got {n}")
    k = n.bit_length() - 1
    if k > MAX_LOG_SIZE:
        raise ValueError(f"the NTT length must be at most 2^{MAX_LOG_SIZE}, got 2^{k}")
    return k


def root_of_unity(n: int) -> int:
    """The primitive ``n``-th root of unity ``w_n`` of the domains here (``n`` a power of two)."""
    return int(_k.root_of_unity(_log2(operator.index(n))))


@dataclass(frozen=True)
class Domain:
    """The evaluation domain ``{w^0, ..., w^(n-1)}`` of ``n = 2^k`` points, as Python ints.

    ``omega`` is :func:`root_of_unity` ``(n)``, ``omega_inv`` its inverse and
    ``size_inv`` ``1/n mod r``.  Building one also builds (once, cached) the
    native twiddle table of that size.
    """

    size: int
    log_size: int
    omega: int
    omega_inv: int
    size_inv: int

    def __init__(self, size: int) -> None:
        t = _k.twiddles(_log2(operator.index(size)))
        object.__setattr__(self, "size", int(t.size))
        object.__setattr__(self, "log_size", int(t.log_size))
        object.__setattr__(self, "omega", int(t.omega))
        object.__setattr__(self, "omega_inv", int(t.omega_inv))
        object.__setattr__(self, "size_inv", int(t.size_inv))

    def elements(self) -> FrArray:
        """The points ``w^0, ..., w^(n-1)`` as an FrArray."""
        return FrArray.from_ints(pow(self.omega, i, R) for i in range(self.size))


def _check(values: object, name: str = "values") -> FrArray:
    if not isinstance(values, FrArray):
        raise TypeError(f"{name} must be an FrArray, got {type(values).__name__}")
    _log2(len(values))
    return values


def _threads(threads: int | None) -> int:
    if threads is None:
        return os.cpu_count() or 1
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int or None, got {threads!r}")
    return threads


def _shift(shift: int | Fr) -> int:
    if isinstance(shift, Fr):
        value = shift.value
    elif isinstance(shift, int) and not isinstance(shift, bool):
        value = shift % R
    else:
        raise TypeError(f"the coset shift must be an int or an Fr, got {type(shift).__name__}")
    if value == 0:
        raise ValueError("the coset shift must be nonzero mod r")
    return value


# ------------------------------------------------------------ in place


def ntt_inplace(values: FrArray, *, threads: int | None = None) -> None:
    """Overwrite ``values`` (coefficients) with its evaluations at ``w_n^0, w_n^1, ...``."""
    _k.forward(_check(values)._limbs, None, _threads(threads))


def intt_inplace(values: FrArray, *, threads: int | None = None) -> None:
    """Overwrite ``values`` (evaluations at ``w_n^k``) with the coefficients."""
    _k.inverse(_check(values)._limbs, None, _threads(threads))


def coset_ntt_inplace(values: FrArray, shift: int | Fr, *, threads: int | None = None) -> None:
    """Overwrite ``values`` with its evaluations at ``shift * w_n^k``."""
    _k.forward(_check(values)._limbs, _shift(shift), _threads(threads))


def coset_intt_inplace(values: FrArray, shift: int | Fr, *, threads: int | None = None) -> None:
    """Overwrite ``values`` (evaluations at ``shift * w_n^k``) with the coefficients."""
    _k.inverse(_check(values)._limbs, _shift(shift), _threads(threads))


# ------------------------------------------------------------ new arrays


def ntt(values: FrArray, *, threads: int | None = None) -> FrArray:
    """The evaluations at ``w_n^0, w_n^1, ...`` of the polynomial with coefficients ``values``."""
    out = _check(values).copy()
    ntt_inplace(out, threads=threads)
    return out


def intt(values: FrArray, *, threads: int | None = None) -> FrArray:
    """The coefficients of the polynomial with the given evaluations at ``w_n^k``."""
    out = _check(values).copy()
    intt_inplace(out, threads=threads)
    return out


def coset_ntt(values: FrArray, shift: int | Fr, *, threads: int | None = None) -> FrArray:
    """The evaluations at ``shift * w_n^k`` of the polynomial with coefficients ``values``."""
    out = _check(values).copy()
    coset_ntt_inplace(out, shift, threads=threads)
    return out


def coset_intt(values: FrArray, shift: int | Fr, *, threads: int | None = None) -> FrArray:
    """The coefficients of the polynomial with the given evaluations at ``shift * w_n^k``."""
    out = _check(values).copy()
    coset_intt_inplace(out, shift, threads=threads)
    return out
