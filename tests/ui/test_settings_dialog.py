"""The settings dialog writes the file the CLI reads, and only its own sections."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from crateq.core.settings import PoolConfig, Settings, load_settings, save_settings
from crateq.ui.settings.settings_dialog import SettingsDialog


def test_saved_choices_persist_and_reload(qtbot: QtBot, crateq_home: Path) -> None:
    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(crateq_home / "crates"))
    dialog.file_template.setText("{artist} - {title} ({tool})")
    dialog.per_pool_jobs.setValue(2)
    dialog.total_jobs.setValue(5)
    dialog.auto_download.setChecked(True)
    dialog.auto_interval.setValue(120)
    dialog.overwrite_tags.setChecked(True)
    dialog.theme.setCurrentIndex(dialog.theme.findData("high-contrast"))
    dialog.opacity.setValue(80)
    with qtbot.waitSignal(dialog.saved):
        assert dialog.save()

    again = load_settings()
    assert again.downloads.folder == str(crateq_home / "crates")
    assert again.downloads.file_template == "{artist} - {title} ({tool})"
    assert (again.downloads.per_pool_jobs, again.downloads.total_jobs) == (2, 5)
    assert again.downloads.auto_download and again.downloads.auto_interval_seconds == 120
    assert again.downloads.overwrite_tags
    assert again.ui.theme == "high-contrast"
    assert again.ui.widget_opacity == 0.8


def test_saving_keeps_pools_added_meanwhile(qtbot: QtBot, crateq_home: Path) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    # another part of the app (accounts dialog, CLI) adds a pool while the dialog is open
    beside = load_settings()
    beside.pools.append(PoolConfig(name="p1", url="http://127.0.0.1:1/", api_key="k", username="u"))
    save_settings(beside)
    dialog.per_pool_jobs.setValue(4)
    assert dialog.save()
    again = load_settings()
    assert [p.name for p in again.pools] == ["p1"]
    assert again.downloads.per_pool_jobs == 4


def test_live_example_follows_the_templates(qtbot: QtBot, crateq_home: Path) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(crateq_home / "dl"))
    dialog.folder_template.setText("{genre}/{year}")
    dialog.file_template.setText("{artist} - {title} [{bpm}]")
    shown = Path(dialog.example.toolTip())
    assert shown == crateq_home / "dl" / "House" / "2000" / "Daft Punk - One More Time [123].mp3"
    assert Path(dialog.example.text()) == Path("House/2000/Daft Punk - One More Time [123].mp3")
    # a value can never climb out of the download folder
    dialog.folder_template.setText("../../{artist}")
    assert Path(dialog.example.toolTip()).parent == crateq_home / "dl" / "Daft Punk"


def test_cancel_writes_nothing(qtbot: QtBot, crateq_home: Path) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.total_jobs.setValue(9)
    dialog.reject()
    assert not (crateq_home / "config" / "settings.json").exists()
