"""Run the lab over HTTP with uvicorn.

In the foreground (``osm-locus lab serve``) or in a background thread on a loopback port (tests,
and the deploy pipeline's default target).
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from fastapi import FastAPI


class LabServer:
    """A lab app served on ``host``; port 0 picks a free one. Use as a context manager."""

    def __init__(
        self,
        app: FastAPI,
        host: str = "127.0.0.1",
        port: int = 0,
        certfile: str | None = None,
        keyfile: str | None = None,
        log_level: str = "warning",
    ) -> None:
        """``certfile``/``keyfile``: serve HTTPS, as OSM's NBI does (self-signed by default)."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it: without, a response's header and body writes meet
        # the client's delayed ACK and every call costs ~40 ms on loopback
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind((host, port))
        self.host, self.port = self.sock.getsockname()[:2]
        self.scheme = "https" if certfile else "http"
        config = uvicorn.Config(
            app,
            log_level=log_level,
            access_log=log_level == "info",
            lifespan="off",
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.sock]},
            daemon=True,
            name="osm-locus-lab",
        )

    @property
    def url(self) -> str:
        """Base URL of the NBI, e.g. ``http://127.0.0.1:40123/osm``."""
        return f"{self.scheme}://{self.host}:{self.port}/osm"

    def start(self, timeout: float = 10.0) -> LabServer:
        """Start serving and wait until the server accepts requests."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"lab server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(app: FastAPI, host: str, port: int) -> None:
    """Serve in the foreground until interrupted (SIGINT/SIGTERM handled by uvicorn)."""
    server = LabServer(app, host, port, log_level="info")
    server.server.run(sockets=[server.sock])
