"""snarkjs's JSON files for Groth16 over BN254: ``proof.json``,
``verification_key.json`` and ``public.json``, both ways.

Shapes (as snarkjs 0.7 writes them; every number a decimal string):

- a G1 point is projective ``[x, y, "1"]``; a G2 point
  ``[[x_c0, x_c1], [y_c0, y_c1], ["1", "0"]]`` -- the real part of each Fq2
  coordinate first, the opposite of the EIP-197 byte order;
- ``proof.json``: ``{"pi_a": G1, "pi_b": G2, "pi_c": G1, "protocol": "groth16",
  "curve": "bn128"}``;
- ``verification_key.json``: ``protocol``, ``curve``, ``nPublic``,
  ``vk_alpha_1``, ``vk_beta_2``, ``vk_gamma_2``, ``vk_delta_2``,
  ``vk_alphabeta_12`` and ``IC`` (``nPublic + 1`` G1 points);
- ``public.json``: the public signals, ``["168", "5"]``.

``vk_alphabeta_12`` is snarkjs's ``e(alpha, beta)`` written as the tower
coefficients of Fq12 = Fq6[w]/(w^2 - v), Fq6 = Fq2[v]/(v^3 - (9 + u)).  Its
pairing's final exponentiation differs from Ethereum's (and pouw's) by the
factor ``2x(6x^2 + 3x + 1)`` (``x`` the BN parameter), so the value is that
power of :func:`pouw.zk.pairing`; found by comparison with files snarkjs
wrote (tests/vectors/groth16).  snarkjs's verifier does not use it, nor does
pouw's: it is written for compatibility and, when read, only checked for shape.

Readers take untrusted input (a parsed JSON value, or the JSON text as ``str``
or ``bytes``) and raise :class:`~pouw.errors.ProofError` naming the field for
anything that is not exactly right: numbers that are not decimal strings,
coordinates not below q, points off the curve or (G2) outside the subgroup,
the point at infinity, public inputs not below r (never reduced: accepting
``x + r`` for ``x`` made snarkjs proofs replayable, iden3/snarkjs#358), a
wrong count.  Unknown extra keys are ignored, as snarkjs does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ...errors import CurveError, ProofError
from ..field import FrArray, Q, R
from ..groth16.keys import G1Point, G2Point, Proof, VerifyingKey
from ..points import G1Array, G2Array

__all__ = [
    "proof_to_json",
    "proof_from_json",
    "vk_to_json",
    "vk_from_json",
    "public_to_json",
    "public_from_json",
    "ALPHABETA_EXPONENT",
]

#: The BN254 parameter x (the curve family's u): q and r are polynomials in it.
BN_X = 4965661367192848881
#: snarkjs's ``vk_alphabeta_12`` is ``pairing(alpha, beta) ** ALPHABETA_EXPONENT``.
ALPHABETA_EXPONENT = 2 * BN_X * (6 * BN_X * BN_X + 3 * BN_X + 1)

PROTOCOL = "groth16"
CURVE = "bn128"
#: Curve names snarkjs and other tools use for BN254, accepted on input.
_CURVE_NAMES = frozenset({"bn128", "bn254", "alt_bn128"})
#: Longest decimal string of a number below 2^256: refuse huge strings early.
_MAX_DIGITS = 78


# ---------------------------------------------------------------- writing


def _dec(value: int) -> str:
    return str(int(value))


def _g1_json(p: G1Point) -> list[str]:
    return [_dec(p[0]), _dec(p[1]), "1"]


def _g2_json(p: G2Point) -> list[list[str]]:
    (x0, x1), (y0, y1) = p
    return [[_dec(x0), _dec(x1)], [_dec(y0), _dec(y1)], ["1", "0"]]


def proof_to_json(proof: Proof) -> dict[str, Any]:
    """``proof.json`` as a JSON-ready dict (``json.dumps`` it)."""
    return {
        "pi_a": _g1_json(proof.a),
        "pi_b": _g2_json(proof.b),
        "pi_c": _g1_json(proof.c),
        "protocol": PROTOCOL,
        "curve": CURVE,
    }


def alphabeta_12(vk: VerifyingKey) -> list[list[list[str]]]:
    """snarkjs's ``vk_alphabeta_12`` for ``vk`` (see the module docstring)."""
    from ..pairing import pairing  # only vk export needs it: proof JSON stays light

    t = (pairing(vk.alpha_g1, vk.beta_g2) ** ALPHABETA_EXPONENT).tower_ints()
    return [
        [[_dec(t[6 * h + 2 * s]), _dec(t[6 * h + 2 * s + 1])] for s in range(3)] for h in range(2)
    ]


def vk_to_json(vk: VerifyingKey) -> dict[str, Any]:
    """``verification_key.json`` as a JSON-ready dict."""
    return {
        "protocol": PROTOCOL,
        "curve": CURVE,
        "nPublic": vk.n_public,
        "vk_alpha_1": _g1_json(vk.alpha_g1),
        "vk_beta_2": _g2_json(vk.beta_g2),
        "vk_gamma_2": _g2_json(vk.gamma_g2),
        "vk_delta_2": _g2_json(vk.delta_g2),
        "vk_alphabeta_12": alphabeta_12(vk),
        "IC": [_g1_json(p) for p in vk.ic],
    }


def public_to_json(public_inputs: Iterable[int] | FrArray) -> list[str]:
    """``public.json``: the public inputs as decimal strings.

    Raises ValueError for an int outside ``[0, r)``: writing ``x + r`` would
    state a different statement in most tools' eyes, so nothing is reduced."""
    values = public_inputs.to_ints() if isinstance(public_inputs, FrArray) else list(public_inputs)
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"public input {i} must be an int, got {type(v).__name__}")
        if not 0 <= v < R:
            raise ValueError(f"public input {i} is not in [0, r): {v}")
        out.append(_dec(v))
    return out


# ---------------------------------------------------------------- reading


def _parse(data: Any, what: str) -> Any:
    if isinstance(data, (str, bytes, bytearray)):
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise ProofError(f"{what}: not valid JSON ({exc})") from None
    return data


def _number(value: Any, where: str, bound: int, bound_name: str) -> int:
    """A canonical decimal string below ``bound`` (no sign, space, 0x or leading zero)."""
    if not isinstance(value, str):
        raise ProofError(f"{where}: expected a decimal string, got {type(value).__name__}")
    if not (value.isascii() and value.isdigit()) or len(value) > _MAX_DIGITS:
        raise ProofError(f"{where}: {value[:90]!r} is not a decimal string")
    if len(value) > 1 and value[0] == "0":
        raise ProofError(f"{where}: {value!r} has leading zeros")
    n = int(value)
    if n >= bound:
        raise ProofError(f"{where}: {value} is not below {bound_name} (never reduced)")
    return n


def _list(value: Any, n: int, where: str) -> list[Any]:
    if not isinstance(value, list) or len(value) != n:
        got = f"a list of {len(value)}" if isinstance(value, list) else type(value).__name__
        raise ProofError(f"{where}: expected a list of {n}, got {got}")
    return value


def _checked(cls: type[G1Array] | type[G2Array], point: Any, where: str) -> Any:
    try:
        cls.from_ints([point])
    except CurveError as exc:
        raise ProofError(f"{where}: {exc}") from exc
    return point


def _g1(value: Any, where: str) -> G1Point:
    x, y, z = _list(value, 3, where)
    px = _number(x, f"{where}[0]", Q, "q")
    py = _number(y, f"{where}[1]", Q, "q")
    if _number(z, f"{where}[2]", Q, "q") != 1:
        raise ProofError(f'{where}: expected an affine point with z = "1" (infinity is refused)')
    return _checked(G1Array, (px, py), where)


def _g2(value: Any, where: str) -> G2Point:
    x, y, z = _list(value, 3, where)
    xs = [_number(c, f"{where}[0][{i}]", Q, "q") for i, c in enumerate(_list(x, 2, f"{where}[0]"))]
    ys = [_number(c, f"{where}[1][{i}]", Q, "q") for i, c in enumerate(_list(y, 2, f"{where}[1]"))]
    zs = [_number(c, f"{where}[2][{i}]", Q, "q") for i, c in enumerate(_list(z, 2, f"{where}[2]"))]
    if zs != [1, 0]:
        raise ProofError(
            f'{where}: expected an affine point with z = ["1", "0"] (infinity is refused)'
        )
    point = ((xs[0], xs[1]), (ys[0], ys[1]))
    return _checked(G2Array, point, f"{where} (on the twist and in the order-r subgroup)")


def _header(obj: Any, what: str, required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ProofError(f"{what}: expected a JSON object, got {type(obj).__name__}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise ProofError(f"{what}: missing {', '.join(missing)}")
    protocol = obj.get("protocol", PROTOCOL)
    if protocol != PROTOCOL:
        raise ProofError(f"{what}: protocol {protocol!r} is not {PROTOCOL!r}")
    curve = obj.get("curve", CURVE)
    if not isinstance(curve, str) or curve.lower() not in _CURVE_NAMES:
        raise ProofError(f"{what}: curve {curve!r} is not BN254 (bn128)")
    return obj


def proof_from_json(data: Any) -> Proof:
    """A :class:`Proof` from ``proof.json`` (parsed, or its text), fully validated."""
    obj = _header(_parse(data, "proof.json"), "proof.json", ("pi_a", "pi_b", "pi_c"))
    return Proof(
        a=_g1(obj["pi_a"], "proof.json pi_a"),
        b=_g2(obj["pi_b"], "proof.json pi_b"),
        c=_g1(obj["pi_c"], "proof.json pi_c"),
    )


def vk_from_json(data: Any) -> VerifyingKey:
    """A :class:`VerifyingKey` from ``verification_key.json`` (parsed, or its text).

    ``nPublic`` must equal ``len(IC) - 1``; ``vk_alphabeta_12``, if present,
    must be 2 x 3 x 2 decimal strings below q (its value is not used)."""
    what = "verification_key.json"
    keys = ("nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC")
    obj = _header(_parse(data, what), what, keys)
    n_public = obj["nPublic"]
    if isinstance(n_public, bool) or not isinstance(n_public, int) or n_public < 0:
        raise ProofError(f"{what} nPublic: expected a non-negative integer, got {n_public!r}")
    ic = obj["IC"]
    if not isinstance(ic, list) or len(ic) != n_public + 1:
        got = len(ic) if isinstance(ic, list) else type(ic).__name__
        raise ProofError(f"{what} IC: expected nPublic + 1 = {n_public + 1} points, got {got}")
    if "vk_alphabeta_12" in obj:
        ab = obj["vk_alphabeta_12"]
        for h, half in enumerate(_list(ab, 2, f"{what} vk_alphabeta_12")):
            for s, pair in enumerate(_list(half, 3, f"{what} vk_alphabeta_12[{h}]")):
                for c, v in enumerate(_list(pair, 2, f"{what} vk_alphabeta_12[{h}][{s}]")):
                    _number(v, f"{what} vk_alphabeta_12[{h}][{s}][{c}]", Q, "q")
    return VerifyingKey(
        alpha_g1=_g1(obj["vk_alpha_1"], f"{what} vk_alpha_1"),
        beta_g2=_g2(obj["vk_beta_2"], f"{what} vk_beta_2"),
        gamma_g2=_g2(obj["vk_gamma_2"], f"{what} vk_gamma_2"),
        delta_g2=_g2(obj["vk_delta_2"], f"{what} vk_delta_2"),
        ic=tuple(_g1(p, f"{what} IC[{i}]") for i, p in enumerate(ic)),
    )


def public_from_json(data: Any, n_public: int | None = None) -> list[int]:
    """The public inputs of ``public.json`` (parsed, or its text) as ints.

    Each must be a decimal string below r -- never reduced (iden3/snarkjs#358);
    with ``n_public`` given, the count must match."""
    values = _parse(data, "public.json")
    if not isinstance(values, list):
        raise ProofError(f"public.json: expected a list, got {type(values).__name__}")
    if n_public is not None and len(values) != n_public:
        raise ProofError(
            f"public.json: {len(values)} public inputs, the verifying key takes {n_public}"
        )
    return [_number(v, f"public.json[{i}]", R, "r") for i, v in enumerate(values)]
