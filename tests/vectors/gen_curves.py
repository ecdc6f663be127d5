"""curves.json: G1, G2, their encodings, MSM and pairing checks, expected values
from py_ecc.optimized_bn128 (and the generator's own encoders)."""

from __future__ import annotations

from gen_common import DRAWS, GENERATOR, REGEN, VERSION, Q, R, agree, dec, draw, reject
from py_ecc import optimized_bn128 as ecc

HALF = (Q - 1) // 2


# ---------------------------------------------------------------- py_ecc <-> affine tuples


def aff(g: str, pt):
    """A py_ecc projective point as a pouw-style affine tuple (None at infinity)."""
    if ecc.is_inf(pt):
        return None
    x, y = ecc.normalize(pt)
    if g == "G1":
        return (int(x), int(y))
    return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))


def proj(g: str, p):
    if g == "G1":
        return ecc.Z1 if p is None else (ecc.FQ(p[0]), ecc.FQ(p[1]), ecc.FQ.one())
    return ecc.Z2 if p is None else (ecc.FQ2(list(p[0])), ecc.FQ2(list(p[1])), ecc.FQ2.one())


def js(p):
    """A point in the file: [x, y] (G1) or [[x_c0, x_c1], [y_c0, y_c1]] (G2), decimal; null."""
    if p is None:
        return None
    return [dec(c) if isinstance(c, int) else [dec(c[0]), dec(c[1])] for c in p]


def unjs(v):
    if v is None:
        return None
    return tuple(int(c) if isinstance(c, str) else (int(c[0]), int(c[1])) for c in v)


def mul(g: str, p, k: int):
    return aff(g, ecc.multiply(proj(g, p), k))


def base(g: str):
    return aff(g, ecc.G1 if g == "G1" else ecc.G2)


# ---------------------------------------------------------------- encodings (from EIP-196/197)


def words(*vs: int) -> bytes:
    return b"".join(v.to_bytes(32, "big") for v in vs)


def uncompressed(g: str, p) -> bytes:
    """G1: x || y; G2: x_c1 || x_c0 || y_c1 || y_c0; infinity: zeros."""
    if p is None:
        return bytes(64 if g == "G1" else 128)
    if g == "G1":
        return words(*p)
    (x0, x1), (y0, y1) = p
    return words(x1, x0, y1, y0)


def compressed(g: str, p) -> bytes:
    """x (G2: x_c1 || x_c0) with flags 0b10 (small y) / 0b11 (large y) / 0b01 (infinity)."""
    if p is None:
        return b"\x40" + bytes(31 if g == "G1" else 63)
    if g == "G1":
        out, large = bytearray(words(p[0])), p[1] > HALF
    else:
        (x0, x1), (y0, y1) = p
        out, large = bytearray(words(x1, x0)), (y1 > HALF if y1 else y0 > HALF)
    out[0] |= 0xC0 if large else 0x80
    return bytes(out)


# ---------------------------------------------------------------- square roots, written here


def fq_sqrt(a: int) -> int | None:
    r = pow(a, (Q + 1) // 4, Q)  # q = 3 mod 4
    return r if r * r % Q == a % Q else None


def fq2_sqrt(a0: int, a1: int) -> tuple[int, int] | None:
    """A square root in Fq[u]/(u^2 + 1) through the norm a0^2 + a1^2, or None."""
    if a1 == 0:
        r = fq_sqrt(a0)
        if r is not None:
            return (r, 0)
        s = fq_sqrt(-a0 % Q)  # (s u)^2 = -s^2
        return None if s is None else (0, s)
    n = fq_sqrt((a0 * a0 + a1 * a1) % Q)
    if n is None:
        return None
    for t in (n, Q - n):
        x0 = fq_sqrt((a0 + t) * pow(2, -1, Q) % Q)
        if x0:
            x1 = a1 * pow(2 * x0, -1, Q) % Q
            if ((x0 * x0 - x1 * x1) % Q, 2 * x0 * x1 % Q) == (a0 % Q, a1 % Q):
                return (x0, x1)
    return None


def twist_rhs(x0: int, x1: int) -> tuple[int, int]:
    v = ecc.FQ2([x0, x1]) ** 3 + ecc.b2
    return (int(v.coeffs[0]), int(v.coeffs[1]))


def outside_g2():
    """The first x = (i, 1) with a twist point; py_ecc confirms [r]P is not infinity."""
    for i in range(100):
        y = fq2_sqrt(*twist_rhs(i, 1))
        if y is not None:
            p = ((i, 1), y)
            assert ecc.is_on_curve(proj("G2", p), ecc.b2)
            assert not ecc.is_inf(ecc.multiply(proj("G2", p), R))
            return p
    raise AssertionError("no twist point found")


# ---------------------------------------------------------------- the vectors


def group_vectors(g: str) -> list[dict]:
    out: list[dict] = []

    def case(name: str, op: str, **fields: object) -> None:
        out.append({"name": f"{g} {name}", "op": op, "group": g, **fields})

    gen = base(g)
    p, q = (mul(g, gen, draw(f"{g} point {i}", R)) for i in range(2))
    neg_p = aff(g, ecc.neg(proj(g, p)))
    case("generator", "generator", expected=js(gen))
    for name, a, b in [
        ("G + G", gen, gen),
        ("G + 2G", gen, mul(g, gen, 2)),
        ("P + Q", p, q),
        ("P + (-P)", p, neg_p),
        ("infinity + P", None, p),
        ("P + infinity", p, None),
        ("infinity + infinity", None, None),
    ]:
        want = aff(g, ecc.add(proj(g, a), proj(g, b)))
        case(name, "add", a=js(a), b=js(b), expected=js(want))
    for name, a in [("G", gen), ("P", p), ("infinity", None)]:
        case(f"double {name}", "double", a=js(a), expected=js(aff(g, ecc.double(proj(g, a)))))
        case(f"neg {name}", "neg", a=js(a), expected=js(aff(g, ecc.neg(proj(g, a)))))
    scalars = [0, 1, 2, R - 1, R, R + 1, (1 << 256) - 1, draw(f"{g} scalar", R)]
    if g == "G1":
        scalars[3:3] = [3, 1 << 128]
    for pname, pt, ks in [("G", gen, scalars), ("P", q, scalars[-2:])]:
        for k in ks:  # py_ecc multiplies by k itself, unreduced: [r]P is computed
            case(f"[{k}]{pname}", "mul", point=js(pt), scalar=dec(k), expected=js(mul(g, pt, k)))
    for name, pt in [("generator", gen), ("infinity", None), ("P", p), ("-P", neg_p), ("Q", q)]:
        un, co = uncompressed(g, pt).hex(), compressed(g, pt).hex()
        case(f"encode {name}", "encoding", point=js(pt), uncompressed=un, compressed=co)
    n = 8 if g == "G1" else 4
    pts = [mul(g, gen, draw(f"{g} msm point {i}", R)) for i in range(n)]
    ks = [draw(f"{g} msm scalar {i}", R) for i in range(n)]
    pts[1], ks[2], ks[3] = None, 0, R - 1
    for name, ps, ss in [
        (f"{n} points, one at infinity, scalars 0 and r-1 among them", pts, ks),
        ("[k]P + [r-k]P is infinity", pts[:1] * 2, [ks[0], R - ks[0]]),
        ("one point", pts[:1], ks[-1:]),
    ]:
        acc = ecc.Z1 if g == "G1" else ecc.Z2
        for pt, k in zip(ps, ss, strict=True):
            acc = ecc.add(acc, ecc.multiply(proj(g, pt), k))
        points = [js(pt) for pt in ps]
        case(
            f"msm: {name}",
            "msm",
            points=points,
            scalars=[dec(k) for k in ss],
            expected=js(aff(g, acc)),
        )
    return out


def membership_vectors(bad2) -> list[dict]:
    (gx, (gy0, gy1)) = base("G2")
    out = []
    for name, g, p in [
        ("the G1 generator", "G1", base("G1")),
        ("(1, 3), off the G1 curve", "G1", (1, 3)),
        ("the G2 generator", "G2", base("G2")),
        ("the G2 generator with y_c0 + 1, off the twist", "G2", (gx, ((gy0 + 1) % Q, gy1))),
        ("a twist point outside G2", "G2", bad2),
    ]:
        on = ecc.is_on_curve(proj(g, p), ecc.b if g == "G1" else ecc.b2)
        sub = bool(on and ecc.is_inf(ecc.multiply(proj(g, p), R)))
        out.append(
            {
                "name": f"membership: {name}",
                "op": "membership",
                "group": g,
                "point": js(p),
                "on_curve": on,
                "in_group": sub,
            }
        )
    return out


def rejection_vectors(bad2) -> list[dict]:
    """Encodings every decoder must reject, with the reason."""
    g1, g2 = base("G1"), base("G2")
    (gx0, gx1), (gy0, gy1) = g2
    nx = next(x for x in range(1, 100) if fq_sqrt((x**3 + 3) % Q) is None)
    nx2 = next(i for i in range(1, 100) if fq2_sqrt(*twist_rhs(i, 0)) is None)
    small = 2 << 254  # the flag 0b10 in the top bits of a 32-byte word
    rows = [
        ("g1", "off the curve: (1, 3)", words(1, 3)),
        ("g1", "x >= q: (1 + q, 2), the generator if reduced", words(1 + Q, 2)),
        ("g1", "y >= q: (1, 2 + q)", words(1, 2 + Q)),
        ("g1", "63 bytes, not 64", uncompressed("G1", g1)[:63]),
        ("g2", "off the twist: the generator with y_c0 + 1", words(gx1, gx0, gy1, gy0 + 1)),
        ("g2", "x_c0 >= q: the generator with x_c0 + q", words(gx1, gx0 + Q, gy1, gy0)),
        ("g2", "y_c1 >= q: the generator with y_c1 + q", words(gx1, gx0, gy1 + Q, gy0)),
        ("g2", "on the twist but not in the order-r subgroup", uncompressed("G2", bad2)),
        ("g2", "127 bytes, not 128", uncompressed("G2", g2)[:127]),
        ("g1_compressed", "flag bits 0b00 (the uncompressed marker)", words(1)),
        ("g1_compressed", "infinity flag with another bit set", b"\x40" + bytes(30) + b"\x01"),
        ("g1_compressed", "x = q, not below q", words(Q | small)),
        ("g1_compressed", f"no point has x = {nx}", words(nx | small)),
        ("g1_compressed", "33 bytes, not 32", compressed("G1", g1) + b"\x00"),
        ("g2_compressed", "flag bits 0b00 (the uncompressed marker)", words(gx1, gx0)),
        ("g2_compressed", "infinity flag with another bit set", b"\x40" + bytes(62) + b"\x01"),
        ("g2_compressed", "x_c1 = q, not below q", words(Q | small, gx0)),
        ("g2_compressed", f"no twist point has x = {nx2}", words(small, nx2)),
        ("g2_compressed", "the x of a twist point outside G2", compressed("G2", bad2)),
    ]
    return [
        {
            "name": f"decode_{enc} rejects: {why}",
            "op": "decode",
            "encoding": enc,
            "hex": raw.hex(),
            **reject(why, "CurveError"),
        }
        for enc, why, raw in rows
    ]


def pairing_vectors(bad2) -> list[dict]:
    g1, g2 = base("G1"), base("G2")
    a, b, c, d = (draw(f"pairing scalar {s}", R) for s in "abcd")

    def m1(k: int):
        return mul("G1", g1, k % R)

    def m2(k: int):
        return mul("G2", g2, k % R)

    out = []
    for name, pairs in [
        ("e(aP, bQ) e(-abP, Q) == 1", [(m1(a), m2(b)), (m1(-a * b), g2)]),
        ("e(aP, bQ) e(-(ab+1)P, Q) != 1", [(m1(a), m2(b)), (m1(-a * b - 1), g2)]),
        (
            "e(aP, bQ) e(cP, dQ) e(-(ab+cd)P, Q) == 1",
            [(m1(a), m2(b)), (m1(c), m2(d)), (m1(-a * b - c * d), g2)],
        ),
        ("e(P, Q) e(P, -Q) == 1", [(g1, g2), (g1, m2(-1))]),
        ("e(P, Q) alone != 1", [(g1, g2)]),
        ("pairs with a point at infinity contribute 1", [(None, g2), (g1, None)]),
        ("the empty product is 1", []),
    ]:
        f = ecc.FQ12.one()
        for p1, p2 in pairs:  # one Miller loop a pair, one final exponentiation
            f = f * ecc.pairing(proj("G2", p2), proj("G1", p1), final_exponentiate=False)
        ok = ecc.final_exponentiate(f) == ecc.FQ12.one()
        js_pairs = [[js(p1), js(p2)] for p1, p2 in pairs]
        out.append(
            {
                "name": f"pairing_check: {name}",
                "op": "pairing_check",
                "pairs": js_pairs,
                "expected": ok,
            }
        )
    for name, pairs in [
        ("a G2 point outside the subgroup", [(g1, bad2)]),
        ("a G1 point off the curve", [((1, 3), g2)]),
    ]:
        js_pairs = [[js(p1), js(p2)] for p1, p2 in pairs]
        out.append(
            {
                "name": f"pairing_check rejects {name}",
                "op": "pairing_check",
                "pairs": js_pairs,
                **reject(name, "CurveError"),
            }
        )
    coeffs = [int(x) for x in ecc.pairing(ecc.G2, ecc.G1).coeffs]
    # the tower Fq12 = Fq6[w]/(w^2 - v), Fq6 = Fq2[v]/(v^3 - (9+u)) has w^6 = 9 + u, so
    # e_k w^k + e_(k+6) w^(k+6) = w^k ((e_k + 9 e_(k+6)) + e_(k+6) u), and w^k = w^(k%2) v^(k//2)
    tower = [0] * 12
    for k in range(6):
        at = 6 * (k % 2) + 2 * (k // 2)
        tower[at], tower[at + 1] = (coeffs[k] + 9 * coeffs[k + 6]) % Q, coeffs[k + 6]
    out.append(
        {
            "name": "pairing e(P, Q) of the generators",
            "op": "pairing",
            "g1": js(g1),
            "g2": js(g2),
            "expected": [dec(x) for x in coeffs],
            "expected_tower": [dec(x) for x in tower],
        }
    )
    return out


def curve_vectors(pairings: bool = True) -> list[dict]:
    """Every vector; ``pairings=False`` leaves out the slow ones (py_ecc pairings)."""
    bad2 = outside_g2()
    out = group_vectors("G1") + group_vectors("G2")
    out += membership_vectors(bad2) + rejection_vectors(bad2)
    if pairings:
        out += pairing_vectors(bad2)
    for v in out:  # pouw must agree before anything is written
        agree(v, pouw_curve(v))
    return out


def pouw_curve(v: dict) -> object:
    """pouw's answer to one vector (a point, a bool, coefficients, or None once the
    vector's own assertions hold); ``{"reject": <exception name>}`` when pouw raises."""
    from pouw.zk import curve as C
    from pouw.zk import pairing as P

    g, op = v.get("group"), v["op"]
    one = "g1" if g == "G1" else "g2"
    add, neg, times = (getattr(C, f"{one}_{f}") for f in ("add", "neg", "mul"))
    try:
        if op == "generator":
            return js(C.G1_GENERATOR if g == "G1" else C.G2_GENERATOR)
        if op == "add":
            return js(add(unjs(v["a"]), unjs(v["b"])))
        if op == "double":
            a = unjs(v["a"])
            assert times(a, 2) == add(a, a), v["name"]
            return js(add(a, a))
        if op == "neg":
            return js(neg(unjs(v["a"])))
        if op == "mul":
            return js(times(unjs(v["point"]), int(v["scalar"])))
        if op == "msm":
            pts, ks = [unjs(p) for p in v["points"]], [int(k) for k in v["scalars"]]
            return js(getattr(C, f"{one}_msm")(pts, ks, threads=1))
        if op == "encoding":
            p = unjs(v["point"])
            un, co = bytes.fromhex(v["uncompressed"]), bytes.fromhex(v["compressed"])
            assert getattr(C, f"encode_{one}")(p) == un, v["name"]
            assert getattr(C, f"encode_{one}_compressed")(p) == co, v["name"]
            assert getattr(C, f"decode_{one}")(un) == p, v["name"]
            assert getattr(C, f"decode_{one}_compressed")(co) == p, v["name"]
            return None
        if op == "decode":
            getattr(C, f"decode_{v['encoding']}")(bytes.fromhex(v["hex"]))
            return "accepted"
        if op == "membership":
            p = unjs(v["point"])
            if g == "G1":
                assert C.g1_is_on_curve(p) == v["on_curve"], v["name"]
            else:
                assert C.g2_is_on_curve(p) == v["on_curve"], v["name"]
                assert C.g2_is_in_subgroup(p) == v["in_group"], v["name"]
            return None
        if op == "pairing_check":
            return P.pairing_check([(unjs(a), unjs(b)) for a, b in v["pairs"]])
        if op == "pairing":
            e = P.pairing(unjs(v["g1"]), unjs(v["g2"]))
            assert [dec(x) for x in e.tower_ints()] == v["expected_tower"], v["name"]
            return [dec(x) for x in e.to_ints()]
    except AssertionError:
        raise
    except (ValueError, TypeError) as exc:  # CurveError is a ValueError
        return {"reject": type(exc).__name__}
    raise ValueError(f"unknown op {op!r}")


def curves_doc(pairings: bool = True) -> dict:
    return {
        "description": (
            "Vectors for the groups of BN254 (alt_bn128), the curves of Ethereum's precompiles "
            "(EIP-196/197). G1: y^2 = x^3 + 3 over Fq (cofactor 1). G2: y^2 = x^3 + 3/(9+u) "
            "over Fq2 = Fq[u]/(u^2 + 1) (the twist), restricted to its order-r subgroup. "
            "Ops: generator; add (a + b); double ([2]a); neg (-a); mul ([k]P for an integer "
            "k in [0, 2^256): k = r gives infinity); msm (the sum of [k_i]P_i); encoding (a "
            "point's uncompressed and compressed bytes, to be checked both ways); decode (an "
            "encoding that must be rejected, and why); membership (on the curve, in the "
            "order-r group); pairing_check (whether the product of the e(P_i, Q_i) is 1: the "
            "answer of the EIP-197 precompile, whose input is the pairs' uncompressed "
            "encodings concatenated); pairing (e(P, Q) itself, in Fq12)."
        ),
        "format": {
            "group": "'G1' or 'G2'",
            "G1 point": "[x, y], decimal strings of canonical integers in [0, q); null is infinity",
            "G2 point": (
                "[[x_c0, x_c1], [y_c0, y_c1]] with x = x_c0 + x_c1 u, decimal strings in [0, q); "
                "null is infinity"
            ),
            "scalar, scalars": "decimal strings in [0, 2^256); the result is [k mod r]P",
            "uncompressed": (
                "hex; G1: x || y, G2: x_c1 || x_c0 || y_c1 || y_c0 (imaginary part first), "
                "each coordinate 32 bytes big-endian (EIP-196/197); infinity is all zero "
                "bytes (64 / 128)"
            ),
            "compressed": (
                "hex; G1: x (32 bytes), G2: x_c1 || x_c0 (64 bytes), big-endian, with flags in "
                "the two top bits of the first byte (free since q < 2^254): 0b10 y is the "
                "smaller root, 0b11 the larger (y > (q-1)/2; in G2 compare y_c1, or y_c0 when "
                "y_c1 = 0), 0b01 infinity (every other bit zero), 0b00 rejected; the "
                "convention of gnark-crypto's BN254 encoding (arkworks' differs)"
            ),
            "encoding": "of a decode case: g1, g2 (uncompressed), g1_compressed or g2_compressed",
            "pairs": "[[G1 point, G2 point], ...]",
            "expected": (
                "the result: a point, a bool (pairing_check), or for pairing the 12 Fq "
                "coefficients of e(P, Q) in py_ecc's basis Fq[w]/(w^12 - 18 w^6 + 82), w^0 first"
            ),
            "expected_tower": (
                "the same Fq12 element in the tower Fq12 = Fq6[w]/(w^2 - v), Fq6 = "
                "Fq2[v]/(v^3 - (9 + u)), Fq2 = Fq[u]/(u^2 + 1): c0 + c1 w, c_i = d0 + d1 v + "
                "d2 v^2, d_j = e0 + e1 u, listed c0.d0.e0, c0.d0.e1, c0.d1.e0, ..., c1.d2.e1"
            ),
            "reject": "instead of 'expected' when the input must be rejected: why",
            "pouw_error": "the exception pouw raises for it",
        },
        "moduli": {"r": dec(R), "q": dec(Q)},
        "source": (
            f"{GENERATOR} (gen_curves.py): points, sums, doubles, negations, multiples (by "
            "the unreduced scalar), MSMs (as sums of multiples), membership ([r]P is "
            "infinity) and pairings (a product of Miller loops, one final exponentiation) are "
            "computed with py_ecc.optimized_bn128; the encodings by the generator's own code "
            "from the rules above (the compressed form is not cross-checked against "
            "gnark-crypto here); the twist point outside G2 is the first x = (i, 1) that has "
            "one, its y from a norm-based Fq2 square root written in the generator. "
            "pouw.zk.curve, pouw.zk.msm and pouw.zk.pairing are asserted to agree before the "
            f"file is written. {DRAWS} Regenerate: {REGEN}"
        ),
        "version": VERSION,
        "vectors": curve_vectors(pairings),
    }
