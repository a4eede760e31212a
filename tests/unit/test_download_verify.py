"""A finished .part must be whole, match its ETag and parse as the media it claims."""

from __future__ import annotations

import hashlib
from pathlib import Path

import lameenc
import pytest

from crateq.core.download_transfer import TransferResult, TransferState, sha256_etag
from crateq.core.download_verify import verify
from crateq.core.errors import VerificationFailed


def _mp3() -> bytes:
    enc = lameenc.Encoder()
    enc.set_bit_rate(128)
    enc.set_in_sample_rate(44100)
    enc.set_channels(1)
    return enc.encode(bytes(44100 * 2)) + enc.flush()


def _result(data: bytes, *, etag: str = "", total: int | None = None) -> TransferResult:
    state = TransferState(etag=etag, total=len(data) if total is None else total)
    return TransferResult(len(data), hashlib.sha256(data).hexdigest(), state)


def test_whole_mp3_with_matching_etag_passes(tmp_path: Path) -> None:
    data = _mp3()
    part = tmp_path / "a.mp3.part"
    part.write_bytes(data)
    verify(part, _result(data, etag=f'"{hashlib.sha256(data).hexdigest()}"'), ".mp3")


def test_html_error_page_saved_as_mp3_is_rejected(tmp_path: Path) -> None:
    page = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>\n" * 20
    part = tmp_path / "a.mp3.part"
    part.write_bytes(page)
    with pytest.raises(VerificationFailed, match="not a valid MP3"):
        verify(part, _result(page), ".mp3")


def test_wrong_sha_or_short_file_is_rejected(tmp_path: Path) -> None:
    data = _mp3()
    part = tmp_path / "a.mp3.part"
    part.write_bytes(data)
    with pytest.raises(VerificationFailed, match="SHA-256"):
        verify(part, _result(data, etag="W/" + "0" * 64), ".mp3")
    with pytest.raises(VerificationFailed, match="announced"):
        verify(part, _result(data, total=len(data) + 1), ".mp3")


def test_etags_that_are_not_sha256_are_not_compared() -> None:
    assert sha256_etag('"abc"') is None
    assert sha256_etag('W/"' + "A" * 64 + '"') == "a" * 64


def test_verify_names_the_checks_that_ran(tmp_path: Path) -> None:
    data = _mp3()
    part = tmp_path / "a.mp3.part"
    part.write_bytes(data)
    sha = f'"{hashlib.sha256(data).hexdigest()}"'
    assert verify(part, _result(data, etag=sha), ".mp3") == ["length", "media", "sha256"]
    assert verify(part, _result(data, etag='"v1-abc"'), ".mp3") == ["length", "media"]
    resumed = _result(data, etag='"v1-abc"')
    resumed.ranged = True
    assert verify(part, resumed, ".mp3") == ["length", "content-range", "media"]
    chunked = _result(data)
    chunked.state.total = None  # no Content-Length: nothing to hold the length against
    assert verify(part, chunked, ".mp3", parse=False) == []
    odd = tmp_path / "a.xyz.part"
    odd.write_bytes(data)
    assert verify(odd, _result(data), ".xyz") == ["length"]  # no parser for that type
