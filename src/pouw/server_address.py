"""Deprecated: :func:`parse_listen` moved to :mod:`pouw.node.config` (this path
goes in the next release)."""

from ._moved import warn_moved

warn_moved(__name__, "pouw.node.config.parse_listen")

from .node.config import parse_listen  # noqa: E402 - after the warning

__all__ = ["parse_listen"]
