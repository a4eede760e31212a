"""Demo pool downloads and previews: tokens, Range, ETag, real media, hostile names, faults."""

from __future__ import annotations

import hashlib
import io
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

from crateq.demo.catalog import DEMO_POOLS
from crateq.demo.cluster import DemoCluster
from crateq.demo.store import MediaSettings
from crateq.demo.words import HOSTILE_FILENAMES

DemoLogin = Callable[..., httpx.Client]


def _first_row(client: httpx.Client, **params: Any) -> dict[str, Any]:
    answer = client.get("api/Content/Media", params={"size": 1, **params})
    assert answer.status_code == 200, answer.text
    row: dict[str, Any] = answer.json()["data"][0]
    return row


def _download(client: httpx.Client, row: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return client.get(
        f"api/Content/Download/{row['mediaId']}", params={"token": row["auth"]}, **kwargs
    )


def _filename(disposition: str) -> str:
    """The name a client would take: RFC 5987 ``filename*`` first, else ``filename``."""
    if "filename*=UTF-8''" in disposition:
        return urllib.parse.unquote(disposition.split("filename*=UTF-8''", 1)[1])
    quoted = disposition.split('filename="', 1)[1].rsplit('"', 1)[0]
    return quoted.replace('\\"', '"').replace("\\\\", "\\")


def test_download_streams_a_decodable_mp3_whose_etag_is_its_sha256(demo_login: DemoLogin) -> None:
    client = demo_login()
    row = _first_row(client, bpm="90-100")
    answer = _download(client, row)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "audio/mpeg"
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert answer.headers["etag"] == f'"{hashlib.sha256(answer.content).hexdigest()}"'
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    info = MP3(io.BytesIO(answer.content)).info
    assert info.bitrate == 128_000 and info.sample_rate == 44_100 and info.channels == 1
    minutes, seconds = row["length"].split(":")
    assert abs(info.length - (int(minutes) * 60 + int(seconds))) <= 1
    assert row["size"] == f"{len(answer.content) / 1e6:.2f} MB"


def test_video_rows_download_as_mp4_that_mutagen_reads(demo_login: DemoLogin) -> None:
    client = demo_login("vj-vault")
    row = _first_row(client)
    answer = _download(client, row)
    assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp4"
    assert row["size"] == f"{len(answer.content) / 1e6:.2f} MB"
    assert answer.content[4:8] == b"ftyp"
    preview = httpx.get(row["preview"])
    assert preview.headers["content-type"] == "audio/mpeg"
    info = MP4(io.BytesIO(answer.content)).info
    minutes, seconds = row["length"].split(":")
    assert abs(info.length - (int(minutes) * 60 + int(seconds))) <= 1
    assert info.sample_rate == 44_100


def test_the_same_file_has_the_same_etag_every_time(demo_login: DemoLogin) -> None:
    client = demo_login()
    row = _first_row(client)
    first = _download(client, row).headers["etag"]
    again = _download(client, _first_row(client)).headers["etag"]
    assert first == again


def test_range_gives_206_with_content_range(demo_login: DemoLogin) -> None:
    client = demo_login("club-edits")
    row = _first_row(client)
    whole = _download(client, row).content
    part = _download(client, row, headers={"Range": "bytes=1000-"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1000-{len(whole) - 1}/{len(whole)}"
    assert part.content == whole[1000:]
    past_end = _download(client, row, headers={"Range": f"bytes={len(whole)}-"})
    assert past_end.status_code == 416


def test_ignore_range_answers_200_from_byte_zero(
    demo_cluster: DemoCluster, demo_login: DemoLogin
) -> None:
    demo_cluster.pools["club-edits"].faults.ignore_range = True
    client = demo_login("club-edits")
    answer = _download(client, _first_row(client), headers={"Range": "bytes=1000-"})
    assert answer.status_code == 200
    assert "content-range" not in answer.headers
    assert answer.headers["accept-ranges"] == "none"
    assert answer.content[:3] in (b"\xff\xfb\x90", b"\xff\xfb\x92")  # an MP3 frame header


def test_head_answers_the_headers_of_a_download(demo_login: DemoLogin) -> None:
    client = demo_login()
    row = _first_row(client)
    url = f"api/Content/Download/{row['mediaId']}"
    head = client.head(url, params={"token": row["auth"]})
    assert head.status_code == 200 and head.content == b""
    whole = _download(client, row)
    assert head.headers["content-length"] == whole.headers["content-length"]
    assert head.headers["etag"] == whole.headers["etag"]


def test_a_changed_if_range_gets_the_whole_file(demo_login: DemoLogin) -> None:
    client = demo_login()
    row = _first_row(client)
    answer = _download(client, row, headers={"Range": "bytes=10-", "If-Range": '"stale"'})
    assert answer.status_code == 200


def test_expired_download_token_is_403(demo_cluster: DemoCluster, demo_login: DemoLogin) -> None:
    client = demo_login()
    row = _first_row(client)
    demo_cluster.pools["urban-beats"].faults.download_token_ttl_seconds = -1
    answer = _download(client, row)
    assert answer.status_code == 403
    assert answer.json() == {"status": 403, "message": "Download token expired."}


def test_another_users_token_is_403(demo_login: DemoLogin) -> None:
    row = _first_row(demo_login())
    other = demo_login(username="dj2", password="dj2")
    assert _download(other, row).json()["message"] == "Download token expired."
    assert _download(other, _first_row(other)).status_code == 200


@pytest.mark.parametrize("username", ["expired", "suspended", "denied"])
def test_expired_and_suspended_accounts_search_but_cannot_download(
    demo_login: DemoLogin, username: str
) -> None:
    client = demo_login(username=username, password=username)
    row = _first_row(client)
    assert _download(client, row).status_code == 403


def test_crateq_override_lets_an_expired_account_download(demo_login: DemoLogin) -> None:
    client = demo_login(username="vip", password="vip")
    assert _download(client, _first_row(client)).status_code == 200


def test_download_marks_the_row_downloaded(demo_login: DemoLogin) -> None:
    client = demo_login(username="dj2", password="dj2")
    row = _first_row(client, sort="mediaId", dir="asc")
    _download(client, row)
    assert _first_row(client, sort="mediaId", dir="asc")["downloaded"] is True


def test_hostile_filenames_are_served_as_they_are(demo_login: DemoLogin) -> None:
    client = demo_login()
    body = client.get("api/Content/Media", params={"size": 500, "sort": "mediaId"}).json()
    seen = set()
    for row in body["data"]:
        if row["mediaId"] % 97 == 13:
            answer = _download(client, row)
            assert answer.status_code == 200
            seen.add(_filename(answer.headers["content-disposition"]))
    assert seen and seen <= set(HOSTILE_FILENAMES)
    assert any("/" in name or ".." in name or name.startswith(("CON", "NUL")) for name in seen)


def test_preview_needs_no_bearer_and_is_at_most_the_whole_file(demo_login: DemoLogin) -> None:
    client = demo_login()
    row = _first_row(client)
    preview = httpx.get(row["preview"])
    assert preview.status_code == 200 and preview.headers["content-type"] == "audio/mpeg"
    assert MP3(io.BytesIO(preview.content)).info.length <= 40
    ranged = httpx.get(row["preview"], headers={"Range": "bytes=100-"})
    assert ranged.status_code == 206 and ranged.content == preview.content[100:]
    forged = httpx.get(row["preview"].replace("t=", "t=0"))
    assert forged.status_code == 403


# -- transport faults -----------------------------------------------------------------------


def test_dropped_connection_is_an_error_not_a_short_body(
    demo_cluster: DemoCluster, demo_login: DemoLogin
) -> None:
    demo_cluster.pools["urban-beats"].faults.drop_connection_after_bytes = 5000
    client = demo_login()
    row = _first_row(client)
    received = bytearray()
    url = f"api/Content/Download/{row['mediaId']}"
    with (
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("GET", url, params={"token": row["auth"]}) as answer,
    ):
        for chunk in answer.iter_raw():
            received += chunk
    assert len(received) == 5000


def test_random_drops_are_reproducible_from_the_seed(
    demo_cluster: DemoCluster, demo_login: DemoLogin
) -> None:
    faults = demo_cluster.pools["urban-beats"].faults
    client = demo_login()
    row = _first_row(client)

    def received_before_drop() -> int:
        got = 0
        url = f"api/Content/Download/{row['mediaId']}"
        with (
            pytest.raises(httpx.RemoteProtocolError),
            client.stream("GET", url, params={"token": row["auth"]}) as answer,
        ):
            for chunk in answer.iter_raw():
                got += len(chunk)
        return got

    faults.drop_connection_random_seed = 7
    first = [received_before_drop(), received_before_drop()]
    faults.reset()
    faults.drop_connection_random_seed = 7
    assert [received_before_drop(), received_before_drop()] == first


def test_chunked_switch_omits_content_length(
    demo_cluster: DemoCluster, demo_login: DemoLogin
) -> None:
    demo_cluster.pools["urban-beats"].faults.chunked = True
    client = demo_login()
    answer = _download(client, _first_row(client))
    assert answer.status_code == 200
    assert "content-length" not in answer.headers
    assert answer.headers["transfer-encoding"] == "chunked"
    assert answer.headers["etag"] == f'"{hashlib.sha256(answer.content).hexdigest()}"'


def test_slow_switch_still_delivers_every_byte(
    demo_cluster: DemoCluster, demo_login: DemoLogin
) -> None:
    demo_cluster.pools["urban-beats"].faults.slow_bytes_per_second = 50_000_000
    client = demo_login()
    row = _first_row(client)
    answer = _download(client, row, headers={"Range": "bytes=100-"})
    assert answer.status_code == 206
    assert len(answer.content) == int(answer.headers["content-length"])


def test_cluster_exposes_the_file_a_download_serves(
    demo_cluster: DemoCluster, demo_login: DemoLogin
) -> None:
    client = demo_login("club-edits")
    row = _first_row(client, sort="mediaId")
    media = demo_cluster.media_file("club-edits", row["mediaId"])
    answer = _download(client, row)
    assert answer.headers["etag"] == f'"{media.sha256}"'
    assert answer.content == media.path.read_bytes()


def test_size_knob_lists_and_serves_big_files(tmp_path: Path) -> None:
    media = MediaSettings(size_bytes=3_000_000)
    with DemoCluster(
        catalog_size=10, media=media, media_dir=tmp_path, specs=DEMO_POOLS[:1]
    ) as cluster:
        pool = cluster.pools["urban-beats"]
        with httpx.Client(base_url=pool.url, params={"key": pool.api_key}) as client:
            login = client.post("api/Auth/Login", json={"username": "demo", "password": "demo"})
            client.headers["Authorization"] = f"Bearer {login.json()[0]['token']}"
            row = _first_row(client)
            with client.stream("GET", f"api/Content/Download/{row['mediaId']}",
                               params={"token": row["auth"]}) as answer:  # fmt: skip
                size = sum(len(chunk) for chunk in answer.iter_raw())
    assert size == int(answer.headers["content-length"]) >= 3_000_000
    assert row["size"] == f"{size / 1e6:.2f} MB"
