"""The executor: run intents on the account state and record their execution traces.

The work happens in the compiled kernel ``pouw._native.vm`` (the GIL is
released while it runs), which writes the canonical trace bytes directly
(docs/vm-and-trace.md). A failed intent is a recorded result, never an
exception: its trace shows the failing step, and the state keeps only what FEE
did (nonce + 1 and the fee, when FEE itself succeeded). Exceptions are for
intents that cannot be programs at all (a field out of range, an account
outside the tree), raised as ValueError before the state is touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .._native import missing_extension
from ..isa import TRACE_KIND_BATCH, TRACE_KIND_INTENT, batch_id
from ..trace import ExecutionTrace
from .intents import Intent
from .state import AccountState

try:
    from .._native import vm as _vm
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("vm", exc) from exc

__all__ = ["IntentStatus", "GasSummary", "ExecutionResult", "Executor"]


class IntentStatus(str, Enum):
    """How an intent ended: ``ok`` or the status of its first failing step."""

    OK = "ok"
    BAD_NONCE = "bad_nonce"
    INTRINSIC_GAS = "intrinsic_gas"
    CANNOT_PAY_FEE = "cannot_pay_fee"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    OUT_OF_GAS = "out_of_gas"
    OVERFLOW = "overflow"


# index = pouw.isa.StepStatus code (SKIPPED, 7, is never an intent's status)
_BY_CODE = tuple(IntentStatus)


@dataclass(frozen=True, slots=True)
class GasSummary:
    """Gas of one intent: ``gas_used`` is 0 when FEE failed; ``fee_charged = gas_used * gas_price``."""

    gas_limit: int
    gas_used: int
    gas_price: int
    fee_charged: int


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """The outcome of one intent: its id, status, gas, the state roots around it and its step count."""

    intent_id: str
    status: IntentStatus
    gas_summary: GasSummary
    pre_root: bytes
    post_root: bytes
    n_steps: int

    @property
    def succeeded(self) -> bool:
        return self.status is IntentStatus.OK

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (roots as hex)."""
        g = self.gas_summary
        return {
            "intent_id": self.intent_id,
            "status": self.status.value,
            "gas_limit": g.gas_limit,
            "gas_used": g.gas_used,
            "gas_price": g.gas_price,
            "fee_charged": g.fee_charged,
            "pre_root": self.pre_root.hex(),
            "post_root": self.post_root.hex(),
            "n_steps": self.n_steps,
        }


class Executor:
    """Runs intents; REWARD credits the ``coinbase`` account.

    Parameters
    ----------
    coinbase : int
        The account index that receives fees; it must fit the state's tree.
    """

    __slots__ = ("coinbase",)

    def __init__(self, coinbase: int = 0) -> None:
        if type(coinbase) is not int or not 0 <= coinbase < (1 << 32):
            raise ValueError(f"coinbase must be an account index (u32), got {coinbase!r}")
        self.coinbase = coinbase

    def execute_intent_with_trace(
        self, intent: Intent, state: AccountState
    ) -> tuple[ExecutionResult, ExecutionTrace]:
        """Execute one intent on ``state`` (mutated); return its result and its kind-1 trace."""
        program, iid = intent.program, intent.intent_id
        data, pre, raw = _vm.execute(
            state.table, self.coinbase, program, 1, bytes.fromhex(iid), TRACE_KIND_INTENT, True
        )
        assert data is not None
        return _result(intent, iid, pre, raw[0]), ExecutionTrace.from_bytes(data)

    def execute_intent(self, intent: Intent, state: AccountState) -> ExecutionResult:
        """Like :meth:`execute_intent_with_trace` without recording the trace (same state change)."""
        program, iid = intent.program, intent.intent_id
        _, pre, raw = _vm.execute(
            state.table, self.coinbase, program, 1, bytes.fromhex(iid), TRACE_KIND_INTENT, False
        )
        return _result(intent, iid, pre, raw[0])

    def execute_batch_with_trace(
        self, intents: Iterable[Intent], state: AccountState
    ) -> tuple[list[ExecutionResult], ExecutionTrace]:
        """Execute intents in order; one kind-2 trace whose id is their batch id.

        A batch is limited by the trace's MAX_STEPS (2^20): up to 149,796 transfers
        (7 steps at most each); a larger one raises ValueError before anything runs.
        """
        intents = list(intents)
        if not intents:
            raise ValueError("a batch holds at least one intent")
        ids = [i.intent_id for i in intents]
        header = bytes.fromhex(batch_id(ids))
        results, data = self._run(intents, ids, state, header, True)
        assert data is not None
        return results, ExecutionTrace.from_bytes(data)

    def execute_batch(
        self, intents: Iterable[Intent], state: AccountState
    ) -> list[ExecutionResult]:
        """Like :meth:`execute_batch_with_trace` without recording the trace."""
        intents = list(intents)
        if not intents:
            return []
        ids = [i.intent_id for i in intents]
        return self._run(intents, ids, state, bytes(32), False)[0]

    def _run(
        self,
        intents: Sequence[Intent],
        ids: list[str],
        state: AccountState,
        header: bytes,
        with_trace: bool,
    ) -> tuple[list[ExecutionResult], bytes | None]:
        programs = b"".join([i.program for i in intents])
        data, pre, raw = _vm.execute(
            state.table, self.coinbase, programs, len(intents), header, TRACE_KIND_BATCH, with_trace
        )
        results = []
        for intent, iid, r in zip(intents, ids, raw, strict=True):
            results.append(_result(intent, iid, pre, r))
            pre = r[4]
        return results, data

    def __repr__(self) -> str:
        return f"Executor(coinbase={self.coinbase})"


def _result(
    intent: Intent, iid: str, pre: bytes, raw: tuple[int, int, int, int, bytes]
) -> ExecutionResult:
    code, n_steps, gas_used, fee, post = raw
    gas = GasSummary(intent.gas_limit, gas_used, intent.gas_price, fee)
    return ExecutionResult(iid, _BY_CODE[code], gas, pre, post, n_steps)
