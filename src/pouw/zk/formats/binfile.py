"""The container of iden3's binary files (``.r1cs``, ``.wtns``, ``.zkey``, ``.ptau``).

Layout (all integers little-endian): a 4-byte magic (``b"r1cs"``...), a
``u32`` version, a ``u32`` section count, then each section as a ``u32``
type, a ``u64`` byte size and the body.  Sections may come in any order;
readers look them up by type.

Everything here is untrusted input: a short file, a section running past the
end, a duplicated section that must be unique or a body of the wrong size
raises :class:`~pouw.errors.ProofError` naming the file and the section,
never an IndexError or a struct error.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from ...errors import ProofError

__all__ = ["BinFile", "Cursor", "read_binfile"]


class Cursor:
    """Sequential little-endian reads over one section's body, bounds-checked."""

    __slots__ = ("data", "pos", "what")

    def __init__(self, data: memoryview, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, n: int) -> memoryview:
        """The next ``n`` bytes (ProofError when the section is shorter)."""
        if n < 0 or self.pos + n > len(self.data):
            raise ProofError(
                f"{self.what} is truncated (needs {self.pos + n} bytes, has {len(self.data)})"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack("<Q", self.take(8))[0])

    def bigint(self, n8: int) -> int:
        return int.from_bytes(self.take(n8), "little")

    def rest(self) -> int:
        return len(self.data) - self.pos

    def done(self) -> None:
        """ProofError when bytes are left over (a section of the wrong size)."""
        if self.pos != len(self.data):
            raise ProofError(f"{self.what} has {self.rest()} unexpected trailing bytes")


@dataclass(frozen=True)
class BinFile:
    """A parsed container: the file's bytes and each section type's ``(offset, size)`` list."""

    name: str
    version: int
    data: memoryview
    sections: dict[int, list[tuple[int, int]]]

    def section(self, kind: int, what: str) -> memoryview:
        """The body of the unique section ``kind`` (ProofError if absent or repeated)."""
        found = self.sections.get(kind, [])
        if len(found) != 1:
            state = "missing" if not found else f"present {len(found)} times"
            raise ProofError(f"{self.name}: section {kind} ({what}) is {state}")
        off, size = found[0]
        return self.data[off : off + size]

    def cursor(self, kind: int, what: str) -> Cursor:
        return Cursor(self.section(kind, what), f"{self.name}: section {kind} ({what})")


def read_binfile(
    path: str | PathLike[str] | bytes,
    magic: bytes,
    versions: tuple[int, ...],
    name: str | None = None,
) -> BinFile:
    """Parse the container at ``path`` (or given as bytes), checking magic and version.

    ``name`` is what error messages call bytes given directly (default ``<bytes>``)."""
    if isinstance(path, bytes):
        name, raw = name or "<bytes>", path
    else:
        name = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise ProofError(f"cannot read {name}: {exc}") from None
    data = memoryview(raw)
    head = Cursor(data, f"{name}: header")
    if bytes(head.take(4)) != magic:
        raise ProofError(f"{name} is not a {magic.decode()} file (wrong magic number)")
    version = head.u32()
    if version not in versions:
        raise ProofError(f"{name}: {magic.decode()} version {version} is not supported {versions}")
    count = head.u32()
    sections: dict[int, list[tuple[int, int]]] = {}
    for i in range(count):
        head.what = f"{name}: header of section {i}"
        kind = head.u32()
        size = head.u64()
        head.what = f"{name}: section {i} (type {kind})"
        head.take(size)
        sections.setdefault(kind, []).append((head.pos - size, size))
    if head.rest():
        raise ProofError(f"{name} has {head.rest()} bytes after its last section")
    return BinFile(name, version, data, sections)
