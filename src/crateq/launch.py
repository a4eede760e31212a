"""The ``crateq`` console script: opens the GUI straight away, everything else goes to click.

``crateq gui`` is what a DJ starts before a set, so it takes the shortest path to the first
painted window: its few options are read here and click (tens of milliseconds of imports
before Qt even loads) is skipped. Any other command, ``--help``, or an option this reader
does not know goes to :mod:`crateq.cli`, which parses the full command line as always (so
``crateq gui --mode bogus`` still gets click's usage error).

``crateq gui --demo`` starts the demo servers through ``crateq.cli.demo_seed``: the GUI only
receives their URLs and keys as settings.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from crateq.ui.shell.mode_names import MODES

if TYPE_CHECKING:  # importlib.abc itself imports importlib.resources, pathlib, tempfile...
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec


class GuiOptions:
    """What ``crateq gui`` was asked for (the same options as ``crateq.cli.gui``)."""

    def __init__(self) -> None:
        self.demo = False
        self.mode: str | None = None
        self.quit_after_ms: int | None = None


def gui_options(args: Sequence[str]) -> GuiOptions | None:
    """The options of ``crateq gui ARGS``, or None when click must decide."""
    options = GuiOptions()
    items = list(args)
    while items:
        arg = items.pop(0)
        name, has_value, value = arg.partition("=")
        if arg == "--demo":
            options.demo = True
        elif name in ("--mode", "--quit-after"):
            if not has_value:
                if not items:
                    return None
                value = items.pop(0)
            if name == "--mode":
                if value not in MODES:
                    return None
                options.mode = value
            else:
                if not value.isdigit():
                    return None
                options.quit_after_ms = int(value)
        else:
            return None
    return options


class _Unused:
    """A meta-path finder that makes the named modules fail to import (ModuleNotFoundError)."""

    def __init__(self, *names: str) -> None:
        self.names = frozenset(names)

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name in self.names:
            raise ModuleNotFoundError(f"{name} is not used by crateq", name=name)


class _OnFirstUse:
    """A meta-path finder that runs the named modules on their first real use, not when
    they are imported: what an import names but a run may never touch (see ``_FIRST_USE``).

    ``importlib.util.LazyLoader`` is not enough: a second ``import`` of a lazy module reads
    its ``__spec__``, and that alone ran the module. Here the module's identity (name, spec,
    loader, path) is read without running it; any other attribute runs it first."""

    def __init__(self, *names: str) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name not in self.names:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec: ModuleSpec | None = find(name, path, target)
            if spec is None:
                continue
            if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = cast("Loader", _RunOnUse(spec.loader))
            return spec
        return None


class _RunOnUse:
    """Creates the module as the real loader would; runs its code on first use (a loader
    by the protocol: ``create_module`` and ``exec_module``)."""

    def __init__(self, real: Loader) -> None:
        self.real = real

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        import threading

        module.__dict__["_crateq_real_loader"] = self.real
        module.__dict__["_crateq_lock"] = threading.RLock()
        module.__class__ = _NotRunYet


_IDENTITY = frozenset({"__name__", "__spec__", "__loader__", "__path__", "__package__",
                       "__class__", "__dict__", "__file__"})  # fmt: skip


class _NotRunYet(ModuleType):
    """A module whose code has not run: the first use of anything but its identity runs it
    (one thread runs it, others wait for it); a failure takes it out of ``sys.modules``
    and is raised, as a failed import would be."""

    def __getattribute__(self, attr: str) -> Any:  # Any: whatever the module defines
        if attr in _IDENTITY:
            return object.__getattribute__(self, attr)
        namespace = object.__getattribute__(self, "__dict__")
        if "_crateq_real_loader" in namespace and attr in _CALLED_LATER.get(
            namespace["__name__"], ()
        ):
            return _stand_in(self, attr)
        if not _run(self):  # not run: its own code reads it mid-run
            return object.__getattribute__(self, attr)
        return getattr(self, attr)

    def __dir__(self) -> list[str]:
        return dir(self) if _run(self) else list(object.__getattribute__(self, "__dict__"))


def _stand_in(module: ModuleType, attr: str) -> Callable[..., Any]:  # Any: the function's own
    """A function that runs ``module`` when called, then calls its ``attr``."""

    name = object.__getattribute__(module, "__name__")

    def stand_in(*args: Any, **kwargs: Any) -> Any:  # Any: the function's own
        import importlib

        # A run that failed took the module out of sys.modules: importing it again raises
        # the same error.
        current = sys.modules.get(name) or importlib.import_module(name)
        if isinstance(current, _NotRunYet):
            _run(current)
        return getattr(current, attr)(*args, **kwargs)

    stand_in.__name__ = stand_in.__qualname__ = attr
    return stand_in


def _run(module: ModuleType) -> bool:
    """Run ``module``'s code unless it ran; False while this thread is running it."""
    namespace = object.__getattribute__(module, "__dict__")
    lock = namespace.get("_crateq_lock")
    if lock is None:  # run already (by another thread, just now)
        return True
    with lock:
        real = namespace.pop("_crateq_real_loader", None)
        if real is None:  # another thread ran it meanwhile, or this one is running it
            return "_crateq_lock" not in namespace
        try:
            real.exec_module(module)
        except BaseException:
            name = namespace.get("__name__", "")
            sys.modules.pop(name, None)
            object.__setattr__(module, "__class__", ModuleType)
            raise
        object.__setattr__(module, "__class__", ModuleType)
        namespace.pop("_crateq_lock", None)
    return True


# h2 (HTTP/2), which httpcore imports whole: only an HTTPS pool that offers HTTP/2 uses it,
# and its events module alone (dataclasses) costs a one-file download ~20 ms of start-up.
# ``h2.config`` is used at import (a class attribute of httpcore's HTTP/2 connection).
_FIRST_USE: tuple[str, ...] = ("h2.connection", "h2.events", "h2.exceptions", "h2.settings")
# Package metadata (zipfile, csv, email parsing...): read only to discover plugins, which no
# command of CrateQ's needs when keyring's backend is configured and pydantic's plugins are
# off. keyring imports the backport (before Python 3.12) or the standard module as a module.
_FIRST_USE += ("importlib.metadata", "importlib_metadata")
# Functions an importer only names and may never call: until the module runs, naming one
# hands out a stand-in that runs the module when called. pydantic's plugin loader imports
# ``entry_points`` and calls it only when plugins are on.
_CALLED_LATER = {"importlib.metadata": frozenset({"entry_points"})}


def skip_unused_imports() -> None:
    """Keep two imports no command uses out of this process (a user's own setting wins):

    httpx's own command line, which ``import httpx`` loads with rich, pygments and click's
    extras when they are installed (httpx then defines its ``main`` stub), and pydantic's
    plugin discovery, which reads every installed distribution's entry points on the first
    model (CrateQ uses no pydantic plugin). Together about half of a one-file
    ``crateq download``'s start-up (docs/PERFORMANCE.md, "CLI start-up"). And h2 and the
    package-metadata readers run on their first use (``_FIRST_USE``).
    """
    import os

    if not any(isinstance(finder, _Unused) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Unused("httpx._main"))
        sys.meta_path.insert(0, _OnFirstUse(*_FIRST_USE))
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["gui"]:
        options = gui_options(args[1:])
        if options is not None:
            from crateq.cli.demo_seed import start_gui_demo
            from crateq.ui.shell.app import run

            demo = start_gui_demo if options.demo else None
            sys.exit(run(demo=demo, mode=options.mode, quit_after_ms=options.quit_after_ms))
    skip_unused_imports()
    from crateq.cli import main as cli

    if argv is not None:  # called from Python (tests): click's SystemExit as usual
        cli(args=args)
        return
    try:
        cli(args=args)
    except SystemExit as done:
        exit_now(done.code)
    exit_now(0)


def exit_now(code: object) -> None:
    """End a finished command without the interpreter's teardown of every module and
    object (tens of milliseconds after a download's imports, felt on every command).

    Everything that teardown would run for a reason runs first, in the interpreter's own
    order: threading's shutdown (executors told to stop, then every other non-daemon thread
    joined), the exit handlers (logging's flush, multiprocessing's clean-up), standard
    output and error flushed; then the process ends with ``code`` (``SystemExit``'s
    meaning: None is 0, a text is printed and is 1)."""
    import atexit
    import os
    import threading

    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    status = code if isinstance(code, int) else (0 if code is None else 1)
    threading._shutdown()  # type: ignore[attr-defined]  # what Python's exit calls first
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (crateq ... | head), as Python ends
            status = status or 120
    os._exit(status)


if __name__ == "__main__":
    main()
