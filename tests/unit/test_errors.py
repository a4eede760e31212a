"""One exception tree: everything api/ and core/ raise on purpose is a CrateQError, and the
faces turn any exception into one sentence (GUI, CLI) and an exit code (CLI)."""

from __future__ import annotations

import errno
import importlib
import inspect
import pkgutil

import pytest

import crateq.api
import crateq.core
from crateq.api.errors import CrateInputError, FilterError, PoolUnavailable
from crateq.core.errors import (
    AlreadyHave,
    ConfigError,
    CrateQError,
    DiskFull,
    DownloadError,
    StoreError,
    TransferInterrupted,
    exit_code,
    user_message,
)


def _exception_classes() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for package in (crateq.api, crateq.core):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for _, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, BaseException) and value.__module__ == module.__name__:
                    found.append(value)
    return found


def test_every_exception_class_of_api_and_core_is_in_the_one_tree() -> None:
    classes = _exception_classes()
    assert DiskFull in classes and PoolUnavailable in classes
    assert [c.__qualname__ for c in classes if not issubclass(c, CrateQError)] == []


def test_user_message_is_our_sentence_or_a_generic_one_naming_the_class() -> None:
    failure = PoolUnavailable("Pool a could not be reached.", pool="a")
    assert user_message(failure) == "Pool a could not be reached."
    assert user_message(KeyError("x")) == "Something went wrong (KeyError)."


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (None, 0),
        (PoolUnavailable("down", pool="a"), 1),
        (ConfigError("no pool"), 1),
        (StoreError("newer"), 1),
        (TransferInterrupted(), 1),
        (RuntimeError("bug"), 1),
        (FilterError("bpm 80-"), 2),
        (CrateInputError("empty"), 2),
    ],
)
def test_exit_codes_are_0_ok_1_failure_2_bad_usage(exc: BaseException | None, code: int) -> None:
    assert exit_code(exc) == code


def test_the_core_errors_keep_what_their_handlers_use() -> None:
    full = DiskFull(errno.ENOSPC)
    assert isinstance(full, OSError) and isinstance(full, DownloadError)
    assert full.errno == errno.ENOSPC and str(full) == "The disk is full."
    assert AlreadyHave("ab" * 32).sha256 == "ab" * 32
