"""The crate client, service and CLI against the real crate stand-in on 127.0.0.1.

Waits (Retry-After, backoff) go through an injected fake clock, so the retry policy is
exercised for real on the wire without the test ever sleeping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from crateq.api import errors
from crateq.api.crate import CrateClient
from crateq.cli import main
from crateq.core.crate_service import CrateService
from crateq.demo.crate_app import DEMO_API_KEY
from crateq.demo.crate_data import DemoArtist, DemoCrateData
from crateq.demo.crate_server import CrateStandIn

TODAY = dt.date.today()  # the CLI counts a list's age from the real date, as the stand-in


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def server() -> Iterator[CrateStandIn]:
    with CrateStandIn(today=TODAY) as stand_in:
        yield stand_in


@pytest.fixture
def crate(server: CrateStandIn) -> Iterator[CrateStandIn]:
    """The stand-in, well-behaved and with an empty request log, for one test."""
    server.control.reset()
    yield server
    server.control.reset()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(crate: CrateStandIn, clock: FakeClock) -> CrateClient:
    return CrateClient(crate.url, crate.api_key, sleep=clock.sleep, clock=clock)


def data(crate: CrateStandIn) -> DemoCrateData:
    return crate.app.state.data  # type: ignore[no-any-return]


def artist_where(crate: CrateStandIn, **want: Any) -> DemoArtist:
    for artist in data(crate).artists:
        if all(getattr(artist, k) == v for k, v in want.items()):
            return artist
    raise LookupError(want)


@pytest.fixture
def cli(
    crate: CrateStandIn, clock: FakeClock, crateq_home: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    """The real `crateq` command on the stand-in (URL and key from the env overrides)."""
    monkeypatch.setenv("CRATEQ_CRATE_URL", crate.url)
    monkeypatch.setenv("CRATEQ_CRATE_API_KEY", crate.api_key)
    original = CrateService.from_settings.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        CrateService,
        "from_settings",
        classmethod(lambda cls, **kw: original(cls, sleep=clock.sleep, clock=clock, **kw)),
    )
    return CliRunner()


async def test_locator_keys_are_resolved_before_the_artist_is_fetched(
    crate: CrateStandIn, client: CrateClient
) -> None:
    artist = artist_where(crate, tier="verified")
    dossier = await client.artist(f"discogs:{artist.discogs_id}")
    assert crate.control.requests == ["/api/v2/resolve", f"/api/v2/artist/{artist.cluster_id}"]
    assert dossier.known and dossier.identity is not None
    assert dossier.identity.name == artist.name
    assert dossier.resolution is not None and dossier.resolution.verified


async def test_an_unknown_locator_is_an_honest_gap_after_one_request(
    crate: CrateStandIn, client: CrateClient
) -> None:
    dossier = await client.artist("discogs:1")
    assert crate.control.requests == ["/api/v2/resolve"]
    assert dossier.known is False and dossier.cluster_id is None


async def test_an_unknown_slug_is_200_with_identity_null(client: CrateClient) -> None:
    dossier = await client.artist("nobody-crate-has-heard-of")
    assert dossier.known is False and dossier.resolved_via is None
    assert dossier.behavioral is not None and dossier.behavioral.signals is None


async def test_invalid_fields_is_a_typed_error_with_the_valid_set(client: CrateClient) -> None:
    with pytest.raises(errors.CrateInvalidFields) as caught:
        await client.artist("some-artist", fields=["identity", "horoscope"])
    assert caught.value.status == 400 and "identity" in caught.value.valid
    assert "horoscope" in str(caught.value)


async def test_fields_trims_the_dossier(crate: CrateStandIn, client: CrateClient) -> None:
    artist = artist_where(crate, tier="verified")
    dossier = await client.artist(artist.cluster_id, fields=["identity"])
    assert dossier.identity is not None and dossier.connections is None


async def test_no_key_means_no_request(crate: CrateStandIn) -> None:
    async with CrateClient(crate.url, None) as keyless:
        with pytest.raises(errors.CrateKeyMissing):
            await keyless.artist_dossier("anyone")
        assert crate.control.requests == []
        preview = await keyless.preview_artist(artist_where(crate, tier="verified").name)
    assert preview.present and crate.control.requests == ["/api/v2/preview/artist"]


async def test_a_rejected_key_is_an_auth_error(crate: CrateStandIn) -> None:
    async with CrateClient(crate.url, "ck_test_wrong") as wrong:
        with pytest.raises(errors.CrateAuthError) as caught:
            await wrong.breakouts()
    assert caught.value.code == "unauthorized" and caught.value.status == 401


async def test_429_with_retry_after_seconds_is_waited_out(
    crate: CrateStandIn, client: CrateClient, clock: FakeClock
) -> None:
    crate.control.set_fault("429", count=1, retry_after=3)
    resolution = await client.resolve(artist_where(crate, tier="verified").name)
    assert resolution.verified
    assert clock.waits == [3] and len(crate.control.requests) == 2
    assert client.last_rate_limit is not None and client.last_rate_limit.limit == 1000


async def test_exhausted_rate_limit_surfaces_after_bounded_retries(
    crate: CrateStandIn, client: CrateClient, clock: FakeClock
) -> None:
    crate.control.rate_limit = 1
    await client.tastemakers(limit=1)
    assert client.last_rate_limit is not None and client.last_rate_limit.remaining == 0
    with pytest.raises(errors.CrateRateLimited) as caught:
        await client.tastemakers(limit=1)
    assert len(clock.waits) == 2 and caught.value.retry_after is not None
    assert len(crate.control.requests) == 4


@pytest.mark.parametrize(
    ("mode", "words"), [("503", "Database pool exhausted"), ("504", "deadline")]
)
async def test_503_and_504_surface_clearly_after_two_retries(
    crate: CrateStandIn, client: CrateClient, clock: FakeClock, mode: str, words: str
) -> None:
    crate.control.set_fault(mode)  # type: ignore[arg-type]
    with pytest.raises(errors.CrateUnavailable) as caught:
        await client.breakouts()
    assert words in str(caught.value) and caught.value.status == int(mode)
    assert len(crate.control.requests) == 3 and clock.waits == [1.0, 2.0]


async def test_a_transient_503_is_retried_to_success(
    crate: CrateStandIn, client: CrateClient, clock: FakeClock
) -> None:
    crate.control.set_fault("503", count=2)
    listing = await client.breakouts(limit=2)
    assert listing.state == "present" and len(listing.items) == 2 and clock.waits == [1.0, 2.0]


async def test_bodies_that_are_not_crate_json_give_clear_errors(
    crate: CrateStandIn, client: CrateClient
) -> None:
    crate.control.set_fault("html")
    with pytest.raises(errors.CrateUnavailable, match="text/html"):
        await client.resolve("x")
    crate.control.set_fault("garbage")
    with pytest.raises(errors.CrateProtocolError):
        await client.resolve("x")


async def test_artist_card_of_a_verified_artist(crate: CrateStandIn, client: CrateClient) -> None:
    artist = next(a for a in data(crate).artists if a.tier == "verified" and a.mbid)
    card = await CrateService(client).artist_card(artist.name)
    assert card.known and card.verification == "verified" and card.resolved_from == "name"
    assert card.labels is not None and [x.name for x in card.labels] == artist.labels[:3]
    assert all(x.known for x in card.labels)
    assert card.travels_with and card.co_booked and card.links


async def test_artist_card_keeps_unverified_and_unknown_apart(
    crate: CrateStandIn, client: CrateClient
) -> None:
    service = CrateService(client)
    unverified = await service.artist_card(artist_where(crate, tier="unverified").name)
    assert unverified.known and unverified.verification == "unverified"
    assert unverified.labels is None  # crate has no label facts for it: not known, not "none"
    unknown = await service.artist_card(artist_where(crate, tier="unknown").name)
    assert not unknown.known and unknown.verification == "not known"
    assert unknown.labels is None and unknown.links is None and unknown.travels_with is None


def test_cli_says_not_known_for_an_honest_gap(crate: CrateStandIn, cli: CliRunner) -> None:
    name = artist_where(crate, tier="unknown").name
    result = cli.invoke(main, ["artist", name])
    assert result.exit_code == 0, result.output
    assert f"{name}: not known to crate" in result.output
    result = cli.invoke(main, ["artist", name, "--json"])
    assert result.exit_code == 0 and '"known": false' in result.output


def test_cli_artist_card_shows_tier_labels_momentum_and_neighbours(
    crate: CrateStandIn, cli: CliRunner
) -> None:
    artist = next(a for a in data(crate).artists if a.tier == "verified" and a.mbid)
    result = cli.invoke(main, ["artist", f"discogs:{artist.discogs_id}"])
    assert result.exit_code == 0, result.output
    assert f"{artist.name} — verified" in result.output
    assert "resolved from locator" in result.output
    assert "DJ plays in the last 365 days" in result.output or "not known" in result.output
    assert "Travels with: " in result.output and "Co-booked with: " in result.output
    unverified = artist_where(crate, tier="unverified")
    result = cli.invoke(main, ["artist", unverified.name])
    assert "unverified" in result.output and "Top labels: not known" in result.output


def test_cli_reports_503_after_retries_on_stderr(crate: CrateStandIn, cli: CliRunner) -> None:
    crate.control.set_fault("503")
    result = cli.invoke(main, ["artist", "Anyone"])
    assert result.exit_code == 1
    assert "Database pool exhausted" in result.stderr and len(crate.control.requests) == 3


def test_cli_without_a_key_fails_without_a_request(
    crate: CrateStandIn, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRATEQ_CRATE_API_KEY")
    result = cli.invoke(main, ["discover", "breakouts"])
    assert result.exit_code == 1 and "No crate API key" in result.stderr
    assert crate.control.requests == []
    assert cli.invoke(main, ["artist", " "]).exit_code == 2


def test_cli_discover_says_stale_degraded_and_empty_plainly(
    crate: CrateStandIn, cli: CliRunner
) -> None:
    stale = cli.invoke(main, ["discover", "tastemakers", "--limit", "3"])
    snapshot = (TODAY - dt.timedelta(days=12)).isoformat()  # the stand-in's stale list
    assert stale.exit_code == 0 and f"Stale: snapshot of {snapshot} (12 days old" in stale.output
    degraded = cli.invoke(main, ["discover", "ones-to-watch"])
    assert degraded.exit_code == 0 and "could not read this list right now" in degraded.output
    crate.control.modes["breakouts"] = "empty"
    empty = cli.invoke(main, ["discover", "breakouts", "--json"])
    assert empty.exit_code == 0 and '"state": "empty"' in empty.output
    crate.control.modes["tastemakers"] = "present"
    fresh = cli.invoke(main, ["discover", "tastemakers", "--limit", "2"])
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    assert f"Fresh: snapshot of {yesterday} (1 day old)" in fresh.output
    assert cli.invoke(main, ["discover", "charts"]).exit_code == 2


def test_the_demo_cluster_serves_the_crate_stand_in(tmp_path: Path) -> None:
    """`crateq demo serve` prints `READY crate <url> <key>` through this registration."""
    import httpx

    from crateq.demo.catalog import DEMO_POOLS
    from crateq.demo.cluster import DemoCluster, default_extra_apps

    assert [name for name, _ in default_extra_apps()] == ["crate"]
    cluster = DemoCluster(
        catalog_size=20, specs=DEMO_POOLS[:1], extra_apps=default_extra_apps(), media_dir=tmp_path
    )
    with cluster:
        url = cluster.extras["crate"].url
        assert cluster.extras["crate"].api_key == DEMO_API_KEY
        answer = httpx.get(f"{url}api/v2/preview/artist", params={"q": "Nobody Known"})
    assert answer.status_code == 200 and answer.json()["present"] is False


def test_cli_accepts_a_crate_slug_as_key(crate: CrateStandIn, cli: CliRunner) -> None:
    artist = next(a for a in data(crate).artists if a.tier == "verified" and "-" in a.slug)
    result = cli.invoke(main, ["artist", artist.slug])
    assert result.exit_code == 0, result.output
    assert f"{artist.name} — verified" in result.output and "resolved from slug" in result.output
    unknown = cli.invoke(main, ["artist", "no-such-slug-anywhere"])
    assert unknown.exit_code == 0 and "not known to crate" in unknown.output


def test_an_unresolved_name_offers_unverified_candidates(
    crate: CrateStandIn, cli: CliRunner
) -> None:
    unverified = artist_where(crate, tier="unverified")
    query = f"{unverified.slug[:3]}zzz nobody"
    result = cli.invoke(main, ["artist", query, "--json"])
    assert result.exit_code == 0 and '"known": false' in result.output
    assert unverified.name in result.output
    text = cli.invoke(main, ["artist", query])
    assert "Unverified candidates: " in text.output and unverified.name in text.output
