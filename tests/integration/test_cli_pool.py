"""`crateq pool …` against the real demo pools: credentials in the keyring, never in files."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import fail

from cli_harness import CliHarness, using_keyring
from crateq.demo.cluster import DemoCluster
from memory_keyring import MemoryKeyring


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    with using_keyring(MemoryKeyring()) as backend:
        yield backend  # type: ignore[misc]


@pytest.fixture
def cli(crateq_home: Path, ring: MemoryKeyring) -> CliHarness:
    return CliHarness(crateq_home)


def test_add_with_password_signs_in_and_keeps_secrets_in_the_keyring(
    cli: CliHarness, ring: MemoryKeyring, demo_cluster: DemoCluster
) -> None:
    result = cli.add_demo_pool(demo_cluster, "urban-beats", password="demo")
    assert result.exit_code == 0, result.stderr
    assert "signed in as demo (account status: active)" in result.stdout
    assert ring.entries[("crateq", "pool/urban-beats/password")] == "demo"
    jwt = ring.entries[("crateq", "pool/urban-beats/jwt")]
    assert jwt.count(".") == 2
    [pool] = cli.json("pool", "list")["pools"]
    assert pool == {
        "name": "urban-beats",
        "url": demo_cluster.pools["urban-beats"].url,
        "username": "demo",
        "enabled": True,
        "signed_in": True,
        "password_stored": True,
    }
    settings = json.loads((cli.home / "config" / "settings.json").read_text())
    assert settings["pools"] == [
        {
            "name": "urban-beats",
            "url": demo_cluster.pools["urban-beats"].url,
            "api_key": demo_cluster.pools["urban-beats"].api_key,
            "username": "demo",
            "enabled": True,
        }
    ]
    assert jwt not in cli.files_text()
    assert jwt not in result.stdout + result.stderr


def test_add_with_a_wrong_password_says_so_and_stores_no_password(
    cli: CliHarness, ring: MemoryKeyring, demo_cluster: DemoCluster
) -> None:
    result = cli.add_demo_pool(demo_cluster, "club-edits", password="wrong-password")
    assert result.exit_code == 1
    assert "club-edits: signing in failed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert ring.entries == {}
    [pool] = cli.json("pool", "list")["pools"]
    assert (pool["signed_in"], pool["password_stored"]) == (False, False)
    assert "wrong-password" not in result.stdout + result.stderr + cli.files_text()


def test_login_with_a_wrong_password_exits_1_with_one_line(
    cli: CliHarness, demo_cluster: DemoCluster
) -> None:
    assert cli.add_demo_pool(demo_cluster, "urban-beats").exit_code == 0
    result = cli("pool", "login", "urban-beats", "--password-stdin", input="nope\n")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_login_of_an_expired_account_shows_the_pools_message(
    cli: CliHarness, demo_cluster: DemoCluster
) -> None:
    result = cli.add_demo_pool(demo_cluster, "vj-vault", username="expired", password="expired")
    assert result.exit_code == 0, result.stderr
    assert "account status: expired" in result.stdout
    assert "Your subscription is expired. Renew at" in result.stdout
    assert "every download will be refused" in result.stderr
    again = cli("pool", "login", "vj-vault", "--password-stdin", input="expired\n")
    assert again.exit_code == 0
    assert "Your subscription is expired" in again.stdout


def test_login_never_takes_the_password_from_argv_or_a_pipe_without_the_flag(
    cli: CliHarness, demo_cluster: DemoCluster
) -> None:
    assert cli.add_demo_pool(demo_cluster, "urban-beats").exit_code == 0
    piped = cli("pool", "login", "urban-beats", input="demo\n")
    assert piped.exit_code == 2
    assert "--password-stdin" in piped.stderr
    extra = cli("pool", "login", "urban-beats", "demo")
    assert extra.exit_code == 2


def test_login_to_an_unknown_pool_fails_before_asking(cli: CliHarness) -> None:
    result = cli("pool", "login", "nowhere", "--password-stdin", input="x\n")
    assert result.exit_code == 1
    assert "No pool named 'nowhere'" in result.stderr


def test_remove_deletes_the_pool_and_its_keyring_entries(
    cli: CliHarness, ring: MemoryKeyring, demo_cluster: DemoCluster
) -> None:
    assert cli.add_demo_pool(demo_cluster, "urban-beats").exit_code == 0
    assert cli.add_demo_pool(demo_cluster, "club-edits").exit_code == 0
    assert cli("pool", "remove", "urban-beats").exit_code == 0
    assert [p["name"] for p in cli.json("pool", "list")["pools"]] == ["club-edits"]
    assert {user for _, user in ring.entries} == {"pool/club-edits/password", "pool/club-edits/jwt"}
    assert cli("pool", "remove", "urban-beats").exit_code == 1


def test_bad_name_or_url_is_refused(cli: CliHarness) -> None:
    bad_name = cli("pool", "add", "a:b", "--url", "http://127.0.0.1:9/", "--api-key", "k",
                   "--username", "u")  # fmt: skip
    assert bad_name.exit_code == 1
    assert "not a usable pool name" in bad_name.stderr
    bad_url = cli("pool", "add", "a", "--url", "127.0.0.1:9", "--api-key", "k", "--username", "u")
    assert bad_url.exit_code == 1
    assert "not an http(s) URL" in bad_url.stderr


def test_without_a_keyring_password_stdin_works_per_command_and_nothing_is_stored(
    crateq_home: Path, demo_cluster: DemoCluster
) -> None:
    cli = CliHarness(crateq_home)
    with using_keyring(fail.Keyring()):
        added = cli.add_demo_pool(demo_cluster, "urban-beats", password="demo")
        assert added.exit_code == 0, added.stderr
        assert "no usable system keyring" in added.stderr
        listed = cli.json("pool", "list")
        assert listed["keyring"] is False
        assert listed["pools"][0]["password_stored"] is False
        search = cli("search", "--pool", "urban-beats", "--limit", "3", "--json",
                     "--password-stdin", input="demo\n")  # fmt: skip
        assert search.exit_code == 0, search.stderr
        no_password = cli("search", "--pool", "urban-beats", "--json")
        assert no_password.exit_code == 1
    saved = json.loads((crateq_home / "config" / "settings.json").read_text())
    assert set(saved["pools"][0]) == {"name", "url", "api_key", "username", "enabled"}
    assert [p.name for p in crateq_home.rglob("*") if p.is_file()] == ["settings.json"]


_MAIN = "from crateq.cli import main; main()"


def _crateq(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CRATEQ_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    script = Path(sys.executable).with_name("crateq")
    command = [str(script)] if script.exists() else [sys.executable, "-c", _MAIN]
    return subprocess.run(
        [*command, *args],
        input=stdin, capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip


def test_the_installed_command_signs_in_and_searches_with_password_stdin(
    crateq_home: Path, demo_cluster: DemoCluster
) -> None:
    pool = demo_cluster.pools["club-edits"]
    added = _crateq(
        crateq_home, "pool", "add", "club", "--url", pool.url, "--api-key", pool.api_key,
        "--username", "dj2", "--password-stdin", stdin="dj2\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "account status: current" in added.stdout
    found = _crateq(crateq_home, "search", "--limit", "2", "--json", "--password-stdin",
                    stdin="dj2\n")  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert '"mediaId"' in found.stdout  # JSON lines, one per row
    wrong = _crateq(crateq_home, "pool", "login", "club", "--password-stdin", stdin="bad\n")
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("Error: ")


def test_a_stored_jwt_is_reused_without_the_password(
    cli: CliHarness, ring: MemoryKeyring, demo_cluster: DemoCluster
) -> None:
    assert cli.add_demo_pool(demo_cluster, "urban-beats").exit_code == 0
    jwt = ring.entries[("crateq", "pool/urban-beats/jwt")]
    del ring.entries[("crateq", "pool/urban-beats/password")]
    found = cli("search", "--pool", "urban-beats", "--limit", "2", "--json")
    assert found.exit_code == 0, found.stderr
    assert ring.entries[("crateq", "pool/urban-beats/jwt")] == jwt  # no new login happened


def test_a_rejected_jwt_is_replaced_by_a_new_login_with_the_stored_password(
    cli: CliHarness, ring: MemoryKeyring, demo_cluster: DemoCluster
) -> None:
    assert cli.add_demo_pool(demo_cluster, "club-edits").exit_code == 0
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMDAxIn0.c2lnbmF0dXJl"
    ring.entries[("crateq", "pool/club-edits/jwt")] = forged
    found = cli("search", "--pool", "club-edits", "--limit", "2", "--json")
    assert found.exit_code == 0, found.stderr
    renewed = ring.entries[("crateq", "pool/club-edits/jwt")]
    assert renewed != forged and renewed.count(".") == 2


def _on_a_terminal(home: Path, args: list[str], answer: bytes) -> tuple[str, int]:
    """Run `crateq` with a pseudo-terminal as its controlling tty; answer the first prompt."""
    script = Path(sys.executable).with_name("crateq")
    if not script.exists():
        pytest.skip("the crateq entry point is not installed in this environment")
    pid, fd = pty.fork()
    if pid == 0:  # the child: become crateq at once
        os.environ.update(
            CRATEQ_HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"
        )
        os.execv(str(script), [str(script), *args])
    output = b""
    answered = False
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            os.kill(pid, 9)
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"Password" in output:
            os.write(fd, answer)
            answered = True
    _, status = os.waitpid(pid, 0)
    return output.decode(errors="replace"), os.waitstatus_to_exitcode(status)


def test_login_on_a_terminal_prompts_without_echoing_the_password(
    crateq_home: Path, demo_cluster: DemoCluster
) -> None:
    pool = demo_cluster.pools["urban-beats"]
    added = _crateq(
        crateq_home, "pool", "add", "urban", "--url", pool.url, "--api-key", pool.api_key,
        "--username", "demo",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    output, code = _on_a_terminal(crateq_home, ["pool", "login", "urban"], b"demo\n")
    assert code == 0, output
    before, prompt, rest = output.partition("Password for urban:")
    assert prompt, before
    assert rest.startswith(" \r\nurban: signed in as demo (account status: active).")  # no echo
