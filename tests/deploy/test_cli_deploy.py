"""`osm-locus deploy | action | status | terminate` and the Python API, end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from click.testing import CliRunner

import osm_locus
from osm_locus.cli import main
from osm_locus.lab.server import LabServer
from tests.conftest import PACKAGES, ROOT


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "osm_locus", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def test_main_job_deploys_the_composite_slice_on_the_embedded_lab() -> None:
    out = run("deploy", "locus_composite_nst")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("netslice 'locus-composite-nst' (")
    assert lines[0].endswith(": INSTANTIATED")
    table = {line.split()[0]: line.split() for line in lines[2:4]}
    assert table["cloud.cloud"][2] == "core-openstack"
    assert table["edge.edge"][2:4] == ["edge-k8s", "edge-k8s-cluster"]
    assert "READY" in table["cloud.cloud"] and "READY" in table["edge.edge"]
    assert lines[-1].startswith("wired: configure-upstream on cloud.cloud: edge-host=10.")
    assert "placement (cost): cloud.cloud -> core-openstack, edge.edge -> edge-k8s" in out.stderr
    assert "embedded OSM lab at http://127.0.0.1:" in out.stderr


def test_cli_against_an_nbi_action_status_terminate(lab: LabServer) -> None:
    cli = CliRunner()
    nbi = ["--nbi", lab.url]
    result = cli.invoke(main, ["deploy", str(PACKAGES / "locus_cloud_ns"), *nbi, "--name", "c1"])
    assert result.exit_code == 0, result.output
    assert "ns 'c1'" in result.output and "core-openstack" in result.output
    result = cli.invoke(
        main,
        [
            "action",
            "c1",
            "--vnf",
            "cloud",
            "--primitive",
            "restart-service",
            "--param",
            "x=1",
            *nbi,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "restart-service on c1 vnf cloud: COMPLETED" in result.output
    result = cli.invoke(main, ["action", "c1", "--vnf", "9", "--primitive", "x", *nbi])
    assert result.exit_code == 1
    assert "member_vnf_index='9' is not one of the nsd:constituent-vnfd" in result.output
    result = cli.invoke(
        main, ["action", "c1", "--vnf", "cloud", "--primitive", "x", "--param", "novalue", *nbi]
    )
    assert result.exit_code == 2 and "'novalue' is not KEY=VALUE" in result.output
    result = cli.invoke(main, ["status", *nbi])
    assert result.exit_code == 0 and "c1" in result.output and "READY" in result.output
    result = cli.invoke(main, ["status", "c1", *nbi])
    assert result.exit_code == 0 and "cloud-cloud-vdu-0 ACTIVE" in result.output
    result = cli.invoke(main, ["terminate", "c1", *nbi])
    assert result.exit_code == 0 and "terminated and deleted" in result.output
    result = cli.invoke(main, ["status", *nbi])
    assert "c1" not in result.output


def test_cli_capacity_exhaustion_exits_non_zero_with_osm_message(tiny_core: LabServer) -> None:
    out = run("deploy", "locus_cloud_ns", "--nbi", tiny_core.url, "--timeout", "30")
    assert out.returncode == 1
    assert "error: operation instantiate" in out.stderr and "FAILED" in out.stderr
    assert "Quota exceeded for cores" in out.stderr
    assert "left in OSM: ns instance" in out.stderr


def test_cli_unreachable_nbi_and_missing_nbi() -> None:
    started = time.monotonic()
    out = run("status", "--nbi", "http://127.0.0.1:9/osm", "--http-timeout", "2")
    assert out.returncode == 1
    assert out.stderr.startswith("error: OSM NBI at http://127.0.0.1:9/osm is unreachable")
    assert time.monotonic() - started < 20
    out = run("status", env={"OSM_HOSTNAME": ""})
    assert out.returncode == 2 and "no NBI: give --nbi URL or set OSM_HOSTNAME" in out.stderr


def test_cli_wrong_password_is_refused_and_never_echoed(lab: LabServer) -> None:
    out = run("status", "--nbi", lab.url, env={"OSM_PASSWORD": "Wr0ng-Secret"})
    assert out.returncode == 1
    assert "refused: Invalid username/password" in out.stderr
    assert "Wr0ng-Secret" not in out.stderr + out.stdout
    with osm_locus.connect(lab.url) as conn:
        conn.post(
            "/admin/v1/users",
            {
                "username": "ops",
                "password": "Ops-Secret-42",
                "project_role_mappings": [{"project": "admin", "role": "project_admin"}],
            },
        )
    out = run(
        "-vv", "status", "--nbi", lab.url, env={"OSM_USER": "ops", "OSM_PASSWORD": "Ops-Secret-42"}
    )
    assert out.returncode == 0, out.stderr
    assert "DEBUG" in out.stderr  # debug logging was on...
    assert "Ops-Secret-42" not in out.stderr + out.stdout  # ...and the password never shows
    assert "Bearer" not in out.stderr


def test_python_api_mirrors_the_cli(lab: LabServer) -> None:
    with osm_locus.connect(lab.url, "admin", "admin", "admin") as conn:
        result = osm_locus.deploy(conn, "locus_edge_ns", packages_dir=PACKAGES, name="e1")
        assert result.state == "READY"
        op = osm_locus.action(conn, "e1", "edge", "health-check")
        assert op.state == "COMPLETED"
        assert osm_locus.terminate(conn, "e1")[0] == "ns"
        assert conn.ns.list() == []
