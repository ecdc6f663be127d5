"""``pouw groth16 ...``: Groth16 from the command line, drop-in for snarkjs and
rapidsnark (same argument order, same files).

=============================================================  ==========================================
``pouw groth16 prove ZKEY WTNS PROOF_JSON PUBLIC_JSON``         prove (rapidsnark's ``prover`` order)
``pouw groth16 verify VK_JSON PUBLIC_JSON PROOF_JSON``          prints OK and exits 0 for a valid proof
``pouw groth16 setup R1CS ZKEY_OUT VK_JSON_OUT``                development setup (unsafe for production)
``pouw groth16 solidity VK_JSON OUT.sol``                       a Solidity verifier contract
``pouw groth16 calldata PUBLIC_JSON PROOF_JSON``                the arguments of its ``verifyProof``
``pouw groth16 import ZKEY KEY_OUT``                            a .zkey, validated once, to pouw's key file
``pouw groth16 vkey KEY VK_JSON_OUT``                           export verification_key.json
=============================================================  ==========================================

``prove`` and ``vkey`` take either key file: a snarkjs ``.zkey`` or pouw's
own key file (:mod:`pouw.zk.groth16.keyfile`, opened in milliseconds, guarded
by a hash), told apart by their magic bytes.  ``prove`` imports a ``.zkey``
through a cache (:func:`~pouw.zk.groth16.keyfile.load_zkey_cached`): the first
run validates every point (seconds for a large key) and saves pouw's key file
under the BLAKE3 digest of the ``.zkey``'s bytes (``--cache-dir``, default
``$POUW_CACHE_DIR/groth16`` or ``~/.cache/pouw/groth16``); later runs on the
same bytes open that file, and a changed ``.zkey`` has another digest, so it
is validated afresh.  ``--no-cache`` validates on every run and writes
nothing.  ``import`` converts a ``.zkey`` into a key file explicitly.

``setup`` writes a snarkjs-compatible ``.zkey`` (which ``snarkjs groth16
prove`` also accepts) from toxic waste drawn from the OS's CSPRNG and then
discarded: anyone who saw this process's memory can forge proofs, so use it
for development only; production keys come from a ceremony (snarkjs's powers
of tau and phase 2).

Exit status: 0 on success; 1 when ``verify`` rejects the proof (an invalid
proof, or a proof or public inputs that are malformed: a point off the curve,
an input not below r...), printing ``INVALID`` and the reason; 2 for a usage
error (a missing or malformed key or witness file), with the message on
stderr and no traceback.

:mod:`pouw.cli` lists this module as the ``groth16`` command
(:func:`add_parser` sets ``func`` to :func:`run`); :func:`main` runs it alone
(``python -m pouw.cli.groth16 groth16 ...``). The zk layer is imported when a
subcommand runs, not when the parser is built.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import PouwError, ProofError

__all__ = ["add_parser", "run", "main"]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USER_ERROR = 2


def add_parser(subparsers: Any, name: str = "groth16") -> argparse.ArgumentParser:
    """Add the ``groth16`` command (and its subcommands) to ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help="Groth16 proofs over BN254, compatible with snarkjs, circom and Ethereum",
        description="Groth16 over BN254 with snarkjs's files: prove from a .zkey and a "
        "circom .wtns, verify snarkjs JSON, make development keys, export Solidity.",
    )
    parser.set_defaults(func=run)  # pouw.cli's convention: main calls args.func(args)
    sub = parser.add_subparsers(dest="groth16_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser(
        "prove",
        help="prove from a snarkjs .zkey (or a pouw key file) and a circom .wtns",
        description="Prove with the key ZKEY (a snarkjs Groth16 .zkey) for the witness WTNS "
        "(circom's .wtns); write snarkjs's proof.json and public.json. A .zkey is validated "
        "in full once per content and kept as pouw's key file in a cache (see --cache-dir); "
        "later runs on the same bytes open that file in milliseconds.",
    )
    p.add_argument("zkey", metavar="ZKEY", help="a snarkjs .zkey or a pouw key file")
    p.add_argument("wtns", metavar="WTNS")
    p.add_argument("proof_json", metavar="PROOF_JSON")
    p.add_argument("public_json", metavar="PUBLIC_JSON")
    p.add_argument(
        "--threads", type=int, default=None, help="threads for MSMs and NTTs (default: all cores)"
    )
    p.add_argument(
        "--cache-dir",
        default=None,
        help="where validated .zkey imports are kept (default: $POUW_CACHE_DIR/groth16 "
        "or ~/.cache/pouw/groth16)",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="validate the .zkey in full on every run and write no cache entry",
    )

    v = sub.add_parser(
        "verify",
        help="verify snarkjs JSON: print OK and exit 0 when valid",
        description="Verify PROOF_JSON for PUBLIC_JSON under VK_JSON (snarkjs's files). "
        "Exit 0 and print OK when valid; exit 1 and print INVALID otherwise.",
    )
    v.add_argument("vk_json", metavar="VK_JSON")
    v.add_argument("public_json", metavar="PUBLIC_JSON")
    v.add_argument("proof_json", metavar="PROOF_JSON")

    s = sub.add_parser(
        "setup",
        help="development setup: R1CS -> .zkey + verification_key.json (UNSAFE for production)",
        description="A circuit-specific development setup for circom's R1CS: writes a "
        "snarkjs-compatible Groth16 .zkey to ZKEY_OUT and verification_key.json to "
        "VK_JSON_OUT. The toxic waste comes from the OS's CSPRNG and is discarded, but "
        "it existed in this process: never use these keys in production (use a "
        "ceremony, then 'pouw groth16 prove' with its .zkey).",
    )
    s.add_argument("r1cs", metavar="R1CS")
    s.add_argument("zkey_out", metavar="ZKEY_OUT")
    s.add_argument("vk_json_out", metavar="VK_JSON_OUT")

    sol = sub.add_parser(
        "solidity",
        help="export a Solidity verifier contract for a verification key",
        description="Write a Solidity Groth16 verifier (EIP-196/197 precompiles) for VK_JSON.",
    )
    sol.add_argument("vk_json", metavar="VK_JSON")
    sol.add_argument("out", metavar="OUT.sol")

    cd = sub.add_parser(
        "calldata",
        help="print the Solidity verifier's verifyProof arguments for a proof",
        description="Print verifyProof's arguments for PROOF_JSON and PUBLIC_JSON "
        "(as snarkjs's 'zkey export soliditycalldata').",
    )
    cd.add_argument("public_json", metavar="PUBLIC_JSON")
    cd.add_argument("proof_json", metavar="PROOF_JSON")
    imp = sub.add_parser(
        "import",
        help="import a snarkjs .zkey into pouw's key file (validated once, fast to open)",
        description="Read ZKEY (a snarkjs Groth16 .zkey), validating every point, and save "
        "it as pouw's own key file KEY_OUT, which 'pouw groth16 prove' opens in milliseconds.",
    )
    imp.add_argument("zkey", metavar="ZKEY")
    imp.add_argument("key_out", metavar="KEY_OUT")

    vkey = sub.add_parser(
        "vkey",
        help="export verification_key.json from a proving key",
        description="Write the verification key of KEY (a .zkey or a pouw key file) as "
        "snarkjs's verification_key.json (as 'snarkjs zkey export verificationkey').",
    )
    vkey.add_argument("key", metavar="KEY")
    vkey.add_argument("vk_json_out", metavar="VK_JSON_OUT")
    return parser


def _load_key(path: str, cache: bool = False, cache_dir: str | None = None) -> Any:
    """The ProvingKey in ``path``: a snarkjs .zkey or pouw's key file, by magic.

    With ``cache`` a .zkey goes through :func:`load_zkey_cached` (validated
    once per distinct content); without, it is validated in full here."""
    from ..zk.formats import read_zkey
    from ..zk.groth16.keyfile import MAGIC, load_proving_key, load_zkey_cached

    try:
        with open(path, "rb") as f:
            magic = f.read(len(MAGIC))
    except OSError as exc:
        raise ProofError(f"cannot read {path}: {exc}") from None
    if magic == MAGIC:
        return load_proving_key(path)
    if cache:
        return load_zkey_cached(path, cache_dir)  # not a zkey either: read_zkey says so
    return read_zkey(path)[0]


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProofError(f"cannot read {path}: {exc}") from None


def _write_json(path: str, obj: Any) -> None:
    # snarkjs indents by one space; the same layout keeps diffs against its files small.
    Path(path).write_text(json.dumps(obj, indent=1) + "\n", encoding="utf-8")


def _prove(args: argparse.Namespace) -> int:
    from ..zk.formats import proof_to_json, public_to_json, read_wtns
    from ..zk.groth16 import prove

    pk = _load_key(args.zkey, cache=not args.no_cache, cache_dir=args.cache_dir)
    witness = read_wtns(args.wtns)
    proof = prove(pk, witness, threads=args.threads)
    _write_json(args.proof_json, proof_to_json(proof))
    _write_json(args.public_json, public_to_json(witness[1 : pk.n_public + 1]))
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from ..zk.formats import proof_from_json, public_from_json, vk_from_json
    from ..zk.groth16 import verify

    vk = vk_from_json(_read_text(args.vk_json))
    public_text, proof_text = _read_text(args.public_json), _read_text(args.proof_json)
    try:  # from here on, anything wrong is a rejected proof, not a usage error
        public = public_from_json(public_text, vk.n_public)
        proof = proof_from_json(proof_text)
    except PouwError as exc:
        print(f"INVALID: {exc}")
        return EXIT_INVALID
    if verify(vk, public, proof):
        print("OK")
        return EXIT_OK
    print("INVALID: the proof does not verify for these public inputs under this key")
    return EXIT_INVALID


def _setup(args: argparse.Namespace) -> int:
    from ..zk.formats import read_r1cs, vk_to_json
    from ..zk.formats.zkey_writer import write_zkey
    from ..zk.groth16 import setup

    pk, vk = setup(read_r1cs(args.r1cs))
    write_zkey(args.zkey_out, pk)
    _write_json(args.vk_json_out, vk_to_json(vk))
    print(
        "warning: development keys: the setup's toxic waste existed in this process; "
        "never use them in production",
        file=sys.stderr,
    )
    return EXIT_OK


def _solidity(args: argparse.Namespace) -> int:
    from ..zk.formats import solidity_verifier, vk_from_json

    vk = vk_from_json(_read_text(args.vk_json))
    Path(args.out).write_text(solidity_verifier(vk), encoding="utf-8")
    return EXIT_OK


def _calldata(args: argparse.Namespace) -> int:
    from ..zk.formats import proof_from_json, public_from_json, solidity_calldata

    public = public_from_json(_read_text(args.public_json))
    proof = proof_from_json(_read_text(args.proof_json))
    print(solidity_calldata(proof, public))
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from ..zk.formats import read_zkey
    from ..zk.groth16.keyfile import save_proving_key

    pk, _ = read_zkey(args.zkey)
    save_proving_key(pk, args.key_out)
    return EXIT_OK


def _vkey(args: argparse.Namespace) -> int:
    from ..zk.formats import vk_to_json

    _write_json(args.vk_json_out, vk_to_json(_load_key(args.key).vk))
    return EXIT_OK


_COMMANDS = {
    "prove": _prove,
    "verify": _verify,
    "setup": _setup,
    "solidity": _solidity,
    "calldata": _calldata,
    "import": _import,
    "vkey": _vkey,
}


def run(args: argparse.Namespace) -> int:
    """Run the parsed ``groth16`` command; returns the exit status.

    Errors a user can cause (a missing file, a malformed key) print one line
    on stderr and return 2; a rejected proof returns 1."""
    try:
        return _COMMANDS[args.groth16_command](args)
    except (PouwError, OSError, ValueError) as exc:
        print(f"pouw groth16 {args.groth16_command}: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """``pouw groth16 ...`` on its own (argv without the program name)."""
    parser = argparse.ArgumentParser(prog="pouw")
    add_parser(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
