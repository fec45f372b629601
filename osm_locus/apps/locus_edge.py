#!/usr/bin/env python3
"""LOCUS edge data service: ``GET /data`` answers a JSON list of 5 random integers in 0..100.

Runs in the edge KNF's pod (see Dockerfile). ``GET /healthz`` answers ``{"status": "ok"}``.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = logging.getLogger("locus-edge")
COUNT = 5
LOW, HIGH = 0, 100


def random_values(count: int = COUNT) -> list[int]:
    """``count`` integers drawn uniformly from LOW..HIGH inclusive."""
    return [LOW + secrets.randbelow(HIGH - LOW + 1) for _ in range(count)]


class EdgeHandler(BaseHTTPRequestHandler):
    """Serves /data and /healthz; anything else is a JSON 404."""

    server_version = "locus-edge/1.0"

    def do_GET(self) -> None:
        """Answer the two endpoints."""
        if self.path.split("?")[0] == "/data":
            self._json(200, random_values())
        elif self.path == "/healthz":
            self._json(200, {"status": "ok"})
        else:
            self._json(404, {"error": "not found", "path": self.path})

    def _json(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        """Route access logs through logging instead of stderr."""
        LOG.info("%s %s", self.address_string(), format % args)


def make_server(host: str, port: int) -> ThreadingHTTPServer:
    """A ready-to-serve edge server (port 0 picks a free port)."""
    server = ThreadingHTTPServer((host, port), EdgeHandler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    """Command line: ``locus_edge.py [--host H] [--port P]`` (defaults from LOCUS_HOST/PORT)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("LOCUS_HOST", "0.0.0.0"))  # noqa: S104
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOCUS_PORT", "8080")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = make_server(args.host, args.port)
    LOG.info("listening on %s:%d", args.host, server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
