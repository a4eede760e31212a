"""The pool client speaks HTTP/2 when a pool offers it (TLS + ALPN), over one connection.

The demo pools run on uvicorn, which speaks HTTP/1.1 only, so this test brings a tiny h2-only
pool on loopback with a throw-away self-signed certificate.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import pytest

from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery
from tls_cert import self_signed


@dataclass
class H2Pool:
    """An HTTP/2-only pool: login and a one-row Media search."""

    connections: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)

    def answer(self, headers: dict[str, str]) -> dict[str, object] | list[object]:
        self.requests.append(headers)
        if headers[":path"].startswith("/api/Auth/Login"):
            return [{"userId": 1, "status": "active", "token": "h2-jwt"}]
        return {"records": 1, "pages": 1, "data": [{"mediaId": 7, "artist": "H2"}]}

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        pending: dict[int, dict[str, str]] = {}
        while data := await reader.read(65536):
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    pending[event.stream_id] = {_text(k): _text(v) for k, v in event.headers or []}
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    body = json.dumps(self.answer(pending.pop(event.stream_id))).encode()
                    conn.send_headers(
                        event.stream_id,
                        [(":status", "200"), ("content-type", "application/json"),
                         ("content-length", str(len(body)))],
                    )  # fmt: skip
                    conn.send_data(event.stream_id, body, end_stream=True)
            writer.write(conn.data_to_send())
            await writer.drain()
        writer.close()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@pytest.fixture
async def h2_pool(tmp_path: Path) -> AsyncIterator[tuple[H2Pool, str, ssl.SSLContext]]:
    cert, key = self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    server_ctx.set_alpn_protocols(["h2"])
    pool = H2Pool()
    server = await asyncio.start_server(pool.serve, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    client_ctx = ssl.create_default_context(cafile=str(cert))
    yield pool, f"https://127.0.0.1:{port}/", client_ctx
    server.close()
    await server.wait_closed()


async def test_http2_is_used_when_offered_over_one_connection(
    h2_pool: tuple[H2Pool, str, ssl.SSLContext],
) -> None:
    pool, url, trust = h2_pool

    async def password() -> str:
        return "pw"

    async with PoolClient(
        "h2", url, "k2", username="u", password_provider=password, verify=trust
    ) as client:
        page = await client.search(MediaQuery(keywords="x"))
        again = await client.search(MediaQuery(keywords="y"))
    assert [r.media_id for r in page.data + again.data] == [7, 7]
    assert [r[":path"].split("?")[0] for r in pool.requests] == [
        "/api/Auth/Login",
        "/api/Content/Media",
        "/api/Content/Media",
    ]
    assert pool.requests[1]["authorization"] == "Bearer h2-jwt"
    assert "key=k2" in pool.requests[1][":path"]
    assert pool.connections == 1  # HTTP/2 multiplexes every request over one connection
