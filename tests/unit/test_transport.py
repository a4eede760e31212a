"""The one download transport (``crateq.api.transport``) against a scripted server on loopback.

Each test scripts the exact bytes a server sends (chunked framing, redirects, a 200 to a
Range request, a body shorter than its Content-Length, an HTML error page, headers split
over many small writes) and runs the real ``transfer()`` or ``open_download()`` over a real
socket. The server records every request head, so tests also check what the client sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpcore
import httpx
import pytest

from crateq.api.errors import (
    DownloadTokenExpired,
    PoolAuthError,
    PoolError,
    PoolForbidden,
    PoolKeyError,
    PoolRateLimited,
    PoolUnavailable,
)
from crateq.api.netpolicy import CA_FILE_ENV
from crateq.api.pool import PoolClient
from crateq.api.transport import PROXY_READ, BodyResponse, direct_possible, open_download
from crateq.core.download_transfer import (
    TransferResult,
    TransferState,
    transfer,
)
from crateq.core.downloads import DownloadEngine
from crateq.core.errors import RestartTransfer, TransferInterrupted
from crateq.core.store import Store
from scripted_server import ScriptedServer, head
from tls_cert import self_signed

BODY = bytes(range(256)) * 4096  # 1 MiB, every offset distinguishable
Packets = list[bytes]


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(script: Callable[[str], Iterable[bytes]], **kw: Any) -> ScriptedServer:
        servers.append(ScriptedServer(script, **kw))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def client(direct_client: httpx.Client) -> httpx.Client:
    return direct_client


def whole(body: bytes = BODY, *extra: str) -> Packets:
    return [head("200 OK", f"Content-Length: {len(body)}", "Content-Type: audio/mpeg", *extra)]
    # body sent by callers that need it split; see ``answer``


def answer(body: bytes = BODY, *extra: str) -> Packets:
    return [*whole(body, *extra), body]


def fetch(
    client: httpx.Client,
    url: str,
    part: Path,
    state: TransferState | None = None,
    *,
    headers: dict[str, str] | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[int], None] = lambda _: None,
) -> TransferResult:
    return transfer(
        client,
        url,
        headers or {},
        part,
        state or TransferState(),
        choose_part=lambda _: part,
        pool="scripted",
        progress=progress,
        stop=stop or threading.Event(),
    )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_sized_body_arrives_whole_and_hashed(
    serve: Callable[..., ScriptedServer], client: httpx.Client, tmp_path: Path
) -> None:
    server = serve(lambda _: answer())
    assert direct_possible(client, server.url)
    part = tmp_path / "a.part"
    result = fetch(client, f"{server.url}/a.mp3", part)
    assert part.read_bytes() == BODY
    assert (result.size, result.sha256) == (len(BODY), sha(BODY))
    assert result.state.total == len(BODY) and result.state.content_type == "audio/mpeg"
    assert server.requests[0].startswith("GET /a.mp3 HTTP/1.1\r\n")
    assert "accept-encoding: identity" in server.requests[0].lower()


def test_a_chunked_body_arrives_whole(
    serve: Callable[..., ScriptedServer], client: httpx.Client, tmp_path: Path
) -> None:
    pieces = [BODY[i : i + 70_000] for i in range(0, len(BODY), 70_000)]
    framed = [f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces] + [b"0\r\n\r\n"]
    server = serve(lambda _: [head("200 OK", "Transfer-Encoding: chunked"), *framed])
    part = tmp_path / "c.part"
    result = fetch(client, server.url + "/c", part)
    assert part.read_bytes() == BODY and result.sha256 == sha(BODY)
    assert result.state.total is None


def test_headers_arriving_in_many_small_packets_are_parsed(
    serve: Callable[..., ScriptedServer], client: httpx.Client, tmp_path: Path
) -> None:
    raw = whole(BODY, 'ETag: "abc"')[0]
    server = serve(lambda _: [raw[i : i + 7] for i in range(0, len(raw), 7)] + [BODY[:5], BODY[5:]])
    result = fetch(client, server.url + "/h", tmp_path / "h.part")
    assert result.sha256 == sha(BODY) and result.state.etag == '"abc"'


def test_redirects_are_followed_and_credentials_stay_with_their_origin(
    serve: Callable[..., ScriptedServer], client: httpx.Client, tmp_path: Path
) -> None:
    cdn = serve(lambda _: answer())
    same = serve(lambda req: [head("302 Found", f"Location: {cdn.url}/file", "Content-Length: 0")])
    first = serve(
        lambda req: [head("301 Moved", f"Location: {same.url}/next", "Content-Length: 0")]
    )
    part = tmp_path / "r.part"
    result = fetch(client, first.url + "/start", part, headers={"Authorization": "Bearer t"})
    assert part.read_bytes() == BODY and result.sha256 == sha(BODY)
    assert [len(s.requests) for s in (first, same, cdn)] == [1, 1, 1]
    assert cdn.requests[0].startswith("GET /file ")
    assert "authorization" in first.requests[0].lower()
    assert "authorization" not in same.requests[0].lower()  # another port: another origin


def test_a_200_to_a_range_request_restarts_the_part_from_zero(
    serve: Callable[..., ScriptedServer], client: httpx.Client, tmp_path: Path
) -> None:
    server = serve(lambda _: answer())
    part = tmp_path / "g.part"
    part.write_bytes(b"x" * 1000)  # not the server's bytes: they must all be replaced
    state = TransferState(total=len(BODY))
    result = fetch(client, server.url + "/g", part, state)
    assert "range: bytes=1000-" in server.requests[0].lower()
    assert part.read_bytes() == BODY and result.sha256 == sha(BODY)


def test_a_206_resumes_and_a_wrong_content_range_restarts(
    serve: Callable[..., ScriptedServer], client: httpx.Client, tmp_path: Path
) -> None:
    start = 300_000

    def ranged(request: str) -> Packets:
        where = int(request.lower().split("range: bytes=")[1].split("-")[0])
        rest = BODY[where:]
        crange = f"Content-Range: bytes {where}-{len(BODY) - 1}/{len(BODY)}"
        return [head("206 Partial Content", f"Content-Length: {len(rest)}", crange), rest]

    server = serve(ranged)
    part = tmp_path / "p.part"
    part.write_bytes(BODY[:start])
    result = fetch(client, server.url + "/p", part, TransferState(total=len(BODY)))
    assert part.read_bytes() == BODY and result.sha256 == sha(BODY)

    wrong = serve(lambda _: [head("206 Partial Content", "Content-Length: 1",
                                  "Content-Range: bytes 5-5/9"), b"x"])  # fmt: skip
    with pytest.raises(RestartTransfer):
        fetch(client, wrong.url + "/p", part, TransferState(total=len(BODY)))


def test_a_body_shorter_than_its_length_keeps_what_came_and_resumes(
    serve: Callable[..., ScriptedServer], client: httpx.Client, tmp_path: Path
) -> None:
    short = serve(lambda _: [*whole(), BODY[:400_000]])  # then the connection closes
    part = tmp_path / "s.part"
    state = TransferState()
    with pytest.raises(PoolUnavailable, match="broke during the download"):
        fetch(client, short.url + "/s", part, state)
    assert part.read_bytes() == BODY[:400_000]
    assert state.total == len(BODY)

    rest = BODY[400_000:]
    crange = f"Content-Range: bytes 400000-{len(BODY) - 1}/{len(BODY)}"
    resumed = serve(lambda _: [head("206 Partial Content", f"Content-Length: {len(rest)}",
                                    crange), rest])  # fmt: skip
    result = fetch(client, resumed.url + "/s", part, state)
    assert part.read_bytes() == BODY and result.sha256 == sha(BODY)


def test_an_html_500_page_is_a_pool_outage(
    serve: Callable[..., ScriptedServer], client: httpx.Client, tmp_path: Path
) -> None:
    page = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
    server = serve(lambda _: [head("500 Internal Server Error", "Content-Type: text/html",
                                   f"Content-Length: {len(page)}"), page])  # fmt: skip
    part = tmp_path / "e.part"
    with pytest.raises(PoolUnavailable, match="HTTP 500") as caught:
        fetch(client, server.url + "/e", part)
    assert caught.value.status == 500
    assert not part.exists()  # nothing written for an error answer


def test_error_statuses_map_to_the_error_tree(
    serve: Callable[..., ScriptedServer], client: httpx.Client, tmp_path: Path
) -> None:
    expired = b'{"message": "Download token expired."}'
    server = serve(lambda _: [head("403 Forbidden", f"Content-Length: {len(expired)}"), expired])
    with pytest.raises(DownloadTokenExpired):
        fetch(client, server.url + "/x", tmp_path / "x.part")
    limited = serve(lambda _: [head("429 Too Many Requests", "Retry-After: 7",
                                    "Content-Length: 0")])  # fmt: skip
    with pytest.raises(PoolRateLimited) as caught:
        fetch(client, limited.url + "/x", tmp_path / "x.part")
    assert caught.value.retry_after == 7.0
    gone = serve(lambda _: [head("416 Range Not Satisfiable", "Content-Length: 0")])
    part = tmp_path / "y.part"
    part.write_bytes(b"abc")
    with pytest.raises(RestartTransfer):
        fetch(client, gone.url + "/y", part)
    assert not part.exists()


def test_stopping_mid_body_closes_the_connection(
    serve: Callable[..., ScriptedServer], client: httpx.Client, tmp_path: Path
) -> None:
    server = serve(lambda _: [*whole(), BODY[:300_000]], hold=True)  # the rest never comes
    stop = threading.Event()

    def progress(done: int) -> None:
        if done:
            stop.set()

    part = tmp_path / "t.part"
    with pytest.raises(TransferInterrupted):
        fetch(client, server.url + "/t", part, stop=stop, progress=progress)
    assert server.client_closed.wait(10)
    assert 0 < part.stat().st_size <= 300_000
    assert part.read_bytes() == BODY[: part.stat().st_size]


def test_an_environment_proxy_sends_the_request_through_httpx(
    serve: Callable[..., ScriptedServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(lambda _: answer())
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with httpx.Client(timeout=30.0, follow_redirects=True) as proxied:
        assert not direct_possible(proxied, "http://pool.invalid/f.mp3")
        result = fetch(proxied, "http://pool.invalid/f.mp3", tmp_path / "f.part")
    assert result.sha256 == sha(BODY)
    assert proxy.requests[0].startswith("GET http://pool.invalid/f.mp3 HTTP/1.1")


def test_the_proxy_path_reads_in_the_transports_chunks_and_patches_no_library_class(
    serve: Callable[..., ScriptedServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    read_size = httpcore._sync.http11.HTTP11Connection.READ_NUM_BYTES
    store = Store(tmp_path / "crateq.sqlite3")
    asyncio.run(DownloadEngine(store, {}).shutdown())  # an engine made and stopped, as the app
    store.close()
    proxy = serve(lambda _: answer())
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    url = "http://pool.invalid/f.mp3"
    with httpx.Client(timeout=30.0) as proxied, open_download(proxied, url, {}, pool="p") as got:
        sizes = [len(chunk) for chunk in got.chunks()]
    assert sum(sizes) == len(BODY) and set(sizes[:-1]) == {PROXY_READ}
    assert read_size == httpcore._sync.http11.HTTP11Connection.READ_NUM_BYTES


def test_two_transfers_at_once_hash_in_order_when_the_hashing_mode_changes(
    serve: Callable[..., ScriptedServer], client: httpx.Client, tmp_path: Path
) -> None:
    """Alone, a transfer hashes on a helper thread; once a second one runs, it hashes inline
    after the helper's queue drained. Both digests must still be the bytes' own."""
    release_a, release_b, b_started = threading.Event(), threading.Event(), threading.Event()

    def held(release: threading.Event) -> Callable[[str], Iterator[bytes]]:
        def script(_: str) -> Iterator[bytes]:
            yield from [*whole(), BODY[:600_000]]
            release.wait(30)
            yield BODY[600_000:]

        return script

    first, second = serve(held(release_a)), serve(held(release_b))
    outcome: dict[str, TransferResult] = {}

    def run_b() -> None:
        outcome["b"] = fetch(
            client, second.url + "/b", tmp_path / "b.part",
            progress=lambda done: b_started.set() if done else None,
        )  # fmt: skip

    other = threading.Thread(target=run_b)

    def progress_a(done: int) -> None:
        if done and not other.is_alive() and "b" not in outcome and not b_started.is_set():
            other.start()
            assert b_started.wait(30)
            release_a.set()

    outcome["a"] = fetch(client, first.url + "/a", tmp_path / "a.part", progress=progress_a)
    release_b.set()
    other.join(30)
    assert outcome["a"].sha256 == outcome["b"].sha256 == sha(BODY)
    assert (tmp_path / "a.part").read_bytes() == (tmp_path / "b.part").read_bytes() == BODY


def test_a_server_that_stalls_mid_body_hits_the_read_timeout(
    serve: Callable[..., ScriptedServer], tmp_path: Path
) -> None:
    server = serve(lambda _: [*whole(), BODY[:100_000]], hold=True)
    part = tmp_path / "w.part"
    impatient = httpx.Client(timeout=httpx.Timeout(0.5, connect=5.0))
    with impatient, pytest.raises(PoolUnavailable, match="ReadTimeout"):
        fetch(impatient, server.url + "/w", part)
    assert part.read_bytes() == BODY[:100_000]
    assert server.client_closed.wait(10)


@pytest.fixture
def tls_server_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A throw-away certificate for 127.0.0.1, trusted explicitly through ``CRATEQ_CA_FILE``
    (added to the system store); the server offers h2 and HTTP/1.1 by ALPN."""
    cert_path, key_path = self_signed(tmp_path)
    monkeypatch.setenv(CA_FILE_ENV, str(cert_path))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context


def test_https_downloads_verify_the_certificate_and_speak_http_1_1(
    serve: Callable[..., ScriptedServer],
    client: httpx.Client,
    tls_server_context: ssl.SSLContext,
    tmp_path: Path,
) -> None:
    secure = serve(lambda _: answer(), tls=tls_server_context)
    part = tmp_path / "tls.part"
    result = fetch(client, secure.url + "/tls.mp3", part)
    assert part.read_bytes() == BODY and result.sha256 == sha(BODY)
    assert secure.alpn == ["http/1.1"]  # never h2: h11 reads the answer

    expired = b'{"message": "Download token expired."}'
    refusing = serve(lambda _: [head("403 Forbidden", f"Content-Length: {len(expired)}"),
                                expired], tls=tls_server_context)  # fmt: skip
    with pytest.raises(DownloadTokenExpired):
        fetch(client, refusing.url + "/x", tmp_path / "x.part")


def test_an_untrusted_certificate_is_refused(
    serve: Callable[..., ScriptedServer],
    client: httpx.Client,
    tls_server_context: ssl.SSLContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CA_FILE_ENV)  # back to the system store alone
    secure = serve(lambda _: answer(), tls=tls_server_context)
    with pytest.raises(PoolUnavailable, match="certificate is not trusted"):
        fetch(client, secure.url + "/tls.mp3", tmp_path / "u.part")
    secure.close()  # the handshake's outcome is recorded before the next accept
    assert secure.refused and not secure.requests


# -- the pool's answers through open_download (what PoolClient's own download path did) --


def read_all(response: BodyResponse) -> bytes:
    return b"".join(bytes(chunk) for chunk in response.chunks())


async def test_a_resumed_download_sends_range_and_the_pools_credentials(
    serve: Callable[..., ScriptedServer], client: httpx.Client
) -> None:
    server = serve(lambda _: [head("206 Partial Content", "Content-Length: 5",
                                   "Content-Range: bytes 6-10/11"), b"world"])  # fmt: skip
    pool = PoolClient("p", server.url, "k", token="t")
    headers = {**pool.auth_headers(), "Range": "bytes=6-"}
    with open_download(client, pool.download_url(12, "dl"), headers, pool="p") as response:
        assert (response.status_code, read_all(response)) == (206, b"world")
    await pool.aclose()
    request_line, *lines = server.requests[0].split("\r\n")
    target = urlsplit(request_line.split()[1])
    assert target.path == "/api/Content/Download/12"
    assert parse_qs(target.query) == {"key": ["k"], "token": ["dl"]}
    sent = dict(line.lower().split(": ", 1) for line in lines if ": " in line)
    assert sent["range"] == "bytes=6-"
    assert sent["authorization"] == "bearer t"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Download token expired.", DownloadTokenExpired),
        ("Your subscription is expired. Renew at https://x", PoolForbidden),
        ("Invalid API key.", PoolKeyError),
    ],
)
def test_download_403s_are_told_apart(
    serve: Callable[..., ScriptedServer],
    client: httpx.Client,
    message: str,
    expected: type[PoolError],
) -> None:
    body = json.dumps({"status": 403, "message": message}).encode()
    server = serve(lambda _: [head("403 Forbidden", f"Content-Length: {len(body)}"), body])
    with pytest.raises(expected) as err, open_download(client, server.url + "/d", {}, pool="p"):
        pytest.fail("an error must be raised before the body is yielded")
    assert type(err.value) is expected and err.value.pool == "p"


async def test_a_401_on_a_download_is_an_auth_error_and_after_a_login_the_file_streams(
    serve: Callable[..., ScriptedServer], client: httpx.Client
) -> None:
    # Logging in again is the engine's decision (download_runner); the wire tells it why.
    def script(request: str) -> Packets:
        close = "Connection: close"  # each connection ends with its answer
        if request.startswith("POST /api/Auth/Login"):
            login = b'[{"token": "t2", "status": "active"}]'
            return [head("200 OK", "Content-Type: application/json",
                         f"Content-Length: {len(login)}", close), login]  # fmt: skip
        if "authorization: bearer t2" in request.lower():
            return [head("200 OK", "Content-Length: 4", close), b"file"]
        denied = b'{"status": 401, "message": "Denied"}'
        return [head("401 Unauthorized", f"Content-Length: {len(denied)}", close), denied]

    async def password() -> str:
        return "pw"

    server = serve(script, hold=True)  # a login's body is read before its connection closes
    pool = PoolClient("p", server.url, "k", token="old", password_provider=password)
    url = pool.download_url(1, "dl")
    with pytest.raises(PoolAuthError), open_download(client, url, pool.auth_headers(), pool="p"):
        pytest.fail("an error must be raised before the body is yielded")
    await pool.login()
    with open_download(client, url, pool.auth_headers(), pool="p") as response:
        assert read_all(response) == b"file"
    await pool.aclose()


def test_a_connection_dropped_mid_body_is_unavailable(
    serve: Callable[..., ScriptedServer], client: httpx.Client
) -> None:
    server = serve(lambda _: [head("200 OK", "Content-Length: 10"), b"abc"])  # then closes
    received = b""
    with (
        pytest.raises(PoolUnavailable, match="broke during the download"),
        open_download(client, server.url + "/d", {}, pool="p") as response,
    ):
        for chunk in response.chunks():
            received += bytes(chunk)
    assert received == b"abc"
