"""The names that users and later releases rely on (the issue's contracts)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import pouw
from pouw._native import NATIVE_MODULES


def test_top_level_names():
    from pouw import (  # noqa: F401
        DuplicateJob,
        InvalidTransition,
        JobNotFound,
        JobQueue,
        JobStatus,
        JobTier,
        PouwError,
        PoUwMode,
        ProofError,
        ProofJob,
        QueueClosed,
        QueueFull,
        QueueStats,
        TraceError,
    )

    for name in (
        "JobNotFound",
        "InvalidTransition",
        "DuplicateJob",
        "QueueFull",
        "QueueClosed",
        "TraceError",
        "ProofError",
        "ConfigError",
    ):
        assert issubclass(getattr(pouw, name), pouw.PouwError)
    assert pouw.PoUwMode.LOCAL.value == "local"


def test_queue_stats_fields():
    assert [f for f in pouw.QueueStats.__dataclass_fields__] == [
        "pending_count",
        "in_progress_count",
        "completed_count",
        "failed_count",
        "expired_count",
    ]


def test_store_protocol_is_separate_from_the_memory_backend():
    assert pouw.JobStore is not pouw.JobQueue
    assert isinstance(pouw.JobQueue(), pouw.JobStore)


def test_ring_buffer_is_the_compiled_class_naming_pouws_errors():
    from pouw._native.ring import RingBuffer as native
    from pouw.errors import QueueClosed, QueueFull
    from pouw.queue import RingBuffer

    # a subclass that only names the errors: every method is the extension's own
    # (no Python wrapper in between), and the instances carry no __dict__
    assert issubclass(RingBuffer, native) and RingBuffer.__slots__ == ()
    assert set(vars(RingBuffer)) <= {
        "__module__",
        "__doc__",
        "__slots__",
        "__init_subclass__",
        "__parameters__",
        "__orig_bases__",
        "__final__",
        "_closed_error",
        "_full_error",
    }
    assert (RingBuffer._closed_error, RingBuffer._full_error) == (QueueClosed, QueueFull)


def test_node_and_prover_names():
    from pouw.node import (  # noqa: F401
        Executor,
        Ledger,
        LedgerEntry,
        LedgerEntryMeta,
        NodeConfig,
        NodeContext,
        generate_intents,
    )
    from pouw.prover import (  # noqa: F401
        Groth16Prover,
        MockProver,
        Prover,
        TraceCircuit,
        prove_trace,
        verify,
    )
    from pouw.worker import LocalWorkerPool, run_worker  # noqa: F401

    assert "job_ids" in LedgerEntryMeta.__dataclass_fields__


@pytest.mark.parametrize("module", NATIVE_MODULES)
def test_every_native_module_has_a_stub(module):
    mod = importlib.import_module(f"pouw._native.{module}")
    assert Path(mod.__file__).with_name(f"{module}.pyi").exists()


def test_package_is_typed():
    assert (Path(pouw.__file__).parent / "py.typed").exists()


def test_native_modules_list_matches_the_sources():
    # every compiled extension is registered, so a missing one is reported by name
    native_dir = Path(importlib.import_module("pouw._native").__file__).parent
    built = {p.name.split(".")[0] for p in native_dir.glob("*.so")} | {
        p.name.split(".")[0] for p in native_dir.glob("*.pyd")
    }
    assert set(NATIVE_MODULES) == built


def test_zk_contract_names():
    from pouw.zk.curve import (  # noqa: F401
        G1_GENERATOR,
        G2_GENERATOR,
        G1Array,
        G2Array,
        decode_g1,
        decode_g2,
        encode_g1,
        encode_g2,
        g1_add,
        g1_msm,
        g1_mul,
        g2_msm,
        g2_mul,
    )
    from pouw.zk.field import FqArray, FrArray, Q, R  # noqa: F401
    from pouw.zk.ntt import coset_intt, coset_ntt, intt, ntt  # noqa: F401
    from pouw.zk.pairing import pairing, pairing_check  # noqa: F401

    assert pairing_check([]) is True
    # the package's attributes are the modules; the functions named like them live inside
    import pouw.zk

    assert pouw.zk.pairing.pairing_check is pairing_check and pouw.zk.pairing.pairing is pairing
    assert pouw.zk.ntt.ntt is ntt and pouw.zk.ntt.intt is intt
    assert pouw.zk.pairing_check is pairing_check and pouw.zk.intt is intt  # re-exported


def test_curve_offers_its_names_from_the_modules_that_define_them():
    """``pouw.zk.curve`` is the face of the curve: the point classes (``points``),
    the MSMs (``msm``) and the encodings (``curve_encoding``) are the same objects
    under their old path, and no name it offered before the split is lost."""
    from pouw.zk import curve, curve_encoding, field, msm, points

    encodings = [
        f"{op}_{g}{c}"
        for op in ("encode", "decode")
        for g in ("g1", "g2")
        for c in ("", "_compressed")
    ]
    assert set(curve.__all__) == {
        *("PointArray", "G1Array", "G2Array", "G1_GENERATOR", "G2_GENERATOR"),
        *("g1_add", "g1_neg", "g1_mul", "g1_is_on_curve"),
        *("g2_add", "g2_neg", "g2_mul", "g2_is_on_curve", "g2_is_in_subgroup"),
        *encodings,
        *("g1_msm", "g2_msm", "G1MSMContext", "G2MSMContext", "MSMContext", "msm_window"),
    }
    for module in (points, msm, curve_encoding):
        for name in module.__all__:  # points': the tuple types and scalars_to_limbs too
            assert getattr(curve, name) is getattr(module, name), name
    assert (curve.Q, curve.R) == (field.Q, field.R)  # importable from curve before the split


def test_groth16_contract_names():
    """The names issue 4 promises, with the parameters callers rely on."""
    import inspect

    from pouw.prover import Groth16Prover
    from pouw.prover.base import Prover
    from pouw.zk import ConstraintSystem  # noqa: F401
    from pouw.zk.formats import (  # noqa: F401
        proof_from_json,
        proof_to_json,
        public_from_json,
        public_to_json,
        read_r1cs,
        read_wtns,
        read_zkey,
        vk_from_json,
        vk_to_json,
    )
    from pouw.zk.groth16 import prove, setup, verify

    assert list(inspect.signature(setup).parameters)[:2] == ["circuit", "rng"]
    assert list(inspect.signature(prove).parameters)[:3] == ["pk", "witness", "rng"]
    assert list(inspect.signature(verify).parameters) == ["key", "public_inputs", "proof"]
    for reader in (read_r1cs, read_wtns, read_zkey):
        assert list(inspect.signature(reader).parameters)[0] == "path"
    assert all(hasattr(Groth16Prover, name) for name in dir(Prover) if not name.startswith("_"))


def test_remote_contract_names(tmp_path):
    from pouw.queue import JobStore
    from pouw.store import SqliteJobQueue

    store = SqliteJobQueue(tmp_path / "jobs.sqlite3")
    try:
        assert isinstance(store, JobStore)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["groth16", "prove"], "ZKEY WTNS PROOF_JSON PUBLIC_JSON"),
        (["groth16", "verify"], "VK_JSON PUBLIC_JSON PROOF_JSON"),
        (["groth16", "setup"], "R1CS ZKEY_OUT VK_JSON_OUT"),
        (["groth16", "solidity"], "VK_JSON OUT.sol"),
        (["token", "new"], "--worker ID --config CONFIG"),
        (["worker"], "--url URL [--token TOKEN] [--concurrency N]"),
        (["submit"], "--url URL --intents N"),
        (["jobs"], "--url URL [--json]"),
        (["node"], "[--listen [HOST:PORT]] [--db PATH] CONFIG"),
    ],
)
def test_cli_argument_order(argv, usage, capsys):
    """The CLI's positional order is snarkjs's and rapidsnark's (a drop-in)."""
    from pouw.cli import main

    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert usage in text


def test_issue_contract_names_of_the_house_and_poseidon():
    import inspect

    from pouw import QueueClosed, QueueFull
    from pouw.node import NodeContext
    from pouw.zk import gadgets, poseidon_batch
    from pouw.zk.poseidon import poseidon

    accept = inspect.signature(NodeContext.accept_proof).parameters
    assert list(accept)[:4] == ["self", "job_id", "worker", "proof"]
    assert all(p.default is None for p in list(accept.values())[4:])  # (issue 12: attempt)
    assert issubclass(QueueClosed, QueueFull)  # one release of compatibility
    for name, params in (
        ("poseidon", ["cs", "inputs"]),
        ("merkle_root", ["cs", "leaf", "index_bits", "siblings"]),
        ("merkle_update", ["cs", "old_leaf", "new_leaf", "index_bits", "siblings"]),
    ):
        fn = getattr(gadgets, name)
        assert list(inspect.signature(fn).parameters)[: len(params)] == params, name
    assert list(inspect.signature(poseidon).parameters) == ["inputs"]
    assert list(inspect.signature(poseidon_batch).parameters) == ["columns"]


def test_issue_contract_names_of_the_poseidon_state():
    """issue 10: one ``hash`` argument chooses the state hash everywhere (by keyword too)."""
    import inspect

    from pouw import merkle
    from pouw.isa import STATE_HASHES
    from pouw.node import AccountState, NodeConfig

    assert STATE_HASHES == ("blake3", "poseidon")
    owner, a, b = bytes(31) + b"\x01", bytes(32), bytes(31) + b"\x02"
    p_leaf = merkle.leaf_hash(owner, 1, 2, hash="poseidon")
    assert p_leaf != merkle.leaf_hash(owner, 1, 2, hash="blake3") == merkle.leaf_hash(owner, 1, 2)
    assert merkle.node_hash(a, b, hash="poseidon") != merkle.node_hash(a, b)
    assert merkle.empty_root(20, "poseidon") == merkle.empty_root(depth=20, hash="poseidon")
    assert merkle.empty_root(3) == merkle.zero_hashes(3)[3]
    assert list(inspect.signature(merkle.empty_root).parameters) == ["depth", "hash"]
    genesis = inspect.signature(AccountState.genesis).parameters
    assert genesis["hash"].default == "blake3"
    assert AccountState.genesis(4, depth=4, hash="poseidon").hash == "poseidon"
    assert NodeConfig.from_dict({"state": {"hash": "poseidon"}}).state_hash == "poseidon"
    assert [f for f in NodeConfig.__dataclass_fields__ if f == "state_hash"] == ["state_hash"]


def test_issue_contract_names_of_the_trace_circuits_and_keys():
    """issue 11: the statement's order, the tiers' circuits, the keys' CLI and config keys."""
    import inspect

    from pouw.cli import COMMANDS
    from pouw.cli import keys as keys_cli
    from pouw.node import NodeConfig
    from pouw.prover import keys
    from pouw.prover.circuits.statement import PUBLIC_NAMES
    from pouw.prover.circuits.tiers import TierCircuit, circuit_for
    from pouw.status import JobTier
    from pouw.zk.groth16.verifier import verify_batch

    assert PUBLIC_NAMES == ("pre_root", "post_root", "digest", "fee", "coinbase", "job")
    assert list(inspect.signature(circuit_for).parameters) == ["tier", "depth", "batch_size"]
    assert isinstance(circuit_for("macro", 2), TierCircuit)
    for name in ("setup_keys", "load_keys", "import_zkey", "export_r1cs", "key_path"):
        assert callable(getattr(keys, name)), name
    assert list(inspect.signature(verify_batch).parameters)[:2] == ["key", "items"]
    assert COMMANDS["keys"] == "keys"
    assert keys_cli.TIERS == ("micro", "macro", "full")
    parsed = NodeConfig.from_dict(
        {"pouw": {"tier": "micro", "batch_size": 16}, "prover": {"keys": "/k"}}
    )
    assert (parsed.tier, parsed.batch_size, str(parsed.keys_dir)) == (JobTier.MICRO, 16, "/k")


@pytest.mark.parametrize(
    "argv",
    [
        ["keys", "setup", "c.toml", "--tiers", "micro,macro,full"],
        ["keys", "export-r1cs", "c.toml", "--tier", "macro", "out.r1cs"],
        ["keys", "import", "c.toml", "--tier", "full", "k.zkey"],
        ["keys", "solidity", "c.toml", "--tier", "micro"],
        ["keys", "vkey", "c.toml", "--tier", "macro"],
    ],
)
def test_keys_cli_takes_the_issues_argument_order(argv):
    from pouw.cli import _build_parser

    args = _build_parser(argv).parse_args(argv)
    assert args.keys_command == argv[1] and args.config == "c.toml"


def test_issue_contract_names_of_the_node_in_groth16_mode():
    """issue 11: zk_mode = "groth16" through the node, the ledger, the workers and the CLI."""
    import inspect

    from pouw.node import NodeConfig
    from pouw.node.audit import LedgerAudit, verify_ledger
    from pouw.node.ledger import Ledger, LedgerEntryMeta, ProofPart
    from pouw.node.proving import job_units, node_prover
    from pouw.prover import Groth16Prover, keys
    from pouw.prover.batching import VerifyBatcher
    from pouw.queue import JobStore
    from pouw.remote.client import NodeClient
    from pouw.remote.worker import RemoteWorker
    from pouw.status import ZkMode

    c = NodeConfig.from_dict({"zk_mode": "groth16", "state": {"hash": "poseidon"}})
    assert c.zk_mode is ZkMode.GROTH16 and c.prover_threads == 0
    assert NodeConfig.from_dict({"prover": {"threads": 2}}).prover_threads == 2
    assert callable(node_prover) and callable(job_units) and callable(verify_ledger)
    assert list(ProofPart.__dataclass_fields__) == ["job_id", "proof", "public_inputs", "step"]
    assert {"job_ids", "parts", "zk_mode"} <= set(LedgerEntryMeta.__dataclass_fields__)
    for name in ("entries_for_job", "part_for_job", "entry_for_job", "attach_proof"):
        assert callable(getattr(Ledger, name)), name
    assert set(LedgerAudit().to_dict()) == {
        "entries",
        "proofs_verified",
        "unproven",
        "first_unproven",
        "clean",
        "bad_height",
        "reason",
    }
    assert "circuits" in inspect.signature(JobStore.claim_next).parameters
    assert "circuits" in inspect.signature(NodeClient.claim_next).parameters
    assert "provers" in inspect.signature(RemoteWorker).parameters
    assert callable(keys.provers_in) and callable(VerifyBatcher.verify)
    for name in ("verify_jobs", "public_inputs_job", "public_inputs", "prove_job", "verify_job"):
        assert callable(getattr(Groth16Prover, name)), name


@pytest.mark.parametrize(
    "argv, attrs",
    [
        (["ledger", "verify", "c.toml"], {"config": "c.toml", "json": False}),
        (["ledger", "verify", "c.toml", "--json", "--allow-unproven"], {"allow_unproven": True}),
        (["proof", "export", "c.toml", "ab" * 32, "-o", "out"], {"job_id": "ab" * 32}),
        (
            ["worker", "--url", "http://x", "--token", "t", "--keys", "k", "--threads", "2"],
            {"keys": "k", "threads": 2},
        ),
    ],
)
def test_ledger_proof_and_worker_cli_take_the_issues_arguments(argv, attrs):
    from pouw.cli import _build_parser

    args = _build_parser(argv).parse_args(argv)
    for name, value in attrs.items():
        assert getattr(args, name) == value, name


def test_issue_contract_names_of_the_postgres_store_so_far():
    """issue 12 (first parts): the store's name, the config keys, pouw serve."""
    import inspect

    from pouw.cli import COMMANDS, _build_parser
    from pouw.node import NodeConfig, NodeContext
    from pouw.queue import JobStore
    from pouw.store import PostgresJobQueue

    params = inspect.signature(PostgresJobQueue).parameters
    assert list(params)[0] == "url" and {"schema", "sequencer", "synchronous"} <= set(params)
    for name in (n for n in dir(JobStore) if not n.startswith("_")):
        assert hasattr(PostgresJobQueue, name), name  # the whole protocol
    c = NodeConfig.from_dict({"store": {"url": "postgresql://h/db", "schema": "s1"}})
    assert (c.store_url, c.store_schema, c.durable) == ("postgresql://h/db", "s1", True)
    assert "replica" in inspect.signature(NodeContext.from_config).parameters
    # "claim_next takes a batch size", in every store
    from pouw import JobQueue
    from pouw.store import SqliteJobQueue

    for cls in (JobStore, JobQueue, SqliteJobQueue, PostgresJobQueue):
        claim = inspect.signature(cls.claim_next).parameters
        assert claim["batch"].kind is inspect.Parameter.KEYWORD_ONLY, cls
        assert claim["batch"].default is None, cls
    # the optional extra the store needs, also in dev (CI runs its tests)
    from pathlib import Path

    import tomllib

    extras = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(d.startswith("psycopg[") for d in extras["postgres"])
    assert any(d.startswith("psycopg[") for d in extras["dev"])
    assert COMMANDS["serve"] == "node"
    args = _build_parser(["serve", "c.toml", "--listen", "127.0.0.1:0"]).parse_args(
        ["serve", "c.toml", "--listen", "127.0.0.1:0"]
    )
    assert (args.config, args.listen) == ("c.toml", "127.0.0.1:0")


def test_issue_contract_names_of_the_postgres_store_fencing_pool_notify():
    """issue 12: completions carry (job_id, attempt, worker); the pool size and
    notify on/off; the wake-up hint in every store."""
    import inspect

    from pouw import JobQueue
    from pouw.queue import JobStore
    from pouw.remote.client import NodeClient
    from pouw.store import PostgresJobQueue, SqliteJobQueue

    for cls in (JobStore, JobQueue, SqliteJobQueue, PostgresJobQueue):
        done = inspect.signature(cls.complete_by).parameters
        assert list(done)[:4] == ["self", "job_id", "worker_id", "proof"], cls
        assert done["attempt"].kind is inspect.Parameter.KEYWORD_ONLY, cls
        assert done["attempt"].default is None, cls
        assert callable(cls.on_new_jobs), cls
    params = inspect.signature(PostgresJobQueue).parameters
    assert params["pool_size"].default >= 1 and params["notify"].default is True
    assert "attempt" in inspect.signature(NodeClient.submit).parameters
    # liveness: the worker heartbeat and the workers table's last-seen, in every store
    for cls in (JobStore, JobQueue, SqliteJobQueue, PostgresJobQueue):
        beat = inspect.signature(cls.worker_heartbeat).parameters
        assert list(beat)[1:] == ["worker_id", "lease_ms"], cls
        assert callable(cls.workers_seen) and callable(cls.lapse_leases), cls
    assert callable(NodeClient.worker_heartbeat)
    # the batch enqueue (one transaction per batch), in every store
    for cls in (JobStore, JobQueue, SqliteJobQueue, PostgresJobQueue):
        many = inspect.signature(cls.enqueue_many).parameters
        assert list(many)[:2] == ["self", "jobs"], cls
        assert many["local"].kind is inspect.Parameter.KEYWORD_ONLY, cls
        assert many["local"].default is False, cls
    from pouw.node import NodeConfig

    c = NodeConfig.from_dict(
        {
            "store": {"url": "postgresql://h/db", "pool_size": 3, "notify": False, "vacuum": False},
            "server": {"claim_poll_ms": 250},
        }
    )
    assert (c.store_pool_size, c.store_notify, c.claim_poll_ms) == (3, False, 250)
    assert NodeConfig().store_vacuum is True and c.store_vacuum is False
    assert inspect.signature(PostgresJobQueue).parameters["vacuum"].default is True
    assert callable(PostgresJobQueue.vacuum_hot)


def test_issue_contract_names_of_fee_priority_with_aging():
    """issue 12: priority by fee with aging in every store, FIFO available."""
    import inspect

    from pouw import JobQueue
    from pouw.node import NodeConfig
    from pouw.queue import priority
    from pouw.store import PostgresJobQueue, SqliteJobQueue

    assert priority.PRIORITIES == ("fifo", "fee")
    for cls in (JobQueue, SqliteJobQueue, PostgresJobQueue):
        params = inspect.signature(cls).parameters
        assert params["priority"].default == "fee", cls
        assert params["aging_ms"].default == 30_000, cls
    c = NodeConfig.from_dict({"queue": {"priority": "fifo", "aging_ms": 500}})
    assert (c.queue_priority, c.queue_aging_ms) == ("fifo", 500)


def test_issue_contract_names_of_capability_routing():
    """issue 12: a worker declares tiers, zk modes, circuits, device and job sizes;
    claims return only matching jobs; pouw worker gains the flags."""
    import dataclasses
    import inspect

    from pouw import JobQueue
    from pouw.cli import _build_parser
    from pouw.queue import JobStore
    from pouw.queue.capabilities import DEVICES, ZK_MODES, Capabilities
    from pouw.remote.worker import RemoteWorker
    from pouw.store import PostgresJobQueue, SqliteJobQueue

    assert [f.name for f in dataclasses.fields(Capabilities)] == [
        "tiers", "zk_modes", "circuits", "device", "min_units", "max_units",
    ]  # fmt: skip
    assert DEVICES == ("cpu", "gpu") and ZK_MODES == ("mock", "groth16")
    for cls in (JobStore, JobQueue, SqliteJobQueue, PostgresJobQueue):
        claim = inspect.signature(cls.claim_next).parameters
        assert claim["can"].kind is inspect.Parameter.KEYWORD_ONLY and claim["can"].default is None
        assert callable(cls.worker_devices), cls
    assert "can" in inspect.signature(RemoteWorker).parameters
    argv = ["worker", "--url", "u", "--token", "t", "--tiers", "macro", "--zk-modes", "mock",
            "--device", "gpu", "--min-units", "4", "--max-units", "9"]  # fmt: skip
    args = _build_parser(argv).parse_args(argv)
    assert (args.tiers, args.zk_modes, args.device, args.min_units, args.max_units) == (
        "macro", "mock", "gpu", 4, 9,
    )  # fmt: skip


def test_issue_contract_names_of_history_and_analytics():
    """issue 12: timestamps on every job, latency percentiles per tier and worker
    from every store, pouw jobs stats [--json], GET /pouw/stats."""
    import dataclasses
    import inspect

    from pouw import JobQueue
    from pouw.cli import _build_parser
    from pouw.queue import JobStore
    from pouw.queue.analytics import HISTORY_FIELDS, PERCENTILES, ProofTimes
    from pouw.queue.base import JobRecord
    from pouw.store import PostgresJobQueue, SqliteJobQueue

    assert PERCENTILES == (50, 95, 99)
    assert [f.name for f in dataclasses.fields(ProofTimes)] == [
        "proved_at_ms", "submitted_at_ms", "verified_at_ms",
    ]  # fmt: skip
    for name in ("enqueued_at_ms", "claimed_at_ms", "proved_at_ms", "submitted_at_ms",
                 "verified_at_ms", "finished_at_ms"):  # fmt: skip
        assert name in HISTORY_FIELDS
    for name in ("started_at_ms", "proved_at_ms", "submitted_at_ms", "verified_at_ms",
                 "finished_at_ms"):  # fmt: skip
        assert name in JobRecord.__slots__
    for cls in (JobStore, JobQueue, SqliteJobQueue, PostgresJobQueue):
        assert list(inspect.signature(cls.latency_stats).parameters)[1:] == [
            "since_ms", "until_ms",
        ], cls  # fmt: skip
        assert "times" in inspect.signature(cls.complete_by).parameters, cls
        assert "times" in inspect.signature(cls.mark_completed).parameters, cls
    argv = ["jobs", "stats", "--url", "u", "--json", "--window", "60"]
    args = _build_parser(argv).parse_args(argv)
    assert (args.what, args.json, args.window) == ("stats", True, 60)
