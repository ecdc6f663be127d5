"""circom's witness files (``.wtns``, version 2): ``read_wtns(path) -> FrArray``.

Section 1 (header): the field element size ``n8`` (32), the prime (must be
BN254's r) and the witness count; section 2: the values, ``n8`` bytes each,
little-endian, plain (not Montgomery).  A value not below r raises
:class:`~pouw.errors.CurveError` (never reduced); a malformed file
:class:`~pouw.errors.ProofError`.
"""

from __future__ import annotations

import struct
from os import PathLike
from pathlib import Path

from ...errors import CurveError, ProofError
from ..field import FrArray, R
from .binfile import read_binfile

_MAGIC = b"wtns"

__all__ = ["read_wtns", "write_wtns", "wtns_bytes"]


def read_wtns(path: str | PathLike[str] | bytes) -> FrArray:
    """The witness in ``path`` (wire 0 first, which must be 1)."""
    bf = read_binfile(path, b"wtns", (2,))
    head = bf.cursor(1, "header")
    n8 = head.u32()
    if n8 != 32:
        raise ProofError(f"{bf.name}: field size {n8} bytes, BN254's Fr takes 32")
    if head.bigint(n8) != R:
        raise ProofError(f"{bf.name}: the witness is not over BN254's scalar field")
    count = head.u32()
    head.done()
    body = bf.section(2, "witness")
    if len(body) != count * n8:
        raise ProofError(f"{bf.name}: {count} values announced, section 2 holds {len(body)} bytes")
    try:
        w = FrArray.from_bytes(body, "little")
    except CurveError as exc:
        raise CurveError(f"{bf.name}: witness {exc}") from None
    if count == 0 or int(w[0]) != 1:
        raise ProofError(f"{bf.name}: witness[0] (the constant wire) is not 1")
    return w


def wtns_bytes(witness: FrArray) -> bytes:
    """The ``.wtns`` (version 2) encoding of ``witness``, as circom's tools write it."""
    head = struct.pack("<I", 32) + R.to_bytes(32, "little") + struct.pack("<I", len(witness))
    body = witness.to_bytes("little")
    return b"".join(
        [
            _MAGIC,
            struct.pack("<II", 2, 2),
            struct.pack("<IQ", 1, len(head)),
            head,
            struct.pack("<IQ", 2, len(body)),
            body,
        ]
    )


def write_wtns(path: str | PathLike[str], witness: FrArray) -> None:
    """Write ``witness`` to ``path`` in circom's ``.wtns`` format (version 2)."""
    Path(path).write_bytes(wtns_bytes(witness))
