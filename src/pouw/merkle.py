"""The Merkle hashes and sparse tree of the account state (docs/vm-and-trace.md, "State").

The state tree has one of two hashes, named by ``hash`` everywhere it matters
(``[state] hash`` in the node's config, :meth:`pouw.node.state.AccountState.genesis`,
every function here, and the hash byte of a version-2 trace):

- ``"blake3"`` (the default): ``leaf_hash(owner, balance, nonce)`` is 32 zero bytes
  for an empty account, else keyed BLAKE3 (key :data:`K_LEAF`) of
  ``owner || balance u64 LE || nonce u64 LE``; ``node_hash(left, right)`` is keyed
  BLAKE3 (key :data:`K_NODE`) of ``left || right``.
- ``"poseidon"``: circomlib's Poseidon over BN254's Fr (:mod:`pouw.zk.poseidon`),
  so that a circuit can prove the state: ``leaf = Poseidon(owner, balance, nonce)``
  with ``owner`` the 32 owner bytes read as a big-endian integer, which must be
  below r (an account whose owner is not is refused), and ``node = Poseidon(left,
  right)``; every leaf, node and root is the 32-byte big-endian encoding of a field
  element, and an input that is not one raises ValueError (never reduced). The
  empty leaf is 32 zero bytes here too.

Then, for either:

- ``zero_hashes(depth, hash)``: ``[Z[0], ..., Z[depth]]`` with ``Z[0] = 0^32`` and
  ``Z[l+1] = node_hash(Z[l], Z[l])``; :func:`empty_root` is ``Z[depth]``.
- ``fold_path(leaf, index, path, depth, hash)``: the root reached from a leaf hash
  and its ``depth`` sibling hashes (leaf level first; bit ``l`` of ``index`` set
  means the running hash is the right child at level ``l``).
- :class:`SparseMerkleTree` ``(depth, hash)``: the tree itself, storing only
  non-empty nodes.

This module (with ``_native/csrc/pw_state_hash.h``) is the one place the hashes
are defined; it also builds the Poseidon constants the kernels run on, once,
the first time a Poseidon hash is asked for.
"""

from __future__ import annotations

import threading

from ._native import missing_extension
from .isa import DEFAULT_HASH, STATE_HASHES

try:
    from ._native import merkle as _k
    from ._native.merkle import (
        K_LEAF,
        K_NODE,
        Hasher,
        SparseMerkleTree,
        fold_path,
        leaf_hash,
        node_hash,
        zero_hashes,
    )
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("merkle", exc) from exc

__all__ = [
    "DEFAULT_HASH",
    "K_LEAF",
    "K_NODE",
    "STATE_HASHES",
    "Hasher",
    "SparseMerkleTree",
    "empty_root",
    "fold_path",
    "hasher",
    "leaf_hash",
    "node_hash",
    "zero_hashes",
]

if tuple(_k.HASH_NAMES) != STATE_HASHES:  # pragma: no cover - a corrupt build
    raise ImportError("pouw._native.merkle disagrees with pouw.isa on the state hashes")

_LOCK = threading.Lock()


def _provide(name: str) -> Hasher:
    """The kernel asks for a hasher it does not hold yet (only Poseidon's)."""
    if name != "poseidon":  # pragma: no cover - the kernel knows BLAKE3 itself
        raise ValueError(f"no hasher {name!r}")
    with _LOCK:
        from ._native.poseidon import backend_capsule  # noqa: PLC0415 - numpy: only when used
        from .zk.poseidon import _constants  # noqa: PLC0415 - on first use: ~20 ms of setup

        node, leaf = _constants(2, "inputs"), _constants(3, "inputs")
        return Hasher("poseidon", node, leaf, backend_capsule())


_k.set_hasher_provider(_provide)


def hasher(name: str = DEFAULT_HASH) -> Hasher:
    """The kernel form of the state hash ``name`` (``"blake3"`` or ``"poseidon"``).

    Every ``hash=`` argument takes the name itself; this is for callers that want
    to check a name early or hold the object.
    """
    if not isinstance(name, str):
        raise ValueError(f"hash must be one of {STATE_HASHES!r}, got {name!r}")
    return _k.get_hasher(name)


def empty_root(depth: int, hash: str = DEFAULT_HASH) -> bytes:
    """The root of the empty tree of ``depth`` levels (``zero_hashes(depth, hash)[depth]``)."""
    return zero_hashes(depth, hash)[depth]
