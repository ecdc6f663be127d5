"""poseidon.json: circomlib's Poseidon over BN254 Fr, expected values from light-poseidon.

light-poseidon (PyPI's ``light-poseidon``, module ``light_poseidon_python``: the
Rust crate of Light Protocol, circom-compatible) computes every hash of 1..12
inputs; it stops there, so the hashes of 13..16 inputs are pouw's reference
alone (``pouw._reference.poseidon``), as the file's "source" says.  pouw's
reference, its optimised form (``pouw.zk.poseidon_params.permute_optimized``)
and, once it exists, the native ``pouw.zk.poseidon`` are asserted to agree
before anything is written.
"""

from __future__ import annotations

from importlib import resources

from blake3 import blake3
from gen_common import DRAWS, GENERATOR, REGEN, VERSION, R, agree, dec, draw, reject

from pouw._reference import poseidon as ref
from pouw.zk import poseidon_params as pp

MAX_INPUTS = 16
#: light-poseidon hashes 1..LIGHT_MAX inputs (widths 2..13)
LIGHT_MAX = 12
FROM_LIGHT = "light-poseidon"
FROM_REFERENCE = "pouw reference"
TABLE_PATH = f"src/pouw/zk/data/{pp.TABLE_NAME}"

#: The issue's known vectors (circomlib's published test values), as published.
KNOWN = [
    ([1], "0x29176100eaa962bdc1fe6c654d6a3c130e96a4d1168b33848b897dc502820133"),
    ([1, 2], "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"),
    ([1, 2, 3], "0x0e7732d89e6939c0ff03d5e58dab6302f3230e269dc5b968f725df34ab36d732"),
    ([1, 2, 0, 0, 0], "0x024058dd1e168f34bac462b6fffe58fd69982807e9884c1c6148182319cee427"),
]

#: name, inputs, why, the exception pouw raises, whether light-poseidon refuses it too
#: (-1 has no 32-byte unsigned encoding to give it)
REJECTS = [
    ("no inputs", [], "Poseidon takes 1..16 inputs, not 0", "ValueError", True),
    ("17 inputs", list(range(1, 18)), "Poseidon takes 1..16 inputs, not 17", "ValueError", True),
    ("an input equal to r", [R], "an input must be in [0, r), never reduced", "ValueError", True),
    ("an input of -1", [-1], "an input must be in [0, r)", "ValueError", False),
]

PERMUTATION = (
    "Width t = n + 1 for n = 1..16 inputs. The state is t elements of Fr, "
    "s = [0, x_1, ..., x_n]: a zero capacity element, then the inputs in order (never "
    "reduced, never padded: P([1, 2]) and P([1, 2, 0]) differ). There are R_F + R_P "
    "rounds, numbered 0 .. R_F + R_P - 1, with R_F = 8 and R_P the width's "
    "'partial_rounds': rounds 0..3 and R_P + 4 .. R_P + 7 are full, rounds 4 .. R_P + 3 "
    "partial. Round k does, in this order: (1) add its constants, s[i] = s[i] + C[k][i] "
    "for every i in 0..t-1 (C is (R_F + R_P) rows of t constants, row k for round k); "
    "(2) the S-box x -> x^5 on every element in a full round, on s[0] alone in a partial "
    "round (s[1..t-1] unchanged); (3) multiply by the t x t MDS matrix M as a column "
    "vector, s'[i] = sum over j of M[i][j] * s[j] (row i of M gives new element i; M is "
    "the Cauchy matrix M[i][j] = 1 / (x_i + y_j) of the constant generation, not "
    "symmetric, so the orientation matters: see mds[0][1] and mds[1][0] under "
    "parameters.widths). All arithmetic is mod r. Nothing follows the last round's "
    "matrix; the hash is s[0]. That is the textbook form (pouw._reference.poseidon); "
    "circomlib's poseidon_opt and pouw.zk.poseidon_params.permute_optimized compute the "
    "same function with the constants moved past the matrices and the partial rounds' "
    "matrices made sparse. The constants C and M are circomlib's: those of the Poseidon "
    "paper's Grain LFSR generation (eprint 2019/458, Appendix E; field 1, S-box 0, 254 "
    "bits, t, R_F = 8, R_P), which pouw regenerates (tools/gen_poseidon_constants.py) "
    "into its table (parameters.constants_table, whose BLAKE3 is stated)."
)


def table_blake3() -> str:
    """BLAKE3 of the committed table, read from the package (then checked against pouw)."""
    data = resources.files("pouw.zk").joinpath("data", pp.TABLE_NAME).read_bytes()
    return blake3(data).hexdigest()


def widths() -> list[dict]:
    """Per width: its round numbers and four constants (a check of order and orientation)."""
    out = []
    for t in pp.WIDTHS:
        p = pp.params(t)
        out.append(
            {
                "t": t,
                "inputs": t - 1,
                "partial_rounds": p.partial_rounds,
                "rc[0][0]": dec(p.round_constants[0][0]),
                "rc[last][t-1]": dec(p.round_constants[-1][t - 1]),
                "mds[0][1]": dec(p.mds[0][1]),
                "mds[1][0]": dec(p.mds[1][0]),
            }
        )
    return out


def light_hash(inputs: list[int]) -> int:
    """light-poseidon's hash of ``inputs`` (32-byte big-endian each); ValueError if refused."""
    import light_poseidon_python as lp  # here, so that the other files need no light-poseidon

    return int(lp.poseidon_hash_bytes([x.to_bytes(32, "big") for x in inputs]), 16)


def hash_vector(name: str, inputs: list[int], **extra: object) -> dict:
    n = len(inputs)
    if n <= LIGHT_MAX:
        expected, source = light_hash(inputs), FROM_LIGHT
    else:
        expected, source = ref.poseidon(inputs), FROM_REFERENCE
    body = {"expected": dec(expected), "expected_from": source, **extra}
    return {"name": name, "op": "hash", "n": n, "inputs": [dec(x) for x in inputs], **body}


def poseidon_vectors() -> list[dict]:
    out: list[dict] = []
    for n in range(1, MAX_INPUTS + 1):
        out.append(hash_vector(f"n={n} [1..{n}]", list(range(1, n + 1))))
        out.append(hash_vector(f"n={n} all 0", [0] * n))
        out.append(hash_vector(f"n={n} all r-1", [R - 1] * n))
        for k in (1, 2):
            row = [draw(f"poseidon n={n} random {k} input {j}", R) for j in range(n)]
            out.append(hash_vector(f"n={n} random {k}", row))
    for inputs, published in KNOWN:
        name = f"known vector P([{', '.join(map(str, inputs))}])"
        v = hash_vector(name, inputs, published=published)
        if int(published, 16) != int(v["expected"]):
            raise AssertionError(f"light-poseidon disagrees with the published {name}")
        out.append(v)
    for name, inputs, why, error, light_refuses in REJECTS:
        if light_refuses:
            try:
                light_hash(inputs)
            except ValueError:
                pass
            else:
                raise AssertionError(f"light-poseidon accepts {name!r}")
        out.append(
            {
                "name": f"reject: {name}",
                "op": "hash",
                "n": len(inputs),
                "inputs": [dec(x) for x in inputs],
                **reject(why, error),
            }
        )
    return out


def native_poseidon():
    """pouw's native kernel module, or None while it does not exist."""
    try:
        from pouw.zk import poseidon
    except ImportError:
        return None
    return poseidon


def pouw_answers(v: dict) -> dict[str, object]:
    """Each of pouw's forms' answer to one vector: the hash, or {"reject": <exception>}."""
    inputs = [int(x) for x in v["inputs"]]
    forms = {
        "pouw._reference.poseidon.poseidon": ref.poseidon,
        "pouw.zk.poseidon_params.permute_optimized": lambda xs: pp.permute_optimized([0, *xs])[0],
    }
    native = native_poseidon()
    if native is not None:
        forms["pouw.zk.poseidon.poseidon"] = native.poseidon
    out: dict[str, object] = {}
    for form, fn in forms.items():
        try:
            out[form] = dec(int(fn(inputs)))
        except (ValueError, TypeError) as exc:
            out[form] = {"reject": type(exc).__name__}
    return out


def poseidon_doc() -> dict:
    if R != pp.R:
        raise AssertionError("pouw's Poseidon modulus is not BN254's r")
    blake = table_blake3()
    if blake != pp.TABLE_BLAKE3:
        raise AssertionError(f"the table's BLAKE3 is {blake}, pouw states {pp.TABLE_BLAKE3}")
    vectors = poseidon_vectors()
    for v in vectors:  # pouw must agree, every form of it, before anything is written
        for form, got in pouw_answers(v).items():
            try:
                agree(v, got)
            except AssertionError as exc:
                raise AssertionError(f"{form}: {exc}") from None
    return {
        "description": (
            "Hash vectors for Poseidon over BN254's scalar field Fr, circomlib's instance "
            "(circomlib's Poseidon(n) template, circomlibjs's poseidon, light-poseidon): the "
            "S-box x^5, width t = n + 1 for n = 1..16 inputs, 8 full rounds and circomlib's "
            "partial-round count for the width, the state [0, inputs...] permuted, the "
            "output state[0]. 'permutation' says how to compute it; 'parameters' gives the "
            "round numbers of every width, four of its constants and the BLAKE3 of pouw's "
            "constants table. One op: hash (the Poseidon hash of 'inputs', canonical "
            "elements of Fr). Cases for every n = 1..16: the inputs 1..n, all 0, all r-1, "
            "two pseudo-random rows; the issue's four known vectors (circomlib's published "
            "test values, 'published' as given there in hex), named 'known vector'; and the "
            "inputs that must be rejected: none, 17, an input equal to r (inputs are never "
            "reduced mod r) and -1."
        ),
        "format": {
            "op": "'hash'",
            "n": "the number of inputs (a JSON number); the width is t = n + 1",
            "inputs": "the inputs in order, decimal strings of canonical integers in [0, r) "
            "(but for a rejection case, whose inputs may lie outside it)",
            "expected": "the hash, a decimal string in [0, r)",
            "expected_from": "who computed 'expected': 'light-poseidon' or 'pouw reference' "
            "(13..16 inputs, which light-poseidon does not take; see 'source')",
            "published": "for a known vector: the hash as published (hex, 0x)",
            "reject": "instead of 'expected' when the inputs must be rejected: why",
            "pouw_error": "the exception pouw raises for it",
            "parameters.widths": "per width t: the number of inputs, R_P, and the constants "
            "rc[0][0] (the first round's, added to s[0]), rc[last][t-1] (the last round's, "
            "added to s[t-1]), mds[0][1] and mds[1][0] (M[i][j] multiplies s[j] into the "
            "new s[i]); decimal strings",
        },
        "moduli": {"r": dec(R)},
        "parameters": {
            "sbox": "x^5",
            "full_rounds": pp.FULL_ROUNDS,
            "constants_table": TABLE_PATH,
            "constants_table_blake3": blake,
            "constants_table_format": "the docstring of pouw.zk.poseidon_params: per width, "
            "the (R_F + R_P) * t round constants round by round, then the t * t MDS "
            "entries row by row (mds[i][j]), each 32 bytes big-endian",
            "widths": widths(),
        },
        "permutation": PERMUTATION,
        "source": (
            f"{GENERATOR} (gen_poseidon.py). For 1..12 inputs every expected value, "
            "the known vectors' included, is computed by light-poseidon (PyPI's "
            "light-poseidon, 0.1.1 when written: module light_poseidon_python, bindings "
            "of the Rust crate light-poseidon; poseidon_hash_bytes of the inputs as 32-byte big-endian "
            "words), which also refuses 0 inputs, 17 inputs and an input equal to r; "
            "the four known vectors equal their published values. light-poseidon takes "
            "1..12 inputs only, so the expected values of 13..16 inputs rest on pouw's "
            "reference alone (pouw._reference.poseidon, the textbook rounds), checked by "
            "the regeneration of circomlib's constants from the Grain LFSR "
            "(tools/gen_poseidon_constants.py against the committed table) and by two "
            "forms agreeing (the textbook rounds and the optimised form "
            "pouw.zk.poseidon_params.permute_optimized); tests/zk/test_poseidon_circom.py "
            "checks pouw against circomlib's Poseidon(13..16) compiled by circom2 "
            "(snarkjs witnesses); tests/zk/test_poseidon_params.py also checks the reference against "
            "circomlibjs's published 16-input hashes. pouw._reference.poseidon.poseidon "
            "and pouw.zk.poseidon_params.permute_optimized (and the native "
            "pouw.zk.poseidon.poseidon) are asserted to agree with every "
            f"vector before the file is written. {DRAWS} Regenerate: {REGEN}"
        ),
        "version": VERSION,
        "vectors": vectors,
    }
