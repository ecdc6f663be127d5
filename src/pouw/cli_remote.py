"""Deprecated: moved to :mod:`pouw.cli.remote` (this path goes in the next release)."""

from ._moved import alias

alias(__name__, "pouw.cli.remote")
