"""Which sites each function may use on its own, and why every other site is ruled out.

The solver creates variables only for candidate (function, site) pairs; the explainer quotes the
reasons when a function has no candidate left.
"""

from __future__ import annotations

from placement.model import Function, Lab, Problem, Site


def site_reasons(function: Function, site: Site, lab: Lab) -> list[str]:
    """Why ``function`` cannot be put on ``site`` by itself (empty: it can)."""
    reasons = []
    if not site.hosts(function.kind):
        reasons.append(
            "no K8s cluster attached to this VIM account (a KNF needs one)"
            if function.kind == "knf"
            else f"a VM VNF needs an OpenStack VIM account, this one is {site.type}"
        )
    if function.tier is not None and site.tier != function.tier:
        reasons.append(f"tier {site.tier}, function is {function.tier}-only")
    if function.pin is not None and site.name != function.pin:
        reasons.append(f"function is pinned to {function.pin}")
    if function.allowed_sites is not None and site.name not in function.allowed_sites:
        reasons.append("not among the function's allowed sites")
    for area, bound in sorted(function.max_area_latency.items()):
        latency = lab.area_latency(area, site.name)
        if latency is None:
            reasons.append(f"unreachable from user area {area}")
        elif latency > bound + 1e-9:
            reasons.append(f"latency to user area {area} {latency:g} ms > {bound:g} ms")
    if not function.demand.fits_in(site.free):
        reasons.append(f"free capacity {site.free} < demand {function.demand}")
    return reasons


def screen(problem: Problem, lab: Lab) -> dict[str, dict[str, list[str]]]:
    """For each function id, each site name -> reasons it is excluded ([] for a candidate)."""
    return {f.id: {s.name: site_reasons(f, s, lab) for s in lab.sites} for f in problem.functions}


def candidate_sites(problem: Problem, lab: Lab) -> dict[str, list[str]]:
    """For each function id, the sites it may use (in lab order)."""
    return {
        fid: [name for name, reasons in by_site.items() if not reasons]
        for fid, by_site in screen(problem, lab).items()
    }
