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
"""

from __future__ import annotations

from ._native import missing_extension

try:
    from ._native.trace import COLUMNS, ExecutionTrace
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("trace", exc) from exc

__all__ = ["COLUMNS", "ExecutionTrace"]
