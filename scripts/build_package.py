"""Build the one-folder app and smoke-test it (run through `scripts/package`).

1. PyInstaller runs packaging/crateq.spec: dist/crateq/ (work files in build/).
2. Smoke tests of the result: `crateq --version` prints the version, and `crateq gui --demo`
   starts offscreen, paints its first window, quits by itself and exits 0.
3. Figures: the folder's size (du) and the cold start to the first painted window, median
   of several runs of the built app next to the same command run from the venv.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "crateq.spec"


def build(dist: Path, work: Path) -> Path:
    """Run PyInstaller on the spec; the built app's executable."""
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True)
    return app_executable(dist)


def app_executable(dist: Path) -> Path:
    name = "crateq.exe" if sys.platform == "win32" else "crateq"
    return dist / "crateq" / name


def app_env(home: str) -> dict[str, str]:
    """The environment of a smoke run: offscreen Qt, its own $CRATEQ_HOME, and nothing that
    would make the frozen app read this checkout instead of its own copy."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(QT_QPA_PLATFORM="offscreen", CRATEQ_HOME=home)
    return env


def smoke(app: Path) -> None:
    """The two smoke tests; raises SystemExit with the reason when one fails."""
    from crateq import __version__

    with tempfile.TemporaryDirectory(prefix="crateq-smoke-") as home:
        env = app_env(home)
        version = subprocess.run([str(app), "--version"], env=env, capture_output=True,
                                 text=True, timeout=60, check=False)  # fmt: skip
        if version.returncode != 0 or __version__ not in version.stdout:
            raise SystemExit(f"`crateq --version` failed: {version.stdout}{version.stderr}")
        print(f"smoke: {version.stdout.strip()}")
        env["CRATEQ_GUI_REPORT_PAINT"] = "1"
        gui = subprocess.run([str(app), "gui", "--demo", "--quit-after", "500"], env=env,
                             capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        painted = "first-paint " in gui.stderr
        if gui.returncode != 0 or not painted:
            raise SystemExit(
                f"`crateq gui --demo` exited {gui.returncode} (painted: {painted}):\n"
                + gui.stderr[-3000:]
            )
        print("smoke: `crateq gui --demo` painted its window offscreen and exited 0")


def folder_size(app: Path) -> str:
    out = subprocess.run(["du", "-sh", str(app.parent)], capture_output=True, text=True,
                         check=False)  # fmt: skip
    return out.stdout.split()[0] if out.returncode == 0 else "?"


def first_paint(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from process start to the ``first-paint <monotonic>`` line it printed."""
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    for line in proc.stderr.splitlines():
        if line.startswith("first-paint "):
            return float(line.split()[1]) - start
    raise SystemExit(f"no first paint reported by {cmd[0]}: {proc.stderr[-2000:]}")


def cold_start(app: Path, repeats: int) -> dict[str, float]:
    """Median first paint of `crateq gui --mode app`, built app and venv, in turns.

    As in scripts/bench_ui.py the venv runs with a bytecode cache (the built app has its
    bytecode compiled in), filled by one untimed start of each; every run gets a new home."""
    pycache = tempfile.TemporaryDirectory(prefix="crateq-pycache-")
    venv = [sys.executable, "-c", "from crateq.launch import main; main()"]
    commands = {"built app": [str(app)], "venv": venv}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for repeat in range(repeats + 1):  # the first round fills the caches, untimed
        for name in sorted(commands, reverse=bool(repeat % 2)):
            with tempfile.TemporaryDirectory(prefix="crateq-cold-") as home:
                env = app_env(home) if name == "built app" else dict(os.environ, CRATEQ_HOME=home)
                env.update(QT_QPA_PLATFORM="offscreen", CRATEQ_GUI_REPORT_PAINT="1")
                env.update(CRATEQ_GUI_QUIT_AFTER_MS="0", PYTHONPYCACHEPREFIX=pycache.name)
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                seconds = first_paint([*commands[name], "gui", "--mode", "app"], env)
                if repeat:
                    times[name].append(seconds)
    pycache.cleanup()
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    parser.add_argument("--no-build", action="store_true", help="test the app already built")
    parser.add_argument("--repeats", type=int, default=7, help="cold-start runs of each")
    parser.add_argument("--no-timing", action="store_true", help="skip the cold-start figures")
    args = parser.parse_args()
    app = app_executable(args.dist) if args.no_build else build(args.dist, args.work)
    smoke(app)
    print(f"size: {folder_size(app)} in {app.parent}")
    if not args.no_timing and args.repeats > 0:
        figures = cold_start(app, args.repeats)
        built, venv = figures["built app"], figures["venv"]
        print(
            f"cold start to first paint (median of {args.repeats}): built app "
            f"{built * 1000:.0f} ms, venv {venv * 1000:.0f} ms ({built / venv:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
