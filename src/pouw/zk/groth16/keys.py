"""The data of Groth16 over BN254: verifying key, proof and proving key.

Points at the edges (:class:`VerifyingKey`, :class:`Proof`) are ``py_ecc``-style
affine tuples of Python ints -- G1 ``(x, y)``, G2 ``((x_c0, x_c1), (y_c0,
y_c1))`` -- the form the JSON, Solidity and py_ecc worlds use.  The proving key
holds its large queries as native :class:`~pouw.zk.curve.G1Array` /
:class:`~pouw.zk.curve.G2Array` so the prover hands them straight to the MSM
kernels.

The proving key follows snarkjs's conventions exactly, so one prover serves
keys made by :func:`pouw.zk.groth16.setup` and keys imported from a snarkjs
``.zkey`` (:func:`pouw.zk.formats.read_zkey`):

- the constraint matrices A and B hold the circuit's constraints followed by
  ``n_public + 1`` extra rows ``A[m + i][i] = 1`` (``i = 0..n_public``, B and
  C empty there) that make the verifier's IC points linearly independent;
- C is never stored: the prover uses ``C·w = (A·w) ∘ (B·w)`` on the domain;
- ``h_query[i] = [L'_{2i+1}(tau) / delta]_1`` where ``L'_k`` is the k-th
  Lagrange polynomial of the domain of ``2n`` points: the odd points of that
  domain are the coset ``w_{2n} * <w_n>`` on which ``Z = x^n - 1`` is ``-2``,
  and ``h(tau) Z(tau) = sum_i P(w_{2n} w_n^i) L'_{2i+1}(tau)`` for
  ``P = A·B - C`` (it vanishes on the even points), so the prover multiplies
  the coset evaluations of ``P`` with these points directly (see :mod:`.qap`).

Groth16 proofs are malleable (anyone can re-randomise a valid proof into a
different valid proof of the same statement): never use proof bytes as an
identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..points import G1Array, G2Array
from ..r1cs import SparseMatrix

__all__ = ["G1Point", "G2Point", "VerifyingKey", "Proof", "ProvingKey"]

#: An affine G1 point ``(x, y)`` (never the point at infinity in keys and proofs).
G1Point = tuple[int, int]
#: An affine G2 point ``((x_c0, x_c1), (y_c0, y_c1))`` over Fq2 = Fq[u]/(u^2 + 1).
G2Point = tuple[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class VerifyingKey:
    """What a verifier needs, and all it needs.

    - ``alpha_g1 = [alpha]_1``, ``beta_g2 = [beta]_2``, ``gamma_g2 = [gamma]_2``,
      ``delta_g2 = [delta]_2``;
    - ``ic[i] = [(beta*A_i(tau) + alpha*B_i(tau) + C_i(tau)) / gamma]_1`` for
      the constant wire ``i = 0`` and the public wires ``1..n_public``.

    A proof ``(A, B, C)`` for public inputs ``x`` is accepted when
    ``e(A, B) = e(alpha, beta) * e(ic[0] + sum x_i ic[i], gamma) * e(C, delta)``.
    """

    alpha_g1: G1Point
    beta_g2: G2Point
    gamma_g2: G2Point
    delta_g2: G2Point
    ic: tuple[G1Point, ...]

    @property
    def n_public(self) -> int:
        """The number of public inputs a proof is checked against."""
        return len(self.ic) - 1


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof: ``a`` in G1, ``b`` in G2, ``c`` in G1 (affine tuples).

    Malleable: ``(a, b, c)`` re-randomises to other valid proofs of the same
    statement, so a proof is never an identity.
    """

    a: G1Point
    b: G2Point
    c: G1Point


@dataclass(frozen=True, eq=False)
class ProvingKey:
    """A circuit's proving key, in snarkjs's layout (see the module docstring).

    Scalars and queries, by their meaning (``tau``, ``alpha``, ``beta``,
    ``delta`` the toxic waste, ``A_j, B_j, C_j`` the QAP polynomials of wire ``j``):

    - ``vk``: the verifying key;
    - ``n_wires``, ``n_public``: the wire count (wire 0 is the constant 1) and
      the public wires ``1..n_public``;
    - ``domain_size``: ``n``, a power of two with room for every constraint
      and the ``n_public + 1`` extra rows;
    - ``beta_g1 = [beta]_1``, ``delta_g1 = [delta]_1``;
    - ``a_query[j] = [A_j(tau)]_1``, ``b_g1_query[j] = [B_j(tau)]_1``,
      ``b_g2_query[j] = [B_j(tau)]_2`` for every wire (the point at infinity
      where the polynomial is zero);
    - ``c_query[k] = [(beta*A_j(tau) + alpha*B_j(tau) + C_j(tau)) / delta]_1``
      for the private wires ``j = n_public + 1 + k``;
    - ``h_query[i]`` (``n`` points): the H basis on the odd coset (:mod:`.qap`);
    - ``a``, ``b``: the matrices A and B with the extra rows, ``domain_size``
      rows at most (C is implied on the domain by ``C·w = (A·w) ∘ (B·w)``);
    - ``c``: the circuit's C (without the extra rows) when known, to check
      witnesses; ``None`` for keys imported from a ``.zkey``.
    """

    vk: VerifyingKey
    n_wires: int
    n_public: int
    domain_size: int
    beta_g1: G1Point
    delta_g1: G1Point
    a_query: G1Array
    b_g1_query: G1Array
    b_g2_query: G2Array
    c_query: G1Array
    h_query: G1Array
    a: SparseMatrix
    b: SparseMatrix
    #: The circuit's C matrix when known (pouw's setup keeps it; a snarkjs zkey has
    #: none): with it ``prove`` names the first violated constraint.
    c: SparseMatrix | None = None
    #: Per-process caches (fixed-base MSM tables...), never saved nor compared.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_constraints(self) -> int:
        """Rows of A and B: the circuit's constraints plus the ``n_public + 1`` extra rows."""
        return self.a.n_rows

    def __repr__(self) -> str:
        return (
            f"ProvingKey(n_wires={self.n_wires}, n_public={self.n_public}, "
            f"domain_size={self.domain_size}, rows={self.n_constraints})"
        )
