"""Node configuration, read from TOML.

Every key has a default, so an empty file is a valid (disabled-mode) config.
An unknown key or a bad value raises :class:`~pouw.ConfigError` whose message
starts with the key's dotted name (``queue.capacity: ...``).

.. code-block:: toml

    pouw_mode = "local"      # disabled | local | remote
    zk_mode = "mock"         # mock | groth16 (groth16 needs state.hash = "poseidon" and keys)

    [queue]
    capacity = 100000        # live jobs at most
    retention = 10000        # finished jobs kept in memory for get()
    job_ttl_ms = 600000      # a job's deadline, from its creation
    priority = "fee"         # fee: higher fee per unit of work first, with aging | fifo
    aging_ms = 30000         # a waiting job gains one fee bucket (x2 fee) per this long

    [pouw]
    tier = "macro"           # micro | macro | full: what one job proves (groth16 keys per tier)
    batch_size = 4           # intents in a Full job (a Full key is made for one batch size)

    [prover]
    keys = "keys"            # Groth16 key directory (default: $POUW_KEYS or ~/.cache/pouw/keys)
    threads = 0              # threads of one Groth16 proof; 0 = the cores shared by the workers

    [workers]
    count = 1                # local prover threads; 0 = prove inside process_next_intent
    ring_capacity = 4096     # jobs in flight between the node and its workers

    [state]
    hash = "blake3"          # blake3 | poseidon (the tree a circuit can prove)
    depth = 20               # Merkle depth: 2^depth accounts
    accounts = 1000          # genesis accounts
    balance = 1000000000000  # genesis balance of each
    coinbase = 0             # account that receives fees

    [intents]                # demo and benchmark intent generation
    count = 1000
    seed = 0

    [store]                  # durable job store and ledger; none: in memory
    path = "pouw.sqlite3"    # SQLite, relative to the config file's directory
    # url = "postgresql://user@host/db"   # or PostgreSQL (exactly one of path and url;
    #                          # $POUW_DATABASE_URL when neither is set)
    schema = "pouw"          # PostgreSQL: the schema of the node's tables
    synchronous = "full"     # full | normal
    pool_size = 8            # PostgreSQL: connections for this process's operations
    notify = true            # PostgreSQL: LISTEN/NOTIFY wakes long-polling claimers
    vacuum = true            # PostgreSQL: the sweeper vacuums the queue's tables itself

    [leases]                 # remote workers
    lease_ms = 30000         # a claim holds the job this long; heartbeats extend it
    max_attempts = 3         # claims a job gets before it is FAILED (dead letter)

    [server]                 # the HTTP API (pouw node --listen)
    listen = "127.0.0.1:8645"
    max_body_bytes = 16777216
    rate_limit = 200         # requests per second per worker (burst: the same)
    read_rate_limit = 500    # open reads per second per client address (burst: the same)
    max_leases = 16          # concurrent leases per worker
    protect_reads = false    # true: list, get and stats need a worker token too
    header_timeout_ms = 10000  # a client sends each request's headers within this, or is dropped
    claim_poll_ms = 500      # a long-polling claim-next looks again this often (new jobs
    #                          # also wake it at once: in process, or by NOTIFY)

    [server.tokens]          # worker id = "sha256:<hex of the token's SHA-256>"
    # alice = "sha256:..."   # add one with `pouw token new --worker alice --config FILE`
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..isa import STATE_HASHES
from ..status import JobTier, PoUwMode, ZkMode, parse_enum
from ..store.postgres import redact_url

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["NodeConfig", "parse_listen"]

_U63 = (1 << 63) - 1


@dataclass(frozen=True)
class NodeConfig:
    """Settings of one node. Build it with :meth:`from_toml` or :meth:`from_dict`."""

    pouw_mode: PoUwMode = PoUwMode.DISABLED
    zk_mode: ZkMode = ZkMode.MOCK
    tier: JobTier = JobTier.MACRO  #: what one job proves
    batch_size: int = 4  #: intents in a Full job
    keys_dir: Path | None = None  #: Groth16 key directory (resolved); None: the default
    prover_threads: int = 0  #: threads of one Groth16 proof (0: cores / local workers)
    queue_capacity: int = 100_000
    queue_retention: int = 10_000
    queue_priority: str = "fee"  #: the claim order (pouw.queue.priority)
    queue_aging_ms: int = 30_000
    job_ttl_ms: int = 600_000
    workers: int = 1
    ring_capacity: int = 4096
    state_hash: str = "blake3"  #: the state tree's hash: "blake3" or "poseidon"
    state_depth: int = 20
    accounts: int = 1000
    genesis_balance: int = 1_000_000_000_000
    coinbase: int = 0
    intent_count: int = 1000
    intent_seed: int = 0
    store_path: Path | None = None  #: SQLite file (resolved); None: the in-memory store
    store_url: str | None = None  #: PostgreSQL URL (exclusive with store_path)
    store_schema: str = "pouw"  #: PostgreSQL schema of the node's tables
    store_synchronous: str = "full"
    store_pool_size: int = 8  #: PostgreSQL: the pool's most connections
    store_notify: bool = True  #: PostgreSQL: NOTIFY and LISTEN for new jobs
    store_vacuum: bool = True  #: PostgreSQL: sweep vacuums the queue's tables when due
    lease_ms: int = 30_000
    max_attempts: int = 3
    listen: str = "127.0.0.1:8645"
    max_body_bytes: int = 16 << 20
    rate_limit: int = 200
    read_rate_limit: int = 500  #: open reads (list, get, dead letters, stats) per address
    max_leases: int = 16
    protect_reads: bool = False
    header_timeout_ms: int = 10_000  #: a request's headers must arrive within this
    claim_poll_ms: int = 500  #: a long-polling claim-next looks again this often
    tokens: tuple[tuple[str, str], ...] = ()  #: (worker id, "sha256:<hex>")
    source: Path | None = None  #: the file it was read from, if any

    @classmethod
    def from_toml(cls, path: str | Path) -> NodeConfig:
        """Read a config file; syntax errors and bad keys raise :class:`ConfigError`."""
        path = Path(path)
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except UnicodeDecodeError as exc:  # tomllib decodes the whole file before parsing
            raise ConfigError(
                f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); TOML files are UTF-8"
            ) from None
        return cls.from_dict(data, source=path)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: Path | None = None) -> NodeConfig:
        """Build from the TOML structure (top-level keys and the four tables)."""
        values: dict[str, Any] = {}
        for key, raw in data.items():
            if key in _SECTIONS:
                if not isinstance(raw, dict):
                    raise ConfigError(f"{key}: expected a table, got {type(raw).__name__}")
                for sub, sub_raw in raw.items():
                    _set(values, f"{key}.{sub}", sub_raw)
            else:
                _set(values, key, raw)
        for name in ("store_path", "keys_dir"):
            path = values.get(name)
            if path is not None and source is not None and not path.is_absolute():
                values[name] = Path(source).parent / path
        if "store_path" not in values and "store_url" not in values:
            env = os.environ.get("POUW_DATABASE_URL")
            if env:
                values["store_url"] = _url("$POUW_DATABASE_URL", env)
        config = cls(**values, source=source)
        config._check_consistency()
        return config

    @property
    def durable(self) -> bool:
        """Whether jobs and ledger are kept in a store (SQLite or PostgreSQL)."""
        return self.store_path is not None or self.store_url is not None

    def override(self, key: str, value: Any, *, name: str | None = None) -> NodeConfig:
        """This config with ``key`` (a dotted TOML key) set to ``value``, checked as
        the file's value would be; an error names ``name`` (a command-line flag,
        say) instead of the key."""
        entry = _SCHEMA.get(key)
        if entry is None:
            raise ConfigError(f"{key}: unknown key")
        field_name, parse = entry
        config = replace(self, **{field_name: parse(name or key, value)})
        config._check_consistency()
        return config

    def _check_consistency(self) -> None:
        if self.store_path is not None and self.store_url is not None:
            raise ConfigError(
                "store.url: give store.path (SQLite) or store.url (PostgreSQL), not both"
            )
        if self.zk_mode is ZkMode.GROTH16 and self.state_hash != "poseidon":
            raise ConfigError(
                f'zk_mode: "groth16" needs state.hash = "poseidon" (the tree a circuit '
                f"proves), got state.hash = {self.state_hash!r}"
            )
        if self.accounts > (1 << self.state_depth):
            raise ConfigError(
                f"state.accounts: {self.accounts} accounts do not fit a tree of depth "
                f"{self.state_depth}"
            )
        if self.coinbase >= (1 << self.state_depth):
            raise ConfigError(f"state.coinbase: index {self.coinbase} is outside the tree")
        if self.accounts * self.genesis_balance > _U63:
            raise ConfigError("state.balance: total supply must stay below 2^63")

    def to_dict(self) -> dict[str, Any]:
        """The TOML structure of this config (inverse of :meth:`from_dict`)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "source":
                continue
            key = _KEY_OF_FIELD[f.name]
            value = getattr(self, f.name)
            value = value.value if hasattr(value, "value") else value
            if f.name in ("store_path", "keys_dir", "store_url"):
                if value is None:
                    continue
                value = str(value)
            elif f.name == "tokens":
                value = dict(value)
            if "." in key:
                section, sub = key.split(".")
                out.setdefault(section, {})[sub] = value
            else:
                out[key] = value
        return out


def _int_in(lo: int, hi: int) -> Any:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        if not lo <= value <= hi:
            raise ConfigError(f"{key}: must be between {lo} and {hi}, got {value}")
        return value

    return check


def _pouw_mode(key: str, value: Any) -> PoUwMode:
    try:
        return parse_enum(PoUwMode, value, key)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _zk_mode(key: str, value: Any) -> ZkMode:
    try:
        mode = parse_enum(ZkMode, value, key)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return mode


def _tier(key: str, value: Any) -> JobTier:
    try:
        return parse_enum(JobTier, value, key)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _state_hash(key: str, value: Any) -> str:
    if value not in STATE_HASHES:
        choices = " or ".join(repr(h) for h in STATE_HASHES)
        raise ConfigError(f"{key}: expected {choices}, got {value!r}")
    return str(value)


def _path(key: str, value: Any) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key}: expected a file path (a non-empty string), got {value!r}")
    return Path(value)


def _url(key: str, value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"postgres(ql)?://", value):
        shown = redact_url(value) if isinstance(value, str) else value
        raise ConfigError(f"{key}: expected a postgresql:// URL, got {shown!r}")
    return value


def _schema(key: str, value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
        raise ConfigError(f"{key}: expected a lowercase SQL name ([a-z_][a-z0-9_]*), got {value!r}")
    return value


def _priority(key: str, value: Any) -> str:
    if value not in ("fee", "fifo"):
        raise ConfigError(f"{key}: expected 'fee' or 'fifo', got {value!r}")
    return str(value)


def _synchronous(key: str, value: Any) -> str:
    if value not in ("full", "normal"):
        raise ConfigError(f"{key}: expected 'full' or 'normal', got {value!r}")
    return str(value)


def parse_listen(text: object) -> tuple[str, int]:
    """``"127.0.0.1:8645"`` -> ``("127.0.0.1", 8645)``; ``[::1]:80`` for IPv6.

    Port 0 asks the system for a free port. Raises ``ValueError`` otherwise.
    The config's ``server.listen`` and the CLI's ``--listen`` both parse here.
    """
    if not isinstance(text, str) or ":" not in text:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    host, _, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or not (port.isascii() and port.isdigit()) or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT with a port in 0..65535, got {text!r}")
    return host, int(port)


def _listen(key: str, value: Any) -> str:
    try:
        parse_listen(value)
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}") from None
    return str(value)


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    return value


def _tokens(key: str, value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f'{key}: expected a table of worker = "sha256:<hex>"')
    out = []
    for worker, digest in value.items():
        if not _WORKER_ID.fullmatch(worker):
            raise ConfigError(f"{key}.{worker}: a worker id is 1-64 of [A-Za-z0-9_.-]")
        if not (isinstance(digest, str) and _TOKEN_HASH.fullmatch(digest)):
            raise ConfigError(f'{key}.{worker}: expected "sha256:<64 hex digits>"')
        out.append((worker, digest))
    return tuple(sorted(out))


_WORKER_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_TOKEN_HASH = re.compile(r"sha256:[0-9a-f]{64}")

# dotted TOML key -> (dataclass field, parser)
_SCHEMA: dict[str, tuple[str, Any]] = {
    "pouw_mode": ("pouw_mode", _pouw_mode),
    "zk_mode": ("zk_mode", _zk_mode),
    "pouw.tier": ("tier", _tier),
    "pouw.batch_size": ("batch_size", _int_in(1, 1024)),
    "prover.keys": ("keys_dir", _path),
    "prover.threads": ("prover_threads", _int_in(0, 1024)),
    "queue.capacity": ("queue_capacity", _int_in(1, 1 << 32)),
    "queue.retention": ("queue_retention", _int_in(0, 1 << 32)),
    "queue.priority": ("queue_priority", _priority),
    "queue.aging_ms": ("queue_aging_ms", _int_in(1, 1 << 24)),
    "queue.job_ttl_ms": ("job_ttl_ms", _int_in(0, 1 << 48)),
    "workers.count": ("workers", _int_in(0, 1024)),
    "workers.ring_capacity": ("ring_capacity", _int_in(1, 1 << 24)),
    "state.hash": ("state_hash", _state_hash),
    "state.depth": ("state_depth", _int_in(1, 32)),
    "state.accounts": ("accounts", _int_in(2, 1 << 24)),
    "state.balance": ("genesis_balance", _int_in(0, _U63)),
    "state.coinbase": ("coinbase", _int_in(0, (1 << 32) - 1)),
    "intents.count": ("intent_count", _int_in(0, 1 << 32)),
    "intents.seed": ("intent_seed", _int_in(0, (1 << 64) - 1)),
    "store.path": ("store_path", _path),
    "store.url": ("store_url", _url),
    "store.schema": ("store_schema", _schema),
    "store.synchronous": ("store_synchronous", _synchronous),
    "store.pool_size": ("store_pool_size", _int_in(1, 1000)),
    "store.notify": ("store_notify", _bool),
    "store.vacuum": ("store_vacuum", _bool),
    "leases.lease_ms": ("lease_ms", _int_in(1, 1 << 40)),
    "leases.max_attempts": ("max_attempts", _int_in(1, 1000)),
    "server.listen": ("listen", _listen),
    "server.max_body_bytes": ("max_body_bytes", _int_in(1024, 1 << 30)),
    "server.rate_limit": ("rate_limit", _int_in(1, 1 << 20)),
    "server.read_rate_limit": ("read_rate_limit", _int_in(1, 1 << 20)),
    "server.max_leases": ("max_leases", _int_in(1, 1 << 20)),
    "server.protect_reads": ("protect_reads", _bool),
    "server.header_timeout_ms": ("header_timeout_ms", _int_in(100, 600_000)),
    "server.claim_poll_ms": ("claim_poll_ms", _int_in(1, 60_000)),
    "server.tokens": ("tokens", _tokens),
}
_SECTIONS = {key.split(".")[0] for key in _SCHEMA if "." in key}
_KEY_OF_FIELD = {name: key for key, (name, _) in _SCHEMA.items()}


def _set(values: dict[str, Any], key: str, raw: Any) -> None:
    entry = _SCHEMA.get(key)
    if entry is None:
        known = ", ".join(sorted(_SCHEMA))
        raise ConfigError(f"{key}: unknown key (known keys: {known})")
    name, parse = entry
    values[name] = parse(key, raw)
