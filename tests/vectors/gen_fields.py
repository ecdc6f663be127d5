"""fields.json: Fr and Fq arithmetic, expected values from Python ints."""

from __future__ import annotations

from gen_common import DRAWS, GENERATOR, REGEN, VERSION, Q, R, agree, dec, draw, reject

FIELDS = {"Fr": R, "Fq": Q}


def named_values(p: int) -> dict[str, int]:
    """Edge cases of a 254-bit Montgomery field, plus two random elements."""
    return {
        "0": 0,
        "1": 1,
        "2": 2,
        "p-1": p - 1,
        "(p-1)/2": (p - 1) // 2,
        "(p+1)/2": (p + 1) // 2,
        "2^64-1": (1 << 64) - 1,
        "2^253": 1 << 253,
        "2^256 mod p": (1 << 256) % p,  # the Montgomery constant R
        "2^-256 mod p": pow(1 << 256, -1, p),
        "random 1": draw("field random 1", p),
        "random 2": draw("field random 2", p),
    }


PAIRS = [
    ("0", "0"),
    ("1", "p-1"),
    ("p-1", "p-1"),
    ("(p-1)/2", "2"),
    ("(p+1)/2", "2"),
    ("2^256 mod p", "2^-256 mod p"),
    ("2^64-1", "2^64-1"),
    ("2^253", "2^253"),
    ("random 1", "random 2"),
    ("random 2", "p-1"),
]


def field_vectors(fname: str, p: int) -> list[dict]:
    out: list[dict] = []

    def case(name: str, op: str, result: str | list[str] | dict, **args: object) -> None:
        body = result if isinstance(result, dict) else {"expected": result}
        out.append({"name": f"{fname} {name}", "field": fname, "op": op, **args, **body})

    vals = named_values(p)
    for label, a in vals.items():
        case(f"-({label})", "neg", dec(-a % p), a=dec(a))
        case(f"({label})^2", "square", dec(a * a % p), a=dec(a))
        if a:
            case(f"1/({label})", "inverse", dec(pow(a, -1, p)), a=dec(a))
    case("1/0", "inverse", reject("zero has no inverse", "ZeroDivisionError"), a="0")
    for la, lb in PAIRS:
        a, b = vals[la], vals[lb]
        ab = {"a": dec(a), "b": dec(b)}
        case(f"({la}) + ({lb})", "add", dec((a + b) % p), **ab)
        case(f"({la}) - ({lb})", "sub", dec((a - b) % p), **ab)
        case(f"({la}) * ({lb})", "mul", dec(a * b % p), **ab)
    r1, r2 = vals["random 1"], vals["random 2"]
    for la, lk, k in [
        ("random 1", "0", 0),
        ("0", "0", 0),
        ("0", "5", 5),
        ("random 1", "p-2", p - 2),
        ("random 1", "p-1", p - 1),
        ("random 1", "(p-1)/2", (p - 1) // 2),
        ("random 2", "(p-1)/2", (p - 1) // 2),
        ("2", "2^256-1", (1 << 256) - 1),
    ]:
        a = {"random 1": r1, "random 2": r2, "0": 0, "2": 2}[la]
        case(f"({la})^({lk})", "pow", dec(pow(a, k, p)), a=dec(a), k=dec(k))
    for label, n in [
        ("p", p),
        ("p+1", p + 1),
        ("2^255", 1 << 255),
        ("2^256-1", (1 << 256) - 1),
        ("random 256-bit", draw("field wide", 1 << 256)),
    ]:
        case(f"{label} mod p", "reduce", dec(n % p), a=dec(n))
    for label, n, order in [
        ("p-1", p - 1, "big"),
        ("p-1", p - 1, "little"),
        ("p", p, "big"),
        ("p", p, "little"),
        ("2^256-1", (1 << 256) - 1, "big"),
    ]:
        res = (
            dec(n) if n < p else reject("the integer is not below p (never reduced)", "CurveError")
        )
        raw = n.to_bytes(32, order).hex()
        case(f"decode {label} ({order}-endian)", "from_bytes", res, bytes=raw, byteorder=order)
    res = reject("an encoding is 32 bytes", "ValueError")
    case("decode 31 bytes", "from_bytes", res, bytes="01" * 31, byteorder="big")
    xs = [vals["p-1"], 1, vals["random 1"]] + [draw(f"field batch {i}", p) for i in range(6)]
    ys = [draw(f"field batch b {i}", p) for i in range(len(xs))]
    ints = [dec(x) for x in xs]
    prods = [dec(x * y % p) for x, y in zip(xs, ys, strict=True)]
    case("batch mul", "mul", prods, a=ints, b=[dec(y) for y in ys])
    case("batch inverse", "inverse", [dec(pow(x, -1, p)) for x in xs], a=ints)
    why = reject("element 4 is zero: the whole batch is rejected", "ZeroDivisionError", index=4)
    case("batch inverse with a zero", "inverse", why, a=ints[:4] + ["0"] + ints[4:])
    return out


def pouw_field(v: dict) -> object:
    """pouw's answer to one vector, through the native arrays (FrArray / FqArray)."""
    from pouw.zk.field import FqArray, FrArray

    cls = FrArray if v["field"] == "Fr" else FqArray
    batch = isinstance(v.get("a"), list)

    def arr(key: str):
        return cls.from_ints([int(x) for x in (v[key] if batch else [v[key]])])

    op = v["op"]
    try:
        if op == "from_bytes":
            res = cls.from_bytes(bytes.fromhex(v["bytes"]), v["byteorder"])
        elif op == "add":
            res = arr("a") + arr("b")
        elif op == "sub":
            res = arr("a") - arr("b")
        elif op == "mul":
            res = arr("a") * arr("b")
        elif op == "pow":
            res = arr("a").pow(int(v["k"]))
        elif op == "neg":
            res = -arr("a")
        elif op == "square":
            res = arr("a").square()
        elif op == "inverse":
            res = arr("a").inv()
        else:  # reduce: from_ints reduces modulo p
            res = arr("a")
    except (ValueError, ZeroDivisionError) as exc:  # CurveError is a ValueError
        return {"reject": type(exc).__name__}
    ints = [dec(x) for x in res.to_ints()]
    return ints if batch else ints[0]


def fields_doc() -> dict:
    vectors = field_vectors("Fr", R) + field_vectors("Fq", Q)
    for v in vectors:  # pouw must agree before anything is written
        agree(v, pouw_field(v))
    return {
        "description": (
            "Arithmetic vectors for the two prime fields of BN254 (alt_bn128): Fr, the scalar "
            "field (modulus r, the order of G1 and G2), and Fq, the base field (modulus q, "
            "where the curve coordinates live). Each vector applies one op to canonical "
            "elements and gives the canonical result, or says the input must be rejected. "
            "Ops: add, sub, mul (a op b mod p); neg (-a mod p); square; inverse (1/a; 0 is "
            "rejected); pow (a^k mod p for k >= 0, with 0^0 = 1); reduce (an integer below "
            "2^256 taken mod p); from_bytes (a 32-byte encoding decoded: one of an integer "
            ">= p is rejected, never reduced). A vector whose operands are lists is a batch, "
            "the op elementwise; a batch inverse with a zero is rejected as a whole. The edge "
            "cases include p-1, (p +- 1)/2, 2^253 (sums above 2^254), 2^256 mod p and its "
            "inverse (Montgomery's constant). pouw exposes no square root in Fr or Fq, so "
            "there are none here; Fq square roots are exercised by the compressed point "
            "encodings of curves.json."
        ),
        "format": {
            "field": "'Fr' or 'Fq'; their moduli are the 'moduli' entry of this file",
            "elements": "decimal strings of canonical integers in [0, p), never Montgomery form",
            "a, b": "the operands (decimal strings; lists of them for a batch)",
            "k": "the exponent of pow, a decimal string in [0, 2^256)",
            "bytes": "hex (lowercase, no 0x) of a 32-byte encoding, in 'byteorder' (big or little)",
            "expected": "the result (a decimal string, or a list for a batch)",
            "reject": "instead of 'expected' when the input must be rejected: why",
            "pouw_error": "the exception pouw raises for it",
            "index": "for a rejected batch: the offending element",
        },
        "moduli": {"Fr": dec(R), "Fq": dec(Q)},
        "source": (
            f"{GENERATOR} (gen_fields.py): every expected value is Python int arithmetic "
            "(pow(a, -1, p) for inverses); pouw.zk.field.FrArray / FqArray (the native "
            f"kernels) are asserted to agree before the file is written. {DRAWS} "
            f"Regenerate: {REGEN}"
        ),
        "version": VERSION,
        "vectors": vectors,
    }
