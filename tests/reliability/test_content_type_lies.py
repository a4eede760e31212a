"""Downloads that are not the file: an HTML page or JSON under a 200, with a truthful
Content-Type or one that claims audio, served by a real HTTP server to the real PoolClient
and download engine. Each is rejected with one clear reason, and nothing is left on disk:
no final file, no ``.part``, no library entry. A real MP3 through the same harness lands.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import strategies as st

import reliability_log
from audio_synth import track, write_mp3
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery
from crateq.core.downloads import DownloadEngine, JobState, RetryPolicy
from crateq.core.store import Store
from hostile_bodies import encode
from hostile_runs import AREA, MARKUP, run_examples, summary
from hostile_server import SEARCH_PATH, TOKEN, HostileServer, Reply, json_reply

DOWNLOAD_PATH = "/api/Content/Download/"
ROW = {"mediaId": 4242, "artist": "Lie", "title": "Served As Audio", "audio": True,
       "auth": "dl-token", "groupId": 0}  # fmt: skip
FAST = RetryPolicy(base=0.001, cap=0.002, max_failures=2)
HTML = b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>Back soon</body></html>"


@pytest.fixture(scope="module")
def mp3(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("media") / "real.mp3"
    return write_mp3(path, track(2.0, 124)).read_bytes()


@pytest.fixture(scope="module")
def pool() -> Iterator[HostileServer]:
    with HostileServer() as server:
        server.serve(SEARCH_PATH, json_reply({"records": 1, "pages": 1, "data": [ROW]}))
        yield server


async def _no_wait(_: float) -> None:
    return None


def download(pool: HostileServer, reply: Reply, dest: Path) -> tuple[JobState, str, Store]:
    """One job of ROW through the real engine against ``reply``; its end state and reason."""
    pool.serve(DOWNLOAD_PATH, reply)

    async def go() -> tuple[JobState, str]:
        async with PoolClient("hostile", pool.url, "k", token=TOKEN, sleep=_no_wait) as client:
            row = (await client.search(MediaQuery())).data[0]
            engine = DownloadEngine(store, {"hostile": client}, retry=FAST, sleep=_no_wait)
            try:
                job = await engine.add(row, dest=dest)
                await engine.wait()
                done = engine.job(job.id)
                return done.state, done.reason
            finally:
                await engine.shutdown()

    store = Store()
    state, reason = asyncio.run(go())
    return state, reason, store


def assert_rejected(state: JobState, reason: str, store: Store, dest: Path) -> None:
    assert state is JobState.FAILED, (state, reason)
    assert reason and "\n" not in reason and not MARKUP.search(reason), reason
    assert len(reason) <= 400, reason
    assert [p for p in dest.rglob("*") if p.is_file()] == []  # no file, no .part
    assert store.library() == []


LIES = {
    "HTML, said to be HTML": (
        Reply(body=HTML, content_type="text/html; charset=utf-8"),
        "sent a web page instead of the file: Maintenance",
    ),
    "HTML, said to be audio": (
        Reply(body=HTML, content_type="audio/mpeg"),
        "sent a web page instead of the file: Maintenance",
    ),
    "HTML, said to be bytes": (
        Reply(body=b"\n  <html><body>Gone</body></html>", content_type="application/octet-stream"),
        "sent a web page instead of the file.",
    ),
    "JSON, said to be JSON": (
        json_reply({"status": 200, "message": "Try the mirror."}),
        "sent data (JSON) instead of the file: Try the mirror.",
    ),
    "JSON, said to be audio": (
        Reply(body=encode({"error": "nope"}), content_type="audio/mpeg"),
        "sent data (JSON) instead of the file.",
    ),
    "XML, said to be audio": (
        Reply(body=b'<?xml version="1.0"?><Error/>', content_type="audio/mp4"),
        "sent an XML document instead of the file.",
    ),
    "text, no type": (
        Reply(body=b"File not found on this mirror.", content_type=None),
        "sent text instead of the file: File not found on this mirror.",
    ),
}


@pytest.mark.usefixtures("crateq_home")
@pytest.mark.parametrize("lie", list(LIES))
def test_a_body_that_is_not_audio_is_rejected_and_leaves_nothing(
    pool: HostileServer, tmp_path: Path, lie: str
) -> None:
    reply, words = LIES[lie]
    before = len(pool.requests)
    state, reason, store = download(pool, reply, tmp_path / "music")
    assert_rejected(state, reason, store, tmp_path / "music")
    assert reason == f"Pool hostile {words}", reason
    downloads = [p for p in pool.requests[before:] if p.startswith(DOWNLOAD_PATH)]
    assert len(downloads) == 1  # rejected at once: the same page again would not help
    reliability_log.record(AREA, f"download Content-Type lie: {lie} under a 200",
                           "rejected in one clear sentence, no file and no .part left")  # fmt: skip


@pytest.mark.usefixtures("crateq_home")
def test_a_pool_error_wrapped_in_a_200_keeps_its_meaning(
    pool: HostileServer, tmp_path: Path
) -> None:
    """A JSON error envelope under a 200 is the pool's error: an expired link fetches a fresh
    row (and, expiring every time, ends as that error), not "a broken file"."""
    reply = json_reply({"status": 403, "message": "Download token expired."})
    state, reason, store = download(pool, reply, tmp_path / "music")
    assert_rejected(state, reason, store, tmp_path / "music")
    assert "expired" in reason, reason
    searches = [p for p in pool.requests if p == SEARCH_PATH]
    assert len(searches) > 2  # fresh rows were fetched for new download links
    reliability_log.record(
        AREA,
        "download: the pool's 403 envelope served under a 200",
        "handled as an expired link (fresh rows), then one clear reason",
    )


@pytest.mark.usefixtures("crateq_home")
def test_the_harness_lands_a_real_mp3(pool: HostileServer, tmp_path: Path, mp3: bytes) -> None:
    etag = hashlib.sha256(mp3).hexdigest()
    reply = Reply(body=mp3, content_type="audio/mpeg", headers=(("ETag", f'"{etag}"'),))
    state, reason, store = download(pool, reply, tmp_path / "music")
    assert state is JobState.DONE, reason
    files = [p for p in (tmp_path / "music").rglob("*") if p.is_file()]
    assert [p.suffix for p in files] == [".mp3"] and len(store.library()) == 1


TYPES = ["audio/mpeg", "audio/mp4", "audio/flac", "audio/wav", "video/mp4",
         "application/octet-stream", "binary/octet-stream", None]  # fmt: skip
not_audio = st.one_of(
    st.sampled_from([HTML, b"<html>", b"  \n<!doctype html>", b"<?xml ?>", b"\xef\xbb\xbf<html>"]),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3).map(
        encode
    ),
    st.binary(min_size=1, max_size=2048).filter(lambda b: not b.startswith((b"ID3", b"\xff"))),
)


@pytest.mark.usefixtures("crateq_home")
@pytest.mark.parametrize("long", [False, pytest.param(True, marks=pytest.mark.long)])
def test_any_non_audio_body_claiming_a_media_type_never_lands(
    pool: HostileServer, tmp_path: Path, long: bool
) -> None:
    counter = iter(range(10**6))
    strategy = st.builds(Reply, body=not_audio, content_type=st.sampled_from(TYPES))

    def check(reply: Reply) -> str:
        dest = tmp_path / f"run-{next(counter)}"
        state, reason, store = download(pool, reply, dest)
        assert_rejected(state, reason, store, dest)
        return "rejected, nothing left"

    outcomes = run_examples(strategy, check, long=long)
    reliability_log.record(
        AREA,
        "download: hypothesis bodies (HTML, JSON, bytes) claiming a media type",
        summary(outcomes),
        tries=sum(outcomes.values()),
    )
