"""`osm-locus package validate` as a command: output format, exit codes, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from osm_locus.cli import main
from tests.conftest import SHIPPED


def test_validate_shipped_exits_zero() -> None:
    result = CliRunner().invoke(main, ["package", "validate", *map(str, SHIPPED)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "5 package(s) valid: 0 error(s), 0 warning(s)"


def test_validate_reports_package_file_path_message(copy_package: Callable[..., Path]) -> None:
    broken = copy_package("locus_cloud_vnf", lambda d: d["vnfd"].update({"mgmt-cp": "oam"}))
    result = CliRunner().invoke(main, ["package", "validate", str(broken)])
    assert result.exit_code == 1
    assert (
        "locus_cloud_vnf/locus_cloud_vnfd.yaml: vnfd.mgmt-cp: mgmt-cp='oam' must match an "
        "existing ext-cpd" in result.output
    )
    assert "1 package(s) INVALID: 1 error(s), 0 warning(s)" in result.output


def test_validate_json(copy_package: Callable[..., Path]) -> None:
    broken = copy_package(
        "locus_edge_knf", lambda d: d["vnfd"]["ext-cpd"][0].update({"k8s-cluster-net": "mgmtnet"})
    )
    result = CliRunner().invoke(main, ["package", "validate", "--format", "json", str(broken)])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False
    (problem,) = data["packages"][0]["problems"]
    assert problem == {
        "location": "locus_edge_knf/locus_edge_knfd.yaml",
        "path": "vnfd.ext-cpd[external].k8s-cluster-net",
        "message": "'mgmtnet' is not a k8s-cluster.nets entry (declared: cache, external, user)",
        "severity": "error",
    }


def test_console_script_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "osm_locus", "package", "validate", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert "Validate package folders or .tar.gz archives" in proc.stdout
