"""snarkjs's Groth16 proving keys (``.zkey``, version 1): ``read_zkey(path) -> (pk, vk)``.

Sections (see :mod:`.binfile` for the container): 1, the protocol (1 =
Groth16); 2, the header: ``n8q``, q, ``n8r``, r, the wire count, the public
count, the domain size, then ``alpha_1, beta_1, beta_2, gamma_2, delta_1,
delta_2``; 3, IC (``n_public + 1`` G1 points); 4, the A and B coefficients
(a ``u32`` count, then ``u32`` matrix, ``u32`` constraint, ``u32`` wire and
the coefficient); 5, 6, 7: ``[A_j]_1``, ``[B_j]_1``, ``[B_j]_2`` for every
wire; 8, the C query (private wires); 9, the H query (``domain_size``
points); 10, the contributions (ignored here).

Encodings: a point is its affine coordinates in Montgomery form,
little-endian, x then y (G2: ``x.c0, x.c1, y.c0, y.c1``), all zero for the
point at infinity -- pouw's own storage layout, so sections load with
``np.frombuffer``.  A coefficient ``c`` is stored as ``c * 2^512 mod r`` (the
Montgomery form of ``c * 2^256``), which the reader turns back into ``c``.

Every point is validated (coordinates below q -- never reduced, unlike
snarkjs, iden3/snarkjs#423 --, on the curve, and G2 points in the order-r
subgroup): :class:`~pouw.errors.CurveError` names the section; any structural
problem raises :class:`~pouw.errors.ProofError`.  Validation runs on every
core (the kernel releases the GIL) and costs about 0.65 s for a
32,000-constraint key on two cores: import a zkey once and keep the result in
pouw's own key file (:mod:`pouw.zk.groth16.keyfile`, or ``load_zkey_cached``).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from typing import Any

import numpy as np

from ..._native import curve as _c
from ...errors import CurveError, ProofError
from ..field import FrArray, Q, R
from ..groth16.keys import ProvingKey, VerifyingKey
from ..points import G1Array, G2Array, PointArray
from ..r1cs import SparseMatrix
from .binfile import BinFile, Cursor, read_binfile

__all__ = ["read_zkey"]

_G1_BYTES, _G2_BYTES = 64, 128
_COEF = np.dtype([("m", "<u4"), ("c", "<u4"), ("s", "<u4"), ("v", "<u8", (4,))])
# R^-1 mod r: turns the stored Montgomery form of c*R into c.
_R_INV = pow(1 << 256, -1, R)


def _points(cls: type[PointArray], raw: memoryview, n: int, what: str, check: bool = True) -> Any:
    """The section's points; coordinates below q always checked, curve and subgroup
    when ``check`` (else by :func:`_validate_all` later)."""
    size = _G1_BYTES if cls is G1Array else _G2_BYTES
    if len(raw) != n * size:
        raise ProofError(f"{what}: {len(raw)} bytes, expected {n} points of {size} bytes")
    limbs = np.frombuffer(raw, dtype="<u8").reshape(n, size // 8)
    try:
        return cls.from_montgomery(limbs, check=check)
    except CurveError as exc:
        raise CurveError(f"{what}: {exc}") from None


# Rows per validation task: large enough to amortise the call, small enough to balance.
_CHUNK = 4096


def _validate_all(sections: list[tuple[PointArray, str]]) -> None:
    """Check every point on its curve (G2: in the subgroup) on every core; the
    kernel releases the GIL.  CurveError names the first bad point in section order."""
    tasks = []
    for k, (arr, _) in enumerate(sections):
        limbs = arr.montgomery
        for lo in range(0, len(arr), _CHUNK):
            tasks.append((k, lo, limbs[lo : lo + _CHUNK]))

    def run(task: tuple[int, int, Any]) -> tuple[int, int, int]:
        k, lo, rows = task
        bad, why = _c.check(sections[k][0]._group, rows, True)
        return k, lo + bad if bad >= 0 else -1, why

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(run, tasks))
    failures = sorted((k, bad, why) for k, bad, why in results if bad >= 0)
    if failures:
        k, bad, why = failures[0]
        arr, what = sections[k]
        state = "not on the curve" if why == 1 else "not in the order-r subgroup"
        raise CurveError(f"{what}: {arr._name} point {bad} is {state}")


def _one(cls: type[PointArray], cur: Cursor, what: str) -> Any:
    size = _G1_BYTES if cls is G1Array else _G2_BYTES
    point = _points(cls, cur.take(size), 1, what)[0]
    if point is None:
        raise CurveError(f"{what} is the point at infinity")
    return point


def _coefficients(bf: BinFile, n_vars: int, domain: int) -> tuple[SparseMatrix, SparseMatrix]:
    cur = bf.cursor(4, "coefficients")
    count = cur.u32()
    if cur.rest() != count * _COEF.itemsize:
        raise ProofError(
            f"{bf.name}: {count} coefficients announced, section 4 has {cur.rest()} bytes"
        )
    rec = np.frombuffer(cur.take(count * _COEF.itemsize), dtype=_COEF)
    m, c, s = rec["m"].astype(np.int64), rec["c"].astype(np.int64), rec["s"].astype(np.int64)
    for bad, why in (
        (m > 1, "names a matrix other than A (0) or B (1)"),
        (c >= domain, f"names a constraint beyond the domain of {domain}"),
        (s >= n_vars, f"names a wire beyond the {n_vars} wires"),
    ):
        if bad.any():
            raise ProofError(f"{bf.name}: coefficient {int(np.argmax(bad))} {why}")
    try:
        stored = FrArray.from_montgomery(np.ascontiguousarray(rec["v"]))
    except CurveError as exc:
        raise CurveError(f"{bf.name}: coefficient {exc}") from None
    values = stored * FrArray.from_ints([_R_INV] * count)
    rows = int(c.max()) + 1 if count else 0
    mats = []
    for which in (0, 1):
        sel = np.flatnonzero(m == which)
        order = sel[np.argsort(c[sel], kind="stable")]
        ptr = np.concatenate([[0], np.cumsum(np.bincount(c[order], minlength=rows))])
        vals = FrArray._wrap(np.ascontiguousarray(values.montgomery[order]))
        mats.append(SparseMatrix(ptr.astype(np.int64), np.ascontiguousarray(s[order]), vals))
    return mats[0], mats[1]


def read_zkey(
    path: str | PathLike[str] | bytes, name: str | None = None
) -> tuple[ProvingKey, VerifyingKey]:
    """The proving and verifying keys in the snarkjs Groth16 key ``path`` (or its
    bytes, called ``name`` in error messages), fully validated."""
    bf = read_binfile(path, b"zkey", (1,), name)
    proto = bf.cursor(1, "protocol")
    if proto.u32() != 1:
        raise ProofError(
            f"{bf.name} is not a Groth16 key (PLONK and FFLONK keys are not supported)"
        )
    proto.done()
    head = bf.cursor(2, "Groth16 header")
    n8q = head.u32()
    if n8q != 32 or head.bigint(n8q) != Q:
        raise ProofError(f"{bf.name}: the key is not over BN254's base field")
    n8r = head.u32()
    if n8r != 32 or head.bigint(n8r) != R:
        raise ProofError(f"{bf.name}: the key is not over BN254's scalar field")
    n_vars, n_public, domain = head.u32(), head.u32(), head.u32()
    if n_vars < 1 or n_public >= n_vars:
        raise ProofError(f"{bf.name}: {n_vars} wires cannot hold {n_public} public signals")
    if domain < 2 or domain & (domain - 1) or domain > 1 << 27:
        raise ProofError(f"{bf.name}: domain size {domain} is not a power of two in [2, 2^27]")
    where = f"{bf.name}: header"
    alpha1 = _one(G1Array, head, f"{where} alpha_1")
    beta1 = _one(G1Array, head, f"{where} beta_1")
    beta2 = _one(G2Array, head, f"{where} beta_2")
    gamma2 = _one(G2Array, head, f"{where} gamma_2")
    delta1 = _one(G1Array, head, f"{where} delta_1")
    delta2 = _one(G2Array, head, f"{where} delta_2")
    head.done()

    ic = _points(G1Array, bf.section(3, "IC"), n_public + 1, f"{bf.name}: IC")
    a, b = _coefficients(bf, n_vars, domain)
    sections = []
    for cls, kind, what, n in (
        (G1Array, 5, "A", n_vars),
        (G1Array, 6, "B1", n_vars),
        (G2Array, 7, "B2", n_vars),
        (G1Array, 8, "C", n_vars - n_public - 1),
        (G1Array, 9, "H", domain),
    ):
        where = f"{bf.name}: {what}"
        sections.append((_points(cls, bf.section(kind, what), n, where, check=False), where))
    _validate_all(sections)
    a_query, b1, b2, c_query, h_query = (arr for arr, _ in sections)
    ic_points = ic.to_ints()
    if any(p is None for p in ic_points):
        raise CurveError(f"{bf.name}: an IC point is the point at infinity")
    vk = VerifyingKey(alpha1, beta2, gamma2, delta2, tuple(ic_points))
    pk = ProvingKey(
        vk=vk,
        n_wires=n_vars,
        n_public=n_public,
        domain_size=domain,
        beta_g1=beta1,
        delta_g1=delta1,
        a_query=a_query,
        b_g1_query=b1,
        b_g2_query=b2,
        c_query=c_query,
        h_query=h_query,
        a=a,
        b=b,
    )
    return pk, vk
