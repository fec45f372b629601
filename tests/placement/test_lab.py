"""Lab files: the default lab loads; every malformed field is named in the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from placement.lab import LabError, lab_schema, load_lab, parse_lab

SITE = {
    "name": "a",
    "type": "openstack",
    "tier": "core",
    "capacity": {"vcpu": 8, "ram_gb": 16, "disk_gb": 100},
    "price": {"vcpu": 0.01, "ram_gb": 0.001, "disk_gb": 0.0001},
}


def test_default_lab_models_the_testbeds() -> None:
    lab = load_lab()
    kinds = {s.name: (s.type, s.tier, s.k8s_cluster is not None) for s in lab.sites}
    assert kinds == {
        "core-openstack": ("openstack", "core", False),
        "edge-k8s": ("kubernetes", "edge", True),
        "partner-openstack": ("openstack", "edge", True),
    }
    assert lab.link("core-openstack", "edge-k8s") == (8.0, 1.5)
    assert lab.link("edge-k8s", "edge-k8s") == (0.1, 0.0)
    assert lab.area_latency("campus", "edge-k8s") == 2


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"sites": [{**SITE, "type": "vmware"}]}, "lab.yaml: sites[0].type: Input should be"),
        (
            {"sites": [{**SITE, "capacity": {"vcpu": -1, "ram_gb": 1, "disk_gb": 1}}]},
            "lab.yaml: sites[0].capacity.vcpu: Input should be greater than or equal to 0",
        ),
        ({"sites": [{**SITE, "colour": "red"}]}, "lab.yaml: sites[0].colour: Extra inputs"),
        ({"sites": [SITE, SITE]}, "lab.yaml: sites[1].name: duplicate site 'a'"),
        (
            {"sites": [SITE], "links": [{"sites": ["a", "b"], "latency_ms": 3}]},
            "lab.yaml: links[0].sites: unknown site 'b'",
        ),
        ({"sites": [{**SITE, "type": "kubernetes"}]}, "a kubernetes site needs k8s_cluster"),
        (
            {"sites": [SITE], "areas": [{"name": "x", "latency_ms": {"z": 1}}]},
            "lab.yaml: areas[0].latency_ms.z: unknown site 'z'",
        ),
        ({"sites": []}, "lab.yaml: sites: List should have at least 1 item"),
    ],
    ids=[
        "type",
        "negative",
        "unknown-key",
        "duplicate",
        "link-site",
        "k8s-cluster",
        "area-site",
        "empty",
    ],
)
def test_errors_name_the_field(data: dict, expected: str) -> None:
    with pytest.raises(LabError) as info:
        parse_lab(data, "lab.yaml")
    assert expected in str(info.value)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(LabError, match=r"cannot read lab file"):
        load_lab(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites: [\n")
    with pytest.raises(LabError, match=r"bad.yaml: malformed YAML"):
        load_lab(bad)


def test_schema_is_documented() -> None:
    schema = lab_schema()
    assert {"sites", "links", "areas"} <= set(schema["properties"])
