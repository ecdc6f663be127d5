"""Execution traces: the columnar, canonical record of what the VM did.

An :class:`ExecutionTrace` is immutable and backed by its canonical bytes
(docs/vm-and-trace.md, "Trace encoding"); its columns are read-only numpy views
made on first use. Decode untrusted bytes with :meth:`ExecutionTrace.from_bytes`
(raises :class:`~pouw.errors.TraceError`); build one from arrays with
:meth:`ExecutionTrace.from_columns`; join consecutive traces into a batch with
:meth:`ExecutionTrace.concat`.

Columns, each ``n_steps`` long: ``op`` u8, ``status`` u8, ``account`` u32,
``arg0``/``arg1`` u64 (operands), ``gas_left`` u64 (after the step), ``owner``
(n, 32) u8, ``balance_before``/``nonce_before``/``balance_after``/``nonce_after``
u64 (the touched leaf), ``path`` (n, depth, 32) u8 (its Merkle siblings, leaf
level first) and ``root_after`` (n, 32) u8.

The decoding, encoding and every check are the kernel ``pouw._native.trace``,
which imports only C and numpy and raises its class's ``_error`` (plain
``ValueError``) for malformed input. This subclass names
:class:`~pouw.errors.TraceError` there -- so ``from_bytes``, ``from_columns``
and the rest stay the kernel's own C methods, with no Python frame on the
decode path -- and does the BLAKE3 hashing: ``trace_hash``, the intent ids and
the batch id of :meth:`ExecutionTrace.concat`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, final

from blake3 import blake3

from ._native import missing_extension
from .errors import TraceError
from .isa import batch_digest

try:
    from ._native import trace as _trace
    from ._native.trace import COLUMNS
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("trace", exc) from exc

__all__ = ["COLUMNS", "ExecutionTrace"]


def _batch_id(preimages: list[bytes]) -> bytes:
    """The batch id of intents given by their id pre-images (the kernel's callback)."""
    return batch_digest(blake3(p).digest() for p in preimages)


@final
class ExecutionTrace(_trace.ExecutionTrace):
    """ExecutionTrace(data): a decoded, immutable execution trace.

    Built by :meth:`from_bytes` (untrusted input), :meth:`from_columns` or
    :meth:`concat`; the executor makes them. Equality and hashing are by
    canonical bytes. Malformed bytes or columns raise
    :class:`~pouw.errors.TraceError`, a wrong type ``TypeError``.
    """

    __slots__ = ("_trace_hash",)
    _trace_hash: str  # set on first use of trace_hash
    _error = TraceError  # what the kernel's methods raise for malformed input

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError("pouw.trace.ExecutionTrace cannot be subclassed")

    @classmethod
    def concat(cls, traces: Iterable[ExecutionTrace]) -> ExecutionTrace:
        """One batch trace (kind 2) of ``traces`` in order: same depth, each ``pre_root``
        equal to the previous ``post_root``; the id is the batch id of all their intents'
        ids, recomputed from the steps.

        Coinbase: the traces that have a REWARD step must agree on it, and those without
        one must have coinbase 0 (the spec's rule); the batch's is the agreed one, or 0
        when no trace has a REWARD step. TraceError otherwise."""
        return cls._concat(traces, _batch_id)

    @property
    def trace_hash(self) -> str:
        """BLAKE3 of the canonical bytes (the blake3 package), 64 lowercase hex digits (cached)."""
        try:
            return self._trace_hash
        except AttributeError:
            digest: str = blake3(self.to_bytes()).hexdigest()
            self._trace_hash = digest
            return digest

    def intent_ids(self) -> list[str]:
        """The ids of the intents in this trace (hex), recomputed from their NONCE, FEE and
        body steps; TraceError if the steps are not a sequence of whole intents."""
        return [blake3(p).hexdigest() for p in self._intent_preimages()]
