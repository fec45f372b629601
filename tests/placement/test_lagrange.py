"""The Lagrangian relaxation: exact labelling DP, a bound that never exceeds the optimum, and the
large-placement path of the solver built on it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from placement import lagrange, solver
from placement.candidates import candidate_sites
from placement.check import violations
from placement.greedy import first_fit
from placement.model import Function, InfeasibleError, Lab, Link, Problem, Resources, Site
from placement.objective import evaluate
from placement.solver import solve
from placement.synthetic import chain_instance


def _costs(problem: Problem, lab: Lab) -> dict[tuple[str, str], float]:
    sites = {s.name: s for s in lab.sites}
    return {
        (fid, s): problem.function(fid).demand.price(sites[s].price)
        for fid, names in candidate_sites(problem, lab).items()
        for s in names
    }


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6), st.integers(2, 3), st.integers(0, 10_000))
def test_cheapest_labelling_is_the_brute_force_minimum(n: int, m: int, seed: int) -> None:
    problem, lab = chain_instance(n, m, seed=seed, knf_share=0.0)
    relaxed = lagrange.labelling(problem, lab, _costs(problem, lab))
    prices = np.random.default_rng(seed).uniform(0, 0.05, relaxed.capacity.shape)
    value, sites = lagrange.cheapest(relaxed, prices)
    priced = relaxed.cost + relaxed.demand @ prices.T
    best = np.inf
    for combo in itertools.product(range(m), repeat=n):
        assignment = {
            f.id: relaxed.sites[s] for f, s in zip(problem.functions, combo, strict=True)
        }
        if any(
            not link.allows(lab.link(assignment[link.a], assignment[link.b]))
            for link in problem.links
        ):
            continue
        best = min(best, float(sum(priced[i, s] for i, s in enumerate(combo))))
    assert value == pytest.approx(best)
    if np.isfinite(best):
        assert float(sum(priced[i, s] for i, s in enumerate(sites))) == pytest.approx(best)


def test_bound_never_exceeds_the_optimum_and_is_tight_without_binding_capacity() -> None:
    for seed in range(4):
        problem, lab = chain_instance(12, 5, seed=seed)
        exact = solve(problem, lab, "cost", formulation="pairs")
        found = lagrange.dual(lagrange.labelling(problem, lab, _costs(problem, lab)), 10.0)
        assert found.bound <= exact.objective + 1e-7
        assert found.master >= found.bound - 1e-7
        roomy = lab.with_sites(
            Site(
                s.name, s.type, s.tier, s.capacity.scaled(100), s.price, k8s_cluster=s.k8s_cluster
            )
            for s in lab.sites
        )
        loose = solve(problem, roomy, "cost", formulation="pairs")
        relaxed = lagrange.labelling(problem, roomy, _costs(problem, roomy))
        assert lagrange.dual(relaxed, 10.0).bound == pytest.approx(loose.objective)


def _triangle() -> tuple[Problem, Lab]:
    sites = tuple(
        Site(f"s{i}", "openstack", "core", Resources(4, 8, 100), Resources(0.1 * (i + 1), 0, 0))
        for i in range(3)
    )
    latency = {frozenset(("s0", "s1")): (5.0, 1.0), frozenset(("s1", "s2")): (5.0, 1.0)}
    functions = tuple(Function(f"f{i}", "v", "vm", Resources(3, 4, 0), str(i)) for i in range(3))
    links = tuple(
        Link(a, b, f"v{a}{b}", 10.0) for a, b in (("f0", "f1"), ("f1", "f2"), ("f0", "f2"))
    )
    return Problem("tri", "ns", functions, links), Lab("tri", sites, latency)


def test_a_link_closing_a_cycle_is_relaxed_and_the_bound_stays_valid() -> None:
    problem, lab = _triangle()
    with pytest.raises(InfeasibleError, match="f0-f2"):  # one function per site: s0-s2 unreachable
        solve(problem, lab, "cost", formulation="restricted")
    lab = Lab(lab.name, lab.sites, {**lab.latency, frozenset(("s0", "s2")): (8.0, 1.0)})
    relaxed = lagrange.labelling(problem, lab, _costs(problem, lab))
    assert relaxed.dropped == 1
    found = lagrange.dual(relaxed, 10.0)
    result = solve(problem, lab, "cost", formulation="restricted")
    assert found.bound <= result.objective + 1e-9
    assert violations(problem, lab, result.assignment) == []
    assert result.proven_optimal
    assert result.objective == pytest.approx(solve(problem, lab, "cost").objective)


def test_an_over_committed_site_does_not_inflate_the_bound() -> None:
    problem, lab = chain_instance(12, 5, seed=3)
    full = lab.sites[-1]
    lab = lab.with_sites(
        (
            *lab.sites[:-1],
            Site(
                full.name,
                full.type,
                full.tier,
                full.capacity,
                full.price,
                used=full.capacity.scaled(1.2),
                k8s_cluster=full.k8s_cluster,
            ),
        )
    )
    exact = solve(problem, lab, "cost", formulation="pairs")
    found = lagrange.dual(lagrange.labelling(problem, lab, _costs(problem, lab)), 10.0)
    assert found.bound <= exact.objective + 1e-7
    assert found.bound - 1e-7 <= found.master <= found.bound + 1e-3 * found.master  # converged
    result = solve(problem, lab, "cost", formulation="restricted")
    assert result.proven_optimal
    assert result.objective == pytest.approx(exact.objective, rel=1e-4)


def test_relaxation_without_any_allowed_pair_means_infeasible() -> None:
    problem, lab = _triangle()
    slow = Lab(
        lab.name,
        tuple(
            Site(s.name, s.type, s.tier, s.capacity, s.price, intra_latency_ms=20)
            for s in lab.sites
        ),
        {pair: (20.0, 1.0) for pair in lab.latency},
    )  # every pair of sites, even one site with itself, is slower than the links' 10 ms
    found = lagrange.dual(lagrange.labelling(problem, slow, _costs(problem, slow)), 5.0)
    assert found.bound == np.inf
    with pytest.raises(InfeasibleError, match="f0-f1"):
        solve(problem, slow, "cost", formulation="restricted")


def test_large_chain_goes_through_the_bound_and_restricted_milps() -> None:
    problem, lab = chain_instance(150, 20, seed=1)
    result = solve(problem, lab, "cost", time_limit=30)
    assert result.formulation == "lagrangian+restricted"
    assert violations(problem, lab, result.assignment) == []
    assert result.bound <= result.objective + 1e-9
    assert result.gap == pytest.approx(
        max(0.0, (result.objective - result.bound) / result.objective), abs=1e-4
    )
    assert result.gap <= 0.01
    greedy = first_fit(problem, lab)
    assert greedy is not None
    assert result.objective <= evaluate(problem, lab, greedy)["cost"] + 1e-9
    assert result.terms["cost"] == pytest.approx(result.objective)
    assert any("Lagrangian" in note for note in result.notes)


def test_without_column_generation_or_greedy_the_widening_still_finds_the_optimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sites = tuple(
        Site(f"s{i}", "openstack", "core", Resources(4, 8, 100), Resources(0.1 * (i + 1), 0, 0))
        for i in range(3)
    )
    functions = tuple(Function(f"f{i}", "v", "vm", Resources(4, 4, 0), str(i)) for i in range(2))
    problem, lab = Problem("two", "ns", functions), Lab("two", sites, {})
    monkeypatch.setattr(solver, "DUAL_SHARE", 0.0)  # bound from the zero prices only
    # Its one column puts both on s0, which holds one: the LP over that pool is infeasible.
    result = solve(problem, lab, "cost", formulation="restricted", warm_start=False)
    assert result.assignment == {"f0": "s0", "f1": "s1"} or result.assignment == {
        "f0": "s1",
        "f1": "s0",
    }
    assert result.proven_optimal
    assert len([n for n in result.notes if n.startswith("MILP over")]) >= 2
