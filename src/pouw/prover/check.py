"""The native constraint check, and the error text of a trace that fails it.

The checking itself is the compiled kernel ``pouw._native.constraints`` (C,
without the GIL): every rule but the two about ids, for which it hands back
the intents' id pre-images. This module hashes those (BLAKE3, the ``blake3``
package: kernels import only C and numpy) and compares them with the header's
``intent_id`` (rules ``INTENT_ID`` and ``BATCH_ID``), and names what failed:
the step, its op and the rule of :class:`~pouw.prover.rules.Rule`.
"""

from __future__ import annotations

from collections.abc import Iterable

from blake3 import blake3

from .. import merkle  # noqa: F401 - installs the Poseidon hasher the kernel checks with
from .._native import missing_extension
from ..errors import ProofError
from ..isa import HEADER_SIZE, TRACE_KIND_INTENT, Op, StepStatus, batch_digest
from .rules import HEADER_STEP, Rule

try:
    from .._native.constraints import RULE_NAMES as _NATIVE_RULES
    from .._native.constraints import check_trace as _native_check
    from .._native.constraints import check_traces as _native_check_many
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("constraints", exc) from exc

__all__ = ["check_trace", "check_traces", "require_valid", "describe_failure"]

if tuple(r.name for r in Rule) != _NATIVE_RULES:  # pragma: no cover - a stale build
    raise ImportError(
        "pouw._native.constraints names rules differently from pouw.prover.rules.Rule; "
        "rebuild the extension (`make compile`)"
    )

Verdict = tuple[bool, int, Rule]


def _verdict(ok: bool, step: int, rule: int, ids: tuple[int, bytes, list[bytes]] | None) -> Verdict:
    """The kernel's answer, completed by the two id rules when it holds."""
    if ids is None:
        return ok, step, Rule(rule)
    kind, header_id, preimages = ids
    digests = [blake3(p).digest() for p in preimages]
    if kind == TRACE_KIND_INTENT:
        if digests[0] != header_id:  # the kernel checked: exactly one intent
            return False, HEADER_STEP, Rule.INTENT_ID
    elif batch_digest(digests) != header_id:
        return False, HEADER_STEP, Rule.BATCH_ID
    return True, HEADER_STEP, Rule.OK


def check_trace(data: bytes | bytearray | memoryview) -> Verdict:
    """Check every constraint of the canonical trace ``data`` (native kernel).

    Returns ``(ok, step, rule)``: ``(True, -1, Rule.OK)`` for a valid trace,
    otherwise the first failing step (``-1`` for the header) and its rule.
    Any bytes are answered (malformed framing is ``Rule.MALFORMED``); a
    non-contiguous buffer raises ``ValueError``, a non-buffer ``TypeError``.
    """
    return _verdict(*_native_check(data))


def check_traces(traces: Iterable[bytes | bytearray | memoryview]) -> list[Verdict]:
    """:func:`check_trace` for many traces with ONE release of the GIL, in order."""
    return [_verdict(*r) for r in _native_check_many(list(traces))]


def describe_failure(data: bytes, step: int, rule: Rule) -> str:
    """``"step 7 (DEBIT, status OK): LEAF_AFTER -- the leaf after is ..."``."""
    if step == HEADER_STEP:
        where = "the header"
    else:
        n_steps = int.from_bytes(data[8:12], "little")
        op = data[HEADER_SIZE + step]
        status = data[HEADER_SIZE + n_steps + step]
        op_name = Op(op).name if op in Op._value2member_map_ else f"op {op}"
        st_name = (
            StepStatus(status).name
            if status in StepStatus._value2member_map_
            else f"status {status}"
        )
        where = f"step {step} ({op_name}, status {st_name})"
    return f"{where}: {rule.name} -- {rule.text}"


def require_valid(data: bytes, trace_hash: str) -> None:
    """Raise :class:`ProofError` naming the first failing step, op and rule."""
    ok, step, rule = check_trace(data)
    if not ok:
        raise ProofError(
            f"trace {trace_hash[:16]}... breaks a constraint at {describe_failure(data, step, rule)}"
        )
