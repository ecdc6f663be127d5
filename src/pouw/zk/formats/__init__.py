"""File formats of the circom/snarkjs world.

- :func:`read_r1cs`: circom's ``.r1cs`` constraint files -> :class:`~pouw.zk.r1cs.R1CS`.
- :func:`read_wtns`: circom's ``.wtns`` witness files -> :class:`~pouw.zk.field.FrArray`.
- :func:`read_zkey`: snarkjs Groth16 ``.zkey`` keys -> ``(ProvingKey, VerifyingKey)``,
  every point validated.

Untrusted files are validated: a malformed or truncated file raises
:class:`~pouw.errors.ProofError`, a non-canonical value or a point off its
curve or subgroup :class:`~pouw.errors.CurveError`; never a crash.
"""

from __future__ import annotations

from .r1cs import read_r1cs
from .wtns import read_wtns
from .zkey import read_zkey

__all__ = ["read_r1cs", "read_wtns", "read_zkey"]

# snarkjs JSON and Solidity (owned by the interop helper; keep these lines last)
from .snarkjs_json import (  # noqa: E402
    proof_from_json,
    proof_to_json,
    public_from_json,
    public_to_json,
    vk_from_json,
    vk_to_json,
)
from .solidity import solidity_calldata, solidity_verifier  # noqa: E402
from .zkey_writer import write_zkey  # noqa: E402

__all__ += [
    "proof_to_json",
    "proof_from_json",
    "vk_to_json",
    "vk_from_json",
    "public_to_json",
    "public_from_json",
    "solidity_verifier",
    "solidity_calldata",
    "write_zkey",
]
