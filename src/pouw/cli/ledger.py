"""``pouw ledger verify`` and ``pouw proof export``: a durable node's proofs, checked and exported.

=====================================================================  ===========================================
``pouw ledger verify CONFIG [--json] [--allow-unproven]``              re-execute the ledger, verify every proof
``pouw proof export CONFIG JOB_ID [-o DIR]``                           a job's proof.json, public.json, calldata
=====================================================================  ===========================================

``ledger verify`` (:func:`pouw.node.audit.verify_ledger`) exits 0 when every
entry re-executes to its stored root and every proof verifies against the
public inputs re-derived from the ledger; 1 naming the first bad entry, or
the first unproven one unless ``--allow-unproven`` (a live node has jobs in
flight). ``proof export`` writes a Groth16 job's proof and public inputs in
snarkjs's ``proof.json``/``public.json`` and the Solidity verifier's calldata
(``calldata.txt``), so snarkjs (``snarkjs groth16 verify verification_key.json
public.json proof.json``, with ``pouw keys vkey``) or a contract can check it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["add_parser"]


def add_parser(subparsers: Any, name: str) -> argparse.ArgumentParser:
    """Add ``ledger`` or ``proof`` (by ``name``) to ``subparsers``."""
    if name == "ledger":
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name, help="verify a durable node's ledger and its proofs"
        )
        sub = parser.add_subparsers(dest="ledger_command", metavar="SUBCOMMAND", required=True)
        v = sub.add_parser(
            "verify",
            help="re-execute the ledger and verify every proof against public inputs "
            "re-derived from it",
        )
        v.add_argument(
            "config", metavar="CONFIG", help="the node's TOML config (with [store] path)"
        )
        v.add_argument("--json", action="store_true", help="print the report as one JSON object")
        v.add_argument(
            "--allow-unproven",
            action="store_true",
            help="succeed with entries whose proofs have not come in yet",
        )
        v.set_defaults(func=_cmd_verify)
        return parser
    parser = subparsers.add_parser(name, help="export a job's proof (snarkjs JSON, calldata)")
    sub = parser.add_subparsers(dest="proof_command", metavar="SUBCOMMAND", required=True)
    e = sub.add_parser(
        "export",
        help="write a job's proof.json, public.json (snarkjs) and calldata.txt (Solidity)",
    )
    e.add_argument("config", metavar="CONFIG", help="the node's TOML config (with [store] path)")
    e.add_argument("job_id", metavar="JOB_ID", help="the job (64 hex digits)")
    e.add_argument(
        "-o", "--out", type=Path, default=Path("."), metavar="DIR", help="output directory"
    )
    e.set_defaults(func=_cmd_export)
    return parser


def _cmd_verify(args: argparse.Namespace) -> int:
    from ..node.audit import verify_ledger
    from ..node.config import NodeConfig

    audit = verify_ledger(NodeConfig.from_toml(args.config))
    ok = audit.clean and (args.allow_unproven or not audit.unproven)
    if args.json:
        print(json.dumps(audit.to_dict()))
    elif not audit.clean:
        print(f"entry {audit.bad_height}: {audit.reason}")
    else:
        print(
            f"{audit.entries} entries re-executed, {audit.proofs} proofs verified, "
            f"{len(audit.unproven)} entries unproven"
            + (f" (first: {audit.unproven[0]})" if audit.unproven else "")
        )
    return 0 if ok else 1


def _cmd_export(args: argparse.Namespace) -> int:
    from ..node.config import NodeConfig
    from ..node.durable import open_store
    from ..status import ZkMode
    from ..zk.formats.snarkjs_json import proof_to_json, public_to_json
    from ..zk.formats.solidity import solidity_calldata
    from ..zk.groth16.proof_encoding import decode_proof

    config = NodeConfig.from_toml(args.config)
    if config.zk_mode is not ZkMode.GROTH16:
        raise ConfigError("zk_mode: proofs export as snarkjs JSON in groth16 mode only")
    if not config.durable or (config.store_path is not None and not config.store_path.exists()):
        raise ConfigError("store.path: the proofs are read from the node's store; it has none")
    store, ledger_store = open_store(config, sequencer=False)
    try:
        part = ledger_store.part(args.job_id)
    finally:
        store.close()
    if part is None:
        raise ConfigError(f"no ledger entry lists job {args.job_id!r}")
    if part.proof is None:
        raise ConfigError(f"job {args.job_id} is not proven yet")
    proof = decode_proof(part.proof)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "proof.json").write_text(json.dumps(proof_to_json(proof), indent=1) + "\n")
    (args.out / "public.json").write_text(
        json.dumps(public_to_json(list(part.public_inputs)), indent=1) + "\n"
    )
    (args.out / "calldata.txt").write_text(
        solidity_calldata(proof, list(part.public_inputs)) + "\n"
    )
    print(
        f"job {args.job_id}: proof.json, public.json, calldata.txt -> {args.out}", file=sys.stderr
    )
    return 0
