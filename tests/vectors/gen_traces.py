"""traces.json: VM executions and their traces, expected values from
pouw._reference (the plain-Python VM and constraint checker) and the blake3 package."""

from __future__ import annotations

import struct

from blake3 import blake3
from gen_common import GENERATOR, REGEN, VERSION, agree, dec, reject

DEPTH, N_ACCOUNTS, BALANCE, SEED, COINBASE = 3, 4, 1_000_000, 0, 5
U64_MAX = (1 << 64) - 1
STATUS = ["ok", "bad_nonce", "intrinsic_gas", "cannot_pay_fee", "insufficient_balance"]
STATUS += ["out_of_gas", "overflow", "skipped"]
OPS = ["", "NONCE", "FEE", "DEBIT", "CREDIT", "UNDO", "REFUND", "REWARD"]
TIERS = {"micro": 1, "macro": 2, "full": 3}
JOBS = [("micro", 0), ("macro", 12345), ("full", U64_MAX)]
#: (column, bytes a step) in the order of the encoding (docs/vm-and-trace.md)
COLUMNS = [("op", 1), ("status", 1), ("account", 4), ("arg0", 8), ("arg1", 8), ("gas_left", 8)]
COLUMNS += [("owner", 32), ("balance_before", 8), ("nonce_before", 8), ("balance_after", 8)]
COLUMNS += [("nonce_after", 8), ("path", 32 * DEPTH), ("root_after", 32)]

#: name, transfers (sender, recipient, amount, nonce, gas_limit, gas_price), and
#: {account: nonce} set on the genesis before they run
CASES: list[tuple[str, list[tuple[int, ...]], dict[int, int]]] = [
    ("transfer ok", [(0, 1, 1000, 0, 50_000, 1)], {}),
    ("transfer to oneself ok", [(2, 2, 500, 0, 50_000, 3)], {}),
    ("gas price 0 ok: no fee, the coinbase leaf stays empty", [(1, 3, 7, 0, 40_000, 0)], {}),
    ("bad nonce", [(0, 1, 1000, 5, 50_000, 1)], {}),
    ("intrinsic gas: gas_limit 20999", [(0, 1, 1000, 0, 20_999, 1)], {}),
    ("cannot pay fee: gas_limit * gas_price above the balance", [(0, 1, 1, 0, 50_000, 21)], {}),
    ("cannot pay fee: gas_limit * gas_price overflows u64", [(0, 1, 1, 0, 50_000, 1 << 63)], {}),
    ("cannot pay fee: nonce 2^64-1 cannot advance", [(3, 0, 1, U64_MAX, 50_000, 1)], {3: U64_MAX}),
    ("insufficient balance: the DEBIT fails after FEE", [(1, 0, 999_000, 0, 50_000, 1)], {}),
    ("out of gas: no gas for the CREDIT, the DEBIT undone", [(0, 2, 10, 0, 26_000, 2)], {}),
    (
        "batch of three: ok, ok (the same sender's next nonce), bad nonce",
        [(0, 1, 100, 0, 50_000, 1), (0, 2, 200, 1, 50_000, 2), (1, 2, 5, 9, 50_000, 1)],
        {},
    ),
]


def genesis_owner(i: int) -> bytes:
    return blake3(b"pouw.genesis.v1" + struct.pack("<QI", SEED, i)).digest()


def program(t: tuple[int, ...]) -> bytes:
    """A transfer as the VM reads it: header, then DEBIT(sender) and CREDIT(recipient)."""
    s, r, amount, nonce, gas_limit, gas_price = t
    ops = struct.pack("<BIQ", 3, s, amount) + struct.pack("<BIQ", 4, r, amount)
    return struct.pack("<IQQQI", s, nonce, gas_limit, gas_price, 2) + ops


def ref_genesis(overrides: dict[int, int]):
    from pouw._reference import vm as ref

    table = ref.AccountTable(DEPTH)
    for i in range(N_ACCOUNTS):
        table.set(i, genesis_owner(i), BALANCE, overrides.get(i, 0))
    return table


def offset(n_steps: int, column: str, step: int, byte: int = 0) -> int:
    """Where byte ``byte`` of ``column`` of ``step`` is in a trace of ``n_steps`` steps."""
    at = 80
    for name, size in COLUMNS:
        if name == column:
            return at + step * size + byte
        at += n_steps * size
    raise KeyError(column)


def steps(data: bytes) -> list[list]:
    n = int.from_bytes(data[8:12], "little")
    cols = {}
    for name, size in COLUMNS[:6]:
        at = offset(n, name, 0)
        cols[name] = [
            int.from_bytes(data[at + i * size : at + (i + 1) * size], "little") for i in range(n)
        ]
    return [
        [OPS[cols["op"][i]], STATUS[cols["status"][i]], cols["account"][i]]
        + [dec(cols[c][i]) for c in ("arg0", "arg1", "gas_left")]
        for i in range(n)
    ]


def execution(name: str, transfers: list[tuple[int, ...]], overrides: dict[int, int]) -> dict:
    from pouw._reference import constraints as ref_check
    from pouw._reference import vm as ref

    ids = [blake3(b"pouw.intent.v1" + program(t)).digest() for t in transfers]
    kind, head = (
        (1, ids[0]) if len(ids) == 1 else (2, blake3(b"pouw.batch.v1" + b"".join(ids)).digest())
    )
    progs = b"".join(program(t) for t in transfers)
    data, pre, results = ref.execute(ref_genesis(overrides), COINBASE, progs, len(ids), head, kind)
    assert ref_check.check_trace(data) == (True, -1, 0), name
    th = blake3(data).hexdigest()
    jobs = [
        {
            "tier": tier,
            "fee_budget": dec(fee),
            "job_id": blake3(
                b"pouw.job.v1\x00"
                + bytes.fromhex(th)
                + bytes([TIERS[tier]])
                + head
                + fee.to_bytes(8, "little")
            ).hexdigest(),
        }
        for tier, fee in JOBS
    ]
    intents, root = [], pre
    for t, iid, (code, n_steps, used, fee, post) in zip(transfers, ids, results, strict=True):
        fields = dict(zip(("sender", "recipient"), t[:2], strict=True))
        fields.update(
            (k, dec(x))
            for k, x in zip(("amount", "nonce", "gas_limit", "gas_price"), t[2:], strict=True)
        )
        intents.append(
            {
                **fields,
                "program": program(t).hex(),
                "intent_id": iid.hex(),
                "status": STATUS[code],
                "n_steps": n_steps,
                "gas_used": dec(used),
                "fee_charged": dec(fee),
                "pre_root": root.hex(),
                "post_root": post.hex(),
            }
        )
        root = post
    return {
        "name": name,
        "op": "execute",
        "overrides": {str(k): {"nonce": dec(n)} for k, n in overrides.items()},
        "intents": intents,
        "kind": kind,
        "trace_intent_id": head.hex(),
        "pre_root": pre.hex(),
        "post_root": root.hex(),
        "steps": steps(data),
        "trace": data.hex(),
        "trace_hash": th,
        "jobs": jobs,
    }


def frame() -> bytes:
    """A well-framed trace (depth 1, kind 1, one step, coinbase 0) of arbitrary columns."""
    head = b"PWTR" + struct.pack("<BBBBII", 2, 0, 1, 1, 1, 0) + bytes(range(32)) + bytes(32)
    step = struct.pack("<BBIQQQ", 4, 0, 1, 10, 0, 0) + bytes(range(32, 64))
    return head + step + struct.pack("<QQQQ", 5, 0, 15, 0) + bytes(32) + bytes(range(64, 96))


def malformed(raw: bytes) -> list[tuple[str, bytes]]:
    def patch(at: int, new: bytes) -> bytes:
        return raw[:at] + new + raw[at + len(new) :]

    return [
        ("shorter than the 80-byte header", raw[:79]),
        ("magic is not PWTR", patch(0, b"PWTX")),
        ("version 3", patch(4, b"\x03")),
        ("version 0", patch(4, b"\x00")),
        ("state hash id 2 (there are two: 0 BLAKE3, 1 Poseidon)", patch(5, b"\x02")),
        ("version 1 with a hash id (version 1 traces are BLAKE3)", patch(4, b"\x01\x01")),
        ("depth 0", patch(6, b"\x00")),
        ("depth 33", patch(6, b"\x21")),
        ("kind 0", patch(7, b"\x00")),
        ("kind 3", patch(7, b"\x03")),
        ("n_steps 0", patch(8, struct.pack("<I", 0))),
        ("n_steps 2^20 + 1, above MAX_STEPS", patch(8, struct.pack("<I", (1 << 20) + 1))),
        ("n_steps 2 with the bytes of one step", patch(8, struct.pack("<I", 2))),
        ("coinbase 2, not below 2^depth", patch(12, struct.pack("<I", 2))),
        ("one byte short", raw[:-1]),
        ("one trailing byte", raw + b"\x00"),
    ]


def trace_vectors() -> list[dict]:
    from pouw._reference import constraints as ref_check
    from pouw.prover.rules import Rule

    out = [execution(*case) for case in CASES]
    base = out[0]
    data = bytes.fromhex(base["trace"])
    n = len(base["steps"])
    for why, at in [
        ("the status of step 0 (NONCE)", offset(n, "status", 0)),
        ("the gas_left of step 1 (FEE)", offset(n, "gas_left", 1)),
        ("the balance_after of step 2 (DEBIT)", offset(n, "balance_after", 2)),
        ("a byte of a sibling hash in step 3's path", offset(n, "path", 3, 37)),
        ("the root_after of step 5 (REWARD)", offset(n, "root_after", 5, 31)),
        ("a byte of the header's pre_root", 16),
        ("a byte of the header's intent_id", 55),
    ]:
        bad = bytearray(data)
        bad[at] ^= 1
        ok, step, rule = ref_check.check_trace(bytes(bad))
        assert not ok, why
        out.append(
            {
                "name": f"tampered: {why} XOR 1",
                "op": "check",
                "base": base["name"],
                "offset": at,
                "xor": 1,
                "valid": False,
                "step": step,
                "rule": Rule(rule).name,
            }
        )
    raw = frame()
    ok, step, rule = ref_check.check_trace(raw)
    out.append(
        {
            "name": "decodes: well framed (depth 1, one step), not a valid execution",
            "op": "decode",
            "trace": raw.hex(),
            "valid": ok,
            "step": step,
            "rule": Rule(rule).name,
        }
    )
    for why, bad in malformed(raw):
        assert ref_check.check_trace(bad) == (False, -1, int(Rule.MALFORMED)), why
        out.append(
            {
                "name": f"decode rejects: {why}",
                "op": "decode",
                "trace": bad.hex(),
                **reject(why, "TraceError"),
            }
        )
    for v in out:  # pouw must agree before anything is written
        agree(v, pouw_trace(v, out))
    return out


def pouw_trace(v: dict, vectors: list[dict]) -> object:
    """Check one vector against pouw (native VM, decoder, checker, job ids); its
    expected value (None for these vectors) or ``{"reject": ...}``."""
    from pouw.errors import TraceError
    from pouw.job import compute_job_id
    from pouw.node.executor import Executor
    from pouw.node.intents import Transfer
    from pouw.node.state import Account, AccountState
    from pouw.prover.check import check_trace
    from pouw.trace import ExecutionTrace

    name = v["name"]
    if v["op"] == "execute":
        state = AccountState.genesis(N_ACCOUNTS, BALANCE, SEED, DEPTH)
        for i, o in v["overrides"].items():
            a = state.get(int(i))
            state.set(int(i), Account(a.owner, a.balance, int(o["nonce"])))
        keys = ("sender", "recipient", "amount", "nonce", "gas_limit", "gas_price")
        intents = [Transfer(*(int(i[k]) for k in keys)) for i in v["intents"]]
        ex = Executor(COINBASE)
        if v["kind"] == 1:
            res, trace = ex.execute_intent_with_trace(intents[0], state)
            results = [res]
        else:
            results, trace = ex.execute_batch_with_trace(intents, state)
        assert trace.to_bytes().hex() == v["trace"], f"{name}: pouw's trace bytes differ"
        got = (trace.trace_hash, trace.intent_id, trace.pre_root.hex(), trace.post_root.hex())
        assert got == (v["trace_hash"], v["trace_intent_id"], v["pre_root"], v["post_root"]), name
        for res, want in zip(results, v["intents"], strict=True):
            d = res.to_dict()
            d.update(gas_used=dec(d["gas_used"]), fee_charged=dec(d["fee_charged"]))
            for key in (
                "intent_id",
                "status",
                "n_steps",
                "gas_used",
                "fee_charged",
                "pre_root",
                "post_root",
            ):
                assert d[key] == want[key], f"{name}: {key} is {d[key]!r}, expected {want[key]!r}"
        for job in v["jobs"]:
            jid = compute_job_id(
                v["trace_hash"], job["tier"], v["trace_intent_id"], int(job["fee_budget"])
            )
            assert jid == job["job_id"], name
        assert check_trace(trace.to_bytes())[0], name
        return None
    if v["op"] == "check":
        base = next(b for b in vectors if b["name"] == v["base"])
        raw = bytearray.fromhex(base["trace"])
        raw[v["offset"]] ^= v["xor"]
        ExecutionTrace.from_bytes(bytes(raw))  # the framing is intact
        ok, step, rule = check_trace(bytes(raw))
        assert (ok, step, rule.name) == (v["valid"], v["step"], v["rule"]), name
        return None
    try:
        ExecutionTrace.from_bytes(bytes.fromhex(v["trace"]))
    except TraceError as exc:
        return {"reject": type(exc).__name__}
    ok, step, rule = check_trace(bytes.fromhex(v["trace"]))
    assert (ok, step, rule.name) == (v["valid"], v["step"], v["rule"]), name
    return None


def traces_doc() -> dict:
    return {
        "description": (
            "Executions of pouw's VM (docs/vm-and-trace.md) from the genesis stated below, with "
            "the canonical trace bytes they produce; then traces that the constraint check or "
            "decoding must reject. An 'execute' case starts from the genesis (with its "
            "overrides) and runs its intents, transfers, in order: one intent gives a kind-1 "
            "trace whose header id is the intent id; several give one kind-2 trace whose "
            "header id is the batch id. Each gives every intent's fields, program bytes, id, "
            "status, gas and roots; the trace bytes, their hash, the steps in short, and the "
            "job ids for three (tier, fee_budget). Statuses: ok, bad_nonce, intrinsic_gas, "
            "cannot_pay_fee (three ways), insufficient_balance, out_of_gas. No case has "
            "'overflow': a transfer cannot reach it while the total supply stays below 2^63 "
            "(its CREDIT adds what its DEBIT took). A 'check' case flips one byte of a valid "
            "trace: the framing still decodes, and the constraint check names the first "
            "failing step (-1: the header) and rule (pouw.prover.rules.Rule). The 'decode' "
            "cases: a well-framed trace that decodes (but is no valid execution), then "
            "framings that decoding must reject."
        ),
        "format": {
            "genesis": (
                "accounts 0 .. n_accounts-1 hold (owner, balance, nonce 0), owner i = "
                "BLAKE3('pouw.genesis.v1' || seed u64 LE || i u32 LE); every other slot of "
                "the depth-'depth' tree is empty; REWARD credits account 'coinbase'"
            ),
            "overrides": "{account index: {'nonce': n}} set on the genesis before the case runs",
            "u64 values": "decimal strings: amount, nonce, gas and fees, arg0, arg1, gas_left",
            "small integers": "JSON numbers: accounts, n_steps, kind, offset, xor, step (-1: the header)",
            "bytes": "lowercase hex without 0x: program, ids, roots, hashes, trace",
            "program": (
                "sender u32 || nonce u64 || gas_limit u64 || gas_price u64 || n_body u32 || "
                "(op u8 || account u32 || arg0 u64) per body op, little-endian; a transfer's "
                "body is DEBIT (3) of the sender, CREDIT (4) of the recipient, arg0 = amount"
            ),
            "intent_id": "BLAKE3('pouw.intent.v1' || program)",
            "trace_intent_id": (
                "the id in the trace header: the intent's, or the batch's, "
                "BLAKE3('pouw.batch.v1' || the 32-byte intent ids in order)"
            ),
            "trace": (
                "the canonical trace (docs/vm-and-trace.md, 'Trace encoding'): an "
                "80-byte header (version 2: u8 version, u8 state hash id), then the columns, "
                "little-endian, 126 + 32*depth bytes a step"
            ),
            "trace_hash": "BLAKE3(trace)",
            "steps": "[op, status, account, arg0, arg1, gas_left] for each step of the trace",
            "jobs": (
                "job_id = BLAKE3('pouw.job.v1' || 0x00 || trace_hash (32 bytes) || tier u8 "
                "(micro 1, macro 2, full 3) || trace_intent_id (32 bytes) || fee_budget u64 LE)"
            ),
            "check": "the trace of the case named 'base' with byte 'offset' XORed with 'xor'",
            "valid, step, rule": "what the constraint check answers for the trace",
            "reject": "when decoding must fail: why",
            "pouw_error": "the exception pouw raises for it",
        },
        "genesis": {
            "depth": DEPTH,
            "n_accounts": N_ACCOUNTS,
            "balance": dec(BALANCE),
            "seed": dec(SEED),
            "coinbase": COINBASE,
            "owners": [genesis_owner(i).hex() for i in range(N_ACCOUNTS)],
            "root": ref_genesis({}).root.hex(),
        },
        "source": (
            f"{GENERATOR} (gen_traces.py): the owners, programs, intent, batch and job ids "
            "and trace hashes are computed with struct and the blake3 package from the rules "
            "above; the executions with pouw._reference.vm (a plain-Python VM written from "
            "docs/vm-and-trace.md, its Merkle tree pouw._reference.merkle) and every check "
            "answer with pouw._reference.constraints. pouw's Executor (the native VM), "
            "ExecutionTrace, compute_job_id and the native constraint check are asserted to "
            f"agree before the file is written. Regenerate: {REGEN}"
        ),
        "version": VERSION,
        "vectors": trace_vectors(),
    }
