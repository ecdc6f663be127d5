#!/usr/bin/env python3
"""Generate the Poseidon round constants and MDS matrices of circomlib's instance.

This is the project's own implementation of the parameter generation of the
Poseidon paper (Grassi, Khovratovich, Rechberger, Roy, Schofnegger, eprint
2019/458, Appendix E "Grain LFSR"), run with the parameters circomlib's
constants were made with: a prime field (``FIELD = 1``), the S-box ``x^alpha``
(``SBOX = 0``), ``n = 254`` bits, the width ``t``, ``R_F = 8`` and circomlib's
``R_P`` for that width, and BN254's scalar field modulus ``r``.

The procedure, for one width:

1. Seed an 80-bit LFSR with ``b_0 .. b_79``: 2 bits of ``FIELD``, 4 of
   ``SBOX``, 12 of ``n``, 12 of ``t``, 10 of ``R_F``, 10 of ``R_P`` (each most
   significant bit first), then 30 ones.
2. Step it as ``b_{i+80} = b_{i+62} + b_{i+51} + b_{i+38} + b_{i+23} + b_{i+13} + b_i``
   over GF(2) and throw away the first 160 bits it produces.
3. Shrink: read the bits in pairs; a pair whose first bit is 1 yields its
   second bit, a pair whose first bit is 0 yields nothing.
4. A field element is ``n`` consecutive output bits, most significant first.
   Round constants: ``(R_F + R_P) * t`` elements, in round order, each drawn
   again while it is not below ``r`` (rejection sampling).
5. The MDS matrix, from the same stream right after the round constants:
   ``2t`` values, each ``n`` bits reduced modulo ``r``, drawn again as a whole
   while two of them are equal; ``x = values[:t]``, ``y = values[t:]``; the
   Cauchy matrix ``M[i][j] = 1 / (x_i + y_j)``, drawn again (the next ``2t``
   values) if some ``x_i + y_j`` is zero.

The state is applied as ``state'[i] = sum_j M[i][j] * state[j]``.  Later
revisions of the reference script also test each candidate matrix against
infinitely long subspace trails and draw again if it fails; circomlib's
matrices are the first candidates (the comparison with the committed table,
the circomlib test vectors and light-poseidon confirm it for every width), so
this generator, like the script circomlib used, takes the first candidate.

The LFSR runs on whole integers: 18 new bits per step (the nearest tap is 62
bits ahead of the oldest, so 80 - 62 = 18 bits are known at once), and the
shrinking is done on numpy bit arrays.  All sixteen widths take well under a
second.

Usage::

    python tools/gen_poseidon_constants.py            # write the table
    python tools/gen_poseidon_constants.py --check    # compare with the committed table

The table format is :mod:`pouw.zk.poseidon_params`'s (``encode_table``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

#: BN254's scalar field modulus (the order of G1).
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: Bits per sampled element (``r`` has 254 bits).
FIELD_BITS = 254
#: ``FIELD`` of the reference script: 1 for a prime field.
FIELD_PRIME = 1
#: ``SBOX`` of the reference script: 0 for ``x^alpha`` (``alpha = 5`` here).
SBOX_POWER = 0
FULL_ROUNDS = 8
#: circomlib's partial-round counts for t = 2..17.
PARTIAL_ROUNDS = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
WIDTHS = range(2, 2 + len(PARTIAL_ROUNDS))

_TAPS = (62, 51, 38, 23, 13, 0)
_BLOCK = 80 - _TAPS[0]  # 18 new bits per step
_BLOCK_MASK = (1 << _BLOCK) - 1
_DISCARD = 160
_STEPS_PER_CHUNK = 2048  # 36,864 raw bits per chunk (even, so pairs never straddle chunks)

Bits = npt.NDArray[np.uint8]


def seed_bits(field: int, sbox: int, n: int, t: int, rf: int, rp: int) -> list[int]:
    """The 80 initial LFSR bits ``b_0 .. b_79`` for one instance."""
    fields = ((field, 2), (sbox, 4), (n, 12), (t, 12), (rf, 10), (rp, 10))
    bits: list[int] = []
    for value, width in fields:
        if not 0 <= value < (1 << width):
            raise ValueError(f"{value} does not fit in {width} bits")
        bits.extend((value >> (width - 1 - k)) & 1 for k in range(width))
    bits.extend([1] * 30)
    assert len(bits) == 80
    return bits


class Grain:
    """The Grain LFSR in self-shrinking mode, as a stream of output bits.

    The register is an int whose bit ``j`` is ``b_{i+j}`` (the oldest bit is
    bit 0), so one step computes the next 18 bits with six shifts and XORs.
    """

    def __init__(self, seed: Iterable[int]) -> None:
        bits = list(seed)
        if len(bits) != 80 or any(b not in (0, 1) for b in bits):
            raise ValueError("the seed is 80 bits")
        self._state = sum(b << j for j, b in enumerate(bits))
        self._out: Bits = np.zeros(0, dtype=np.uint8)
        self._pos = 0
        self._discard = _DISCARD

    def _raw_chunk(self) -> Bits:
        """The next raw LFSR bits, oldest first."""
        x = self._state
        blocks = []
        for _ in range(_STEPS_PER_CHUNK):
            fb = (x ^ (x >> 13) ^ (x >> 23) ^ (x >> 38) ^ (x >> 51) ^ (x >> 62)) & _BLOCK_MASK
            x = (x >> _BLOCK) | (fb << _TAPS[0])
            blocks.append(fb)
        self._state = x
        words = np.array(blocks, dtype=np.uint32)
        shifts = np.arange(_BLOCK, dtype=np.uint32)
        return ((words[:, None] >> shifts) & 1).astype(np.uint8).ravel()

    def _refill(self) -> None:
        raw = self._raw_chunk()
        if self._discard:
            skip = min(self._discard, raw.size)
            raw = raw[skip:]
            self._discard -= skip
        first, second = raw[0::2], raw[1::2]
        self._out = np.concatenate((self._out[self._pos :], second[first == 1]))
        self._pos = 0

    def bits(self, count: int) -> Bits:
        """The next ``count`` output bits."""
        while self._out.size - self._pos < count:
            self._refill()
        out = self._out[self._pos : self._pos + count]
        self._pos += count
        return out

    def integer(self, count: int) -> int:
        """The next ``count`` output bits read as an integer, most significant first."""
        packed = np.packbits(self.bits(count)).tobytes()
        return int.from_bytes(packed, "big") >> (8 * len(packed) - count)


def round_constants(
    grain: Grain, t: int, rounds: int, p: int = R, n: int = FIELD_BITS
) -> list[int]:
    """``rounds * t`` constants below ``p`` (rejection sampling), in round order."""
    out = []
    for _ in range(rounds * t):
        v = grain.integer(n)
        while v >= p:
            v = grain.integer(n)
        out.append(v)
    return out


def cauchy_mds(grain: Grain, t: int, p: int = R, n: int = FIELD_BITS) -> list[list[int]]:
    """The first Cauchy matrix ``1 / (x_i + y_j)`` the stream gives (step 5)."""
    while True:
        values = [grain.integer(n) % p for _ in range(2 * t)]
        while len(set(values)) != 2 * t:
            values = [grain.integer(n) % p for _ in range(2 * t)]
        xs, ys = values[:t], values[t:]
        if any((x + y) % p == 0 for x in xs for y in ys):
            continue
        return [[pow(x + y, -1, p) for y in ys] for x in xs]


def generate(t: int) -> tuple[list[list[int]], list[list[int]]]:
    """circomlib's ``(round_constants[round][i], mds[i][j])`` for width ``t``."""
    if t not in WIDTHS:
        raise ValueError(f"width must be in 2..{WIDTHS[-1]}, got {t}")
    rp = PARTIAL_ROUNDS[t - 2]
    grain = Grain(seed_bits(FIELD_PRIME, SBOX_POWER, FIELD_BITS, t, FULL_ROUNDS, rp))
    flat = round_constants(grain, t, FULL_ROUNDS + rp)
    rc = [flat[k : k + t] for k in range(0, len(flat), t)]
    return rc, cauchy_mds(grain, t)


def generate_all() -> dict[int, tuple[list[list[int]], list[list[int]]]]:
    return {t: generate(t) for t in WIDTHS}


def build_table() -> bytes:
    from pouw.zk.poseidon_params import encode_table

    return encode_table(
        (t, FULL_ROUNDS, PARTIAL_ROUNDS[t - 2], rc, mds) for t, (rc, mds) in generate_all().items()
    )


def default_path() -> Path:
    from pouw.zk.poseidon_params import TABLE_NAME

    return Path(__file__).resolve().parents[1] / "src" / "pouw" / "zk" / "data" / TABLE_NAME


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--output", type=Path, default=None, help="where to write the table")
    ap.add_argument("--check", action="store_true", help="compare with the table, write nothing")
    args = ap.parse_args(argv)
    path = args.output or default_path()
    start = time.perf_counter()
    data = build_table()
    elapsed = time.perf_counter() - start
    from blake3 import blake3

    digest = blake3(data).hexdigest()
    print(f"generated {len(data)} bytes for t = 2..{WIDTHS[-1]} in {elapsed:.2f} s")
    print(f"BLAKE3 {digest}")
    if args.check:
        same = path.is_file() and path.read_bytes() == data
        print(f"{path}: {'identical' if same else 'DIFFERS'}")
        return 0 if same else 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
