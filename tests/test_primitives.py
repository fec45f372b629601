"""Every VNFD primitive must exist in the charm it names, with matching parameters and types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from osm_locus.package.artifacts import juju_charms
from osm_locus.package.semantics import day12_primitives
from osm_locus.package.source import read_package
from tests.conftest import ROOT, SHIPPED

#: OSM parameter data-type -> charm action/config types it can carry.
TYPES = {"STRING": {"string"}, "INTEGER": {"integer", "int", "number"}, "BOOLEAN": {"boolean"}}


def _vnfds_with_charms() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    found = []
    for folder in SHIPPED:
        source = read_package(folder)
        if source.descriptor is None or source.descriptor.kind != "vnfd":
            continue
        for _, charm in juju_charms(source.descriptor.body):
            spec = yaml.safe_load((ROOT / "charms" / charm / "charmcraft.yaml").read_text())
            found.append((folder.name, source.descriptor.body, spec))
    return found


CASES = _vnfds_with_charms()


def test_a_shipped_vnfd_uses_a_charm() -> None:
    assert [name for name, _, _ in CASES] == ["locus_cloud_vnf"]


@pytest.mark.parametrize(("package", "vnfd", "spec"), CASES, ids=[c[0] for c in CASES])
def test_day2_primitives_match_charm_actions(
    package: str, vnfd: dict[str, Any], spec: dict[str, Any]
) -> None:
    actions = spec["actions"]
    for primitive in day12_primitives(vnfd, "config-primitive"):
        name = primitive["name"]
        assert name in actions, f"{package}: config-primitive {name} is not an action"
        schema = actions[name].get("params") or {}
        declared = {p["name"]: p for p in primitive.get("parameter", [])}
        for pname, param in declared.items():
            assert pname in schema, f"{package}: {name}.{pname} is not a parameter of the action"
            kind = param.get("data-type", "STRING")
            assert schema[pname]["type"] in TYPES[kind], f"{package}: {name}.{pname} type"
        for required in actions[name].get("required", []):
            assert required in declared, f"{package}: {name} does not declare {required}"
            assert declared[required].get("mandatory") or declared[required].get(
                "default-value"
            ), f"{package}: {name}.{required} is required by the charm"


@pytest.mark.parametrize(("package", "vnfd", "spec"), CASES, ids=[c[0] for c in CASES])
def test_day1_primitives_match_charm_actions_and_config(
    package: str, vnfd: dict[str, Any], spec: dict[str, Any]
) -> None:
    options = spec["config"]["options"]
    for primitive in day12_primitives(vnfd, "initial-config-primitive"):
        name = primitive["name"]
        given = {p["name"]: p for p in primitive.get("parameter", [])}
        if name == "config":  # OSM sets these as the charm's config
            for key in given:
                assert key in options, f"{package}: config {key} is not a charm option"
            assert "ssh-hostname" in given, f"{package}: config must set ssh-hostname"
            continue
        assert name in spec["actions"], f"{package}: initial primitive {name} is not an action"
        schema = spec["actions"][name].get("params") or {}
        for key, param in given.items():
            assert key in schema, f"{package}: {name}.{key} is not a parameter"
            kind = param.get("data-type", "STRING")
            assert schema[key]["type"] in TYPES[kind], f"{package}: {name}.{key} type"
        for required in spec["actions"][name].get("required", []):
            assert required in given, f"{package}: Day-1 {name} lacks required {required}"


def test_the_check_catches_a_mismatch(tmp_path: Path) -> None:
    (package, vnfd, spec) = CASES[0]
    broken = yaml.safe_load(yaml.safe_dump(vnfd))
    day12 = broken["df"][0]["lcm-operations-configuration"]["operate-vnf-op-config"]["day1-2"]
    day12[0]["config-primitive"][0]["parameter"][0]["name"] = "edge-hostname"
    with pytest.raises(AssertionError, match="edge-hostname is not a parameter of the action"):
        test_day2_primitives_match_charm_actions(package, broken, spec)
