"""Entry script of the windowed builds (macOS .app, Windows CrateQ.exe): ``crateq gui``.

A double-clicked app gets no command line, so it opens the window instead of the CLI's
help; arguments it does get (``--demo``, ``--mode widget``) go to ``crateq gui``.
"""

import sys

from crateq.launch import main

main(["gui", *(arg for arg in sys.argv[1:] if not arg.startswith("-psn_"))])
