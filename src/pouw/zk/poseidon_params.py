"""Poseidon over BN254's scalar field: circomlib's parameters, and their optimised form.

The instance is circomlib's (and circomlibjs's, light-poseidon's): the field
Fr of BN254 (modulus :data:`R`), the S-box ``x^5``, width ``t = n + 1`` for
``n = 1..16`` inputs, :data:`FULL_ROUNDS` = 8 full rounds (4 before and 4 after
the partial ones) and ``PARTIAL_ROUNDS[t - 2]`` partial rounds.

Two views of the same permutation:

- :func:`params` gives the textbook constants (:class:`PoseidonParams`):
  round ``r`` of ``R_F + R_P`` adds ``round_constants[r]``, applies the S-box
  to every element (full round) or to ``state[0]`` only (partial round), then
  mixes with the MDS matrix, ``state'[i] = sum_j mds[i][j] * state[j]``.
  :mod:`pouw._reference.poseidon` runs them as they are.
- :func:`optimized` derives the form a kernel runs (:class:`OptimizedParams`,
  the paper's Appendix B, the layout of circomlib's ``poseidon_opt``): round
  constants moved past the linear layers so that a partial round adds one
  scalar, and the partial rounds' MDS matrices factored into one dense matrix
  and one sparse matrix per partial round (``2t - 1`` field elements each).
  :func:`permute_optimized` is its executable definition.

The textbook constants come from a committed table, ``data/poseidon_bn254.bin``,
written by ``tools/gen_poseidon_constants.py`` (the project's implementation
of the Poseidon paper's Grain LFSR generation, with circomlib's parameters); a
test regenerates it and compares.  Table format (:func:`encode_table`), all
header integers little-endian:

==========  =========  ==========================================================
offset      size       content
==========  =========  ==========================================================
0           8          magic ``b"POUWPSDN"``
8           2          format version (1)
10          2          number of widths ``W``
12          2          bytes per field element (32)
14          2          the S-box exponent (5)
16          32         the modulus ``r``, big-endian
48          8 * W      per width: u16 ``t``, u16 ``R_F``, u16 ``R_P``, u16 zero
48 + 8W     ...        per width, in that order: the ``(R_F + R_P) * t`` round
                       constants (round by round), then the ``t * t`` MDS entries
                       (row by row, ``mds[i][j]``); each 32 bytes big-endian, below ``r``
end - 32    32         BLAKE3 of every byte before it
==========  =========  ==========================================================

Loading (on first use, then cached) checks the magic, the version, the
modulus, the shapes, that every element is below ``r``, the trailing BLAKE3
and the whole file's BLAKE3 against :data:`TABLE_BLAKE3`, and raises
``ValueError`` on any mismatch.

All constants are plain Python ints in ``[0, r)`` held in tuples.
:func:`limbs` turns a sequence of them into the ``(n, 4)`` ``uint64`` array of
canonical little-endian limbs (not Montgomery form:
``FrArray.from_ints(values).montgomery`` gives that).
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt
from blake3 import blake3

__all__ = [
    "R",
    "ALPHA",
    "FULL_ROUNDS",
    "PARTIAL_ROUNDS",
    "WIDTHS",
    "TABLE_NAME",
    "TABLE_BLAKE3",
    "PoseidonParams",
    "OptimizedParams",
    "params",
    "optimized",
    "permute_optimized",
    "encode_table",
    "decode_table",
    "limbs",
]

#: BN254's scalar field modulus (``pouw.zk.field.R``; a test checks they agree).
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: The S-box exponent: ``x -> x^5`` (a permutation of Fr since gcd(5, r - 1) = 1).
ALPHA = 5
#: Full rounds: half of them before the partial rounds, half after.
FULL_ROUNDS = 8
#: circomlib's partial-round counts, for t = 2..17 (index ``t - 2``).
PARTIAL_ROUNDS = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
#: The widths of the instance: ``t = n + 1`` for ``n = 1..16`` inputs.
WIDTHS = range(2, 2 + len(PARTIAL_ROUNDS))
#: The committed table, in ``pouw/zk/data/``.
TABLE_NAME = "poseidon_bn254.bin"
#: BLAKE3 of the committed table (printed by ``tools/gen_poseidon_constants.py``).
TABLE_BLAKE3 = "230951ce0cc9e3a910040b27ea8fc43fad1bd32817b56a85263a6ac2877ae5c2"

_MAGIC = b"POUWPSDN"
_VERSION = 1
_ELEMENT = 32
_HEADER = struct.Struct("<8sHHHH32s")
_ENTRY = struct.Struct("<HHHH")

Matrix = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class PoseidonParams:
    """The textbook constants of one width.

    Attributes
    ----------
    t : int
        The width (state size): inputs plus one capacity element.
    full_rounds : int
        ``R_F``: rounds ``0 .. R_F/2 - 1`` and ``R_F/2 + R_P .. R_F + R_P - 1`` are full.
    partial_rounds : int
        ``R_P``: rounds ``R_F/2 .. R_F/2 + R_P - 1`` apply the S-box to ``state[0]`` only.
    round_constants : tuple of tuples
        ``round_constants[r][i]`` is added to ``state[i]`` at the start of round ``r``
        (``R_F + R_P`` rows of ``t``).
    mds : tuple of tuples
        The ``t x t`` Cauchy matrix ending every round: ``state'[i] = sum_j mds[i][j] * state[j]``.
    """

    t: int
    full_rounds: int
    partial_rounds: int
    round_constants: Matrix
    mds: Matrix

    @property
    def rounds(self) -> int:
        return self.full_rounds + self.partial_rounds

    def is_full(self, r: int) -> bool:
        """Whether round ``r`` applies the S-box to the whole state."""
        half = self.full_rounds // 2
        return r < half or r >= half + self.partial_rounds


@dataclass(frozen=True)
class OptimizedParams:
    """The optimised form of one width, field by field, in the order a kernel uses them.

    With ``f = R_F / 2``, ``sbox`` the S-box on every element and ``M`` the
    textbook MDS matrix (``v' = M v`` means ``v'[i] = sum_j M[i][j] v[j]``)::

        s += initial
        for r in 0 .. f-2:   s = M (sbox(s) + full_first[r])
        s = dense (sbox(s) + pre_partial)
        for i in 0 .. R_P-1: s[0] = s[0]^5 + partial[i]
                             s = sparse_i s      # see sparse_row / sparse_col
        for r in 0 .. f-2:   s = M (sbox(s) + full_last[r])
        s = M sbox(s)

    Attributes
    ----------
    t, full_rounds, partial_rounds : int
        As in :class:`PoseidonParams`.
    initial : tuple of t ints
        Added to the input state: the textbook constants of round 0.
    full_first : f - 1 tuples of t ints
        ``M^-1 c_(r+1)``: added after the S-box of first-half full round ``r``,
        before its mix (so the mix adds ``c_(r+1)``).
    pre_partial : tuple of t ints
        Added after the S-box of the last first-half full round: the constants of
        the first partial round plus those folded back from the later ones, through ``M^-1``.
    dense : t x t tuple of tuples
        The matrix that ends the last first-half full round in place of ``M``
        (circomlib's ``P``): ``M`` with the dense part of every partial round's
        matrix moved into it, ``diag(1, Mhat^R_P) M``, where ``Mhat`` is ``M``
        without its first row and column.
    partial : R_P ints
        ``partial[i]`` is added to ``state[0]`` right after its S-box in partial round ``i``.
    sparse_row : R_P tuples of t ints
        Partial round ``i`` ends with ``state'[0] = sum_j sparse_row[i][j] * state[j]``.
    sparse_col : R_P tuples of t - 1 ints
        ... and ``state'[j] = state[j] + sparse_col[i][j-1] * state[0]`` for ``j >= 1``
        (with the ``state[0]`` before this mix).  Row and column together are the
        ``2t - 1`` elements of the sparse matrix; ``sparse_row[i][0] == M[0][0]``.
    full_last : f - 1 tuples of t ints
        ``M^-1 c_(f+R_P+r+1)``: added after the S-box of second-half full round
        ``r``; the last full round adds nothing after its S-box.
    mds : t x t tuple of tuples
        ``M``, as in :class:`PoseidonParams`.
    """

    t: int
    full_rounds: int
    partial_rounds: int
    initial: tuple[int, ...]
    full_first: Matrix
    pre_partial: tuple[int, ...]
    dense: Matrix
    partial: tuple[int, ...]
    sparse_row: Matrix
    sparse_col: Matrix
    full_last: Matrix
    mds: Matrix

    def flat_round_constants(self) -> list[int]:
        """All additive constants in circomlib's ``POSEIDON_C`` order (``t * R_F + R_P`` ints).

        ``initial``, ``full_first`` (row by row), ``pre_partial``, ``partial``, ``full_last``.
        """
        out = list(self.initial)
        for row in self.full_first:
            out += row
        out += self.pre_partial
        out += self.partial
        for row in self.full_last:
            out += row
        return out

    def flat_sparse(self) -> list[int]:
        """The sparse matrices in circomlib's ``POSEIDON_S`` order (``R_P * (2t - 1)`` ints).

        Per partial round ``i``: ``sparse_row[i]`` then ``sparse_col[i]``.
        """
        out: list[int] = []
        for row, col in zip(self.sparse_row, self.sparse_col, strict=True):
            out += row
            out += col
        return out


def encode_table(
    entries: Iterable[tuple[int, int, int, Sequence[Sequence[int]], Sequence[Sequence[int]]]],
) -> bytes:
    """The table bytes for ``(t, R_F, R_P, round_constants, mds)`` entries (format above)."""
    items = list(entries)
    head = [_HEADER.pack(_MAGIC, _VERSION, len(items), _ELEMENT, ALPHA, R.to_bytes(32, "big"))]
    body: list[bytes] = []
    for t, rf, rp, rc, mds in items:
        if len(rc) != rf + rp or any(len(row) != t for row in rc):
            raise ValueError(f"t = {t}: expected {rf + rp} rows of {t} round constants")
        if len(mds) != t or any(len(row) != t for row in mds):
            raise ValueError(f"t = {t}: the MDS matrix is not {t} x {t}")
        head.append(_ENTRY.pack(t, rf, rp, 0))
        for x in (x for rows in (rc, mds) for row in rows for x in row):
            if not 0 <= x < R:
                raise ValueError(f"t = {t}: {x} is not a field element")
            body.append(x.to_bytes(_ELEMENT, "big"))
    data = b"".join(head + body)
    return data + blake3(data).digest()


def decode_table(data: bytes) -> dict[int, PoseidonParams]:
    """Parse and check table bytes (see the module docstring); ``ValueError`` if anything is off."""
    if len(data) < _HEADER.size + 32:
        raise ValueError("the Poseidon table is truncated")
    if blake3(data[:-32]).digest() != data[-32:]:
        raise ValueError("the Poseidon table's checksum does not match its contents")
    magic, version, count, size, alpha, modulus = _HEADER.unpack_from(data, 0)
    if magic != _MAGIC or version != _VERSION:
        raise ValueError(f"not a version-{_VERSION} Poseidon table")
    if size != _ELEMENT or alpha != ALPHA or int.from_bytes(modulus, "big") != R:
        raise ValueError("the Poseidon table is for another field or S-box")
    dims = [_ENTRY.unpack_from(data, _HEADER.size + k * _ENTRY.size) for k in range(count)]
    pos = _HEADER.size + count * _ENTRY.size
    expected = pos + sum(((rf + rp) * t + t * t) * _ELEMENT for t, rf, rp, _ in dims) + 32
    if len(data) != expected:
        raise ValueError(f"the Poseidon table has {len(data)} bytes, its header says {expected}")
    out: dict[int, PoseidonParams] = {}
    for t, rf, rp, _ in dims:
        values = []
        for _k in range((rf + rp) * t + t * t):
            x = int.from_bytes(data[pos : pos + _ELEMENT], "big")
            if x >= R:
                raise ValueError(f"t = {t}: a table entry is not below r")
            values.append(x)
            pos += _ELEMENT
        n = (rf + rp) * t
        rc = tuple(tuple(values[k : k + t]) for k in range(0, n, t))
        mds = tuple(tuple(values[k : k + t]) for k in range(n, n + t * t, t))
        out[t] = PoseidonParams(t, rf, rp, rc, mds)
    return out


@functools.lru_cache(maxsize=1)
def _table() -> dict[int, PoseidonParams]:
    data = resources.files(__package__).joinpath("data", TABLE_NAME).read_bytes()
    if blake3(data).hexdigest() != TABLE_BLAKE3:
        raise ValueError(f"{TABLE_NAME} is not the committed table (BLAKE3 differs)")
    table = decode_table(data)
    for t in WIDTHS:
        p = table.get(t)
        if p is None or (p.full_rounds, p.partial_rounds) != (FULL_ROUNDS, PARTIAL_ROUNDS[t - 2]):
            raise ValueError(f"{TABLE_NAME} lacks circomlib's round numbers for t = {t}")
    return table


def _check_width(t: int) -> None:
    if t not in WIDTHS:
        raise ValueError(f"Poseidon width must be in {WIDTHS[0]}..{WIDTHS[-1]}, got {t!r}")


def params(t: int) -> PoseidonParams:
    """The textbook constants of width ``t`` (2..17), from the committed table."""
    _check_width(t)
    return _table()[t]


# --- small linear algebra over Fr (lists of Python ints) ---------------------


def _mat_vec(m: Sequence[Sequence[int]], v: Sequence[int]) -> list[int]:
    return [sum(a * b for a, b in zip(row, v, strict=True)) % R for row in m]


def _vec_mat(v: Sequence[int], m: Sequence[Sequence[int]]) -> list[int]:
    return [sum(v[i] * m[i][j] for i in range(len(v))) % R for j in range(len(m[0]))]


def _mat_mul(a: Sequence[Sequence[int]], b: Sequence[Sequence[int]]) -> list[list[int]]:
    cols = list(zip(*b, strict=True))
    return [[sum(x * y for x, y in zip(row, col, strict=True)) % R for col in cols] for row in a]


def _mat_pow(m: Sequence[Sequence[int]], e: int) -> list[list[int]]:
    n = len(m)
    out = [[int(i == j) for j in range(n)] for i in range(n)]
    base = [list(row) for row in m]
    while e:
        if e & 1:
            out = _mat_mul(out, base)
        base = _mat_mul(base, base)
        e >>= 1
    return out


def _mat_inv(m: Sequence[Sequence[int]]) -> list[list[int]]:
    """Gauss-Jordan elimination modulo ``R``; ``ValueError`` if ``m`` is singular."""
    n = len(m)
    a = [list(row) + [int(i == j) for j in range(n)] for i, row in enumerate(m)]
    for c in range(n):
        pivot = next((r for r in range(c, n) if a[r][c]), None)
        if pivot is None:
            raise ValueError("singular matrix")
        a[c], a[pivot] = a[pivot], a[c]
        inv = pow(a[c][c], -1, R)
        a[c] = [x * inv % R for x in a[c]]
        for r in range(n):
            if r != c and a[r][c]:
                f = a[r][c]
                a[r] = [(x - f * y) % R for x, y in zip(a[r], a[c], strict=True)]
    return [row[n:] for row in a]


def _tuples(m: Iterable[Iterable[int]]) -> Matrix:
    return tuple(tuple(row) for row in m)


@functools.cache
def optimized(t: int) -> OptimizedParams:
    """Derive the optimised form of width ``t`` from :func:`params` (see :class:`OptimizedParams`).

    Constants: ``M (x) + c = M (x + M^-1 c)`` moves a round's constants before
    the previous mix; in a partial round the part of them outside ``state[0]``
    also moves before the S-box, so walking back from the first second-half
    full round leaves one scalar per partial round and folds the rest into
    ``pre_partial``.

    Matrices: write ``A = [[a00, v^T], [w, Ahat]]`` and ``A = S D`` with
    ``D = diag(1, Ahat)`` and the sparse ``S = [[a00, v^T Ahat^-1], [w, I]]``.
    ``D`` leaves ``state[0]`` alone, so it commutes with a partial round's
    S-box and scalar constant and moves into the previous matrix.  Factoring
    ``M`` for the last partial round, then ``D M`` for the one before, and so on,
    every ``A`` has ``M``'s first row, ``Ahat = Mhat^(k+1)`` and
    ``w = Mhat^k w_M`` for the ``k``-th matrix from the end, and what is left
    over, ``diag(1, Mhat^R_P) M``, ends the last first-half full round.
    """
    p = params(t)
    m, f, rp = p.mds, p.full_rounds // 2, p.partial_rounds
    c = p.round_constants
    m_inv = _mat_inv(m)

    def back(v: Sequence[int]) -> tuple[int, ...]:
        return tuple(_mat_vec(m_inv, v))

    full_first = _tuples(back(c[r + 1]) for r in range(f - 1))
    full_last = _tuples(back(c[f + rp + r + 1]) for r in range(f - 1))
    partial = [0] * rp
    acc = list(c[f + rp])
    for i in reversed(range(rp)):
        u = back(acc)
        partial[i] = u[0]
        acc = [c[f + i][0]] + [(x + y) % R for x, y in zip(c[f + i][1:], u[1:], strict=True)]
    pre_partial = back(acc)

    m00, v, w = m[0][0], list(m[0][1:]), [row[0] for row in m[1:]]
    m_hat = [list(row[1:]) for row in m[1:]]
    m_hat_inv = _mat_inv(m_hat)
    rows: list[tuple[int, ...]] = []
    cols: list[tuple[int, ...]] = []
    row_k, col_k = v, w  # k = 0: the matrix of the last partial round
    for _k in range(rp):
        row_k = _vec_mat(row_k, m_hat_inv)
        rows.append((m00, *row_k))
        cols.append(tuple(col_k))
        col_k = _mat_vec(m_hat, col_k)
    rows.reverse()
    cols.reverse()
    lower = _mat_mul(_mat_pow(m_hat, rp), [list(r) for r in m[1:]])
    dense = _tuples([list(m[0]), *lower])
    return OptimizedParams(
        t=t,
        full_rounds=p.full_rounds,
        partial_rounds=rp,
        initial=c[0],
        full_first=full_first,
        pre_partial=pre_partial,
        dense=dense,
        partial=tuple(partial),
        sparse_row=_tuples(rows),
        sparse_col=_tuples(cols),
        full_last=full_last,
        mds=m,
    )


def _sbox(x: int) -> int:
    return pow(x, ALPHA, R)


def permute_optimized(state: Sequence[int]) -> list[int]:
    """The Poseidon permutation of a width-``len(state)`` state, in the optimised form.

    The executable definition of :class:`OptimizedParams` (slow: Python ints);
    equal to the textbook rounds of :mod:`pouw._reference.poseidon`.  Elements
    must be in ``[0, r)``.
    """
    t = len(state)
    o = optimized(t)
    if any(not 0 <= x < R for x in state):
        raise ValueError("state elements must be in [0, r)")
    s = [(x + k) % R for x, k in zip(state, o.initial, strict=True)]
    for consts in o.full_first:
        s = _mat_vec(o.mds, [_sbox(x) + k for x, k in zip(s, consts, strict=True)])
    s = _mat_vec(o.dense, [_sbox(x) + k for x, k in zip(s, o.pre_partial, strict=True)])
    for k, row, col in zip(o.partial, o.sparse_row, o.sparse_col, strict=True):
        s0 = (_sbox(s[0]) + k) % R
        s[0] = s0
        first = sum(a * b for a, b in zip(row, s, strict=True)) % R
        s = [first] + [(x + y * s0) % R for x, y in zip(s[1:], col, strict=True)]
    for consts in o.full_last:
        s = _mat_vec(o.mds, [_sbox(x) + k for x, k in zip(s, consts, strict=True)])
    return _mat_vec(o.mds, [_sbox(x) for x in s])


def limbs(values: Sequence[int]) -> npt.NDArray[np.uint64]:
    """``values`` (each in ``[0, r)``) as a C-contiguous ``(n, 4)`` ``uint64`` array of
    canonical little-endian limbs (row ``k`` is ``values[k]``; not Montgomery form)."""
    out = np.zeros((len(values), 4), dtype=np.uint64)
    for k, x in enumerate(values):
        if not 0 <= x < R:
            raise ValueError(f"{x} is not a field element")
        out[k] = np.frombuffer(x.to_bytes(32, "little"), dtype="<u8")
    return out
