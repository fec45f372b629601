"""Right-sizing: usage percentile -> new VNFD revision the validator and the lab accept."""

from __future__ import annotations

import dataclasses
import time

import pytest

from osm_locus.deploy import deploy
from osm_locus.lab.app import create_app
from osm_locus.lab.server import LabServer
from osm_locus.nbi import Connection
from osm_locus.package.source import read_upload
from osm_locus.package.validate import check_source
from osm_locus.smart.prometheus import Prometheus
from osm_locus.smart.rightsize import (
    RightsizeError,
    apply,
    bump_version,
    propose_vcpu,
    revise_package,
)
from placement.lab import load_lab
from placement.model import Resources
from tests.conftest import PACKAGES
from tests.smart.test_loop import fault


def test_propose_and_bump() -> None:
    assert propose_vcpu([20, 25, 30, 22], 4, percentile=95, target_percent=60) == 2
    assert propose_vcpu([95, 99, 100], 2, target_percent=60) == 4
    assert propose_vcpu([1, 2], 8) == 1
    assert bump_version("1.0") == "1.1" and bump_version("2") == "2.1"
    assert bump_version("v1-beta") == "v1-beta-rs1" and bump_version("x-rs1") == "x-rs2"
    with pytest.raises(RightsizeError, match="no CPU samples"):
        propose_vcpu([], 4)


def test_rightsize_from_prometheus_to_a_new_revision(
    lab: LabServer, prometheus: Prometheus
) -> None:
    with Connection(lab.url) as conn:
        deploy(conn, "locus_cloud_ns", PACKAGES, name="c1")
        ns = conn.ns.find("c1")
        assert ns is not None
        (vnf,) = conn.ns.vnf_instances(ns.id)
        fault(
            lab, conn, "PUT", f"/vnf_instances/{vnf.id}/load", {"unit": "cloud-vdu", "load": 0.25}
        )
        query = f'osm_cpu_utilization{{ns_id="{ns.id}", vnf_member_index="cloud"}}'
        deadline = time.monotonic() + 30
        while True:
            series = prometheus.query_range(query, time.time() - 30, time.time(), 1)
            points = [v for s in series for _, v in s.points if v > 20]
            if len(points) >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        vcpu = propose_vcpu(points, 4, percentile=95, target_percent=60)
        assert vcpu == 2  # 25 % of 4 vCPU is 1 vCPU: 2 keep it at 50 %
        done = apply(conn, "c1", "cloud", "cloud-vdu", vcpu)
        assert (done.vcpu_before, done.vcpu_after, done.software_version) == (4, 2, "1.1")
        record = conn.vnf_packages.get(str(vnf.raw["vnfd-id"]))
        assert record.revision == 2 and record.raw["software-version"] == "1.1"
        (after,) = conn.ns.vnf_instances(ns.id)
        assert after.raw["revision"] == 2
        # the revision the lab holds passes the same validation as `package validate`
        source = read_upload(conn.vnf_packages.content(record.id))
        check_source(source)
        assert not [p for p in source.problems if p.is_error]


def test_failed_vertical_scale_is_rolled_back() -> None:
    base = load_lab()
    tight = dataclasses.replace(
        base,
        sites=[
            dataclasses.replace(s, capacity=Resources(6, 256, 4000), used=Resources())
            if s.name == "core-openstack"
            else s
            for s in base.sites
        ],
    )
    with LabServer(create_app(tight)) as server, Connection(server.url) as conn:
        deploy(conn, "locus_cloud_ns", PACKAGES, name="c1", lab=base)
        with pytest.raises(RightsizeError, match="rolled back to 4 vCPU"):
            apply(conn, "c1", "cloud", "cloud-vdu", 8)  # 8 vCPU do not fit in 6
        ns = conn.ns.find("c1")
        assert ns is not None
        (vnf,) = conn.ns.vnf_instances(ns.id)
        record = conn.vnf_packages.get(str(vnf.raw["vnfd-id"]))
        assert record.revision == 3 and record.raw["software-version"] == "1.2"
        computes = record.raw["virtual-compute-desc"]
        assert int(computes[0]["virtual-cpu"]["num-virtual-cpu"]) == 4


def test_revise_package_keeps_other_vdus(lab: LabServer) -> None:
    with Connection(lab.url) as conn:
        deploy(conn, "locus_cloud_ns", PACKAGES, name="c1")
        archive = conn.vnf_packages.content(conn.vnf_packages.list()[0].id)
    data, version = revise_package(archive, "cloud-vdu", 3)
    assert version == "1.1"
    source = read_upload(data)
    assert source.descriptor is not None
    assert source.descriptor.body["virtual-compute-desc"][0]["virtual-cpu"]["num-virtual-cpu"] == 3
    assert "charms/locus-vnf-proxy.charm" in source.files
    with pytest.raises(RightsizeError, match="no VDU 'nope'"):
        revise_package(archive, "nope", 2)
