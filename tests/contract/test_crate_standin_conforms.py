"""Every answer of the crate stand-in validates against crate's spec, and parses with the client's
models, over a sample of at least 200 keys per endpoint (success, honest gaps and errors)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crate_spec import MODEL_FOR, require_spec, validate_response
from pydantic import BaseModel

from crateq.api import crate_models as m
from crateq.demo.crate_data import LABEL_NAMES, cluster_id_for, slugify
from crateq.demo.crate_discovery import ListMode
from crateq.demo.crate_payloads import FACETS, urls
from crateq.demo.crate_server import CrateStandIn

TODAY = dt.date(2026, 11, 23)
MODES: tuple[ListMode, ...] = ("present", "stale", "degraded", "empty")
# 50 limits per mode (200 queries per list): mostly small pages, plus the large edge cases
LIMITS = [*range(1, 46), 99, 100, 150, 199, 200]


@pytest.fixture(scope="module")
def stand_in() -> Iterator[CrateStandIn]:
    require_spec()
    with CrateStandIn(today=TODAY) as server:
        server.control.rate_limit = 10**9
        yield server


@pytest.fixture(scope="module")
def http(stand_in: CrateStandIn) -> Iterator[httpx.Client]:
    headers = {"X-API-Key": stand_in.api_key}
    with httpx.Client(base_url=stand_in.url, headers=headers, timeout=10) as client:
        yield client


def check(
    http: httpx.Client,
    template: str,
    url: str,
    params: dict[str, Any] | None = None,
    *,
    trimmed: bool = False,
) -> httpx.Response:
    """GET, validate against the spec (200 or the declared error schema), parse with models."""
    response = http.get(url, params=params)
    body = response.json()
    validate_response(template, response.status_code, body, trimmed=trimmed)
    if response.status_code == 200:
        model: type[BaseModel] = MODEL_FOR[template]
        model.model_validate(body)
    else:
        m.ErrorEnvelope.model_validate(body)
    return response


def names(stand_in: CrateStandIn) -> list[str]:
    return [a.name for a in stand_in.app.state.data.artists]


def test_the_sample_is_large_enough(stand_in: CrateStandIn) -> None:
    assert len(names(stand_in)) >= 200


def test_resolve_answers_conform_for_names_ids_links_and_gaps(
    stand_in: CrateStandIn, http: httpx.Client
) -> None:
    data = stand_in.app.state.data
    queries: list[dict[str, str]] = [{"q": n} for n in names(stand_in)[:200]]
    queries += [{"q": f"{n} unknown"} for n in names(stand_in)[:20]]
    for artist in data.artists[::6]:
        queries.append({"cluster": artist.cluster_id})
        queries.append({"url": urls(artist)["bandcamp"]})
        if artist.discogs_id:
            queries.append({"discogs": str(artist.discogs_id)})
            queries.append({"url": f"https://www.discogs.com/artist/{artist.discogs_id}-x"})
        if artist.mbid:
            queries.append({"mbid": artist.mbid})
    queries += [{"url": "https://twitter.com/someone"}, {"isrc": "USAKS0500539"}]
    queries += [{}, {"discogs": "artist:12"}, {"mbid": "nope"}, {"artist": "Solo"}]
    assert len(queries) >= 200
    statuses = {check(http, "/api/v2/resolve", "/api/v2/resolve", q).status_code for q in queries}
    assert statuses == {200, 400}


def artist_keys(stand_in: CrateStandIn) -> list[str]:
    data = stand_in.app.state.data
    keys = [a.slug for a in data.artists[::2]] + [a.cluster_id for a in data.artists[1::8]]
    return [*keys, "no-such-artist", cluster_id_for("nobody at all")]


def test_artist_dossiers_conform_full_and_trimmed(
    stand_in: CrateStandIn, http: httpx.Client
) -> None:
    keys = artist_keys(stand_in)
    assert len(keys) >= 200
    known = gaps = 0
    for key in keys:
        body = check(http, "/api/v2/artist/{key}", f"/api/v2/artist/{key}").json()
        known, gaps = known + (body["identity"] is not None), gaps + (body["identity"] is None)
    assert known > 100 and gaps > 20  # verified/unverified artists and honest gaps both served
    facet_sets = [["identity"], ["identity", "connections", "facts"], list(FACETS)]
    for i, key in enumerate(keys[::-1][:200]):
        fields = ",".join(facet_sets[i % len(facet_sets)])
        url = f"/api/v2/artist/{key}"
        response = check(http, "/api/v2/artist/{key}", url, {"fields": fields}, trimmed=True)
        assert set(response.json()) >= set(fields.split(","))


def test_artist_errors_conform(http: httpx.Client) -> None:
    template = "/api/v2/artist/{key}"
    bad = check(http, template, "/api/v2/artist/some-slug", {"fields": "identity,nonsense"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_fields"
    for key in ("discogs:123", "mbid:0b1e0e5e-0000-4000-8000-000000000000", "123"):
        response = check(http, template, f"/api/v2/artist/{key}")
        assert response.json()["error"] == "use_resolve_for_locator"
        assert "/api/v2/resolve?" in response.json()["next"]


def test_dossier_by_slug_conforms(stand_in: CrateStandIn, http: httpx.Client) -> None:
    slugs = [a.slug for a in stand_in.app.state.data.artists][:220]
    for slug in slugs:
        check(http, "/api/v2/dossier/artist/{slug}", f"/api/v2/dossier/artist/{slug}")


def test_label_dossiers_conform(stand_in: CrateStandIn, http: httpx.Client) -> None:
    keys = [slugify(n) for n in LABEL_NAMES] + [cluster_id_for(f"label:{n}") for n in LABEL_NAMES]
    keys += [f"{a.slug}-records" for a in stand_in.app.state.data.artists[:180]]
    assert len(keys) >= 200
    for key in keys:
        check(http, "/api/v2/label/{key}", f"/api/v2/label/{key}")
        check(http, "/api/v2/dossier/label/{slug}", f"/api/v2/dossier/label/{key}")
    check(http, "/api/v2/label/{key}", "/api/v2/label/discogs:1")


def test_preview_conforms_without_a_key(stand_in: CrateStandIn) -> None:
    data = stand_in.app.state.data
    queries = names(stand_in)[:150] + [a.cluster_id for a in data.artists[:50]]
    queries += [f"Unknown {i}" for i in range(10)]
    with httpx.Client(base_url=stand_in.url) as anonymous:
        for query in queries:
            check(anonymous, "/api/v2/preview/artist", "/api/v2/preview/artist", {"q": query})
        assert check(anonymous, "/api/v2/preview/artist", "/api/v2/preview/artist", {"q": ""})


def test_search_conforms(stand_in: CrateStandIn, http: httpx.Client) -> None:
    words = sorted({w.lower() for n in names(stand_in) for w in n.split() if len(w) > 2})
    queries = [*words[:190], "house", "sessions", "zzzz-nothing"]
    queries += [n[:4] for n in names(stand_in)[:20]]
    assert len(queries) >= 200
    for i, query in enumerate(queries):
        params = {"q": query, "limit": str(1 + i % 100), "offset": str(i % 3)}
        check(http, "/api/v2/search", "/api/v2/search", params)
    assert check(http, "/api/v2/search", "/api/v2/search", {"q": ""}).status_code == 400
    assert check(http, "/api/v2/search", "/api/v2/search", {"q": "a", "limit": "0"})


def test_discovery_lists_conform_in_every_state(stand_in: CrateStandIn, http: httpx.Client) -> None:
    tiers = [None, "breakout", "rising"]
    corroborations = [None, "corroborated", "booking_ahead"]
    try:
        for mode in MODES:
            stand_in.control.modes.update(
                {"breakouts": mode, "tastemakers": mode, "ones-to-watch": mode}
            )
            for limit in LIMITS:
                params: dict[str, Any] = {"limit": limit}
                for path in ("/api/v2/tastemakers", "/api/v2/tastemakers/ones-to-watch"):
                    check(http, path, path, params)
                tier, corro = tiers[limit % 3], corroborations[(limit // 3) % 3]
                params.update({k: v for k, v in (("tier", tier), ("corroboration", corro)) if v})
                check(http, "/api/v2/breakouts", "/api/v2/breakouts", params)
    finally:
        stand_in.control.modes.update(
            {"breakouts": "present", "tastemakers": "stale", "ones-to-watch": "degraded"}
        )
    assert check(http, "/api/v2/breakouts", "/api/v2/breakouts", {"tier": "x"}).status_code == 400


@pytest.mark.parametrize("mode", ["429", "500", "503", "504"])
def test_fault_answers_conform(stand_in: CrateStandIn, http: httpx.Client, mode: str) -> None:
    stand_in.control.set_fault(mode, count=1)  # type: ignore[arg-type]
    response = check(http, "/api/v2/resolve", "/api/v2/resolve", {"q": "x"})
    assert response.status_code == int(mode)


def test_missing_key_is_the_error_envelope(stand_in: CrateStandIn) -> None:
    with httpx.Client(base_url=stand_in.url) as anonymous:
        response = check(anonymous, "/api/v2/breakouts", "/api/v2/breakouts")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
