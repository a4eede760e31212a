"""JSON bodies of the crate stand-in, shaped exactly like crate v2.47 answers.

Pure functions of :class:`~crateq.demo.crate_data.DemoCrateData`: same input, same bytes.
What crate does not know is said the way crate says it (``identity: null``,
``state: "honest_gap"``, ``present: false``), never filled with invented values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crateq.demo.crate_data import (
    CONTRACT_VERSION,
    LABEL_NAMES,
    DemoArtist,
    DemoCrateData,
    count,
    score,
    slugify,
)

if TYPE_CHECKING:
    from crateq.api.json_types import JSONObject

GAP: JSONObject = {"state": "honest_gap", "signals": None}
ENVELOPE = ("contract_version", "grain", "slug", "display", "id", "cluster_id", "resolved_via")
ENVELOPE_TAIL = ("generated_at",)
FACETS = (
    "identity",
    "behavioral",
    "editorial",
    "across_the_web",
    "journalism",
    "connections",
    "emergence",
    "breakout",
    "compositions",
    "tier_presence",
    "early_demand",
    "bandcamp_emergence",
    "artwork",
    "dated_appearance",
    "network_position",
    "airplay_breadth",
    "brokerage",
    "lead_time",
    "bandcamp_tastemaker",
    "live_demand",
    "editorial_attention",
    "web_presence",
    "editorial_canon",
    "discography",
    "provenance",
    "facts",
)
GENRES = ("Electronic", "Hip Hop", "Funk / Soul", "Jazz")
STYLES = ("House", "Techno", "Deep House", "Broken Beat", "Garage", "Electro", "Disco")


def _gap(facet: str) -> JSONObject | list[JSONObject]:
    """The honest-gap form of a facet (its schema decides whether signals may be null)."""
    if facet in ("connections",):
        return {"state": "honest_gap", "signals": {"count": 0, "related": []}}
    if facet == "dated_appearance":
        return {"state": "honest_gap", "signals": {"count": 0, "sources": []}}
    if facet == "discography":
        signals: JSONObject = {
            "clusterId": None,
            "total": 0,
            "shown": 0,
            "truncated": False,
            "entries": [],
            "overMerge": None,
            "observedAt": None,
        }
        return {"state": "honest_gap", "signals": signals}
    if facet == "across_the_web":
        return {"count": 0, "links": []}
    if facet == "artwork":
        return {"state": "honest_gap", "items": []}
    if facet == "compositions":
        return {"state": "honest_gap", "works": []}
    if facet == "breakout":
        return {"state": "honest_gap", "signal": None}
    if facet == "editorial":
        return {"state": "honest_gap"}
    if facet == "provenance":
        return []
    return dict(GAP)


def urls(artist: DemoArtist) -> dict[str, str]:
    handle = artist.slug.replace("-", "")
    return {
        "bandcamp": f"https://{handle}.bandcamp.com",
        "soundcloud": f"https://soundcloud.com/{artist.slug}",
        "instagram": f"https://www.instagram.com/{handle}",
        "website": f"https://{handle}.example.net",
    }


def artist_dossier(data: DemoCrateData, key: str) -> JSONObject:
    """The full dossier for a slug or 64-hex key; an unknown key is the honest gap."""
    artist = data.find(key)
    if artist is None:
        body: JSONObject = {
            "contract_version": CONTRACT_VERSION,
            "grain": "artist",
            "slug": slugify(key),
            "display": key,
            "id": None,
            "cluster_id": None,
            "resolved_via": None,
        }
        body.update({facet: _gap(facet) for facet in FACETS})
        body["identity"] = None
        body["generated_at"] = data.generated_at
        return body
    verified = artist.tier == "verified"
    hex_key = key == artist.cluster_id
    via = "cluster" if hex_key or not verified else "discogs"
    body = {
        "contract_version": CONTRACT_VERSION,
        "grain": "artist",
        "slug": artist.slug,
        "display": artist.name,
        "id": artist.discogs_id,
        "cluster_id": artist.cluster_id,
        "resolved_via": via,
    }
    body.update({facet: _gap(facet) for facet in FACETS})
    links = urls(artist)
    body["identity"] = {
        "discogsArtistId": artist.discogs_id,
        "clusterId": artist.cluster_id,
        "resolvedVia": via,
        "name": artist.name,
        "realname": None,
        "profile": f"{artist.name} plays {STYLES[artist.seed % len(STYLES)].lower()}."
        if verified
        else None,
        "urls": [links["bandcamp"], links["soundcloud"]] if verified else [],
        "aliases": [],
    }
    neighbours = data.neighbours(artist, 3 + artist.seed % 4)
    body["behavioral"] = {"state": "present", "signals": _behavioral(artist, neighbours)}
    body["connections"] = {
        "state": "present",
        "signals": {
            "count": len(neighbours),
            "related": [_co_booked(data, artist, n) for n in neighbours],
        },
    }
    body["emergence"] = {"state": "present", "signals": _emergence(data, artist)}
    body["network_position"] = {
        "state": "present",
        "signals": {
            "degree": len(neighbours) * 4,
            "weightedDegree": round(len(neighbours) * 5.5, 1),
            "resolvedNeighbourRatio": score(artist, 20),
            "recentDegree": len(neighbours),
            "establishmentDelta": None,
        },
    }
    body["dated_appearance"] = {
        "state": "present",
        "signals": {
            "count": 1,
            "sources": [
                {
                    "sourceKind": "booking",
                    "firstAppearanceDate": data.date_ago(900 + artist.seed % 2000),
                    "latestAppearanceDate": data.date_ago(artist.seed % 60),
                    "appearanceCount": 5 + count(artist, 21, 90),
                }
            ],
        },
    }
    if artist.seed % 4 != 0:  # some artists have no web presence crate can see
        body["web_presence"] = {"state": "present", "signals": _web(data, artist, verified)}
    if verified:
        body.update(_verified_facets(data, artist))
    body["provenance"] = [
        {
            "field": "behavioral",
            "producer": "seen",
            "sourceTable": "seen.artist_dossier",
            "refreshCadence": "daily",
            "tier": via,
            "honestGapState": "honest_gap",
        },
        {
            "field": "connections",
            "producer": "seen",
            "sourceTable": "seen.artist_co_booking",
            "refreshCadence": "daily",
            "tier": "cluster",
            "honestGapState": "honest_gap",
        },
    ]
    body["generated_at"] = data.generated_at
    return body


def _behavioral(artist: DemoArtist, neighbours: list[DemoArtist]) -> JSONObject:
    owners = count(artist, 1, 5000)
    return {
        "ownerReach": {"kind": "count", "value": owners} if owners >= 5 else {"kind": "suppressed"},
        "wantlistDemand": {"kind": "count", "value": count(artist, 2, 3000) + 5},
        "collectorCoownership": score(artist, 3),
        "communityFootprint": None,
        "travelsWith": [
            {
                "clusterId": n.cluster_id,
                "name": n.name,
                "slug": n.slug,
                "sharedCollectors": 5 + count(n, artist.seed % 97, 200),
            }
            for n in neighbours[:3]
        ],
        "workCount": 3 + count(artist, 4, 40),
        "primaryGenre": GENRES[artist.seed % len(GENRES)],
        "primaryStyles": [STYLES[artist.seed % len(STYLES)], STYLES[(artist.seed // 7) % 7]],
        "masterCountWithGenre": 2 + count(artist, 5, 30),
    }


def _co_booked(data: DemoCrateData, artist: DemoArtist, other: DemoArtist) -> JSONObject:
    return {
        "clusterId": other.cluster_id,
        "discogsArtistId": other.discogs_id,
        "mbid": other.mbid,
        "name": other.name,
        "slug": other.slug,
        "coEventCount": 2 + count(other, artist.seed, 30),
        "coVenueCount": 1 + count(other, artist.seed + 1, 12),
        "lastCoAt": data.date_ago(count(other, artist.seed + 2, 400)),
    }


def _emergence(data: DemoCrateData, artist: DemoArtist) -> JSONObject:
    return {
        "emergenceTier": data.emergence_tier(artist),
        "momentumTier": data.momentum_tier(artist),
        "emergenceScore": score(artist, 6),
        "momentumScore": score(artist, 7),
        "establishmentDelta": round(score(artist, 8) - 0.5, 3),
        "eventsRecent": count(artist, 9, 40),
        "isFreshBreakout": data.emergence_tier(artist) == "breakout" and artist.seed % 2 == 0,
        "isUnsigned": artist.tier != "verified",
    }


def _web(data: DemoCrateData, artist: DemoArtist, verified: bool) -> JSONObject:
    links = urls(artist)
    return {
        "bandcampUrl": links["bandcamp"],
        "soundcloudUrl": links["soundcloud"],
        "instagramUrl": links["instagram"] if artist.seed % 3 else None,
        "websiteUrl": links["website"] if verified else None,
        "discogsArtistIdClaimed": artist.discogs_id,
        "raStatus": "active" if verified else None,
        "followerCount": 100 + count(artist, 10, 50_000) if verified else None,
        "country": (data.location(artist) or {}).get("country"),
        "firstEventAt": data.date_ago(1000 + artist.seed % 3000),
        "spotifyUrl": None,
        "youtubeUrl": None,
        "lastfmUrl": None,
    }


def _verified_facets(data: DemoCrateData, artist: DemoArtist) -> JSONObject:
    out: JSONObject = {}
    out["journalism"] = {
        "state": "present",
        "signals": {
            "pressCount": count(artist, 11, 30),
            "reviewCount": count(artist, 12, 10),
            "interviewCount": count(artist, 13, 5),
            "featureCount": count(artist, 14, 5),
            "items": [],
        },
    }
    entries: list[JSONObject] = [
        {
            "discogsMasterId": 1_000_000 + count(artist, 30 + i, 9_000_000),
            "representativeName": f"{artist.name} — Release {i + 1}",
            "isPrimary": True,
            "billingPosition": 1,
            "_links": {
                "master": f"/api/v2/artist/{artist.cluster_id}/master/"
                f"{1_000_000 + count(artist, 30 + i, 9_000_000)}"
            },
        }
        for i in range(2 + artist.seed % 3)
    ]
    out["discography"] = {
        "state": "present",
        "signals": {
            "clusterId": artist.cluster_id,
            "total": len(entries),
            "shown": len(entries),
            "truncated": False,
            "entries": entries,
            "overMerge": None,
            "observedAt": data.date_ago(3),
        },
    }
    out["across_the_web"] = {
        "count": 1,
        "links": [
            {
                "source": "bandcamp",
                "sourceSubtype": None,
                "url": urls(artist)["bandcamp"],
                "title": f"{artist.name} on Bandcamp",
                "description": None,
                "confidence": 0.9,
            }
        ],
    }
    if artist.mbid is not None:  # Wikidata facts bind through MusicBrainz
        out["facts"] = {
            "state": "present",
            "signals": {
                "wikidataQid": f"Q{artist.seed % 10_000_000}",
                "mbid": artist.mbid,
                "originCity": None,
                "originCityQid": None,
                "originCountry": None,
                "originCountryQid": None,
                "birthDate": None,
                "deathDate": None,
                "officialWebsite": urls(artist)["website"],
                "genresQids": [],
                "recordLabelsQids": [
                    f"Q{90_000 + LABEL_NAMES.index(label)}" for label in artist.labels
                ],
                "influencedByQids": [],
                "genres": [],
                "recordLabels": artist.labels,
                "influencedBy": [],
                "birthName": None,
                "familyName": None,
                "portrait": None,
                "lastEnrichedAt": data.generated_at,
            },
        }
    else:
        out["facts"] = {"state": "honest_gap", "signals": None}
    if data.emergence_tier(artist) in ("breakout", "rising"):
        out["breakout"] = {
            "state": "present",
            "signal": {
                "emergenceTier": data.emergence_tier(artist),
                "corroboration": "corroborated" if artist.seed % 2 else "booking_ahead",
                "pressCount": count(artist, 11, 30),
            },
        }
    out["live_demand"] = {
        "state": "present",
        "signals": {
            "demandTier": ("high", "medium", "low")[artist.seed % 3],
            "demandMomentumScore": score(artist, 15),
            "eventsTracked": 3 + count(artist, 16, 50),
            "eventsSoldOut": count(artist, 17, 3),
            "distinctProviders": 1 + count(artist, 18, 4),
            "distinctPromoters": 1 + count(artist, 19, 9),
            "avgFillFraction": None,
            "maxSoldOutLeadDays": None,
        },
    }
    return out
