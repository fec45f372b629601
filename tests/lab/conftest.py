"""A lab served over real HTTP on loopback, and built package archives to upload to it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from osm_locus.lab.app import create_app
from osm_locus.lab.server import LabServer
from osm_locus.lab.state import LabState
from osm_locus.package import validate_packages
from osm_locus.package.build import build_report
from placement.lab import load_lab
from tests.conftest import SHIPPED

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="session")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("archives")
    return {b.name: b.archive.read_bytes() for b in build_report(validate_packages(SHIPPED), out)}


@pytest.fixture
def lab() -> Iterator[LabServer]:
    with LabServer(create_app(load_lab())) as server:
        yield server


@pytest.fixture
def short_lived() -> Iterator[LabServer]:
    with LabServer(create_app(load_lab(), LabState(token_lifetime=0.3))) as server:
        yield server


def login(
    url: str, user: str = "admin", password: str = "admin", project: str = "admin"
) -> dict[str, str]:
    """Headers with a fresh bearer token."""
    reply = requests.post(
        f"{url}/admin/v1/tokens",
        json={"username": user, "password": password, "project_id": project},
        headers=JSON,
        timeout=10,
    )
    reply.raise_for_status()
    return {**JSON, "Authorization": f"Bearer {reply.json()['id']}"}


def upload(
    url: str, headers: dict[str, str], path: str, data: bytes, name: str = "package.tar.gz"
) -> requests.Response:
    return requests.post(
        f"{url}{path}",
        data=data,
        timeout=120,
        headers={**headers, "Content-Type": "application/gzip", "Content-Filename": name},
    )


def onboard_all(url: str, headers: dict[str, str], archives: dict[str, bytes]) -> dict[str, str]:
    """Onboard the five LOCUS packages in dependency order; package name -> record _id."""
    order = [
        ("locus_cloud_vnf", "/vnfpkgm/v1/vnf_packages_content"),
        ("locus_edge_knf", "/vnfpkgm/v1/vnf_packages_content"),
        ("locus_cloud_ns", "/nsd/v1/ns_descriptors_content"),
        ("locus_edge_ns", "/nsd/v1/ns_descriptors_content"),
        ("locus_composite_nst", "/nst/v1/netslice_templates_content"),
    ]
    ids = {}
    for name, path in order:
        reply = upload(url, headers, path, archives[name], f"{name}.tar.gz")
        assert reply.status_code == 201, reply.text
        ids[name] = reply.json()["id"]
    return ids


def wait_for(url: str, headers: dict[str, str], path: str, timeout: float = 10) -> dict[str, Any]:
    """Poll an operation record (``path`` under the NBI) until it leaves PROCESSING."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = requests.get(f"{url}{path}", headers=headers, timeout=10).json()
        if record["operationState"] != "PROCESSING":
            return dict(record)
        time.sleep(0.02)
    raise AssertionError(f"operation {path} still PROCESSING after {timeout} s")
