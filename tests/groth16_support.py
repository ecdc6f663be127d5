"""Shared helpers of the Groth16 tests (importable as ``groth16_support``:
tests/ is on sys.path; not named ``test_*`` so pytest does not collect it).

- :data:`VECTORS`: the one fixture set made by circom and snarkjs
  (tests/vectors/groth16, its README has the exact commands), with its
  witness :data:`WITNESS` and public signals :data:`PUBLIC`, and loaders
  :func:`fixture_vk` / :func:`fixture_proof` that parse snarkjs's JSON by hand
  (independently of :mod:`pouw.zk.formats.snarkjs_json`);
- small circuits (:func:`matrix`, :func:`chain`, :func:`random_circuit`) and
  an oracle for constraints (:func:`violations`, :func:`first_violation`);
- :func:`py_ecc_verify`: Groth16's equation checked by py_ecc alone (pure
  Python, no pouw kernel);
- :func:`twist_point_outside_subgroup`: a G2 point on the twist but not in
  the order-r subgroup (what every G2 reader must refuse)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
from py_ecc import optimized_bn128 as bn
from py_ecc.optimized_bn128 import optimized_pairing as op

from pouw.zk.curve import G2Array, g2_is_in_subgroup, g2_is_on_curve
from pouw.zk.curve_encoding import _f2_mul, _f2_sqrt
from pouw.zk.field import FrArray, Q, R
from pouw.zk.groth16 import Proof, VerifyingKey
from pouw.zk.r1cs import R1CS, SparseMatrix

#: circom/snarkjs fixtures: mul.circom (c = a*b*k + a, public k) with a=3, b=11, k=5.
VECTORS = Path(__file__).parent / "vectors" / "groth16"
#: Its witness in circom's wire order: [1, c, k, a, b, t = a*b].
WITNESS = [1, 168, 5, 3, 11, 33]
#: Its public signals (the output c, then the public input k).
PUBLIC = [168, 5]


def _js_g1(a: Any) -> tuple[int, int]:
    return (int(a[0]), int(a[1]))


def _js_g2(a: Any) -> Any:
    return ((int(a[0][0]), int(a[0][1])), (int(a[1][0]), int(a[1][1])))


def fixture_vk() -> VerifyingKey:
    """The ceremony's verification_key.json, parsed by hand."""
    js = json.loads((VECTORS / "verification_key.json").read_text())
    return VerifyingKey(
        _js_g1(js["vk_alpha_1"]),
        _js_g2(js["vk_beta_2"]),
        _js_g2(js["vk_gamma_2"]),
        _js_g2(js["vk_delta_2"]),
        tuple(_js_g1(p) for p in js["IC"]),
    )


def fixture_proof() -> tuple[Proof, list[int]]:
    """snarkjs's proof.json and public.json, parsed by hand."""
    js = json.loads((VECTORS / "proof.json").read_text())
    public = [int(x) for x in json.loads((VECTORS / "public.json").read_text())]
    return Proof(_js_g1(js["pi_a"]), _js_g2(js["pi_b"]), _js_g1(js["pi_c"])), public


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


def violations(r1cs: R1CS, w: list[int]) -> list[int]:
    """Indices of the constraints the witness breaks, computed with Python ints."""

    def rows(mat: SparseMatrix) -> list[int]:
        ptr, cols, vals = mat.row_ptr.tolist(), mat.cols.tolist(), mat.values.to_ints()
        return [
            sum(vals[k] * w[cols[k]] for k in range(ptr[i], ptr[i + 1])) % R
            for i in range(len(ptr) - 1)
        ]

    a, b, c = rows(r1cs.a), rows(r1cs.b), rows(r1cs.c)
    return [i for i in range(r1cs.n_constraints) if a[i] * b[i] % R != c[i]]


def first_violation(r1cs: R1CS, w: list[int]) -> int | None:
    """The first constraint the witness breaks (None when all hold)."""
    bad = violations(r1cs, w)
    return bad[0] if bad else None


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


def twist_point_outside_subgroup() -> Any:
    """The first point ``((k, 1), y)`` on the twist ``y^2 = x^3 + b'`` (k = 1, 2, ...):
    on the curve, outside G2's order-r subgroup (the twist's cofactor is large)."""
    b2 = G2Array._b
    for k in range(1, 200):
        x = (k, 1)
        x3 = _f2_mul(_f2_mul(x, x), x)
        y = _f2_sqrt(((x3[0] + b2[0]) % Q, (x3[1] + b2[1]) % Q))
        if y is not None:
            point = (x, y)
            assert g2_is_on_curve(point) and not g2_is_in_subgroup(point)
            return point
    raise AssertionError("no twist point found")
