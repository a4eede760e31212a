"""Stand-in bodies for ``/resolve``, ``/preview/artist`` and ``/search``.

Each function returns a JSON-ready dict or raises :class:`DemoCrateError` carrying crate's
error envelope; an unresolved lookup is a 200 with nulls, exactly as crate answers it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crateq.demo.crate_data import DemoArtist, DemoCrateData, count, slugify
from crateq.demo.crate_payloads import STYLES, urls

if TYPE_CHECKING:
    from crateq.api.json_types import JSONObject, JSONValue

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_UUID = re.compile(r"^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$")
DOCS = "https://crate.hosaka.fm/docs/api#error-"


class DemoCrateError(Exception):
    """An error answer: HTTP status plus crate's error envelope."""

    def __init__(self, status: int, code: str, message: str, **extra: JSONValue) -> None:
        super().__init__(message)
        self.status = status
        self.body: JSONObject = {"error": code, "message": message, "doc_url": DOCS + code}
        self.body.update({k: v for k, v in extra.items() if v is not None})


def _locators(artist: DemoArtist | None) -> JSONObject:
    if artist is None:
        return {
            "discogs": None,
            "mbid": None,
            "bandcamp": [],
            "soundcloud": [],
            "instagram": [],
            "spotify": [],
            "youtube": [],
            "website": [],
        }
    links = urls(artist)
    return {
        "discogs": artist.discogs_id,
        "mbid": artist.mbid,
        "bandcamp": [links["bandcamp"]],
        "soundcloud": [links["soundcloud"]],
        "instagram": [],
        "spotify": [],
        "youtube": [],
        "website": [links["website"]] if artist.tier == "verified" else [],
    }


def _resolution(
    artist: DemoArtist | None, resolved_from: str, matched_on: str, *, via: str | None = None
) -> JSONObject:
    if artist is None:
        return {
            "cluster_id": None,
            "slug": None,
            "display": None,
            "locators": _locators(None),
            "resolved_via": None,
            "resolved_from": resolved_from,
        }
    tier = via or ("discogs" if artist.tier == "verified" else "cluster")
    return {
        "cluster_id": artist.cluster_id,
        "slug": artist.slug,
        "display": artist.name,
        "locators": _locators(artist),
        "resolved_via": tier,
        "resolved_from": resolved_from,
        "matched_on": matched_on,
        "_links": {
            "artist": f"/api/v2/artist/{artist.cluster_id}",
            "artist_dossier_by_slug": f"/api/v2/dossier/artist/{artist.slug}",
        },
    }


def resolve(data: DemoCrateData, params: dict[str, str]) -> JSONObject:
    """``/resolve``: exactly one locator; unresolved is 200 with null identity fields."""
    if "artist" in params and "track" not in params:
        raise DemoCrateError(
            400,
            "invalid_query",
            "artist= must be paired with track=.",
            param="artist",
            hint="Add ?track=<title>, or use ?q=<name>.",
        )
    if url := params.get("url"):
        return _resolve_url(data, url)
    if name := params.get("q"):
        artist = data.find(name) if slugify(name) in data.by_slug else None
        if artist is not None and artist.name.lower() != " ".join(name.split()).lower():
            artist = None  # names match exactly (case-insensitive), never fuzzily
        body = _resolution(artist, "name", "name")
        if artist is None:
            prefix = slugify(name)[:3]
            cands = [a for a in data.known if a.tier == "unverified" and a.slug.startswith(prefix)]
            if cands:
                body["candidates"] = [
                    {
                        "cluster_id": a.cluster_id,
                        "name": a.name,
                        "tier": "cluster",
                        "distinct_events": 2 + count(a, 40, 50),
                    }
                    for a in cands[:5]
                ]
        return body
    if cluster := params.get("cluster"):
        if not _HEX64.match(cluster):
            raise _bad_locator("cluster", "a 64-hex lowercase cluster_id")
        return _resolution(data.find(cluster), "locator", "cluster", via="cluster")
    if discogs := params.get("discogs"):
        if not discogs.isdigit():
            raise _bad_locator("discogs", "a bare numeric Discogs artist id")
        return _resolution(data.by_discogs.get(int(discogs)), "locator", "discogs")
    if mbid := params.get("mbid"):
        if not _UUID.match(mbid.lower()):
            raise _bad_locator("mbid", "a MusicBrainz artist UUID")
        return _resolution(data.by_mbid.get(mbid.lower()), "locator", "mbid")
    if params.get("isrc") or params.get("artist"):
        body = _resolution(None, "locator", "isrc")
        body["note"] = "No recording in the demo catalogue matches; crate does not know."
        return body
    raise DemoCrateError(
        400,
        "missing_locator",
        "Pass exactly one locator.",
        param="q",
        hint="GET /api/v2/resolve?q=<name>",
    )


def _bad_locator(param: str, what: str) -> DemoCrateError:
    return DemoCrateError(
        400,
        "invalid_locator",
        f"{param}= must be {what}.",
        param=param,
        hint="Fix the format, or fall back to ?q=<name>.",
    )


def _resolve_url(data: DemoCrateData, url: str) -> JSONObject:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = (parts.hostname or "").removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    if host.endswith("discogs.com") and len(segments) >= 2 and segments[-2] == "artist":
        digits = segments[-1].split("-")[0]
        artist = data.by_discogs.get(int(digits)) if digits.isdigit() else None
        return _resolution(artist, "url", "discogs")
    if host.endswith("musicbrainz.org") and len(segments) >= 2:
        return _resolution(data.by_mbid.get(segments[1].lower()), "url", "mbid")
    clean = f"https://{host}{parts.path}".rstrip("/")
    for artist in data.known:
        if clean in {u.replace("www.", "") for u in urls(artist).values()}:
            surface = "bandcamp" if host.endswith("bandcamp.com") else host.split(".")[0]
            return _resolution(artist, "url", surface)
    body = _resolution(None, "url", "url")
    body["note"] = f"crate recognizes {host or 'this link'} but holds no artist bound to it."
    return body


def preview(data: DemoCrateData, query: str) -> JSONObject:
    """The keyless teaser (capped: arc ≤ 6 rows, booked_with ≤ 3)."""
    artist = data.find(query)
    if artist is None:
        return {
            "object": "artist.preview",
            "present": False,
            "note": "No artist by that name, slug or cluster_id; crate does not know.",
        }
    years = 2 + artist.seed % 8
    arc: list[JSONObject] = [
        {
            "year": 2024 - years + i,
            "tier": data.emergence_tier(artist),
            "label": artist.labels[i % len(artist.labels)],
        }
        for i in range(years)
    ]
    return {
        "object": "artist.preview",
        "present": True,
        "display": artist.name,
        "cluster_id": artist.cluster_id,
        "resolved_via": "discogs" if artist.tier == "verified" else "cluster",
        "emergence_tier": data.emergence_tier(artist) if artist.seed % 5 else None,
        "arc": arc[-6:],
        "arc_truncated": len(arc) > 6,
        "booked_with": [n.name for n in data.neighbours(artist, 3)],
        "press_count": count(artist, 11, 30),
        "note": "A capped teaser; use /api/v2/artist/{key} with a key for the dossier.",
        "generated_at": data.generated_at,
    }


def masters(artist: DemoArtist) -> list[JSONObject]:
    rows: list[JSONObject] = []
    for i in range(1 + artist.seed % 3):
        master_id = 1_000_000 + count(artist, 30 + i, 9_000_000)
        quadrant = None if (artist.seed + i) % 5 == 0 else f"{(artist.seed >> i) % 8:03b}"
        rows.append(
            {
                "master_id": master_id,
                "title": f"{STYLES[(artist.seed + i) % len(STYLES)]} Sessions {i + 1}",
                "artist": artist.name,
                "year": 2005 + count(artist, 50 + i, 20),
                "cube_quadrant": quadrant,
                "owner_count": count(artist, 60 + i, 900) if quadrant else None,
                "dj_count": count(artist, 70 + i, 90) if quadrant else None,
                "critic_count": count(artist, 80 + i, 9) if quadrant else None,
                "formats": ["Vinyl", "File"][: 1 + i % 2],
                "link_to_cube": f"https://crate.hosaka.fm/cube?master={master_id}",
                "artist_cluster_id": artist.cluster_id if artist.tier == "verified" else None,
            }
        )
    return rows


def search(data: DemoCrateData, q: str | None, limit: int, offset: int) -> JSONObject:
    if not q or not q.strip():
        raise DemoCrateError(
            400,
            "invalid_query",
            "?q= is missing or empty.",
            param="q",
            hint="Pass ?q=<text>.",
            details=[{"path": ["q"], "message": "Required"}],
        )
    needle = q.strip().lower()
    rows = [
        row
        for a in data.known
        for row in masters(a)
        if needle in str(row["artist"]).lower() or needle in str(row["title"]).lower()
    ]
    page = rows[offset : offset + limit]
    genres: dict[str, int] = {}
    for row in rows:
        genres[str(row["title"]).split()[0]] = genres.get(str(row["title"]).split()[0], 0) + 1
    total_pages = (len(rows) + limit - 1) // limit if rows else 0
    return {
        "query": {"q": q.strip(), "filters": []},
        "pagination": {
            "page": offset // limit + 1,
            "total_pages": total_pages,
            "total_results": len(rows),
            "total_results_mode": "exact",
        },
        "facets": {"style": genres},
        "freshness": {"ridden_lag_s": 120, "mirror_lag_s": None},
        "results": page,
    }
