"""Re-placement at run time: after a change, the placement that moves fewest functions, cheapest.

The change is expressed on the lab (a site down, capacity or latency changed); functions on a site
that is gone must move, the others move only when a rule now forces them or when it pays off
under the chosen objective (default ``moves>cost``: fewest moves first, then cheapest).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from placement.model import Lab, Placement, Problem, Resources
from placement.solver import solve


def site_down(lab: Lab, name: str) -> Lab:
    """The lab without site ``name`` (as if its VIM account failed)."""
    lab.site(name)  # KeyError for an unknown site
    return lab.with_sites(s for s in lab.sites if s.name != name)


def with_capacity(lab: Lab, name: str, capacity: Resources) -> Lab:
    """The lab with a new capacity for site ``name``."""
    return lab.with_sites(
        replace(s, capacity=capacity) if s.name == name else s for s in lab.sites
    )


def with_latency(
    lab: Lab, a: str, b: str, latency_ms: float | None, jitter_ms: float = 0.0
) -> Lab:
    """The lab with a new latency between two sites (None: they are no longer connected)."""
    table = dict(lab.latency)
    key = frozenset((a, b))
    if latency_ms is None:
        table.pop(key, None)
    else:
        table[key] = (latency_ms, jitter_ms)
    return Lab(lab.name, lab.sites, table, lab.areas)


def replan(
    problem: Problem,
    lab: Lab,
    current: Mapping[str, str],
    objective: str = "moves>cost",
    time_limit: float = 30.0,
) -> Placement:
    """Best placement on the changed ``lab`` given where functions run now (``current``).

    Functions already placed do not count against capacity twice: the caller's ``used`` must not
    include this service's own functions.
    """
    return solve(problem, lab, objective, time_limit=time_limit, current=current)
