"""The hand-off ring: the compiled lock-free MPMC ring, raising pouw's errors.

The ring itself is the kernel ``pouw._native.ring.RingBuffer`` (C11 atomics,
``csrc/ring.h``).  Kernels import no Python layer of pouw, so the kernel raises
built-ins -- ``ValueError`` when a push finds the ring closed, ``TimeoutError``
when a blocking push is still full at its timeout -- and reads both types from
its own class.  :class:`RingBuffer` here is the whole mapping: a subclass that
names :class:`~pouw.errors.QueueClosed` and :class:`~pouw.errors.QueueFull`
there and adds nothing else, so every method is still the kernel's C method,
with no Python frame in between (a wrapper method would make ``try_push``
about three times slower; see benchmarks/README.md, "RingBuffer").
"""

from __future__ import annotations

from typing import Any, TypeVar, final

from .._native import missing_extension
from ..errors import QueueClosed, QueueFull

try:
    from .._native import ring as _ring
except ImportError as exc:  # pragma: no cover - a broken build, not a fallback
    raise missing_extension("ring", exc) from exc

__all__ = ["RingBuffer"]

_T = TypeVar("_T")


@final
class RingBuffer(_ring.RingBuffer[_T]):
    """RingBuffer(capacity): a bounded FIFO shared by any number of producer and
    consumer threads (see :class:`pouw._native.ring.RingBuffer` for the contract).

    A push on a closed ring raises :class:`~pouw.errors.QueueClosed`; a blocking
    ``push`` still full when its timeout passes raises :class:`~pouw.errors.QueueFull`.
    """

    __slots__ = ()
    _closed_error = QueueClosed
    _full_error = QueueFull

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError("pouw.queue.RingBuffer cannot be subclassed")
