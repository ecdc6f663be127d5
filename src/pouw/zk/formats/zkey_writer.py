"""Write a :class:`~pouw.zk.groth16.ProvingKey` as a snarkjs Groth16 ``.zkey``
(version 1), the inverse of :func:`pouw.zk.formats.read_zkey` (see
:mod:`.zkey` for the sections and encodings).

With it ``pouw groth16 setup`` makes keys that ``snarkjs groth16 prove`` and
``snarkjs zkey export verificationkey`` accept.  The contributions section
(10) is written empty (a zero hash and no contribution): the key comes from a
development setup, not a ceremony, and ``snarkjs zkey verify`` rejects it,
as it should.
"""

from __future__ import annotations

import struct
from os import PathLike
from pathlib import Path

import numpy as np

from ..field import FrArray, Q, R
from ..groth16.keys import ProvingKey
from ..points import G1Array, G2Array
from ..r1cs import SparseMatrix

__all__ = ["write_zkey", "zkey_bytes"]

_COEF = np.dtype([("m", "<u4"), ("c", "<u4"), ("s", "<u4"), ("v", "<u8", (4,))])
_R256 = (1 << 256) % R


def _section(kind: int, body: bytes) -> bytes:
    return struct.pack("<IQ", kind, len(body)) + body


def _points(points: G1Array | G2Array) -> bytes:
    # pouw's storage rows are the zkey's encoding (Montgomery, little-endian, x then y).
    return np.ascontiguousarray(points.montgomery).astype("<u8").tobytes()


def _coefficients(a: SparseMatrix, b: SparseMatrix) -> bytes:
    """Section 4, in snarkjs's order: constraint by constraint, A's terms then B's."""
    parts = []
    for which, m in enumerate((a, b)):
        rows = np.repeat(np.arange(m.n_rows, dtype=np.uint32), np.diff(m.row_ptr))
        # stored: the Montgomery form of c * 2^256, i.e. c * 2^512 mod r
        scaled = m.values * FrArray.from_ints([_R256] * m.nnz)
        rec = np.empty(m.nnz, dtype=_COEF)
        rec["m"], rec["c"], rec["s"] = which, rows, m.cols
        rec["v"] = scaled.montgomery
        parts.append(rec)
    recs = np.concatenate(parts)
    recs = recs[np.lexsort((recs["m"], recs["c"]))]  # stable: keeps each row's term order
    return struct.pack("<I", len(recs)) + recs.tobytes()


def zkey_bytes(pk: ProvingKey) -> bytes:
    """The ``.zkey`` file of ``pk``, as bytes."""
    vk = pk.vk
    g1 = G1Array.from_ints
    g2 = G2Array.from_ints
    header = (
        struct.pack("<I", 32)
        + Q.to_bytes(32, "little")
        + struct.pack("<I", 32)
        + R.to_bytes(32, "little")
        + struct.pack("<III", pk.n_wires, pk.n_public, pk.domain_size)
        + _points(g1([vk.alpha_g1, pk.beta_g1]))
        + _points(g2([vk.beta_g2, vk.gamma_g2]))
        + _points(g1([pk.delta_g1]))
        + _points(g2([vk.delta_g2]))
    )
    sections = [
        _section(1, struct.pack("<I", 1)),  # Groth16
        _section(2, header),
        _section(3, _points(g1(list(vk.ic)))),
        _section(4, _coefficients(pk.a, pk.b)),
        _section(5, _points(pk.a_query)),
        _section(6, _points(pk.b_g1_query)),
        _section(7, _points(pk.b_g2_query)),
        _section(8, _points(pk.c_query)),
        _section(9, _points(pk.h_query)),
        _section(10, bytes(64) + struct.pack("<I", 0)),
    ]
    return b"zkey" + struct.pack("<II", 1, len(sections)) + b"".join(sections)


def write_zkey(path: str | PathLike[str], pk: ProvingKey) -> None:
    """Write ``pk`` to ``path`` as a snarkjs ``.zkey``."""
    Path(path).write_bytes(zkey_bytes(pk))
