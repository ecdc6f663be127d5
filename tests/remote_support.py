"""Helpers of the remote-mode tests: a node API on a real socket (127.0.0.1,
random port), in this process or as a ``pouw node`` subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from pouw.node import NodeContext
from pouw.remote.app import create_app
from pouw.remote.auth import hash_token
from pouw.remote.serving import bind_socket, uvicorn_config

TOKENS = {"w1": "pouw_token-of-w1", "w2": "pouw_token-of-w2", "w3": "pouw_token-of-w3"}


def config_dict(lease_ms: int = 5000, **server) -> dict:
    return {
        "pouw_mode": "remote",
        "state": {"accounts": 64},
        "leases": {"lease_ms": lease_ms, "max_attempts": 3},
        "server": {"tokens": {w: hash_token(t) for w, t in TOKENS.items()}, **server},
    }


def auth(worker: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[worker]}"}


class LiveServer:
    """uvicorn serving ``create_app(ctx)`` in a thread, on a real loopback socket,
    configured as ``pouw node --listen`` configures it."""

    def __init__(
        self, ctx: NodeContext, background: bool = True, header_timeout_s: float = 10.0
    ) -> None:
        import uvicorn

        self.ctx = ctx
        self.sock = bind_socket("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(ctx, background=background, sweep_s=0.05)
        config = uvicorn_config(app, header_timeout_s=header_timeout_s, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def close(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def pouw_cmd() -> list[str]:
    exe = shutil.which("pouw")
    return [exe] if exe else [sys.executable, "-m", "pouw"]


def write_config(tmp_path: Path, lease_ms: int = 1000) -> Path:
    toks = "\n".join(f'{w} = "{hash_token(t)}"' for w, t in TOKENS.items())
    path = tmp_path / "node.toml"
    path.write_text(
        'pouw_mode = "remote"\nzk_mode = "mock"\n[state]\naccounts = 64\n'
        f'[store]\npath = "jobs.sqlite3"\nsynchronous = "normal"\n'
        f"[leases]\nlease_ms = {lease_ms}\nmax_attempts = 5\n[server.tokens]\n{toks}\n"
    )
    return path


class NodeProcess:
    """``pouw node CONFIG --listen 127.0.0.1:0``; reads the real URL from its first line."""

    def __init__(self, config: Path, *extra: str, listen: str = "127.0.0.1:0") -> None:
        self.proc = subprocess.Popen(
            [*pouw_cmd(), "node", str(config), "--listen", *([listen] if listen else []), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"node did not start: {line!r} {self.proc.stderr.read()}")
        self.url = line.split()[-1]

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(20)


def start_worker(url: str, worker: str, *extra: str, delay_ms: int = 0) -> subprocess.Popen:
    env = dict(os.environ)
    if delay_ms:
        env["POUW_TEST_PROVE_DELAY_MS"] = str(delay_ms)
    return subprocess.Popen(
        [*pouw_cmd(), "worker", "--url", url, "--token", TOKENS[worker], *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(pred, timeout: float = 30.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")
