"""`osm-locus smart run`: one dry-run round, a clean stop on SIGTERM, policy errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from osm_locus.deploy import deploy
from osm_locus.lab.server import LabServer
from osm_locus.nbi import Connection
from osm_locus.smart.prometheus import Prometheus
from tests.conftest import PACKAGES, ROOT
from tests.smart.test_loop import fault

POLICY = """
interval_s: 0.5
policies:
  - name: cloud-heal
    kind: heal
    ns: c1
    member: cloud
    restart_primitive: restart-service
"""


def smart(*args: str) -> list[str]:
    return [sys.executable, "-m", "osm_locus", "-v", "smart", *args]


def test_dry_run_once_and_sigterm(lab: LabServer, prometheus: Prometheus, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    with Connection(lab.url) as conn:
        deploy(conn, "locus_cloud_ns", PACKAGES, name="c1")
        (vnf,) = conn.ns.vnf_instances(conn.ns.find("c1").id)  # type: ignore[union-attr]
        fault(lab, conn, "POST", f"/vnf_instances/{vnf.id}/fail", {"vdu-id": "cloud-vdu"})
    common = ["--policy", str(policy), "--prometheus", prometheus.url, "--nbi", lab.url]
    out = subprocess.run(
        smart("run", *common, "--dry-run", "--once"),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert "cloud-heal: restart (cloud-vdu:0 down: restart primitive first): dry-run" in out.stdout
    proc = subprocess.Popen(
        smart("run", *common),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ},
    )
    time.sleep(4)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "decision cloud-heal: restart" in err and "smart loop stopped" in err


def test_bad_policy_file_is_a_clear_error(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("policies:\n  - {name: a, kind: scale, ns: n, member: m}\n")
    out = subprocess.run(
        smart("run", "--policy", str(policy), "--nbi", "http://127.0.0.1:9/osm"),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 1
    assert (
        f"error: {policy}: policies.0: Value error, a scale policy needs scaling_group"
        in out.stderr
    )
