"""What the vector generators share: the moduli (from py_ecc, not pouw), the
fixed pseudo-random draws, the JSON layout and the agreement check."""

from __future__ import annotations

import json

from blake3 import blake3
from py_ecc import optimized_bn128 as ecc

VERSION = 1
R = ecc.curve_order
Q = ecc.field_modulus
GENERATOR = "tests/vectors/make_vectors.py"
REGEN = f".venv/bin/python {GENERATOR}"
DRAW_DOMAIN = b"pouw.vectors.v1:"
DRAWS = (
    "Random values are 64 bytes of BLAKE3('pouw.vectors.v1:' + label), read big-endian, "
    "reduced mod the modulus (labels in the generator)."
)


def draw(label: str, modulus: int) -> int:
    """A fixed pseudo-random value in ``[0, modulus)`` (see :data:`DRAWS`)."""
    digest = blake3(DRAW_DOMAIN + label.encode()).digest(length=64)
    return int.from_bytes(digest, "big") % modulus


def dec(v: int) -> str:
    """An integer as JSON carries it here: a decimal string."""
    return str(v)


def reject(reason: str, pouw_error: str, **extra: object) -> dict:
    """The fields of a case that must be rejected: why, and what pouw raises."""
    return {"reject": reason, "pouw_error": pouw_error, **extra}


def agree(vector: dict, got: object) -> None:
    """Raise unless pouw's answer ``got`` is the vector's: its expected value, or
    ``{"reject": <exception name>}`` for a rejection case."""
    want = {"reject": vector["pouw_error"]} if "reject" in vector else vector.get("expected")
    if got != want:
        raise AssertionError(
            f"pouw disagrees on {vector['name']!r}: pouw gives {got!r}, expected {want!r}"
        )


def render(doc: dict) -> str:
    """A file's text: the self-description indented, then one vector per line."""
    meta = json.dumps({k: v for k, v in doc.items() if k != "vectors"}, indent=2)
    rows = ",\n".join("    " + json.dumps(v) for v in doc["vectors"])
    return meta[:-2] + ',\n  "vectors": [\n' + rows + "\n  ]\n}\n"
