"""The demo pools' login, catalog search, filters, paging and look-up lists (pool-api.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from crateq.demo.auth import DEMO_API_KEY
from crateq.demo.cluster import DemoCluster

DemoLogin = Callable[..., httpx.Client]


def _rows(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("api/Content/Media", params={"size": 500, **params})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert isinstance(body, dict), body
    rows: list[dict[str, Any]] = body["data"]
    return rows


def _error(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["status"] == status
    message: str = body["message"]
    assert message
    return message


# -- login -----------------------------------------------------------------------------------


def test_login_answers_a_one_element_array_with_a_token(demo_cluster: DemoCluster) -> None:
    pool = demo_cluster.pools["urban-beats"]
    answer = httpx.post(
        pool.url + "api/Auth/Login",
        params={"key": pool.api_key},
        json={"username": "demo", "password": "demo"},
    )
    assert answer.status_code == 200
    (result,) = answer.json()
    assert set(result) >= {"userId", "msg", "status", "country", "crateq", "originator", "token"}
    assert result["status"] == "active"
    assert result["token"].count(".") == 2  # a JWT


def test_login_with_wrong_password_is_401(demo_cluster: DemoCluster) -> None:
    pool = demo_cluster.pools["club-edits"]
    answer = httpx.post(
        pool.url + "api/Auth/Login",
        params={"key": pool.api_key},
        json={"username": "demo", "password": "nope"},
    )
    _error(answer, 401)


def test_login_without_password_is_400_with_the_documented_message(
    demo_cluster: DemoCluster,
) -> None:
    pool = demo_cluster.pools["club-edits"]
    answer = httpx.post(
        pool.url + "api/Auth/Login", params={"key": pool.api_key}, json={"username": "demo"}
    )
    assert _error(answer, 400) == "Username and Password are required."


def test_login_with_a_wrong_api_key_is_403(demo_cluster: DemoCluster) -> None:
    pool = demo_cluster.pools["vj-vault"]
    answer = httpx.post(
        pool.url + "api/Auth/Login",
        params={"key": "wrong"},
        json={"username": "demo", "password": "demo"},
    )
    _error(answer, 403)


def test_expired_account_logs_in_with_the_renewal_message(demo_login: DemoLogin) -> None:
    client = demo_login()
    answer = client.post("api/Auth/Login", json={"username": "expired", "password": "expired"})
    (result,) = answer.json()
    assert result["status"] == "expired"
    assert result["msg"].startswith("Your subscription is expired. Renew at ")


def test_search_needs_a_bearer_token_and_the_key(demo_cluster: DemoCluster) -> None:
    pool = demo_cluster.pools["urban-beats"]
    no_bearer = httpx.get(pool.url + "api/Content/Media", params={"key": DEMO_API_KEY})
    _error(no_bearer, 401)
    bad_bearer = httpx.get(
        pool.url + "api/Content/Media",
        params={"key": DEMO_API_KEY},
        headers={"Authorization": "Bearer not-a-jwt"},
    )
    _error(bad_bearer, 401)
    no_key = httpx.get(pool.url + "api/Content/Media")
    _error(no_key, 403)


def test_expired_jwt_is_401(demo_cluster: DemoCluster, demo_login: DemoLogin) -> None:
    demo_cluster.pools["urban-beats"].faults.jwt_ttl_seconds = -1
    client = demo_login()
    _error(client.get("api/Content/Media"), 401)


# -- rows and paging ---------------------------------------------------------------------------

ROW_FIELDS = {
    "mediaId", "artist", "title", "genre", "bpm", "advisory", "editor", "length", "size",
    "tool", "releaseYear", "quality", "date", "preview", "downloaded", "video", "audio",
    "source", "auth", "img", "queueId", "groupId",
}  # fmt: skip


def test_default_page_is_100_rows_newest_first(demo_login: DemoLogin) -> None:
    body = demo_login().get("api/Content/Media").json()
    assert body["records"] == 600
    assert body["message"] == "0-100"
    assert (body["pages"], body["page"], body["sort"], body["dir"]) == (6, 1, "date", "desc")
    rows = body["data"]
    assert len(rows) == 100
    assert set(rows[0]) == ROW_FIELDS
    dates = [row["date"] for row in rows]
    assert dates == sorted(dates, reverse=True)
    assert rows[0]["preview"].startswith("http://127.0.0.1:")
    assert rows[0]["length"][2] == ":" and rows[0]["size"].endswith(" MB")


def test_pages_do_not_overlap_and_size_is_capped_at_500(demo_login: DemoLogin) -> None:
    client = demo_login()
    first = client.get("api/Content/Media", params={"size": 50, "page": 1}).json()
    second = client.get("api/Content/Media", params={"size": 50, "page": 2}).json()
    assert second["message"] == "50-100"
    ids = [r["mediaId"] for r in first["data"]] + [r["mediaId"] for r in second["data"]]
    assert len(set(ids)) == 100
    assert len(client.get("api/Content/Media", params={"size": 9999}).json()["data"]) == 500


@pytest.mark.parametrize("field", ["bpm", "artist", "releaseYear", "mediaId", "size", "length"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sort_by_any_row_field(demo_login: DemoLogin, field: str, direction: str) -> None:
    rows = _rows(demo_login("club-edits"), sort=field, dir=direction)
    key = {"size": lambda r: float(r["size"].split()[0]), "artist": lambda r: r["artist"].lower(),
           "length": lambda r: r["length"]}.get(field, lambda r: r[field])  # fmt: skip
    values = [key(r) for r in rows]
    assert values == sorted(values, reverse=direction == "desc")


@pytest.mark.parametrize(
    "params",
    [{"bpm": "abc"}, {"bpm": "90-80"}, {"releaseYear": "20x0"}, {"releaseYear": "2010-2000"},
     {"genreId": "7,x"}, {"page": "0"}, {"size": "-5"}, {"sort": "nope"}, {"dir": "up"},
     {"advisory": "Spicy"}, {"days": "soon"}],
)  # fmt: skip
def test_malformed_values_are_400(demo_login: DemoLogin, params: dict[str, str]) -> None:
    _error(demo_login().get("api/Content/Media", params=params), 400)


# -- filters ---------------------------------------------------------------------------------


def test_bpm_exact_list_and_range(demo_login: DemoLogin) -> None:
    client = demo_login()
    some = _rows(client)[0]["bpm"]
    assert {r["bpm"] for r in _rows(client, bpm=str(some))} == {some}
    listed = _rows(client, bpm=f"{some},{some + 1},{some + 2}")
    assert {r["bpm"] for r in listed} <= {some, some + 1, some + 2}
    ranged = _rows(client, bpm="90-100")
    assert ranged and all(90 <= r["bpm"] <= 100 for r in ranged)
    assert len(_rows(client, bpm="90-100", size=500)) >= len(_rows(client, bpm="95"))


def test_release_year_forms(demo_login: DemoLogin) -> None:
    client = demo_login()
    assert all(r["releaseYear"] == 2025 for r in _rows(client, releaseYear="2025"))
    assert all(r["releaseYear"] in (2020, 2024) for r in _rows(client, releaseYear="2020,2024"))
    ranged = _rows(client, releaseYear="2010-2019")
    assert ranged and all(2010 <= r["releaseYear"] <= 2019 for r in ranged)


def test_keywords_match_artist_title_or_editor_as_substrings(demo_login: DemoLogin) -> None:
    client = demo_login()
    rows = _rows(client, keywords="love")
    assert rows
    assert all("love" in f"{r['artist']} {r['title']} {r['editor']}".lower() for r in rows)
    editor_hits = _rows(client, keywords="surgeons")
    assert editor_hits and all("Surgeons" in r["editor"] for r in editor_hits)
    short = _rows(client, keywords="dj")
    assert all("dj" in f"{r['artist']} {r['title']} {r['editor']}".lower() for r in short)


def test_artist_title_editor_filters(demo_login: DemoLogin) -> None:
    client = demo_login()
    sample = _rows(client)[3]
    by_artist = _rows(client, artist=sample["artist"])
    assert sample["mediaId"] in {r["mediaId"] for r in by_artist}
    assert all(sample["artist"].lower() in r["artist"].lower() for r in by_artist)
    word = sample["title"].split()[0]
    assert all(word.lower() in r["title"].lower() for r in _rows(client, title=word))
    assert all("Edit" in r["editor"] for r in _rows(client, editor="Edit"))


def test_genre_category_mix_advisory_and_group(demo_login: DemoLogin) -> None:
    client = demo_login()
    genres = client.get("api/Content/Genres").json()
    hip_hop = next(g for g in genres if g["title"] == "Hip-Hop")
    trap = next(g for g in genres if g["title"] == "Trap")
    rows = _rows(client, genreId=f"{hip_hop['genreId']},{trap['genreId']}")
    assert rows and {r["genre"] for r in rows} <= {"Hip-Hop", "Trap"}
    category_rows = _rows(client, categoryId=str(hip_hop["categoryId"]))
    assert category_rows and all(r["genre"] in ("Hip-Hop", "Trap", "Drill") for r in category_rows)
    mixed = _rows(client, mix="Intro,Acapella")
    assert mixed and {r["tool"] for r in mixed} <= {"Intro", "Acapella"}
    assert all(r["advisory"] == "Clean" for r in _rows(client, advisory="Clean"))
    group = _rows(client)[0]["groupId"]
    versions = _rows(client, groupId=str(group))
    assert versions and all(r["groupId"] == group for r in versions)


def test_video_pool_quality_filter_and_stills(demo_login: DemoLogin) -> None:
    client = demo_login("vj-vault")
    qualities = client.get("api/Content/VideoQualities").json()
    full_hd = next(q for q in qualities if q["pixel_height"] == 1080)
    rows = _rows(client, qualityId=str(full_hd["qualityId"]))
    assert rows and all(r["quality"] == full_hd["title"] and r["video"] for r in rows)
    still = client.get(rows[0]["img"])  # relative to the base URL
    assert still.status_code == 200 and still.content.startswith(b"\x89PNG")


def test_days_originator_search_type_and_playlist(demo_login: DemoLogin) -> None:
    client = demo_login()
    assert len(_rows(client, days="7")) < len(_rows(client, days="3650"))
    assert len(_rows(client, originator="Urban Beats")) == 500
    assert len(_rows(client, originator="urban-beats")) == 500
    assert _rows(client, originator="Somewhere Else") == []
    assert _rows(client, searchType="video") == []
    assert len(_rows(client, searchType="audio")) == 500
    listed = _rows(client, playlistId="1,2,3,4,5,6")
    assert 0 < len(listed) < 500


def test_chart_top_orders_by_download_count(
    demo_cluster: DemoCluster, demo_login: DemoLogin
) -> None:
    client = demo_login()
    store = demo_cluster.pools["urban-beats"].state.store

    def counts(rows: list[dict[str, Any]]) -> list[int]:
        return [int(store.get(r["mediaId"])["downloads"]) for r in rows]

    top = _rows(client, chart="top", size=50)
    assert len(top) == 50 and counts(top) == sorted(counts(top), reverse=True)
    everything = _rows(client, size=500)
    assert counts(top)[0] == max(counts(everything))
    recent = _rows(client, chart="top", days=30)
    assert counts(recent) == sorted(counts(recent), reverse=True)
    assert len(recent) < 500


def test_unknown_paths_answer_the_json_error_body(demo_cluster: DemoCluster) -> None:
    pool = demo_cluster.pools["urban-beats"]
    answer = httpx.get(pool.url + "api/Content/Nope", params={"key": pool.api_key})
    assert answer.status_code == 404 and answer.json()["status"] == 404
    wrong_method = httpx.get(pool.url + "api/Auth/Login", params={"key": pool.api_key})
    assert wrong_method.status_code == 405 and wrong_method.json()["status"] == 405


def test_look_up_lists(demo_login: DemoLogin) -> None:
    client = demo_login("club-edits")
    genres = client.get("api/Content/Genres").json()
    assert {"genreId", "title", "category", "categoryId"} <= set(genres[0])
    titled = client.get("api/Content/Genres", params={"title": "house"}).json()
    assert titled and all("house" in g["title"].lower() for g in titled)
    categories = client.get("api/Content/GenreCategories").json()
    assert {"categoryId", "title"} == set(categories[0])
    mixes = client.get("api/Content/VideoMixes").json()
    assert "Acapella" in mixes and "Quick Hit" in mixes


def test_some_artists_are_in_more_than_one_pool(demo_login: DemoLogin) -> None:
    artists = [
        {r["artist"] for r in _rows(demo_login(pool), size=500)}
        for pool in ("urban-beats", "club-edits")
    ]
    assert artists[0] & artists[1]


def test_genres_filter_by_category_and_reject_bad_lists(demo_login: DemoLogin) -> None:
    client = demo_login("club-edits")
    electronic = client.get("api/Content/Genres", params={"categoryId": "3"}).json()
    assert electronic and {g["category"] for g in electronic} == {"Electronic"}
    _error(client.get("api/Content/Genres", params={"categoryId": "x"}), 400)
