"""Deprecated: moved to :mod:`pouw.remote.auth` (this path goes in the next release)."""

from .._moved import alias

alias(__name__, "pouw.remote.auth")
