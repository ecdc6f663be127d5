"""Fixed-base MSM tables for a proving key: the prover's optional fast path.

A key's query points never change, so :class:`~pouw.zk.msm.G1MSMContext` /
:class:`~pouw.zk.msm.G2MSMContext` tables (``[2^(c j)] P_i`` for every window
``j``) turn each MSM into one shared bucket pass: about twice as fast as the
plain Pippenger MSM at a few thousand points.  They cost memory (``n * W * 64``
bytes per G1 query, twice that for G2) and time to build (~254 doublings per
point), so they are built once, on request (:func:`precompute_msm_tables`),
within a byte budget, and saved in pouw's key file with the key
(:mod:`.keyfile`), which then opens ready to use them.

Queries are tabled in the order of their gain -- the G2 query first, then
H, A, B1, C -- and only with a window at least as large as the plain MSM's
(smaller ones would not be faster).  Tables live in ``pk.cache``; the
prover uses whichever exist and the plain MSM for the rest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._native import msm as _m
from ..msm import G1MSMContext, G2MSMContext, MSMContext, msm_window
from ..points import G1Array, G2Array, PointArray
from .keys import ProvingKey

__all__ = [
    "DEFAULT_TABLE_BUDGET",
    "QUERIES",
    "precompute_msm_tables",
    "msm_tables",
    "context_from_table",
]

#: Bytes of tables :func:`precompute_msm_tables` builds by default: every query up to
#: ~2,000 constraints, B2 and H at 4,000 (peak memory stays within 1.5x groth16py's).
DEFAULT_TABLE_BUDGET = 16 << 20
#: The queries in the order they get tables: (attribute, context class, point class, group).
QUERIES: tuple[tuple[str, type[MSMContext], type[PointArray], int], ...] = (
    ("b_g2_query", G2MSMContext, G2Array, 2),
    ("h_query", G1MSMContext, G1Array, 1),
    ("a_query", G1MSMContext, G1Array, 1),
    ("b_g1_query", G1MSMContext, G1Array, 1),
    ("c_query", G1MSMContext, G1Array, 1),
)


def _key(name: str) -> str:
    return f"msm:{name}"


def msm_tables(pk: ProvingKey) -> dict[str, MSMContext]:
    """The tables ``pk`` holds, by query attribute."""
    return {name: pk.cache[_key(name)] for name, *_ in QUERIES if _key(name) in pk.cache}


def _window(n: int, row_bytes: int, budget: int, group: int) -> int | None:
    """The best fixed-base window whose table fits in ``budget`` and beats the plain MSM."""
    fits = [c for c in range(1, _m.MAX_WINDOW + 1) if n * _m.windows(c) * row_bytes <= budget]
    fits = [c for c in fits if c >= msm_window(n, group)]
    if not fits:
        return None
    return min(fits, key=lambda c: n * _m.windows(c) + (1 << c))


def precompute_msm_tables(
    pk: ProvingKey, max_bytes: int = DEFAULT_TABLE_BUDGET, threads: int | None = None
) -> int:
    """Build the tables that fit in ``max_bytes`` (counting those ``pk`` has); their bytes."""
    used = sum(ctx.table_bytes for ctx in msm_tables(pk).values())
    for name, ctx_cls, _, group in QUERIES:
        points = getattr(pk, name)
        n = len(points)
        if _key(name) in pk.cache or n == 0:
            continue
        window = _window(n, points.montgomery.shape[1] * 8, max_bytes - used, group)
        if window is None:
            continue
        ctx = ctx_cls(points, window=window, threads=threads)
        pk.cache[_key(name)] = ctx
        used += ctx.table_bytes
    return used


def context_from_table(name: str, table: np.ndarray, window: int, n: int) -> MSMContext:
    """A context over a saved table (trusted: the key file's digest guards it).

    ValueError when the shape does not fit ``n`` points with this window.
    """
    ctx_cls, pt_cls = next((c, p) for q, c, p, _ in QUERIES if q == name)
    width = 8 if pt_cls is G1Array else 16
    if not 1 <= window <= _m.MAX_WINDOW or table.shape != (n * _m.windows(window), width):
        raise ValueError(f"the MSM table of {name} does not fit {n} points with window {window}")
    ctx: Any = object.__new__(ctx_cls)
    # The attributes MSMContext.__init__ sets (pouw.zk.msm), without rebuilding the table.
    ctx.window, ctx._n, ctx._table = window, n, table
    return ctx
