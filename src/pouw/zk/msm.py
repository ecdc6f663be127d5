"""Multi-scalar multiplication ``sum_i [k_i] P_i`` on G1 and G2 of BN254.

Pippenger's bucket method with signed-digit windows (see
``pouw/_native/csrc/bn254_msm.h``): smaller MSMs first split every scalar by
the curve endomorphism (G1: GLV, 2 parts of 128 bits; G2: GLS, 4 parts of
~65 bits), the window is chosen from the number of points
(:func:`msm_window`), bucket additions are batched affine ones sharing one
inversion, and windows are shared out over threads with the GIL released.

- :func:`g1_msm` / :func:`g2_msm`: one-shot MSMs.
- :class:`G1MSMContext` / :class:`G2MSMContext`: fixed bases (a proving key)
  used many times; the constructor precomputes ``[2^(c*j)] P_i`` for every
  window ``j`` once, after which every window shares one set of buckets (no
  per-window reduction, no doublings).

Points are a :class:`~pouw.zk.curve.G1Array` / :class:`~pouw.zk.curve.G2Array`
or a list of ``py_ecc``-style affine tuples (``None`` for infinity; validated
like ``from_ints``).  Scalars are an :class:`~pouw.zk.field.FrArray` or a list
of Python ints of any size and sign (reduced modulo ``R``).  Results are
``py_ecc``-style tuples, ``None`` for the point at infinity.  ``threads=None``
uses ``os.cpu_count()`` threads, ``threads=1`` runs on the calling thread.

Not constant time: for public points and scalars whose timing is not secret.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from .._native import missing_extension
from .field import FrArray
from .points import G1Array, G1Point, G2Array, G2Point, PointArray, scalars_to_limbs

try:
    from .._native import msm as _m
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("msm", exc) from exc

__all__ = [
    "g1_msm",
    "g2_msm",
    "msm_window",
    "MSMContext",
    "G1MSMContext",
    "G2MSMContext",
]

_Limbs = npt.NDArray[np.uint64]
Scalars = FrArray | Sequence[int]

#: Bytes a fixed-base table may take by default (rows of n points times windows).
DEFAULT_TABLE_BYTES = 1 << 30


def msm_window(n: int, group: int = 1, threads: int | None = 1) -> int:
    """The window (widest signed digit, bits) a plain MSM of ``n`` points uses on
    ``threads`` threads (group 1: G1, 2: G2; None: all cores)."""
    return int(_m.pick_window(operator.index(n), group, resolve_threads(threads)))


def resolve_threads(threads: int | None) -> int:
    """``threads`` checked: None means every core; else a positive int."""
    if threads is None:
        return os.cpu_count() or 1
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be None or a positive int, got {threads!r}")
    return threads


def _points(cls: type[PointArray], points: Any) -> PointArray:
    if isinstance(points, cls):
        return points
    if isinstance(points, PointArray):
        raise TypeError(
            f"expected a {cls.__name__} or a list of tuples, got {type(points).__name__}"
        )
    return cls.from_ints(points)


def _scalars(scalars: Any) -> tuple[_Limbs, bool]:
    """(n, 4) limbs and whether they are Montgomery form (an FrArray) or plain ints mod R."""
    if isinstance(scalars, FrArray):
        return scalars._limbs, True
    if isinstance(scalars, (str, bytes)) or not isinstance(scalars, Sequence):
        raise TypeError(
            f"scalars must be an FrArray or a list of ints, got {type(scalars).__name__}"
        )
    return scalars_to_limbs(scalars), False


def _msm(cls: type[PointArray], points: Any, scalars: Any, threads: int | None) -> Any:
    pts = _points(cls, points)
    limbs, mont = _scalars(scalars)
    if len(pts) != limbs.shape[0]:
        raise ValueError(f"length mismatch: {len(pts)} points, {limbs.shape[0]} scalars")
    out = cls._empty(1)
    _m.msm(cls._group, out._limbs, pts._limbs, limbs, mont, threads=resolve_threads(threads))
    return out.to_ints()[0]


def g1_msm(points: Any, scalars: Scalars, threads: int | None = None) -> G1Point:
    """``sum_i [scalars[i]] points[i]`` in G1, as ``(x, y)`` or ``None``.

    Raises ValueError when the lengths differ, CurveError for invalid tuples.
    """
    return _msm(G1Array, points, scalars, threads)


def g2_msm(points: Any, scalars: Scalars, threads: int | None = None) -> G2Point:
    """``sum_i [scalars[i]] points[i]`` in G2, as ``((x_c0, x_c1), (y_c0, y_c1))`` or ``None``."""
    return _msm(G2Array, points, scalars, threads)


class MSMContext:
    """Fixed bases with a precomputed table (use :class:`G1MSMContext` / :class:`G2MSMContext`).

    ``table`` row ``j*n + i`` holds ``[2^(c*j)] P_i`` (affine, Montgomery form)
    for every window ``j < W``; it takes ``n * W * 64`` bytes for G1 and twice
    that for G2 (``W = floor(254/c) + 1``).  ``window`` defaults to the largest
    ``c`` whose table fits in ``max_table_bytes`` (at most 15), since every
    window then shares a single bucket reduction.  The table is built with
    ``threads`` threads (None: all cores): about 254 doublings per point.
    """

    _array: ClassVar[type[PointArray]]  # the class of the points (G1Array or G2Array)
    window: int
    _n: int
    _table: _Limbs

    def __init__(
        self,
        points: Any,
        window: int | None = None,
        max_table_bytes: int = DEFAULT_TABLE_BYTES,
        threads: int | None = None,
    ) -> None:
        cls = self._array
        pts = _points(cls, points)
        n = len(pts)
        row = pts._limbs.shape[1] * 8
        if window is None:
            window = self._pick(n, row, max_table_bytes)
        if (
            isinstance(window, bool)
            or not isinstance(window, int)
            or not 1 <= window <= _m.MAX_WINDOW
        ):
            raise ValueError(f"window must be an int in [1, {_m.MAX_WINDOW}], got {window!r}")
        self.window = window
        self._n = n
        self._table = np.empty((n * _m.windows(window), pts._limbs.shape[1]), dtype=np.uint64)
        _m.fixed_base_table(cls._group, self._table, pts._limbs, window, resolve_threads(threads))

    @staticmethod
    def _pick(n: int, row_bytes: int, max_bytes: int) -> int:
        """The window minimising n*W + 2^c (one reduction) whose table fits in max_bytes."""
        fits = [
            c for c in range(1, _m.MAX_WINDOW + 1) if n * _m.windows(c) * row_bytes <= max_bytes
        ]
        if not fits:
            need = n * _m.windows(_m.MAX_WINDOW) * row_bytes
            raise ValueError(
                f"a fixed-base table for {n} points needs at least {need} bytes, above "
                f"max_table_bytes={max_bytes}: raise it or use the plain MSM"
            )
        return min(fits, key=lambda c: n * _m.windows(c) + (1 << c))

    def __len__(self) -> int:
        return self._n

    @property
    def table_bytes(self) -> int:
        """Bytes held by the precomputed table."""
        return int(self._table.nbytes)

    def msm(self, scalars: Scalars, threads: int | None = None) -> Any:
        """``sum_i [scalars[i]] P_i`` over the context's points (same result as the plain MSM)."""
        limbs, mont = _scalars(scalars)
        if limbs.shape[0] != self._n:
            raise ValueError(f"length mismatch: {self._n} points, {limbs.shape[0]} scalars")
        out = self._array._empty(1)
        _m.fixed_base_msm(
            self._array._group,
            out._limbs,
            self._table,
            limbs,
            mont,
            self.window,
            threads=resolve_threads(threads),
        )
        return out.to_ints()[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._n} points, window={self.window})"


class G1MSMContext(MSMContext):
    """Fixed G1 bases: ``G1MSMContext(points).msm(scalars, threads=None) -> (x, y) | None``."""

    _array = G1Array


class G2MSMContext(MSMContext):
    """Fixed G2 bases: ``G2MSMContext(points).msm(scalars, threads=None)`` -> a G2 tuple or ``None``."""

    _array = G2Array
