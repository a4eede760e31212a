"""Deterministic demo catalogs: realistic-looking DJ metadata from a seeded generator.

The same pool name, size and seed always give the same rows, so tests can rely on what they
search for. Songs come in several versions (mixes) that share a ``group_id``; a set of shared
artists appears in every pool so a federated search has something to merge. Like real pools,
every pool also publishes the same :func:`shared_songs` (one group in every
``SHARED_SONG_EVERY``), each pool under its own spelling ("feat." / "ft." / a title's
"(feat. …)", "&" / "and", "(Intro - Clean)" / "[Intro] - Clean", case) and its own ids.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field

from crateq.demo import words

DEFAULT_CATALOG_SIZE = 3000  # rows per demo pool unless asked otherwise

CATEGORIES: tuple[tuple[int, str], ...] = (
    (1, "Hip-Hop"), (2, "R&B"), (3, "Electronic"), (4, "Pop"),
    (5, "Latin"), (6, "World"), (7, "Rock"), (8, "Throwback"),
)  # fmt: skip

# (genreId, title, categoryId, bpm_low, bpm_high)
GENRES: tuple[tuple[int, str, int, int, int], ...] = (
    (1, "Hip-Hop", 1, 85, 100), (2, "Trap", 1, 130, 150), (3, "Drill", 1, 138, 145),
    (4, "R&B", 2, 65, 100), (5, "Neo Soul", 2, 70, 95), (6, "House", 3, 118, 128),
    (7, "Tech House", 3, 122, 128), (8, "Deep House", 3, 115, 124), (9, "Techno", 3, 125, 140),
    (10, "Drum & Bass", 3, 170, 176), (11, "Dubstep", 3, 140, 140), (12, "EDM", 3, 124, 130),
    (13, "Pop", 4, 95, 125), (14, "Dance Pop", 4, 115, 128), (15, "Reggaeton", 5, 88, 100),
    (16, "Latin Pop", 5, 90, 110), (17, "Moombahton", 5, 105, 110), (18, "Afrobeats", 6, 100, 115),
    (19, "Dancehall", 6, 90, 105), (20, "Rock", 7, 110, 140), (21, "Disco", 8, 110, 125),
    (22, "Throwback Hip-Hop", 8, 88, 100), (23, "Funk", 8, 100, 115),
)  # fmt: skip

# (qualityId, title, pixel_width, pixel_height)
VIDEO_QUALITIES: tuple[tuple[int, str, int, int], ...] = (
    (1, "480p", 854, 480), (2, "720p", 1280, 720), (3, "1080p", 1920, 1080), (4, "4K", 3840, 2160),
)  # fmt: skip

VIDEO_MIXES: tuple[str, ...] = (
    "Acapella", "Acapella In", "Acapella Out", "Clean", "Dirty", "Extended", "Instrumental",
    "Intro", "Intro Clean", "Intro Dirty", "Main", "Outro", "Quick Hit", "Redrum", "Short Edit",
    "Transition",
)  # fmt: skip

PLAYLISTS: tuple[tuple[int, str], ...] = (
    (1, "Peak Hour"), (2, "Warm Up"), (3, "Throwback Thursday"), (4, "Wedding Floor Fillers"),
    (5, "Late Night"), (6, "Fresh This Week"),
)  # fmt: skip


@dataclass(frozen=True)
class PoolSpec:
    """The character of one demo pool: which genres, mixes and editors it carries."""

    name: str
    display: str
    genre_ids: tuple[int, ...]
    mixes: tuple[str, ...]
    video: bool = False
    media_id_base: int = 100_000
    roster_size: int = 120
    editors: tuple[str, ...] = field(default=words.EDITORS)


DEMO_POOLS: tuple[PoolSpec, ...] = (
    PoolSpec(
        name="urban-beats",
        display="Urban Beats",
        genre_ids=(1, 2, 3, 4, 5, 15, 18, 19, 22),
        mixes=("Main", "Clean", "Dirty", "Intro", "Intro Clean", "Intro Dirty", "Acapella",
               "Acapella In", "Instrumental", "Quick Hit", "Short Edit", "Redrum"),
        media_id_base=100_000,
    ),
    PoolSpec(
        name="club-edits",
        display="Club Edits",
        genre_ids=(6, 7, 8, 9, 10, 11, 12, 14, 17, 21),
        mixes=("Extended", "Intro", "Outro", "Short Edit", "Transition", "Acapella",
               "Instrumental", "Main", "Quick Hit"),
        media_id_base=200_000,
    ),
    PoolSpec(
        name="vj-vault",
        display="VJ Vault",
        genre_ids=(1, 4, 13, 14, 16, 20, 21, 22, 12),
        mixes=("Main", "Clean", "Dirty", "Intro", "Intro Clean", "Extended", "Transition",
               "Short Edit"),
        video=True,
        media_id_base=300_000,
    ),
)  # fmt: skip

SHARED_ROSTER_SIZE = 30
SHARED_SONG_EVERY = 20  # group ids 5, 25, 45… of every pool are the shared songs, in order
SHARED_SONG_OFFSET = 5
SHARED_SONG_COUNT = 40


@dataclass
class CatalogRow:
    """One generated catalog entry (one version of one song) before sizes are known."""

    media_id: int
    originator_id: str
    artist: str
    title: str
    genre_id: int
    bpm: int
    advisory: str
    editor: str
    tool: str
    release_year: int
    quality_id: int
    age_days: int
    video: bool
    group_id: int
    playlist_id: int
    filename: str
    downloads: int


def _artist_name(rng: random.Random) -> str:
    w = words
    style = rng.randrange(9)
    if style <= 2:
        return f"{rng.choice(w.FIRST_NAMES)} {rng.choice(w.LAST_NAMES)}"
    if style == 3:
        return f"{rng.choice(('Lil', 'Young', 'Big', 'King'))} {rng.choice(w.NOUNS)}"
    if style == 4:
        return f"{rng.choice(('DJ', 'MC'))} {rng.choice(w.ADJECTIVES)} {rng.choice(w.NOUNS)}"
    if style == 5:
        return f"The {rng.choice(w.ADJECTIVES)} {rng.choice(w.NOUNS)}s"
    if style == 6:
        return f"{rng.choice(w.NOUNS)}{rng.choice(w.NOUNS).lower()}"
    if style == 7:
        return f"{rng.choice(w.FIRST_NAMES)} & The {rng.choice(w.NOUNS)}s"
    return f"{rng.choice(w.ADJECTIVES)} {rng.choice(w.NOUNS)}"


def _roster(seed_name: str, count: int, taken: set[str]) -> list[str]:
    rng = random.Random(f"roster:{seed_name}")
    names: list[str] = []
    while len(names) < count:
        name = _artist_name(rng)
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def rosters() -> dict[str, list[str]]:
    """Artist roster per pool (shared artists first), independent of catalog size."""
    taken: set[str] = set()
    shared = _roster("shared", SHARED_ROSTER_SIZE, taken)
    return {spec.name: shared + _roster(spec.name, spec.roster_size, taken) for spec in DEMO_POOLS}


def all_artist_names() -> list[str]:
    """Every artist of every demo pool, sorted; the crate stand-in knows exactly these."""
    return sorted({name for names in rosters().values() for name in names})


def _song_title(rng: random.Random) -> str:
    w = words
    style = rng.randrange(5)
    if style == 0:
        return f"{rng.choice(w.ADJECTIVES)} {rng.choice(w.NOUNS)}"
    if style == 1:
        return f"{rng.choice(w.VERBS)} {rng.choice(w.PREPOSITIONS)} {rng.choice(w.NOUNS)}"
    if style == 2:
        return rng.choice(w.PHRASES)
    if style == 3:
        return f"{rng.choice(w.NOUNS)} {rng.choice(w.PHRASES)}"
    return f"{rng.choice(w.VERBS)} {rng.choice(w.NOUNS)}"


def _version_title(rng: random.Random, base: str, tool: str, advisory: str) -> str:
    if tool == "Main":
        return f"{base} [{advisory}]"
    if tool.endswith(("Clean", "Dirty")):
        return f"{base} ({tool})"
    style = rng.randrange(3)
    if style == 0:
        return f"{base} ({tool}) [{advisory}]"
    if style == 1:
        return f"{base} [{tool}] - {advisory}"
    return f"{base} ({tool} {advisory})" if " " not in tool else f"{base} ({tool})"


@dataclass(frozen=True)
class SharedSong:
    """A song every demo pool publishes, each under its own spelling."""

    artist: str
    featured: str  # "" when none
    title: str


@functools.cache
def shared_songs() -> tuple[SharedSong, ...]:
    """The songs every pool carries (:data:`SHARED_SONG_COUNT`, distinct), from their own seed."""
    rng = random.Random("shared-songs")
    shared = rosters()[DEMO_POOLS[0].name][:SHARED_ROSTER_SIZE]
    songs: list[SharedSong] = []
    titles: set[str] = set()
    while len(songs) < SHARED_SONG_COUNT:
        artist = rng.choice(shared)
        featured = rng.choice([n for n in shared if n != artist]) if len(songs) % 3 == 0 else ""
        title = _song_title(rng)
        if title.lower() not in titles:
            titles.add(title.lower())
            songs.append(SharedSong(artist, featured, title))
    return tuple(songs)


def shared_song_for(group_id: int) -> SharedSong | None:
    """The shared song a pool's group ``group_id`` is, if it is one."""
    if group_id % SHARED_SONG_EVERY != SHARED_SONG_OFFSET:
        return None
    return shared_songs()[(group_id // SHARED_SONG_EVERY) % SHARED_SONG_COUNT]


def shared_spelling(song: SharedSong, pool_index: int, tool: str, advisory: str) -> tuple[str, str]:
    """(artist, title) of one version of ``song`` as the ``pool_index``-th demo pool writes it."""
    words = [] if tool == "Main" else [w for w in tool.split() if w not in ("Clean", "Dirty")]
    mix = " ".join(words)
    style = pool_index % 3
    if style == 0:  # "A feat. B", "Title (Intro - Clean)"
        artist = f"{song.artist} feat. {song.featured}" if song.featured else song.artist
        tag = f"({mix} - {advisory})" if mix else f"[{advisory}]"
        return artist, f"{song.title} {tag}"
    if style == 1:  # "A ft. B" with "and" for "&", "Title [Intro] - Clean"
        artist = song.artist.replace(" & ", " and ")
        artist = f"{artist} ft. {song.featured}" if song.featured else artist
        tag = f"[{mix}] - {advisory}" if mix else f"- {advisory}"
        return artist, f"{song.title} {tag}"
    title = song.title.lower() + (f" (feat. {song.featured})" if song.featured else "")
    tag = f"({mix}) [{advisory}]" if mix else f"[{advisory}]"  # "title (feat. B) (Intro) [Clean]"
    return song.artist.upper(), f"{title} {tag}"


def _advisory_for(rng: random.Random, tool: str) -> str:
    if tool.endswith("Clean") or tool == "Clean":
        return "Clean"
    if tool.endswith("Dirty") or tool in ("Dirty", "Redrum"):
        return "Dirty"
    return rng.choice(("Clean", "Dirty"))


def generate_catalog(spec: PoolSpec, size: int, seed: int = 0) -> list[CatalogRow]:
    """``size`` rows for ``spec``; the same arguments always give the same rows."""
    rng = random.Random(f"catalog:{spec.name}:{seed}")
    roster = rosters()[spec.name]
    shared = roster[:SHARED_ROSTER_SIZE]
    genres = [g for g in GENRES if g[0] in spec.genre_ids]
    rows: list[CatalogRow] = []
    group_id = 0
    pool_index = DEMO_POOLS.index(spec) if spec in DEMO_POOLS else 0
    ext = "mp4" if spec.video else "mp3"
    while len(rows) < size:
        group_id += 1
        artist = rng.choice(shared) if rng.random() < 0.2 else rng.choice(roster)
        if rng.random() < 0.12:
            artist = f"{artist} feat. {rng.choice(roster)}"
        genre = rng.choice(genres)
        bpm = rng.randint(genre[3], genre[4])
        year = 2026 - min(int(rng.expovariate(0.25)), 38)
        age = int(rng.expovariate(1 / 120))
        base = _song_title(rng)
        editor = rng.choice(spec.editors) if rng.random() < 0.7 else ""
        playlist = rng.choice(PLAYLISTS)[0] if rng.random() < 0.1 else 0
        popularity = int(rng.paretovariate(1.2) * 10)
        tools = rng.sample(spec.mixes, k=min(len(spec.mixes), rng.randint(1, 5)))
        for tool in tools:
            if len(rows) >= size:
                break
            media_id = spec.media_id_base + len(rows) + 1
            advisory = _advisory_for(rng, tool)
            title = _version_title(rng, base, tool, advisory)  # drawn even when replaced below
            if (song := shared_song_for(group_id)) is not None:
                artist, title = shared_spelling(song, pool_index, tool, advisory)
            filename = f"{artist} - {title}.{ext}"
            if media_id % 97 == 13:
                filename = words.HOSTILE_FILENAMES[(media_id // 97) % len(words.HOSTILE_FILENAMES)]
            rows.append(
                CatalogRow(
                    media_id=media_id,
                    originator_id=f"{spec.name}-{media_id}",
                    artist=artist,
                    title=title,
                    genre_id=genre[0],
                    bpm=bpm,
                    advisory=advisory,
                    editor=editor,
                    tool=tool,
                    release_year=year,
                    quality_id=rng.choice((2, 3, 3, 4, 1)) if spec.video else 0,
                    age_days=age + rng.randint(0, 3),
                    video=spec.video,
                    group_id=group_id,
                    playlist_id=playlist,
                    filename=filename,
                    downloads=max(0, popularity + rng.randint(-3, 3)),
                )
            )
    return rows
