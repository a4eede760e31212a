"""Drive the real `crateq` command in-process, with the keyring swapped for a test backend.

``CliHarness(home, ring)`` invokes ``crateq.cli.main`` through click's runner (stdout and
stderr kept apart, stdin never a terminal). ``add_demo_pool`` configures one of the session's
demo pools by name, signing in with ``--password-stdin`` exactly as a user's script would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
from click.testing import CliRunner, Result
from keyring.backend import KeyringBackend

from crateq.cli import main
from crateq.demo.cluster import DemoCluster


@contextmanager
def using_keyring(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@dataclass
class CliHarness:
    home: Path

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    def json(self, *args: str, input: str | None = None) -> Any:
        result = self(*args, "--json", input=input)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    def search_json(self, *args: str, input: str | None = None) -> dict[str, list[Any]]:
        """``crateq search ARGS --json`` (JSON lines: rows and failed pools) as
        ``{"results": [row…], "errors": [{"pool", "error"}…]}``, in the order printed."""
        result = self("search", *args, "--json", input=input)
        assert result.exit_code == 0, result.stderr
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        return {
            "results": [line for line in lines if "error" not in line],
            "errors": [line for line in lines if "error" in line],
        }

    def add_demo_pool(
        self,
        cluster: DemoCluster,
        pool: str,
        *,
        username: str = "demo",
        password: str = "demo",
        name: str | None = None,
    ) -> Result:
        handle = cluster.pools[pool]
        return self(
            "pool", "add", name or pool, "--url", handle.url, "--api-key", handle.api_key,
            "--username", username, "--password-stdin", input=password + "\n",
        )  # fmt: skip

    def files_text(self) -> str:
        """Everything the app wrote under $CRATEQ_HOME, to prove no secret landed there."""
        return "\n".join(p.read_text(errors="replace") for p in self.home.rglob("*") if p.is_file())
