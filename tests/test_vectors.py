"""pouw against the self-describing vectors of tests/vectors/ (fields, curves, traces).

The files' expected values come from independent implementations (Python ints,
py_ecc, the blake3 package, pouw._reference; see each file's "source" and
tests/vectors/README.md). Here every vector is checked against pouw itself, the
field and curve ones on every field backend, every rejection case with the
exact exception type; and the generator is rerun in memory to show the files
are what it writes (all of fields.json and traces.json, curves.json but its
slow py_ecc pairings).
"""

from __future__ import annotations

import importlib.util
import json
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from pouw._native import field as native_field
from pouw.errors import CurveError, TraceError
from pouw.job import ProofJob, compute_job_id
from pouw.node.executor import Executor
from pouw.node.intents import Transfer
from pouw.node.state import Account, AccountState
from pouw.prover.check import check_trace
from pouw.trace import ExecutionTrace
from pouw.zk import curve as C
from pouw.zk import field as F
from pouw.zk.pairing import G2Prepared, pairing, pairing_check

VECTORS = Path(__file__).parent / "vectors"
FILES = ("fields.json", "curves.json", "traces.json")
ERRORS = {
    "CurveError": CurveError,
    "TraceError": TraceError,
    "ValueError": ValueError,
    "ZeroDivisionError": ZeroDivisionError,
}
MAX_FILE_BYTES = 80_000


@cache
def load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


def vectors(name: str, *ops: str) -> list[dict]:
    return [v for v in load(name)["vectors"] if not ops or v["op"] in ops]


def by_name(vs: list[dict]) -> dict[str, Any]:
    return {"argvalues": vs, "ids": [v["name"] for v in vs]}


@pytest.fixture(params=native_field.backends())
def backend(request):
    before = native_field.backend()
    native_field._set_backend(request.param)
    yield request.param
    native_field._set_backend(before)


def rejects(v: dict):
    """pytest.raises for a rejection vector; the exact type is checked after."""
    return pytest.raises(ERRORS[v["pouw_error"]])


def exact(info, v: dict) -> None:
    assert info.type is ERRORS[v["pouw_error"]], f"{v['name']}: raised {info.type.__name__}"


# ---------------------------------------------------------------- the files themselves


@pytest.mark.parametrize("name", FILES)
def test_files_describe_themselves(name):
    path = VECTORS / name
    assert path.stat().st_size < MAX_FILE_BYTES
    doc = load(name)
    assert {"description", "format", "source", "version", "vectors"} <= doc.keys()
    assert isinstance(doc["description"], str) and len(doc["description"]) > 200
    assert isinstance(doc["format"], dict) and all(
        isinstance(t, str) for t in doc["format"].values()
    )
    assert "make_vectors.py" in doc["source"] and doc["version"] == 1
    names = [v["name"] for v in doc["vectors"]]
    assert len(names) == len(set(names)), "vector names are unique"
    for v in doc["vectors"]:
        assert isinstance(v["name"], str) and isinstance(v["op"], str)
        if "reject" in v:
            assert "expected" not in v and v["pouw_error"] in ERRORS and v["reject"]


def test_files_state_the_moduli():
    assert load("fields.json")["moduli"] == {"Fr": str(F.R), "Fq": str(F.Q)}
    assert load("curves.json")["moduli"] == {"r": str(F.R), "q": str(F.Q)}


def test_every_file_has_accepts_and_rejects():
    ops = defaultdict(set)
    for name in FILES:
        for v in vectors(name):
            ops[name].add("reject" if "reject" in v else "accept")
    assert all(kinds == {"accept", "reject"} for kinds in ops.values())


# ---------------------------------------------------------------- fields

ARRAYS = {"Fr": F.FrArray, "Fq": F.FqArray}
ELEMENTS = {"Fr": F.Fr, "Fq": F.Fq}


def field_op(v: dict) -> list[int] | int:
    cls = ARRAYS[v["field"]]
    batch = isinstance(v.get("a"), list)

    def arr(key: str):
        return cls.from_ints([int(x) for x in (v[key] if batch else [v[key]])])

    op = v["op"]
    if op == "from_bytes":
        out = cls.from_bytes(bytes.fromhex(v["bytes"]), v["byteorder"])
    elif op in ("add", "sub", "mul"):
        a, b = arr("a"), arr("b")
        out = a + b if op == "add" else a - b if op == "sub" else a * b
    elif op == "neg":
        out = -arr("a")
    elif op == "square":
        out = arr("a").square()
    elif op == "inverse":
        out = arr("a").inv()
    elif op == "pow":
        out = arr("a").pow(int(v["k"]))
    else:
        assert op == "reduce", op
        out = arr("a")
    ints = out.to_ints()
    return ints if batch else ints[0]


def as_ints(x: Any) -> Any:
    return [int(e) for e in x] if isinstance(x, list) else int(x)


@pytest.mark.parametrize("v", **by_name(vectors("fields.json")))
def test_field_vector(v, backend):
    if "reject" in v:
        with rejects(v) as info:
            field_op(v)
        exact(info, v)
        if "index" in v:
            assert f"element {v['index']} " in str(info.value)
        return
    assert field_op(v) == as_ints(v["expected"])
    if v["op"] == "from_bytes":  # and back
        cls = ARRAYS[v["field"]]
        again = cls.from_ints([int(v["expected"])]).to_bytes(v["byteorder"])
        assert again.hex() == v["bytes"]


def test_field_vectors_as_one_batch_per_op(backend):
    """The single-element vectors of an op, run as one array (other kernel paths)."""
    groups = defaultdict(list)
    for v in vectors("fields.json", "add", "sub", "mul", "neg", "square", "inverse"):
        if "reject" not in v and not isinstance(v["a"], list):
            groups[v["field"], v["op"]].append(v)
    for (fname, op), vs in groups.items():
        batch = {"name": f"{fname} {op} x{len(vs)}", "field": fname, "op": op}
        batch["a"] = [v["a"] for v in vs]
        if "b" in vs[0]:
            batch["b"] = [v["b"] for v in vs]
        assert field_op(batch) == [int(v["expected"]) for v in vs], batch["name"]


@pytest.mark.parametrize("fname", ["Fr", "Fq"])
def test_field_vectors_on_single_elements(fname):
    """Fr / Fq (Python-int elements) give the same answers."""
    E = ELEMENTS[fname]
    for v in vectors("fields.json", "add", "sub", "mul", "neg", "square", "inverse", "pow"):
        if v["field"] != fname or isinstance(v["a"], list):
            continue
        a = E(int(v["a"]))
        if "reject" in v:
            with pytest.raises(ZeroDivisionError):
                a.inv()
            continue
        op = v["op"]
        if op in ("add", "sub", "mul"):
            b = E(int(v["b"]))
            got = a + b if op == "add" else a - b if op == "sub" else a * b
        elif op == "pow":
            got = a ** int(v["k"])
        else:
            got = -a if op == "neg" else a * a if op == "square" else a.inv()
        assert int(got) == int(v["expected"]), v["name"]


# ---------------------------------------------------------------- curves


def pt(v):
    if v is None:
        return None
    return tuple(int(c) if isinstance(c, str) else (int(c[0]), int(c[1])) for c in v)


def group_fns(g: str):
    one = g.lower()
    return {f: getattr(C, f"{one}_{f}") for f in ("add", "neg", "mul", "msm")}


@pytest.mark.parametrize(
    "v", **by_name(vectors("curves.json", "generator", "add", "double", "neg", "mul", "msm"))
)
def test_group_vector(v, backend):
    fn = group_fns(v["group"])
    op = v["op"]
    if op == "generator":
        got = C.G1_GENERATOR if v["group"] == "G1" else C.G2_GENERATOR
    elif op == "add":
        got = fn["add"](pt(v["a"]), pt(v["b"]))
    elif op == "double":
        got = fn["add"](pt(v["a"]), pt(v["a"]))
        assert fn["mul"](pt(v["a"]), 2) == got
    elif op == "neg":
        got = fn["neg"](pt(v["a"]))
    elif op == "mul":
        got = fn["mul"](pt(v["point"]), int(v["scalar"]))
    else:
        points, scalars = [pt(p) for p in v["points"]], [int(k) for k in v["scalars"]]
        got = fn["msm"](points, scalars, threads=1)
        ctx = (C.G1MSMContext if v["group"] == "G1" else C.G2MSMContext)(points, threads=1)
        assert ctx.msm(F.FrArray.from_ints(scalars), threads=1) == got
    assert got == pt(v["expected"])


@pytest.mark.parametrize("group", ["G1", "G2"])
def test_mul_vectors_as_one_batch(group, backend):
    vs = [v for v in vectors("curves.json", "mul") if v["group"] == group]
    cls = C.G1Array if group == "G1" else C.G2Array
    points = cls.from_ints([pt(v["point"]) for v in vs])
    scalars = [int(v["scalar"]) for v in vs]
    want = [pt(v["expected"]) for v in vs]
    assert points.mul(scalars).to_ints() == want
    assert points.mul(F.FrArray.from_ints(scalars)).to_ints() == want  # reduced mod r first


@pytest.mark.parametrize("v", **by_name(vectors("curves.json", "encoding")))
def test_encoding_vector(v, backend):
    one = v["group"].lower()
    p = pt(v["point"])
    un, co = bytes.fromhex(v["uncompressed"]), bytes.fromhex(v["compressed"])
    assert getattr(C, f"encode_{one}")(p) == un
    assert getattr(C, f"encode_{one}_compressed")(p) == co
    assert getattr(C, f"decode_{one}")(un) == p
    assert getattr(C, f"decode_{one}_compressed")(co) == p


@pytest.mark.parametrize("v", **by_name(vectors("curves.json", "decode")))
def test_decode_rejects(v, backend):
    with rejects(v) as info:
        getattr(C, f"decode_{v['encoding']}")(bytes.fromhex(v["hex"]))
    exact(info, v)


@pytest.mark.parametrize("v", **by_name(vectors("curves.json", "membership")))
def test_membership_vector(v, backend):
    p = pt(v["point"])
    if v["group"] == "G1":
        assert C.g1_is_on_curve(p) is v["on_curve"] is v["in_group"]
    else:
        assert C.g2_is_on_curve(p) is v["on_curve"]
        assert C.g2_is_in_subgroup(p) is v["in_group"]
    if not v["in_group"]:  # not a point pouw builds from untrusted data
        cls = C.G1Array if v["group"] == "G1" else C.G2Array
        with pytest.raises(CurveError):
            cls.from_ints([p])


@pytest.mark.parametrize("v", **by_name(vectors("curves.json", "pairing_check")))
def test_pairing_check_vector(v, backend):
    pairs = [(pt(a), pt(b)) for a, b in v["pairs"]]
    if "reject" in v:
        with rejects(v) as info:
            pairing_check(pairs)
        exact(info, v)
        return
    assert pairing_check(pairs) is v["expected"]
    prepared = [(a, G2Prepared(b)) for a, b in pairs]  # the verifying keys' path
    assert pairing_check(prepared) is v["expected"]


@pytest.mark.parametrize("v", **by_name(vectors("curves.json", "pairing")))
def test_pairing_vector(v, backend):
    e = pairing(pt(v["g1"]), pt(v["g2"]))
    assert e.to_ints() == as_ints(v["expected"])
    assert e.tower_ints() == as_ints(v["expected_tower"])


# ---------------------------------------------------------------- traces

GENESIS = load("traces.json")["genesis"]
INTENT_KEYS = ("sender", "recipient", "amount", "nonce", "gas_limit", "gas_price")


def genesis(overrides: dict) -> AccountState:
    g = GENESIS
    state = AccountState.genesis(g["n_accounts"], int(g["balance"]), int(g["seed"]), g["depth"])
    for i, o in overrides.items():
        a = state.get(int(i))
        state.set(int(i), Account(a.owner, a.balance, int(o["nonce"])))
    return state


@cache
def step_names() -> dict[str, dict[int, str]]:
    from pouw.isa import Op, StepStatus

    return {
        "op": {int(o): o.name for o in Op},
        "status": {int(s): s.name.lower() for s in StepStatus},
    }


def test_genesis_as_stated():
    state = genesis({})
    assert state.root.hex() == GENESIS["root"]
    assert [state.get(i).owner.hex() for i in range(GENESIS["n_accounts"])] == GENESIS["owners"]


@pytest.mark.parametrize("v", **by_name(vectors("traces.json", "execute")))
def test_execution_vector(v):
    intents = [Transfer(*(int(i[k]) for k in INTENT_KEYS)) for i in v["intents"]]
    for intent, want in zip(intents, v["intents"], strict=True):
        assert intent.program.hex() == want["program"] and intent.intent_id == want["intent_id"]
    executor, state = Executor(GENESIS["coinbase"]), genesis(v["overrides"])
    assert state.root.hex() == v["pre_root"]
    if v["kind"] == 1:
        result, trace = executor.execute_intent_with_trace(intents[0], state)
        results = [result]
    else:
        results, trace = executor.execute_batch_with_trace(intents, state)
    assert trace.to_bytes().hex() == v["trace"]
    assert state.root.hex() == v["post_root"] == trace.post_root.hex()
    for result, want in zip(results, v["intents"], strict=True):
        got = result.to_dict()
        assert got["status"] == want["status"] and got["n_steps"] == want["n_steps"]
        assert (str(got["gas_used"]), str(got["fee_charged"])) == (
            want["gas_used"],
            want["fee_charged"],
        )
        assert (got["pre_root"], got["post_root"]) == (want["pre_root"], want["post_root"])
    # the bytes decode to what the vector says, and hash and check as it says
    decoded = ExecutionTrace.from_bytes(bytes.fromhex(v["trace"]))
    assert decoded == trace and decoded.trace_hash == v["trace_hash"]
    assert (decoded.kind, decoded.depth, decoded.intent_id) == (
        v["kind"],
        GENESIS["depth"],
        v["trace_intent_id"],
    )
    names = step_names()
    steps = [
        [names["op"][int(decoded.op[i])], names["status"][int(decoded.status[i])]]
        + [int(decoded.account[i])]
        + [str(int(decoded.column(c)[i])) for c in ("arg0", "arg1", "gas_left")]
        for i in range(decoded.n_steps)
    ]
    assert steps == v["steps"]
    assert check_trace(trace.to_bytes())[0]
    for job in v["jobs"]:
        fee = int(job["fee_budget"])
        assert (
            compute_job_id(v["trace_hash"], job["tier"], v["trace_intent_id"], fee) == job["job_id"]
        )
        made = ProofJob(
            tier=job["tier"],
            intent_id=v["trace_intent_id"],
            trace_hash=v["trace_hash"],
            fee_budget=fee,
            created_at_ms=0,
            deadline_ms=0,
            trace_data=trace.to_bytes(),
        )
        assert made.job_id == job["job_id"]


@pytest.mark.parametrize("v", **by_name(vectors("traces.json", "check")))
def test_tampered_trace_vector(v):
    base = next(b for b in vectors("traces.json", "execute") if b["name"] == v["base"])
    raw = bytearray.fromhex(base["trace"])
    raw[v["offset"]] ^= v["xor"]
    ExecutionTrace.from_bytes(bytes(raw))  # still well framed
    ok, step, rule = check_trace(bytes(raw))
    assert (ok, step, rule.name) == (v["valid"], v["step"], v["rule"])


@pytest.mark.parametrize("v", **by_name(vectors("traces.json", "decode")))
def test_trace_decode_vector(v):
    raw = bytes.fromhex(v["trace"])
    ok, step, rule = check_trace(raw)
    if "reject" in v:
        with rejects(v) as info:
            ExecutionTrace.from_bytes(raw)
        exact(info, v)
        assert (ok, step, rule.name) == (False, -1, "MALFORMED")
        return
    ExecutionTrace.from_bytes(raw)
    assert (ok, step, rule.name) == (v["valid"], v["step"], v["rule"])


# ---------------------------------------------------------------- the generator reproduces the files


@cache
def generator():
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["fields.json", "traces.json"])
def test_generator_rewrites_the_same_file(name):
    gen = generator()
    assert gen.render(gen.DOCS[name]()) == (VECTORS / name).read_text()


def test_generator_rewrites_curves_but_the_pairings():
    gen = generator()
    doc = gen.curves_doc(pairings=False)
    on_file = load("curves.json")
    assert {k: v for k, v in doc.items() if k != "vectors"} == {
        k: v for k, v in on_file.items() if k != "vectors"
    }
    slow = ("pairing_check", "pairing")
    assert doc["vectors"] == [v for v in on_file["vectors"] if v["op"] not in slow]
