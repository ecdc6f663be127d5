"""Zero-knowledge building blocks over BN254 (alt_bn128).

- :mod:`pouw.zk.field`: the fields Fr and Fq (:class:`FrArray`, :class:`FqArray`,
  :class:`Fr`, :class:`Fq`, the moduli :data:`R` and :data:`Q`).
- :mod:`pouw.zk.curve`: the groups G1 and G2 (:class:`G1Array`, :class:`G2Array`,
  ``g1_*``/``g2_*`` on py_ecc-style tuples, EIP-196/197 and compressed encodings).
  Multi-scalar multiplication: :func:`g1_msm`, :func:`g2_msm` and the
  fixed-base :class:`G1MSMContext`/:class:`G2MSMContext` (Pippenger).  The
  module re-exports them from where they are defined: :mod:`pouw.zk.points`
  (the point arrays), :mod:`pouw.zk.curve_encoding`, :mod:`pouw.zk.msm`.
- :mod:`pouw.zk.ntt`: number-theoretic transforms over Fr (``ntt``,
  :func:`intt`, coset variants, in-place variants, :class:`Domain`).
- :mod:`pouw.zk.pairing`: the optimal ate pairing (``pairing``,
  :func:`pairing_check`, :class:`Fq12`, :class:`G2Prepared`).
- :mod:`pouw.zk.poseidon`: circomlib's Poseidon hash over Fr (``poseidon``,
  :func:`poseidon_batch`); its constants in :mod:`pouw.zk.poseidon_params`.
- :mod:`pouw.zk.r1cs`: rank-1 constraint systems in circom's wire order
  (:class:`~pouw.zk.r1cs.R1CS`).
- :mod:`pouw.zk.groth16`: the Groth16 proving system (``setup``, ``prove``,
  ``verify``, :class:`~pouw.zk.groth16.PreparedVerifyingKey`, pouw's key file,
  the 256-byte proof encoding), in snarkjs's key conventions.  The prover of
  traces over it, ``Groth16Prover``, is in the prover layer
  (:class:`pouw.prover.Groth16Prover`).
- :mod:`pouw.zk.formats`: circom's ``.r1cs`` and ``.wtns`` and snarkjs's
  ``.zkey`` (``read_r1cs``, ``read_wtns``, ``read_zkey``, every point validated)
  and the snarkjs JSON and Solidity exports.

The attributes ``pouw.zk.ntt``, ``pouw.zk.pairing`` and ``pouw.zk.poseidon``
are the modules, so ``pouw.zk.pairing.pairing_check`` and ``pouw.zk.ntt.ntt``
work whatever was imported first.  The three functions named like their
modules are reached through them: ``pouw.zk.ntt.ntt`` / ``from pouw.zk.ntt
import ntt``, ``pouw.zk.pairing.pairing`` / ``from pouw.zk.pairing import
pairing`` and ``from pouw.zk.poseidon import poseidon``.  (Until
this release ``from pouw.zk import ntt, pairing`` gave the functions, and the
modules were out of reach; see CHANGELOG.md.)  Every other name in
``__all__`` is re-exported here: ``from pouw.zk import pairing_check, ntt_inplace``.

Every kernel is native (``pouw._native``); this package validates and documents.
Untrusted encodings that are not canonical raise :class:`CurveError`.
"""

from __future__ import annotations

from .._lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)

if TYPE_CHECKING:  # the static view of the lazy names below
    from ..errors import CurveError
    from .constraint_system import ConstraintSystem
    from .curve import (
        G1_GENERATOR,
        G2_GENERATOR,
        G1Array,
        G1MSMContext,
        G2Array,
        G2MSMContext,
        decode_g1,
        decode_g1_compressed,
        decode_g2,
        decode_g2_compressed,
        encode_g1,
        encode_g1_compressed,
        encode_g2,
        encode_g2_compressed,
        g1_add,
        g1_is_on_curve,
        g1_msm,
        g1_mul,
        g1_neg,
        g2_add,
        g2_is_in_subgroup,
        g2_is_on_curve,
        g2_msm,
        g2_mul,
        g2_neg,
    )
    from .field import FieldArray, FieldElement, Fq, FqArray, Fr, FrArray, Q, R
    from .ntt import (
        Domain,
        coset_intt,
        coset_intt_inplace,
        coset_ntt,
        coset_ntt_inplace,
        intt,
        intt_inplace,
        ntt_inplace,
        root_of_unity,
    )
    from .pairing import Fq12, G2Prepared, pairing_check
    from .poseidon import poseidon_batch
__all__ = [
    "ConstraintSystem",
    "G1_GENERATOR",
    "G2_GENERATOR",
    "G1Array",
    "G2Array",
    "decode_g1",
    "decode_g1_compressed",
    "decode_g2",
    "decode_g2_compressed",
    "encode_g1",
    "encode_g1_compressed",
    "encode_g2",
    "encode_g2_compressed",
    "g1_add",
    "g1_is_on_curve",
    "g1_mul",
    "g1_neg",
    "g2_add",
    "g2_is_in_subgroup",
    "g2_is_on_curve",
    "g2_mul",
    "g2_neg",
    "CurveError",
    "FieldArray",
    "FieldElement",
    "Fq",
    "FqArray",
    "Fr",
    "FrArray",
    "Q",
    "R",
    "Fq12",
    "G2Prepared",
    "pairing_check",
    "Domain",
    "coset_intt",
    "coset_intt_inplace",
    "coset_ntt",
    "coset_ntt_inplace",
    "intt",
    "intt_inplace",
    "ntt_inplace",
    "root_of_unity",
    "g1_msm",
    "g2_msm",
    "G1MSMContext",
    "G2MSMContext",
    "poseidon_batch",
]

#: Public name -> the module that defines it, imported on first access (PEP 562):
#: ``import pouw.zk`` stays cheap, and a command loads only the layers it uses.
_LAZY = {
    "CurveError": "..errors",
    "ConstraintSystem": ".constraint_system",
    "G1_GENERATOR": ".curve",
    "G2_GENERATOR": ".curve",
    "G1Array": ".curve",
    "G1MSMContext": ".curve",
    "G2Array": ".curve",
    "G2MSMContext": ".curve",
    "decode_g1": ".curve",
    "decode_g1_compressed": ".curve",
    "decode_g2": ".curve",
    "decode_g2_compressed": ".curve",
    "encode_g1": ".curve",
    "encode_g1_compressed": ".curve",
    "encode_g2": ".curve",
    "encode_g2_compressed": ".curve",
    "g1_add": ".curve",
    "g1_is_on_curve": ".curve",
    "g1_msm": ".curve",
    "g1_mul": ".curve",
    "g1_neg": ".curve",
    "g2_add": ".curve",
    "g2_is_in_subgroup": ".curve",
    "g2_is_on_curve": ".curve",
    "g2_msm": ".curve",
    "g2_mul": ".curve",
    "g2_neg": ".curve",
    "FieldArray": ".field",
    "FieldElement": ".field",
    "Fq": ".field",
    "FqArray": ".field",
    "Fr": ".field",
    "FrArray": ".field",
    "Q": ".field",
    "R": ".field",
    "Domain": ".ntt",
    "coset_intt": ".ntt",
    "coset_intt_inplace": ".ntt",
    "coset_ntt": ".ntt",
    "coset_ntt_inplace": ".ntt",
    "intt": ".ntt",
    "intt_inplace": ".ntt",
    "ntt_inplace": ".ntt",
    "root_of_unity": ".ntt",
    "Fq12": ".pairing",
    "G2Prepared": ".pairing",
    "pairing_check": ".pairing",
    "poseidon_batch": ".poseidon",
}

#: Submodules reachable as attributes after a bare ``import pouw.zk``
#: (``pouw.zk.curve``, ``pouw.zk.ntt.ntt``), loaded on first access.  No name
#: above is a submodule's name: the attribute would be the name's object until
#: the import system bound the loaded submodule over it (tests/test_imports.py).
_SUBMODULES = frozenset(
    {
        "constraint_system",
        "curve",
        "curve_encoding",
        "field",
        "msm",
        "ntt",
        "pairing",
        "points",
        "poseidon",
        "r1cs",
    }
)


if not TYPE_CHECKING:  # hidden from mypy, which would then accept any attribute
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY, _SUBMODULES)
