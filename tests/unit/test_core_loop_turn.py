"""The core loop gives way to the GUI thread: no new round of callbacks while the GUI holds
its turn (a grid paint), and it waits no longer than ``GuiTurn.MAX_WAIT`` for it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Iterator

import pytest

from crateq import core_loop
from crateq.core_loop import GUI_TURN, CoreLoop


@pytest.fixture
def core() -> Iterator[CoreLoop]:
    loop = CoreLoop("test-core")
    loop.start()
    yield loop
    loop.stop()


async def _answer() -> str:
    return "ran"


def test_work_waits_for_the_gui_turn_to_end(
    core: CoreLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_loop.GuiTurn, "MAX_WAIT", 30.0)
    with GUI_TURN:
        future = core.submit(_answer())
        done, _ = concurrent.futures.wait([future], timeout=0.2)
        assert not done  # the loop woke up for it, then waited for the turn to end
    assert future.result(5) == "ran"


def test_a_turn_held_too_long_only_delays_the_core(
    core: CoreLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_loop.GuiTurn, "MAX_WAIT", 0.05)
    with GUI_TURN:  # e.g. a paint stuck in a dialog: the network must go on
        assert core.submit(_answer()).result(5) == "ran"


def test_turns_nest_and_end_with_the_outermost() -> None:
    with GUI_TURN:
        with GUI_TURN:
            assert GUI_TURN.held == 2
        assert GUI_TURN.held == 1
    assert GUI_TURN.held == 0


def test_a_busy_core_round_is_followed_by_a_pause(core: CoreLoop) -> None:
    """A round that used CPU is followed by a GIL-free pause as long (capped), so the GUI
    thread finds the GIL free instead of waiting out the switch interval per call."""

    async def busy_then_stamp() -> tuple[float, float]:
        end = time.thread_time() + 0.01
        while time.thread_time() < end:  # 10 ms of CPU in one round
            pass
        busy_end = time.perf_counter()
        await asyncio.sleep(0)  # the next round starts after the pause
        return busy_end, time.perf_counter()

    busy_end, next_round = core.submit(busy_then_stamp()).result(5)
    assert next_round - busy_end >= 0.009
