"""Scale, heal, VERTICAL_SCALE update, primitives, faults and /metrics over HTTP."""

from __future__ import annotations

import dataclasses
import io
import tarfile
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from osm_locus.lab.app import create_app
from osm_locus.lab.server import LabServer
from placement.lab import load_lab
from placement.model import Lab, Resources
from tests.lab.conftest import login, onboard_all, wait_for
from tests.lab.test_ns_lifecycle import create, vims, wait_op

Headers = dict[str, str]


def small_lab(core_vcpu: float) -> Lab:
    """The default lab with a core of ``core_vcpu`` vCPUs and nothing in use."""
    lab = load_lab()
    sites = [
        dataclasses.replace(s, capacity=Resources(core_vcpu, 256, 4000), used=Resources())
        if s.name == "core-openstack"
        else s
        for s in lab.sites
    ]
    return dataclasses.replace(lab, sites=sites)


class Runner:
    """A primitive runner recording its calls (the boundary issue 6's charms plug into)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, str, dict[str, Any]]] = []
        self.fail_next = False

    def __call__(self, vnfr: dict[str, Any] | None, primitive: str, params: dict[str, Any]) -> str:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("exit status 3: upstream not configured")
        self.calls.append((vnfr["member-vnf-index-ref"] if vnfr else None, primitive, params))
        return f"{primitive} ok"


@pytest.fixture
def runner() -> Runner:
    return Runner()


@pytest.fixture
def lab10(runner: Runner) -> Iterator[LabServer]:
    with LabServer(create_app(small_lab(10), runner=runner)) as server:
        yield server


def ns_up(url: str, headers: Headers, archives: dict[str, bytes], nsd: str, vim: str) -> str:
    ids = onboard_all(url, headers, archives)
    reply = create(url, headers, ids[nsd], f"{nsd}-1", vims(url, headers)[vim])
    assert reply.status_code == 201, reply.text
    assert wait_op(url, headers, reply.json()["nslcmop_id"])["operationState"] == "COMPLETED"
    return str(reply.json()["id"])


def vnfr_of(url: str, headers: Headers, ns_id: str) -> dict[str, Any]:
    (vnfr,) = requests.get(
        f"{url}/nslcm/v1/vnf_instances?nsr-id-ref={ns_id}", headers=headers, timeout=10
    ).json()
    return dict(vnfr)


def post(url: str, headers: Headers, path: str, body: Any) -> requests.Response:
    return requests.post(f"{url}{path}", json=body, headers=headers, timeout=10)


def scale(url: str, headers: Headers, ns_id: str, direction: str, group: str) -> dict[str, Any]:
    body = {
        "scaleType": "SCALE_VNF",
        "scaleVnfData": {
            "scaleVnfType": direction,
            "scaleByStepData": {"scaling-group-descriptor": group, "member-vnf-index": "cloud"},
        },
    }
    reply = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/scale", body)
    assert reply.status_code == 202, reply.text
    return wait_op(url, headers, reply.json()["id"])


def metrics(url: str) -> dict[tuple[str, str], float]:
    """(metric, vdu_name) -> value from the lab's /metrics."""
    text = requests.get(url.replace("/osm", "/metrics"), timeout=10).text
    return {
        (s.name, s.labels["vdu_name"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_scale_out_and_in_uses_capacity_and_stops_at_quota(
    lab10: LabServer, archives: dict[str, bytes]
) -> None:
    url, headers = lab10.url, login(lab10.url)
    ns_id = ns_up(url, headers, archives, "locus_cloud_ns", "core-openstack")
    assert scale(url, headers, ns_id, "SCALE_OUT", "cloud-vdu-autoscale")["operationState"] == (
        "COMPLETED"
    )
    vnfr = vnfr_of(url, headers, ns_id)
    assert [(v["vdu-id-ref"], v["count-index"]) for v in vnfr["vdur"]] == [
        ("cloud-vdu", 0),
        ("cloud-vdu", 1),
    ]
    assert len({v["ip-address"] for v in vnfr["vdur"]}) == 2
    # 8 of 10 vCPUs used: a third 4-vCPU instance does not fit
    failed = scale(url, headers, ns_id, "SCALE_OUT", "cloud-vdu-autoscale")
    assert failed["operationState"] == "FAILED"
    assert (
        "Quota exceeded for cores: Requested 4, but already used 8 of 10"
        in (failed["errorMessage"])
    )
    assert len(vnfr_of(url, headers, ns_id)["vdur"]) == 2
    nsr = requests.get(f"{url}/nslcm/v1/ns_instances/{ns_id}", headers=headers, timeout=10).json()
    assert nsr["nsState"] == "READY"
    assert nsr["_admin"]["scaling-group"] == [
        {"name": "cloud-vdu-autoscale", "nb-scale-op": 1, "time": 0}
    ]
    assert scale(url, headers, ns_id, "SCALE_IN", "cloud-vdu-autoscale")["operationState"] == (
        "COMPLETED"
    )
    assert [v["count-index"] for v in vnfr_of(url, headers, ns_id)["vdur"]] == [0]
    below = scale(url, headers, ns_id, "SCALE_IN", "cloud-vdu-autoscale")
    assert below["operationState"] == "FAILED" and "min-instance-count" in below["errorMessage"]
    # capacity was given back: two scale-outs fit again... up to the quota
    assert scale(url, headers, ns_id, "SCALE_OUT", "cloud-vdu-autoscale")["operationState"] == (
        "COMPLETED"
    )


def test_scale_request_errors(lab: LabServer, archives: dict[str, bytes]) -> None:
    url, headers = lab.url, login(lab.url)
    ns_id = ns_up(url, headers, archives, "locus_cloud_ns", "core-openstack")
    reply = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/scale", {"scaleType": "X"})
    assert reply.status_code == 422
    body = {
        "scaleType": "SCALE_VNF",
        "scaleVnfData": {
            "scaleVnfType": "SCALE_OUT",
            "scaleByStepData": {"scaling-group-descriptor": "nope", "member-vnf-index": "cloud"},
        },
    }
    reply = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/scale", body)
    assert reply.status_code == 400 and "Invalid scaling-group-descriptor 'nope'" in reply.text
    body["scaleVnfData"]["scaleByStepData"]["member-vnf-index"] = "7"  # type: ignore[index]
    reply = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/scale", body)
    assert reply.status_code == 400 and "member_vnf_index='7'" in reply.json()["detail"]


def test_knf_scales_replicas_and_metrics_follow(
    lab: LabServer, archives: dict[str, bytes]
) -> None:
    url, headers = lab.url, login(lab.url)
    ns_id = ns_up(url, headers, archives, "locus_edge_ns", "edge-k8s")
    vnfr = vnfr_of(url, headers, ns_id)
    reply = requests.put(
        url.replace("/osm", f"/lab/v1/vnf_instances/{vnfr['_id']}/load"),
        json={"unit": "locus-edge", "load": 1.5},
        headers=headers,
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    assert metrics(url)[("osm_cpu_utilization", "locus-edge-0")] == 100.0
    body = {
        "scaleType": "SCALE_VNF",
        "scaleVnfData": {
            "scaleVnfType": "SCALE_OUT",
            "scaleByStepData": {
                "scaling-group-descriptor": "locus-edge-scale",
                "member-vnf-index": "edge",
            },
        },
    }
    op = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/scale", body).json()["id"]
    assert wait_op(url, headers, op)["operationState"] == "COMPLETED"
    values = metrics(url)
    assert values[("osm_cpu_utilization", "locus-edge-0")] == 75.0
    assert values[("osm_cpu_utilization", "locus-edge-1")] == 75.0
    assert values[("osm_average_memory_utilization", "locus-edge-1")] == 20 + 0.5 * 75


def test_metrics_names_labels_and_vdu_failure_then_heal(
    lab: LabServer, archives: dict[str, bytes]
) -> None:
    url, headers = lab.url, login(lab.url)
    ns_id = ns_up(url, headers, archives, "locus_cloud_ns", "core-openstack")
    vnfr = vnfr_of(url, headers, ns_id)
    text = requests.get(url.replace("/osm", "/metrics"), timeout=10).text
    (sample,) = [
        s
        for f in text_string_to_metric_families(text)
        if f.name == "osm_cpu_utilization"
        for s in f.samples
    ]
    assert sample.labels == {
        "ns_id": ns_id,
        "vnf_member_index": "cloud",
        "vdu_name": "cloud-cloud-vdu-0",
        "vim_id": vnfr["vim-account-id"],
        "project_id": vnfr["_admin"]["projects_read"][0],
    }
    assert sample.value == pytest.approx(10.0)
    lab_api = url.replace("/osm", "/lab/v1")
    reply = requests.post(
        f"{lab_api}/vnf_instances/{vnfr['_id']}/fail",
        json={"vdu-id": "cloud-vdu", "count-index": 0},
        headers=headers,
        timeout=10,
    )
    assert reply.status_code == 200
    assert vnfr_of(url, headers, ns_id)["vdur"][0]["status"] == "ERROR"
    assert ("osm_cpu_utilization", "cloud-cloud-vdu-0") not in metrics(url)
    heal = {
        "healVnfData": [
            {
                "vnfInstanceId": vnfr["_id"],
                "cause": "vdu down",
                "additionalParams": {"vdu": [{"vdu-id": "cloud-vdu", "count-index": 0}]},
            }
        ]
    }
    op = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/heal", heal).json()["id"]
    assert wait_op(url, headers, op)["operationState"] == "COMPLETED"
    healed = vnfr_of(url, headers, ns_id)["vdur"][0]
    assert healed["status"] == "ACTIVE" and healed["vim-id"] != vnfr["vdur"][0]["vim-id"]
    assert healed["ip-address"] == vnfr["vdur"][0]["ip-address"]
    assert ("osm_cpu_utilization", "cloud-cloud-vdu-0") in metrics(url)


def test_site_down_breaks_units_and_heal_fails_until_it_is_back(
    lab: LabServer, archives: dict[str, bytes]
) -> None:
    url, headers = lab.url, login(lab.url)
    ns_id = ns_up(url, headers, archives, "locus_cloud_ns", "core-openstack")
    vnfr = vnfr_of(url, headers, ns_id)
    site = url.replace("/osm", "/lab/v1/sites/core-openstack")
    reply = requests.put(site, json={"up": False}, headers=headers, timeout=10)
    assert reply.json() == {"site": "core-openstack", "up": False, "units-down": 1}
    assert vnfr_of(url, headers, ns_id)["vdur"][0]["status"] == "ERROR"
    heal = {"healVnfData": [{"vnfInstanceId": vnfr["_id"], "cause": "site down"}]}
    op = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/heal", heal).json()["id"]
    failed = wait_op(url, headers, op)
    assert failed["operationState"] == "FAILED"
    assert failed["errorMessage"] == "Error healing VNF cloud: VIM core-openstack is not reachable"
    # nothing new can be deployed there either
    ids = {
        r["id"]: r["_id"]
        for r in requests.get(f"{url}/nsd/v1/ns_descriptors", headers=headers, timeout=10).json()
    }
    vim = vims(url, headers)["core-openstack"]
    reply = create(url, headers, ids["locus_cloud_ns"], "second", vim)
    op2 = wait_op(url, headers, reply.json()["nslcmop_id"])
    assert op2["operationState"] == "FAILED" and "not reachable" in op2["errorMessage"]
    requests.put(site, json={"up": True}, headers=headers, timeout=10)
    op = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/heal", heal).json()["id"]
    assert wait_op(url, headers, op)["operationState"] == "COMPLETED"
    # fault API is admin-only and checks its input
    assert requests.put(site, json={"up": "no"}, headers=headers, timeout=10).status_code == 422
    assert requests.put(site, json={"up": True}, timeout=10).status_code == 401


def _revised(archive: bytes, vcpu: int, software_version: str) -> bytes:
    """The cloud VNF package with another vCPU count (and software-version)."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(archive)) as src,
        tarfile.open(fileobj=out, mode="w:gz") as dst,
    ):
        for member in src.getmembers():
            handle = src.extractfile(member) if member.isfile() else None
            data = handle.read() if handle is not None else None
            if data is not None and member.name.endswith("locus_cloud_vnfd.yaml"):
                text = data.decode()
                text = text.replace("num-virtual-cpu: 4", f"num-virtual-cpu: {vcpu}")
                text = text.replace(
                    'software-version: "1.0"', f'software-version: "{software_version}"'
                )
                data = text.encode()
                member.size = len(data)
            if member.name.endswith("checksums.txt"):
                continue
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def test_vertical_scale_needs_new_software_version_and_resizes(
    lab10: LabServer, archives: dict[str, bytes]
) -> None:
    url, headers = lab10.url, login(lab10.url)
    ns_id = ns_up(url, headers, archives, "locus_cloud_ns", "core-openstack")
    vnfr = vnfr_of(url, headers, ns_id)
    content = f"{url}/vnfpkgm/v1/vnf_packages_content/{vnfr['vnfd-id']}"
    gz = {**headers, "Content-Type": "application/gzip"}
    same_version = _revised(archives["locus_cloud_vnf"], 2, "1.0")
    reply = requests.put(content, data=same_version, headers=gz, timeout=30)
    assert reply.status_code == 409 and "disallowed changes" in reply.json()["detail"]
    reply = requests.put(
        content, data=_revised(archives["locus_cloud_vnf"], 2, "1.1"), headers=gz, timeout=30
    )
    assert reply.status_code == 204, reply.text
    body = {
        "updateType": "VERTICAL_SCALE",
        "verticalScaleVnf": {
            "vnfInstanceId": vnfr["_id"],
            "vnfdId": vnfr["vnfd-id"],
            "vduId": "cloud-vdu",
            "countIndex": 0,
        },
    }
    op = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/update", body).json()["id"]
    assert wait_op(url, headers, op)["operationState"] == "COMPLETED"
    resized = vnfr_of(url, headers, ns_id)
    assert resized["revision"] == 2 and resized["software-version"] == "1.1"
    # 2 vCPUs in use now: two more scale-outs of 2 vCPU fit in 10
    for _ in range(2):
        assert (
            scale(url, headers, ns_id, "SCALE_OUT", "cloud-vdu-autoscale")["operationState"]
            == "COMPLETED"
        )
    missing = {"updateType": "VERTICAL_SCALE", "verticalScaleVnf": {"vnfInstanceId": "x"}}
    reply = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/update", missing)
    assert reply.status_code == 422 and "'vnfdId' is a required property" in reply.text


def test_day1_and_day2_primitives_run_through_the_primitive_runner(
    lab10: LabServer, runner: Runner, archives: dict[str, bytes]
) -> None:
    url, headers = lab10.url, login(lab10.url)
    ns_id = ns_up(url, headers, archives, "locus_cloud_ns", "core-openstack")
    vnfr = vnfr_of(url, headers, ns_id)
    # Day-1: the VNFD's initial-config-primitives, in seq order, placeholders resolved
    day1 = [
        ("cloud", "config", {"ssh-hostname": vnfr["ip-address"], "ssh-username": "ubuntu"}),
        ("cloud", "configure-upstream", {"edge-host": "edge.test", "edge-port": "8080"}),
    ]
    assert runner.calls == day1
    ops = requests.get(f"{url}/nslcm/v1/ns_lcm_op_occs", headers=headers, timeout=10).json()
    (inst,) = [o for o in ops if o["lcmOperationType"] == "instantiate"]
    assert [(p["primitive"], p["output"]) for p in inst["day1Primitives"]] == [
        ("config", "config ok"),
        ("configure-upstream", "configure-upstream ok"),
    ]
    body = {
        "member_vnf_index": "cloud",
        "primitive": "configure-upstream",
        "primitive_params": {"edge-host": "10.1.1.1", "edge-port": 8080},
    }
    op = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/action", body).json()["id"]
    done = wait_op(url, headers, op)
    assert (
        done["operationState"] == "COMPLETED" and done["detailedStatus"] == "configure-upstream ok"
    )
    assert runner.calls[2:] == [("cloud", "configure-upstream", body["primitive_params"])]
    body = {"member_vnf_index": "cloud", "primitive": "restart-service", "primitive_params": {}}
    runner.fail_next = True
    op = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/action", body).json()["id"]
    failed = wait_for(url, headers, f"/nslcm/v1/ns_lcm_op_occs/{op}")
    assert failed["operationState"] == "FAILED"
    assert failed["errorMessage"] == (
        "Error executing primitive restart-service: exit status 3: upstream not configured"
    )
    body["primitive"] = "not-a-primitive"
    reply = post(url, headers, f"/nslcm/v1/ns_instances/{ns_id}/action", body)
    assert reply.status_code == 422
    assert "Invalid primitive 'not-a-primitive' is not present at vnfd:day1-2" in reply.text


def test_day1_parameter_missing_fails_the_instantiation(
    lab10: LabServer, archives: dict[str, bytes]
) -> None:
    url, headers = lab10.url, login(lab10.url)
    ids = onboard_all(url, headers, archives)
    reply = create(
        url, headers, ids["locus_cloud_ns"], "x", vims(url, headers)["core-openstack"], day1=False
    )
    op = wait_op(url, headers, reply.json()["nslcmop_id"])
    assert op["operationState"] == "FAILED"
    assert op["errorMessage"] == (
        "Parameter 'edge_host' needed to execute primitive 'configure-upstream' of VNF cloud "
        "not provided (additionalParamsForVnf)"
    )
