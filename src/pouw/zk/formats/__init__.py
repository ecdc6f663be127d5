"""File formats of the circom/snarkjs world.

- :func:`read_r1cs`: circom's ``.r1cs`` constraint files -> :class:`~pouw.zk.r1cs.R1CS`
  (:func:`write_r1cs` writes one, for a snarkjs ceremony on a pouw circuit).
- :func:`read_wtns`: circom's ``.wtns`` witness files -> :class:`~pouw.zk.field.FrArray`.
- :func:`read_zkey`: snarkjs Groth16 ``.zkey`` keys -> ``(ProvingKey, VerifyingKey)``,
  every point validated.

Untrusted files are validated: a malformed or truncated file raises
:class:`~pouw.errors.ProofError`, a non-canonical value or a point off its
curve or subgroup :class:`~pouw.errors.CurveError`; never a crash.

Every name loads its module on first access (PEP 562 ``__getattr__``): ``pouw
groth16 prove`` reads a key and a witness without loading the Solidity export
or the ``.zkey`` writer.
"""

from __future__ import annotations

from ..._lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)

if TYPE_CHECKING:  # the static view of the lazy names below
    from .r1cs import r1cs_bytes, read_r1cs, write_r1cs
    from .snarkjs_json import (
        proof_from_json,
        proof_to_json,
        public_from_json,
        public_to_json,
        vk_from_json,
        vk_to_json,
    )
    from .solidity import solidity_calldata, solidity_verifier
    from .wtns import read_wtns
    from .zkey import read_zkey
    from .zkey_writer import write_zkey

__all__ = ["read_r1cs", "write_r1cs", "r1cs_bytes", "read_wtns", "read_zkey"]

# snarkjs JSON and Solidity (the interop helper's names)
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

#: Public name -> the submodule that defines it (imported on first access).
_LAZY = {
    "read_r1cs": "r1cs",
    "write_r1cs": "r1cs",
    "r1cs_bytes": "r1cs",
    "read_wtns": "wtns",
    "read_zkey": "zkey",
    **dict.fromkeys(
        (
            "proof_to_json",
            "proof_from_json",
            "vk_to_json",
            "vk_from_json",
            "public_to_json",
            "public_from_json",
        ),
        "snarkjs_json",
    ),
    "solidity_verifier": "solidity",
    "solidity_calldata": "solidity",
    "write_zkey": "zkey_writer",
}

#: Submodules the eager ``__init__`` used to import: they stay reachable as
#: attributes (``pouw.zk.formats.binfile``) after a bare import, as before.
_SUBMODULES = frozenset(
    {"binfile", "r1cs", "snarkjs_json", "solidity", "wtns", "zkey", "zkey_writer"}
)


if not TYPE_CHECKING:  # hidden from mypy, which would then accept any attribute
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY, _SUBMODULES)
