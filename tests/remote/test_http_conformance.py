"""The API against its own contract: JSON bodies UTF-8 only (the charset and the
bytes), bounded number literals, integers only, the account bound and the 400s
in the schema, and ``Allow`` on every 405."""

from __future__ import annotations

import json
import sys

import pytest

from pouw.node import NodeConfig, NodeContext, generate_intents
from pouw.remote.bodies import JSON, MAX_NUMBER_DIGITS
from pouw.remote.openapi import DEFAULT_ACCOUNTS, openapi_document
from remote_support import LiveServer, auth, config_dict


def make_server(n_intents=3, state=None) -> LiveServer:
    cfg = config_dict(5000, rate_limit=100_000, read_rate_limit=100_000)
    if state is not None:
        cfg["state"] = state
    ctx = NodeContext.from_config(NodeConfig.from_dict(cfg))
    ctx.submit_intents(generate_intents(n_intents, n_accounts=64))
    ctx.process_all()
    return LiveServer(ctx, background=False)


@pytest.fixture(scope="module")
def live():
    s = make_server(n_intents=6)
    yield s
    s.close()


def err(r) -> str:
    return r.json()["error"]["code"]


def post(live, path, body: bytes, ctype=JSON, worker="w1"):
    return live.http.post(path, content=body, headers={**auth(worker), "Content-Type": ctype})


def a_transfer(**fields) -> dict:
    return {**next(iter(generate_intents(1, seed=3, n_accounts=64))).to_dict(), **fields}


# -- UTF-8 only ---------------------------------------------------------------------

ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("path", ["/pouw/jobs/list", "/pouw/jobs/claim-next", "/pouw/intents"])
def test_a_json_body_in_another_encoding_is_a_415(live, path, encoding):
    body = {"intents": [a_transfer()]} if path == "/pouw/intents" else {"limit": 5}
    r = post(live, path, json.dumps(body).encode(encoding))
    assert r.status_code == 415 and err(r) == "unsupported_charset"
    assert "UTF-8" in r.json()["error"]["message"]


def test_the_same_body_in_utf8_is_taken(live):
    assert post(live, "/pouw/jobs/list", b'{"limit": 5}').status_code == 200


@pytest.fixture
def high_recursion_limit():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(200_000)
    yield
    sys.setrecursionlimit(old)


def test_utf16_cannot_smuggle_deep_nesting_past_the_depth_check(live, high_recursion_limit):
    # U+2200 is the bytes 00 22 in UTF-16-LE: a '"' to a byte-level scanner, which
    # then pairs quotes wrongly and skips the brackets between them as "string"
    deep = "[" * 50_000 + "]" * 50_000
    text = '{"a": "\u2200", "x": ' + deep + ', "b": "\u2200"}'
    r = post(live, "/pouw/jobs/list", text.encode("utf-16-le"))
    assert r.status_code == 415
    r = post(live, "/pouw/jobs/list", text.encode("utf-8"))  # its UTF-8 twin: depth refused
    assert r.status_code == 400 and err(r) == "bad_json"
    assert live.http.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "ctype", ["application/json; charset=utf-16", "application/json;charset=latin-1"]
)
def test_a_declared_charset_other_than_utf8_is_a_415(live, ctype):
    r = post(live, "/pouw/jobs/list", b'{"limit": 5}', ctype=ctype)
    assert r.status_code == 415 and err(r) == "unsupported_charset"


@pytest.mark.parametrize(
    "ctype", ["application/json; charset=utf-8", 'application/json; charset="UTF-8"']
)
def test_a_declared_utf8_charset_is_taken(live, ctype):
    assert post(live, "/pouw/jobs/list", b'{"limit": 5}', ctype=ctype).status_code == 200


@pytest.mark.parametrize(
    "body",
    [b'\xef\xbb\xbf{"limit": 5}', b'{"error": "\xff\xfe"}', b'{"limit": NaN}'],
    ids=["byte-order-mark", "not-utf8", "nan"],
)
def test_bytes_that_are_not_utf8_json_are_a_400(live, body):
    r = post(live, "/pouw/jobs/list", body)
    assert r.status_code == 400 and err(r) == "bad_json"


def test_a_json_proof_in_utf16_is_a_415(live):
    job_id = post(live, "/pouw/jobs/claim-next", b"{}").json()["job_id"]
    r = post(live, f"/pouw/jobs/{job_id}/submit", json.dumps({"proof": "AA=="}).encode("utf-16"))
    assert r.status_code == 415 and err(r) == "unsupported_charset"


# -- number literals --------------------------------------------------------------------


@pytest.mark.parametrize("digits", [MAX_NUMBER_DIGITS + 1, 5000, 100_000])
def test_an_overlong_integer_is_named_as_such(live, digits):
    # once "the body is not valid JSON": Python's int() refuses > 4300 digits
    r = post(live, "/pouw/jobs/list", b'{"limit": ' + b"7" * digits + b"}")
    assert r.status_code == 400 and err(r) == "number_too_long"
    assert f"more than {MAX_NUMBER_DIGITS} digits" in r.json()["error"]["message"]
    intent = json.dumps({"intents": [a_transfer(amount=0)]}).replace(
        '"amount": 0', '"amount": ' + "9" * digits
    )
    r = live.http.post("/pouw/intents", content=intent, headers={"Content-Type": JSON})
    assert r.status_code == 400 and err(r) == "number_too_long"


def test_a_long_integer_within_the_bound_meets_the_field_check(live):
    r = post(live, "/pouw/jobs/list", b'{"limit": ' + b"7" * MAX_NUMBER_DIGITS + b"}")
    assert r.status_code == 400 and err(r) == "bad_request"  # out of 1..1000, not "too long"


def test_long_digit_runs_inside_strings_are_text(live):
    r = post(live, "/pouw/jobs/list", json.dumps({"cursor": "1" * 500}).encode())
    assert r.status_code == 400 and err(r) == "bad_request"  # the cursor check, not the number's
    job_id = post(live, "/pouw/jobs/claim-next", b"{}").json()["job_id"]
    r = post(live, f"/pouw/jobs/{job_id}/fail", json.dumps({"error": "9" * 500}).encode())
    assert r.status_code == 200


# -- integers only ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [b"5.0", b"5e0", b"5E+0", b"true"])
def test_an_integral_float_is_not_an_integer(live, value):
    r = post(live, "/pouw/jobs/list", b'{"limit": ' + value + b"}")
    assert r.status_code == 400 and err(r) == "bad_request"
    r = post(live, "/pouw/jobs/claim-next", b'{"wait_ms": ' + value.replace(b"5", b"0") + b"}")
    assert r.status_code == 400 and err(r) == "bad_request"


@pytest.mark.parametrize(
    "field", ["sender", "recipient", "amount", "nonce", "gas_limit", "gas_price"]
)
def test_an_integral_float_in_a_transfer_is_refused(live, field):
    good = a_transfer()
    r = live.http.post("/pouw/intents", json={"intents": [{**good, field: float(good[field])}]})
    assert r.status_code == 422 and err(r) == "bad_intent" and field in r.json()["error"]["message"]


def test_every_integer_in_the_schema_says_integers_only():
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "integer" and "minimum" in node:  # a request field
                found.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(openapi_document()["paths"])
    assert len(found) >= 8 and all("563.0" in n["description"] for n in found)


# -- the account bound --------------------------------------------------------------------


def transfer_schema(doc) -> dict:
    body = doc["paths"]["/pouw/intents"]["post"]["requestBody"]
    return body["content"][JSON]["schema"]["properties"]["intents"]["items"]["properties"]


def test_the_schema_bounds_sender_and_recipient_by_the_nodes_accounts():
    props = transfer_schema(openapi_document())
    assert 1 << NodeConfig().state_depth == DEFAULT_ACCOUNTS
    for name in ("sender", "recipient"):
        assert props[name]["maximum"] == DEFAULT_ACCOUNTS - 1
    for name in ("amount", "nonce", "gas_limit", "gas_price"):
        assert props[name]["maximum"] == (1 << 64) - 1
    assert transfer_schema(openapi_document(accounts=1 << 40))["sender"]["maximum"] == (1 << 32) - 1


def test_a_node_serves_its_own_account_bound_and_keeps_it():
    live = make_server(n_intents=0, state={"accounts": 64, "depth": 10})
    try:
        doc = live.http.get("/openapi.json").json()
        top = transfer_schema(doc)["sender"]["maximum"]
        assert top == 1023
        for field in ("sender", "recipient"):
            at = live.http.post("/pouw/intents", json={"intents": [a_transfer(**{field: top})]})
            assert at.status_code < 300, at.text  # the schema's maximum is taken
            over = live.http.post(
                "/pouw/intents", json={"intents": [a_transfer(**{field: top + 1})]}
            )
            assert over.status_code == 422 and err(over) == "bad_intent"
    finally:
        live.close()


# -- the 400s in the schema ---------------------------------------------------------------


def test_every_operation_with_a_body_documents_400_413_and_415():
    for path, ops in openapi_document()["paths"].items():
        for method, op in ops.items():
            if "requestBody" in op:
                assert {"400", "413", "415"} <= set(op["responses"]), (method, path)


@pytest.mark.parametrize("action", ["claim", "heartbeat"])
def test_claim_and_heartbeat_answer_the_400_they_document(live, action):
    job_id = post(live, "/pouw/jobs/claim-next", b"{}").json()["job_id"]
    r = post(live, f"/pouw/jobs/{job_id}/{action}", b"{not json")
    assert r.status_code == 400 and err(r) == "bad_json"
    path = openapi_document()["paths"]["/pouw/jobs/{job_id}/" + action]["post"]
    assert "400" in path["responses"]


# -- 405 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("PUT", "/pouw/jobs/list", "POST"),
        ("DELETE", "/healthz", "GET, HEAD"),
        ("POST", "/pouw/stats", "GET, HEAD"),
        ("PATCH", "/pouw/jobs/" + "0" * 64 + "/submit", "POST"),
    ],
)
def test_a_405_says_which_methods_are_allowed(live, method, path, allow):
    r = live.http.request(method, path)
    assert r.status_code == 405 and r.headers["allow"] == allow
    assert err(r) == "method_not_allowed" and allow in r.json()["error"]["message"]
