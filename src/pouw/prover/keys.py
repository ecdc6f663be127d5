"""The trace circuits' Groth16 keys: a directory of pouw key files, one per circuit.

A key belongs to exactly one circuit (:class:`~.circuits.tiers.TierCircuit`:
tier, depth, batch size), and its file is named by the circuit's digest
(:func:`~.circuits.builder.r1cs_digest`, BLAKE3 of the constraint matrices):
``{tier}-d{depth}[-n{batch}]-{digest[:16]}.pkey``.  A changed circuit has
another digest, so an old key is never used for it; loading also checks the
file's header (the circuit digest it was saved with, under the file's BLAKE3
digest), or for a file without one its matrices, against the circuit.

Two ways to get keys:

- :func:`setup_keys`: development keys from :func:`pouw.zk.groth16.setup` —
  **unsafe for production**: this one process drew the toxic waste (tau,
  alpha, beta, gamma, delta) and whoever learns it can forge proofs of any
  statement.  It is discarded as soon as the key is made, but nothing proves
  that to anyone else.
- :func:`import_zkey`: the ``.zkey`` of a snarkjs phase-2 ceremony run on the
  circuit :func:`export_r1cs` wrote (``snarkjs groth16 setup``, ``zkey
  contribute``, ``zkey beacon``), after checking that it is a key of exactly
  this circuit: its sizes, its A and B matrices term by term, and a trial
  proof of an honest witness that must verify under its verifying key (for
  the C matrix, the one part a ``.zkey`` does not spell out: the trial catches
  a C that differs on any wire the sample witness sets, not one that differs
  only where it is zero).

The default directory is ``$POUW_KEYS``, else ``$XDG_CACHE_HOME/pouw/keys`` (or
``~/.cache/pouw/keys``).
"""

from __future__ import annotations

import logging
import os
import random
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._native import vm as _vm
from ..errors import ProofError
from ..zk.groth16.keyfile import load_proving_key, save_proving_key
from ..zk.groth16.keys import ProvingKey
from ..zk.r1cs import SparseMatrix
from .circuits.tiers import TierCircuit, circuit_for

if TYPE_CHECKING:
    from .groth16 import Groth16Prover

_log = logging.getLogger(__name__)

__all__ = [
    "KeyMissing",
    "default_key_dir",
    "key_path",
    "setup_keys",
    "load_keys",
    "import_zkey",
    "export_r1cs",
    "provers_in",
]


class KeyMissing(ProofError):
    """No key file for a circuit in the key directory."""


def default_key_dir() -> Path:
    """``$POUW_KEYS``, else ``$XDG_CACHE_HOME/pouw/keys`` (``~/.cache/pouw/keys``)."""
    env = os.environ.get("POUW_KEYS")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "pouw" / "keys"


def _name(circuit: TierCircuit) -> str:
    batch = f"-n{circuit.batch_size}" if circuit.tier.value == "full" else ""
    return f"{circuit.tier.value}-d{circuit.depth}{batch}-{circuit.digest[:16]}.pkey"


def key_path(directory: str | PathLike[str] | None, circuit: TierCircuit) -> Path:
    """Where ``circuit``'s key lives in ``directory`` (None: :func:`default_key_dir`)."""
    folder = Path(directory) if directory is not None else default_key_dir()
    return folder / _name(circuit)


def _label(circuit: TierCircuit) -> dict[str, object]:
    return {
        "circuit": circuit.digest,
        "tier": circuit.tier.value,
        "depth": circuit.depth,
        "batch_size": circuit.batch_size,
    }


def _save(pk: ProvingKey, path: Path, circuit: TierCircuit) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_proving_key(pk, path, label=_label(circuit))
    return path


def setup_keys(
    directory: str | PathLike[str] | None,
    circuit: TierCircuit,
    rng: random.Random | None = None,
) -> Path:
    """Development keys for ``circuit`` into ``directory`` (unsafe for production:
    see the module docstring); returns the key file's path."""
    from ..zk.groth16.generator import setup

    pk, _ = setup(circuit.compiled.r1cs, rng)
    return _save(pk, key_path(directory, circuit), circuit)


def load_keys(directory: str | PathLike[str] | None, circuit: TierCircuit) -> ProvingKey:
    """The proving key of ``circuit`` (memory-mapped).

    Raises
    ------
    KeyMissing
        No key file for this circuit (the message names ``pouw keys setup``).
    ProofError
        The file is damaged, or its matrices are not the circuit's.
    """
    path = key_path(directory, circuit)
    if not path.exists():
        raise KeyMissing(
            f"no {circuit.tier.value} key for depth {circuit.depth}"
            + (f", batch size {circuit.batch_size}" if circuit.tier.value == "full" else "")
            + f" in {path.parent} (circuit {circuit.digest[:16]}): make one with "
            f"`pouw keys setup CONFIG --tiers {circuit.tier.value}` (development keys) or "
            f"import a ceremony's with `pouw keys import`"
        )
    pk = load_proving_key(path)
    label = pk.cache.get("label")
    if isinstance(label, dict) and "circuit" in label:
        # the file's header says which circuit (guarded by the file's digest): one compare
        if label["circuit"] != circuit.digest or (pk.n_wires, pk.n_public) != (
            circuit.compiled.r1cs.n_wires,
            circuit.compiled.r1cs.n_public,
        ):
            raise ProofError(
                f"{path}: a key of circuit {str(label['circuit'])[:16]}, not for the "
                f"{circuit.tier.value} circuit {circuit.digest[:16]}"
            )
    else:  # a file without a label: compare the matrices themselves
        _check_matrices(pk, circuit, str(path))
    return pk


def _canonical(m: SparseMatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = np.repeat(np.arange(m.n_rows, dtype=np.int64), np.diff(m.row_ptr))
    order = np.lexsort((m.cols, rows))
    return rows[order], m.cols[order], m.values.montgomery[order]


def _same(a: SparseMatrix, b: SparseMatrix) -> bool:
    if a.n_rows != b.n_rows or a.nnz != b.nnz:
        return False
    return all(np.array_equal(x, y) for x, y in zip(_canonical(a), _canonical(b), strict=True))


def _check_matrices(pk: ProvingKey, circuit: TierCircuit, where: str) -> None:
    from ..zk.groth16.qap import with_public_rows

    r1cs = circuit.compiled.r1cs
    if (pk.n_wires, pk.n_public) != (r1cs.n_wires, r1cs.n_public):
        raise ProofError(
            f"{where}: a key for {pk.n_wires} wires and {pk.n_public} public inputs, not for "
            f"the {circuit.tier.value} circuit ({r1cs.n_wires} wires, {r1cs.n_public} public)"
        )
    a, b = with_public_rows(r1cs)
    if not (_same(pk.a, a) and _same(pk.b, b)):
        raise ProofError(
            f"{where}: the key's A or B matrix is not the {circuit.tier.value} "
            f"circuit's (a key of another circuit)"
        )
    if pk.c is not None and not _same(pk.c, r1cs.c):
        raise ProofError(f"{where}: the key's C matrix is not the {circuit.tier.value} circuit's")


def import_zkey(
    directory: str | PathLike[str] | None,
    circuit: TierCircuit,
    zkey: str | PathLike[str],
) -> Path:
    """Import a ceremony's ``.zkey`` for ``circuit`` after checking it belongs to
    exactly this circuit (module docstring); returns the key file's path.

    Raises ProofError naming what does not match (nothing is written then)."""
    import dataclasses

    from ..zk.formats.zkey import read_zkey
    from ..zk.groth16.prover import prove
    from ..zk.groth16.verifier import verify

    where = os.fspath(zkey)
    try:
        data = Path(zkey).read_bytes()
    except OSError as exc:
        raise ProofError(f"cannot read {where}: {exc}") from None
    pk, vk = read_zkey(data, name=where)
    _check_matrices(pk, circuit, where)
    pk = dataclasses.replace(pk, c=circuit.compiled.r1cs.c)
    witness, publics = sample_witness(circuit)
    if not verify(vk, publics, prove(pk, witness)):
        raise ProofError(
            f"{where}: a proof of an honest witness made with this key does not verify under "
            f"its verifying key: the key is not one of the {circuit.tier.value} circuit"
        )
    return _save(pk, key_path(directory, circuit), circuit)


def sample_witness(circuit: TierCircuit) -> tuple[object, list[int]]:
    """An honest witness of ``circuit`` and its public inputs: one transfer (two for
    Full) between two accounts of a Poseidon state at the circuit's depth."""
    from ..isa import TRACE_KIND_BATCH, TRACE_KIND_INTENT, Op, batch_id, encode_program, intent_id
    from ..merkle import hasher
    from ..trace import ExecutionTrace

    table = _vm.AccountTable(circuit.depth, hasher("poseidon"))
    for i in (0, 1):
        table.set(i, bytes(31) + bytes([i + 1]), 1000, 0)
    bodies = [(0, 1, 5), (1, 0, 3)][: 2 if circuit.tier.value == "full" else 1]
    programs, ids = [], []
    for sender, to, amount in bodies:
        body = [(Op.DEBIT, sender, amount), (Op.CREDIT, to, amount)]
        programs.append(encode_program(sender, 0, 50_000, 1, body))
        ids.append(intent_id(sender, 0, 50_000, 1, body))
    kind = TRACE_KIND_BATCH if len(ids) > 1 else TRACE_KIND_INTENT
    header = bytes.fromhex(batch_id(ids) if len(ids) > 1 else ids[0])
    data, _, _ = _vm.execute(table, 0, b"".join(programs), len(ids), header, kind, True)
    assert data is not None  # with_trace=True
    values, statement = circuit.values(ExecutionTrace.from_bytes(data))
    return circuit.compiled.witness(values), statement.public_inputs()


def export_r1cs(circuit: TierCircuit, path: str | PathLike[str]) -> None:
    """Write ``circuit`` in circom's ``.r1cs`` format (for a snarkjs ceremony)."""
    from ..zk.formats.r1cs import write_r1cs

    write_r1cs(path, circuit.compiled.r1cs)


def provers_in(
    directory: str | PathLike[str] | None, *, threads: int | None = None
) -> dict[str, Groth16Prover]:
    """A :class:`~pouw.prover.groth16.Groth16Prover` for every key in ``directory``
    (None: :func:`default_key_dir`), by circuit digest: what a remote worker can
    prove.  A file that is not a labelled key of one of this pouw's circuits
    (another version's, or damaged) is skipped with a warning."""
    from .groth16 import Groth16Prover

    folder = Path(directory) if directory is not None else default_key_dir()
    out: dict[str, Groth16Prover] = {}
    for path in sorted(folder.glob("*.pkey")):
        try:
            label = load_proving_key(path).cache.get("label")
            if not isinstance(label, dict):
                raise ProofError("no circuit label in its header")
            circuit = circuit_for(str(label["tier"]), int(label["depth"]), int(label["batch_size"]))
            if circuit.digest != label["circuit"]:
                raise ProofError("a key of a circuit this version of pouw does not build")
            pk = load_keys(folder, circuit)
        except (ProofError, KeyError, TypeError, ValueError) as exc:
            _log.warning("skipping %s: %s", path, exc)
            continue
        out[circuit.digest] = Groth16Prover(pk, circuit, threads=threads)
    return out
