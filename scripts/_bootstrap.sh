# Sourced by scripts/demo, scripts/test and scripts/bench: makes .venv ready to run CrateQ.
# Creates the venv when missing, installs the project with its test and demo extras when
# pyproject.toml changed, and installs the Debian libraries Qt needs (as root) or prints the
# apt command.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
VENV="$ROOT/.venv"

# Debian packages: libpulse0 for QtMultimedia, xvfb + xcb libs for a real window (screenshots).
QT_DEBS=(libpulse0 libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3 xvfb xauth)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for deb in "${QT_DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
  done
fi
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages Qt needs: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Qt needs these Debian packages; install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating .venv" >&2
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
fi
stamp="$VENV/.crateq-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing CrateQ, its test tools and its demo servers into .venv" >&2
  "$VENV/bin/python" -m pip install -q -e ".[test,demo,analysis]" 2>&1 | grep -v "^WARNING: Location" >&2 || true
  "$VENV/bin/python" -c "import crateq, PySide6, httpx, pytest, starlette, uvicorn, lameenc" \
    && touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
