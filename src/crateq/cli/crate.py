"""``crateq artist`` and ``crateq discover``: crate's artist intelligence on the command line.

An artist crate does not know is an answer, not a failure: it prints "not known" and exits 0.
Errors (no key, crate unreachable, rate-limited after retries) are one line on stderr, exit 1;
an empty argument is a usage error, exit 2. ``--json`` prints the same view models the GUI uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from crateq.api.errors import CrateInputError
from crateq.cli._common import LazyChoice, cli_errors, cli_services, print_json, print_table, run

# The crate service (its client, httpx, the pydantic models) loads when a command runs or
# its choices are checked, not for `crateq --help`.
if TYPE_CHECKING:
    from crateq.core.crate_service import (
        ArtistCard,
        CrateService,
        DiscoveryKind,
        DiscoveryList,
        LabelMomentum,
        Neighbour,
    )

T = TypeVar("T")
NOT_KNOWN = "not known"
_VERIFICATION = {
    "verified": "verified (bound to Discogs)",
    "unverified": "unverified (seen in the booking graph, no Discogs bind)",
    "not known": NOT_KNOWN,
}


def _discovery_kinds() -> tuple[DiscoveryKind, ...]:
    from crateq.core.crate_service import DISCOVERY_KINDS

    return DISCOVERY_KINDS


def _with_service(use: Callable[[CrateService], Awaitable[T]]) -> T:

    async def go() -> T:
        service = cli_services().crate_service()
        try:
            return await use(service)
        finally:
            await service.aclose()

    try:
        return run(go())
    except CrateInputError as exc:
        raise click.UsageError(str(exc)) from exc


@click.command("artist")
@click.argument("query", metavar="NAME|KEY|URL")
@click.option("--json", "as_json", is_flag=True, help="Print the artist card as JSON.")
@cli_errors
def command(query: str, as_json: bool) -> None:
    """Who is this artist? Resolve a name, id or pasted link and show crate's artist card."""
    if not query.strip():
        raise click.UsageError("Give an artist name, a crate key or a link.")
    card = _with_service(lambda service: service.artist_card(query))
    if as_json:
        print_json(card)
    else:
        _print_card(card)


def _names(people: list[Neighbour] | None, limit: int = 8) -> str:
    if people is None:
        return NOT_KNOWN
    if not people:
        return "nobody crate can see"
    return ", ".join(p.name for p in people[:limit]) + (" …" if len(people) > limit else "")


def _label_line(label: LabelMomentum) -> str:
    if label.error:
        return f"  {label.name}: DJ momentum not available ({label.error})"
    if not label.known or label.plays_last_365d is None:
        return f"  {label.name}: DJ momentum {NOT_KNOWN}"
    velocity = NOT_KNOWN if label.velocity is None else f"{label.velocity:.2f}"
    return (
        f"  {label.name}: {label.plays_last_365d:.0f} DJ plays in the last 365 days, "
        f"velocity {velocity}"
    )


def _print_card(card: ArtistCard) -> None:
    if not card.known:
        click.echo(f"{card.query}: {NOT_KNOWN} to crate (looked up by {card.resolved_from}).")
        if card.note:
            click.echo(f"Note: {card.note}")
        if card.candidates:
            click.echo(f"Unverified candidates: {_names(card.candidates, 5)}")
        return
    click.echo(
        f"{card.name} — {_VERIFICATION[card.verification]}, resolved from {card.resolved_from}"
    )
    click.echo(f"Key: {card.cluster_id or card.slug or NOT_KNOWN}")
    if card.labels is None:
        click.echo(f"Top labels: {NOT_KNOWN}")
    else:
        click.echo("Top labels and their DJ momentum:" if card.labels else "Top labels: none")
        for label in card.labels:
            click.echo(_label_line(label))
    if card.links is None:
        click.echo(f"Presence: {NOT_KNOWN}")
    else:
        click.echo("Presence: " + (", ".join(f"{x.kind} {x.url}" for x in card.links) or "none"))
    click.echo(f"Momentum tier: {card.momentum_tier or NOT_KNOWN}")
    click.echo(f"Travels with: {_names(card.travels_with)}")
    click.echo(f"Co-booked with: {_names(card.co_booked)}")


@click.command("discover")
@click.argument("kind", type=LazyChoice(_discovery_kinds))
@click.option("--limit", type=click.IntRange(1, 200), default=None, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@cli_errors
def discover(kind: DiscoveryKind, limit: int | None, as_json: bool) -> None:
    """crate's discovery lists: breakouts, tastemakers or ones-to-watch, with their freshness."""
    listing = _with_service(lambda service: service.discovery(kind, limit=limit))
    if as_json:
        print_json(listing)
    else:
        _print_listing(listing)


def _print_listing(listing: DiscoveryList) -> None:
    click.echo(f"{listing.kind}: {listing.freshness}")
    if not listing.entries:
        return
    with_verified = any(e.verified is not None for e in listing.entries)
    rows = [
        (
            e.rank,
            e.name,
            e.tier or NOT_KNOWN,
            NOT_KNOWN if e.score is None else f"{e.score:.3f}",
            *([{True: "yes", False: "no", None: NOT_KNOWN}[e.verified]] if with_verified else []),
        )
        for e in listing.entries
    ]
    columns = ("#", "Artist", "Tier", "Score", *(("Verified",) if with_verified else ()))
    print_table(columns, rows)
