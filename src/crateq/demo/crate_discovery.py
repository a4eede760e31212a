"""Stand-in bodies for crate's discovery lists: breakouts, tastemakers, ones-to-watch.

crate serves these from offline snapshots and fails soft: ``state`` is present / empty /
degraded (degraded is still a 200) and ``stale`` flags a snapshot older than 7 days. Each
list's condition is a :data:`ListMode` so the demo shows every case; by default
breakouts are present, tastemakers stale and ones-to-watch degraded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from crateq.demo.crate_data import DemoArtist, DemoCrateData, count, score

if TYPE_CHECKING:
    from crateq.api.json_types import JSONObject

ListMode = Literal["present", "stale", "degraded", "empty"]
DEFAULT_MODES: dict[str, ListMode] = {
    "breakouts": "present",
    "tastemakers": "stale",
    "ones-to-watch": "degraded",
}
STALE_AGE_DAYS = 12
FRESH_AGE_DAYS = 1


def _snapshot(data: DemoCrateData, mode: ListMode) -> JSONObject:
    if mode == "degraded":
        return {"snapshotDate": None, "state": "degraded", "stale": False}
    age = STALE_AGE_DAYS if mode == "stale" else FRESH_AGE_DAYS
    state = "empty" if mode == "empty" else "present"
    return {"snapshotDate": data.date_ago(age), "state": state, "stale": mode == "stale"}


def _ranked(data: DemoCrateData, salt: int) -> list[DemoArtist]:
    return sorted(data.known, key=lambda a: (-score(a, salt), a.slug))


def breakouts(
    data: DemoCrateData, mode: ListMode, limit: int, tier: str | None, corroboration: str | None
) -> JSONObject:
    if mode in ("degraded", "empty"):
        return {"items": [], "state": mode}
    items: list[JSONObject] = []
    for artist in _ranked(data, 6):
        emergence = data.emergence_tier(artist)
        if artist.discogs_id is None or emergence not in ("breakout", "rising"):
            continue  # breakouts rows are Discogs-bound
        corro = "corroborated" if artist.seed % 2 else "booking_ahead"
        if (tier and emergence != tier) or (corroboration and corro != corroboration):
            continue
        items.append(
            {
                "discogsArtistId": artist.discogs_id,
                "clusterId": artist.cluster_id,
                "resolvedVia": "discogs",
                "name": artist.name,
                "slug": artist.slug,
                "emergenceTier": emergence,
                "emergenceScore": score(artist, 6),
                "pressCount": count(artist, 11, 30),
                "corroboration": corro,
                "location": data.location(artist),
            }
        )
    items = items[:limit]
    return {"items": items, "state": "present" if items else "empty"}


def _one_to_watch(data: DemoCrateData, artist: DemoArtist, rank: int) -> JSONObject:
    verified = artist.tier == "verified"
    return {
        "rank": rank,
        "name": artist.name,
        "discogsArtistId": artist.discogs_id,
        "slug": artist.slug,
        "emergenceTier": data.emergence_tier(artist),
        "momentumTier": data.momentum_tier(artist),
        "emergenceScore": score(artist, 6),
        "profile": "network-velocity" if artist.seed % 2 else "festival-pedigree",
        "cultureForwardFestivals": count(artist, 41, 6),
        "fiveFactorScore": score(artist, 42) if verified else None,
        "degree": 4 + count(artist, 43, 60),
        "linkable": True,
        "coFestivalCount": count(artist, 44, 9) if verified else None,
        "coCountryCount": None,
        "undergroundToBookingDays": 30 + count(artist, 45, 400) if verified else None,
        "pressToAirplayDays": None,
        "earliestSupportedAt": data.date_ago(800 + artist.seed % 900),
        "demandCoverage": score(artist, 46) if verified else None,
        "ownerReach": None,
        "alsoOwnDegree": None,
        "brokerageScore": score(artist, 47),
        "corroborationCount": 1 + count(artist, 48, 3),
        "corroboratingAxes": ["booking", "press"][: 1 + artist.seed % 2],
    }


def _ones(data: DemoCrateData, mode: ListMode, limit: int) -> list[JSONObject]:
    if mode in ("degraded", "empty"):
        return []
    return [_one_to_watch(data, a, i + 1) for i, a in enumerate(_ranked(data, 7)[:limit])]


def tastemakers(data: DemoCrateData, mode: ListMode, limit: int) -> JSONObject:
    leaderboard: list[JSONObject] = []
    spinners: list[JSONObject] = []
    if mode not in ("degraded", "empty"):
        for i, artist in enumerate(_ranked(data, 3)[:limit]):
            leaderboard.append(
                {
                    "rank": i + 1,
                    "name": artist.name,
                    "discogsArtistId": artist.discogs_id,
                    "slug": artist.slug,
                    "ownTier": data.emergence_tier(artist),
                    "degree": 4 + count(artist, 43, 60),
                    "emergingNeighbours": count(artist, 49, 12),
                    "pctEmerging": score(artist, 50),
                    "brokerageScore": score(artist, 47),
                    "egoDensity": None,
                    "undergroundToBookingDays": None,
                    "pressToAirplayDays": None,
                    "earliestSupportedAt": None,
                    "demandCoverage": None,
                    "ownerReach": count(artist, 1, 5000) or None,
                    "alsoOwnDegree": None,
                }
            )
        for i, artist in enumerate(_ranked(data, 51)[: min(limit, 10)]):
            spinners.append(
                {
                    "rank": i + 1,
                    "djName": artist.name,
                    "totalMastersPlayed": 20 + count(artist, 52, 300),
                    "mastersPlayedFirst": count(artist, 53, 20),
                    "mastersPlayedWithin7d": count(artist, 54, 9),
                    "cuttingEdgeScore": score(artist, 55),
                    "firstPlayAt": data.date_ago(700),
                    "latestPlayAt": data.date_ago(artist.seed % 30),
                }
            )
    body: JSONObject = {
        "leaderboard": leaderboard,
        "onesToWatch": _ones(data, mode, limit),
        "earlySpinners": spinners,
    }
    body.update(_snapshot(data, mode))
    return body


def ones_to_watch(data: DemoCrateData, mode: ListMode, limit: int) -> JSONObject:
    body: JSONObject = {"onesToWatch": _ones(data, mode, limit)}
    body.update(_snapshot(data, mode))
    return body
