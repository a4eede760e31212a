"""Pydantic models of the crate v2 API (the spec is ``crate-openapi.json``, v2.47).

Two rules shape every model here:

* **Honest gaps stay gaps.** crate answers HTTP 200 with ``present: false``, ``identity: null``,
  ``cluster_id: null`` or ``state: "honest_gap"`` when it does not know. Those arrive as
  ``None`` / flags and are never replaced by a default that looks like data (no ``0``, no
  ``""``). Callers ask :pyattr:`ArtistDossier.known` instead of guessing.
* **Tolerant of growth.** Unknown fields are kept (``extra="allow"``), so a newer crate never
  breaks the app; facets the app does not read are kept as generic :class:`Facet` objects.

Wire names are kept as aliases (top level snake_case, inner objects camelCase); dump with
``by_alias=True`` to get crate's JSON back. The contract tests walk these models against the
spec's schemas, so a renamed or missing field shows up as a failing test.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.alias_generators import to_camel

ResolvedVia = Literal["discogs", "cluster"]


class CrateModel(BaseModel):
    """Base: keeps unknown fields, accepts both wire names and Python names."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class CamelModel(CrateModel):
    """Inner crate objects use camelCase on the wire."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel)


class Facet(CrateModel):
    """A dossier facet the app does not read field by field; ``state`` says if it is known."""

    state: str
    signals: JsonValue = None

    @property
    def is_gap(self) -> bool:
        return self.state != "present" or self.signals is None


# --- /api/v2/resolve -------------------------------------------------------------------------


class Locators(CrateModel):
    """Foreign coordinates of a cluster; every list may be empty, ids may be null."""

    discogs: float | None
    mbid: str | None
    bandcamp: list[str]
    soundcloud: list[str]
    instagram: list[str]
    spotify: list[str]
    youtube: list[str]
    website: list[str]


class ResolveLinks(CrateModel):
    artist: str | None = None
    artist_dossier_by_slug: str | None = None


class ResolveCandidate(CrateModel):
    """An observed-tier (unverified) prefix match offered when a name did not bind."""

    cluster_id: str | None = None
    name: str | None = None
    tier: Literal["cluster"] | None = None
    distinct_events: int | None = None


class IdentityResolution(CrateModel):
    """The answer of ``/resolve``: all-null identity fields mean "crate does not know"."""

    cluster_id: str | None
    slug: str | None
    display: str | None
    locators: Locators
    resolved_via: ResolvedVia | None
    resolved_from: Literal["url", "name", "locator"]
    matched_on: str | None = None
    note: str | None = None
    links: ResolveLinks | None = Field(None, alias="_links")
    candidates: list[ResolveCandidate] | None = None

    @property
    def resolved(self) -> bool:
        return self.cluster_id is not None or self.resolved_via is not None

    @property
    def verified(self) -> bool:
        """Only a Discogs-bound identity is verified; ``cluster`` is observed, not canonical."""
        return self.resolved_via == "discogs"


# --- /api/v2/artist/{key} and /api/v2/dossier/artist/{slug} ----------------------------------


class ArtistIdentity(CamelModel):
    discogs_artist_id: float | None
    cluster_id: str | None
    resolved_via: ResolvedVia
    name: str
    realname: str | None
    profile: str | None
    urls: list[str]
    aliases: list[str]


class Count(CrateModel):
    """``{kind: count, value}`` or ``{kind: suppressed}`` (k-anonymity: value withheld)."""

    kind: Literal["count", "suppressed"]
    value: float | None = None


class BehavioralSignals(CamelModel):
    owner_reach: Count
    wantlist_demand: Count
    collector_coownership: float | None
    community_footprint: float | None
    travels_with: list[JsonValue]
    work_count: float | None
    primary_genre: str | None
    primary_styles: list[str]
    master_count_with_genre: float | None


class BehavioralFacet(CrateModel):
    state: str
    signals: BehavioralSignals | None


class CoBookedArtist(CamelModel):
    """A co-booked neighbour; ``cluster_id`` null means no identity bind (filter, don't guess)."""

    cluster_id: str | None
    discogs_artist_id: int | None
    mbid: str | None
    name: str
    slug: str
    co_event_count: int
    co_venue_count: int
    last_co_at: str | None


class ConnectionsSignals(CrateModel):
    count: float
    related: list[CoBookedArtist]


class ConnectionsFacet(CrateModel):
    state: str
    signals: ConnectionsSignals


class WebLink(CamelModel):
    source: str
    source_subtype: str | None
    url: str
    title: str | None
    description: str | None
    confidence: float | None


class AcrossTheWeb(CrateModel):
    count: float
    links: list[WebLink]


class WebPresenceSignals(CamelModel):
    bandcamp_url: str | None
    soundcloud_url: str | None
    instagram_url: str | None
    website_url: str | None
    discogs_artist_id_claimed: float | None
    ra_status: str | None
    follower_count: float | None
    country: str | None
    first_event_at: str | None
    spotify_url: str | None
    youtube_url: str | None
    lastfm_url: str | None


class WebPresenceFacet(CrateModel):
    state: str
    signals: WebPresenceSignals | None


class EmergenceSignals(CamelModel):
    emergence_tier: str
    momentum_tier: str
    emergence_score: float
    momentum_score: float
    establishment_delta: float
    events_recent: float
    is_fresh_breakout: bool
    is_unsigned: bool


class EmergenceFacet(CrateModel):
    state: str
    signals: EmergenceSignals | None


class FactsFacet(CrateModel):
    """Wikidata facts (optional facet); ``recordLabels`` names the artist's labels."""

    state: str
    signals: dict[str, JsonValue] | None

    @property
    def record_labels(self) -> list[str]:
        labels = (self.signals or {}).get("recordLabels")
        return [str(x) for x in labels] if isinstance(labels, list) else []


class ArtworkItem(CrateModel):
    """A hotlink only (``rehost`` is always false): the image may be gone; show it gracefully."""

    url: str
    source: Literal["bandcamp", "coverartarchive"]
    grain: Literal["artist", "release"]
    license: str
    rehost: bool = False
    width: int | None = None
    height: int | None = None


class ArtworkFacet(CrateModel):
    state: str
    items: list[ArtworkItem]


class BandcampReleaseSummary(CrateModel):
    """``bandcamp_item_id`` is an opaque string (a bigint): never turn it into a number."""

    bandcamp_item_id: str
    artist: str | None
    title: str | None
    release_date: str | None
    source_url: str | None
    tags: list[str]
    label: dict[str, JsonValue] | None


class BandcampReleasesFacet(CrateModel):
    state: str
    releases: list[BandcampReleaseSummary]


class ProvenanceEntry(CamelModel):
    field: str
    producer: str
    source_table: str
    refresh_cadence: str
    tier: str
    honest_gap_state: str
    detail_anchor: str | None = None


class ArtistDossier(CrateModel):
    """The artist dossier. Every facet is optional because ``?fields=`` trims the answer.

    ``identity is None`` (with HTTP 200) is crate saying it does not know this artist.
    ``resolution`` is filled by the client when it had to resolve the key first.
    """

    contract_version: str | None = None
    grain: Literal["artist"] | None = None
    slug: str | None = None
    display: str | None = None
    id: float | None = None
    cluster_id: str | None = None
    resolved_via: ResolvedVia | None = None
    identity: ArtistIdentity | None = None
    behavioral: BehavioralFacet | None = None
    editorial: Facet | None = None
    across_the_web: AcrossTheWeb | None = None
    journalism: Facet | None = None
    connections: ConnectionsFacet | None = None
    emergence: EmergenceFacet | None = None
    breakout: dict[str, JsonValue] | None = None
    compositions: dict[str, JsonValue] | None = None
    tier_presence: Facet | None = None
    early_demand: Facet | None = None
    bandcamp_emergence: Facet | None = None
    artwork: ArtworkFacet | None = None
    dated_appearance: Facet | None = None
    network_position: Facet | None = None
    airplay_breadth: Facet | None = None
    brokerage: Facet | None = None
    lead_time: Facet | None = None
    bandcamp_tastemaker: Facet | None = None
    live_demand: Facet | None = None
    editorial_attention: Facet | None = None
    web_presence: WebPresenceFacet | None = None
    editorial_canon: Facet | None = None
    discography: Facet | None = None
    provenance: list[ProvenanceEntry] | None = None
    generated_at: str | None = None
    facts: FactsFacet | None = None
    dj_champion: Facet | None = None
    bandcamp_releases: BandcampReleasesFacet | None = None
    resolution: IdentityResolution | None = Field(None, exclude=True)

    @property
    def known(self) -> bool:
        return self.identity is not None


# --- /api/v2/label/{key} and /api/v2/dossier/label/{slug} ------------------------------------


class LabelIdentity(CamelModel):
    discogs_label_id: float | None
    name: str
    parent_label: str | None
    profile: str | None
    urls: list[str]


class LabelBinds(CrateModel):
    discogs_label_id: float | None
    label_mbid: str | None
    bandcamp_url: str | None


class LabelPresence(CrateModel):
    has_discogs: bool
    has_bandcamp: bool
    has_seen_momentum: bool
    has_editorial: bool


class OverMerge(CrateModel):
    discogs_label_id_count: float
    folded: bool


class TravelLinks(CrateModel):
    label: str


class TravellingLabel(CamelModel):
    """A label collected together with this one; ``npmi`` only orders edges."""

    cluster_id: str
    label_name: str | None
    npmi: float
    support: float
    links: TravelLinks = Field(alias="_links")


class LabelTravels(CrateModel):
    state: str
    related: list[TravellingLabel]


class DjMomentumSignals(CamelModel):
    play_count: float
    distinct_djs: float
    distinct_artists: float
    distinct_tracklists: float
    first_played_at: str | None
    last_played_at: str | None
    plays_last_365d: float = Field(alias="playsLast365d")
    velocity: float | None


class DjMomentum(CrateModel):
    """``state: honest_gap`` with null signals means no DJ plays seen, not zero plays."""

    state: str
    signals: DjMomentumSignals | None


class LabelDossier(CrateModel):
    """The label dossier; ``identity is None`` means crate does not know the label."""

    contract_version: str
    grain: Literal["label"]
    slug: str
    display: str
    id: float | None
    cluster_id: str | None
    resolved_via: ResolvedVia | None
    identity: LabelIdentity | None
    binds: LabelBinds | None
    presence: LabelPresence | None
    over_merge: OverMerge | None
    behavioral: Facet
    travels: LabelTravels
    dj_momentum: DjMomentum
    provenance: list[JsonValue]
    generated_at: str

    @property
    def known(self) -> bool:
        return self.identity is not None


# --- /api/v2/preview/artist (keyless) --------------------------------------------------------


class ArcRow(CrateModel):
    year: float
    tier: str
    label: str


class ArtistPreview(CrateModel):
    """The keyless teaser; ``present: false`` carries only a note (the name did not resolve)."""

    object: Literal["artist.preview"]
    present: bool
    note: str
    display: str | None = None
    cluster_id: str | None = None
    resolved_via: ResolvedVia | None = None
    emergence_tier: str | None = None
    arc: list[ArcRow] | None = None
    arc_truncated: bool | None = None
    booked_with: list[str] | None = None
    press_count: float | None = None
    generated_at: str | None = None


# --- errors ----------------------------------------------------------------------------------


class ErrorEnvelope(CrateModel):
    """The body of every crate 4xx/5xx; only ``error`` is guaranteed."""

    error: str
    message: str | None = None
    hint: str | None = None
    doc_url: str | None = None
    param: str | None = None
    next: str | None = None
    details: list[JsonValue] | None = None
    retry_after_seconds: float | None = None
    master_id: float | None = None
