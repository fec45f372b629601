"""Netslice lifecycle in the lab: one NS per subnet, shared subnet reused, terminate, delete."""

from __future__ import annotations

from typing import Any

import requests

from osm_locus.lab.server import LabServer
from tests.lab.conftest import login, onboard_all, wait_for
from tests.lab.test_ns_lifecycle import vims


def wait_nsi_op(url: str, headers: dict[str, str], op: str) -> dict[str, Any]:
    return wait_for(url, headers, f"/nsilcm/v1/nsi_lcm_op_occs/{op}")


#: The cloud VNF's Day-1 configure-upstream takes <edge_host> from additionalParamsForVnf.
DAY1_CLOUD = {"member-vnf-index": "cloud", "additionalParams": {"edge_host": "edge.test"}}


def create_slice(
    url: str, headers: dict[str, str], nst: str, name: str, vim: dict[str, str]
) -> requests.Response:
    return requests.post(
        f"{url}/nsilcm/v1/netslice_instances_content",
        headers=headers,
        timeout=10,
        json={
            "nstId": nst,
            "nsiName": name,
            "vimAccountId": vim["core-openstack"],
            "netslice-subnet": [
                {
                    "id": "cloud",
                    "vimAccountId": vim["core-openstack"],
                    "additionalParamsForVnf": [DAY1_CLOUD],
                },
                {
                    "id": "edge",
                    "vimAccountId": vim["edge-k8s"],
                    "vnf": [{"member-vnf-index": "edge", "vimAccountId": vim["edge-k8s"]}],
                },
            ],
        },
    )


def test_slice_with_shared_cloud_subnet(lab: LabServer, archives: dict[str, bytes]) -> None:
    headers = login(lab.url)
    ids = onboard_all(lab.url, headers, archives)
    vim = vims(lab.url, headers)
    first = create_slice(lab.url, headers, ids["locus_composite_nst"], "locus1", vim)
    assert first.status_code == 201 and set(first.json()) == {"id", "nsilcmop_id"}
    assert (
        wait_nsi_op(lab.url, headers, first.json()["nsilcmop_id"])["operationState"] == "COMPLETED"
    )
    nsi = requests.get(
        f"{lab.url}/nsilcm/v1/netslice_instances/{first.json()['id']}", headers=headers, timeout=10
    ).json()
    assert nsi["_admin"]["nsiState"] == "INSTANTIATED"
    names = {
        n["name"]: n
        for n in requests.get(
            f"{lab.url}/nslcm/v1/ns_instances", headers=headers, timeout=10
        ).json()
    }
    assert set(names) == {"locus1.cloud", "locus1.edge"}
    assert all(n["nsState"] == "READY" for n in names.values())
    second = create_slice(lab.url, headers, ids["locus_composite_nst"], "locus2", vim)
    assert (
        wait_nsi_op(lab.url, headers, second.json()["nsilcmop_id"])["operationState"]
        == "COMPLETED"
    )
    names = {
        n["name"]
        for n in requests.get(
            f"{lab.url}/nslcm/v1/ns_instances", headers=headers, timeout=10
        ).json()
    }
    assert names == {"locus1.cloud", "locus1.edge", "locus2.edge"}  # cloud subnet shared
    term = requests.post(
        f"{lab.url}/nsilcm/v1/netslice_instances/{first.json()['id']}/terminate",
        headers=headers,
        timeout=10,
        json={},
    )
    assert wait_nsi_op(lab.url, headers, term.json()["id"])["operationState"] == "COMPLETED"
    states = {
        n["name"]: n["nsState"]
        for n in requests.get(
            f"{lab.url}/nslcm/v1/ns_instances", headers=headers, timeout=10
        ).json()
    }
    assert states == {
        "locus1.cloud": "READY",
        "locus1.edge": "NOT_INSTANTIATED",
        "locus2.edge": "READY",
    }  # still used by locus2
    assert (
        requests.delete(
            f"{lab.url}/nsilcm/v1/netslice_instances_content/{first.json()['id']}",
            headers=headers,
            timeout=10,
        ).status_code
        == 204
    )
    busy = requests.delete(
        f"{lab.url}/nsilcm/v1/netslice_instances_content/{second.json()['id']}",
        headers=headers,
        timeout=10,
    )
    assert busy.status_code == 409


def test_failed_subnet_fails_the_slice(lab: LabServer, archives: dict[str, bytes]) -> None:
    headers = login(lab.url)
    ids = onboard_all(lab.url, headers, archives)
    vim = vims(lab.url, headers)
    vim["edge-k8s"] = vim["core-openstack"]  # the KNF lands where no K8s cluster is attached
    reply = create_slice(lab.url, headers, ids["locus_composite_nst"], "bad", vim)
    op = wait_nsi_op(lab.url, headers, reply.json()["nsilcmop_id"])
    assert op["operationState"] == "FAILED"
    assert "no K8s cluster attached to VIM account 'core-openstack'" in op["errorMessage"]
