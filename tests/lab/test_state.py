"""Lab state: a restart on ``--state FILE`` loses nothing; 20 concurrent clients lose nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from osm_locus.lab.app import create_app
from osm_locus.lab.server import LabServer
from osm_locus.lab.state import LabState
from osm_locus.lab.store import SqliteStore, StoreError
from placement.lab import load_lab
from tests.lab.conftest import login, onboard_all, upload, wait_for
from tests.lab.test_ns_lifecycle import create, vims, wait_op


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(state: Path, port: int) -> subprocess.Popen[bytes]:
    """``osm-locus lab serve --state`` in its own process."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "osm_locus",
            "lab",
            "serve",
            "--port",
            str(port),
            "--state",
            str(state),
            "--delay",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/metrics", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"lab did not start: {proc.stdout.read() if proc.stdout else ''!r}")


def test_restart_on_state_file_keeps_packages_instances_and_capacity(
    tmp_path: Path, archives: dict[str, bytes]
) -> None:
    state, port = tmp_path / "lab.sqlite", _free_port()
    url = f"http://127.0.0.1:{port}/osm"
    proc = _serve(state, port)
    try:
        headers = login(url)
        ids = onboard_all(url, headers, archives)
        reply = create(
            url, headers, ids["locus_cloud_ns"], "kept", vims(url, headers)["core-openstack"]
        )
        ns_id = reply.json()["id"]
        assert wait_op(url, headers, reply.json()["nslcmop_id"])["operationState"] == "COMPLETED"
        before = requests.get(f"{url}/nslcm/v1/vnf_instances", headers=headers, timeout=10).json()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    proc = _serve(state, port)
    try:
        # the token survives too, as OSM keeps tokens in its database
        packages = requests.get(f"{url}/vnfpkgm/v1/vnf_packages", headers=headers, timeout=10)
        assert packages.status_code == 200
        assert sorted(p["id"] for p in packages.json()) == ["locus_cloud_vnf", "locus_edge_knf"]
        nsr = requests.get(f"{url}/nslcm/v1/ns_instances/{ns_id}", headers=headers, timeout=10)
        assert nsr.json()["nsState"] == "READY"
        after = requests.get(f"{url}/nslcm/v1/vnf_instances", headers=headers, timeout=10).json()
        assert after == before
        assert len(vims(url, headers)) == 3  # the lab file's VIMs were not registered twice
        # a new instance gets a fresh address, not one already in use
        reply = create(
            url, headers, ids["locus_cloud_ns"], "new", vims(url, headers)["core-openstack"]
        )
        assert wait_op(url, headers, reply.json()["nslcmop_id"])["operationState"] == "COMPLETED"
        everything = requests.get(f"{url}/nslcm/v1/vnf_instances", headers=headers, timeout=10)
        addresses = [v["ip-address"] for r in everything.json() for v in r["vdur"]]
        assert len(addresses) == len(set(addresses)) == 2
        # a duplicate upload is still refused: the catalogue was restored, not emptied
        reply = upload(
            url, headers, "/vnfpkgm/v1/vnf_packages_content", archives["locus_cloud_vnf"]
        )
        assert reply.status_code == 409
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    text = state.read_bytes()
    assert b"admin" in text and b'"password": "admin"' not in text  # hashed, never stored


def test_capacity_in_use_is_restored_after_restart(
    tmp_path: Path, archives: dict[str, bytes]
) -> None:
    lab = load_lab()
    app = create_app(lab, LabState.open(tmp_path / "lab.sqlite"))
    with LabServer(app) as server:
        headers = login(server.url)
        ids = onboard_all(server.url, headers, archives)
        vim = vims(server.url, headers)["edge-k8s"]
        reply = create(server.url, headers, ids["locus_edge_ns"], "edge", vim)
        op = wait_op(server.url, headers, reply.json()["nslcmop_id"])
        assert op["operationState"] == "COMPLETED"
    used = app.state.lifecycle.nfvi.sites["edge-k8s"].used
    assert used.vcpu == pytest.approx(2 + 0.5)  # the lab's 2 in use + the KNF's 500m
    again = create_app(lab, LabState.open(tmp_path / "lab.sqlite"))
    assert again.state.lifecycle.nfvi.sites["edge-k8s"].used == used


def test_unreadable_state_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "lab.sqlite"
    bad.write_text("this is not sqlite")
    with pytest.raises(StoreError, match=f"{bad}: cannot open lab state"):
        SqliteStore(bad)
    out = subprocess.run(
        [sys.executable, "-m", "osm_locus", "lab", "serve", "--state", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert out.returncode == 1 and f"error: {bad}: cannot open lab state" in out.stderr


def test_twenty_concurrent_clients_lose_and_duplicate_nothing(
    lab: LabServer, archives: dict[str, bytes]
) -> None:
    headers = login(lab.url)
    ids = onboard_all(lab.url, headers, archives)
    vim = vims(lab.url, headers)["core-openstack"]
    edge = vims(lab.url, headers)["edge-k8s"]

    def client(n: int) -> tuple[str, int]:
        # correctness under contention, not latency: generous timeouts on a loaded 2-core CI
        mine = login(lab.url)
        # everyone also tries to onboard the same VNF package: exactly none may get in twice
        dup = upload(
            lab.url, mine, "/vnfpkgm/v1/vnf_packages_content", archives["locus_cloud_vnf"]
        )
        nsd = ids["locus_cloud_ns"] if n % 2 else ids["locus_edge_ns"]
        reply = create(lab.url, mine, nsd, f"ns-{n}", vim if n % 2 else edge)
        assert reply.status_code == 201, reply.text
        op = wait_for(lab.url, mine, f"/nslcm/v1/ns_lcm_op_occs/{reply.json()['nslcmop_id']}", 120)
        assert op["operationState"] == "COMPLETED", op["errorMessage"]
        return reply.json()["id"], dup.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(client, range(20)))
    assert {code for _, code in results} == {409}
    nsrs = requests.get(f"{lab.url}/nslcm/v1/ns_instances", headers=headers, timeout=10).json()
    assert sorted(n["name"] for n in nsrs) == sorted(f"ns-{n}" for n in range(20))
    assert {n["_id"] for n in nsrs} == {ns for ns, _ in results}
    vnfrs = requests.get(f"{lab.url}/nslcm/v1/vnf_instances", headers=headers, timeout=10).json()
    assert len(vnfrs) == 20 and len({v["nsr-id-ref"] for v in vnfrs}) == 20
    addresses = [u["ip-address"] for v in vnfrs for u in v["vdur"] + v["kdur"]]
    assert len(addresses) == len(set(addresses))
    packages = requests.get(f"{lab.url}/vnfpkgm/v1/vnf_packages", headers=headers, timeout=10)
    assert len(packages.json()) == 2
