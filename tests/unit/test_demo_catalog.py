"""The demo catalog generator: deterministic, realistic enough, and sized as asked."""

from __future__ import annotations

from collections import defaultdict

from crateq.demo.catalog import DEMO_POOLS, GENRES, all_artist_names, generate_catalog, rosters
from crateq.demo.words import HOSTILE_FILENAMES


def test_same_arguments_give_the_same_rows() -> None:
    spec = DEMO_POOLS[0]
    assert generate_catalog(spec, 300) == generate_catalog(spec, 300)
    assert generate_catalog(spec, 300, seed=1) != generate_catalog(spec, 300)


def test_catalog_has_exactly_the_requested_size_and_unique_ids() -> None:
    rows = generate_catalog(DEMO_POOLS[1], 1234)
    assert len(rows) == 1234
    assert len({r.media_id for r in rows}) == 1234
    assert len({r.originator_id for r in rows}) == 1234


def test_versions_of_a_song_share_group_artist_and_bpm() -> None:
    groups = defaultdict(list)
    for row in generate_catalog(DEMO_POOLS[0], 2000):
        groups[row.group_id].append(row)
    multi = [rows for rows in groups.values() if len(rows) > 1]
    assert len(multi) > 100
    for rows in multi:
        assert len({(r.artist, r.bpm, r.genre_id) for r in rows}) == 1
        assert len({r.tool for r in rows}) == len(rows)


def test_bpm_stays_in_the_genre_range_and_tools_come_from_the_pool() -> None:
    genres = {g[0]: g for g in GENRES}
    for spec in DEMO_POOLS:
        for row in generate_catalog(spec, 500):
            low, high = genres[row.genre_id][3:5]
            assert low <= row.bpm <= high
            assert row.tool in spec.mixes
            assert row.genre_id in spec.genre_ids
            assert row.video == spec.video


def test_titles_carry_version_tags() -> None:
    rows = generate_catalog(DEMO_POOLS[1], 500)
    assert any("(Extended)" in r.title or "[Extended]" in r.title for r in rows)
    assert all(r.advisory in ("Clean", "Dirty") for r in rows)


def test_some_rows_have_hostile_filenames() -> None:
    names = {r.filename for r in generate_catalog(DEMO_POOLS[0], 3000)}
    assert len(names & set(HOSTILE_FILENAMES)) >= 5


def test_all_artist_names_is_deterministic_and_shared_across_pools() -> None:
    names = all_artist_names()
    assert names == all_artist_names() == sorted(set(names))
    roster = rosters()
    assert set(names) == {n for pool in roster.values() for n in pool}
    shared = set(roster["urban-beats"]) & set(roster["club-edits"]) & set(roster["vj-vault"])
    assert len(shared) >= 10
    used = {r.artist for r in generate_catalog(DEMO_POOLS[2], 3000)}
    assert used & shared


def test_every_pool_publishes_the_shared_songs_under_its_own_spelling() -> None:
    from crateq.core.identity import identify
    from crateq.demo.catalog import shared_song_for

    spellings: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for spec in DEMO_POOLS:
        for row in generate_catalog(spec, 600):
            if shared_song_for(row.group_id) is not None:
                spellings[identify(row.artist, row.title).key][spec.name].add(
                    f"{row.artist} - {row.title}"
                )
    in_all = [pools for pools in spellings.values() if len(pools) == len(DEMO_POOLS)]
    assert len(in_all) >= 5
    for pools in in_all:  # the same song, never written the same way by two pools
        written = [texts for texts in pools.values()]
        assert all(not (a & b) for i, a in enumerate(written) for b in written[i + 1 :])
    assert any(" ft. " in text for pools in in_all for text in pools["club-edits"])
    assert any("] - " in text for pools in in_all for text in pools["club-edits"])
