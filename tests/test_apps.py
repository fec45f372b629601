"""The LOCUS workflow end to end on loopback: cloud forwarder -> edge data service -> caller."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from osm_locus.apps import cloud_init, locus_cloud, locus_edge
from tests.conftest import PACKAGES

APPS = Path(locus_cloud.__file__).parent


def serve(server: ThreadingHTTPServer) -> str:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


@pytest.fixture
def edge() -> Iterator[ThreadingHTTPServer]:
    server = locus_edge.make_server("127.0.0.1", 0)
    serve(server)
    yield server
    server.shutdown()
    server.server_close()


def cloud_for(
    tmp_path: Path, host: str, port: int, timeout: float = 1.0
) -> tuple[str, ThreadingHTTPServer]:
    config = tmp_path / "cloud.json"
    config.write_text(json.dumps({"edge_host": host, "edge_port": port, "timeout": timeout}))
    server = locus_cloud.make_server("127.0.0.1", 0, str(config))
    return serve(server), server


def get(url: str) -> tuple[int, Any, float]:
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read()
    return status, json.loads(body), time.monotonic() - start


def test_workflow_end_to_end(tmp_path: Path, edge: ThreadingHTTPServer) -> None:
    url, server = cloud_for(tmp_path, "127.0.0.1", edge.server_address[1])
    answers = []
    for _ in range(10):
        status, body, _ = get(f"{url}/data")
        assert status == 200
        assert isinstance(body, list) and len(body) == 5
        assert all(isinstance(v, int) and 0 <= v <= 100 for v in body)
        answers.append(tuple(body))
    assert len(set(answers)) > 1, "edge values must be random"
    assert get(f"{url}/healthz")[1] == {
        "status": "ok",
        "upstream": f"127.0.0.1:{edge.server_address[1]}",
    }
    server.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_edge_gives_502_quickly(tmp_path: Path) -> None:
    url, server = cloud_for(tmp_path, "127.0.0.1", free_port())
    status, body, elapsed = get(f"{url}/data")
    assert status == 502
    assert body["error"].startswith("edge unreachable")
    assert elapsed < 1.0
    server.shutdown()


@pytest.fixture
def silent_edge() -> Iterator[int]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    stop.set()
    for conn in held:
        conn.close()
    listener.close()


@pytest.fixture
def trickling_edge() -> Iterator[int]:
    """Answers headers, then one byte every 0.2 s forever: each read is fast, the whole is not."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.recv(4096)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100000\r\n\r\n["
            )
            while not stop.wait(0.2):
                try:
                    conn.sendall(b"1")
                except OSError:
                    return

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn = listener.accept()[0]
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()


@pytest.mark.parametrize("edge_fixture", ["silent_edge", "trickling_edge"])
def test_slow_edge_gives_504_within_deadline(
    tmp_path: Path, request: pytest.FixtureRequest, edge_fixture: str
) -> None:
    port = request.getfixturevalue(edge_fixture)
    url, server = cloud_for(tmp_path, "127.0.0.1", port, timeout=1.0)
    status, body, elapsed = get(f"{url}/data")
    assert status == 504
    assert body == {"error": "edge did not answer within 1 s", "upstream": f"127.0.0.1:{port}"}
    assert 0.9 <= elapsed < 1.8
    server.shutdown()


def test_unconfigured_upstream_gives_503(tmp_path: Path) -> None:
    server = locus_cloud.make_server("127.0.0.1", 0, str(tmp_path / "absent.json"))
    url = serve(server)
    status, body, _ = get(f"{url}/data")
    assert status == 503 and "not configured" in body["error"]
    server.shutdown()


def test_edge_error_gives_502(edge: ThreadingHTTPServer) -> None:
    upstream = locus_cloud.Upstream("127.0.0.1", edge.server_address[1])
    assert len(locus_cloud.fetch(upstream, "/data")) == 5
    with pytest.raises(locus_cloud.UpstreamError) as info:
        locus_cloud.fetch(upstream, "/missing")
    assert info.value.status == 502 and "HTTP 404" in str(info.value)


def test_cloud_init_installs_the_forwarder_verbatim() -> None:
    text = (PACKAGES / "locus_cloud_vnf" / "cloud_init" / "cloud-init.cfg").read_text()
    assert text == cloud_init.render(), "run: python -m osm_locus.apps.cloud_init"
    assert text.startswith("#cloud-config\n")
    config = yaml.safe_load(text)
    files = {f["path"]: f["content"] for f in config["write_files"]}
    assert files["/opt/locus/locus_cloud.py"] == (APPS / "locus_cloud.py").read_text()
    assert json.loads(files["/etc/locus/cloud.json"])["edge_port"] == 8080
    assert (
        "ExecStart=/usr/bin/python3 /opt/locus/locus_cloud.py"
        in files["/etc/systemd/system/locus-cloud.service"]
    )
    assert ["systemctl", "enable", "--now", "locus-cloud.service"] in config["runcmd"]
    # OSM's LCM renders cloud-init as a Jinja2 template (StrictUndefined): it must pass unchanged.
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    assert env.from_string(text).render({}) == text


def test_knf_image_runs_the_edge_service() -> None:
    dockerfile = (APPS / "Dockerfile").read_text()
    assert "COPY locus_edge.py /opt/locus/locus_edge.py" in dockerfile
    assert "EXPOSE 8080" in dockerfile
    values = yaml.safe_load(
        (PACKAGES / "locus_edge_knf" / "helm-charts" / "locus-edge" / "values.yaml").read_text()
    )
    assert values["containerPort"] == 8080
    assert [n["name"] for n in values["networks"]] == ["user", "cache"]
