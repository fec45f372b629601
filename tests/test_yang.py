"""Strict YANG validation agrees with OSM's own pyangbind loader and names every failing path."""

from __future__ import annotations

import copy

import pytest
import yaml
from pyangbind.lib.serialise import pybindJSONDecoder

from osm_locus.im import bindings
from osm_locus.package import yang
from tests.conftest import PACKAGES, descriptor_file

VNFD = yaml.safe_load(descriptor_file(PACKAGES / "locus_cloud_vnf").read_text())["vnfd"]


def osm_accepts(kind: str, body: dict) -> bool:
    """What OSM's NBI does: load_ietf_json in strict mode, any exception is a 422."""
    try:
        pybindJSONDecoder.load_ietf_json(
            yang.envelope(kind, copy.deepcopy(body)),
            None,
            None,
            obj=bindings.root_object(kind),
            path_helper=True,
            skip_unknown=False,
        )
    except Exception:  # noqa: BLE001
        return False
    return True


def test_shipped_vnfd_is_clean() -> None:
    assert yang.check("vnfd", VNFD, "vnfd") == []
    assert osm_accepts("vnfd", VNFD)


def test_every_problem_is_reported_with_its_path() -> None:
    body = copy.deepcopy(VNFD)
    body["colour"] = "blue"
    body["vdu"][0]["int-cpd"][1]["virtual-network-interface-requirement"][0]["virtual-interface"][
        "type"
    ] = "VIRTIO-NET"
    body["virtual-compute-desc"][0]["virtual-memory"]["size"] = "eight"
    body["ext-cpd"].append({"int-cpd": {"vdu-id": "cloud-vdu", "cpd": "vdu-eth0"}})
    found = dict(yang.check("vnfd", body, "vnfd"))
    assert found.keys() == {
        "vnfd.colour",
        "vnfd.vdu[cloud-vdu].int-cpd[vdu-eth1].virtual-network-interface-requirement[eth1]"
        ".virtual-interface.type",
        "vnfd.virtual-compute-desc[cloud-compute].virtual-memory.size",
        "vnfd.ext-cpd[3]",
    }
    assert "unknown key 'colour'" in found["vnfd.colour"]
    assert (
        "allowed: E1000, OM-MGMT, PARAVIRT"
        in found[
            "vnfd.vdu[cloud-vdu].int-cpd[vdu-eth1].virtual-network-interface-requirement[eth1]"
            ".virtual-interface.type"
        ]
    )
    assert "lacks its key id" in found["vnfd.ext-cpd[3]"]
    assert not osm_accepts("vnfd", body)


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("vnfd", {"id": "a", "vdu": {"id": "not-a-list"}}),
        (
            "vnfd",
            {
                "id": "a",
                "df": [{"id": "d", "vdu-profile": [{"id": "v", "min-number-of-instances": -1}]}],
            },
        ),
        ("vnfd", {"id": "a", "virtual-storage-desc": [{"id": "s", "size-of-storage": "big"}]}),
        ("vnfd", {"id": "a", "ext-cpd": [{"id": "x", "k8s-cluster-net": {"nested": 1}}]}),
        ("nsd", {"id": "n", "sapd": [{"id": "s", "wrong": True}]}),
        ("nsd", {"id": "n", "virtual-link-desc": [{"id": "v", "mgmt-network": "maybe"}]}),
        ("nst", {"id": "t", "name": "t", "SNSSAI-identifier": {"slice-service-type": "XYZ"}}),
        ("nst", {"id": "t", "netslice-subnet": [{"id": "s", "is-shared-nss": "perhaps"}]}),
    ],
    ids=[
        "container-as-list",
        "negative-uint",
        "bad-decimal",
        "leaf-as-mapping",
        "nsd-unknown",
        "bad-boolean",
        "bad-slice-type",
        "nst-bad-boolean",
    ],
)
def test_rejects_what_osm_rejects(kind: str, body: dict) -> None:
    assert not osm_accepts(kind, body)
    findings = yang.check(kind, body, kind)
    assert findings, "OSM rejects this document, so must we"
    assert all(path.startswith(kind) for path, _ in findings)


def test_accepts_what_osm_accepts_and_normalises_like_osm() -> None:
    body = {
        "id": "a",
        "product-name": "a",
        "provider": "p",
        "version": "1",
        "virtual-compute-desc": [{"id": "c", "virtual-memory": {"size": 8}}],
    }
    assert osm_accepts("vnfd", body)
    assert yang.check("vnfd", body, "vnfd") == []
    assert yang.normalise("vnfd", body)["virtual-compute-desc"][0]["virtual-memory"]["size"] == "8"
