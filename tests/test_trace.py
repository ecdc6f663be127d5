"""ExecutionTrace: canonical encoding, decoding of untrusted bytes, columns, concat."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from blake3 import blake3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pouw import isa
from pouw._native.trace import _isa_constants
from pouw.errors import TraceError
from pouw.trace import COLUMNS, ExecutionTrace

U64_MAX = (1 << 64) - 1


def random_columns(n: int, depth: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "op": rng.integers(1, 8, n, dtype=np.uint8),
        "status": rng.integers(0, 8, n, dtype=np.uint8),
        "account": rng.integers(0, 1 << min(depth, 32), n, dtype=np.uint64).astype(np.uint32),
        "arg0": rng.integers(0, U64_MAX, n, dtype=np.uint64, endpoint=True),
        "arg1": rng.integers(0, 8, n, dtype=np.uint64),
        "gas_left": rng.integers(0, 100000, n, dtype=np.uint64),
        "owner": rng.integers(0, 256, (n, 32), dtype=np.uint8),
        "balance_before": rng.integers(0, U64_MAX, n, dtype=np.uint64, endpoint=True),
        "nonce_before": rng.integers(0, 50, n, dtype=np.uint64),
        "balance_after": rng.integers(0, U64_MAX, n, dtype=np.uint64, endpoint=True),
        "nonce_after": rng.integers(0, 50, n, dtype=np.uint64),
        "path": rng.integers(0, 256, (n, depth, 32), dtype=np.uint8),
        "root_after": rng.integers(0, 256, (n, 32), dtype=np.uint8),
    }


def make_trace(n: int = 3, depth: int = 4, seed: int = 0, **header) -> ExecutionTrace:
    kw = dict(depth=depth, kind=1, coinbase=0, pre_root=bytes(range(32)), intent_id="ab" * 32)
    kw.update(header)
    return ExecutionTrace.from_columns(**kw, **random_columns(n, depth, seed))


def encode_reference(
    cols: dict, depth, kind, coinbase, pre_root, intent_id: bytes, hash_id: int = 0
) -> bytes:
    """The layout written out longhand with struct, independent of the kernel (version 2:
    u8 version, u8 hash id)."""
    n = len(cols["op"])
    head = struct.pack("<BBBBII", 2, hash_id, depth, kind, n, coinbase)
    out = [b"PWTR", head, pre_root, intent_id]
    fmt = {
        "op": "B",
        "status": "B",
        "account": "I",
        "arg0": "Q",
        "arg1": "Q",
        "gas_left": "Q",
        "balance_before": "Q",
        "nonce_before": "Q",
        "balance_after": "Q",
        "nonce_after": "Q",
    }
    for name in COLUMNS:
        if name in fmt:
            out.append(b"".join(struct.pack("<" + fmt[name], int(v)) for v in cols[name]))
        else:
            out.append(bytes(np.asarray(cols[name], dtype=np.uint8).tobytes()))
    return b"".join(out)


# -- constants ----------------------------------------------------------------


def test_isa_header_and_python_agree():
    c = _isa_constants()
    assert c["ops"] == [int(op) for op in isa.Op]
    assert c["statuses"] == [int(s) for s in isa.StepStatus]
    for name in (
        "INTRINSIC_GAS",
        "DEBIT_GAS",
        "CREDIT_GAS",
        "TRACE_MAGIC",
        "TRACE_VERSION",
        "HEADER_SIZE",
        "MAX_STEPS",
        "MIN_DEPTH",
        "MAX_DEPTH",
        "DEFAULT_DEPTH",
        "TRACE_KIND_INTENT",
        "TRACE_KIND_BATCH",
        "STEP_FIXED",
        "INTENT_DOMAIN",
    ):
        assert c[name] == getattr(isa, name), name
    head = isa.encode_program(0, 0, 0, 0, ())
    assert c["PROGRAM_HEAD"] == len(head)
    assert c["BODY_OP_SIZE"] == len(isa.encode_program(0, 0, 0, 0, [(3, 0, 0)])) - len(head)
    assert c["step_size"] == [isa.step_size(d) for d in range(1, 33)]
    widths = [1, 1, 4, 8, 8, 8, 32, 8, 8, 8, 8, 32 * 20, 32]
    assert c["col_widths"] == widths and sum(widths) == isa.step_size(20) == 766


def test_id_encodings():
    body = [(isa.Op.DEBIT, 5, 100), (isa.Op.CREDIT, 9, 100)]
    pre = b"pouw.intent.v1" + struct.pack("<IQQQI", 5, 3, 50000, 2, 2)
    pre += struct.pack("<BIQ", 3, 5, 100) + struct.pack("<BIQ", 4, 9, 100)
    assert isa.intent_id(5, 3, 50000, 2, body) == blake3(pre).hexdigest()
    ids = [isa.intent_id(5, n, 50000, 2, body) for n in range(3)]
    raw = b"".join(bytes.fromhex(i) for i in ids)
    assert isa.batch_id(ids) == blake3(b"pouw.batch.v1" + raw).hexdigest()
    with pytest.raises(ValueError):
        isa.batch_id([])
    with pytest.raises(ValueError):
        isa.intent_id(1 << 32, 0, 0, 0, body)


# -- round trip -----------------------------------------------------------------


@pytest.mark.parametrize(("n", "depth"), [(1, 1), (3, 4), (10, 20), (2, 32)])
def test_round_trip_and_columns(n, depth):
    cols = random_columns(n, depth, seed=n)
    iid = bytes(range(32, 64))
    t = ExecutionTrace.from_columns(
        depth=depth, kind=2, coinbase=1, pre_root=b"\x05" * 32, intent_id=iid, **cols
    )
    data = t.to_bytes()
    assert data == encode_reference(cols, depth, 2, 1, b"\x05" * 32, iid)
    assert len(data) == isa.trace_size(n, depth)
    for src in (data, bytearray(data), memoryview(data)):
        u = ExecutionTrace.from_bytes(src)
        assert u == t and hash(u) == hash(t) and u.to_bytes() == data
    u = ExecutionTrace.from_bytes(bytearray(data))
    assert type(u.to_bytes()) is bytes
    assert (u.depth, u.kind, u.coinbase, u.n_steps, len(u)) == (depth, 2, 1, n, n)
    assert u.pre_root == b"\x05" * 32 and u.intent_id == iid.hex()
    assert u.post_root == bytes(cols["root_after"][-1])
    assert u.trace_hash == blake3(data).hexdigest()
    for name in COLUMNS:
        got = getattr(u, name)
        assert np.array_equal(got, cols[name]), name
        assert not got.flags.writeable
        assert np.array_equal(u.column(name), got)
    assert u.path.shape == (n, depth, 32) and u.owner.shape == (n, 32)


def test_columns_are_views_and_immutable():
    t = make_trace()
    with pytest.raises(ValueError):
        t.arg0[0] = 1
    assert t.op is t.op  # cached
    assert set(t.columns()) == set(COLUMNS)
    with pytest.raises(KeyError):
        t.column("nope")


def test_equality_is_by_bytes():
    a, b = make_trace(seed=1), make_trace(seed=1)
    c = make_trace(seed=2)
    assert a == b and a != c and a != a.to_bytes()
    import pickle

    assert pickle.loads(pickle.dumps(a)) == a


# -- from_columns rejects ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("depth", 0),
        ("depth", 33),
        ("kind", 3),
        ("coinbase", 16),
        ("pre_root", b"x"),
        ("intent_id", "zz" * 32),
        ("intent_id", b"\x00" * 31),
        ("op", np.zeros(2, np.uint8)),  # wrong length
        ("arg0", np.array([-1, 0, 0])),  # negative
        ("account", np.array([1 << 32, 0, 0], dtype=np.uint64)),  # does not fit u32
        ("op", np.array([1.0, 2.0, 3.0])),  # not integers
        ("path", np.zeros((3, 5, 32), np.uint8)),  # wrong depth
        ("owner", np.zeros((3, 31), np.uint8)),
    ],
)
def test_from_columns_rejects(field, value):
    kw = dict(depth=4, kind=1, coinbase=0, pre_root=bytes(32), intent_id="00" * 32)
    kw.update(random_columns(3, 4))
    kw[field] = value
    if field == "op" and len(value) == 2:
        kw["status"] = np.zeros(2, np.uint8)
    with pytest.raises(TraceError):
        ExecutionTrace.from_columns(**kw)


# -- decoding untrusted bytes -------------------------------------------------------


def patched(data: bytes, offset: int, raw: bytes) -> bytes:
    return data[:offset] + raw + data[offset + len(raw) :]


def test_rejects_before_allocation():
    t = make_trace(n=3, depth=4)
    good = t.to_bytes()
    cases = {
        "truncated header": good[:79],
        "empty": b"",
        "truncated": good[:-1],
        "trailing": good + b"\x00",
        "magic": patched(good, 0, b"PWTX"),
        "version 3": patched(good, 4, b"\x03"),
        "version 0": patched(good, 4, b"\x00"),
        "hash id 2": patched(good, 5, b"\x02"),
        "version 1 with a hash id": patched(good, 4, b"\x01\x01"),
        "depth 0": patched(good, 6, b"\x00"),
        "depth 33": patched(good, 6, b"\x21"),
        "depth changed": patched(good, 6, b"\x05"),
        "kind 0": patched(good, 7, b"\x00"),
        "kind 3": patched(good, 7, b"\x03"),
        "n_steps 0": patched(good, 8, struct.pack("<I", 0)),
        "n_steps huge": patched(good, 8, struct.pack("<I", 0xFFFFFFFF)),
        "n_steps over max": patched(good, 8, struct.pack("<I", (1 << 20) + 1)),
        "n_steps changed": patched(good, 8, struct.pack("<I", 2)),
        "coinbase": patched(good, 12, struct.pack("<I", 16)),
    }
    for what, data in cases.items():
        with pytest.raises(TraceError):
            ExecutionTrace.from_bytes(data)
            pytest.fail(what)
    # the reject twin of each: the untouched encoding decodes
    assert ExecutionTrace.from_bytes(good) == t


def test_huge_claimed_length_is_rejected_cheaply():
    # a header claiming 2^20 steps at depth 32 (1.2 GB) with no body: rejected from the header
    hdr = b"PWTR" + struct.pack("<HBBII", 1, 32, 2, 1 << 20, 0) + bytes(64)
    with pytest.raises(TraceError, match="truncated"):
        ExecutionTrace.from_bytes(hdr)


def test_non_buffer_and_strided_inputs():
    good = make_trace().to_bytes()
    with pytest.raises(TypeError):
        ExecutionTrace.from_bytes("PWTR")
    with pytest.raises(TypeError):
        ExecutionTrace.from_bytes(None)
    strided = memoryview(good + good)[::2]
    with pytest.raises(TraceError):
        ExecutionTrace.from_bytes(strided)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_never_crash(data):
    try:
        t = ExecutionTrace.from_bytes(data)
    except TraceError:
        return
    assert t.to_bytes() == data


_GOOD = make_trace(n=2, depth=2).to_bytes()


@settings(max_examples=400)
@given(
    st.lists(st.tuples(st.integers(0, len(_GOOD) - 1), st.integers(0, 255)), max_size=6),
    st.integers(-3, 3),
)
def test_mutated_encodings_decode_or_raise(edits, resize):
    data = bytearray(_GOOD)
    for pos, val in edits:
        data[pos] = val
    if resize > 0:
        data += bytes(resize)
    elif resize < 0:
        del data[resize:]
    try:
        t = ExecutionTrace.from_bytes(bytes(data))
    except TraceError:
        return
    assert t.to_bytes() == bytes(data) and len(t.to_bytes()) == isa.trace_size(t.n_steps, t.depth)
    for name in COLUMNS:
        getattr(t, name)


# -- intent ids and concat -------------------------------------------------------------


def intent_columns(sender, nonce, gas_limit, gas_price, body, depth=4, seed=0, paid=True):
    """A syntactically whole intent (NONCE, FEE, body, then REFUND, REWARD if ``paid``,
    as when NONCE or FEE fails if not) with filler leaves."""
    tail = 2 if paid else 0
    ops = [1, 2] + [op for op, _, _ in body] + [6, 7][:tail]
    n = len(ops)
    cols = random_columns(n, depth, seed)
    cols["op"] = np.array(ops, np.uint8)
    accounts = [sender, sender] + [a for _, a, _ in body] + [sender, 0][:tail]
    cols["account"] = np.array(accounts, np.uint32)
    cols["arg0"] = np.array([nonce, gas_limit] + [v for _, _, v in body] + [0, 0][:tail], np.uint64)
    cols["arg1"] = np.array([0, gas_price] + [0] * (len(body) + tail), np.uint64)
    return cols


def test_intent_ids_recomputed_from_steps():
    body = [(3, 2, 10), (4, 5, 10)]
    cols = intent_columns(2, 7, 50000, 3, body)
    t = ExecutionTrace.from_columns(
        depth=4, kind=1, coinbase=0, pre_root=bytes(32), intent_id="00" * 32, **cols
    )
    assert t.intent_ids() == [isa.intent_id(2, 7, 50000, 3, body)]
    cols["op"] = cols["op"][::-1].copy()  # not a sequence of whole intents
    bad = ExecutionTrace.from_columns(
        depth=4, kind=1, coinbase=0, pre_root=bytes(32), intent_id="00" * 32, **cols
    )
    with pytest.raises(TraceError):
        bad.intent_ids()


def test_concat_chains_roots_and_ids():
    parts, pre = [], bytes(32)
    ids = []
    for k in range(3):
        body = [(3, k, 1 + k), (4, k + 1, 1 + k)]
        cols = intent_columns(k, k, 40000, 1, body, seed=k)
        iid = isa.intent_id(k, k, 40000, 1, body)
        ids.append(iid)
        t = ExecutionTrace.from_columns(
            depth=4, kind=1, coinbase=0, pre_root=pre, intent_id=iid, **cols
        )
        parts.append(t)
        pre = t.post_root
    batch = ExecutionTrace.concat(parts)
    assert batch.kind == 2 and batch.n_steps == sum(p.n_steps for p in parts)
    assert batch.pre_root == parts[0].pre_root and batch.post_root == parts[-1].post_root
    assert batch.intent_id == isa.batch_id(ids) and batch.intent_ids() == ids
    for name in COLUMNS:
        assert np.array_equal(
            getattr(batch, name), np.concatenate([getattr(p, name) for p in parts])
        ), name
    assert ExecutionTrace.concat([batch]) == batch  # a batch of a batch is itself
    # reject twins: broken chain, mixed depth, nothing
    with pytest.raises(TraceError, match="pre_root"):
        ExecutionTrace.concat([parts[0], parts[2]])
    with pytest.raises(TraceError):
        ExecutionTrace.concat([])
    with pytest.raises(TypeError):
        ExecutionTrace.concat([parts[0], b"x"])
    deeper = make_trace(depth=5, pre_root=parts[0].post_root)
    with pytest.raises(TraceError, match="depth"):
        ExecutionTrace.concat([parts[0], deeper])


def chained(specs, depth=4):
    """Kind-1 traces ``(coinbase, paid)`` each, chained root to root."""
    out, pre = [], bytes(32)
    for k, (coinbase, paid) in enumerate(specs):
        body = [(3, k, 1 + k), (4, k + 1, 1 + k)]
        cols = intent_columns(k, k, 40000, 1, body, depth=depth, seed=10 + k, paid=paid)
        t = ExecutionTrace.from_columns(
            depth=depth, kind=1, coinbase=coinbase, pre_root=pre, intent_id="00" * 32, **cols
        )
        out.append(t)
        pre = t.post_root
    return out


@pytest.mark.parametrize(
    ("specs", "coinbase"),
    [
        ([(5, True), (5, True)], 5),
        ([(0, False), (5, True), (0, False)], 5),  # an unpaid first part does not set it
        ([(5, True), (0, False)], 5),
        ([(0, False), (0, False)], 0),  # no REWARD anywhere: 0
        ([(0, False)], 0),
        ([(0, True), (0, False), (0, True)], 0),  # coinbase 0 that REWARD does use
    ],
)
def test_concat_coinbase_is_the_rewarded_one_or_zero(specs, coinbase):
    parts = chained(specs)
    batch = ExecutionTrace.concat(parts)
    assert batch.coinbase == coinbase
    assert batch.intent_ids() == [i for p in parts for i in p.intent_ids()]
    assert ExecutionTrace.concat([batch]) == batch


@pytest.mark.parametrize(
    ("specs", "match"),
    [
        ([(5, True), (6, True)], "coinbase 6"),  # REWARD to two coinbases
        ([(5, True), (0, False), (6, True)], "coinbase 6"),
        ([(0, True), (6, True)], "coinbase 6"),
        ([(3, False)], "no REWARD"),  # an unbound coinbase
        ([(5, True), (5, False)], "no REWARD"),  # even when it matches the paid one
        ([(0, False), (15, False)], "no REWARD"),
    ],
)
def test_concat_refuses_disagreeing_or_unbound_coinbase(specs, match):
    with pytest.raises(TraceError, match=match):
        ExecutionTrace.concat(chained(specs))


@pytest.mark.parametrize("n", [1, 2, 7, 40])  # both sides of the small-trace C hash threshold
def test_trace_hash_is_blake3_of_the_bytes(n):
    t = make_trace(n=n, depth=4, seed=n)
    assert t.trace_hash == blake3(t.to_bytes()).hexdigest()
    assert ExecutionTrace.from_bytes(t.to_bytes()).trace_hash == t.trace_hash


def test_trace_cannot_be_initialised_twice():
    from pouw.node import AccountState, Executor, generate_intents

    state = AccountState.genesis(8, 10**9, depth=4)
    intent = next(iter(generate_intents(1, seed=0, n_accounts=8)))
    _, trace = Executor().execute_intent_with_trace(intent, state)
    with pytest.raises(TypeError):
        trace.__init__(trace.to_bytes())
    blank = ExecutionTrace.__new__(ExecutionTrace)  # never initialised: safe to look at
    assert blank.nbytes == 0


# -- the kernel and its face ------------------------------------------------------


def test_the_kernel_raises_value_errors_the_face_trace_errors():
    from pouw._native import trace as kernel

    data = make_trace(n=3, depth=4, seed=3).to_bytes()
    for bad in (data[:-1], b"XXXX" + data[4:], b""):
        with pytest.raises(ValueError) as raw:
            kernel.ExecutionTrace.from_bytes(bad)
        assert type(raw.value) is ValueError  # no pouw layer below the face
        with pytest.raises(TraceError) as typed:
            ExecutionTrace.from_bytes(bad)
        assert typed.value.args == raw.value.args
        with pytest.raises(TraceError):
            ExecutionTrace(bad)
    with pytest.raises(TypeError):  # a wrong type stays a TypeError on both
        ExecutionTrace.from_bytes("PWTR")
    with pytest.raises(TraceError, match="depth"):
        ExecutionTrace.from_columns(
            depth=0, kind=1, coinbase=0, pre_root=bytes(32), intent_id=bytes(32),
            **random_columns(1, 1),
        )  # fmt: skip
    with pytest.raises(TraceError, match="at least one"):
        ExecutionTrace.concat([])


def test_the_face_is_the_kernel_class_plus_hashing():
    import pickle

    from pouw._native import trace as kernel

    t = make_trace(n=5, depth=4, seed=5)
    assert type(t) is ExecutionTrace and isinstance(t, kernel.ExecutionTrace)
    raw = kernel.ExecutionTrace.from_bytes(t.to_bytes())
    assert type(raw) is kernel.ExecutionTrace and raw == t and hash(raw) == hash(t)
    assert not hasattr(raw, "trace_hash") and not hasattr(raw, "intent_ids")  # no BLAKE3 below
    back = pickle.loads(pickle.dumps(t))
    assert type(back) is ExecutionTrace and back == t
    assert back.trace_hash == t.trace_hash == blake3(t.to_bytes()).hexdigest()
    with pytest.raises(TypeError):
        type("Sub", (ExecutionTrace,), {})


def test_kernel_preimages_hash_to_the_intent_ids():
    from pouw._native import trace as kernel

    body = [(3, 2, 10), (4, 5, 10)]
    cols = intent_columns(2, 7, 50000, 3, body)
    t = kernel.ExecutionTrace.from_columns(
        depth=4, kind=1, coinbase=0, pre_root=bytes(32), intent_id="00" * 32, **cols
    )
    program = isa.encode_program(2, 7, 50000, 3, body)
    assert t._intent_preimages() == [isa.INTENT_DOMAIN + program]
    seen = []

    def batch_id(preimages):
        seen.append(preimages)
        return b"\x42" * 32

    u = kernel.ExecutionTrace.from_columns(
        depth=4, kind=1, coinbase=0, pre_root=t.post_root, intent_id="00" * 32, **cols
    )
    batch = kernel.ExecutionTrace._concat([t, u], batch_id)
    assert seen == [[isa.INTENT_DOMAIN + program] * 2]
    assert batch.intent_id == "42" * 32 and batch.kind == isa.TRACE_KIND_BATCH
    with pytest.raises(TypeError, match="32 bytes"):
        kernel.ExecutionTrace._concat([t], lambda _: b"short")
