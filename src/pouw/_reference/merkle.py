"""Pure-Python oracle of ``pouw._native.merkle``: the same names, dicts, the ``blake3``
package and, for the Poseidon state, the textbook rounds of :mod:`pouw._reference.poseidon`."""

from __future__ import annotations

import struct

from blake3 import blake3

from . import poseidon as _poseidon

K_LEAF = blake3(b"pouw.merkle.leaf.v1").digest()
K_NODE = blake3(b"pouw.merkle.node.v1").digest()
_ZERO = bytes(32)
_LEAF = struct.Struct("<QQ")


def _element(b: bytes) -> int:
    x = int.from_bytes(b, "big")
    if x >= _poseidon.R:
        raise ValueError("not the encoding of a field element")
    return x


def _encode(x: int) -> bytes:
    return x.to_bytes(32, "big")


def leaf_hash(owner: bytes, balance: int, nonce: int, hash: str = "blake3") -> bytes:
    if len(owner) != 32:
        raise ValueError("owner must be 32 bytes")
    if balance == 0 and nonce == 0 and owner == _ZERO:
        return _ZERO
    if hash == "poseidon":
        return _encode(_poseidon.poseidon([_element(owner), balance, nonce]))
    return blake3(owner + _LEAF.pack(balance, nonce), key=K_LEAF).digest()


def node_hash(left: bytes, right: bytes, hash: str = "blake3") -> bytes:
    if len(left) != 32 or len(right) != 32:
        raise ValueError("node hashes are 32 bytes")
    if hash == "poseidon":
        return _encode(_poseidon.poseidon([_element(left), _element(right)]))
    return blake3(left + right, key=K_NODE).digest()


def zero_hashes(depth: int, hash: str = "blake3") -> list[bytes]:
    out = [_ZERO]
    for _ in range(depth):
        out.append(node_hash(out[-1], out[-1], hash))
    return out


def fold_path(leaf: bytes, index: int, path: bytes, depth: int, hash: str = "blake3") -> bytes:
    h = leaf
    for level in range(depth):
        sib = path[32 * level : 32 * level + 32]
        h = node_hash(sib, h, hash) if (index >> level) & 1 else node_hash(h, sib, hash)
    return h


class SparseMerkleTree:
    """One dict per level (index -> hash) holding non-empty nodes only."""

    def __init__(self, depth: int = 20, hash: str = "blake3") -> None:
        if not 1 <= depth <= 32:
            raise ValueError("depth must be 1..32")
        self.depth = depth
        self.hash = hash
        self._zero = zero_hashes(depth, hash)
        self._levels: list[dict[int, bytes]] = [{} for _ in range(depth + 1)]

    def _check(self, index: int) -> None:
        if not 0 <= index < (1 << self.depth):
            raise ValueError("leaf index out of range")

    def _node(self, level: int, index: int) -> bytes:
        return self._levels[level].get(index, self._zero[level])

    def _store(self, level: int, index: int, h: bytes) -> None:
        if h == self._zero[level]:
            self._levels[level].pop(index, None)
        else:
            self._levels[level][index] = h

    @property
    def root(self) -> bytes:
        return self._node(self.depth, 0)

    @property
    def node_count(self) -> int:
        return sum(len(level) for level in self._levels)

    def get_leaf_hash(self, index: int) -> bytes:
        self._check(index)
        return self._node(0, index)

    def get_node(self, level: int, index: int) -> bytes:
        return self._node(level, index)

    def path(self, index: int) -> bytes:
        self._check(index)
        return b"".join(self._node(level, (index >> level) ^ 1) for level in range(self.depth))

    def update_leaf(self, index: int, leaf_hash: bytes) -> tuple[bytes, bytes]:
        self._check(index)
        path = self.path(index)
        h = leaf_hash
        self._store(0, index, h)
        for level in range(self.depth):
            sib = path[32 * level : 32 * level + 32]
            i = index >> level
            h = node_hash(sib, h, self.hash) if i & 1 else node_hash(h, sib, self.hash)
            self._store(level + 1, i >> 1, h)
        return path, h

    def set_leaf(self, index: int, leaf_hash: bytes) -> None:
        self.update_leaf(index, leaf_hash)

    def set_leaves(self, start: int, leaf_hashes: bytes) -> None:
        for k in range(len(leaf_hashes) // 32):
            self.update_leaf(start + k, leaf_hashes[32 * k : 32 * k + 32])

    def copy(self) -> SparseMerkleTree:
        other = SparseMerkleTree(self.depth, self.hash)
        other._levels = [dict(level) for level in self._levels]
        return other
