"""Why a placement problem is infeasible, in terms a person can act on.

OSM's PLA silently falls back to the default VIM when its model is unsatisfiable; we say which
function cannot be placed and which rule rules out each site, which link no site pair can carry,
or which family of constraints (capacity, links, affinity) makes the rest impossible together.
"""

from __future__ import annotations

from dataclasses import replace

from placement.candidates import candidate_sites, screen
from placement.model import InfeasibleError, Lab, Problem, Resources


def reasons(problem: Problem, lab: Lab) -> list[str]:
    """Human-readable reasons, most specific first; never empty for an infeasible problem."""
    found = _functions_without_site(problem, lab)
    if found:
        return found
    found = _links_without_pair(problem, lab) + _groups_too_tight(problem, lab)
    if found:
        return found
    return _relaxations(problem, lab)


def _functions_without_site(problem: Problem, lab: Lab) -> list[str]:
    out = []
    for fid, by_site in screen(problem, lab).items():
        if any(not r for r in by_site.values()):
            continue
        f = problem.function(fid)
        detail = "; ".join(f"{site}: {', '.join(r)}" for site, r in by_site.items())
        out.append(
            f"function {fid} (vnfd {f.vnfd_id}, {f.kind}, {f.demand}) cannot be placed: {detail}"
        )
    return out


def _links_without_pair(problem: Problem, lab: Lab) -> list[str]:
    candidates = candidate_sites(problem, lab)
    out = []
    for link in problem.links:
        options = [(s, t, lab.link(s, t)) for s in candidates[link.a] for t in candidates[link.b]]
        if any(link.allows(lt) for _, _, lt in options):
            continue
        reachable = sorted((lt, s, t) for s, t, lt in options if lt is not None)
        closest = (
            ", ".join(f"{s}-{t} {lt[0]:g} ms/{lt[1]:g} ms jitter" for lt, s, t in reachable[:3])
            or "no pair is even connected"
        )
        out.append(
            f"link {link.a}-{link.b} (VLD {link.vld}, {link.bound_text()}): no pair of "
            f"candidate sites qualifies (closest: {closest})"
        )
    return out


def _groups_too_tight(problem: Problem, lab: Lab) -> list[str]:
    candidates = candidate_sites(problem, lab)
    out = []
    for group in problem.anti_affinity:
        sites = {s for fid in group for s in candidates[fid]}
        if len(sites) < len(group):
            out.append(
                f"anti-affinity group {sorted(group)} needs {len(group)} different sites, "
                f"its members can only use {sorted(sites)}"
            )
    for group in problem.affinity:
        common = set.intersection(*(set(candidates[fid]) for fid in group))
        if not common:
            out.append(f"affinity group {sorted(group)} has no site all its members may use")
    return out


def _feasible(problem: Problem, lab: Lab) -> bool:
    from placement.solver import solve  # local: the solver imports this module

    try:
        solve(problem, lab, "cost", time_limit=10.0, warm_start=False, explain_infeasible=False)
    except (InfeasibleError, TimeoutError):
        return False
    return True


def _relaxations(problem: Problem, lab: Lab) -> list[str]:
    """Drop one constraint family at a time; the families whose removal helps are the cause."""
    roomy = lab.with_sites(
        replace(s, used=Resources(), capacity=Resources(1e9, 1e9, 1e9)) for s in lab.sites
    )
    out = []
    if _feasible(problem, roomy):
        demand = sum((f.demand for f in problem.functions), Resources())
        free = sum((s.free for s in lab.sites), Resources())
        out.append(
            f"capacity: the functions fit no combination of sites that also meets the "
            f"link and location rules (total demand {demand}; total free {free})"
        )
    if _feasible(replace(problem, links=()), lab):
        out.append(
            "links: the latency/jitter bounds of the virtual links cannot all be met "
            "together with the capacities: "
            + ", ".join(
                f"{lk.a}-{lk.b} ({lk.bound_text()})"
                for lk in problem.links
                if lk.max_latency_ms is not None or lk.max_jitter_ms is not None
            )
        )
    if _feasible(replace(problem, anti_affinity=(), affinity=()), lab):
        out.append("affinity rules conflict with capacities or links")
    return out or ["the constraints conflict jointly (capacity, links and affinity together)"]
