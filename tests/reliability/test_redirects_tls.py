"""Redirects and certificates against real servers on 127.0.0.1.

A redirect to another host (``localhost`` on another port is another origin to a client)
must never carry the pool's Authorization header or ``key`` parameter, nor crate's
``X-API-Key``; a redirect loop stops after ``MAX_REDIRECTS`` with a sentence that says so;
a self-signed certificate is refused by default, and trusted only when its CA is named
explicitly in ``CRATEQ_CA_FILE``. There is no switch that turns verification off.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytestqt.qtbot import QtBot

import reliability_log
from crateq.api.crate import CrateClient
from crateq.api.errors import (
    CrateProtocolError,
    CrateUnavailable,
    PoolProtocolError,
    PoolUnavailable,
)
from crateq.api.netpolicy import CA_FILE_ENV, MAX_REDIRECTS
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery
from crateq.api.transport import open_download
from crateq.core.errors import user_message
from recording_server import Answer, RecordingServer, Seen
from tls_cert import self_signed

SRC = Path(__file__).resolve().parents[2] / "src" / "crateq"
PAGE = json.dumps({"records": 1, "pages": 1, "data": [{"mediaId": 7, "artist": "A"}]}).encode()
JSON = {"Content-Type": "application/json"}
AUDIO = {"Content-Type": "audio/mpeg"}  # a download is the file, not data (transport_sniff)
TOKEN, KEY, CRATE_KEY = "jwt-secret-1", "pool-key-2", "crate-key-3"
LOCATORS = {"discogs": None, "mbid": None, **{k: [] for k in ("bandcamp", "soundcloud",
            "instagram", "spotify", "youtube", "website")}}  # fmt: skip
RESOLVED = {"cluster_id": None, "slug": None, "display": None, "locators": LOCATORS,
            "resolved_via": None, "resolved_from": "name"}  # fmt: skip


def to(url: str, status: int = 302) -> Answer:
    return status, {"Location": url}, b""


@pytest.fixture
def other() -> Iterator[RecordingServer]:
    """The other host: answers a listing, a file, or crate's honest gap."""

    def respond(seen: Seen) -> Answer:
        if seen.path.startswith("/api/v2/"):
            return 200, JSON, json.dumps(RESOLVED).encode()
        return (200, JSON, PAGE) if "Media" in seen.path else (200, AUDIO, b"x" * 10)

    with RecordingServer(respond, host="localhost") as server:
        yield server


def pool_client(url: str) -> PoolClient:
    return PoolClient("p", url, KEY, username="u", token=TOKEN)


def carried_secrets(seen: Seen) -> list[str]:
    sent = " ".join([seen.path, json.dumps(seen.query), json.dumps(seen.headers)])
    return [s for s in (TOKEN, KEY, CRATE_KEY) if s in sent] + [
        h for h in ("authorization", "x-api-key") if h in seen.headers
    ]


async def test_a_pool_redirect_to_another_host_carries_no_credentials(
    other: RecordingServer,
) -> None:
    target = f"{other.url}/api/Content/Media?key={KEY}&page=1"  # a server echoing our key
    with RecordingServer(lambda _: to(target)) as pool:
        async with pool_client(pool.url) as client:
            page = await client.search(MediaQuery(keywords="x"))
    assert [row.media_id for row in page.data] == [7]  # the redirect was followed
    assert pool.seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert pool.seen[0].query["key"] == [KEY]
    assert len(other.seen) == 1 and carried_secrets(other.seen[0]) == []
    assert other.seen[0].query["page"] == ["1"]  # only the secret parameter was taken off
    reliability_log.record("network", "pool API redirected to another host", "followed; "
                           "no Authorization header and no key parameter reached it")  # fmt: skip


async def test_a_same_host_redirect_keeps_the_credentials() -> None:
    def respond(seen: Seen) -> Answer:
        return to("/moved/api/Content/Media") if "moved" not in seen.path else (200, JSON, PAGE)

    with RecordingServer(respond) as pool:
        async with pool_client(pool.url) as client:
            await client.search(MediaQuery(keywords="x"))
    assert [s.headers.get("authorization") for s in pool.seen] == [f"Bearer {TOKEN}"] * 2


async def test_a_login_is_never_posted_on_to_another_host(other: RecordingServer) -> None:
    with RecordingServer(lambda _: to(f"{other.url}/api/Auth/Login", 307)) as pool:
        async with PoolClient("p", pool.url, KEY, username="u") as client:
            with pytest.raises(PoolProtocolError, match="another host") as caught:
                await client.login("hunter2-password")
    assert caught.value.code == "redirect_refused"
    assert b"hunter2" in pool.seen[0].body and other.seen == []  # nothing reached the other
    reliability_log.record("network", "pool login answered with a 307 to another host",
                           "refused: the password was never sent there")  # fmt: skip


async def test_a_pool_redirect_loop_stops_with_a_clear_error() -> None:
    with RecordingServer(lambda seen: to(seen.path + "x")) as pool:
        async with pool_client(pool.url) as client:
            with pytest.raises(PoolProtocolError) as caught:
                await client.search(MediaQuery(keywords="x"))
    assert caught.value.code == "redirect_loop" and caught.value.pool == "p"
    assert f"more than {MAX_REDIRECTS} times" in user_message(caught.value)
    assert len(pool.seen) == MAX_REDIRECTS + 1
    reliability_log.record("network", "pool API redirect loop",
                           f"stopped after {MAX_REDIRECTS} redirects, said so")  # fmt: skip


@pytest.fixture
def download_client(tmp_path: Path) -> Iterator[httpx.Client]:
    """The download engine's own client (its limits, trust and redirect policy)."""
    from crateq.core.downloads import DownloadEngine
    from crateq.core.store import Store

    store = Store(tmp_path / "jobs.db")
    engine = DownloadEngine(store, {})
    with engine._http as client:
        yield client
    engine._executor.shutdown()
    store.close()


@pytest.mark.parametrize("path", ["direct", "httpx"])
def test_a_download_redirect_to_another_host_carries_no_credentials(
    other: RecordingServer,
    path: str,
    monkeypatch: pytest.MonkeyPatch,
    download_client: httpx.Client,
) -> None:
    from crateq.api import transport

    monkeypatch.setattr(transport, "_environment_proxied", lambda: path == "httpx")
    with RecordingServer(lambda _: to(f"{other.url}/cdn/file?key={KEY}&sig=s")) as pool:
        client = download_client
        url = f"{pool.url}/api/Content/Download/7?key={KEY}&token=t"
        auth = {"Authorization": f"Bearer {TOKEN}", "X-API-Key": CRATE_KEY}
        with open_download(client, url, auth, pool="p") as answer:
            body = b"".join(bytes(c) for c in answer.chunks())
    assert body == b"x" * 10 and client.max_redirects == MAX_REDIRECTS
    assert pool.seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert carried_secrets(other.seen[0]) == [] and other.seen[0].query["sig"] == ["s"]
    reliability_log.record("network", f"download redirected to another host ({path} path)",
                           "followed; no Authorization, X-API-Key, key param there")  # fmt: skip


def test_a_download_redirect_loop_is_a_clear_error(download_client: httpx.Client) -> None:
    with (
        RecordingServer(lambda seen: to(seen.path + "x")) as pool,
        pytest.raises(PoolProtocolError, match="redirect loop") as caught,
        open_download(download_client, f"{pool.url}/f", {}, pool="p"),
    ):
        pass
    assert caught.value.code == "redirect_loop" and len(pool.seen) == MAX_REDIRECTS + 1
    reliability_log.record("network", "download redirect loop",
                           f"stopped after {MAX_REDIRECTS} redirects, said so")  # fmt: skip


async def test_a_crate_redirect_to_another_host_drops_the_key(other: RecordingServer) -> None:
    with RecordingServer(lambda _: to(f"{other.url}/api/v2/resolve?q=x")) as crate:
        async with CrateClient(crate.url, CRATE_KEY, max_retries=0) as client:
            resolution = await client.resolve("someone")
    assert resolution.cluster_id is None  # the other host's answer
    assert crate.seen[0].headers["x-api-key"] == CRATE_KEY
    assert len(other.seen) == 1 and carried_secrets(other.seen[0]) == []
    with RecordingServer(lambda seen: to(seen.path + "x")) as looping:
        async with CrateClient(looping.url, CRATE_KEY, max_retries=0) as client:
            with pytest.raises(CrateProtocolError, match="redirect loop"):
                await client.resolve("someone")
    assert len(looping.seen) == MAX_REDIRECTS + 1
    reliability_log.record("network", "crate redirected to another host; a crate redirect loop",
                           "X-API-Key not sent there; the loop stopped with a clear error",
                           tries=2)  # fmt: skip


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[tuple[RecordingServer, Path]]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def respond(seen: Seen) -> Answer:
        if "v2" in seen.path:
            return 200, JSON, json.dumps(RESOLVED).encode()
        return (200, JSON, PAGE) if "Media" in seen.path else (200, AUDIO, b"y" * 5)

    with RecordingServer(respond, tls=context) as server:
        yield server, cert


async def test_a_self_signed_server_is_refused_by_default(
    self_signed_server: tuple[RecordingServer, Path],
    monkeypatch: pytest.MonkeyPatch,
    download_client: httpx.Client,
) -> None:
    server, _ = self_signed_server
    monkeypatch.delenv(CA_FILE_ENV, raising=False)
    async with pool_client(server.url) as client:
        with pytest.raises(PoolUnavailable) as pool_error:
            await client.search(MediaQuery(keywords="x"))
    with (
        pytest.raises(PoolUnavailable) as download_error,
        open_download(download_client, f"{server.url}/f", {}, pool="p"),
    ):
        pass
    async with CrateClient(server.url, CRATE_KEY, max_retries=2) as crate:
        with pytest.raises(CrateUnavailable) as crate_error:
            await crate.resolve("x")
    for caught in (pool_error, download_error, crate_error):
        assert caught.value.code == "untrusted_certificate"
        message = user_message(caught.value)
        assert "certificate is not trusted (self-signed certificate" in message, message
        assert CA_FILE_ENV in message
    assert server.seen == []  # no request ever went over the untrusted connection
    reliability_log.record("network", "self-signed TLS certificate (pool API, download, crate)",
                           "refused by default: 'certificate is not trusted (self-signed "
                           "certificate)' with the CRATEQ_CA_FILE hint", tries=3)  # fmt: skip


async def test_a_ca_named_explicitly_is_trusted(
    self_signed_server: tuple[RecordingServer, Path],
    monkeypatch: pytest.MonkeyPatch,
    download_client: httpx.Client,
) -> None:
    server, cert = self_signed_server
    monkeypatch.setenv(CA_FILE_ENV, str(cert))
    async with pool_client(server.url) as client:
        page = await client.search(MediaQuery(keywords="x"))
    with open_download(download_client, f"{server.url}/f", {}, pool="p") as answer:
        body = b"".join(bytes(c) for c in answer.chunks())
    assert [row.media_id for row in page.data] == [7] and body == b"y" * 5
    reliability_log.record("network", "private CA named in CRATEQ_CA_FILE",
                           "trusted for the pool API and downloads")  # fmt: skip


def test_verification_cannot_be_turned_off() -> None:
    unchecked = ssl.create_default_context()
    unchecked.check_hostname = False
    unchecked.verify_mode = ssl.CERT_NONE
    with pytest.raises(ValueError, match="verification on"):
        PoolClient("p", "https://pool.example", KEY, verify=unchecked)
    switches = re.compile(
        r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified"
    )
    found = [f"{p.relative_to(SRC)}" for p in SRC.rglob("*.py") if switches.search(p.read_text())]
    assert found == []
    reliability_log.record("network", "an SSL context without verification handed to a "
                           "pool client; the sources searched for switches",
                           "refused (ValueError); no verify=False/CERT_NONE anywhere")  # fmt: skip


def test_a_plain_http_pool_is_warned_about_by_pool_add_and_doctor(crateq_home: Path) -> None:
    from cli_harness import CliHarness, using_keyring
    from memory_keyring import MemoryKeyring

    cli = CliHarness(crateq_home)
    url = "http://0.0.0.0:9/"  # not this machine's loopback name; nothing listens there
    with using_keyring(MemoryKeyring()):
        added = cli("pool", "add", "plain", "--url", url, "--api-key", "k", "--username", "u")
        secure = cli("pool", "add", "tls", "--url", "https://0.0.0.0:9/", "--api-key", "k",
                     "--username", "u")  # fmt: skip
        local = cli("pool", "add", "demo", "--url", "http://127.0.0.1:9/", "--api-key", "k",
                    "--username", "u")  # fmt: skip
        doctor = cli("doctor", "--json", "--timeout", "5")
    assert added.exit_code == 0 and "Warning: plain: http://0.0.0.0:9/ is plain http://" in (
        added.stderr
    )
    assert "unencrypted" in added.stderr
    assert "Warning" not in secure.stderr + local.stderr  # https, and a server on this machine
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["pool plain url"]["status"] == "warn"
    assert "plain http://" in checks["pool plain url"]["message"]
    assert "pool tls url" not in checks and "pool demo url" not in checks
    assert checks["tls"]["status"] == "ok" and "system trust store" in checks["tls"]["message"]
    reliability_log.record("network", "a pool added with an http:// URL",
                           "`pool add` and `doctor` warn: secrets travel unencrypted")  # fmt: skip


def test_the_accounts_dialog_shows_the_http_warning(
    qtbot: QtBot, crateq_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crateq.core.accounts import Accounts
    from crateq.core_loop import CoreLoop
    from crateq.services import Services
    from crateq.ui.accounts.accounts_dialog import AccountsDialog

    core = CoreLoop("test-core")
    try:
        dialog = AccountsDialog(Services(accounts=Accounts(), core=core))
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.url.setText("http://pool.example.com/")
        assert dialog.url_warning.isVisible()
        assert "plain http://" in dialog.url_warning.text()
        dialog.url.setText("https://pool.example.com/")
        assert not dialog.url_warning.isVisible()
    finally:
        core.stop()
    reliability_log.record("network", "an http:// URL typed in the accounts dialog",
                           "a warning under the URL field until it is https")  # fmt: skip
