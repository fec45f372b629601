"""Demand and links come from the real descriptors; intents add location rules."""

from __future__ import annotations

import copy

import pytest

from osm_locus.catalogue import PackageIndex
from placement.demand import (
    DemandError,
    Intent,
    k8s_cpu,
    k8s_memory_gb,
    netslice_problem,
    ns_problem,
    vnf_demand,
)
from placement.model import Link, Resources
from tests.conftest import PACKAGES

INDEX = PackageIndex.scan(PACKAGES)
CATALOGUE = INDEX.catalogue()


def test_vm_demand_is_vdus_times_instances() -> None:
    vnfd = copy.deepcopy(INDEX.body("vnfd", "locus_cloud_vnf"))
    assert vnf_demand(vnfd) == Resources(4, 8, 20)
    vnfd["df"][0]["instantiation-level"].append(
        {"id": "big", "vdu-level": [{"vdu-id": "cloud-vdu", "number-of-instances": 3}]}
    )
    assert vnf_demand(vnfd, level="big") == Resources(12, 24, 60)
    with pytest.raises(DemandError, match=r"no instantiation-level 'huge'"):
        vnf_demand(vnfd, level="huge")


@pytest.mark.parametrize(("text", "cores"), [("500m", 0.5), ("2", 2.0), (1.5, 1.5)])
def test_cpu_quantities(text: object, cores: float) -> None:
    assert k8s_cpu(text) == cores


@pytest.mark.parametrize(("text", "gb"), [("256Mi", 0.25), ("2Gi", 2.0), ("1G", 1.0)])
def test_memory_quantities(text: str, gb: float) -> None:
    assert k8s_memory_gb(text) == gb


def test_knf_demand_from_helm_values() -> None:
    problem = ns_problem(INDEX.body("nsd", "locus_edge_ns"), CATALOGUE)
    (edge,) = problem.functions
    assert (edge.kind, edge.demand) == ("knf", Resources(0.5, 0.25, 0))


def test_netslice_links_subnets_through_the_cache_sap() -> None:
    problem = netslice_problem(INDEX.body("nst", "locus_composite_nst"), CATALOGUE)
    assert [f.id for f in problem.functions] == ["cloud.cloud", "edge.edge"]
    assert problem.links == (Link("cloud.cloud", "edge.edge", "netslice.cache", 20.0, 5.0),)
    assert problem.subnets == {"cloud": "locus_cloud_ns", "edge": "locus_edge_ns"}


def test_shared_subnet_already_running_is_pinned_and_free() -> None:
    problem = netslice_problem(
        INDEX.body("nst", "locus_composite_nst"),
        CATALOGUE,
        shared_existing={"cloud": {"cloud": "core-openstack"}},
    )
    cloud = problem.function("cloud.cloud")
    assert (cloud.pin, cloud.demand) == ("core-openstack", Resources())


def test_nsd_anti_affinity_group_is_read() -> None:
    nsd = copy.deepcopy(INDEX.body("nsd", "locus_cloud_ns"))
    df = nsd["df"][0]
    second = copy.deepcopy(df["vnf-profile"][0])
    second["id"] = "cloud2"
    df["vnf-profile"].append(second)
    df["affinity-or-anti-affinity-group"] = [
        {"id": "spread", "type": "anti-affinity", "scope": "nfvi-pop"}
    ]
    for profile in df["vnf-profile"]:
        profile["affinity-or-anti-affinity-group"] = [{"id": "spread"}]
    problem = ns_problem(nsd, CATALOGUE)
    assert problem.anti_affinity == (frozenset({"cloud", "cloud2"}),)
    assert {(lk.a, lk.b) for lk in problem.links} == {("cloud", "cloud2")}


def test_intent_rules_and_errors() -> None:
    intent = Intent.parse(
        {
            "functions": {
                "edge": {
                    "tier": "edge",
                    "max_area_latency": {"campus": 3},
                    "demand": {"vcpu": 2, "ram_gb": 4},
                }
            }
        }
    )
    (edge,) = ns_problem(INDEX.body("nsd", "locus_edge_ns"), CATALOGUE, intent).functions
    assert (edge.tier, dict(edge.max_area_latency), edge.demand) == (
        "edge",
        {"campus": 3},
        Resources(2, 4, 0),
    )
    with pytest.raises(DemandError, match=r"unknown functions \['edgy'\]"):
        ns_problem(
            INDEX.body("nsd", "locus_edge_ns"),
            CATALOGUE,
            Intent.parse({"functions": {"edgy": {"tier": "edge"}}}),
        )
    with pytest.raises(DemandError, match=r"i.yaml: functions.edge.tier"):
        Intent.parse({"functions": {"edge": {"tier": "fog"}}}, "i.yaml")


def test_missing_vnfd_is_named() -> None:
    nsd = copy.deepcopy(INDEX.body("nsd", "locus_edge_ns"))
    nsd["df"][0]["vnf-profile"][0]["vnfd-id"] = "ghost_knf"
    with pytest.raises(DemandError, match=r"vnfd 'ghost_knf' .* is not among the packages given"):
        ns_problem(nsd, CATALOGUE)
