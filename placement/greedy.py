"""Greedy first-fit baseline: each function in turn on its cheapest site that still works.

What an operator (or OSM's default VIM choice) does by hand; the benchmark measures how much the
exact optimiser saves over it and how often it fails to find a feasible placement at all. It also
warm-starts the solver.
"""

from __future__ import annotations

from collections import defaultdict

from placement.candidates import candidate_sites
from placement.model import Lab, Link, Problem, Resources


def first_fit(problem: Problem, lab: Lab) -> dict[str, str] | None:
    """A feasible assignment built greedily, or None when the greedy walk gets stuck."""
    sites = {s.name: s for s in lab.sites}
    candidates = candidate_sites(problem, lab)
    neighbours: dict[str, list[tuple[str, Link]]] = defaultdict(list)
    for link in problem.links:
        neighbours[link.a].append((link.b, link))
        neighbours[link.b].append((link.a, link))
    load: dict[str, Resources] = defaultdict(Resources)
    assignment: dict[str, str] = {}
    for f in problem.functions:
        options = sorted(candidates[f.id], key=lambda n: f.demand.price(sites[n].price))
        for name in options:
            if not (load[name] + f.demand).fits_in(sites[name].free):
                continue
            if not _links_ok(f.id, name, assignment, neighbours, lab):
                continue
            if not _groups_ok(problem, f.id, name, assignment):
                continue
            assignment[f.id] = name
            load[name] = load[name] + f.demand
            break
        else:
            return None
    return assignment


def _links_ok(
    fid: str,
    name: str,
    assignment: dict[str, str],
    neighbours: dict[str, list[tuple[str, Link]]],
    lab: Lab,
) -> bool:
    for other, link in neighbours[fid]:
        if other in assignment and not link.allows(lab.link(name, assignment[other])):
            return False
    return True


def _groups_ok(problem: Problem, fid: str, name: str, assignment: dict[str, str]) -> bool:
    for group in problem.anti_affinity:
        if fid in group and any(assignment.get(o) == name for o in group if o != fid):
            return False
    for group in problem.affinity:
        if fid in group and any(o in assignment and assignment[o] != name for o in group):
            return False
    return True
