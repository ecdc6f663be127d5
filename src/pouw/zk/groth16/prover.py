"""Groth16 proving: ``prove(pk, witness) -> Proof``, the same path for keys
from :func:`~pouw.zk.groth16.setup` and keys imported from snarkjs.

With ``A_w = sum_j w_j A_j(tau)`` (and likewise B), fresh ``r, s`` and the
quotient ``h``:

- ``pi_a = [alpha + A_w + r delta]_1``,
- ``pi_b = [beta + B_w + s delta]_2`` (and the same in G1 for ``pi_c``),
- ``pi_c = [(sum_private w_j K_j + h(tau) Z(tau)) / delta]_1 + s pi_a + r B1 - r s [delta]_1``.

Five multi-scalar multiplications (A, B1, C, H in G1; B in G2) on every core
by default (the G2 MSM on half the threads, beside the rest on the other
half), with the key's fixed-base tables where it has them (:mod:`.tables`),
two sparse mat-vecs and six NTTs (:mod:`.qap`).  The witness is checked
first: ``w[0]`` must be 1 and, when the key carries C, every constraint must
hold (:class:`~pouw.errors.ProofError` names the first one that does not).
Keys imported from a ``.zkey`` have no C: the proof is then checked against
the verifying key before it is returned (one pairing product), so an
unsatisfied witness is still refused, never turned into a proof -- only the
constraint cannot be named.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ...errors import ProofError
from ..constraint_system import ConstraintSystem
from ..curve import g1_add, g1_msm, g1_mul, g1_neg, g2_add, g2_msm, g2_mul
from ..field import FrArray, R
from ..msm import resolve_threads
from .keys import Proof, ProvingKey
from .qap import matvec, quotient_on_coset

__all__ = ["prove", "witness_array", "check_witness"]


def witness_array(witness: Any, n_wires: int) -> FrArray:
    """The witness as an FrArray: an FrArray, a list of ints (each in ``[0, r)``)
    or a ConstraintSystem (its assigned witness, after :meth:`~pouw.zk.ConstraintSystem.check`:
    :class:`~pouw.zk.constraint_system.UnsatisfiedConstraint` names the first broken
    constraint).  ProofError when the length is not ``n_wires`` or ``w[0] != 1``."""
    if isinstance(witness, ConstraintSystem):
        # The circuit itself names the broken constraint (index and name), even
        # for a key without C (imported from a .zkey).
        witness.check()
        witness = witness.witness()
    if not isinstance(witness, FrArray):
        assigned = getattr(witness, "witness", None)
        if callable(assigned):
            witness = assigned()
        elif isinstance(witness, Sequence) and not isinstance(witness, (str, bytes)):
            for i, v in enumerate(witness):
                if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < R:
                    raise ProofError(f"witness value {i} is not an integer in [0, r)")
            witness = FrArray.from_ints(witness)
        if not isinstance(witness, FrArray):
            raise TypeError(
                f"a witness is an FrArray, a list of ints or a ConstraintSystem, "
                f"got {type(witness).__name__}"
            )
    if len(witness) != n_wires:
        raise ProofError(f"the witness has {len(witness)} values, the circuit {n_wires} wires")
    if n_wires == 0 or int(witness[0]) != 1:
        raise ProofError("witness[0] (the constant wire) must be 1")
    return witness


def check_witness(pk: ProvingKey, w: FrArray) -> None:
    """ProofError naming the first constraint ``<a_i,w> * <b_i,w> != <c_i,w>``
    (needs the key's C matrix; a no-op without it)."""
    if pk.c is None:
        return
    m = pk.c.n_rows
    ab = matvec(pk.a, w, m) * matvec(pk.b, w, m) if m else FrArray.zeros(0)
    cw = matvec(pk.c, w, m)
    bad = np.flatnonzero(np.any(ab.montgomery != cw.montgomery, axis=1))
    if bad.size:
        i = int(bad[0])
        raise ProofError(
            f"the witness violates constraint {i}: <a,w> * <b,w> = {int(ab[i])}, <c,w> = {int(cw[i])}"
        )


def _g1_part(pk: ProvingKey, w: FrArray, threads: int) -> tuple[Any, Any, Any, Any]:
    """The quotient and the G1 MSMs: ``A·w``, ``B1·w``, ``C·w_private``, ``H·h``."""
    h = quotient_on_coset(pk.a, pk.b, w, pk.domain_size, threads)
    return (
        _msm(pk, "a_query", w, threads),
        _msm(pk, "b_g1_query", w, threads),
        _msm(pk, "c_query", w[pk.n_public + 1 :], threads),
        _msm(pk, "h_query", h, threads),
    )


def _msm(pk: ProvingKey, name: str, scalars: FrArray, threads: int | None) -> Any:
    """``sum scalars[i] * query[i]`` with the key's fixed-base table when it has one."""
    ctx = pk.cache.get(f"msm:{name}")
    if ctx is not None:
        return ctx.msm(scalars, threads=threads)
    msm = g2_msm if name == "b_g2_query" else g1_msm
    return msm(getattr(pk, name), scalars, threads=threads)


def prove(
    pk: ProvingKey,
    witness: Any,
    rng: random.Random | None = None,
    threads: int | None = None,
) -> Proof:
    """A proof that ``witness`` satisfies the circuit of ``pk``.

    ``rng`` draws the blinding ``r, s`` (default :class:`secrets.SystemRandom`;
    a seeded rng is for reproducible tests only: it leaks the witness).
    ``threads``: for the MSMs and NTTs (None: every core).
    """
    w = witness_array(witness, pk.n_wires)
    check_witness(pk, w)
    gen = rng if rng is not None else secrets.SystemRandom()
    r, s = gen.randrange(R), gen.randrange(R)

    total = resolve_threads(threads)
    if total >= 2:
        # The G2 MSM costs about as much as everything else together: run it in
        # a thread of its own (one per proof: concurrent proofs never queue
        # behind each other) on half the threads; the kernels release the GIL.
        with ThreadPoolExecutor(1, thread_name_prefix="pouw-groth16-g2") as pool:
            g2 = pool.submit(_msm, pk, "b_g2_query", w, total // 2)
            a_w, b1_w, c_w, h_w = _g1_part(pk, w, total - total // 2)
            b2_w = g2.result()
    else:
        a_w, b1_w, c_w, h_w = _g1_part(pk, w, total)
        b2_w = _msm(pk, "b_g2_query", w, total)

    vk = pk.vk
    pi_a = g1_add(g1_add(vk.alpha_g1, a_w), g1_mul(pk.delta_g1, r))
    pi_b = g2_add(g2_add(vk.beta_g2, b2_w), g2_mul(vk.delta_g2, s))
    b1 = g1_add(g1_add(pk.beta_g1, b1_w), g1_mul(pk.delta_g1, s))
    pi_c = g1_add(c_w, h_w)
    pi_c = g1_add(pi_c, g1_mul(pi_a, s))
    pi_c = g1_add(pi_c, g1_mul(b1, r))
    pi_c = g1_add(pi_c, g1_neg(g1_mul(pk.delta_g1, r * s)))
    if pi_a is None or pi_b is None or pi_c is None:  # probability ~2^-254
        return prove(pk, w, rng, threads)
    proof = Proof(pi_a, pi_b, pi_c)
    if pk.c is None:
        from .verifier import prepared_key, verify_prepared

        if not verify_prepared(prepared_key(pk), w[1 : pk.n_public + 1].to_ints(), proof):
            raise ProofError(
                "the witness does not satisfy the circuit (the proof it gives does not "
                "verify; this key has no C matrix, so the violated constraint cannot be named)"
            )
    return proof
