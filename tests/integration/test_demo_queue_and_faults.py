"""Demo pool queue (toggle semantics), catalog edits from the pool side, and request faults."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from crateq.demo.cluster import DemoCluster

DemoLogin = Callable[..., httpx.Client]


def _search(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("api/Content/Media", params=params)
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()["data"]
    return rows


def _toggle(client: httpx.Client, media_id: int) -> httpx.Response:
    body = {"queueId": 0, "mediaId": media_id, "originatorId": "", "userId": "", "source": ""}
    return client.post("api/Content/UpdateQueue", json=body)


def test_update_queue_toggles_and_the_queue_lists_it(demo_login: DemoLogin) -> None:
    client = demo_login("club-edits", "dj2", "dj2")
    row = _search(client, size=1, sort="mediaId", dir="asc", page=3)[0]
    added = _toggle(client, row["mediaId"])
    assert added.status_code == 200
    ((result),) = added.json()
    assert result["message"] == "Media added to queue." and result["id"] > 0
    queue = client.get("api/Content/Queue").json()
    assert queue["sort"] == "queueDate" and queue["dir"] == "desc"
    queued = next(r for r in queue["data"] if r["mediaId"] == row["mediaId"])
    assert queued["queueId"] == result["id"] and queued["queueDate"]
    assert queued["auth"]  # a queued track's fresh download token
    listed = _search(client, groupId=row["groupId"])
    assert next(r for r in listed if r["mediaId"] == row["mediaId"])["queueId"] == result["id"]
    removed = _toggle(client, row["mediaId"]).json()
    assert removed[0]["message"] == "Media removed from queue."
    remaining = client.get("api/Content/Queue").json()["data"]
    assert row["mediaId"] not in {r["mediaId"] for r in remaining}


def test_queue_is_per_user(demo_login: DemoLogin) -> None:
    mine = demo_login("vj-vault")
    theirs = demo_login("vj-vault", "dj2", "dj2")
    row = _search(mine, size=1, sort="mediaId", dir="asc", page=7)[0]
    _toggle(mine, row["mediaId"])
    try:
        assert row["mediaId"] not in {
            r["mediaId"] for r in theirs.get("api/Content/Queue").json()["data"]
        }
    finally:
        _toggle(mine, row["mediaId"])


def test_queueing_unknown_media_is_404(demo_login: DemoLogin) -> None:
    answer = _toggle(demo_login(), 999_999_999)
    assert answer.status_code == 404
    assert answer.json()["status"] == 404


# -- pool side: UpdateMediaFunction ------------------------------------------------------------


def test_update_media_function_adds_updates_and_deletes_at_once(demo_login: DemoLogin) -> None:
    client = demo_login("club-edits")
    entry = {
        "originatorId": "test-edit-1", "artist": "Zebra Quokka", "title": "Axolotl Sunrise",
        "genreIds": [6], "genreCategoryId": 3, "playlistDate": "2026-01-02", "bpm": 124,
        "length": "03:30", "mix": "Extended", "editor": "", "advisory": "Clean",
        "releaseYear": 2026, "mediaFile": "", "mediaType": "audio", "groupId": 0,
        "qualityId": 0, "dateUpdated": "2026-01-02T10:00",
    }  # fmt: skip
    added = client.post("api/UpdateMediaFunction/test-edit-1", json=entry)
    assert added.status_code == 200, added.text
    media_id = added.json()["mediaId"]
    (row,) = _search(client, keywords="axolotl")
    assert (row["mediaId"], row["artist"], row["bpm"], row["genre"], row["tool"]) == (
        media_id, "Zebra Quokka", 124, "House", "Extended",
    )  # fmt: skip
    assert _search(client, artist="quokka", days=100000)
    first_download = client.get(f"api/Content/Download/{media_id}", params={"token": row["auth"]})
    assert first_download.status_code == 200

    updated = client.post(
        "api/UpdateMediaFunction/test-edit-1", json={"bpm": 128, "title": "Axolotl Dusk"}
    )
    assert updated.json()["mediaId"] == media_id
    assert _search(client, keywords="sunrise") == []
    (row,) = _search(client, keywords="axolotl")
    assert (row["bpm"], row["title"], row["artist"]) == (128, "Axolotl Dusk", "Zebra Quokka")
    second_download = client.get(f"api/Content/Download/{media_id}", params={"token": row["auth"]})
    assert second_download.headers["etag"] != first_download.headers["etag"]

    deleted = client.post("api/UpdateMediaFunction/test-edit-1", json={"mediaType": "deleted"})
    assert deleted.status_code == 200
    assert _search(client, keywords="axolotl") == []
    gone = client.get(f"api/Content/Download/{media_id}", params={"token": row["auth"]})
    assert gone.status_code == 404
    again = client.post("api/UpdateMediaFunction/test-edit-1", json={"mediaType": "deleted"})
    assert again.status_code == 404


def test_update_media_function_needs_artist_and_title_for_new_entries(
    demo_login: DemoLogin,
) -> None:
    answer = demo_login().post("api/UpdateMediaFunction/test-edit-2", json={"bpm": 100})
    assert answer.status_code == 400


# -- request faults ------------------------------------------------------------------------------


def test_flooding_gets_429_with_retry_after(
    demo_cluster: DemoCluster, demo_login: DemoLogin
) -> None:
    client = demo_login("vj-vault")
    demo_cluster.pools["vj-vault"].faults.rate_limit = 3
    answers = [client.get("api/Content/VideoMixes") for _ in range(8)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited and answers[0].status_code == 200
    assert int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].json()["status"] == 429
    demo_cluster.pools["vj-vault"].faults.rate_limit = None
    assert client.get("api/Content/VideoMixes").status_code == 200


def test_search_timeout_switch_answers_200_with_an_empty_array(
    demo_cluster: DemoCluster, demo_login: DemoLogin
) -> None:
    demo_cluster.pools["urban-beats"].faults.search_timeout_after_seconds = 0.05
    answer = demo_login().get("api/Content/Media", params={"keywords": "love"})
    assert answer.status_code == 200
    assert answer.json() == []


def test_fail_with_status_answers_every_request(demo_cluster: DemoCluster) -> None:
    pool = demo_cluster.pools["urban-beats"]
    pool.faults.fail_with_status = 503
    answer = httpx.post(pool.url + "api/Auth/Login", params={"key": pool.api_key},
                        json={"username": "demo", "password": "demo"})  # fmt: skip
    assert answer.status_code == 503
    assert answer.json()["status"] == 503


def test_html_error_page_is_a_non_json_502(demo_cluster: DemoCluster) -> None:
    pool = demo_cluster.pools["club-edits"]
    pool.faults.html_error_page = True
    answer = httpx.get(pool.url + "api/Content/Media", params={"key": pool.api_key})
    assert answer.status_code == 502
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text.startswith("<html>")


def test_latency_delays_every_response_by_at_least_its_low_bound(
    demo_cluster: DemoCluster,
) -> None:
    slow = demo_cluster.pools["urban-beats"]
    slow.faults.latency = (300.0, 320.0)
    try:
        login = {"username": "demo", "password": "demo"}
        for method, path, status in (("POST", "api/Auth/Login", 200),
                                     ("GET", "api/Content/VideoMixes", 401)):  # fmt: skip
            begin = time.perf_counter()  # answered or refused, the wait comes first
            answer = httpx.request(method, slow.url + path, params={"key": slow.api_key},
                                   json=login if method == "POST" else None)  # fmt: skip
            assert time.perf_counter() - begin >= 0.3
            assert answer.status_code == status
    finally:
        demo_cluster.reset_faults()
