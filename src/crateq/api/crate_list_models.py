"""Pydantic models of crate's list answers: ``/search`` and the discovery lists.

Same rules as :mod:`crateq.api.crate_models` (honest gaps stay ``None``, unknown fields are
kept). Discovery lists are fail-soft snapshots: ``state`` is present / empty / degraded
(degraded is still a 200) and ``stale`` flags a snapshot older than 7 days.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, JsonValue

from crateq.api.crate_models import CamelModel, CrateModel, ResolvedVia

DiscoveryState = Literal["present", "empty", "degraded"]


# --- /api/v2/search --------------------------------------------------------------------------


class SearchFilter(CrateModel):
    facet: str
    value: str | list[str] | float
    mode: Literal["and", "or"] | None = None


class SearchQuery(CrateModel):
    q: str | None = None
    filters: list[SearchFilter]


class Pagination(CrateModel):
    page: int
    total_pages: int | None
    total_results: int
    total_results_mode: Literal["exact", "approximate_50k_sample", "lower_bound"]


class Freshness(CrateModel):
    ridden_lag_s: float | None
    mirror_lag_s: float | None


class ResultRow(CrateModel):
    """A master-grain hit; ``cube_quadrant`` null means not yet classified."""

    master_id: int
    title: str
    artist: str
    year: int | None
    cube_quadrant: str | None
    owner_count: int | None
    dj_count: int | None
    critic_count: int | None
    formats: list[str]
    link_to_cube: str
    artist_cluster_id: str | None = None


class SearchResponse(CrateModel):
    query: SearchQuery
    pagination: Pagination
    facets: dict[str, JsonValue]
    freshness: Freshness
    results: list[ResultRow]


# --- discovery: /api/v2/breakouts, /api/v2/tastemakers[/ones-to-watch] ----------------------


class Location(CrateModel):
    city: str | None
    region: str | None
    country: str | None


class Breakout(CamelModel):
    discogs_artist_id: float
    cluster_id: str | None
    resolved_via: ResolvedVia
    name: str
    slug: str
    emergence_tier: Literal["breakout", "rising"]
    emergence_score: float
    press_count: float
    corroboration: Literal["corroborated", "booking_ahead"]
    location: Location | None


class BreakoutsResponse(CrateModel):
    """Breakouts carry no snapshot date: freshness is unknown, not "fresh"."""

    items: list[Breakout]
    state: DiscoveryState


class _RankedArtist(CamelModel):
    rank: float
    name: str
    discogs_artist_id: float | None
    slug: str | None
    degree: float
    brokerage_score: float | None
    underground_to_booking_days: float | None
    press_to_airplay_days: float | None
    earliest_supported_at: str | None
    demand_coverage: float | None
    owner_reach: float | None
    also_own_degree: float | None


class Tastemaker(_RankedArtist):
    own_tier: Literal["breakout", "rising", "climbing", "steady"]
    emerging_neighbours: float
    pct_emerging: float
    ego_density: float | None


class OneToWatch(_RankedArtist):
    emergence_tier: Literal["breakout", "rising", "climbing", "steady"]
    momentum_tier: Literal["breakout", "rising", "steady", "cooling", "dormant"]
    emergence_score: float
    profile: Literal["network-velocity", "festival-pedigree"]
    culture_forward_festivals: float
    five_factor_score: float | None
    linkable: bool
    co_festival_count: float | None
    co_country_count: float | None
    corroboration_count: float | None
    corroborating_axes: list[str]


class EarlySpinner(CamelModel):
    rank: float
    dj_name: str
    total_masters_played: float
    masters_played_first: float
    masters_played_within7d: float = Field(alias="mastersPlayedWithin7d")
    cutting_edge_score: float
    first_play_at: str | None
    latest_play_at: str | None


class TastemakersResponse(CamelModel):
    leaderboard: list[Tastemaker]
    ones_to_watch: list[OneToWatch]
    early_spinners: list[EarlySpinner]
    snapshot_date: str | None
    state: DiscoveryState
    stale: bool


class OnesToWatchResponse(CamelModel):
    ones_to_watch: list[OneToWatch]
    snapshot_date: str | None
    state: DiscoveryState
    stale: bool
