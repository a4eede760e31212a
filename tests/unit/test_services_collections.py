"""The composition root hands out the DJ's collections over its one store (a real SQLite file)."""

from __future__ import annotations

from pathlib import Path

from crateq.api.pool_models import MediaRow
from crateq.core.store import Store
from crateq.core.tracks import Track
from crateq.services import Services


def _row(media_id: int) -> MediaRow:
    row = MediaRow.model_validate({"mediaId": media_id, "artist": "A", "title": f"T{media_id}"})
    row.pool = "urban-beats"
    return row


def test_collections_crates_and_wishes_share_the_services_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "crateq.sqlite")
    services = Services(store=store)
    kept, binned = _row(1), _row(2)
    assert services.collections is services.collections  # one bin cache for every grid
    services.collections.bin([Track.of_row(binned)])
    assert services.collections.visible([kept, binned]) == [kept]
    services.crates.new("Sets/Friday")
    services.crates.add("Sets/Friday", [Track.of_row(kept)])
    store.close()

    reopened = Services(store=Store(tmp_path / "crateq.sqlite"))
    assert [t.key for t in reopened.crates.tracks("Sets/Friday")] == [kept.key]
    assert reopened.collections.is_visible(binned) is False
    assert reopened.history.downloads() == []
    reopened.store.close()
