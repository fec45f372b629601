"""The deploy pipeline against the embedded lab over real HTTP."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from osm_locus.deploy import DeployError, deploy, terminate
from osm_locus.lab.server import LabServer
from osm_locus.nbi import Connection, Credentials
from placement.lab import load_lab
from tests.conftest import PACKAGES


def everything(conn: Connection) -> dict[str, int]:
    """How many records of each kind the project holds."""
    return {
        "vnfds": len(conn.vnf_packages.list()),
        "nsds": len(conn.nsds.list()),
        "nsts": len(conn.nsts.list()),
        "ns": len(conn.ns.list()),
        "nsi": len(conn.nsi.list()),
    }


def test_deploy_composite_netslice_places_wires_and_reports(conn: Connection) -> None:
    lines: list[str] = []
    result = deploy(conn, "locus_composite_nst", PACKAGES, report=lines.append)
    assert result.kind == "netslice" and result.state == "INSTANTIATED"
    assert [p.action for p in result.packages] == ["onboarded"] * 5
    assert [p.kind for p in result.packages] == ["vnfd", "vnfd", "nsd", "nsd", "nst"]
    assert result.placement is not None and result.placement.proven_optimal
    rows = {f.function: f for f in result.functions}
    assert rows["edge.edge"].site == "edge-k8s"
    assert rows["edge.edge"].k8s_cluster == "edge-k8s-cluster"
    assert rows["cloud.cloud"].site == "core-openstack"
    assert {f.ns_state for f in result.functions} == {"READY"}
    # the NSs OSM created are named <nsiName>.<subnet>
    assert sorted(n.name for n in conn.ns.list()) == [
        "locus-composite-nst.cloud",
        "locus-composite-nst.edge",
    ]
    # cross-subnet wiring: the cloud VNF was given the edge KNF's address by a Day-2 action
    edge_ip = rows["edge.edge"].addresses[0]
    assert result.wiring == [
        f"configure-upstream on cloud.cloud: edge-host={edge_ip}, edge-port=8080"
    ]
    cloud_ns = conn.ns.find("locus-composite-nst.cloud")
    assert cloud_ns is not None
    actions = [
        op
        for op in conn.get("/nslcm/v1/ns_lcm_op_occs", nsInstanceId=cloud_ns.id)
        if op["lcmOperationType"] == "action"
    ]
    assert [a["operationParams"] for a in actions] == [
        {
            "member_vnf_index": "cloud",
            "primitive": "configure-upstream",
            "primitive_params": {"edge-host": edge_ip, "edge-port": 8080},
        }
    ]
    assert any("instantiate COMPLETED" in line for line in lines)


@pytest.mark.parametrize(
    ("target", "site"), [("locus_cloud_ns", "core-openstack"), ("locus_edge_ns", "edge-k8s")]
)
def test_deploy_each_nsd(conn: Connection, target: str, site: str) -> None:
    result = deploy(conn, target, PACKAGES)
    assert result.kind == "ns" and result.state == "READY"
    assert [p.kind for p in result.packages] == ["vnfd", "nsd"]
    (row,) = result.functions
    assert row.site == site and row.addresses


def test_redeploy_is_idempotent(conn: Connection) -> None:
    first = deploy(conn, "locus_composite_nst", PACKAGES)
    before = everything(conn)
    again = deploy(conn, "locus_composite_nst", PACKAGES)
    assert [p.action for p in again.packages] == ["reused"] * 5
    assert [p.record_id for p in again.packages] == [p.record_id for p in first.packages]
    assert again.reused_instance and again.instance_id == first.instance_id
    assert everything(conn) == before == {"vnfds": 2, "nsds": 2, "nsts": 1, "ns": 2, "nsi": 1}


def test_changed_package_needs_update_then_becomes_a_new_revision(
    conn: Connection, tmp_path: Path
) -> None:
    packages = tmp_path / "packages"
    shutil.copytree(PACKAGES, packages)
    deploy(conn, "locus_edge_ns", packages)
    values = packages / "locus_edge_knf" / "helm-charts" / "locus-edge" / "values.yaml"
    values.write_text(values.read_text().replace('tag: "1.0"', 'tag: "1.1"'))
    with pytest.raises(DeployError, match=r"already onboarded .* with different content") as err:
        deploy(conn, "locus_edge_ns", packages, name="second")
    assert "--update" in str(err.value)
    result = deploy(conn, "locus_edge_ns", packages, name="second", update=True)
    actions = {p.descriptor_id: p.action for p in result.packages}
    assert actions == {"locus_edge_knf": "revised", "locus_edge_ns": "reused"}
    record = conn.vnf_packages.by_descriptor_id("locus_edge_knf")
    assert record is not None and record.revision == 2


def test_capacity_exhaustion_fails_with_osm_message_and_says_what_is_left(
    tiny_core: LabServer,
) -> None:
    with Connection(tiny_core.url) as conn:
        with pytest.raises(DeployError) as err:
            deploy(conn, "locus_cloud_ns", PACKAGES, lab=load_lab())
        message = str(err.value)
        assert "FAILED" in message
        assert "Quota exceeded for cores: Requested 4, but already used 0 of 2" in message
        assert "left in OSM: ns instance" in message and "vnfd locus_cloud_vnf" in message
        assert len(err.value.left) == 3
        assert everything(conn)["ns"] == 1


def test_rollback_leaves_nothing_behind(tiny_core: LabServer) -> None:
    with Connection(tiny_core.url) as conn:
        with pytest.raises(DeployError, match="rolled back what this run created") as err:
            deploy(conn, "locus_composite_nst", PACKAGES, lab=load_lab(), rollback=True)
        assert err.value.left == []
        assert everything(conn) == {"vnfds": 0, "nsds": 0, "nsts": 0, "ns": 0, "nsi": 0}


def test_rollback_keeps_packages_it_did_not_create(tiny_core: LabServer) -> None:
    with Connection(tiny_core.url) as conn:
        deploy(conn, "locus_edge_ns", PACKAGES)  # fits: the edge is not shrunk
        with pytest.raises(DeployError):
            deploy(conn, "locus_composite_nst", PACKAGES, lab=load_lab(), rollback=True)
        assert everything(conn) == {"vnfds": 1, "nsds": 1, "nsts": 0, "ns": 1, "nsi": 0}


def test_token_expiry_during_a_deploy_is_refreshed(slow_short_tokens: LabServer) -> None:
    with Connection(slow_short_tokens.url) as conn:
        result = deploy(conn, "locus_composite_nst", PACKAGES)
        assert result.state == "INSTANTIATED"
        assert conn.logins >= 3  # the deploy took several token lifetimes


def test_token_revoked_by_the_nbi_is_replaced_transparently(lab: LabServer) -> None:
    with Connection(lab.url) as conn, Connection(lab.url) as admin:
        assert conn.vim_accounts.list()
        token = conn._token
        admin.delete(f"/admin/v1/tokens/{token}")  # as after an NBI restart or token purge
        assert len(conn.vim_accounts.list()) == 3
        assert conn.logins == 2 and conn._token != token


def test_terminate_by_name_removes_the_slice_and_its_subnets(conn: Connection) -> None:
    deploy(conn, "locus_composite_nst", PACKAGES)
    kind, _ = terminate(conn, "locus-composite-nst")
    assert kind == "netslice"
    assert everything(conn)["nsi"] == 0
    assert {n.state for n in conn.ns.list()} <= {"NOT_INSTANTIATED"}
    with pytest.raises(DeployError, match="no NS or netslice instance 'nope'"):
        terminate(conn, "nope")


def test_unknown_vim_of_the_lab_is_named(conn: Connection) -> None:
    lab = load_lab()
    renamed = lab.with_sites(
        dataclasses.replace(s, name="core-x") if s.name == "core-openstack" else s
        for s in lab.sites
    )
    with pytest.raises(DeployError, match=r"site\(s\) core-x of lab .* no VIM account"):
        deploy(conn, "locus_cloud_ns", PACKAGES, lab=renamed)
    assert everything(conn)["vnfds"] == 0  # nothing onboarded before the check


def test_credentials_never_show(lab: LabServer) -> None:
    conn = Connection(lab.url, Credentials("admin", "s3cr3t-pw", "admin"))
    assert "s3cr3t-pw" not in repr(conn) and "s3cr3t-pw" not in repr(conn.credentials)
