"""Shared helpers of the Groth16 tests: small circuits and an independent
verifier written with py_ecc (pure Python, no pouw kernel)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from py_ecc import optimized_bn128 as bn
from py_ecc.optimized_bn128 import optimized_pairing as op

from pouw.zk.field import FrArray, R
from pouw.zk.groth16 import Proof, VerifyingKey
from pouw.zk.r1cs import R1CS, SparseMatrix


def matrix(rows: list[list[tuple[int, int]]]) -> SparseMatrix:
    """CSR from rows of (wire, coefficient) terms."""
    ptr = np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)
    cols = np.array([w for r in rows for w, _ in r], dtype=np.int64)
    vals = FrArray.from_ints([c for r in rows for _, c in r])
    return SparseMatrix(ptr, cols, vals)


def chain(m: int, x: int = 3, y0: int = 5) -> tuple[R1CS, list[int]]:
    """The chain circuit y <- y^2 + x, m constraints: wires [1, out, x, y_0..y_{m-1}],
    public (out, x)."""
    ys = [y0]
    for _ in range(m - 1):
        ys.append((ys[-1] ** 2 + x) % R)
    out = (ys[-1] ** 2 + x) % R
    a = [[(3 + i, 1)] for i in range(m)]
    b = [[(3 + i, 1)] for i in range(m)]
    c = [[(3 + i + 1 if i < m - 1 else 1, 1), (2, R - 1)] for i in range(m)]
    return R1CS(3 + m, 2, matrix(a), matrix(b), matrix(c)), [1, out, x, *ys]


def random_circuit(
    rng: random.Random, n_wires: int, n_public: int, m: int
) -> tuple[R1CS, list[int]]:
    """A random R1CS with a satisfying witness (every witness value nonzero)."""
    w = [1] + [rng.randrange(1, R) for _ in range(n_wires - 1)]
    a_rows, b_rows, c_rows = [], [], []
    for _ in range(m):
        a = [
            (j, rng.randrange(R))
            for j in sorted(rng.sample(range(n_wires), rng.randint(1, min(3, n_wires))))
        ]
        b = [
            (j, rng.randrange(R))
            for j in sorted(rng.sample(range(n_wires), rng.randint(0, min(3, n_wires))))
        ]
        aw = sum(c * w[j] for j, c in a) % R
        bw = sum(c * w[j] for j, c in b) % R
        j = rng.randrange(n_wires)
        c = [(j, aw * bw * pow(w[j], -1, R) % R)]
        a_rows.append(a)
        b_rows.append(b)
        c_rows.append(c)
    return R1CS(n_wires, n_public, matrix(a_rows), matrix(b_rows), matrix(c_rows)), w


def first_violation(r1cs: R1CS, w: list[int]) -> int | None:
    """The first constraint the witness breaks, computed with Python ints."""

    def row(mat: SparseMatrix, i: int) -> int:
        lo, hi = int(mat.row_ptr[i]), int(mat.row_ptr[i + 1])
        vals = mat.values.to_ints()
        return sum(vals[k] * w[int(mat.cols[k])] for k in range(lo, hi)) % R

    for i in range(r1cs.n_constraints):
        if row(r1cs.a, i) * row(r1cs.b, i) % R != row(r1cs.c, i):
            return i
    return None


def _g1(p: Any) -> Any:
    return (bn.FQ(p[0]), bn.FQ(p[1]), bn.FQ.one())


def _g2(p: Any) -> Any:
    return (bn.FQ2(list(p[0])), bn.FQ2(list(p[1])), bn.FQ2.one())


def py_ecc_verify(vk: VerifyingKey, public: list[int], proof: Proof) -> bool:
    """Groth16's equation checked by py_ecc alone (Miller loops, one final exponentiation)."""
    x = _g1(vk.ic[0])
    for xi, p in zip(public, vk.ic[1:], strict=True):
        x = bn.add(x, bn.multiply(_g1(p), xi))
    f = op.pairing(_g2(proof.b), bn.neg(_g1(proof.a)), final_exponentiate=False)
    for g2, g1 in (
        (vk.beta_g2, _g1(vk.alpha_g1)),
        (vk.gamma_g2, x),
        (vk.delta_g2, _g1(proof.c)),
    ):
        f = f * op.pairing(_g2(g2), g1, final_exponentiate=False)
    return bool(op.final_exponentiate(f) == bn.FQ12.one())
