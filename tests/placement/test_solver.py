"""Hand-checked placements, objectives, infeasibility explanations, time limits, re-placement."""

from __future__ import annotations

from dataclasses import replace

import pytest

from osm_locus.catalogue import PackageIndex
from placement.check import violations
from placement.demand import netslice_problem
from placement.greedy import first_fit
from placement.lab import load_lab
from placement.model import Function, InfeasibleError, Lab, Link, Problem, Resources, Site
from placement.objective import Objective
from placement.params import ns_params, osm_params
from placement.replace import replan, site_down, with_capacity, with_latency
from placement.solver import solve
from placement.synthetic import chain_instance
from tests.conftest import PACKAGES

PRICE_CHEAP = Resources(1.0, 0.0, 0.0)
PRICE_DEAR = Resources(3.0, 0.0, 0.0)


def site(
    name: str,
    vcpu: float,
    price: Resources = PRICE_CHEAP,
    tier: str = "core",
    k8s: bool = False,
    kind: str = "openstack",
) -> Site:
    return Site(
        name,
        kind,
        tier,
        Resources(vcpu, 1000, 1000),
        price,  # type: ignore[arg-type]
        k8s_cluster=f"{name}-k8s" if k8s else None,
    )


def vm(fid: str, vcpu: float, **kw: object) -> Function:
    return Function(fid, f"{fid}_vnfd", "vm", Resources(vcpu, 1, 1), fid, **kw)  # type: ignore[arg-type]


def lab_of(*sites: Site, latency: dict[tuple[str, str], tuple[float, float]] | None = None) -> Lab:
    table = {frozenset(k): v for k, v in (latency or {}).items()}
    return Lab("t", sites, table, {"users": {"edge": 1.0, "core": 9.0}})


def test_capacity_splits_by_price() -> None:
    # core holds 6 vCPU at 1/vCPU, edge 10 at 3/vCPU: a (4) and b (4) cannot both go to core.
    lab = lab_of(
        site("core", 6),
        site("edge", 10, PRICE_DEAR, "edge"),
        latency={("core", "edge"): (5.0, 1.0)},
    )
    problem = Problem("p", "ns", (vm("a", 4), vm("b", 4), vm("c", 2)))
    result = solve(problem, lab)
    # best: c (2) + one 4 on core = 6 -> cost 6*1 + 4*3 = 18 (vs a+... any other split >= 18)
    assert result.terms["cost"] == pytest.approx(18.0)
    assert result.assignment["c"] == "core"
    assert result.proven_optimal and result.gap == 0.0


def test_latency_bound_forces_colocation() -> None:
    lab = lab_of(
        site("core", 100),
        site("edge", 100, PRICE_DEAR, "edge", k8s=True),
        latency={("core", "edge"): (8.0, 1.0)},
    )
    knf = Function("k", "k_vnfd", "knf", Resources(1, 1, 0), "k")
    loose = Problem("p", "ns", (vm("a", 2), knf), (Link("a", "k", "v", 10.0, None),))
    assert solve(loose, lab).assignment == {"a": "core", "k": "edge"}
    tight = replace(loose, links=(Link("a", "k", "v", 5.0, None),))
    assert solve(tight, lab).assignment == {"a": "edge", "k": "edge"}
    jittery = replace(loose, links=(Link("a", "k", "v", 10.0, 0.5),))
    assert solve(jittery, lab).assignment == {"a": "edge", "k": "edge"}


def test_unreachable_pair_is_never_used() -> None:
    lab = lab_of(site("core", 100), site("edge", 100, PRICE_DEAR, "edge", k8s=True))
    knf = Function("k", "k_vnfd", "knf", Resources(1, 1, 0), "k")
    problem = Problem("p", "ns", (vm("a", 2), knf), (Link("a", "k", "mgmt"),))
    assert solve(problem, lab).assignment == {"a": "edge", "k": "edge"}


def test_anti_affinity_and_affinity() -> None:
    lab = lab_of(
        site("core", 100),
        site("edge", 100, PRICE_DEAR, "edge"),
        latency={("core", "edge"): (5.0, 1.0)},
    )
    apart = Problem("p", "ns", (vm("a", 1), vm("b", 1)), anti_affinity=(frozenset("ab"),))
    assert set(solve(apart, lab).assignment.values()) == {"core", "edge"}
    pinned = Problem("p", "ns", (vm("a", 1, pin="edge"), vm("b", 1)), affinity=(frozenset("ab"),))
    assert solve(pinned, lab).assignment == {"a": "edge", "b": "edge"}


def test_objectives_edge_spread_consolidate_lexicographic() -> None:
    lab = lab_of(
        site("core", 100, PRICE_DEAR),
        site("edge", 100, PRICE_CHEAP, "edge"),
        latency={("core", "edge"): (5.0, 1.0)},
    )
    problem = Problem("p", "ns", (vm("a", 2), vm("b", 2)))
    assert set(solve(problem, lab, "cost").assignment.values()) == {"edge"}
    assert set(solve(problem, lab, "edge").assignment.values()) == {"core"}
    assert len(set(solve(problem, lab, "spread>cost").assignment.values())) == 2
    spread_cost = solve(problem, lab, "spread>cost")
    assert spread_cost.terms["cost"] == pytest.approx(8.0)  # one on each: 2*1 + 2*3
    assert set(solve(problem, lab, "consolidate>edge").assignment.values()) == {"core"}
    weighted = solve(problem, lab, "cost=1,edge=10")  # edge vCPU cost 10 > saving 2 per vCPU
    assert set(weighted.assignment.values()) == {"core"}


def test_objective_spec_errors() -> None:
    with pytest.raises(ValueError, match=r"unknown objective term 'speed'"):
        Objective.parse("cost>speed")
    with pytest.raises(ValueError, match=r"weight of 'cost' is not a number"):
        Objective.parse("cost=cheap")
    assert str(Objective.parse("moves>cost=2,edge")) == "moves>cost=2,edge"


def test_infeasible_function_names_each_site_and_rule() -> None:
    lab = lab_of(site("core", 4), site("edge", 100, tier="edge", kind="kubernetes", k8s=True))
    with pytest.raises(InfeasibleError) as info:
        solve(Problem("p", "ns", (vm("big", 8),)), lab)
    (reason,) = info.value.reasons
    assert reason.startswith(
        "function big (vnfd big_vnfd, vm, 8 vCPU/1 GB RAM/1 GB disk) cannot be placed"
    )
    assert "core: free capacity 4 vCPU/1000 GB RAM/1000 GB disk < demand" in reason
    assert "edge: a VM VNF needs an OpenStack VIM account, this one is kubernetes" in reason


def test_infeasible_link_names_the_closest_pairs() -> None:
    lab = lab_of(
        site("core", 100), site("edge", 100, tier="edge"), latency={("core", "edge"): (8.0, 1.0)}
    )
    problem = Problem(
        "p",
        "ns",
        (vm("a", 1, tier="core"), vm("b", 1, tier="edge")),
        (Link("a", "b", "cache", 5.0, None),),
    )
    with pytest.raises(InfeasibleError) as info:
        solve(problem, lab)
    assert info.value.reasons == [
        "link a-b (VLD cache, <= 5 ms latency): no pair of candidate sites qualifies "
        "(closest: core-edge 8 ms/1 ms jitter)"
    ]


def test_infeasible_area_latency_and_anti_affinity() -> None:
    lab = lab_of(
        site("core", 100), site("edge", 100, tier="edge"), latency={("core", "edge"): (8.0, 1.0)}
    )
    near = Problem("p", "ns", (vm("a", 1, max_area_latency={"users": 0.5}),))
    with pytest.raises(InfeasibleError, match=r"latency to user area users 1 ms > 0.5 ms"):
        solve(near, lab)
    three = Problem(
        "p", "ns", (vm("a", 1), vm("b", 1), vm("c", 1)), anti_affinity=(frozenset("abc"),)
    )
    with pytest.raises(
        InfeasibleError, match=r"needs 3 different sites, its members can only use"
    ):
        solve(three, lab)


def test_infeasible_joint_capacity_is_attributed() -> None:
    lab = lab_of(
        site("core", 10), site("edge", 10, tier="edge"), latency={("core", "edge"): (8.0, 1.0)}
    )
    problem = Problem("p", "ns", (vm("a", 6), vm("b", 6), vm("c", 6)))
    with pytest.raises(InfeasibleError) as info:
        solve(problem, lab)
    assert info.value.reasons[0].startswith("capacity: ")


def test_time_limit_returns_best_found_with_gap() -> None:
    problem, lab = chain_instance(200, 50, seed=3)
    result = solve(problem, lab, time_limit=2.0)
    assert violations(problem, lab, result.assignment) == []
    assert result.seconds < 10
    assert result.proven_optimal or result.gap > 0
    greedy = first_fit(problem, lab)
    if greedy is not None:
        greedy_cost = sum(f.demand.price(lab.site(greedy[f.id]).price) for f in problem.functions)
        assert result.terms["cost"] <= greedy_cost + 1e-6


def test_both_link_formulations_agree() -> None:
    problem, lab = chain_instance(30, 12, seed=5)
    pairs = solve(problem, lab, formulation="pairs")
    hood = solve(problem, lab, formulation="neighbourhood")
    assert (pairs.formulation, hood.formulation) == ("local-polytope", "neighbourhood")
    assert pairs.terms["cost"] == pytest.approx(hood.terms["cost"], rel=1e-6)
    assert violations(problem, lab, hood.assignment) == []


def test_replan_after_site_down_moves_only_what_must_move() -> None:
    lab = lab_of(
        site("core", 100),
        site("core2", 100, Resources(1.5, 0, 0)),
        site("edge", 100, PRICE_DEAR, "edge"),
        latency={
            ("core", "edge"): (5.0, 1.0),
            ("core2", "edge"): (6.0, 1.0),
            ("core", "core2"): (2.0, 0.5),
        },
    )
    problem = Problem(
        "p", "ns", (vm("a", 2), vm("b", 2, tier="edge")), (Link("a", "b", "v", 10.0),)
    )
    current = solve(problem, lab).assignment
    assert current == {"a": "core", "b": "edge"}
    moved = replan(problem, site_down(lab, "core"), current)
    assert moved.assignment == {"a": "core2", "b": "edge"}
    assert moved.terms["moves"] == 1
    # latency change: core2-edge too slow now, but core is back: fewest moves wins
    slower = with_latency(lab, "core2", "edge", 30.0, 2.0)
    assert replan(problem, slower, moved.assignment).assignment == {"a": "core", "b": "edge"}
    # capacity shrinks under a: it must move; b stays
    shrunk = with_capacity(lab, "core", Resources(1, 1000, 1000))
    again = replan(problem, shrunk, current)
    assert again.assignment["b"] == "edge" and again.assignment["a"] != "core"


def test_locus_netslice_on_default_lab() -> None:
    index = PackageIndex.scan(PACKAGES)
    problem = netslice_problem(index.body("nst", "locus_composite_nst"), index.catalogue())
    lab = load_lab()
    result = solve(problem, lab)
    assert result.assignment == {"cloud.cloud": "core-openstack", "edge.edge": "edge-k8s"}
    assert lab.site(result.assignment["edge.edge"]).tier == "edge"
    assert lab.site(result.assignment["cloud.cloud"]).tier == "core"
    assert osm_params(problem, lab, result.assignment) == {
        "vimAccountId": "core-openstack",
        "netslice-subnet": [
            {
                "id": "cloud",
                "vimAccountId": "core-openstack",
                "vnf": [{"member-vnf-index": "cloud", "vimAccountId": "core-openstack"}],
            },
            {
                "id": "edge",
                "vimAccountId": "edge-k8s",
                "vnf": [{"member-vnf-index": "edge", "vimAccountId": "edge-k8s"}],
            },
        ],
    }


def test_ns_params_use_vim_account_ids_when_known() -> None:
    lab = lab_of(
        replace(site("core", 10), vim_account_id="6f1c-core"),
        site("edge", 10, tier="edge"),
        latency={("core", "edge"): (1.0, 0.1)},
    )
    problem = Problem("p", "ns", (vm("a", 1, pin="core"), vm("b", 1, pin="edge")))
    assert ns_params(problem, lab, {"a": "core", "b": "edge"}, ids={"edge": "9e2d-edge"}) == {
        "vimAccountId": "6f1c-core",
        "vnf": [
            {"member-vnf-index": "a", "vimAccountId": "6f1c-core"},
            {"member-vnf-index": "b", "vimAccountId": "9e2d-edge"},
        ],
    }
