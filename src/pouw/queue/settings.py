"""The settings every job store takes, checked once: ``ValueError`` naming the bad one."""

from __future__ import annotations

from typing import Any

from .priority import check_priority

__all__ = ["check_settings", "DAY_MS"]

DAY_MS = 86_400_000


def check_settings(
    *,
    capacity: Any,
    retention: Any,
    reservation_timeout_ms: Any,
    max_attempts: Any,
    priority: Any,
    aging_ms: Any,
    history_ms: Any,
) -> dict[str, Any]:
    """The settings as the store keeps them (``priority`` and ``aging_ms`` by
    :func:`pouw.queue.priority.check_priority`), or ``ValueError``."""
    for name, value, low in (
        ("capacity", capacity, 1),
        ("retention", retention, 0),
        ("reservation_timeout_ms", reservation_timeout_ms, 1),
        ("max_attempts", max_attempts, 1),
        ("history_ms", history_ms, 1),
    ):
        if value.__class__ is not int or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    priority, aging_ms = check_priority(priority, aging_ms)
    return {
        "capacity": capacity,
        "retention": retention,
        "reservation_timeout_ms": reservation_timeout_ms,
        "max_attempts": max_attempts,
        "priority": priority,
        "aging_ms": aging_ms,
        "history_ms": history_ms,
    }
