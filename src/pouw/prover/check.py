"""The native constraint check, and the error text of a trace that fails it.

The checking itself is the compiled kernel ``pouw._native.constraints`` (C,
without the GIL); this module only names what failed: the step, its op and
the rule of :class:`~pouw.prover.rules.Rule`.
"""

from __future__ import annotations

from .._native import missing_extension
from ..errors import ProofError
from ..isa import HEADER_SIZE, Op, StepStatus
from .rules import HEADER_STEP, Rule

try:
    from .._native.constraints import RULE_NAMES as _NATIVE_RULES
    from .._native.constraints import check_trace as _native_check
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("constraints", exc) from exc

__all__ = ["check_trace", "require_valid", "describe_failure"]

if tuple(r.name for r in Rule) != _NATIVE_RULES:  # pragma: no cover - a stale build
    raise ImportError(
        "pouw._native.constraints names rules differently from pouw.prover.rules.Rule; "
        "rebuild the extension (`make compile`)"
    )


def check_trace(data: bytes) -> tuple[bool, int, Rule]:
    """Check every constraint of the canonical trace ``data`` (native kernel).

    Returns ``(ok, step, rule)``: ``(True, -1, Rule.OK)`` for a valid trace,
    otherwise the first failing step (``-1`` for the header) and its rule.
    """
    ok, step, rule = _native_check(data)
    return ok, step, Rule(rule)


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
