"""Groth16's circuit-specific setup, for development: ``setup(r1cs) -> (pk, vk)``.

The toxic waste (``tau, alpha, beta, gamma, delta``) is drawn from the
operating system's CSPRNG (:class:`secrets.SystemRandom`) and dropped when the
function returns, but it *did* exist in this process's memory: anyone who
learns it can forge proofs.  Keys from this function are for development and
tests only; production keys come from a multi-party ceremony (snarkjs's
powers of tau and phase 2), imported with :func:`pouw.zk.formats.read_zkey`.

The keys follow snarkjs's layout (see :mod:`.keys` and :mod:`.qap`), so the
same prover proves from both; unlike snarkjs's fresh zkeys, ``gamma`` is
random (snarkjs leaves it at 1), which changes nothing for the prover.
"""

from __future__ import annotations

import random
import secrets
from typing import Any, TypeVar

import numpy as np

from ..field import FrArray, R
from ..points import G1_GENERATOR, G2_GENERATOR, G1Array, G2Array, PointArray
from ..r1cs import R1CS
from .keys import ProvingKey, VerifyingKey
from .qap import coset_generator, domain_size_for, transpose_matvec, with_public_rows

__all__ = ["setup"]

P = TypeVar("P", bound=PointArray)


def _as_r1cs(circuit: Any) -> R1CS:
    if isinstance(circuit, R1CS):
        return circuit
    to_r1cs = getattr(circuit, "to_r1cs", None)
    if callable(to_r1cs):
        r1cs = to_r1cs()
        if isinstance(r1cs, R1CS):
            return r1cs
    raise TypeError(f"setup takes an R1CS or a ConstraintSystem, got {type(circuit).__name__}")


def _lagrange_at(tau: int, points: list[int], n: int) -> FrArray:
    """``L_k(tau)`` of the domain of ``n`` points for the given domain points
    ``x_k``: ``(tau^n - 1) / n * x_k / (tau - x_k)`` (tau is not in the domain)."""
    xs = FrArray.from_ints(points)
    diff = FrArray.from_ints([tau] * len(points)) - xs
    return _scale(xs * diff.inv(), (pow(tau, n, R) - 1) * pow(n, -1, R) % R)


def _scale(values: FrArray, c: int) -> FrArray:
    return values * FrArray.from_ints([c] * len(values))


def _fixed_base(cls: type[P], gen: Any, scalars: FrArray) -> P:
    """``[k_i] gen`` for every scalar, by a byte-windowed table of ``gen``.

    ``T[j][d] = [d * 256^j] gen`` (32 windows of 256 points, built with 255
    batched additions), then one batched addition per byte of the scalars:
    32 passes over the n points instead of n double-and-add ladders
    (3-8x faster than ``PointArray.mul`` from a few hundred points).
    """
    n = len(scalars)
    raw = b"".join(k.to_bytes(32, "little") for k in scalars.to_ints())
    digits = np.frombuffer(raw, dtype=np.uint8).reshape(n, 32).astype(np.int64)
    p = cls.from_ints([gen])
    firsts = [p.montgomery[0]]
    for _ in range(31):
        for _ in range(8):
            p = p + p
        firsts.append(p.montgomery[0])
    t1 = cls._wrap(np.ascontiguousarray(np.stack(firsts)))
    width = t1.montgomery.shape[1]
    table = np.zeros((32, 256, width), dtype=np.uint64)  # row 0: the point at infinity
    cur = t1
    table[:, 1] = t1.montgomery
    for d in range(2, 256):
        cur = cur + t1
        table[:, d] = cur.montgomery
    flat = table.reshape(32 * 256, width)
    acc = cls._wrap(np.ascontiguousarray(flat[digits[:, 0]]))
    for j in range(1, 32):
        acc = acc + cls._wrap(np.ascontiguousarray(flat[256 * j + digits[:, j]]))
    return acc


def _g1(scalars: FrArray) -> G1Array:
    return _fixed_base(G1Array, G1_GENERATOR, scalars)


def _g2(scalars: FrArray) -> G2Array:
    return _fixed_base(G2Array, G2_GENERATOR, scalars)


def setup(circuit: Any, rng: random.Random | None = None) -> tuple[ProvingKey, VerifyingKey]:
    """A development proving/verifying key pair for ``circuit`` (an
    :class:`~pouw.zk.r1cs.R1CS` or anything with ``to_r1cs()``).

    ``rng`` (a :class:`random.Random`) makes the keys reproducible for tests;
    the default is :class:`secrets.SystemRandom`.  Never use a seeded rng for
    keys anyone relies on: whoever knows the seed can forge proofs.
    """
    r1cs = _as_r1cs(circuit)
    gen = rng if rng is not None else secrets.SystemRandom()
    a, b = with_public_rows(r1cs)
    n = domain_size_for(a.n_rows)
    g = coset_generator(n)
    while True:
        tau = gen.randrange(1, R)
        # tau must avoid the 2n domain (where the Lagrange formula divides by zero).
        if pow(tau, 2 * n, R) != 1:
            break
    alpha, beta, gamma, delta = (gen.randrange(1, R) for _ in range(4))

    w = g * g % R  # w_n = w_{2n}^2
    dom, x = [], 1
    for _ in range(n):
        dom.append(x)
        x = x * w % R
    lag = _lagrange_at(tau, dom, n)
    at = transpose_matvec(a, lag, r1cs.n_wires)
    bt = transpose_matvec(b, lag, r1cs.n_wires)
    ct = transpose_matvec(r1cs.c, lag, r1cs.n_wires)

    k = r1cs.n_public + 1
    lin = _scale(at, beta)
    lin += _scale(bt, alpha)
    lin += ct
    gamma_inv, delta_inv = pow(gamma, -1, R), pow(delta, -1, R)
    ic = _g1(_scale(lin[:k], gamma_inv))
    c_query = _g1(_scale(lin[k:], delta_inv))

    # H: the odd points g * w^i of the 2n domain, Lagrange basis of 2n points, over delta.
    odd = [g * d % R for d in dom]
    h = _scale(_lagrange_at(tau, odd, 2 * n), delta_inv)

    vk = VerifyingKey(
        alpha_g1=G1Array.from_ints([G1_GENERATOR]).mul([alpha])[0],
        beta_g2=G2Array.from_ints([G2_GENERATOR]).mul([beta])[0],
        gamma_g2=G2Array.from_ints([G2_GENERATOR]).mul([gamma])[0],
        delta_g2=G2Array.from_ints([G2_GENERATOR]).mul([delta])[0],
        ic=tuple(ic.to_ints()),
    )
    pk = ProvingKey(
        vk=vk,
        n_wires=r1cs.n_wires,
        n_public=r1cs.n_public,
        domain_size=n,
        beta_g1=G1Array.from_ints([G1_GENERATOR]).mul([beta])[0],
        delta_g1=G1Array.from_ints([G1_GENERATOR]).mul([delta])[0],
        a_query=_g1(at),
        b_g1_query=_g1(bt),
        b_g2_query=_g2(bt),
        c_query=c_query,
        h_query=_g1(h),
        a=a,
        b=b,
        c=r1cs.c,
    )
    return pk, vk
