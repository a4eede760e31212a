"""The client and the stand-in agree: every client method reaches the stand-in's route with
the parameters it understands, and its model round-trips the raw answer without losing or
renaming a field (unknown fields included)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from crateq.api.crate import CrateClient
from crateq.demo.crate_data import DemoArtist
from crateq.demo.crate_server import CrateStandIn

Call = tuple[str, dict[str, Any], Callable[[CrateClient], Awaitable[BaseModel]]]


@pytest.fixture(scope="module")
def stand_in() -> Iterator[CrateStandIn]:
    with CrateStandIn(today=dt.date(2026, 11, 23)) as server:
        yield server


@pytest.fixture
async def client(stand_in: CrateStandIn) -> AsyncIterator[CrateClient]:
    async with CrateClient(stand_in.url, stand_in.api_key) as crate:
        yield crate


def calls(artist: DemoArtist) -> list[Call]:
    return [
        ("/api/v2/resolve", {"q": artist.name}, lambda c: c.resolve(artist.name)),
        (
            "/api/v2/resolve",
            {"discogs": str(artist.discogs_id)},
            lambda c: c.resolve(f"discogs:{artist.discogs_id}"),
        ),
        (f"/api/v2/artist/{artist.cluster_id}", {}, lambda c: c.artist(artist.cluster_id)),
        (
            f"/api/v2/artist/{artist.slug}",
            {"fields": "identity,connections"},
            lambda c: c.artist(artist.slug, fields=["identity", "connections"]),
        ),
        (
            f"/api/v2/dossier/artist/{artist.slug}",
            {},
            lambda c: c.artist_dossier(artist.slug),
        ),
        ("/api/v2/label/night-shift-audio", {}, lambda c: c.label("night-shift-audio")),
        ("/api/v2/dossier/label/tessellate", {}, lambda c: c.label_dossier("tessellate")),
        ("/api/v2/dossier/label/unheard-of", {}, lambda c: c.label_dossier("unheard-of")),
        ("/api/v2/preview/artist", {"q": artist.name}, lambda c: c.preview_artist(artist.name)),
        ("/api/v2/preview/artist", {"q": "Nobody"}, lambda c: c.preview_artist("Nobody")),
        ("/api/v2/search", {"q": "sessions", "limit": 5}, lambda c: c.search("sessions", limit=5)),
        (
            "/api/v2/breakouts",
            {"limit": 5, "tier": "rising"},
            lambda c: c.breakouts(limit=5, tier="rising"),
        ),
        ("/api/v2/tastemakers", {"limit": 3}, lambda c: c.tastemakers(limit=3)),
        ("/api/v2/tastemakers/ones-to-watch", {}, lambda c: c.ones_to_watch()),
    ]


async def test_every_client_method_round_trips_the_stand_in_answer(
    stand_in: CrateStandIn, client: CrateClient
) -> None:
    artist = next(a for a in stand_in.app.state.data.artists if a.tier == "verified" and a.mbid)
    headers = {"X-API-Key": stand_in.api_key}
    async with httpx.AsyncClient(base_url=stand_in.url, headers=headers) as raw:
        for path, params, call in calls(artist):
            stand_in.control.requests.clear()
            model = await call(client)
            assert stand_in.control.requests[-1] == path
            body = (await raw.get(path, params=params)).json()
            assert model.model_dump(by_alias=True, exclude_unset=True) == body, path
