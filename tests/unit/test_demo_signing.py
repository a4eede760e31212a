"""Signing a listing's links cheaply gives the same tokens as signing each one on its own."""

from __future__ import annotations

import json
from pathlib import Path

from crateq.demo.auth import TokenAuthority
from crateq.demo.catalog import DEMO_POOLS, generate_catalog
from crateq.demo.filters import parse_search
from crateq.demo.pool_edits import record_from_update
from crateq.demo.store import MediaSettings, PoolStore

BASE = "http://127.0.0.1:9/"
USER = "1001"


def test_a_listings_download_tokens_are_the_single_tokens() -> None:
    tokens = TokenAuthority(b"k" * 32)
    for now in (0.0, 1_763_900_000.7, None):
        sign = tokens.download_tokens(USER, now)
        for media_id in (1, 100_001, 399_999):
            token = sign(media_id)
            if now is not None:
                assert token == tokens.download_token(USER, media_id, now)
            assert tokens.download_token_valid(token, USER, media_id, 1e12)
            assert not tokens.download_token_valid(token, "1002", media_id, 1e12)


def _store(folder: Path, name: str, tokens: TokenAuthority | None) -> PoolStore:
    previews = tokens.preview_token if tokens is not None else None
    store = PoolStore(folder / f"{name}.sqlite", DEMO_POOLS[0], MediaSettings(), previews)
    store.load(generate_catalog(DEMO_POOLS[0], 400))
    return store


def test_stored_preview_tokens_equal_tokens_signed_per_row(tmp_path: Path) -> None:
    tokens = TokenAuthority(b"p" * 32)
    stored, signed = _store(tmp_path, "stored", tokens), _store(tmp_path, "signed", None)
    try:
        odd = {"artist": "Edited Artist", "title": "Second version", "bpm": "101"}
        for store in (stored, signed):  # an edit bumps the version: a new preview token
            first = store.search(parse_search({"size": "1"}), USER)[1][0]
            store.upsert(record_from_update(str(first["originator_id"]), odd, None))
        for params in ({}, {"keywords": "edited"}, {"sort": "bpm", "page": "2", "size": "50"}):
            query = parse_search(params)
            a = stored.search_json(query, USER, tokens, BASE, 1e9)
            b = signed.search_json(query, USER, tokens, BASE, 1e9)
            assert a == b and a[1]
        other = TokenAuthority(b"o" * 32)  # not the store's signer: signed per row by it
        _, rows = stored.search_json(parse_search({"keywords": "edited"}), USER, other, BASE, 1e9)
        row = json.loads(rows[0])
        media_id, token = row["mediaId"], row["preview"].rpartition("?t=")[2]
        assert other.preview_token_valid(token, media_id, 2)
        assert not tokens.preview_token_valid(token, media_id, 2)
    finally:
        stored.close()
        signed.close()
