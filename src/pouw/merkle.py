"""The Merkle hashes and sparse tree of the account state (docs/vm-and-trace.md, "State").

This module is the one place the state commitment's hash is chosen (with
``_native/csrc/pw_hash.h``): BLAKE3 in keyed mode today, a SNARK-friendly hash
such as Poseidon later, swapped here and nowhere else.

- ``leaf_hash(owner, balance, nonce)``: 32 zero bytes for an empty account,
  else keyed BLAKE3 (key :data:`K_LEAF`) of ``owner || balance u64 LE || nonce u64 LE``.
- ``node_hash(left, right)``: keyed BLAKE3 (key :data:`K_NODE`) of ``left || right``.
- ``zero_hashes(depth)``: ``[Z[0], ..., Z[depth]]`` with ``Z[0] = 0^32`` and
  ``Z[l+1] = node_hash(Z[l], Z[l])``; ``Z[depth]`` is the empty tree's root.
- ``fold_path(leaf, index, path, depth)``: the root reached from a leaf hash and
  its ``depth`` sibling hashes (leaf level first; bit ``l`` of ``index`` set means
  the running hash is the right child at level ``l``).
- :class:`SparseMerkleTree`: the tree itself, storing only non-empty nodes.
"""

from __future__ import annotations

from ._native import missing_extension

try:
    from ._native.merkle import (
        K_LEAF,
        K_NODE,
        SparseMerkleTree,
        fold_path,
        leaf_hash,
        node_hash,
        zero_hashes,
    )
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("merkle", exc) from exc

__all__ = [
    "K_LEAF",
    "K_NODE",
    "SparseMerkleTree",
    "fold_path",
    "leaf_hash",
    "node_hash",
    "zero_hashes",
]
