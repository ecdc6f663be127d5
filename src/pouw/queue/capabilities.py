"""What a worker can prove, and which jobs that admits: capability routing, once
for every store.

A worker declares its :class:`Capabilities` with each claim (``claim_next(...,
can=...)``, the claim-next body, ``pouw worker`` flags); a claim returns only
jobs that match, in one query over one pending order (not one query per named
queue). The seam for GPU provers: a GPU worker declares ``device = "gpu"`` and
``min_units`` so that it takes the large jobs it is configured for, while CPU
workers bound theirs with ``max_units``.

A job's *zk mode* is ``mock`` when it has no circuit (any worker proves it)
and ``groth16`` when it has one; its size is its work in units
(:func:`pouw.queue.priority.work_units`: KiB of trace, one for a single step).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ..job import ProofJob
from ..status import JobTier, parse_enum
from .priority import work_units

__all__ = ["Capabilities", "DEVICES", "ZK_MODES", "MAX_UNITS"]

DEVICES = ("cpu", "gpu")
ZK_MODES = ("mock", "groth16")
#: the largest job size a worker can name (any job's units are below it)
MAX_UNITS = 1 << 40


@dataclass(frozen=True, slots=True)
class Capabilities:
    """A worker's declaration; ``None`` fields admit anything.

    * ``tiers``: the tiers it proves;
    * ``zk_modes``: ``"mock"`` (jobs without a circuit), ``"groth16"`` (with one);
    * ``circuits``: the circuit digests it has keys for (jobs with a circuit
      must have one of them; mock jobs pass);
    * ``device``: ``"cpu"`` or ``"gpu"`` (recorded with the worker);
    * ``min_units``/``max_units``: the job sizes it takes, in work units.
    """

    tiers: frozenset[JobTier] | None = None
    zk_modes: frozenset[str] | None = None
    circuits: frozenset[str] | None = None
    device: str = "cpu"
    min_units: int = 0
    max_units: int | None = None

    def __post_init__(self) -> None:
        if self.tiers is not None:
            tiers = frozenset(parse_enum(JobTier, t, "tiers") for t in self.tiers)
            object.__setattr__(self, "tiers", tiers)
        if self.zk_modes is not None:
            modes = frozenset(self.zk_modes)
            bad = sorted(m for m in modes if m not in ZK_MODES)
            if bad:
                raise ValueError(f"zk_modes must be among {', '.join(ZK_MODES)}, got {bad[0]!r}")
            object.__setattr__(self, "zk_modes", modes)
        if self.circuits is not None:
            object.__setattr__(self, "circuits", frozenset(self.circuits))
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        for name in ("min_units", "max_units"):
            v = getattr(self, name)
            if v is None:
                continue
            if v.__class__ is not int or not 0 <= v <= MAX_UNITS:
                raise ValueError(f"{name} must be an integer in 0..{MAX_UNITS}, got {v!r}")
        if self.max_units is not None and self.max_units < self.min_units:
            raise ValueError(f"max_units ({self.max_units}) is below min_units ({self.min_units})")

    @classmethod
    def of_claim(
        cls,
        can: Capabilities | None,
        tier: JobTier | str | None,
        circuits: Collection[str] | None,
    ) -> Capabilities:
        """``can`` narrowed by a claim's own ``tier`` and ``circuits`` arguments."""
        can = can or cls()
        tiers = can.tiers
        if tier is not None:
            one = frozenset({parse_enum(JobTier, tier, "tier")})
            tiers = one if tiers is None else tiers & one
        digests = can.circuits
        if circuits is not None:
            given = frozenset(circuits)
            digests = given if digests is None else digests & given
        if tiers is can.tiers and digests is can.circuits:
            return can
        return cls(tiers, can.zk_modes, digests, can.device, can.min_units, can.max_units)

    @property
    def admits_all(self) -> bool:
        return (
            self.tiers is None
            and self.zk_modes is None
            and self.circuits is None
            and self.min_units == 0
            and self.max_units is None
        )

    def matches(self, job: ProofJob) -> bool:
        """Whether a worker of these capabilities may take ``job``."""
        if self.tiers is not None and job.tier not in self.tiers:
            return False
        circuit = job.circuit
        if self.zk_modes is not None and ("mock" if circuit is None else "groth16") not in (
            self.zk_modes
        ):
            return False
        if self.circuits is not None and circuit is not None and circuit not in self.circuits:
            return False
        if self.min_units or self.max_units is not None:
            units = work_units(job)
            if units < self.min_units or (self.max_units is not None and units > self.max_units):
                return False
        return True

    def to_dict(self) -> dict[str, object]:
        return {
            "tiers": None if self.tiers is None else sorted(t.value for t in self.tiers),
            "zk_modes": None if self.zk_modes is None else sorted(self.zk_modes),
            "circuits": None if self.circuits is None else len(self.circuits),
            "device": self.device,
            "min_units": self.min_units,
            "max_units": self.max_units,
        }
