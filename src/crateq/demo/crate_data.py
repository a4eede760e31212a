"""Deterministic crate data for the stand-in, built from the demo pools' artists.

Every value is derived from a SHA-256 of the artist's name, so the same name always gets the
same cluster id, tier and signals on every machine and every run. The mix is chosen so the
app meets every honest state crate has: verified (Discogs-bound) artists, unverified
(``cluster``) artists, and artists crate does not know at all (200 with nulls).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from crateq.api.json_types import JSONObject

Tier = Literal["verified", "unverified", "unknown"]

CONTRACT_VERSION = "2.47.0"
LABEL_NAMES = (
    "Night Shift Audio",
    "Velvet Room Records",
    "Subterrain",
    "Low Tide Music",
    "Paper Dolls",
    "Concrete Bloom",
    "Afterglow Imprint",
    "North Quarter",
    "Solid Air",
    "Brass Lantern",
    "Midnight Ferry",
    "Tessellate",
)
GAP_LABEL = "Tessellate"  # known label whose DJ momentum crate has not seen (honest_gap)
CITIES = (
    ("Berlin", "Berlin", "DE"),
    ("Detroit", "Michigan", "US"),
    ("London", None, "GB"),
    ("Lagos", "Lagos", "NG"),
    ("Tokyo", None, "JP"),
    (None, None, "NL"),
)


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed"


def cluster_id_for(name: str) -> str:
    """A stable 64-hex id from the normalized name (what crate's pe-norm-v1 does, in spirit)."""
    return hashlib.sha256(f"pe-norm-v1:{slugify(name)}".encode()).hexdigest()


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def _pick(seed: int, n: int, salt: int = 0) -> int:
    return ((seed >> (salt * 5)) ^ (seed * (salt + 7))) % n


@dataclass(frozen=True)
class DemoArtist:
    """One artist as crate's stand-in knows it; ``tier`` decides how much it knows."""

    name: str
    seed: int

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def cluster_id(self) -> str:
        return cluster_id_for(self.name)

    @property
    def tier(self) -> Tier:
        bucket = self.seed % 10
        return "verified" if bucket < 5 else "unverified" if bucket < 8 else "unknown"

    @property
    def discogs_id(self) -> int | None:
        return 100_000 + self.seed % 8_000_000 if self.tier == "verified" else None

    @property
    def mbid(self) -> str | None:
        if self.tier != "verified" or self.seed % 3 == 0:
            return None
        return str(uuid.UUID(int=self.seed * 2654435761 % (1 << 128), version=4))

    @property
    def labels(self) -> list[str]:
        count = 1 + _pick(self.seed, 3, 1)
        first = _pick(self.seed, len(LABEL_NAMES), 2)
        return [LABEL_NAMES[(first + 5 * i) % len(LABEL_NAMES)] for i in range(count)]


class DemoCrateData:
    """The stand-in's whole world: artists by slug / cluster id / Discogs id, labels, lists."""

    def __init__(self, names: list[str], today: dt.date) -> None:
        seen: dict[str, DemoArtist] = {}
        for name in names:
            clean = " ".join(name.split())
            if clean and slugify(clean) not in seen:
                seen[slugify(clean)] = DemoArtist(clean, _digest("crate-demo", clean))
        self.artists: list[DemoArtist] = sorted(seen.values(), key=lambda a: a.slug)
        self.by_slug = seen
        self.by_cluster = {a.cluster_id: a for a in self.artists}
        self.by_discogs = {a.discogs_id: a for a in self.artists if a.discogs_id is not None}
        self.by_mbid = {a.mbid: a for a in self.artists if a.mbid is not None}
        self.today = today
        self.generated_at = f"{today.isoformat()}T06:00:00Z"

    # --- lookups: only artists crate "knows" (verified or unverified) are found -------------

    @cached_property
    def known(self) -> list[DemoArtist]:
        return [a for a in self.artists if a.tier != "unknown"]

    def find(self, key: str) -> DemoArtist | None:
        artist = self.by_cluster.get(key) or self.by_slug.get(slugify(key))
        return artist if artist is not None and artist.tier != "unknown" else None

    def neighbours(self, artist: DemoArtist, count: int) -> list[DemoArtist]:
        """Deterministic co-booked / travels-with neighbours (never the artist itself)."""
        pool = [a for a in self.known if a is not artist]
        if not pool:
            return []
        start = artist.seed % len(pool)
        step = 1 + artist.seed % 7 if len(pool) > 7 else 1
        picked: list[DemoArtist] = []
        for i in range(len(pool)):
            candidate = pool[(start + i * step) % len(pool)]
            if candidate not in picked:
                picked.append(candidate)
            if len(picked) == count:
                break
        return picked

    def date_ago(self, days: int) -> str:
        return (self.today - dt.timedelta(days=days)).isoformat()

    # --- labels -----------------------------------------------------------------------------

    def label(self, key: str) -> str | None:
        """The label name for a slug or label cluster id; None when crate does not know it."""
        for name in LABEL_NAMES:
            if key in (slugify(name), cluster_id_for(f"label:{name}")):
                return name
        return None

    def roster(self, label: str) -> list[DemoArtist]:
        return [a for a in self.known if label in a.labels]

    # --- discovery --------------------------------------------------------------------------

    def emergence_tier(self, artist: DemoArtist) -> str:
        return ("breakout", "rising", "climbing", "steady")[_pick(artist.seed, 4, 3)]

    def momentum_tier(self, artist: DemoArtist) -> str:
        return ("breakout", "rising", "steady", "cooling", "dormant")[_pick(artist.seed, 5, 4)]

    def location(self, artist: DemoArtist) -> JSONObject | None:
        if artist.seed % 11 == 0:
            return None  # crate does not know where this artist is based
        city, region, country = CITIES[_pick(artist.seed, len(CITIES), 5)]
        return {"city": city, "region": region, "country": country}


def score(artist: DemoArtist, salt: int, top: float = 1.0) -> float:
    """A stable pseudo-random number in [0, top) with 3 decimals."""
    return round((_digest(str(salt), artist.name) % 100_000) / 100_000 * top, 3)


def count(artist: DemoArtist, salt: int, top: int) -> int:
    return _digest(str(salt), artist.name) % top
