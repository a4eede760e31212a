"""Regression: a download fetched again from byte 0 (its first copy failed the SHA-256 ETag)
keeps the room for its tag in front of the part, as the first attempt had it.

The engine used to forget that room when it threw the corrupt part away: the new part began
with the audio, so the MP3 was tagged on a full copy of the file (twice the disk writes and
space for a big file) instead of in place.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from mutagen.id3 import ID3

import reliability_log
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery
from crateq.core.downloads import DownloadEngine, JobState, RetryPolicy
from crateq.core.settings import DownloadSettings
from crateq.core.store import Store
from crateq.core.tag_values import ID3_RESERVE
from crateq.demo.cluster import DemoCluster
from fault_proxy import CLEAN, Fault, FaultProxy

POOL = "urban-beats"


async def _password() -> str:
    return "demo"


async def test_a_file_fetched_again_after_a_flipped_byte_is_tagged_in_place(
    demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    handle = demo_cluster.pools[POOL]
    flip = Fault("flip", at=0.5, mask=0x01)
    with FaultProxy(handle.url, lambda _media, attempt: flip if attempt == 0 else CLEAN) as proxy:
        async with PoolClient(POOL, proxy.url, handle.api_key, username="demo",
                              password_provider=_password) as client:  # fmt: skip
            await client.login()
            query = MediaQuery(media="audio", size=1, sort="mediaId", dir="desc")
            row = (await client.search(query)).data[0]
            row.pool = POOL
            store = Store(tmp_path / "crateq.sqlite")
            settings = DownloadSettings(folder=str(tmp_path / "dl"), read_timeout_seconds=5)
            engine = DownloadEngine(store, {POOL: client}, settings, retry=RetryPolicy(base=0.01))
            job = await engine.add(row)
            await engine.wait()
            done = engine.job(job.id)
            await engine.shutdown()
            store.close()
        served = proxy.attempts(row.media_id)
    assert [s.fault for s in served] == ["flip", "none"]
    assert done.state is JobState.DONE, done.reason
    _check_tagged_in_place(Path(done.path), demo_cluster.media_file(POOL, row.media_id).sha256)
    reliability_log.record(
        "wire", "flipped byte, then a clean answer",
        "fetched again from 0 with the tag's room kept: tagged in place", tries=1,
    )  # fmt: skip


def _check_tagged_in_place(path: Path, server_sha: str) -> None:
    audio = path.read_bytes()[ID3(path).size :]
    assert hashlib.sha256(audio).hexdigest() == server_sha
    assert ID3(path).size == ID3_RESERVE  # the tag filled the room kept for it: no copy
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
