"""pouw's Poseidon against circomlib's ``Poseidon(n)`` compiled by circom2, for the
widths light-poseidon does not reach (n = 13..16 inputs, t = 14..17).

Each circuit is ``component main = Poseidon(n)`` over circomlib's
``circuits/poseidon.circom`` (npm's circomlib, pinned in tests/interop), compiled
to wasm once per module; snarkjs computes the witness of several input vectors
(0, 1, r - 1 and random elements among them) and the output signal, wire 1,
must be pouw's ``poseidon(inputs)``. A changed input changes it (the twin).
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from interop_tools import NODE_MODULES, node_tools  # noqa: F401 - the session fixture
from pouw.zk.field import R
from pouw.zk.formats import read_wtns
from pouw.zk.poseidon import poseidon

WIDE = (13, 14, 15, 16)  # inputs: light-poseidon stops at 12


@pytest.fixture(scope="module")
def circuits(node_tools, tmp_path_factory) -> dict[int, Path]:  # noqa: F811
    """n -> the directory holding main_<n>_js/main_<n>.wasm."""
    d = tmp_path_factory.mktemp("poseidon_circom")
    # circom2 runs in a WASI sandbox that sees the working directory only: the
    # template and its constants are copied beside the main circuit
    for name in ("poseidon.circom", "poseidon_constants.circom"):
        shutil.copy(NODE_MODULES / "circomlib" / "circuits" / name, d / name)
    out = {}
    for n in WIDE:
        src = d / f"main_{n}.circom"
        src.write_text(
            f'pragma circom 2.0.0;\ninclude "poseidon.circom";\ncomponent main = Poseidon({n});\n'
        )
        node_tools.run("circom2", src.name, "--wasm", "-o", ".", cwd=d)
        out[n] = d
    return out


def witness_out(node_tools, d: Path, n: int, inputs: list[int], tag: str) -> int:  # noqa: F811
    (d / f"in_{n}_{tag}.json").write_text(json.dumps({"inputs": [str(x) for x in inputs]}))
    wasm = f"main_{n}_js/main_{n}.wasm"
    node_tools.snarkjs("wtns", "calculate", wasm, f"in_{n}_{tag}.json", f"w_{n}_{tag}.wtns", cwd=d)
    w = read_wtns(d / f"w_{n}_{tag}.wtns").to_ints()
    return w[1]  # wire 0 is the constant 1 (read_wtns checks it), wire 1 the output


@pytest.mark.parametrize("n", WIDE)
def test_poseidon_equals_circomlibs_witness(node_tools, circuits, n):  # noqa: F811
    rng = random.Random(n)
    vectors = {
        "edges": [0, 1, R - 1] * (n // 3) + [0, 1, R - 1][: n % 3],
        "random": [rng.randrange(R) for _ in range(n)],
        "counting": list(range(1, n + 1)),
    }
    for tag, inputs in vectors.items():
        assert witness_out(node_tools, circuits[n], n, inputs, tag) == poseidon(inputs), tag
    # the twin: one input more by one is another hash, under both
    bumped = list(vectors["counting"])
    bumped[-1] += 1
    got = witness_out(node_tools, circuits[n], n, bumped, "bumped")
    assert got == poseidon(bumped) != poseidon(vectors["counting"])
