"""An independent checker: does an assignment satisfy every rule of the problem?

Written apart from the solver and from the candidate screening, straight from the rules, so that
tests can hold the solver to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from placement.model import RESOURCES, Lab, Problem, Resources


def violations(problem: Problem, lab: Lab, assignment: Mapping[str, str]) -> list[str]:
    """Every rule the assignment breaks, as text; empty when it is a valid placement."""
    sites = {s.name: s for s in lab.sites}
    out: list[str] = []
    load: dict[str, Resources] = defaultdict(Resources)
    for f in problem.functions:
        name = assignment.get(f.id)
        if name not in sites:
            out.append(f"{f.id}: not placed on a known site ({name!r})")
            continue
        site = sites[name]
        load[name] = load[name] + f.demand
        if f.kind == "vm" and site.type != "openstack":
            out.append(f"{f.id}: VM on non-OpenStack site {name}")
        if f.kind == "knf" and not site.k8s_cluster:
            out.append(f"{f.id}: KNF on {name}, which has no K8s cluster")
        if f.tier and site.tier != f.tier:
            out.append(f"{f.id}: on {site.tier} site {name}, must be {f.tier}")
        if f.pin and name != f.pin:
            out.append(f"{f.id}: pinned to {f.pin}, placed on {name}")
        if f.allowed_sites is not None and name not in f.allowed_sites:
            out.append(f"{f.id}: {name} is not allowed")
        for area, bound in f.max_area_latency.items():
            lat = lab.areas.get(area, {}).get(name)
            if lat is None or lat > bound + 1e-9:
                out.append(f"{f.id}: latency from {area} to {name} is {lat} > {bound}")
    for name, used in load.items():
        site = sites[name]
        for r in RESOURCES:
            if site.used.get(r) + used.get(r) > site.capacity.get(r) + 1e-6:
                out.append(
                    f"{name}: {r} over capacity ({site.used.get(r) + used.get(r):g} > "
                    f"{site.capacity.get(r):g})"
                )
    for link in problem.links:
        sa, sb = assignment.get(link.a), assignment.get(link.b)
        if sa not in sites or sb not in sites:
            continue
        if sa == sb:
            lat, jit = sites[sa].intra_latency_ms, 0.0
        elif frozenset((sa, sb)) in lab.latency:
            lat, jit = lab.latency[frozenset((sa, sb))]
        else:
            out.append(f"link {link.a}-{link.b} ({link.vld}): {sa} and {sb} are not connected")
            continue
        if link.max_latency_ms is not None and lat > link.max_latency_ms + 1e-9:
            out.append(f"link {link.a}-{link.b}: latency {lat} > {link.max_latency_ms}")
        if link.max_jitter_ms is not None and jit > link.max_jitter_ms + 1e-9:
            out.append(f"link {link.a}-{link.b}: jitter {jit} > {link.max_jitter_ms}")
    for group in problem.anti_affinity:
        used_sites = [assignment.get(fid) for fid in sorted(group)]
        if len(set(used_sites)) < len(used_sites):
            out.append(f"anti-affinity {sorted(group)} shares a site: {used_sites}")
    for group in problem.affinity:
        if len({assignment.get(fid) for fid in group}) > 1:
            out.append(f"affinity {sorted(group)} split over sites")
    return out
