"""circom's constraint files (``.r1cs``, version 1): ``read_r1cs(path) -> R1CS``,
``write_r1cs(path, r1cs)`` / ``r1cs_bytes(r1cs)``.

Section 1 (header): field size ``n8`` (32), the prime (BN254's r), the wire
count (wire 0 is the constant 1), public outputs, public inputs, private
inputs, the label count (``u64``) and the constraint count.  Section 2: per
constraint, the linear combinations A, B, C, each a ``u32`` term count then
``(u32 wire, n8-byte little-endian coefficient)`` per term.  Sections 4 and 5
(PLONK custom gates) cannot be proven by Groth16 and are refused; section 3
(the wire-to-label map, a ``u64`` per wire) is only checked for its size, when
present, so that the header's wire count is backed by the file's bytes.

Public signals are the outputs then the public inputs (wires
``1..n_outputs + n_public_inputs``), as snarkjs counts them.  The writer
declares every public signal a public *input* (no outputs: pouw's circuits
have none; snarkjs counts them alike), writes all three sections (the wire
map as the identity, label ``i`` for wire ``i``) and sorts each linear
combination's terms by wire, as circom does.  Malformed files
raise :class:`~pouw.errors.ProofError`; a coefficient not below r
:class:`~pouw.errors.CurveError`.
"""

from __future__ import annotations

import os
import struct
from os import PathLike

import numpy as np

from ...errors import CurveError, ProofError
from ..field import FrArray, R
from ..r1cs import R1CS, SparseMatrix
from .binfile import read_binfile

__all__ = ["read_r1cs", "write_r1cs", "r1cs_bytes"]

_MAGIC = b"r1cs"


def read_r1cs(path: str | PathLike[str] | bytes) -> R1CS:
    """The constraint system in ``path``."""
    bf = read_binfile(path, b"r1cs", (1,))
    for kind in (4, 5):
        if kind in bf.sections:
            raise ProofError(f"{bf.name} uses custom gates (section {kind}): not a Groth16 circuit")
    head = bf.cursor(1, "header")
    n8 = head.u32()
    if n8 != 32:
        raise ProofError(f"{bf.name}: field size {n8} bytes, BN254's Fr takes 32")
    if head.bigint(n8) != R:
        raise ProofError(f"{bf.name}: the circuit is not over BN254's scalar field")
    n_wires, n_out, n_pub_in, _n_prv_in = head.u32(), head.u32(), head.u32(), head.u32()
    head.u64()  # labels
    m = head.u32()
    head.done()
    n_public = n_out + n_pub_in
    if n_wires < 1 or n_public >= n_wires:
        raise ProofError(f"{bf.name}: {n_wires} wires cannot hold {n_public} public signals")
    if 3 in bf.sections and bf.section(3, "wire map").nbytes != 8 * n_wires:
        raise ProofError(f"{bf.name}: the wire map (section 3) does not hold {n_wires} wires")

    body = bf.section(2, "constraints")
    raw = bytes(body)
    size = len(raw)
    # Every constraint takes at least three u32 term counts: refuse a count the
    # section cannot hold before allocating anything from it.
    if 12 * m > size:
        raise ProofError(
            f"{bf.name}: {m} constraints announced, the constraints section has {size} bytes"
        )
    # Pass 1 (sequential, counts only): where each linear combination's terms start.
    starts = np.empty(3 * m, dtype=np.int64)
    counts = np.empty(3 * m, dtype=np.int64)
    pos, term = 0, 4 + n8
    frm = int.from_bytes
    for k in range(3 * m):
        if pos + 4 > size:
            raise ProofError(
                f"{bf.name}: the constraints section is truncated (constraint {k // 3})"
            )
        n = frm(raw[pos : pos + 4], "little")
        starts[k] = pos + 4
        counts[k] = n
        pos += 4 + term * n
        if pos > size:
            raise ProofError(
                f"{bf.name}: the constraints section is truncated (constraint {k // 3})"
            )
    if pos != size:
        raise ProofError(f"{bf.name}: {size - pos} unexpected bytes after the last constraint")
    # Pass 2 (vectorised): gather every term's wire and coefficient.
    buf = np.frombuffer(raw, dtype=np.uint8)
    mats = []
    for which in range(3):
        c = counts[which::3]
        s = starts[which::3]
        nnz = int(c.sum())
        first = np.repeat(s - np.concatenate([[0], np.cumsum(c)[:-1]]) * term, c)
        offs = first + np.arange(nnz, dtype=np.int64) * term
        wires = buf[offs[:, None] + np.arange(4)].copy().view("<u4").reshape(-1).astype(np.int64)
        vals = buf[offs[:, None] + np.arange(4, 4 + n8)].tobytes()
        if nnz and int(wires.max()) >= n_wires:
            bad = int(np.argmax(wires >= n_wires))
            raise ProofError(
                f"{bf.name}: term {bad} of matrix {'ABC'[which]} names wire {int(wires[bad])} >= {n_wires}"
            )
        try:
            values = FrArray.from_bytes(vals, "little")
        except CurveError as exc:
            raise CurveError(f"{bf.name}: matrix {'ABC'[which]} coefficient {exc}") from None
        ptr = np.concatenate([[0], np.cumsum(c)]).astype(np.int64)
        mats.append(SparseMatrix(ptr, wires, values))
    return R1CS(n_wires, n_public, mats[0], mats[1], mats[2])


def r1cs_bytes(r1cs: R1CS) -> bytes:
    """The ``.r1cs`` (version 1) encoding of ``r1cs``."""
    n8, m = 32, r1cs.n_constraints
    n_private = r1cs.n_wires - 1 - r1cs.n_public
    head = struct.pack("<I", n8) + R.to_bytes(32, "little")
    head += struct.pack("<IIIIQI", r1cs.n_wires, 0, r1cs.n_public, n_private, r1cs.n_wires, m)
    term = np.dtype([("wire", "<u4"), ("coef", "V32")])
    parts: list[bytes] = []
    mats = [(x.row_ptr, x.cols, x.values.to_bytes("little")) for x in (r1cs.a, r1cs.b, r1cs.c)]
    for i in range(m):
        for ptr, cols, vals in mats:
            lo, hi = int(ptr[i]), int(ptr[i + 1])
            order = np.argsort(cols[lo:hi], kind="stable")
            rec = np.empty(hi - lo, dtype=term)
            rec["wire"] = cols[lo:hi][order]
            coef = np.frombuffer(vals, dtype="V32")[lo:hi]
            rec["coef"] = coef[order]
            parts.append(struct.pack("<I", hi - lo) + rec.tobytes())
    body = b"".join(parts)
    wire_map = np.arange(r1cs.n_wires, dtype="<u8").tobytes()
    out = [_MAGIC, struct.pack("<II", 1, 3)]
    for kind, data in ((1, head), (2, body), (3, wire_map)):
        out += [struct.pack("<IQ", kind, len(data)), data]
    return b"".join(out)


def write_r1cs(path: str | PathLike[str], r1cs: R1CS) -> None:
    """Write ``r1cs`` to ``path`` in circom's ``.r1cs`` format (atomically)."""
    data = r1cs_bytes(r1cs)
    tmp = f"{os.fspath(path)}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
