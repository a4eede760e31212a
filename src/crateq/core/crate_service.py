"""Artist intelligence for the app: crate's answers flattened into view models (no Qt).

The GUI's artist card and discovery panel and the CLI's ``artist`` / ``discover`` commands
all call :class:`CrateService`. What they may rely on:

* :meth:`CrateService.artist_card` never turns "crate does not know" into an error or a
  made-up value: such parts are ``None`` (shown as "not known"), ``known`` is False for an
  artist crate cannot identify, and ``verification`` separates verified (Discogs-bound) from
  unverified (observed in the booking graph) identities.
* :meth:`CrateService.discovery` says how fresh a list is in one plain sentence (stale
  after 7 days; a degraded or empty list is said as such, never padded).
* Failures are ``crateq.api.errors`` exceptions, raised as they come from the client,
  except a label's DJ-momentum lookup, whose failure stays on that label's row.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import os
import re
from typing import TYPE_CHECKING, Literal, Unpack

from pydantic import BaseModel, Field

from crateq.api.crate import CrateClient
from crateq.api.crate_models import ArtistDossier, IdentityResolution, LabelDossier
from crateq.api.errors import CrateError, CrateInputError, CrateProtocolError

if TYPE_CHECKING:
    from crateq.api.crate import CrateClientOptions
    from crateq.core.secrets import SecretStore

DiscoveryKind = Literal["breakouts", "tastemakers", "ones-to-watch"]
DISCOVERY_KINDS: tuple[DiscoveryKind, ...] = ("breakouts", "tastemakers", "ones-to-watch")
STALE_AFTER_DAYS = 7
MAX_LABELS = 3
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
_PRESENCE = (
    ("bandcamp", "bandcampUrl"),
    ("soundcloud", "soundcloudUrl"),
    ("instagram", "instagramUrl"),
    ("website", "websiteUrl"),
    ("spotify", "spotifyUrl"),
    ("youtube", "youtubeUrl"),
    ("lastfm", "lastfmUrl"),
)


class Neighbour(BaseModel):
    """Another artist next to this one; ``cluster_id`` None means crate holds no bind for it."""

    name: str
    slug: str | None = None
    cluster_id: str | None = None
    strength: float | None = None


class PresenceLink(BaseModel):
    kind: str
    url: str


class LabelMomentum(BaseModel):
    """One of the artist's labels and its DJ momentum; None values are "not known"."""

    name: str
    known: bool
    plays_last_365d: float | None = None
    velocity: float | None = None
    error: str | None = None


class ArtistCard(BaseModel):
    """What the artist card shows. ``None`` on a field means crate does not know it."""

    query: str
    known: bool
    name: str | None = None
    verification: Literal["verified", "unverified", "not known"] = "not known"
    resolved_from: str | None = None
    matched_on: str | None = None
    note: str | None = None
    cluster_id: str | None = None
    slug: str | None = None
    labels: list[LabelMomentum] | None = None
    links: list[PresenceLink] | None = None
    momentum_tier: str | None = None
    travels_with: list[Neighbour] | None = None
    co_booked: list[Neighbour] | None = None
    candidates: list[Neighbour] = Field(default_factory=list)


class DiscoveryEntry(BaseModel):
    rank: int
    name: str
    slug: str | None = None
    cluster_id: str | None = None
    tier: str | None = None
    score: float | None = None
    verified: bool | None = None


class DiscoveryList(BaseModel):
    """A discovery list with its condition: ``state``, ``stale`` and a plain ``freshness``."""

    kind: DiscoveryKind
    state: Literal["present", "empty", "degraded"]
    stale: bool
    snapshot_date: str | None
    age_days: int | None
    freshness: str
    entries: list[DiscoveryEntry]


def slugify(name: str) -> str:
    """crate's name-slug form (``/api/v2/label/warp``)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class CrateService:
    """Artist cards and discovery lists over one :class:`CrateClient` (passed in)."""

    def __init__(self, client: CrateClient) -> None:
        self.client = client

    @classmethod
    def from_settings(
        cls,
        *,
        secret_store: SecretStore | None = None,
        **client_options: Unpack[CrateClientOptions],
    ) -> CrateService:
        """URL from settings (``CRATEQ_CRATE_URL`` overrides), key from ``secret_store`` (the
        keyring by default; ``CRATEQ_CRATE_API_KEY`` overrides); a missing key fails on the
        first keyed call."""
        from crateq.core.secrets import SecretStore, config_secret
        from crateq.core.settings import load_settings

        url = os.environ.get("CRATEQ_CRATE_URL") or load_settings().crate.url
        store = secret_store or SecretStore()
        key = os.environ.get("CRATEQ_CRATE_API_KEY") or store.get(config_secret("crate.api_key"))
        return cls(CrateClient(url, key, **client_options))

    async def aclose(self) -> None:
        await self.client.aclose()

    # --- artist card -----------------------------------------------------------------------

    async def artist_card(self, query: str) -> ArtistCard:
        """Resolve what the user typed, then compose the card from the artist dossier."""
        resolution = await self.client.resolve(query)
        card = ArtistCard(
            query=query.strip(),
            known=False,
            resolved_from=resolution.resolved_from,
            matched_on=resolution.matched_on,
            note=resolution.note,
            candidates=[
                Neighbour(name=c.name, cluster_id=c.cluster_id)
                for c in resolution.candidates or []
                if c.name
            ],
        )
        target = resolution.cluster_id or resolution.slug
        if target is not None:
            dossier = await self._dossier(target)
            return card if dossier.identity is None else await self._fill(card, resolution, dossier)
        if _SLUG.match(card.query):  # a crate slug is not a name: /resolve?q= cannot find it
            dossier = await self.client.artist(card.query)
            if dossier.identity is not None:
                card.resolved_from = card.matched_on = "slug"
                return await self._fill(card, None, dossier)
        return card

    async def _dossier(self, key: str) -> ArtistDossier:
        """The dossier of a key crate itself gave; a key the client refuses (empty, too long)
        is crate's fault, not a bad input from the user."""
        try:
            return await self.client.artist(key)
        except CrateInputError as exc:
            raise CrateProtocolError(
                "crate resolved the artist to a key CrateQ cannot look up.",
                code="unusable_key",
            ) from exc

    async def _fill(
        self, card: ArtistCard, resolution: IdentityResolution | None, dossier: ArtistDossier
    ) -> ArtistCard:
        identity = dossier.identity
        assert identity is not None
        card.known = True
        card.name = identity.name
        tier = resolution.resolved_via if resolution is not None else dossier.resolved_via
        card.verification = "verified" if tier == "discogs" else "unverified"
        card.cluster_id = dossier.cluster_id or (resolution.cluster_id if resolution else None)
        card.slug = dossier.slug or (resolution.slug if resolution else None)
        card.links = _links(dossier, resolution)
        emergence = dossier.emergence
        if emergence is not None and emergence.signals is not None:
            card.momentum_tier = emergence.signals.momentum_tier
        card.travels_with = _travels_with(dossier)
        connections = dossier.connections
        if connections is not None and connections.state == "present":
            card.co_booked = [
                Neighbour(
                    name=r.name,
                    slug=r.slug,
                    cluster_id=r.cluster_id,
                    strength=_number(r.co_event_count),
                )
                for r in connections.signals.related
            ]
        facts = dossier.facts
        if facts is not None and facts.state == "present" and facts.signals is not None:
            names = facts.record_labels[:MAX_LABELS]
            card.labels = list(await asyncio.gather(*(self._label(n) for n in names)))
        return card

    async def _label(self, name: str) -> LabelMomentum:
        try:
            dossier: LabelDossier = await self.client.label(slugify(name) or name)
        except CrateError as exc:
            return LabelMomentum(name=name, known=False, error=str(exc))
        momentum = dossier.dj_momentum.signals
        return LabelMomentum(
            name=dossier.identity.name if dossier.identity else name,
            known=dossier.known,
            plays_last_365d=momentum.plays_last_365d if momentum else None,
            velocity=momentum.velocity if momentum else None,
        )

    # --- discovery -------------------------------------------------------------------------

    async def discovery(
        self, kind: DiscoveryKind, *, limit: int | None = None, today: dt.date | None = None
    ) -> DiscoveryList:
        today = today or dt.date.today()
        if kind == "breakouts":
            breakouts = await self.client.breakouts(limit=limit)
            entries = [
                DiscoveryEntry(
                    rank=i + 1,
                    name=b.name,
                    slug=b.slug,
                    cluster_id=b.cluster_id,
                    tier=b.emergence_tier,
                    score=b.emergence_score,
                    verified=b.resolved_via == "discogs",
                )
                for i, b in enumerate(breakouts.items)
            ]
            return _listing(kind, breakouts.state, False, None, entries, today)
        if kind == "tastemakers":
            tm = await self.client.tastemakers(limit=limit)
            entries = [
                DiscoveryEntry(
                    rank=_rank(t.rank, i),
                    name=t.name,
                    slug=t.slug,
                    tier=t.own_tier,
                    score=t.brokerage_score,
                )
                for i, t in enumerate(tm.leaderboard)
            ]
            return _listing(kind, tm.state, tm.stale, tm.snapshot_date, entries, today)
        if kind == "ones-to-watch":
            otw = await self.client.ones_to_watch(limit=limit)
            entries = [
                DiscoveryEntry(
                    rank=_rank(o.rank, i),
                    name=o.name,
                    slug=o.slug,
                    tier=o.emergence_tier,
                    score=o.emergence_score,
                )
                for i, o in enumerate(otw.ones_to_watch)
            ]
            return _listing(kind, otw.state, otw.stale, otw.snapshot_date, entries, today)
        raise ValueError(f"unknown discovery list {kind!r}")


def _number(value: object) -> float | None:
    """A count or strength crate sent as a finite float; None ("not known") for anything
    else, a number too big for a float or infinity among them."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _rank(value: float, index: int) -> int:
    """crate's rank as a whole number; the list position (from 1) when it is not one."""
    number = _number(value)
    return int(number) if number is not None and abs(number) < 1e15 else index + 1


def _links(
    dossier: ArtistDossier, resolution: IdentityResolution | None
) -> list[PresenceLink] | None:
    presence = dossier.web_presence
    if presence is not None and presence.signals is not None:
        values = presence.signals.model_dump(by_alias=True)
        return [PresenceLink(kind=k, url=values[f]) for k, f in _PRESENCE if values.get(f)]
    if resolution is None:
        return None
    locators = resolution.locators.model_dump()
    found = [
        PresenceLink(kind=kind, url=url)
        for kind in ("bandcamp", "soundcloud", "instagram", "website", "spotify", "youtube")
        for url in locators.get(kind) or []
    ]
    return found or None  # no presence crate can see: not known, not "none"


def _travels_with(dossier: ArtistDossier) -> list[Neighbour] | None:
    behavioral = dossier.behavioral
    if behavioral is None or behavioral.signals is None:
        return None
    out: list[Neighbour] = []
    for item in behavioral.signals.travels_with:  # untyped in the spec: read defensively
        if isinstance(item, str) and item.strip():
            out.append(Neighbour(name=item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            strength = item.get("sharedCollectors")
            out.append(
                Neighbour(
                    name=item["name"],
                    slug=item.get("slug") if isinstance(item.get("slug"), str) else None,
                    cluster_id=item.get("clusterId")
                    if isinstance(item.get("clusterId"), str)
                    else None,
                    strength=_number(strength),
                )
            )
    return out


def _listing(
    kind: DiscoveryKind,
    state: Literal["present", "empty", "degraded"],
    stale_flag: bool,
    snapshot: str | None,
    entries: list[DiscoveryEntry],
    today: dt.date,
) -> DiscoveryList:
    age: int | None = None
    if snapshot:
        try:
            age = (today - dt.date.fromisoformat(snapshot[:10])).days
        except ValueError:
            age = None
    stale = stale_flag or (age is not None and age > STALE_AFTER_DAYS)
    if state == "degraded":
        freshness = "crate could not read this list right now (degraded); nothing is shown."
    elif state == "empty" or not entries:
        freshness = "crate has no entries in this list right now."
    elif snapshot is None:
        freshness = "crate gives no snapshot date for this list: freshness not known."
    else:
        days = "age not known" if age is None else f"{age} day{'s' if age != 1 else ''} old"
        freshness = (
            f"Stale: snapshot of {snapshot} ({days}; lists older than {STALE_AFTER_DAYS} days "
            "are stale)."
            if stale
            else f"Fresh: snapshot of {snapshot} ({days})."
        )
    return DiscoveryList(
        kind=kind,
        state=state,
        stale=stale,
        snapshot_date=snapshot,
        age_days=age,
        freshness=freshness,
        entries=entries,
    )
