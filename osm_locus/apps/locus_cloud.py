#!/usr/bin/env python3
"""LOCUS cloud forwarder: ``GET /data`` is forwarded to the edge's ``/data``.

Runs on the cloud VNF's VM (installed by its cloud-init; the upstream is set by the proxy charm's
``configure-upstream`` primitive, which writes the config file and restarts the service). A slow or
unreachable edge never hangs the caller: the whole upstream exchange has one deadline, after which
the caller gets 504; a refused/failed connection or a bad answer gives 502. Errors are JSON.
Standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOG = logging.getLogger("locus-cloud")
DEFAULT_CONFIG = "/etc/locus/cloud.json"
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Upstream:
    """Where the edge service is and how long the cloud waits for it, in total."""

    host: str = ""
    port: int = 8080
    timeout: float = 5.0

    @classmethod
    def from_file(cls, path: str) -> Upstream:
        """Read ``{"edge_host", "edge_port", "timeout"}`` from a JSON file; missing file: unset."""
        try:
            with open(path, encoding="utf-8") as handle:
                data: dict[str, Any] = json.load(handle)
        except FileNotFoundError:
            return cls()
        return cls(
            str(data.get("edge_host", "")),
            int(data.get("edge_port", 8080)),
            float(data.get("timeout", 5.0)),
        )


class UpstreamError(Exception):
    """The edge could not give a usable answer; ``status`` is what the caller gets (502/504)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def fetch(upstream: Upstream, path: str = "/data") -> Any:
    """GET ``path`` from the edge within ``upstream.timeout`` seconds in total; parsed JSON."""
    deadline = time.monotonic() + upstream.timeout
    conn = http.client.HTTPConnection(upstream.host, upstream.port, timeout=upstream.timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        _tighten(conn, deadline)
        response = conn.getresponse()
        body = b""
        while True:
            _tighten(conn, deadline)
            chunk = response.read1(4096)
            if not chunk:
                break
            body += chunk
            if len(body) > MAX_BODY:
                raise UpstreamError(502, f"edge answer larger than {MAX_BODY} bytes")
    except TimeoutError as exc:
        raise UpstreamError(504, f"edge did not answer within {upstream.timeout:g} s") from exc
    except OSError as exc:
        raise UpstreamError(502, f"edge unreachable: {exc.strerror or exc}") from exc
    except http.client.HTTPException as exc:
        raise UpstreamError(502, f"bad HTTP answer from edge: {exc!r}") from exc
    finally:
        conn.close()
    if response.status != 200:
        raise UpstreamError(502, f"edge answered HTTP {response.status}")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise UpstreamError(502, "edge answer is not JSON") from exc


def _tighten(conn: http.client.HTTPConnection, deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("deadline passed")
    if conn.sock is not None:
        conn.sock.settimeout(remaining)


class CloudHandler(BaseHTTPRequestHandler):
    """Forwards /data; /healthz reports the configured upstream."""

    server_version = "locus-cloud/1.0"
    upstream_loader: Any = staticmethod(lambda: Upstream())

    def do_GET(self) -> None:
        """Answer /data by forwarding, /healthz locally."""
        upstream: Upstream = self.upstream_loader()
        route = self.path.split("?")[0]
        if route == "/healthz":
            self._json(200, {"status": "ok", "upstream": _label(upstream)})
        elif route != "/data":
            self._json(404, {"error": "not found", "path": self.path})
        elif not upstream.host:
            self._json(503, {"error": "edge upstream not configured (run configure-upstream)"})
        else:
            try:
                self._json(200, fetch(upstream, "/data"))
            except UpstreamError as exc:
                LOG.warning("upstream %s: %s", _label(upstream), exc)
                self._json(exc.status, {"error": str(exc), "upstream": _label(upstream)})

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


def _label(upstream: Upstream) -> str:
    return f"{upstream.host}:{upstream.port}" if upstream.host else "unset"


def make_server(host: str, port: int, config: str) -> ThreadingHTTPServer:
    """A forwarder reading its upstream from ``config`` on each request (so changes apply live)."""
    handler = type(
        "Handler",
        (CloudHandler,),
        {
            "upstream_loader": staticmethod(lambda: Upstream.from_file(config)),
        },
    )
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    """Command line: ``locus_cloud.py [--host H] [--port P] [--config FILE]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("LOCUS_HOST", "0.0.0.0"))  # noqa: S104
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOCUS_PORT", "8080")))
    parser.add_argument("--config", default=os.environ.get("LOCUS_CONFIG", DEFAULT_CONFIG))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = make_server(args.host, args.port, args.config)
    LOG.info(
        "listening on %s:%d, upstream config %s", args.host, server.server_address[1], args.config
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
