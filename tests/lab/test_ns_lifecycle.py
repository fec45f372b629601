"""NS lifecycle in the lab over HTTP: instantiate, records, capacity, action, terminate, delete."""

from __future__ import annotations

from typing import Any

import requests

from osm_locus.lab.server import LabServer
from tests.lab.conftest import login, onboard_all, wait_for


def wait_op(url: str, headers: dict[str, str], op: str) -> dict[str, Any]:
    return wait_for(url, headers, f"/nslcm/v1/ns_lcm_op_occs/{op}")


def vims(url: str, headers: dict[str, str]) -> dict[str, str]:
    reply = requests.get(f"{url}/admin/v1/vim_accounts", headers=headers, timeout=10)
    return {v["name"]: v["_id"] for v in reply.json()}


def create(
    url: str,
    headers: dict[str, str],
    nsd: str,
    name: str,
    vim: str,
    vnf: list[dict[str, str]] | None = None,
    day1: bool = True,
) -> requests.Response:
    body: dict[str, Any] = {
        "nsdId": nsd,
        "nsName": name,
        "nsDescription": name,
        "vimAccountId": vim,
    }
    if vnf:
        body["vnf"] = vnf
    if day1:  # the cloud VNF's Day-1 needs <edge_host>; other members ignore it
        body["additionalParamsForVnf"] = [
            {"member-vnf-index": "cloud", "additionalParams": {"edge_host": "edge.test"}}
        ]
    return requests.post(
        f"{url}/nslcm/v1/ns_instances_content", json=body, headers=headers, timeout=10
    )


def test_instantiate_read_records_act_terminate_delete(
    lab: LabServer, archives: dict[str, bytes]
) -> None:
    headers = login(lab.url)
    ids = onboard_all(lab.url, headers, archives)
    vim = vims(lab.url, headers)
    reply = create(lab.url, headers, ids["locus_cloud_ns"], "cloud1", vim["core-openstack"])
    assert reply.status_code == 201 and set(reply.json()) == {"id", "nslcmop_id"}
    ns_id, op_id = reply.json()["id"], reply.json()["nslcmop_id"]
    op = wait_op(lab.url, headers, op_id)
    assert op["operationState"] == "COMPLETED" and op["lcmOperationType"] == "instantiate"
    nsr = requests.get(
        f"{lab.url}/nslcm/v1/ns_instances/{ns_id}", headers=headers, timeout=10
    ).json()
    assert nsr["nsState"] == "READY" and nsr["operational-status"] == "running"
    (vnfr,) = requests.get(
        f"{lab.url}/nslcm/v1/vnf_instances?nsr-id-ref={ns_id}", headers=headers, timeout=10
    ).json()
    assert vnfr["vim-account-id"] == vim["core-openstack"]
    assert vnfr["member-vnf-index-ref"] == "cloud"
    (vdur,) = vnfr["vdur"]
    assert vdur["status"] == "ACTIVE" and vdur["ip-address"].startswith("10.100.")
    assert "_lab" not in vnfr
    action = requests.post(
        f"{lab.url}/nslcm/v1/ns_instances/{ns_id}/action",
        headers=headers,
        timeout=10,
        json={"member_vnf_index": "cloud", "primitive": "restart-service", "primitive_params": {}},
    )
    assert action.status_code == 202
    done = wait_op(lab.url, headers, action.json()["id"])
    assert done["operationState"] == "COMPLETED"
    assert done["operationParams"]["primitive"] == "restart-service"
    busy = requests.delete(
        f"{lab.url}/nslcm/v1/ns_instances_content/{ns_id}", headers=headers, timeout=10
    )
    assert busy.status_code == 409 and "Terminate first" in busy.json()["detail"]
    term = requests.post(
        f"{lab.url}/nslcm/v1/ns_instances/{ns_id}/terminate", json={}, headers=headers, timeout=10
    )
    assert term.status_code == 202
    assert wait_op(lab.url, headers, term.json()["id"])["operationState"] == "COMPLETED"
    gone = requests.delete(
        f"{lab.url}/nslcm/v1/ns_instances_content/{ns_id}", headers=headers, timeout=10
    )
    assert gone.status_code == 204
    assert (
        requests.get(
            f"{lab.url}/nslcm/v1/ns_instances/{ns_id}", headers=headers, timeout=10
        ).status_code
        == 404
    )


def test_knf_lands_on_the_cluster_of_its_vim_account(
    lab: LabServer, archives: dict[str, bytes]
) -> None:
    headers = login(lab.url)
    ids = onboard_all(lab.url, headers, archives)
    vim = vims(lab.url, headers)
    reply = create(
        lab.url,
        headers,
        ids["locus_edge_ns"],
        "edge1",
        vim["core-openstack"],
        [{"member-vnf-index": "edge", "vimAccountId": vim["edge-k8s"]}],
    )
    assert wait_op(lab.url, headers, reply.json()["nslcmop_id"])["operationState"] == "COMPLETED"
    (vnfr,) = requests.get(
        f"{lab.url}/nslcm/v1/vnf_instances?nsr-id-ref={reply.json()['id']}",
        headers=headers,
        timeout=10,
    ).json()
    assert vnfr["vim-account-id"] == vim["edge-k8s"]
    assert vnfr["kdur"][0]["k8s-cluster"]["name"] == "edge-k8s-cluster"
    on_core = create(lab.url, headers, ids["locus_edge_ns"], "edge2", vim["core-openstack"])
    failed = wait_op(lab.url, headers, on_core.json()["nslcmop_id"])
    assert failed["operationState"] == "FAILED"
    assert "no K8s cluster attached to VIM account 'core-openstack'" in failed["errorMessage"]


def test_capacity_exhaustion_fails_and_frees(lab: LabServer, archives: dict[str, bytes]) -> None:
    headers = login(lab.url)
    ids = onboard_all(lab.url, headers, archives)
    vim = vims(lab.url, headers)["partner-openstack"]  # 32 vCPU, 4 per cloud VNF
    results = []
    for number in range(9):
        reply = create(lab.url, headers, ids["locus_cloud_ns"], f"c{number}", vim)
        results.append((reply.json()["id"], wait_op(lab.url, headers, reply.json()["nslcmop_id"])))
    states = [op["operationState"] for _, op in results]
    assert states == ["COMPLETED"] * 8 + ["FAILED"]
    assert results[-1][1]["errorMessage"] == (
        "Error deploying VNF cloud at VIM partner-openstack: Quota exceeded for cores: "
        "Requested 4, but already used 32 of 32"
    )
    broken = requests.get(
        f"{lab.url}/nslcm/v1/ns_instances/{results[-1][0]}", headers=headers, timeout=10
    ).json()
    assert broken["nsState"] == "BROKEN"
    term = requests.post(
        f"{lab.url}/nslcm/v1/ns_instances/{results[0][0]}/terminate",
        headers=headers,
        timeout=10,
        json={},
    )
    wait_op(lab.url, headers, term.json()["id"])
    again = create(lab.url, headers, ids["locus_cloud_ns"], "c9", vim)
    assert wait_op(lab.url, headers, again.json()["nslcmop_id"])["operationState"] == "COMPLETED"


def test_bad_requests_get_osm_messages(lab: LabServer, archives: dict[str, bytes]) -> None:
    headers = login(lab.url)
    ids = onboard_all(lab.url, headers, archives)
    no_vim = create(lab.url, headers, ids["locus_cloud_ns"], "x", "not-a-vim")
    assert no_vim.status_code == 400
    assert (
        no_vim.json()["detail"] == "Invalid vimAccountId='not-a-vim' not present for the project"
    )
    vim = vims(lab.url, headers)["core-openstack"]
    bad_member = create(
        lab.url,
        headers,
        ids["locus_cloud_ns"],
        "x",
        vim,
        [{"member-vnf-index": "7", "vimAccountId": vim}],
    )
    assert bad_member.status_code == 400
    assert bad_member.json()["detail"] == (
        "Invalid parameter member_vnf_index='7' is not one of the nsd:constituent-vnfd"
    )
    missing = requests.post(
        f"{lab.url}/nslcm/v1/ns_instances_content",
        headers=headers,
        timeout=10,
        json={"nsName": "x", "vimAccountId": vim},
    )
    assert missing.status_code == 422
