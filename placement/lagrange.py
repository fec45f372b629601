"""A lower bound and capacity prices for large placements: the Lagrangian dual of the capacities.

Without its capacity rows (and (anti-)affinity groups) a placement is a min-cost labelling of the
link graph: each function picks a site, each link's two sites must meet its bound. On a forest
that is exact min-sum dynamic programming, a few milliseconds with numpy for 1000 functions x 100
sites, so the capacities can be priced out: Dantzig-Wolfe column generation whose master LP
(capacity rows + one convexity row, over whole labellings) HiGHS solves, the DP pricing new
columns at the master's duals, stabilised by Wentges smoothing. Links that would close a cycle
are dropped from the labelling, so the value is always a valid bound; on a chain or tree it is the
bound of the local-polytope LP (a forest's local polytope is integral), found in seconds where
HiGHS's own LP on the full model takes tens of seconds. No PyPI package prices tree-structured
labellings under side constraints, hence the hand-written DP.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import highspy
import numpy as np

from placement.model import Lab, Problem

#: Wentges smoothing: price at this mix of the best prices so far and the master's duals.
SMOOTHING = 0.5


@dataclass(frozen=True)
class Labelling:
    """The relaxation in arrays: sites, costs, demands, capacities and the link forest."""

    functions: tuple[str, ...]
    sites: tuple[str, ...]
    cost: np.ndarray  # functions x sites; inf where the site is not a candidate
    demand: np.ndarray  # functions x resources
    capacity: np.ndarray  # sites x resources (free capacity)
    order: np.ndarray  # function indices, every parent before its children
    parent: np.ndarray  # parent function index, -1 for a root
    penalty: tuple[np.ndarray, ...]  # per function: parent site x own site, 0 allowed / inf
    dropped: int  # links left out to keep a forest


def labelling(problem: Problem, lab: Lab, costs: Mapping[tuple[str, str], float]) -> Labelling:
    """Arrays of the relaxation; ``costs`` holds the per-(function, site) cost of candidates."""
    fids = tuple(f.id for f in problem.functions)
    names = tuple(s.name for s in lab.sites)
    at = {name: i for i, name in enumerate(names)}
    fat = {fid: i for i, fid in enumerate(fids)}
    cost = np.full((len(fids), len(names)), np.inf)
    for (fid, name), value in costs.items():
        cost[fat[fid], at[name]] = value
    demand = np.array([f.demand.as_list() for f in problem.functions])
    # An over-committed site (used > capacity) has no candidates, so its row only asks 0 <= free.
    capacity = np.maximum(0.0, np.array([s.free.as_list() for s in lab.sites]))
    # Spanning forest of the link graph (union-find); a link closing a cycle is left out.
    root = list(range(len(fids)))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    adjacency: dict[int, list[tuple[int, np.ndarray]]] = {i: [] for i in range(len(fids))}
    masks: dict[tuple[float | None, float | None], np.ndarray] = {}
    dropped = 0
    for link in problem.links:
        a, b = fat[link.a], fat[link.b]
        if find(a) == find(b):
            dropped += 1
            continue
        root[find(a)] = find(b)
        key = (link.max_latency_ms, link.max_jitter_ms)
        if key not in masks:  # one site x site table per distinct bound
            masks[key] = np.array(
                [[0.0 if link.allows(lab.link(x, y)) else np.inf for y in names] for x in names]
            )
        adjacency[a].append((b, masks[key]))
        adjacency[b].append((a, masks[key]))  # symmetric: latency and jitter are
    parent = np.full(len(fids), -1)
    penalty: list[np.ndarray] = [np.zeros((0, 0))] * len(fids)
    order: list[int] = []
    seen = [False] * len(fids)
    for start in range(len(fids)):
        if seen[start]:
            continue
        seen[start] = True
        queue = [start]
        while queue:
            node = queue.pop()
            order.append(node)
            for other, mask in adjacency[node]:
                if not seen[other]:
                    seen[other] = True
                    parent[other], penalty[other] = node, mask
                    queue.append(other)
    return Labelling(
        fids, names, cost, demand, capacity, np.array(order), parent, tuple(penalty), dropped
    )


def cheapest(problem: Labelling, prices: np.ndarray) -> tuple[float, np.ndarray]:
    """Min-cost labelling at capacity ``prices`` (sites x resources): its priced cost and sites."""
    value = problem.cost + problem.demand @ prices.T
    best = np.empty(len(problem.functions), dtype=np.int64)
    choice: dict[int, np.ndarray] = {}
    for node in problem.order[::-1]:  # children first: fold each into its parent
        up = problem.parent[node]
        if up < 0:
            continue
        table = value[node][None, :] + problem.penalty[node]  # parent site x own site
        choice[node] = table.argmin(axis=1)
        value[up] += table[np.arange(table.shape[0]), choice[node]]
    total = 0.0
    for node in problem.order:
        up = problem.parent[node]
        if up < 0:
            best[node] = int(value[node].argmin())
            total += float(value[node][best[node]])
        else:
            best[node] = choice[node][best[up]]
    return total, best


@dataclass
class Dual:
    """What column generation found: a valid lower bound, prices, and the master's columns."""

    bound: float
    prices: np.ndarray
    master: float
    columns: list[tuple[float, np.ndarray]]  # (weight in the master's optimum, sites per function)
    iterations: int


def dual(problem: Labelling, time_limit: float, tolerance: float = 1e-4) -> Dual:
    """Column generation until the bound meets the master's value, or ``time_limit`` seconds."""
    start = time.perf_counter()
    nsites, nres = problem.capacity.shape
    rows = nsites * nres
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    empty_i, empty_v = np.array([], dtype=np.int32), np.array([], dtype=float)
    highs.addRows(
        rows, np.full(rows, -inf), problem.capacity.reshape(-1), 0, empty_i, empty_i, empty_v
    )
    highs.addRow(1.0, 1.0, 0, empty_i, empty_v)  # convexity
    finite = np.where(np.isfinite(problem.cost), problem.cost, 0.0)
    artificial = 10.0 * float(np.abs(finite).max(axis=1).sum()) + 1.0  # keeps the master feasible
    highs.addCol(artificial, 0.0, inf, 1, np.array([rows], dtype=np.int32), np.array([1.0]))
    columns: list[np.ndarray] = []

    def add(sites: np.ndarray) -> None:
        use = np.zeros((nsites, nres))
        np.add.at(use, sites, problem.demand)
        flat = use.reshape(-1)
        nz = np.flatnonzero(flat)
        cost = float(problem.cost[np.arange(len(sites)), sites].sum())
        highs.addCol(
            cost,
            0.0,
            inf,
            len(nz) + 1,
            np.append(nz, rows).astype(np.int32),
            np.append(flat[nz], 1.0),
        )
        columns.append(sites)

    def lagrangian(prices: np.ndarray) -> float:
        priced, sites = cheapest(problem, prices)
        if not np.isfinite(priced):  # some link bound rules out every pair of candidates
            return np.inf
        add(sites)
        return priced - float((prices * problem.capacity).sum())

    center = np.zeros((nsites, nres))
    bound = lagrangian(center)
    if not np.isfinite(bound):
        return Dual(bound, center, bound, [], 0)
    master, iterations = np.inf, 0
    while time.perf_counter() - start < time_limit:
        iterations += 1
        highs.run()
        master = float(highs.getInfo().objective_function_value)
        if master - bound <= tolerance * max(1.0, abs(master)):
            break
        duals = np.asarray(highs.getSolution().row_dual)[:rows]
        at_master = np.maximum(0.0, -duals).reshape(nsites, nres)
        trial = SMOOTHING * center + (1 - SMOOTHING) * at_master
        value = lagrangian(trial)
        if value <= bound:  # mispriced: the master's own duals always make progress
            trial, value = at_master, lagrangian(at_master)
        if value > bound:
            bound, center = value, trial
    highs.run()
    weights = np.asarray(highs.getSolution().col_value)
    support = [(float(w), columns[j - 1]) for j, w in enumerate(weights) if j and w > 1e-9]
    return Dual(
        bound, center, float(highs.getInfo().objective_function_value), support, iterations
    )
