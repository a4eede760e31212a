"""The world of the secrets tests: demo pools and the crate stand-in whose every secret is
unique and known, and the real `crateq` command run as subprocesses with DEBUG logging on.

``SecretWorld`` holds the demo servers (a module fixture). The pools accept an extra account
whose password appears nowhere else, each pool takes its own API key, crate its own key, and
every JWT and download token the pools issue is recorded server-side, so a test can grep for
the exact strings. ``Session`` runs `crateq …` in a child process (stdout, stderr and the
Python log of every run kept), against one ``$CRATEQ_HOME``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from crateq.demo import auth
from crateq.demo.auth import DemoAccount, TokenAuthority
from crateq.demo.cluster import DemoCluster
from crateq.demo.crate_app import CrateDemoControl, create_app

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
USERNAME = "selector"
PASSWORD = "Pw-7tQ9zK2mVx4rLp8s"  # the account's password: must never be written down
WRONG_PASSWORD = "Wrong-3hN6yB1cXe5uQa"  # typed once by mistake: must not be kept either
CRATE_KEY = "ck_test_SecretsSuite7Hq2Lm9Zx4Vb6Nc8Pd1"
POOL_KEYS = {
    "urban-beats": "pk-urban-9fK2qL7xM3",
    "club-edits": "pk-club-4tR8wN1zB6",
    "vj-vault": "pk-vault-2yH5jD9cS7",
}
ACCOUNT = DemoAccount(USERNAME, PASSWORD, "1777", "active")

# The child: the real console script with every logger at DEBUG into $CRATEQ_LOG_FILE.
CHILD = (
    "import logging, os, sys\n"
    "logging.basicConfig(filename=os.environ['CRATEQ_LOG_FILE'], level=logging.DEBUG,\n"
    "    format='%(asctime)s %(levelname)s %(name)s %(message)s')\n"
    "logging.captureWarnings(True)\n"
    "from crateq.launch import main\n"
    "main(sys.argv[1:])\n"
)


class IssuedTokens:
    """Every JWT and download token the pools handed out (thread-safe: servers' loop)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.jwts: list[str] = []
        self.download_tokens: set[str] = set()

    def watch(self, authority: TokenAuthority) -> None:
        issue_jwt, one = authority.issue_jwt, authority.download_token
        many = authority.download_tokens

        def record_jwt(account: DemoAccount, ttl_seconds: float) -> str:
            token = issue_jwt(account, ttl_seconds)
            with self._lock:
                self.jwts.append(token)
            return token

        def record_one(user_id: str, media_id: int, now: float | None = None) -> str:
            token = one(user_id, media_id, now)
            with self._lock:
                self.download_tokens.add(token)
            return token

        def record_many(user_id: str, now: float | None = None) -> Callable[[int], str]:
            sign = many(user_id, now)

            def token(media_id: int) -> str:
                value = sign(media_id)
                with self._lock:
                    self.download_tokens.add(value)
                return value

            return token

        # instance attributes shadow the methods: the pool keeps its secret and its store
        authority.issue_jwt = record_jwt  # type: ignore[method-assign]
        authority.download_token = record_one  # type: ignore[method-assign]
        authority.download_tokens = record_many  # type: ignore[method-assign]


@dataclass
class SecretWorld:
    cluster: DemoCluster
    issued: IssuedTokens
    crate_url: str

    def secrets(self) -> dict[str, str]:
        """Every secret of the session by a readable name (pool keys excluded: see below)."""
        found = {"password": PASSWORD, "wrong password": WRONG_PASSWORD, "crate key": CRATE_KEY}
        for index, token in enumerate(self.issued.jwts):
            found[f"jwt {index}"] = token
            found[f"jwt {index} signature"] = token.rsplit(".", 1)[1]
        for token in sorted(self.issued.download_tokens):
            found[f"download token {token}"] = token
        return found


@contextmanager
def secret_world(media_dir: Path) -> Iterator[SecretWorld]:
    control = CrateDemoControl(api_keys={CRATE_KEY})
    issued = IssuedTokens()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "DEMO_ACCOUNTS", (*auth.DEMO_ACCOUNTS, ACCOUNT))
        cluster = DemoCluster(
            catalog_size=120, media_dir=media_dir,
            extra_apps=[("crate", lambda _cluster: create_app(control=control))],
        )  # fmt: skip
        with cluster:
            for name, handle in cluster.pools.items():
                handle.state.api_key = handle.api_key = POOL_KEYS[name]
                issued.watch(handle.state.tokens)
            yield SecretWorld(cluster, issued, cluster.extras["crate"].url)


@dataclass
class Run:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[Any]:  # Any: the command's JSON
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


@dataclass
class Session:
    """`crateq` subprocesses over one home; every run's output is kept for the grep."""

    home: Path
    captured: Path  # stdout/stderr of every run, outside the home
    keyring_backend: str
    keyring_file: Path | None = None
    runs: list[Run] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
        env.update(
            CRATEQ_HOME=str(self.home),
            CRATEQ_LOG_FILE=str(self.home / "logs" / "session.log"),
            PYTHONPATH=os.pathsep.join([str(SRC), str(TESTS)]),
            PYTHON_KEYRING_BACKEND=self.keyring_backend,
            QT_QPA_PLATFORM="offscreen",
        )
        if self.keyring_file is not None:
            env["CRATEQ_TEST_KEYRING"] = str(self.keyring_file)
        (self.home / "logs").mkdir(parents=True, exist_ok=True)
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-c", CHILD, *args]

    def __call__(self, *args: str, input: str | None = None, timeout: float = 120) -> Run:
        done = subprocess.run(
            self.command(*args), input=input or "", capture_output=True, text=True,
            env=self.env(), timeout=timeout, check=False,
        )  # fmt: skip
        return self._keep(Run(args, done.returncode, done.stdout, done.stderr))

    def ok(self, *args: str, input: str | None = None) -> Run:
        run = self(*args, input=input)
        assert run.code == 0, f"crateq {' '.join(args)}: {run.stderr}"
        return run

    def _keep(self, run: Run) -> Run:
        self.runs.append(run)
        stem = self.captured / f"{len(self.runs):02d}"
        stem.with_suffix(".out").write_text(run.stdout, encoding="utf-8")
        stem.with_suffix(".err").write_text(run.stderr, encoding="utf-8")
        return run

    def killed_mid_download(self, args: tuple[str, ...], part_dir: Path, input: str) -> Run:
        """Start `crateq ARGS`, SIGKILL it once a .part file under ``part_dir`` holds bytes."""
        feed = self.captured / f"{len(self.runs) + 1:02d}.in"
        feed.write_text(input, encoding="utf-8")
        with feed.open("rb") as stdin:
            child = subprocess.Popen(
                self.command(*args), stdin=stdin, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, env=self.env(),
            )  # fmt: skip
        feed.unlink()  # the password is not one of the captured outputs
        deadline = _deadline(60)
        while not any(p.stat().st_size > 0 for p in part_dir.rglob("*.part")):
            assert child.poll() is None, "the download ended before it could be killed"
            assert not deadline(), "no .part file appeared"
            threading.Event().wait(0.02)
        child.send_signal(signal.SIGKILL)
        stdout, stderr = child.communicate(timeout=30)
        return self._keep(Run(args, child.returncode, stdout, stderr))


def _deadline(seconds: float) -> Callable[[], bool]:
    import time

    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end


def leaks(haystacks: dict[str, bytes], secrets: dict[str, str]) -> list[str]:
    """``"<secret name> in <where>"`` for every secret found in any haystack."""
    return [
        f"{name} in {where}"
        for where, data in haystacks.items()
        for name, value in secrets.items()
        if value.encode() in data
    ]


def files_under(root: Path) -> dict[str, bytes]:
    """Raw bytes of every file under ``root`` (SQLite files and their -wal/-journal too)."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
