"""The wish list: wanted tracks or artists as standing searches across every pool.

A wish is free text (keywords), an artist, or an artist and a title (``"Artist - Title"``
or a pool row); :class:`WishChecker` runs it through ``federated_search`` on the accounts'
clients. Every row it matches is stored once with what was done about it, so a match is
reported on the check that first finds it and never again. Per wish an action: ``notify``
(report only), ``queue`` (the pool's toggle-safe ``queue_add``) or ``download`` (a callable
the face passes: its download engine's ``add``). Of the rows one check newly matches, the
best version of each song is queued or downloaded; an action that failed is tried again on
the next check that still finds the row. Binned tracks never match (``collections``).
:class:`crateq.core.wish_scheduler.WishScheduler` runs the checks on a schedule.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

from crateq.api.errors import CrateQError
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MAX_PAGE_SIZE, MediaQuery, MediaRow
from crateq.core.collections import Collections
from crateq.core.errors import CollectionError
from crateq.core.search import PoolFailed, PoolRows, federated_search, group_versions
from crateq.core.store import Store
from crateq.core.tracks import Track

Action = Literal["notify", "queue", "download"]
ACTIONS: tuple[Action, ...] = ("notify", "queue", "download")
Download = Callable[[MediaRow], Awaitable[object]]
SEEN = "seen"  # the row a wish was made from: it is what the DJ has, not a match
FAILED = "failed: "


@dataclass(frozen=True)
class WishMatch:
    """One row a wish matched, when, and what was done (``notified``, ``queued``, …)."""

    wish_id: int
    track: Track
    matched: float
    outcome: str

    def as_json(self) -> dict[str, object]:
        return {**self.track.as_json(), "wish": self.wish_id, "matched": self.matched,
                "outcome": self.outcome}  # fmt: skip


@dataclass(frozen=True)
class Wish:
    id: int
    keywords: str = ""
    artist: str = ""
    title: str = ""
    action: Action = "notify"
    created: float = 0.0
    last_checked: float | None = None
    last_error: str = ""
    matches: tuple[WishMatch, ...] = ()

    @property
    def label(self) -> str:
        if self.artist and self.title:
            return f"{self.artist} - {self.title}"
        return self.artist or self.title or self.keywords

    def query(self, size: int) -> MediaQuery:
        return MediaQuery(
            keywords=self.keywords or None,
            artist=self.artist or None,
            title=self.title or None,
            size=max(1, min(size, MAX_PAGE_SIZE)),
        )

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id, "label": self.label, "keywords": self.keywords,
            "artist": self.artist, "title": self.title, "action": self.action,
            "created": self.created, "lastChecked": self.last_checked,
            "lastError": self.last_error,
            "matches": [m.as_json() for m in self.matches if m.outcome != SEEN],
        }  # fmt: skip


def split_wish_text(text: str) -> tuple[str, str, str]:
    """(keywords, artist, title): ``"Artist - Title"`` names a track, else keywords."""
    artist, sep, title = text.partition(" - ")
    if sep and artist.strip() and title.strip():
        return "", artist.strip(), title.strip()
    return text.strip(), "", ""


class WishList:
    """Wishes and their matches over the store's connection (tables of schema 2)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        text: str = "",
        *,
        artist: str = "",
        title: str = "",
        action: Action = "notify",
        row: MediaRow | None = None,
    ) -> Wish:
        """A new wish from free text, an artist (+ title), or a pool row (its artist and
        title; the row itself is stored as seen, so only other versions or pools match)."""
        if action not in ACTIONS:
            raise CollectionError(f"{action!r} is not a wish action ({', '.join(ACTIONS)}).")
        keywords = ""
        if row is not None:
            artist, title = artist or row.artist, title or row.title
        elif text and not (artist or title):
            keywords, artist, title = split_wish_text(text)
        elif text:
            keywords = text.strip()
        if not (keywords or artist.strip() or title.strip()):
            raise CollectionError("A wish needs some text, an artist or a title.")
        with self.store.connection() as db:
            cursor = db.execute(
                "INSERT INTO wishes (keywords, artist, title, action, created)"
                " VALUES (?, ?, ?, ?, ?)",
                (keywords, artist.strip(), title.strip(), action, time.time()),
            )
            wish_id = int(cursor.lastrowid or 0)
        if row is not None:
            self.record(wish_id, [Track.of_row(row)], SEEN)
        return self.wish(wish_id)

    def remove(self, wish_id: int) -> bool:
        with self.store.connection() as db:
            return bool(db.execute("DELETE FROM wishes WHERE id = ?", (wish_id,)).rowcount)

    def set_action(self, wish_id: int, action: Action) -> None:
        with self.store.connection() as db:
            db.execute("UPDATE wishes SET action = ? WHERE id = ?", (action, wish_id))

    def wish(self, wish_id: int) -> Wish:
        found = self.wishes(wish_id)
        if not found:
            raise CollectionError(f"There is no wish {wish_id}.", hint="`crateq wish list`")
        return found[0]

    def wishes(self, wish_id: int | None = None) -> list[Wish]:
        """Every wish (or the one with ``wish_id``), oldest first, with what it matched
        (first match first)."""
        where, args = ("WHERE id = ?", (wish_id,)) if wish_id is not None else ("", ())
        with self.store.connection() as db:
            rows = db.execute(f"SELECT * FROM wishes {where} ORDER BY id", args).fetchall()
            matches = db.execute(
                f"SELECT * FROM wish_matches {where.replace('id', 'wish_id')}"
                " ORDER BY matched, rowid",
                args,
            ).fetchall()
        by_wish: dict[int, list[WishMatch]] = {}
        for m in matches:
            track = Track(m["track_key"], m["pool"], int(m["media_id"]),
                          fields=json.loads(m["fields_json"] or "{}"))  # fmt: skip
            match = WishMatch(int(m["wish_id"]), track, float(m["matched"]), m["outcome"])
            by_wish.setdefault(match.wish_id, []).append(match)
        return [
            Wish(
                id=int(r["id"]), keywords=r["keywords"], artist=r["artist"], title=r["title"],
                action=cast(Action, r["action"]), created=float(r["created"]),
                last_checked=r["last_checked"], last_error=r["last_error"],
                matches=tuple(by_wish.get(int(r["id"]), [])),
            )
            for r in rows
        ]  # fmt: skip

    def record(self, wish_id: int, tracks: Iterable[Track], outcome: str) -> None:
        """Store matches (a match already stored keeps its first time; its outcome is set)."""
        now = time.time()
        with self.store.connection() as db:
            for track in tracks:
                db.execute(
                    "INSERT INTO wish_matches (wish_id, track_key, pool, media_id, fields_json,"
                    " matched, outcome) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE"
                    " SET outcome = excluded.outcome",
                    (wish_id, track.key, track.pool, track.media_id,
                     json.dumps(track.fields), now, outcome),
                )  # fmt: skip

    def checked(self, wish_id: int, at: float, error: str) -> None:
        with self.store.connection() as db:
            db.execute(
                "UPDATE wishes SET last_checked = ?, last_error = ? WHERE id = ?",
                (at, error, wish_id),
            )


@dataclass
class CheckResult:
    """What one check found: the new matches (each reported once), pools that failed."""

    matches: list[WishMatch] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    checked: list[int] = field(default_factory=list)


class WishChecker:
    """Runs wishes against the pools and acts on new matches."""

    def __init__(
        self,
        wishes: WishList,
        clients: Mapping[str, PoolClient],
        *,
        download: Download | None = None,
        collections: Collections | None = None,
        limit: int = 100,
        concurrency: int = 4,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.wishes = wishes
        self.clients = clients
        self.download = download
        self.collections = collections
        self.limit = limit
        self.concurrency = concurrency
        self._clock = clock

    async def check(
        self, wish_ids: Iterable[int] | None = None, pools: Iterable[str] | None = None
    ) -> CheckResult:
        """Check the wishes (all, or those ids) on the pools (all, or those names) now."""
        wanted = None if wish_ids is None else set(wish_ids)
        todo = [w for w in self.wishes.wishes() if wanted is None or w.id in wanted]
        names = set(self.clients) if pools is None else set(pools) & set(self.clients)
        clients = {n: c for n, c in self.clients.items() if n in names}
        result = CheckResult()
        gate = asyncio.Semaphore(self.concurrency)
        keep = self.collections.bin_filter() if self.collections is not None else None

        async def one(wish: Wish) -> None:
            async with gate:
                await self._check_one(wish, clients, keep, result)

        if clients:
            await asyncio.gather(*(one(w) for w in todo))
        result.matches.sort(key=lambda m: (m.wish_id, m.matched))
        return result

    async def _check_one(
        self,
        wish: Wish,
        clients: Mapping[str, PoolClient],
        keep: Callable[[MediaRow], bool] | None,
        result: CheckResult,
    ) -> None:
        """One wish on the pools: record what is new, act on it, note the check."""
        rows: list[MediaRow] = []
        errors: dict[str, str] = {}
        async for event in federated_search(clients, wish.query(self.limit), limit=self.limit):
            if isinstance(event, PoolRows):
                rows.extend(r for r in event.rows if keep is None or keep(r))
            elif isinstance(event, PoolFailed):
                errors[event.pool] = str(event.error)
        result.errors.update(errors)
        known = {m.track.key: m.outcome for m in wish.matches}
        new = {r.key: r for r in rows if r.key not in known}
        retry = [r for r in rows if known.get(r.key, "").startswith(FAILED)]
        act = retry + [song.best for song in group_versions(new.values())]
        outcomes = dict.fromkeys(new, "notified")
        self.wishes.record(wish.id, [Track.of_row(r) for r in new.values()], "notified")
        for row in act if wish.action != "notify" else []:
            outcomes[row.key] = await self._act(wish.action, row)
            self.wishes.record(wish.id, [Track.of_row(row)], outcomes[row.key])
        now = self._clock()
        if len(errors) < len(clients):
            self.wishes.checked(wish.id, now, "; ".join(
                f"{pool}: {message}" for pool, message in sorted(errors.items())))  # fmt: skip
        result.checked.append(wish.id)
        result.matches.extend(
            WishMatch(wish.id, Track.of_row(row), now, outcomes[key]) for key, row in new.items()
        )

    async def _act(self, action: Action, row: MediaRow) -> str:
        try:
            if action == "queue":
                client = self.clients[row.pool]
                return "queued" if await client.queue_add(row) else "already queued"
            if action == "download":
                if self.download is None:
                    return f"{FAILED}no download engine to hand it to"
                await self.download(row)
                return "downloading"
        except CrateQError as exc:
            return f"{FAILED}{exc}"
        return "notified"
