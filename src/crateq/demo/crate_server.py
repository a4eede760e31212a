"""Run the crate stand-in with uvicorn on 127.0.0.1 in a background thread.

The listening socket is bound before the thread starts (port 0 picks a free port), so
``url`` is valid at once and early connections wait in the backlog: nobody has to poll or
sleep until the server is up.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
from types import TracebackType

import uvicorn

from crateq.demo.crate_app import DEMO_API_KEY, CrateDemoControl, create_app


class CrateStandIn:
    """A running stand-in: ``url``, ``api_key``, ``control`` (faults, list modes, requests)."""

    name = "crate"

    def __init__(
        self,
        names: list[str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        today: dt.date | None = None,
    ) -> None:
        self.control = CrateDemoControl()
        self.app = create_app(names, today=today, control=self.control)
        self.api_key = DEMO_API_KEY
        self._host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> CrateStandIn:
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when
        # the proto is TCP; without it every answer waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        sock.listen(128)
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])),
            name="crate-stand-in",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> CrateStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m crateq.demo.crate_server [--port N]``: the stand-in alone, until Ctrl-C.

    (``crateq demo serve`` runs it next to the demo pools as ``crate``.)
    """
    import argparse
    import signal

    parser = argparse.ArgumentParser(description="Serve the crate stand-in on loopback.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with CrateStandIn(port=args.port) as stand_in:
        print(f"READY crate {stand_in.url}/ {stand_in.api_key}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
