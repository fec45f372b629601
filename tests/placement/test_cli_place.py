"""`osm-locus place`: table, OSM parameters for `osm ns-create`/`nsi-create`, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from osm_locus.cli import main
from tests.conftest import PACKAGES


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["place", *args, "--packages", str(PACKAGES)])
    return result.exit_code, result.output


def test_table_shows_sites_tiers_costs_and_link_bounds() -> None:
    code, out = run("locus_composite_nst")
    assert code == 0, out
    assert "proven optimal" in out
    lines = out.splitlines()
    cloud = next(line for line in lines if line.startswith("cloud.cloud "))
    edge = next(line for line in lines if line.startswith("edge.edge "))
    assert "core-openstack  core" in cloud and "4 vCPU/8 GB RAM/20 GB disk" in cloud
    assert "edge-k8s        edge  edge-k8s-cluster" in edge
    assert any(
        "netslice.cache" in line and "8 ms" in line and "<= 20 ms latency" in line
        for line in lines
    )


def test_params_file_is_osm_config(tmp_path: Path) -> None:
    target = tmp_path / "params.yaml"
    code, _ = run("locus_edge_ns", "-o", str(target))
    assert code == 0
    assert yaml.safe_load(target.read_text()) == {
        "vimAccountId": "edge-k8s",
        "vnf": [{"member-vnf-index": "edge", "vimAccountId": "edge-k8s"}],
    }


def test_json_report() -> None:
    code, out = run("locus_composite_nst", "--format", "json", "--objective", "edge>cost")
    assert code == 0
    data = json.loads(out)
    assert data["placement"]["proven_optimal"] is True
    assert data["placement"]["links"][0]["latency_ms"] == 8.0
    assert [s["id"] for s in data["params"]["netslice-subnet"]] == ["cloud", "edge"]


def test_infeasible_explains_and_fails(tmp_path: Path) -> None:
    intent = tmp_path / "intent.yaml"
    intent.write_text("functions:\n  edge.edge: {max_area_latency: {campus: 1}}\n")
    code, out = run("locus_composite_nst", "--intent", str(intent))
    assert code == 1
    assert "cannot be placed on lab locus-default" in out
    assert "edge-k8s: latency to user area campus 2 ms > 1 ms" in out


def test_bad_lab_names_the_field(tmp_path: Path) -> None:
    lab = tmp_path / "lab.yaml"
    lab.write_text(
        "sites:\n  - {name: a, type: openstack, tier: middle, capacity: {vcpu: 1, "
        "ram_gb: 1, disk_gb: 1}, price: {vcpu: 1, ram_gb: 1, disk_gb: 1}}\n"
    )
    code, out = run("locus_edge_ns", "--lab", str(lab))
    assert code == 1
    assert f"{lab}: sites[0].tier: Input should be 'edge' or 'core'" in out


def test_unknown_target_and_wrong_kind() -> None:
    code, out = run("nope_ns")
    assert code == 1 and "target 'nope_ns' is neither a package folder nor a package" in out
    code, out = run("locus_cloud_vnf")
    assert code == 1 and "a placement target is an NS or netslice package, this is a vnfd" in out
