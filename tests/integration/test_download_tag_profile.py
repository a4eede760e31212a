"""A download is tagged for the engine's tag profile (settings' tags.profile)."""

from __future__ import annotations

from pathlib import Path

from mutagen.id3 import ID3
from tests.integration.test_download_engine import DemoSource, audio_sha, make_engine
from tests.integration.test_download_engine import store as store  # the module's fixtures
from tests.integration.test_download_engine import urban as urban

from crateq.core.downloads import JobState
from crateq.core.store import Store


async def test_a_traktor_profile_download_is_id3v23_with_the_mix_in_the_subtitle(
    urban: DemoSource, store: Store, tmp_path: Path
) -> None:
    engine, _events = make_engine(store, urban)
    engine.tag_profile = "traktor"
    rows = [r for r in urban.rows(40, sort="mediaId", dir="asc", audio="true") if r.tool][:1]
    assert rows, "the demo pool has audio rows with a mix"
    await engine.add(rows[0], dest=tmp_path)
    (job,) = await engine.wait()
    assert job.state == JobState.DONE, job.reason
    path = Path(job.path)
    tags = ID3(path)
    assert tags.version[:2] == (2, 3)
    assert str(tags.getall("TIT3")[0]) == rows[0].tool
    assert not tags.getall("TIT1")
    assert str(tags.getall("COMM::eng")[0]).startswith(f"{rows[0].tool} · CrateQ: pool")
    assert audio_sha(path) == urban.server_sha(rows[0])  # the server's bytes, untouched
    await engine.shutdown()
