"""``crateq discover``: registered from its own module name; it lives in ``crateq.cli.crate``."""

from crateq.cli.crate import discover as command

__all__ = ["command"]
