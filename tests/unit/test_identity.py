"""Song identity: one key per song however a pool writes it; version tags kept as fields."""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crateq.core.identity import SongIdentity, display, identify, normalize, song_key
from crateq.demo.catalog import DEMO_POOLS, generate_catalog

Song = tuple[str, str]

# (rule, one way a pool writes it, another way): the same song, so the same key.
SAME: list[tuple[str, Song, Song]] = [
    # version tags in brackets: left out of the key
    ("tag in brackets", ("Drake", "One Dance [Extended]"), ("Drake", "One Dance")),
    ("tag in parentheses", ("Drake", "One Dance (Intro - Dirty)"), ("Drake", "One Dance")),
    ("mix word", ("Drake", "One Dance (Extended Mix)"), ("Drake", "One Dance [Extended]")),
    ("bpm transition", ("Drake", "One Dance [124-101]"), ("Drake", "One Dance")),
    ("transition words", ("Drake", "One Dance (Transition 128 - 100)"), ("Drake", "One Dance")),
    ("two tags", ("Crown", "Crown Let It Go [Outro] - Clean"), ("Crown", "Crown Let It Go")),
    ("tool and advisory", ("Crown", "crown let it go (Outro Clean)"), ("Crown", "Crown Let It Go")),
    # advisory and quality suffixes after a spaced dash
    ("clean suffix", ("Dua Lipa", "Levitating - Clean"), ("Dua Lipa", "Levitating")),
    ("dirty suffix", ("Dua Lipa", "Levitating - Dirty"), ("Dua Lipa", "Levitating [Clean]")),
    ("video quality", ("Dua Lipa", "Levitating - HD"), ("Dua Lipa", "Levitating - qHD")),
    (
        "stacked suffixes",
        ("Dua Lipa", "Levitating (Intro) - Dirty - HD"),
        ("Dua Lipa", "Levitating"),
    ),
    ("en dash suffix", ("Dua Lipa", "Levitating – Clean"), ("Dua Lipa", "Levitating")),
    ("explicit", ("Cardi B", "Up (Explicit)"), ("Cardi B", "Up (Dirty)")),
    ("a cappella", ("Adele", "Hello (A Cappella)"), ("Adele", "Hello (Acapella)")),
    ("quick hit", ("Pitbull", "Timber (Quick Hit) [Clean]"), ("Pitbull", "Timber")),
    ("short edit", ("Pitbull", "Timber [Short Edit]"), ("Pitbull", "Timber (Radio Edit)")),
    ("clean extended", ("Usher", "Yeah! (Clean Extended)"), ("Usher", "Yeah!")),
    ("redrum", ("Usher", "Yeah! (Redrum)"), ("Usher", "Yeah! (Main)")),
    ("remaster", ("Queen", "Bohemian Rhapsody - Remastered 2011"), ("Queen", "Bohemian Rhapsody")),
    ("unclosed tag", ("Usher", "Yeah! (Intro"), ("Usher", "Yeah!")),
    # featured artists, wherever they are written
    (
        "feat. in artist",
        ("Drake feat. Wizkid & Kyla", "One Dance"),
        ("Drake", "One Dance (feat. Kyla & Wizkid)"),
    ),
    ("ft. and ft", ("Drake ft. Wizkid", "One Dance"), ("Drake ft Wizkid", "One Dance")),
    ("featuring", ("Drake featuring Wizkid", "One Dance"), ("Drake", "One Dance [ft. Wizkid]")),
    ("feat. in title", ("Drake", "One Dance feat. Wizkid"), ("Drake (feat. Wizkid)", "One Dance")),
    (
        "featured order",
        ("DJ Khaled feat. Rihanna & Bryson Tiller", "Wild Thoughts"),
        ("DJ Khaled feat. Bryson Tiller, Rihanna", "Wild Thoughts"),
    ),
    (
        "with, lower-case",
        ("Ed Sheeran", "Perfect (with Beyoncé)"),
        ("Ed Sheeran feat. Beyonce", "Perfect"),
    ),
    # co-artist separators, bands and The
    (
        "x between artists",
        ("Tiësto x Karol G", "Don't Be Shy"),
        ("Tiesto & Karol G", "Don't Be Shy"),
    ),
    (
        "upper-case X between",
        ("Tiësto X Karol G", "Don't Be Shy"),
        ("Tiesto feat. Karol G", "Don't Be Shy"),
    ),
    (
        "name ending in X, then x",
        ("Lil Nas X x Billy Ray Cyrus", "Old Town Road (Remix)"),
        ("Lil Nas X feat. Billy Ray Cyrus", "Old Town Road (Remix) [Clean]"),
    ),
    (
        "& or and in a band",
        ("Simon & Garfunkel", "Mrs. Robinson"),
        ("Simon and Garfunkel", "Mrs Robinson"),
    ),
    (
        "+ in a band",
        ("Florence + The Machine", "Dog Days Are Over"),
        ("Florence and the Machine", "Dog Days Are Over"),
    ),
    ("leading The", ("The Weeknd", "Blinding Lights"), ("Weeknd", "Blinding Lights")),
    ("comma before The", ("Tyler, The Creator", "EARFQUAKE"), ("Tyler The Creator", "Earfquake")),
    # Unicode forms, punctuation, case, spacing
    ("accents", ("Beyoncé", "Déjà Vu"), ("Beyonce", "Deja Vu")),
    ("accents in names", ("Zoë Nyström", "Golden Love"), ("Zoe Nystrom", "Golden Love")),
    ("full-width forms", ("Ｄｒａｋｅ", "Ｏｎｅ Ｄａｎｃｅ［Ｃｌｅａｎ］"), ("Drake", "One Dance")),
    ("ligature", ("Daft Punk", "Diﬃcult"), ("Daft Punk", "Difficult")),
    ("curly apostrophe", ("Daft Punk", "Don’t Stop"), ("Daft Punk", "Don't Stop")),
    ("no apostrophe", ("Daft Punk", "Dont Stop"), ("Daft Punk", "Don't Stop")),
    ("punctuation", ("Jay-Z", "Big Pimpin'"), ("Jay Z", "Big Pimpin")),
    ("dots", ("Dr. Dre", "Still D.R.E."), ("Dr Dre", "Still DRE")),
    ("& in a title", ("Kanye West", "Love & Lockdown"), ("Kanye West", "Love and Lockdown")),
    ("case", ("DRAKE", "ONE DANCE"), ("drake", "one dance")),
    ("extra whitespace", ("  Drake ", " One   Dance  ( Intro )"), ("Drake", "One Dance")),
    ("control and invisible characters", ("Dra\u200bke", "One\tDance\x07"), ("Drake", "One Dance")),
    # a remix's own version words
    (
        "remixer version words",
        ("Avicii", "Levels (Skrillex Extended Remix) [Dirty]"),
        ("Avicii", "Levels (Skrillex Remix)"),
    ),
    (
        "remix as dash suffix",
        ("Avicii", "Levels - Skrillex Remix"),
        ("Avicii", "Levels (Skrillex Remix)"),
    ),
]

# (rule, one song, another): different songs, so different keys.
DIFFERENT: list[tuple[str, Song, Song]] = [
    # remixes and other bracket text are part of the song
    ("named remix", ("Avicii", "Levels (Skrillex Remix)"), ("Avicii", "Levels")),
    ("two remixers", ("Avicii", "Levels (Skrillex Remix)"), ("Avicii", "Levels (Cazzette Remix)")),
    ("remix is not a tool", ("Avicii", "Levels (Remix)"), ("Avicii", "Levels (Extended)")),
    ("named edit", ("Avicii", "Levels (Dimitri Edit)"), ("Avicii", "Levels (Radio Edit)")),
    ("bootleg", ("Avicii", "Levels (Bootleg)"), ("Avicii", "Levels")),
    ("other bracket text", ("Eminem", "Lose Yourself (From 8 Mile)"), ("Eminem", "Lose Yourself")),
    ("part numbers", ("Drake", "Pain 1993 (Part 2)"), ("Drake", "Pain 1993 (Part 3)")),
    ("numbers kept", ("Prince", "1999"), ("Prince", "2000")),
    ("bare number is no tag", ("Blink-182", "Song (2)"), ("Blink-182", "Song")),
    ("live stays", ("Queen", "Bohemian Rhapsody (Live)"), ("Queen", "Bohemian Rhapsody")),
    ("lone (In) is text", ("Artist", "Come (In)"), ("Artist", "Come")),
    # names with an x or a The
    ("Lil Nas X is not Lil Nas", ("Lil Nas X", "Old Town Road"), ("Lil Nas", "Old Town Road")),
    ("Malcolm X stays whole", ("Malcolm X", "Speech"), ("Malcolm", "Speech")),
    ("x inside a name", ("XXXTentacion", "SAD!"), ("XXX Tentacion", "SAD!")),
    (
        "The only leading",
        ("Rage Against The Machine", "Wake Up"),
        ("Rage Against Machine", "Wake Up"),
    ),
    ("title keeps The", ("Artist", "The Message"), ("Artist", "Message")),
    # artists and titles
    ("lead artist counts", ("Drake feat. Future", "Song"), ("Future feat. Drake", "Song")),
    ("(With You) is title text", ("Artist", "Stay (With You)"), ("Artist", "Stay")),
    ("different title, same artist", ("Drake", "One Dance"), ("Drake", "Hotline Bling")),
]

# (artist, title) -> (clean_artist, clean_title, tool, advisory, quality, remix)
FIELDS: list[tuple[Song, tuple[str, str, str | None, str | None, str | None, str | None]]] = [
    (
        ("Crown", "Crown Let It Go [Outro] - Clean"),
        ("Crown", "Crown Let It Go", "Outro", "Clean", None, None),
    ),
    (("Drake", "One Dance (Intro - Dirty)"), ("Drake", "One Dance", "Intro", "Dirty", None, None)),
    (("Drake", "One Dance (Extended Mix)"), ("Drake", "One Dance", "Extended", None, None, None)),
    (("Drake", "One Dance [124-101]"), ("Drake", "One Dance", "124-101", None, None, None)),
    (
        ("Drake", "One Dance (Transition 124 - 101) - HD"),
        ("Drake", "One Dance", "Transition 124-101", None, "HD", None),
    ),
    (
        ("Drake", "One Dance (Intro) [Clean] - qHD"),
        ("Drake", "One Dance", "Intro", "Clean", "qHD", None),
    ),
    (("Usher", "Yeah! (Clean Extended)"), ("Usher", "Yeah!", "Extended", "Clean", None, None)),
    (("Usher", "Yeah! (acapella in)"), ("Usher", "Yeah!", "Acapella In", None, None, None)),
    (("Usher", "Yeah! (Quick Hit Dirty)"), ("Usher", "Yeah!", "Quick Hit", "Dirty", None, None)),
    (
        ("Usher", "Yeah! [Short Edit] (Intro)"),
        ("Usher", "Yeah!", "Short Edit Intro", None, None, None),
    ),
    (("Usher", "Yeah! (Explicit)"), ("Usher", "Yeah!", None, "Dirty", None, None)),
    (
        ("Drake", "One Dance (feat. Wizkid & Kyla) [Clean]"),
        ("Drake feat. Wizkid & Kyla", "One Dance", None, "Clean", None, None),
    ),
    (
        ("Drake feat. Wizkid", "One Dance (feat. Kyla)"),
        ("Drake feat. Wizkid & Kyla", "One Dance", None, None, None, None),
    ),
    (
        ("Avicii", "Levels (Skrillex Extended Remix) [Dirty]"),
        ("Avicii", "Levels (Skrillex Remix)", "Extended", "Dirty", None, "Skrillex Remix"),
    ),
    (
        ("Avicii", "Levels - Skrillex Remix - Clean"),
        ("Avicii", "Levels (Skrillex Remix)", None, "Clean", None, "Skrillex Remix"),
    ),
    (
        ("Avicii", "Levels (X Remix Radio Edit)"),
        ("Avicii", "Levels (X Remix)", "Radio Edit", None, None, "X Remix"),
    ),
    (
        ("Eminem", "Lose Yourself (From 8 Mile) [Clean]"),
        ("Eminem", "Lose Yourself (From 8 Mile)", None, "Clean", None, None),
    ),
    (("Ｄｒａｋｅ", "Ｏｎｅ Ｄａｎｃｅ"), ("Drake", "One Dance", None, None, None, None)),
    (("Artist", "Intro"), ("Artist", "Intro", None, None, None, None)),
    (("Artist", "Intro - Clean"), ("Artist", "Intro", None, "Clean", None, None)),
    (("Artist", "[Clean]"), ("Artist", "[Clean]", None, None, None, None)),
]

# artist field -> normalised artists: the lead first, the others sorted.
ARTISTS: list[tuple[str, tuple[str, ...]]] = [
    ("Lil Nas X", ("lil nas x",)),
    ("Lil Nas X x Billy Ray Cyrus", ("lil nas x", "billy ray cyrus")),
    ("LIL NAS X X BILLY RAY CYRUS", ("lil nas x", "billy ray cyrus")),
    ("Malcolm X", ("malcolm x",)),
    ("X Ambassadors", ("x ambassadors",)),
    ("XXXTentacion x Trippie Redd", ("xxxtentacion", "trippie redd")),
    ("Marshmello x Bastille", ("marshmello", "bastille")),
    ("A x B x C", ("a", "b", "c")),
    ("Drake feat. Wizkid & Kyla", ("drake", "kyla", "wizkid")),
    ("Drake, Wizkid; Kyla", ("drake", "kyla", "wizkid")),
    ("Major Lazer vs. DJ Snake", ("major lazer", "dj snake")),
    ("The Weeknd feat. The Neptunes", ("weeknd", "neptunes")),
    ("The The", ("the",)),
    ("Kool & The Gang", ("kool", "gang")),
    ("Earth, Wind & Fire", ("earth", "fire", "wind")),
    ("Tyler, The Creator", ("tyler the creator",)),
    ("AC/DC", ("ac dc",)),
    ("", ()),
]


@pytest.mark.parametrize(("rule", "one", "other"), SAME, ids=[r for r, _, _ in SAME])
def test_the_same_song_written_two_ways_has_one_key(rule: str, one: Song, other: Song) -> None:
    assert song_key(*one) == song_key(*other), rule


@pytest.mark.parametrize(("rule", "one", "other"), DIFFERENT, ids=[r for r, _, _ in DIFFERENT])
def test_different_songs_have_different_keys(rule: str, one: Song, other: Song) -> None:
    assert song_key(*one) != song_key(*other), rule


@pytest.mark.parametrize(("song", "fields"), FIELDS, ids=[t for (_, t), _ in FIELDS])
def test_what_the_title_carried_is_kept_as_fields(
    song: Song, fields: tuple[str, str, str | None, str | None, str | None, str | None]
) -> None:
    ident = identify(*song)
    got = (ident.clean_artist, ident.clean_title, ident.tool, ident.advisory, ident.quality)
    assert (*got, ident.remix) == fields


@pytest.mark.parametrize(("artist", "artists"), ARTISTS, ids=[a or "empty" for a, _ in ARTISTS])
def test_artists_split_lead_first_then_the_others_sorted(
    artist: str, artists: tuple[str, ...]
) -> None:
    assert identify(artist, "Song").artists == artists


def test_the_key_is_the_normalised_artists_and_title() -> None:
    ident = identify("Beyoncé feat. JAY-Z", "Crazy In Love (Intro) [Clean]")
    assert ident == SongIdentity(
        key="beyonce,jay z|crazy in love",
        artists=("beyonce", "jay z"),
        title="crazy in love",
        clean_artist="Beyoncé feat. JAY-Z",
        clean_title="Crazy In Love",
        tool="Intro",
        advisory="Clean",
        quality=None,
    )
    assert song_key("Beyoncé feat. JAY-Z", "Crazy In Love") == ident.key


def test_normalize_and_display_forms() -> None:
    assert normalize("Don’t  Stop—Ｍｅ & Zoë!") == "dont stop me and zoe"
    assert normalize("東京") == "dongjing"  # transliterated, not dropped
    assert display("  One\u200b Dance\x00\n(Intro) ") == "One Dance (Intro)"


def test_every_version_of_a_demo_song_has_one_key_and_its_tool() -> None:
    for spec in DEMO_POOLS:
        keys: dict[int, set[str]] = {}
        for row in generate_catalog(spec, 400):
            ident = identify(row.artist, row.title)
            keys.setdefault(row.group_id, set()).add(ident.key)
            tool = " ".join(w for w in row.tool.split() if w not in ("Clean", "Dirty"))
            assert ident.tool == (None if row.tool == "Main" else tool or None), row.title
            assert ident.advisory in (None, row.advisory), row.title
            assert "[" not in ident.clean_title and "(" not in ident.clean_title, row.title
        assert all(len(k) == 1 for k in keys.values()), spec.name


@pytest.mark.parametrize(
    "hostile",
    [
        "(" * 200_000,
        "[" * 100_000 + "]" * 100_000,
        "a - " * 100_000,
        " feat. x" * 50_000,
        "\x00\x1b[31m\x07\ud800\U0010ffff" * 10_000,
        "\ufdfa" * 100_000,  # NFKC expands this one character to 18
    ],
    ids=["open-parens", "nested", "dashes", "feats", "controls", "nfkc-expansion"],
)
def test_hostile_input_is_cheap_and_never_raises(hostile: str) -> None:
    started = time.perf_counter()
    ident = identify(hostile, hostile)
    assert time.perf_counter() - started < 2.0
    assert ident.key.isascii() and "|" in ident.key


# --- properties ----------------------------------------------------------------------------

# Words normalisation leaves alone and no rule reads as a separator or feature keyword.
RESERVED = {"and", "vs", "ft", "feat", "featuring", "the", "with"}
words = st.text("abcdefghijklmnopqrstuvw", min_size=2, max_size=7).filter(
    lambda w: w not in RESERVED
)
names = st.lists(words, min_size=1, max_size=3).map(" ".join)
titles = st.lists(words, min_size=1, max_size=5).map(tuple)
TAGS = [
    "Intro", "Outro", "Extended", "Extended Mix", "Intro - Dirty", "Clean Extended", "124-101",
    "Quick Hit", "Short Edit", "Acapella", "Instrumental", "Radio Edit", "Transition 128-100",
    "Main", "Acapella In", "Redrum", "Clean", "Dirty",
]  # fmt: skip
SUFFIXES = ["Clean", "Dirty", "HD", "qHD", "Extended Mix"]
FEAT_WORDS = ["feat.", "ft.", "featuring", "Feat.", "FT."]
JOINERS = [" & ", ", ", " and ", " x ", " X "]
ACCENTS = str.maketrans("aeiou", "áéíóú")


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def reformat(draw: st.DrawFn, text: str) -> str:
    """``text`` with random case and extra spaces, maybe in full-width forms."""
    rnd = draw(st.randoms(use_true_random=False))
    text = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in text)
    text = "".join(c * rnd.randint(1, 3) if c == " " else c for c in text)
    text = " " * rnd.randint(0, 2) + text + " " * rnd.randint(0, 2)
    return _full_width(text) if rnd.random() < 0.25 else text


@st.composite
def accented(draw: st.DrawFn, name: str) -> str:
    """``name`` maybe with accents on its vowels (on names only: "féát." is no keyword)."""
    return name.translate(ACCENTS) if draw(st.booleans()) else name


@st.composite
def written_by_a_pool(
    draw: st.DrawFn, lead: str, featured: list[str], title: tuple[str, ...]
) -> Song:
    """One way a pool may write this song: featured artists anywhere in any order, tags in
    either bracket style, advisory or quality suffixes, any case, spacing or accents."""
    shuffled = [draw(accented(name)) for name in draw(st.permutations(featured))]
    joiner = draw(st.sampled_from(JOINERS))
    feat = f"{draw(st.sampled_from(FEAT_WORDS))} {joiner.join(shuffled)}" if featured else ""
    place = draw(st.sampled_from(["artist", "title", "brackets"]))
    artist, song = draw(accented(lead)), " ".join(draw(accented(w)) for w in title)
    if feat and place == "artist":
        artist = f"{artist} {feat}"
    elif feat:
        song = f"{song} ({feat})" if place == "brackets" else f"{song} {feat}"
    for tag in draw(st.lists(st.sampled_from(TAGS), max_size=2)):
        song += f" ({tag})" if draw(st.booleans()) else f" [{tag}]"
    for suffix in draw(st.lists(st.sampled_from(SUFFIXES), max_size=2)):
        song += f" - {suffix}"
    return draw(reformat(artist)), draw(reformat(song))


@settings(max_examples=200, deadline=None)
@given(data=st.data(), lead=names, featured=st.lists(names, max_size=3, unique=True), title=titles)
def test_the_key_is_stable_under_reformatting(
    data: st.DataObject, lead: str, featured: list[str], title: tuple[str, ...]
) -> None:
    plain = identify(f"{lead} feat. {' & '.join(featured)}" if featured else lead, " ".join(title))
    artist, song = data.draw(written_by_a_pool(lead, featured, title))
    ident = identify(artist, song)
    assert ident.key == plain.key
    assert normalize(ident.clean_title) == " ".join(title)
    assert identify(ident.clean_artist, ident.clean_title).key == plain.key


@settings(max_examples=200, deadline=None)
@given(data=st.data(), artist=names, titles=st.lists(titles, min_size=2, max_size=2, unique=True))
def test_two_different_titles_by_one_artist_never_collide(
    data: st.DataObject, artist: str, titles: list[tuple[str, ...]]
) -> None:
    one, other = (data.draw(written_by_a_pool(artist, [], title)) for title in titles)
    assert identify(*one).key != identify(*other).key


@settings(max_examples=200, deadline=None)
@given(artist=names, title=titles, remixer=names)
def test_a_named_remix_never_collides_with_the_original(
    artist: str, title: tuple[str, ...], remixer: str
) -> None:
    original = song_key(artist, " ".join(title))
    assert song_key(artist, f"{' '.join(title)} ({remixer} Remix)") != original
    assert song_key(artist, f"{' '.join(title)} - {remixer} Remix") != original


tricky = st.lists(
    st.sampled_from(
        [
            *"()[]-–&+,;.'’x X",
            *[" feat. ", " ft ", "(with ", " - ", "Remix", "Clean", "124-101", "The ", " and "],
            *["Ｘ", "\u200b", "\x00", "\ufdfa", "é", "\u0301", "İ", "ß"],
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(artist=st.text() | tricky, title=st.text() | tricky)
def test_identify_never_raises_on_any_text(artist: str, title: str) -> None:
    ident = identify(artist, title)
    assert ident.key == song_key(artist, title)
    assert ident.key.isascii() and ident.key.count("|") == 1
    assert ident.title == ident.key.split("|")[1]
    shown = ident.clean_artist + ident.clean_title
    assert not any(unicodedata.category(c) == "Cc" for c in shown)
