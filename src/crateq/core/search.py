"""Federated search: one query fanned out to every pool, rows streamed as each pool answers.

A failing or slow pool never holds back the others: each pool pages on its own task and its
failure becomes a :class:`PoolFailed` event next to the others' rows. Rows of one pool that
share a ``groupId`` are versions of one song (:func:`group_versions`). :class:`SearchSession`
is what the GUI and the CLI hold: a new ``run()`` cancels the stale search.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from crateq.api.errors import CrateQError, FilterError, PoolProtocolError
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MAX_PAGE_SIZE, MediaQuery, MediaRow

log = logging.getLogger(__name__)

#: Bound on pages per pool and search that brought no row: a client-side filter
#: (audio/video) may leave pages empty, and a pool must not be read to its end for it.
MAX_PAGES_PER_POOL = 50


@dataclass(frozen=True)
class PoolRows:
    """A page of rows from one pool; ``total`` is the pool's own match count."""

    pool: str
    rows: list[MediaRow]
    total: int


@dataclass(frozen=True)
class PoolFailed:
    """One pool failed (its rows so far stand); ``error`` is the one sentence to show."""

    pool: str
    error: CrateQError


@dataclass(frozen=True)
class PoolFinished:
    """One pool is done: ``count`` rows delivered, ``total`` matches on the pool."""

    pool: str
    count: int
    total: int = 0


@dataclass(frozen=True)
class PoolSlow:
    """A pool has not finished after ``slow_after`` seconds (its rows may still come)."""

    pool: str


SearchEvent = PoolRows | PoolFailed | PoolFinished | PoolSlow


def query_from_filters(**fields: object) -> MediaQuery:
    """A :class:`MediaQuery` from user input, or :class:`FilterError` before any request.

    Blank values are dropped, so a form can pass every field as typed.
    """
    from pydantic import ValidationError

    given = {k: v for k, v in fields.items() if v not in (None, "", [], ())}
    try:
        return MediaQuery(**given)
    except ValidationError as exc:
        problem = exc.errors()[0]
        message = str(problem["msg"]).removeprefix("Value error, ")
        where = ".".join(str(p) for p in problem["loc"])
        raise FilterError(
            message if message.endswith(".") else f"{where}: {message}.",
            code=where or None,
        ) from exc


def next_page_size(offset: int, size: int, wanted: int) -> int:
    """The page size for the rows from ``offset`` on: doubled while the offset is a multiple
    of it, up to :data:`MAX_PAGE_SIZE` and to what is still ``wanted``.

    The first page stays small (it shows first); the later, bigger pages need far fewer
    requests, each of which costs the client about as much CPU in HTTP handling as parsing
    its rows does (docs/PERFORMANCE.md, "Search").
    """
    while size * 2 <= MAX_PAGE_SIZE and offset % (size * 2) == 0 and size * 2 <= wanted:
        size *= 2
    return size


async def _search_pool(
    name: str,
    client: PoolClient,
    query: MediaQuery,
    limit: int | None,
    emit: Callable[[SearchEvent], None],
    start: int | None = None,
) -> None:
    """Page through one pool until ``limit`` rows (None: all), its last page, or an error.

    Rows start at ``query.page`` (pages of ``query.size``), or at row ``start`` when given:
    its page is read and the rows before it dropped. A page emptied by the client-side
    ``media`` filter does not end the paging; only the pool's last page (or
    :data:`MAX_PAGES_PER_POOL` pages that brought no row) does.
    """
    count = 0
    total = 0
    empty = 0
    size = min(query.size, MAX_PAGE_SIZE)
    offset = (query.page - 1) * size if start is None else start
    skip, offset = offset % size, offset - offset % size
    wanted = limit if limit is not None else 1 << 62
    try:
        while empty < MAX_PAGES_PER_POOL:
            page = await client.search(
                query.model_copy(update={"page": offset // size + 1, "size": size})
            )
            total = page.records
            rows = page.data[skip : skip + wanted - count]
            skip = 0
            if rows:
                count += len(rows)
                emit(PoolRows(name, rows, total))
            else:
                empty += 1
            offset += size
            last = page.pages or -(-page.records // size)  # some pools omit ``pages``
            if count >= wanted or offset // size >= last:
                break
            size = next_page_size(offset, size, wanted - count)
    except CrateQError as exc:
        emit(PoolFailed(name, exc))
        return
    except Exception as exc:  # a bug or an unforeseen answer must not sink the other pools
        log.exception("search on pool %s failed unexpectedly", name)
        emit(PoolFailed(name, PoolProtocolError(f"Searching {name} failed: {exc}", pool=name)))
        return
    emit(PoolFinished(name, count, total))


async def federated_search(
    clients: Mapping[str, PoolClient],
    query: MediaQuery,
    *,
    limit: int | None = 100,
    slow_after: float = 3.0,
    start: int | None = None,
) -> AsyncGenerator[SearchEvent, None]:
    """Search every pool at once; yield events in the order the pools answer.

    ``limit`` rows per pool (None: every match), from row ``start`` when given (else from
    ``query.page``); each pool's pages are requested concurrently with the others'.

    Each pool ends with exactly one :class:`PoolFinished` or :class:`PoolFailed`; a
    :class:`PoolSlow` may come first for pools still busy after ``slow_after`` seconds.
    Closing the iterator (or cancelling its consumer) cancels every pool's request.
    """
    if limit is not None and limit < 1:
        raise FilterError("The result limit must be at least 1.")
    if not clients:
        return
    events: asyncio.Queue[SearchEvent] = asyncio.Queue()
    done: set[str] = set()
    tasks = [
        asyncio.create_task(
            _search_pool(name, client, query, limit, events.put_nowait, start),
            name=f"search:{name}",
        )
        for name, client in clients.items()
    ]

    async def warn_slow() -> None:
        await asyncio.sleep(slow_after)
        for name in clients:
            if name not in done:
                events.put_nowait(PoolSlow(name))

    watchdog = asyncio.create_task(warn_slow(), name="search:slow")
    try:
        while len(done) < len(clients):
            event = await events.get()
            if isinstance(event, PoolFinished | PoolFailed):
                done.add(event.pool)
            elif isinstance(event, PoolSlow) and event.pool in done:
                continue
            yield event
    finally:
        for task in (*tasks, watchdog):
            task.cancel()
        for task in (*tasks, watchdog):
            with contextlib.suppress(asyncio.CancelledError):
                await task


_MIX_RANK = {
    "extended": 0,
    "original": 1,
    "main": 1,
    "dirty": 2,
    "clean": 2,
    "redrum": 3,
    "intro": 4,
    "intro dirty": 4,
    "intro clean": 4,
    "short edit": 5,
    "outro": 6,
    "transition": 6,
    "quick hit": 7,
    "instrumental": 8,
    "acapella": 9,
    "acapella in": 9,
    "acapella out": 9,
}


def version_rank(row: MediaRow) -> tuple[int, int]:
    """Best first for a DJ: full-length mixes before edits, hits and acapellas."""
    return (_MIX_RANK.get(row.tool.strip().lower(), 5), 0 if row.audio else 1)


@dataclass
class Song:
    """One song in one pool: its versions (mixes/edits), best first."""

    key: str
    versions: list[MediaRow] = field(default_factory=list)

    @property
    def best(self) -> MediaRow:
        return self.versions[0]

    @property
    def artist(self) -> str:
        return self.best.artist

    @property
    def title(self) -> str:
        return self.best.title

    @property
    def pools(self) -> list[str]:
        return list(dict.fromkeys(row.pool for row in self.versions))


def song_key(row: MediaRow) -> str:
    """Rows sharing (pool, groupId) are one song; groupId 0 is a song of its own."""
    if row.group_id:
        return f"{row.pool}:g{row.group_id}"
    return f"{row.pool}:m{row.media_id}"


def group_versions(rows: Iterable[MediaRow]) -> list[Song]:
    """Songs in the order their first version arrived; versions sorted best first."""
    songs: dict[str, Song] = {}
    for row in rows:
        key = song_key(row)
        song = songs.get(key)
        if song is None:
            songs[key] = song = Song(key)
        if all(v.media_id != row.media_id for v in song.versions):
            song.versions.append(row)
    for song in songs.values():
        song.versions.sort(key=version_rank)
    return list(songs.values())


@dataclass
class SearchOutcome:
    """What one run produced; ``cancelled`` when a newer run replaced it."""

    query: MediaQuery
    rows: list[MediaRow]
    errors: dict[str, CrateQError]
    cancelled: bool = False

    @property
    def songs(self) -> list[Song]:
        return group_versions(self.rows)


class SearchSession:
    """The current search of one window or command; a new run cancels the stale one.

    ``on_event`` sees every event of the current run only (never a stale one's), so a grid
    can append rows as they arrive; ``rows``/``errors``/``songs`` are the merged results so far.
    """

    def __init__(
        self,
        clients: Mapping[str, PoolClient],
        *,
        limit: int = 100,
        slow_after: float = 3.0,
        on_event: Callable[[SearchEvent], None] | None = None,
    ) -> None:
        self.clients = clients
        self.limit = limit
        self.slow_after = slow_after
        self.on_event = on_event
        self.generation = 0
        self.query: MediaQuery | None = None
        self.rows: list[MediaRow] = []
        self.errors: dict[str, CrateQError] = {}
        self.finished: set[str] = set()
        self.slow: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    @property
    def songs(self) -> list[Song]:
        return group_versions(self.rows)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def cancel(self) -> None:
        """Stop the current search (its requests are cancelled)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def run(self, query: MediaQuery) -> SearchOutcome:
        """Search with ``query``; returns when every pool answered, or early and
        ``cancelled`` when a newer ``run()`` (or ``cancel()``) replaced this one."""
        self.cancel()
        self.generation += 1
        generation = self.generation
        self.query = query
        self.rows, self.errors, self.finished, self.slow = [], {}, set(), set()
        task = asyncio.create_task(self._collect(query, generation), name="search")
        self._task = task
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
        if generation != self.generation:  # replaced: report what this run had, marked stale
            return SearchOutcome(query, [], {}, cancelled=True)
        return SearchOutcome(query, list(self.rows), dict(self.errors), cancelled=task.cancelled())

    async def _collect(self, query: MediaQuery, generation: int) -> None:
        events = federated_search(self.clients, query, limit=self.limit, slow_after=self.slow_after)
        try:
            async for event in events:
                if generation != self.generation:
                    return
                if isinstance(event, PoolRows):
                    self.rows.extend(event.rows)
                elif isinstance(event, PoolFailed):
                    self.errors[event.pool] = event.error
                    self.finished.add(event.pool)
                elif isinstance(event, PoolFinished):
                    self.finished.add(event.pool)
                elif isinstance(event, PoolSlow):
                    self.slow.add(event.pool)
                if self.on_event is not None:
                    self.on_event(event)
        finally:
            await events.aclose()
