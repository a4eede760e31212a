"""CrateService's flattening: honest gaps stay "not known", freshness is said plainly, and a
failing label lookup stays on that label's row instead of failing the card."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crateq.api.crate import CrateClient, route_query
from crateq.api.crate_models import ArtistDossier
from crateq.core import crate_service
from crateq.core.crate_service import CrateService

HEX = "b" * 64
TODAY = dt.date(2026, 11, 23)
LOCATORS = {
    "discogs": None,
    "mbid": None,
    "bandcamp": ["https://x.bandcamp.com"],
    "soundcloud": [],
    "instagram": [],
    "spotify": [],
    "youtube": [],
    "website": [],
}
RESOLUTION = {
    "cluster_id": HEX,
    "slug": "x",
    "display": "X",
    "locators": LOCATORS,
    "resolved_via": "cluster",
    "resolved_from": "url",
    "matched_on": "bandcamp",
}
IDENTITY = {
    "discogsArtistId": None,
    "clusterId": HEX,
    "resolvedVia": "cluster",
    "name": "X",
    "realname": None,
    "profile": None,
    "urls": [],
    "aliases": [],
}
FACTS = {"state": "present", "signals": {"recordLabels": ["Warp", "Ninja Tune"]}}


def service(routes: dict[str, httpx.Response]) -> CrateService:
    def handler(request: httpx.Request) -> httpx.Response:
        return routes[request.url.path]

    return CrateService(
        CrateClient("https://crate.test", "ck_test_k", transport=httpx.MockTransport(handler))
    )


def dossier(**facets: Any) -> dict[str, Any]:
    return {
        "slug": "x",
        "display": "X",
        "cluster_id": HEX,
        "resolved_via": "cluster",
        "identity": IDENTITY,
        **facets,
    }


async def test_label_failure_stays_on_its_row_and_gaps_stay_not_known() -> None:
    label_ok = {
        "contract_version": "1",
        "grain": "label",
        "slug": "warp",
        "display": "Warp",
        "id": None,
        "cluster_id": None,
        "resolved_via": "cluster",
        "identity": {
            "discogsLabelId": None,
            "name": "Warp",
            "parentLabel": None,
            "profile": None,
            "urls": [],
        },
        "binds": None,
        "presence": None,
        "over_merge": None,
        "behavioral": {"state": "x"},
        "travels": {"state": "honest_gap", "related": []},
        "dj_momentum": {"state": "honest_gap", "signals": None},
        "provenance": [],
        "generated_at": "2026-11-23",
    }
    svc = service(
        {
            "/api/v2/resolve": httpx.Response(200, json=RESOLUTION),
            f"/api/v2/artist/{HEX}": httpx.Response(200, json=dossier(facts=FACTS)),
            "/api/v2/label/warp": httpx.Response(200, json=label_ok),
            "/api/v2/label/ninja-tune": httpx.Response(404, json={"error": "not_found"}),
        }
    )
    card = await svc.artist_card("https://x.bandcamp.com")
    assert card.known and card.verification == "unverified" and card.resolved_from == "url"
    assert card.labels is not None
    warp, ninja = card.labels
    assert warp.known and warp.plays_last_365d is None and warp.velocity is None
    assert not ninja.known and ninja.error and "no such" in ninja.error
    # facets crate did not send are not known, not empty
    assert card.travels_with is None and card.co_booked is None and card.momentum_tier is None
    # no web_presence facet: the links crate resolved through are used, not invented ones
    assert card.links is not None and [x.url for x in card.links] == ["https://x.bandcamp.com"]


def test_travels_with_is_read_defensively() -> None:
    raw = dossier(
        behavioral={
            "state": "present",
            "signals": {
                "ownerReach": {"kind": "suppressed"},
                "wantlistDemand": {"kind": "suppressed"},
                "collectorCoownership": None,
                "communityFootprint": None,
                "workCount": None,
                "primaryGenre": None,
                "primaryStyles": [],
                "masterCountWithGenre": None,
                "travelsWith": [
                    "Plain Name",
                    {"name": "Dict", "clusterId": HEX, "sharedCollectors": 7},
                    {"no": "name"},
                    42,
                    "  ",
                ],
            },
        }
    )
    neighbours = crate_service._travels_with(ArtistDossier.model_validate(raw))
    assert neighbours is not None
    assert [(n.name, n.cluster_id, n.strength) for n in neighbours] == [
        ("Plain Name", None, None),
        ("Dict", HEX, 7.0),
    ]


@pytest.mark.parametrize(
    ("state", "stale", "snapshot", "entries", "expected"),
    [
        ("present", False, "2026-11-22", 1, "Fresh: snapshot of 2026-11-22 (1 day old)."),
        ("present", True, "2026-11-20", 1, "Stale: snapshot of 2026-11-20 (3 days old"),
        ("present", False, "2026-11-01", 1, "Stale: snapshot of 2026-11-01 (22 days old"),
        ("present", False, None, 1, "freshness not known"),
        ("present", False, "garbled", 1, "age not known"),
        ("empty", False, "2026-11-22", 0, "no entries"),
        ("degraded", False, None, 0, "could not read this list"),
    ],
)
def test_freshness_is_said_plainly(
    state: Any, stale: bool, snapshot: str | None, entries: int, expected: str
) -> None:
    rows = [crate_service.DiscoveryEntry(rank=1, name="A")] * entries
    listing = crate_service._listing("tastemakers", state, stale, snapshot, rows, TODAY)
    assert expected in listing.freshness
    assert listing.stale == ("Stale" in listing.freshness)


@given(st.text(min_size=1, max_size=256).filter(lambda s: s.strip()))
def test_any_non_empty_input_routes_to_exactly_one_locator(text: str) -> None:
    routed = route_query(text)
    assert len(routed) == 1
    ((key, value),) = routed.items()
    assert key in {"q", "url", "discogs", "mbid", "cluster", "isrc"} and value.strip()
