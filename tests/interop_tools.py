"""The JavaScript tools of the interop tests (circom2, circomlib, snarkjs, solcjs, an
in-memory EVM), pinned by tests/interop/package.json and package-lock.json.

The session fixture :func:`node_tools` runs ``npm ci`` into
tests/interop/node_modules when a tool is missing there, and skips the tests
that need it -- with the reason printed -- only when npm or node is not
installed.  If npm is there but the install fails, the tests fail: CI has npm.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

INTEROP = Path(__file__).parent / "interop"
NODE_MODULES = INTEROP / "node_modules"
_NEEDED = [
    NODE_MODULES / ".bin" / "circom2",
    NODE_MODULES / ".bin" / "snarkjs",
    NODE_MODULES / ".bin" / "solcjs",
    NODE_MODULES / "@ethereumjs" / "evm" / "package.json",
    NODE_MODULES / "circomlib" / "circuits" / "poseidon.circom",
]


@dataclass(frozen=True)
class NodeTools:
    """Paths of the installed tools, and helpers to run them."""

    bin: Path

    def run(
        self, tool: str, *args: Any, cwd: Path, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """``tool args...`` in ``cwd``; on failure (with ``check``) the test fails with its output."""
        cmd = [str(self.bin / tool), *map(str, args)]
        res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
        if check and res.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} exited {res.returncode}:\n{res.stdout}\n{res.stderr}")
        return res

    def snarkjs(
        self, *args: Any, cwd: Path, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.run("snarkjs", *args, cwd=cwd, check=check)

    def evm_calls(self, bytecode: str, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Deploy ``bytecode`` in an in-memory EVM and make static calls
        (tests/interop/run_verifier.mjs): ``[{"ok", "result", "gas"}, ...]``."""
        request = json.dumps({"bytecode": bytecode, "calls": calls})
        res = subprocess.run(
            ["node", str(INTEROP / "run_verifier.mjs")],
            input=request,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=INTEROP,
        )
        if res.returncode != 0:
            pytest.fail(f"run_verifier.mjs exited {res.returncode}:\n{res.stderr}")
        out: list[dict[str, Any]] = json.loads(res.stdout)
        return out


def install() -> NodeTools:
    """Install the pinned tools if needed; skip (printing why) without npm/node."""
    for exe in ("npm", "node"):
        if shutil.which(exe) is None:
            reason = f"{exe} is not installed: the snarkjs/circom/solc interop tests need Node.js"
            print(f"SKIPPED: {reason}")
            pytest.skip(reason)
    if not all(p.exists() for p in _NEEDED):
        res = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=INTEROP,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if res.returncode != 0 or not all(p.exists() for p in _NEEDED):
            pytest.fail(
                f"npm ci in {INTEROP} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}"
            )
    return NodeTools(NODE_MODULES / ".bin")


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    """The pinned JavaScript tools (see the module docstring)."""
    return install()
