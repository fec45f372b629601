"""Property tests: every placement satisfies every rule (independent checker) and is optimal
(brute force over all assignments of tiny instances)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placement.check import violations
from placement.model import Function, InfeasibleError, Lab, Link, Problem, Resources, Site
from placement.objective import Objective, combined, evaluate
from placement.solver import solve

OBJECTIVES = ["cost", "edge>cost", "consolidate>cost", "spread>cost", "cost=1,edge=0.05"]


@st.composite
def instances(draw: st.DrawFn) -> tuple[Problem, Lab, str]:
    n_sites = draw(st.integers(1, 3))
    sites = []
    for i in range(n_sites):
        kind = draw(st.sampled_from(["openstack", "openstack", "kubernetes"]))
        sites.append(
            Site(
                f"s{i}",
                kind,
                draw(st.sampled_from(["edge", "core"])),
                Resources(draw(st.integers(1, 12)), draw(st.integers(1, 24)), 100.0),
                Resources(draw(st.integers(1, 5)) / 10, draw(st.integers(0, 3)) / 100, 0.0),
                used=Resources(draw(st.integers(0, 2)), 0.0, 0.0),
                k8s_cluster=f"k{i}" if kind == "kubernetes" or draw(st.booleans()) else None,
                intra_latency_ms=draw(st.sampled_from([0.0, 0.5])),
            )
        )
    latency = {}
    for a, b in itertools.combinations(range(n_sites), 2):
        if draw(st.integers(0, 4)) > 0:
            latency[frozenset((f"s{a}", f"s{b}"))] = (
                float(draw(st.integers(1, 30))),
                float(draw(st.integers(0, 6))),
            )
    areas = {"users": {f"s{i}": float(draw(st.integers(1, 20))) for i in range(n_sites)}}
    n_functions = draw(st.integers(1, 4))
    functions = []
    for i in range(n_functions):
        functions.append(
            Function(
                f"f{i}",
                "v",
                draw(st.sampled_from(["vm", "vm", "knf"])),
                Resources(draw(st.integers(0, 6)), draw(st.integers(0, 10)), 0.0),
                str(i),
                tier=draw(st.sampled_from([None, "edge", "core"])),
                max_area_latency={"users": 12.0} if draw(st.integers(0, 5)) == 0 else {},
            )
        )
    links = []
    for a, b in itertools.combinations(range(n_functions), 2):
        if draw(st.integers(0, 2)) > 0:
            links.append(
                Link(
                    f"f{a}",
                    f"f{b}",
                    f"v{a}{b}",
                    draw(st.sampled_from([None, 3.0, 8.0, 15.0, 25.0])),
                    draw(st.sampled_from([None, 1.0, 2.0, 5.0])),
                )
            )
    anti = (frozenset({"f0", "f1"}),) if n_functions > 1 and draw(st.booleans()) else ()
    problem = Problem("p", "ns", tuple(functions), tuple(links), anti)
    return problem, Lab("h", tuple(sites), latency, areas), draw(st.sampled_from(OBJECTIVES))


def brute_force(problem: Problem, lab: Lab, objective: Objective) -> tuple[float, ...] | None:
    best = None
    names = [s.name for s in lab.sites]
    for combo in itertools.product(names, repeat=len(problem.functions)):
        assignment = {f.id: s for f, s in zip(problem.functions, combo, strict=True)}
        if violations(problem, lab, assignment):
            continue
        value = combined(objective, evaluate(problem, lab, assignment))
        if best is None or value < best:
            best = value
    return best


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(["auto", "neighbourhood", "restricted"]))
def test_solver_is_valid_and_optimal(case: tuple[Problem, Lab, str], formulation: str) -> None:
    problem, lab, spec = case
    objective = Objective.parse(spec)
    best = brute_force(problem, lab, objective)
    try:
        result = solve(problem, lab, objective, time_limit=20, formulation=formulation)
    except InfeasibleError as exc:
        assert best is None, f"solver said infeasible ({exc.reasons}) but {best} exists"
        assert exc.reasons
        return
    assert best is not None, "brute force finds nothing, yet the solver placed it"
    assert violations(problem, lab, result.assignment) == []
    assert result.proven_optimal
    got = combined(objective, evaluate(problem, lab, result.assignment))
    for mine, theirs in zip(got, best, strict=True):
        assert abs(mine - theirs) <= 1e-6 * max(1.0, abs(theirs))
        if abs(mine - theirs) > 1e-9:
            break
