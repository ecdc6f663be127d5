"""Type stubs of pouw._native.constraints (see pouw.prover.check)."""

from collections.abc import Sequence

#: ``(ok, step, rule, ids)``; ``ids`` is ``(kind, header_id, preimages)`` when every
#: rule checked in C holds (the face hashes the pre-images), else None.
_Result = tuple[bool, int, int, tuple[int, bytes, list[bytes]] | None]

#: Rule names by code; ``RULE_NAMES[0] == "OK"`` (mirrored by pouw.prover.rules.Rule).
RULE_NAMES: tuple[str, ...]
#: One-line statement of each rule, by code.
RULE_TEXTS: tuple[str, ...]

def preimage_capacity(n_steps: int) -> int: ...
def check_trace(data: bytes | bytearray | memoryview) -> _Result: ...
def check_traces(traces: Sequence[bytes | bytearray | memoryview]) -> list[_Result]: ...
