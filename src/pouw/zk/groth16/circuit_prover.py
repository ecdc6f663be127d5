"""Deprecated: this module's names moved; the module goes in the next release.

- ``Groth16Prover`` and ``TraceCircuit`` are in the prover layer,
  :mod:`pouw.prover.groth16` (``from pouw.prover import Groth16Prover``): they
  know traces, tiers and jobs, which the zk layer never imports.
- ``encode_proof``, ``decode_proof`` and ``PROOF_BYTES`` are in
  :mod:`pouw.zk.groth16.proof_encoding` (and ``pouw.zk.groth16.encode_proof``).

Each name is forwarded on use with a ``DeprecationWarning``
(:func:`pouw._moved.moved_names`); the prover layer is imported only then.
"""

from ..._moved import moved_names

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)

__all__: list[str] = []  # nothing is to be imported from here any more

if not TYPE_CHECKING:  # hidden from mypy, which would then accept any attribute
    __getattr__ = moved_names(
        __name__,
        {
            "Groth16Prover": "pouw.prover.groth16",
            "TraceCircuit": "pouw.prover.groth16",
            "encode_proof": "pouw.zk.groth16.proof_encoding",
            "decode_proof": "pouw.zk.groth16.proof_encoding",
            "PROOF_BYTES": "pouw.zk.groth16.proof_encoding",
        },
    )
