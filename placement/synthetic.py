"""Synthetic OSM-shaped placement instances: service chains over edge/core VIM accounts.

No public instance set is OSM-shaped (NSD + VIM prices + latency matrix), so benchmarks and
property tests generate their own: sites scattered on a 1000 km square (latency grows with
distance, jitter with latency), a few large cheap core sites and many small dear edge sites
(some Kubernetes-only), and a chain of VNFs/KNFs whose consecutive links carry latency and jitter
bounds from their VLDs. Capacities are scaled to the total demand so that they bind.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

from placement.model import Function, Lab, Link, Problem, Resources, Site


def chain_instance(
    functions: int,
    sites: int,
    seed: int = 0,
    knf_share: float = 0.2,
    slack: float = 1.8,
    max_link_km: float = 700.0,
) -> tuple[Problem, Lab]:
    """A chain of ``functions`` over ``sites``; same arguments give the same instance."""
    rng = random.Random(seed)  # noqa: S311 - reproducible instances, not security
    points = [(rng.uniform(0, 1000), rng.uniform(0, 1000)) for _ in range(sites)]
    n_core = max(1, sites // 5)
    chain = [_function(rng, i, knf_share) for i in range(functions)]
    demand = sum((f.demand for f in chain), Resources())
    biggest = Resources(
        *(max(f.demand.get(r) for f in chain) for r in ("vcpu", "ram_gb", "disk_gb"))
    )
    lab_sites = [_site(rng, i, i < n_core, demand, sites, n_core, slack) for i in range(sites)]
    # Every function must fit somewhere: the core sites can take the largest function, and the
    # first core site also runs a K8s cluster (as many operators' cores do).
    for i in range(n_core):
        cap = lab_sites[i].capacity
        lab_sites[i] = replace(
            lab_sites[i],
            capacity=Resources(
                *(max(cap.get(r), 1.5 * biggest.get(r)) for r in ("vcpu", "ram_gb", "disk_gb"))
            ),
            k8s_cluster=lab_sites[i].k8s_cluster or (f"site{i}-k8s" if i == 0 else None),
        )
    latency = {}
    for i in range(sites):
        for j in range(i + 1, sites):
            km = math.dist(points[i], points[j])
            if km <= max_link_km:
                lat = round(1.0 + km / 40.0, 2)
                latency[frozenset((f"site{i}", f"site{j}"))] = (lat, round(0.15 * lat, 2))
    links = tuple(
        Link(
            chain[i].id,
            chain[i + 1].id,
            f"vld{i}",
            float(rng.choice([12, 18, 25, 35])),
            float(rng.choice([3, 5, 8])),
        )
        for i in range(functions - 1)
    )
    lab = Lab(f"synthetic-{functions}x{sites}-{seed}", tuple(lab_sites), latency)
    return Problem(f"chain{functions}", "ns", tuple(chain), links), lab


def _function(rng: random.Random, index: int, knf_share: float) -> Function:
    kind = "knf" if rng.random() < knf_share else "vm"
    vcpu = float(rng.choice([1, 2, 2, 4, 4, 8]))
    demand = Resources(
        vcpu, vcpu * rng.choice([2, 4]), 0.0 if kind == "knf" else rng.choice([10, 20, 40])
    )
    return Function(f"f{index}", f"vnfd{index % 7}", kind, demand, str(index + 1))  # type: ignore[arg-type]


def _site(
    rng: random.Random,
    index: int,
    core: bool,
    demand: Resources,
    sites: int,
    n_core: int,
    slack: float,
) -> Site:
    share = (0.6 / n_core) if core else (0.4 / max(1, sites - n_core))
    capacity = demand.scaled(slack * share * rng.uniform(0.7, 1.3))
    base = 0.02 if core else 0.045
    price = Resources(base * rng.uniform(0.8, 1.25), base / 4 * rng.uniform(0.8, 1.25), 0.0002)
    kubernetes_only = not core and rng.random() < 0.25
    has_cluster = kubernetes_only or rng.random() < (0.3 if core else 0.5)
    return Site(
        name=f"site{index}",
        type="kubernetes" if kubernetes_only else "openstack",
        tier="core" if core else "edge",
        capacity=capacity,
        price=price,
        k8s_cluster=f"site{index}-k8s" if has_cluster else None,
    )
