"""The Poseidon state: its tree, the owner rule, the VM and traces on it, the node in
every mode (issue 10, "The Poseidon state").

Independent checks: light-poseidon (another implementation of circomlib's Poseidon)
for the worked example of docs/vm-and-trace.md, and the pure-Python oracles
(``pouw._reference.merkle`` / ``vm``, on the textbook Poseidon rounds) for the tree
and the VM byte for byte. The checker's tampering tests on both hashes are in
tests/native/test_constraints.py.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace

import numpy as np
import pytest

from pouw import merkle
from pouw._native import field as native_field
from pouw._reference import merkle as ref_merkle
from pouw._reference import vm as ref_vm
from pouw.errors import ConfigError, TraceError
from pouw.node import NodeConfig, NodeContext, generate_intents
from pouw.node.executor import Executor
from pouw.node.state import Account, AccountState, genesis_owner
from pouw.prover.check import check_trace
from pouw.trace import ExecutionTrace

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
DEPTH = 8  # the oracle's Poseidon is Python: small trees
N_ACCOUNTS = 16

# docs/vm-and-trace.md, "State": the worked example
EMPTY_ROOT_20 = "2134e76ac5d21aab186c2be1dd8f84ee880a1e46eaf712f9d371b6df22191f3e"
TWO_ACCOUNT_ROOT_20 = "19aa1a576c24a54119819751abc9666eb5ffdd4e54f8768dbbcf21ebddb2c748"


def fe(x: int) -> bytes:
    return x.to_bytes(32, "big")


def light_hash(inputs: list[int]) -> int:
    try:
        import light_poseidon_python as lp
    except ImportError as exc:  # the dev extra installs it
        pytest.skip(f"light-poseidon is not installed: {exc}")
    return int(lp.poseidon_hash_bytes([fe(x) for x in inputs]), 16)


# -- the tree ---------------------------------------------------------------------


def test_worked_example_is_light_poseidons():
    """The empty root and a two-account root at depth 20, recomputed with light-poseidon."""
    z = [0]
    for _ in range(20):
        z.append(light_hash([z[-1], z[-1]]))
    assert merkle.zero_hashes(20, "poseidon") == [fe(x) for x in z]
    assert merkle.empty_root(20, "poseidon").hex() == EMPTY_ROOT_20 == f"{z[20]:064x}"
    h = light_hash([light_hash([1, 1000, 0]), light_hash([2, 2000, 1])])
    for level in range(1, 20):
        h = light_hash([h, z[level]])
    state = AccountState(20, "poseidon")
    state.set(0, Account(fe(1), 1000, 0))
    state.set(1, Account(fe(2), 2000, 1))
    assert state.root.hex() == TWO_ACCOUNT_ROOT_20 == f"{h:064x}"
    # the twin: one balance more is another root
    state.set(1, Account(fe(2), 2001, 1))
    assert state.root.hex() != TWO_ACCOUNT_ROOT_20


def test_hashes_name_their_state_hash_and_blake3_is_unchanged():
    owner = fe(5)
    assert merkle.leaf_hash(owner, 7, 1) == merkle.leaf_hash(owner, 7, 1, "blake3")
    assert merkle.leaf_hash(owner, 7, 1, "poseidon") == fe(light_hash([5, 7, 1]))
    assert merkle.node_hash(fe(1), fe(2), "poseidon") == fe(light_hash([1, 2]))
    for h in ("blake3", "poseidon"):
        assert merkle.leaf_hash(bytes(32), 0, 0, h) == bytes(32)  # the empty leaf
        assert merkle.hasher(h).name == h
    assert merkle.leaf_hash(owner, 7, 1, "poseidon") != merkle.leaf_hash(owner, 7, 1)
    assert merkle.STATE_HASHES == ("blake3", "poseidon") and merkle.DEFAULT_HASH == "blake3"
    for bad in ("sha256", "", None, 1, "POSEIDON"):
        with pytest.raises(ValueError, match="hash must be one of"):
            merkle.hasher(bad)
        if bad is not None:  # None is the default (BLAKE3) in the kernel's functions
            with pytest.raises(ValueError, match="hash must be one of"):
                merkle.leaf_hash(owner, 1, 1, bad)
            with pytest.raises(ValueError):
                AccountState(4, bad)


def test_values_that_are_not_field_elements_are_refused_never_reduced():
    for big in (fe(R), fe(R + 1), b"\xff" * 32):
        with pytest.raises(ValueError, match="field element"):
            merkle.leaf_hash(big, 1, 1, "poseidon")
        with pytest.raises(ValueError, match="field element"):
            merkle.node_hash(big, fe(1), "poseidon")
        with pytest.raises(ValueError, match="field element"):
            merkle.node_hash(fe(1), big, "poseidon")
        with pytest.raises(ValueError, match="field element"):
            merkle.fold_path(fe(1), 0, big + fe(0), 2, "poseidon")
        tree = merkle.SparseMerkleTree(4, "poseidon")
        with pytest.raises(ValueError, match="field element"):
            tree.set_leaf(3, big)
        assert tree.root == merkle.empty_root(4, "poseidon")  # unchanged
        # the twin: under BLAKE3 any 32 bytes are a hash
        merkle.leaf_hash(big, 1, 1)
        merkle.node_hash(big, fe(1))
    assert merkle.leaf_hash(fe(R - 1), 1, 1, "poseidon") == fe(light_hash([R - 1, 1, 1]))


def test_tree_equals_the_oracle():
    rng = random.Random(7)
    tree = merkle.SparseMerkleTree(DEPTH, "poseidon")
    oracle = ref_merkle.SparseMerkleTree(DEPTH, "poseidon")
    assert tree.root == oracle.root and tree.hasher.name == "poseidon"
    for k in range(60):
        index = rng.randrange(1 << DEPTH)
        leaf = bytes(32) if k % 7 == 0 else fe(rng.randrange(R))
        assert tree.update_leaf(index, leaf) == oracle.update_leaf(index, leaf)
        assert tree.path(index) == oracle.path(index)
    assert tree.node_count == oracle.node_count
    copy = tree.copy()
    assert copy.root == tree.root and copy.hasher.name == "poseidon"
    leaves = b"".join(fe(rng.randrange(R)) for _ in range(37))
    tree.set_leaves(100, leaves)
    oracle.set_leaves(100, leaves)
    assert tree.root == oracle.root
    assert copy.root != tree.root  # independent
    # folds, one and many, against the oracle
    idx = [rng.randrange(1 << DEPTH) for _ in range(20)]
    lv = [tree.get_leaf_hash(i) for i in idx]
    paths = [tree.path(i) for i in idx]
    for i, leaf, path in zip(idx, lv, paths, strict=True):
        assert merkle.fold_path(leaf, i, path, DEPTH, "poseidon") == tree.root
        assert ref_merkle.fold_path(leaf, i, path, DEPTH, "poseidon") == tree.root
    roots = merkle._k.fold_many(
        b"".join(lv), np.array(idx, dtype=np.uint32), b"".join(paths), DEPTH, "poseidon"
    )
    assert roots == tree.root * len(idx)


# -- the owner rule and the state ----------------------------------------------------


def test_owner_rule():
    state = AccountState(DEPTH, "poseidon")
    for owner in (fe(R), fe(R + 5), b"\xff" * 32):
        with pytest.raises(ValueError, match="below r"):
            state.set(3, Account(owner, 10, 0))
        with pytest.raises(ValueError, match="below r"):
            state.table.set_range(0, fe(1) + owner, 10)
    assert len(state) == 0 and state.root == merkle.empty_root(DEPTH, "poseidon")
    state.set(3, Account(fe(R - 1), 10, 0))  # the largest owner allowed
    assert state.get(3) == Account(fe(R - 1), 10, 0)
    # under BLAKE3 the same owners are fine
    AccountState(DEPTH).set(3, Account(b"\xff" * 32, 10, 0))


def test_genesis_owners_are_field_elements_and_blake3_genesis_is_unchanged():
    g = AccountState.genesis(40, 10**9, depth=DEPTH, hash="poseidon")
    assert g.hash == "poseidon" and "poseidon" in repr(g)
    for i in range(40):
        owner = g.get(i).owner
        assert int.from_bytes(owner, "big") < 1 << 253
        assert owner[1:] == genesis_owner(0, i)[1:]
    b = AccountState.genesis(40, 10**9, depth=DEPTH)
    assert b.hash == "blake3" and b.get(0).owner == genesis_owner(0, 0)
    assert any(int.from_bytes(b.get(i).owner, "big") >= R for i in range(40))
    # a genesis is the accounts set one by one (set_range hashes the leaves in batches)
    one_by_one = AccountState(DEPTH, "poseidon")
    for i in range(40):
        one_by_one.set(i, g.get(i))
    assert one_by_one.root == g.root
    assert g.copy().root == g.root and g.copy().hash == "poseidon"


# -- the VM and its traces -----------------------------------------------------------


def oracle_state(hash: str) -> ref_vm.AccountTable:
    t = ref_vm.AccountTable(DEPTH, hash)
    owners = b"".join(genesis_owner(0, i, hash) for i in range(N_ACCOUNTS))
    t.set_range(0, owners, 10**12)
    return t


@pytest.mark.parametrize("hash", ["blake3", "poseidon"])
def test_executor_equals_the_oracle_byte_for_byte(hash):
    state = AccountState.genesis(N_ACCOUNTS, depth=DEPTH, hash=hash)
    oracle = oracle_state(hash)
    assert state.root == oracle.root
    ex, seen = Executor(coinbase=2), set()
    for t in generate_intents(40, seed=3, n_accounts=N_ACCOUNTS):
        res, trace = ex.execute_intent_with_trace(t, state)
        data, _, raw = ref_vm.execute(oracle, 2, t.program, 1, bytes.fromhex(t.intent_id), 1)
        assert trace.to_bytes() == data
        assert (
            trace.hash == hash
            and trace.version == 2
            and data[5] == ("blake3", "poseidon").index(hash)
        )
        assert res.post_root == state.root == oracle.root == raw[0][4]
        assert check_trace(data) == (True, -1, 0)
        seen.add(res.status)
    assert len(seen) >= 3


def test_batch_and_no_trace_runs_agree_on_poseidon():
    intents = list(generate_intents(30, seed=4, n_accounts=N_ACCOUNTS))

    def genesis():
        return AccountState.genesis(N_ACCOUNTS, depth=DEPTH, hash="poseidon")

    a, b, c = genesis(), genesis(), genesis()
    ex = Executor(coinbase=1)
    singles = [ex.execute_intent_with_trace(t, a) for t in intents]
    results, batch = ex.execute_batch_with_trace(intents, b)
    assert batch == ExecutionTrace.concat([tr for _, tr in singles])
    assert batch.hash == "poseidon" and results == [r for r, _ in singles]
    assert ex.execute_batch(intents, c) == results
    assert a.root == b.root == c.root == batch.post_root
    assert check_trace(batch.to_bytes()) == (True, -1, 0)
    oracle = oracle_state("poseidon")
    data, _, _ = ref_vm.execute(
        oracle,
        1,
        b"".join(t.program for t in intents),
        len(intents),
        bytes.fromhex(batch.intent_id),
        2,
    )
    assert data == batch.to_bytes()


def test_traces_of_two_hashes_do_not_mix():
    t = next(iter(generate_intents(1, seed=1, n_accounts=N_ACCOUNTS)))
    traces = []
    for h in ("blake3", "poseidon"):
        st = AccountState.genesis(N_ACCOUNTS, depth=DEPTH, hash=h)
        traces.append(Executor().execute_intent_with_trace(t, st)[1])
    with pytest.raises(TraceError, match="state hash"):
        ExecutionTrace.concat(traces)
    # a Poseidon trace relabelled BLAKE3 (or the reverse) fails the Merkle rule
    for trace in traces:
        data = bytearray(trace.to_bytes())
        data[5] ^= 1
        ok, step, rule = check_trace(bytes(data))
        assert not ok and step == 0


def test_version_1_traces_still_decode_and_verify():
    st = AccountState.genesis(N_ACCOUNTS, depth=DEPTH)
    t = next(iter(generate_intents(1, seed=2, n_accounts=N_ACCOUNTS)))
    v2 = Executor().execute_intent_with_trace(t, st)[1].to_bytes()
    v1 = v2[:4] + b"\x01\x00" + v2[6:]
    trace = ExecutionTrace.from_bytes(v1)
    assert trace.version == 1 and trace.hash == "blake3" and trace.to_bytes() == v1
    assert check_trace(v1) == (True, -1, 0)
    for bad in (v2[:4] + b"\x01\x01" + v2[6:], v2[:4] + b"\x03\x00" + v2[6:]):
        with pytest.raises(TraceError, match="version"):
            ExecutionTrace.from_bytes(bad)


# -- config, node, CLI -------------------------------------------------------------------


def test_config_state_hash():
    assert NodeConfig().state_hash == "blake3"
    assert NodeConfig.from_dict({"state": {"hash": "poseidon"}}).state_hash == "poseidon"
    for bad in ("sha256", 1, "", "Poseidon"):
        with pytest.raises(ConfigError, match=r"^state\.hash: "):
            NodeConfig.from_dict({"state": {"hash": bad}})
    shipped = NodeConfig.from_toml("config/pouw-local-poseidon.toml")
    assert shipped.state_hash == "poseidon" and shipped.pouw_mode.value == "local"


@pytest.mark.parametrize("mode", ["disabled", "local", "remote"])
def test_node_runs_on_the_poseidon_state_in_every_mode(mode):
    data = {
        "pouw_mode": mode,
        "workers": {"count": 1},
        "state": {"hash": "poseidon", "accounts": 32, "depth": 12},
    }
    ctx = NodeContext.from_config(NodeConfig.from_dict(data))
    try:
        assert ctx.state.hash == "poseidon"
        ctx.submit_intents(generate_intents(25, seed=6, n_accounts=32))
        ctx.process_all()
        ctx.wait_for_local_jobs(60)
        summary = ctx.summary()
        assert summary["state_hash"] == "poseidon"
        assert summary["state_root"] == ctx.state.root.hex()
        if mode == "local":
            assert summary["jobs"]["completed"] == 25 and summary["proofs_verified"] == 25
        if mode == "remote":  # a remote worker's mock proof of a Poseidon trace is accepted
            job_id = ctx.ledger.entries[0].meta.job_ids[0]
            rec = ctx.job_queue.claim(job_id, "w", 1000)
            assert ExecutionTrace.from_bytes(rec.job.trace_data).hash == "poseidon"
            accepted = ctx.accept_proof(job_id, "w", ctx.prover.prove_job(rec.job))
            assert accepted.result.value == "completed"
    finally:
        ctx.close()
    # the same intents on BLAKE3 reach another root
    blake = NodeContext.from_config(
        NodeConfig.from_dict({**data, "state": {**data["state"], "hash": "blake3"}})
    )
    try:
        blake.submit_intents(generate_intents(25, seed=6, n_accounts=32))
        blake.process_all()
        blake.wait_for_local_jobs(60)
        assert blake.summary()["state_hash"] == "blake3"
        assert blake.summary()["state_root"] != summary["state_root"]
    finally:
        blake.close()


def test_cli_reports_the_state_hash(tmp_path):
    from tests.test_cli import CONFIG, pouw_cmd

    r = pouw_cmd("node", str(CONFIG / "pouw-local-poseidon.toml"), "--intents", "20", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["state_hash"] == "poseidon" and report["jobs"]["completed"] == 20
    r = pouw_cmd("node", str(CONFIG / "pouw-local-poseidon.toml"), "--intents", "5")
    assert r.returncode == 0 and "(poseidon tree)" in r.stdout
    r = pouw_cmd("node", str(CONFIG / "pouw-local.toml"), "--intents", "5", "--json")
    assert json.loads(r.stdout)["state_hash"] == "blake3"
    bad = tmp_path / "bad.toml"
    bad.write_text('[state]\nhash = "sha3"\n')
    r = pouw_cmd("node", str(bad))
    assert r.returncode == 2 and "state.hash" in r.stderr and "Traceback" not in r.stderr


def test_intent_fields_and_transfers_are_the_same_on_both_hashes():
    """The hash changes roots and paths, never what an intent does."""
    intents = list(generate_intents(20, seed=9, n_accounts=N_ACCOUNTS))
    out = {}
    for h in ("blake3", "poseidon"):
        st = AccountState.genesis(N_ACCOUNTS, depth=DEPTH, hash=h)
        res = [Executor().execute_intent(t, st) for t in intents]
        out[h] = [replace(r, pre_root=b"", post_root=b"") for r in res]
    assert out["blake3"] == out["poseidon"]


# -- the deferred Merkle work, on every kernel and across its chunks -------------------


KERNELS = [("simd", lv) for lv in merkle._k.simd_levels()]
KERNELS += [("field", b) for b in native_field.backends()]
_ROOTS: dict[str, bytes] = {}  # the root each hash reaches, on the first kernel tried


@pytest.fixture(params=KERNELS, ids=lambda k: f"{k[0]}-{k[1]}")
def kernel(request):
    """Force one BLAKE3 lane kernel or one field backend (Poseidon) for the test."""
    what, name = request.param
    get, put = (
        (merkle._k.simd_level, merkle._k._set_simd_level)
        if what == "simd"
        else (native_field.backend, native_field._set_backend)
    )
    before = get()
    put(name)
    yield request.param
    put(before)


@pytest.mark.parametrize("hash", ["blake3", "poseidon"])
def test_every_kernel_writes_the_same_traces(kernel, hash):
    """The VM hashes a batch's writes level by level in chunks (16 steps on BLAKE3,
    1024 on Poseidon), in SIMD lanes or IFMA lanes; a batch of 200 transfers (1200+
    steps: several chunks of either size) must equal its intents run one by one,
    whatever the kernel, and the roots of every kernel must agree."""
    intents = list(generate_intents(200, seed=21, n_accounts=N_ACCOUNTS))
    ex = Executor(coinbase=3)
    one = AccountState.genesis(N_ACCOUNTS, depth=4, hash=hash)
    singles = [ex.execute_intent_with_trace(t, one)[1] for t in intents]
    many = AccountState.genesis(N_ACCOUNTS, depth=4, hash=hash)
    _, batch = ex.execute_batch_with_trace(intents, many)
    assert batch.n_steps > 1024 + 16
    assert batch == ExecutionTrace.concat(singles) and many.root == one.root
    assert check_trace(batch.to_bytes()) == (True, -1, 0)
    _ROOTS.setdefault(hash, one.root)
    assert one.root == _ROOTS[hash]  # the same on every kernel


def test_a_big_batch_then_single_intents_on_one_table():
    """The step log is kept between calls up to 2^16 steps and dropped after a bigger
    batch; a table used for both goes on exactly like one that ran every intent alone."""
    intents = list(generate_intents(12_500, seed=22, n_accounts=N_ACCOUNTS))
    head, tail = intents[:12_000], intents[12_000:]
    ex = Executor()
    mixed = AccountState.genesis(N_ACCOUNTS, depth=DEPTH)
    results, batch = ex.execute_batch_with_trace(head, mixed)
    assert batch.n_steps > 1 << 16
    alone = AccountState.genesis(N_ACCOUNTS, depth=DEPTH)
    assert [ex.execute_intent(t, alone) for t in head] == results
    for t in tail:
        assert ex.execute_intent_with_trace(t, mixed) == ex.execute_intent_with_trace(t, alone)
    assert mixed.root == alone.root


def test_a_store_made_on_one_state_hash_is_refused_on_the_other(tmp_path):
    from pouw.errors import PouwError

    def node(hash: str) -> NodeContext:
        data = {
            "pouw_mode": "remote",
            "state": {"hash": hash, "accounts": 32, "depth": 8},
            "store": {"path": str(tmp_path / "node.sqlite3")},
        }
        return NodeContext.from_config(NodeConfig.from_dict(data))

    ctx = node("blake3")
    ctx.submit_intents(generate_intents(5, seed=1, n_accounts=32))
    ctx.process_all()
    ctx.close()
    with pytest.raises(PouwError, match="state.hash"):
        node("poseidon")
    node("blake3").close()  # the twin: the same hash reopens it
