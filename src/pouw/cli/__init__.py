"""The ``pouw`` command line: a static table of commands, one module per group.

* ``pouw node CONFIG ...`` -- :mod:`pouw.cli.node`: run a node on generated
  intents as a batch, or serve the HTTP API with ``--listen``; ``pouw serve
  CONFIG``: an API replica beside it on a PostgreSQL store;
* ``pouw token | worker | submit | jobs`` -- :mod:`pouw.cli.remote`: remote
  mode (worker tokens, a remote prover, submitting intents, listing jobs);
* ``pouw groth16 prove | verify | setup | ...`` -- :mod:`pouw.cli.groth16`:
  Groth16 from the command line, drop-in for snarkjs's argument order;
* ``pouw keys setup | export-r1cs | import | solidity | vkey | list`` --
  :mod:`pouw.cli.keys`: the trace circuits' keys for a node's config;
* ``pouw ledger verify`` and ``pouw proof export`` -- :mod:`pouw.cli.ledger`:
  a durable node's proofs, re-checked from its ledger, and exported.

User mistakes (a bad config, a missing file, an unreachable node) are reported
on stderr in one line with exit status 2 and no traceback.

Adding a command: write its module here with ``add_parser(subparsers, name)``
(it calls ``subparsers.add_parser(name, ...)`` and sets ``func``, which
:func:`main` calls with the parsed arguments) and list it in :data:`COMMANDS`.
A command's module is imported only when that command is requested (or when
``--help`` or a typo needs them all), so ``pouw --version`` and ``pouw node``
do not pay for the zk layer or the HTTP client.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import MappingProxyType

from .. import __version__
from ..errors import PouwError

__all__ = ["main", "COMMANDS", "EXIT_USER_ERROR"]

EXIT_USER_ERROR = 2

#: Command name -> the module of this package that adds its parser (in help order).
COMMANDS = MappingProxyType(
    {
        "node": "node",
        "serve": "node",
        "groth16": "groth16",
        "keys": "keys",
        "ledger": "ledger",
        "proof": "ledger",
        "token": "remote",
        "worker": "remote",
        "submit": "remote",
        "jobs": "remote",
    }
)


def _requested(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names (its first positional), if it is one of ours."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def _build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; when ``argv`` names a command, with that command's parser only.

    Without a known command (``--help``, a typo) every command is added, so the
    help and the "invalid choice" message list them all; a leading
    ``--version`` needs none."""
    parser = argparse.ArgumentParser(
        prog="pouw",
        description="Proof-of-useful-work job layer: execute intents, turn traces into "
        "proof jobs, and prove them inline, locally or remotely.",
    )
    parser.add_argument("--version", action="version", version=f"pouw {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if list(argv[:1]) == ["--version"]:
        return parser  # argparse acts on it first and exits: no command is consulted
    wanted = _requested(argv)
    for name, module in COMMANDS.items():
        if wanted is None or name == wanted:
            importlib.import_module(f"{__name__}.{module}").add_parser(sub, name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``pouw`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    if argv is None:
        argv = sys.argv[1:]
    parser = _build_parser(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return int(args.func(args))
    except BrokenPipeError:
        # The reader went away (`pouw jobs | head`): not an error. Point stdout
        # at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (PouwError, OSError) as exc:
        print(f"pouw: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("pouw: interrupted", file=sys.stderr)
        return 130
