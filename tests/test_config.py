"""NodeConfig: defaults, the shipped configs, and errors that name the key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pouw import ConfigError, PouwError, PoUwMode, ZkMode
from pouw.node import NodeConfig

REPO = Path(__file__).resolve().parents[1]


def test_defaults():
    c = NodeConfig.from_dict({})
    assert c.pouw_mode is PoUwMode.DISABLED and c.zk_mode is ZkMode.MOCK


@pytest.mark.parametrize("mode", ["disabled", "local", "remote"])
def test_shipped_configs(mode):
    c = NodeConfig.from_toml(REPO / "config" / f"pouw-{mode}.toml")
    assert c.pouw_mode is PoUwMode(mode)
    assert c.zk_mode is ZkMode.MOCK


@pytest.mark.parametrize("mode", ["local", "remote"])
def test_shipped_groth16_configs(mode):
    c = NodeConfig.from_toml(REPO / "config" / f"pouw-{mode}-groth16.toml")
    assert (c.pouw_mode, c.zk_mode, c.state_hash) == (PoUwMode(mode), ZkMode.GROTH16, "poseidon")
    assert c.keys_dir == REPO / "config" / "keys" and c.state_depth == 20
    assert c.store_path is not None and c.store_path.parent == REPO / "config"


def test_round_trip_through_dict():
    c = NodeConfig.from_toml(REPO / "config" / "pouw-local.toml")
    assert NodeConfig.from_dict(c.to_dict()) == NodeConfig.from_dict(c.to_dict())
    assert NodeConfig.from_dict(c.to_dict()).workers == c.workers


@pytest.mark.parametrize(
    "data, key",
    [
        ({"pouw_mod": "local"}, "pouw_mod"),
        ({"pouw_mode": "sideways"}, "pouw_mode"),
        ({"zk_mode": "plonk"}, "zk_mode"),
        ({"zk_mode": "groth16"}, "zk_mode"),
        ({"prover": {"threads": -1}}, "prover.threads"),
        ({"queue": {"capacity": 0}}, "queue.capacity"),
        ({"queue": {"capacity": "10"}}, "queue.capacity"),
        ({"queue": {"capcity": 10}}, "queue.capcity"),
        ({"queue": 5}, "queue"),
        ({"workers": {"count": -1}}, "workers.count"),
        ({"workers": {"count": True}}, "workers.count"),
        ({"state": {"depth": 40}}, "state.depth"),
        ({"state": {"depth": 4, "accounts": 100}}, "state.accounts"),
        ({"state": {"coinbase": 1 << 20}}, "state.coinbase"),
        ({"intents": {"seed": -5}}, "intents.seed"),
        ({"store": {"path": ""}}, "store.path"),
        ({"store": {"path": 3}}, "store.path"),
        ({"store": {"synchronous": "off"}}, "store.synchronous"),
        ({"leases": {"lease_ms": 0}}, "leases.lease_ms"),
        ({"leases": {"max_attempts": 0}}, "leases.max_attempts"),
        ({"server": {"listen": "nowhere"}}, "server.listen"),
        ({"server": {"max_body_bytes": 10}}, "server.max_body_bytes"),
        ({"server": {"protect_reads": "yes"}}, "server.protect_reads"),
        ({"server": {"read_rate_limit": 0}}, "server.read_rate_limit"),
        ({"server": {"read_rate_limit": "500"}}, "server.read_rate_limit"),
        ({"server": {"read_rate_limt": 500}}, "server.read_rate_limt"),
        ({"server": {"tokens": {"a": "plain-token"}}}, "server.tokens.a"),
        ({"server": {"tokens": {"bad id": "sha256:" + "0" * 64}}}, "server.tokens.bad id"),
        ({"server": {"tokens": "x"}}, "server.tokens"),
    ],
)
def test_bad_config_names_the_key(data, key):
    with pytest.raises(ConfigError) as info:
        NodeConfig.from_dict(data)
    assert str(info.value).startswith(key + ":")
    assert isinstance(info.value, PouwError)


def test_groth16_needs_the_poseidon_state():
    # the error names both keys: the one set and the one it needs
    with pytest.raises(ConfigError, match=r'zk_mode.*state\.hash = "poseidon".*blake3'):
        NodeConfig.from_dict({"zk_mode": "groth16"})
    c = NodeConfig.from_dict({"zk_mode": "groth16", "state": {"hash": "poseidon"}})
    assert c.zk_mode.value == "groth16" and c.prover_threads == 0
    with pytest.raises(ConfigError, match="state.hash"):
        c.override("state.hash", "blake3")
    again = NodeConfig.from_dict(c.override("prover.threads", 2).to_dict())
    assert again.prover_threads == 2 and again.zk_mode is c.zk_mode


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        NodeConfig.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("pouw_mode = = 'x'\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        NodeConfig.from_toml(bad)


def test_remote_keys_accepted_and_round_trip(tmp_path):
    data = {
        "pouw_mode": "remote",
        "store": {"path": "jobs.sqlite3", "synchronous": "normal"},
        "leases": {"lease_ms": 2000, "max_attempts": 5},
        "server": {
            "listen": "[::1]:0",
            "max_body_bytes": 4096,
            "rate_limit": 10,
            "read_rate_limit": 50,
            "max_leases": 2,
            "protect_reads": True,
            "tokens": {"alice": "sha256:" + "ab" * 32},
        },
    }
    c = NodeConfig.from_dict(data, source=tmp_path / "n.toml")
    assert c.store_path == tmp_path / "jobs.sqlite3" and c.lease_ms == 2000
    assert c.tokens == (("alice", "sha256:" + "ab" * 32),) and c.protect_reads
    assert c.read_rate_limit == 50 and NodeConfig.from_dict({}).read_rate_limit == 500
    assert NodeConfig.from_dict(c.to_dict()) == dataclasses.replace(c, source=None)


def test_shipped_remote_config_uses_a_sqlite_file_and_a_short_lease():
    c = NodeConfig.from_toml(Path(__file__).resolve().parents[1] / "config" / "pouw-remote.toml")
    assert c.store_path is not None and c.store_path.parent.name == "config"
    assert 1000 <= c.lease_ms <= 10_000
    assert not c.protect_reads and c.tokens == ()  # reads open; no token until `token new`
    assert c.read_rate_limit > c.rate_limit  # open reads: limited per address, more generously
