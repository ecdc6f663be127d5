"""The trace circuits at the production depth (20): every status satisfies its circuit,
and one Groth16 proof per tier verifies (development keys).  Slow: about a minute."""

from __future__ import annotations

import random

import pytest

from pouw.isa import Op
from pouw.node.executor import Executor
from pouw.node.intents import generate_intents
from pouw.node.state import AccountState
from pouw.prover import Groth16Prover
from pouw.prover.circuits.inputs import intents_of, macro_values, micro_values, steps_of
from pouw.prover.circuits.macro import build_macro
from pouw.prover.circuits.micro import build_micro
from pouw.prover.circuits.tiers import circuit_for
from pouw.trace import ExecutionTrace
from pouw.zk.groth16.generator import setup
from spec_traces import SPEC_PROGRAMS, SpecVM

pytestmark = pytest.mark.slow
DEPTH = 20


def _spec_vm() -> SpecVM:
    vm = SpecVM(depth=DEPTH, hash="poseidon")
    vm.put(1, 0)
    vm.put(2, 10**12)
    vm.put(3, (1 << 64) - 1 - 10)
    vm.put(4, 50_000)
    vm.put(6, 10**9, nonce=(1 << 64) - 1)
    vm.put(900_000, 7)  # far from the others: paths that share only the root
    return vm


def test_every_status_satisfies_the_circuits_at_depth_20() -> None:
    micro, macro = build_micro(DEPTH), build_macro(DEPTH)
    transfers = 0
    for programs in SPEC_PROGRAMS.values():
        trace = ExecutionTrace.from_bytes(_spec_vm().trace(programs))
        for i in range(trace.n_steps):
            values, _ = micro_values(trace, i)
            assert micro.first_violation(micro.witness(values)) is None
        for steps in intents_of(steps_of(trace)):
            if [s.op for s in steps[:4]] == [Op.NONCE, Op.FEE, Op.DEBIT, Op.CREDIT] and (
                len(steps) == 4 or steps[4].op in (Op.UNDO, Op.REFUND)
            ):
                values, _ = macro_values(steps, trace.coinbase)
                assert macro.first_violation(macro.witness(values)) is None
                transfers += 1
    assert transfers >= 12


def test_one_proof_per_tier_at_depth_20() -> None:
    state = AccountState.genesis(1000, depth=DEPTH, hash="poseidon")
    ex = Executor(coinbase=999_999)
    intents = list(generate_intents(3, 4, n_accounts=1000))
    single = ex.execute_intent_with_trace(intents[0], state)[1]
    batch = ex.execute_batch_with_trace(intents[1:], state)[1]
    for k, (tier, trace) in enumerate((("micro", single), ("macro", single), ("full", batch))):
        circuit = circuit_for(tier, DEPTH, 2)
        pk, _ = setup(circuit.compiled.r1cs, random.Random(k))
        prover = Groth16Prover(pk, circuit)
        proof = prover.prove(trace, tier=tier, job_id="ef" * 32)
        assert prover.verify(trace, proof, tier=tier, job_id="ef" * 32), tier
        assert not prover.verify(trace, proof, tier=tier, job_id=None), tier
