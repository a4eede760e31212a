"""``crateq demo serve``: run the demo record pools (and registered extras) until stopped.

Prints one ``READY <name> <url> <api-key>`` line per server (the crate stand-in included)
once all of them accept connections, so a script or test can read URLs and keys from stdout,
then serves until SIGINT or SIGTERM. The servers are the ``demo`` extra: they are imported
only once ``serve`` runs (so ``crateq --help`` works without them), and without the extra
``serve`` names the command that installs it (exit 1).
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import click

from crateq.demo import missing_extra
from crateq.demo.catalog import DEFAULT_CATALOG_SIZE
from crateq.demo.faults import Latency, parse_latency


def _latency(ctx: click.Context, param: click.Parameter, text: str | None) -> Latency | None:
    """``--latency 80-250`` as a (low, high) millisecond range."""
    if text is None:
        return None
    try:
        return parse_latency(text)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not a range in ms such as 80-250.") from exc


@click.group(name="demo")
def command() -> None:
    """The embedded demo: local record pools that need no account."""


@command.command(name="serve")
@click.option(
    "--port-base",
    type=click.IntRange(0, 65000),
    default=0,
    show_default=True,
    help="First port (pools use consecutive ports); 0 picks free ports.",
)
@click.option(
    "--catalog-size",
    type=click.IntRange(1, 2_000_000),
    default=DEFAULT_CATALOG_SIZE,
    show_default=True,
    help="Rows per demo pool.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Catalog generator seed.")
@click.option(
    "--media-seconds",
    type=click.FloatRange(1, 10_000_000),
    default=24.0,
    show_default=True,
    help="Approximate length of every generated media file.",
)
@click.option(
    "--media-bytes",
    type=click.IntRange(1),
    default=None,
    help="Make every media file at least this big (e.g. 1073741824 for benchmarks).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--latency",
    metavar="MS[-MS]",
    callback=_latency,
    help="Delay every pool response by a seeded draw from this range (e.g. 80-250).",
)
def serve(
    port_base: int, catalog_size: int, seed: int, media_seconds: float,
    media_bytes: int | None, host: str, latency: Latency | None,
) -> None:  # fmt: skip
    """Serve the demo pools; one READY line per server, then until Ctrl-C."""
    problem = missing_extra()
    if problem is not None:
        click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    from crateq.demo.cluster import DemoCluster, default_extra_apps
    from crateq.demo.store import MediaSettings

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    cluster = DemoCluster(
        catalog_size=catalog_size, seed=seed, port_base=port_base, host=host,
        media=MediaSettings(seconds=media_seconds, size_bytes=media_bytes),
        extra_apps=default_extra_apps(),
    )  # fmt: skip
    try:
        cluster.start()
    except (OSError, RuntimeError) as exc:
        click.echo(f"error: cannot start the demo servers: {exc}", err=True)
        sys.exit(1)
    for index, pool in enumerate(cluster.pools.values()):  # each pool jitters on its own
        pool.faults.latency, pool.faults.latency_seed = latency, seed + index
    try:
        for handle in [*cluster.pools.values(), *cluster.extras.values()]:
            click.echo(f"READY {handle.name} {handle.url} {handle.api_key or '-'}")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        cluster.stop()
