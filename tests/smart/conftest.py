"""A real Prometheus (Debian's) scraping an embedded lab's /metrics every second."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from osm_locus.lab.app import create_app
from osm_locus.lab.server import LabServer
from osm_locus.smart.prometheus import Prometheus
from placement.lab import load_lab


@pytest.fixture
def lab() -> Iterator[LabServer]:
    with LabServer(create_app(load_lab())) as server:
        yield server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def prometheus(lab: LabServer, tmp_path: Path) -> Iterator[Prometheus]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus missing: run `bash .ci/setup` (installs Debian's prometheus)")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: osm-locus-lab\n"
        f"    static_configs: [{{targets: ['{lab.host}:{lab.port}']}}]\n"
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    client = Prometheus(f"http://127.0.0.1:{port}", timeout=5)
    deadline = time.monotonic() + 30
    while not client.ready():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"prometheus did not start: {proc.stderr.read() if proc.stderr else ''!r}")
        time.sleep(0.1)
    try:
        yield client
    finally:
        proc.terminate()
        proc.wait(timeout=20)
