"""Demo pool helpers: search-parameter parsing, Range parsing, Content-Disposition, tokens."""

from __future__ import annotations

import urllib.parse

import pytest

from crateq.demo.auth import TokenAuthority, find_account
from crateq.demo.filters import BadRequest, parse_search
from crateq.demo.streaming import content_disposition, parse_range


def test_number_filters_accept_three_forms() -> None:
    assert parse_search({"bpm": "120"}).params == [120]
    assert parse_search({"bpm": "80,100, 120"}).params == [80, 100, 120]
    ranged = parse_search({"releaseYear": "2000-2010"})
    assert ranged.where == ["m.release_year BETWEEN ? AND ?"] and ranged.params == [2000, 2010]


@pytest.mark.parametrize("value", ["abc", "90-80", "1.5", "-", "9-x", ","])
def test_malformed_bpm_is_rejected(value: str) -> None:
    with pytest.raises(BadRequest):
        parse_search({"bpm": value})


def test_keywords_use_fts_for_long_words_and_like_for_short_ones() -> None:
    query = parse_search({"keywords": 'lo"ve DJ'})
    assert query.fts == ['{artist title editor} : "lo""ve"']
    assert query.params == ['"dj"']  # the letter-pair index
    assert parse_search({"artist": "a. x"}).params == ["a.", "x"]  # no index: instr


def test_page_size_is_capped_and_chart_orders_by_downloads() -> None:
    assert parse_search({"size": "100000"}).size == 500
    assert parse_search({"chart": "top"}).order_sql.startswith("m.downloads DESC")
    assert parse_search({"mix": "intro clean"}).params == ["Intro Clean"]


def test_range_forms() -> None:
    assert parse_range("bytes=100-", 1000) == (100, 1000)
    assert parse_range("bytes=100-199", 1000) == (100, 200)
    assert parse_range("bytes=-10", 1000) == (990, 1000)
    assert parse_range("bytes=1000-", 1000) == "unsatisfiable"
    assert parse_range("items=1-2", 1000) is None
    assert parse_range(None, 1000) is None


@pytest.mark.parametrize(
    "name", ['a/b\\c:d*e?f"g<h>i|j.mp3', "tab\there\x07.mp3", "Zoë - Café.mp3", "CON.mp3"]
)
def test_content_disposition_keeps_the_name_recoverable(name: str) -> None:
    header = content_disposition(name)
    assert header.startswith('attachment; filename="')
    assert all(0x20 <= ord(c) < 0x7F for c in header)
    if "filename*=" in header:
        assert urllib.parse.unquote(header.split("UTF-8''", 1)[1]) == name
    else:
        quoted = header.split('filename="', 1)[1][:-1]
        assert quoted.replace('\\"', '"').replace("\\\\", "\\") == name


def test_download_tokens_are_per_user_per_media_and_expire() -> None:
    tokens = TokenAuthority(b"s" * 32)
    token = tokens.download_token("1001", 5)
    assert tokens.download_token_valid(token, "1001", 5, 900)
    assert not tokens.download_token_valid(token, "1002", 5, 900)
    assert not tokens.download_token_valid(token, "1001", 6, 900)
    old = tokens.download_token("1001", 5, now=0)
    assert not tokens.download_token_valid(old, "1001", 5, 900)
    assert not TokenAuthority(b"o" * 32).download_token_valid(token, "1001", 5, 900)


def test_jwt_names_the_account_until_it_expires() -> None:
    tokens = TokenAuthority(b"s" * 32)
    account = find_account("demo", "demo")
    assert account is not None
    assert tokens.user_of(tokens.issue_jwt(account, 60)) == account
    assert tokens.user_of(tokens.issue_jwt(account, -1)) is None
    assert find_account("demo", "wrong") is None
