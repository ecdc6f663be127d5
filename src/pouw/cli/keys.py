"""``pouw keys ...``: the trace circuits' Groth16 keys, for a node's config.

==================================================================  ==========================================
``pouw keys setup CONFIG [--tiers micro,macro,full]``                development keys (UNSAFE for production)
``pouw keys export-r1cs CONFIG --tier T OUT.r1cs``                   the tier's circuit, for a snarkjs ceremony
``pouw keys import CONFIG --tier T FILE.zkey``                       a ceremony's key, checked against the circuit
``pouw keys solidity CONFIG --tier T [-o OUT.sol]``                  the tier's Solidity verifier
``pouw keys vkey CONFIG --tier T [-o OUT.json]``                     snarkjs's verification_key.json
``pouw keys list CONFIG``                                            which tiers have keys, and their circuits
==================================================================  ==========================================

The config gives the state's depth (``[state] depth``), the Full tier's batch
size (``[pouw] batch_size``) and the key directory (``[prover] keys``; default
``$POUW_KEYS`` or ``~/.cache/pouw/keys``); ``--dir`` overrides the directory.
Keys are files named by the circuit's digest (:mod:`pouw.prover.keys`), so a
node, its workers and its jobs agree on the circuit.

``setup`` draws the toxic waste in this process and discards it: whoever saw
this process's memory can forge proofs.  Use it for development and tests;
for production run a phase-2 ceremony on ``export-r1cs``'s file with snarkjs
(``snarkjs groth16 setup OUT.r1cs pot.ptau k0.zkey``, ``snarkjs zkey
contribute`` by each party, ``snarkjs zkey beacon``) and ``import`` the result.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]

TIERS = ("micro", "macro", "full")


def _tiers(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in names if t not in TIERS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"tiers are a comma-separated subset of {','.join(TIERS)}")
    return list(dict.fromkeys(names))


def add_parser(subparsers: Any, name: str = "keys") -> argparse.ArgumentParser:
    """Add the ``keys`` command (and its subcommands) to ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help="Groth16 keys of the trace circuits (setup, ceremony import, verifier export)",
        description="Keys for the trace circuits of a node's config: development setup, "
        "the circuit as .r1cs for a snarkjs ceremony, its .zkey imported, Solidity and "
        "snarkjs verification keys.",
    )
    parser.set_defaults(func=run)
    sub = parser.add_subparsers(dest="keys_command", metavar="SUBCOMMAND", required=True)

    def command(cmd: str, help: str, tier: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(cmd, help=help, description=help)
        p.add_argument("config", metavar="CONFIG", help="the node's TOML config")
        p.add_argument(
            "--dir",
            type=Path,
            default=None,
            help="the key directory (default: the config's [prover] keys)",
        )
        if tier:
            p.add_argument("--tier", choices=TIERS, required=True, help="the circuit's tier")
        return p

    p = command(
        "setup",
        "make development keys (UNSAFE for production: one party knows the toxic waste)",
        tier=False,
    )
    p.add_argument(
        "--tiers",
        type=_tiers,
        default=None,
        help="comma-separated tiers (default: the config's [pouw] tier)",
    )
    p = command(
        "export-r1cs", "write the tier's circuit as circom's .r1cs (for a snarkjs phase-2 ceremony)"
    )
    p.add_argument("out", metavar="OUT.r1cs", type=Path)
    p = command("import", "import a ceremony's .zkey after checking it is this tier's circuit")
    p.add_argument("zkey", metavar="FILE.zkey", type=Path)
    for cmd, what, meta in (
        ("solidity", "write the Solidity verifier of the tier's key", "OUT.sol"),
        ("vkey", "write snarkjs's verification_key.json of the tier's key", "OUT.json"),
    ):
        p = command(cmd, what)
        p.add_argument(
            "-o",
            "--out",
            metavar=meta,
            type=Path,
            default=None,
            help="the output file (default: standard output)",
        )
    command("list", "list the config's circuits and whether their keys are present", tier=False)
    return parser


def _write(out: Path | None, text: str) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)


def run(args: argparse.Namespace) -> int:
    from ..node.config import NodeConfig
    from ..prover import keys
    from ..prover.circuits.tiers import circuit_for

    config = NodeConfig.from_toml(args.config)
    directory = args.dir if args.dir is not None else config.keys_dir

    def circuit(tier: str) -> Any:
        return circuit_for(tier, config.state_depth, config.batch_size)

    cmd = args.keys_command
    if cmd == "setup":
        tiers = args.tiers or [config.tier.value]
        print(
            "pouw keys setup: DEVELOPMENT keys, unsafe for production (this process knew "
            "the toxic waste); use a ceremony and `pouw keys import` for real deployments",
            file=sys.stderr,
        )
        for tier in tiers:
            c = circuit(tier)
            path = keys.setup_keys(directory, c)
            print(
                f"{tier}: {c.compiled.n_constraints} constraints, circuit {c.digest[:16]}, "
                f"key {path}"
            )
        return 0
    if cmd == "list":
        for tier in TIERS:
            c = circuit(tier)
            path = keys.key_path(directory, c)
            state = "present" if path.exists() else "missing"
            print(
                f"{tier}: circuit {c.digest[:16]} ({c.compiled.n_constraints} constraints), "
                f"key {state}: {path}"
            )
        return 0
    c = circuit(args.tier)
    if cmd == "export-r1cs":
        keys.export_r1cs(c, args.out)
        print(
            f"{args.tier}: {c.compiled.n_constraints} constraints, {c.compiled.r1cs.n_wires} "
            f"wires, 6 public inputs -> {args.out}"
        )
        return 0
    if cmd == "import":
        path = keys.import_zkey(directory, c, args.zkey)
        print(f"{args.tier}: {args.zkey} is a key of circuit {c.digest[:16]} -> {path}")
        return 0
    pk = keys.load_keys(directory, c)
    if cmd == "solidity":
        from ..zk.formats.solidity import solidity_verifier

        _write(args.out, solidity_verifier(pk.vk))
        return 0
    from ..zk.formats.snarkjs_json import vk_to_json

    _write(args.out, json.dumps(vk_to_json(pk.vk), indent=1) + "\n")
    return 0
