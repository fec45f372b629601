"""Exact placement as a 0-1 MILP solved by HiGHS (highspy).

Variables: ``x[f,s]`` = function f on site s, only for candidate pairs. Links use the "local
polytope" linearisation that ../shared/placement/NOTES.md found integral at the root: per link e
and allowed site pair (s, t), a continuous ``y[e,s,t]`` with ``sum_t y = x[a,s]`` and
``sum_s y = x[b,t]``; pairs breaking the link's latency/jitter bound get no variable. When that
would create too many variables (large chains), each link becomes neighbourhood constraints:
``x[a,s] <= sum of x[b,t] over the t that s may talk to`` (written in complement form when
shorter), which is exact on integers and much smaller. Capacities, (anti-)affinity and the
site-usage terms are ordinary rows. A greedy first-fit warm-starts the search; lexicographic
objectives are solved stage by stage, each stage's optimum becoming a constraint of the next.

Large models with a one-stage objective of per-function terms take another road
(``_solve_restricted``): a bound from the Lagrangian dual of the capacities (placement.lagrange)
and the placement from MILPs over the few sites per function that the relaxation points at.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import highspy
import numpy as np

from placement import explain, lagrange
from placement.candidates import candidate_sites
from placement.greedy import first_fit
from placement.model import RESOURCES, InfeasibleError, Lab, Placement, Problem
from placement.objective import Objective, evaluate

LOG = logging.getLogger(__name__)
#: Above this many y variables, links use neighbourhood constraints instead.
MAX_PAIR_VARIABLES = 400_000
#: Above this many (function, site) variables a one-stage objective of per-function terms is
#: solved by a Lagrangian bound and restricted MILPs (see ``_solve_restricted``): on 1000 functions
#: x 100 sites the full model's root LP alone takes most of a minute.
RESTRICT_ABOVE_VARIABLES = 2_000
#: Per-function terms: what a (function, site) pair adds, the form the Lagrangian relaxation needs.
SEPARABLE_TERMS = frozenset({"cost", "edge", "moves"})
#: Share of the time limit column generation may take (it converges in ~3 s at 1000x100).
DUAL_SHARE = 0.25
#: Relative gap at which a placement counts as optimal (HiGHS's default mip_rel_gap).
GAP_TOLERANCE = 1e-4
#: Seconds kept back from HiGHS's time limit for reading and checking its answer, so that the
#: whole call returns within ``time_limit`` (HiGHS itself stops a few ms after its limit).
RESERVE = 0.2
#: Shortest time limit handed to HiGHS.
MIN_SLICE = 0.1


@dataclass
class _Model:
    """Columns and rows of the MILP under construction (row-wise sparse)."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    starts: list[int] = field(default_factory=lambda: [0])
    index: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)

    def col(self, integer: bool, lower: float = 0.0, upper: float = 1.0) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.lower) - 1

    def row(
        self, coefs: Mapping[int, float] | list[tuple[int, float]], lo: float, hi: float
    ) -> None:
        items = coefs.items() if isinstance(coefs, Mapping) else coefs
        for col, val in items:
            self.index.append(col)
            self.value.append(val)
        self.starts.append(len(self.index))
        self.row_lower.append(lo)
        self.row_upper.append(hi)


@dataclass
class _Vars:
    x: dict[tuple[str, str], int]
    used: dict[str, int]
    formulation: str
    pairs: dict[tuple[int, str, str], int]


def solve(
    problem: Problem,
    lab: Lab,
    objective: Objective | str = "cost",
    time_limit: float = 60.0,
    current: Mapping[str, str] | None = None,
    warm_start: bool = True,
    formulation: str = "auto",
    explain_infeasible: bool = True,
) -> Placement:
    """Optimal (or best within ``time_limit``) placement; raises InfeasibleError with reasons.

    ``explain_infeasible=False`` skips the (costlier) diagnosis: the error then has no reasons.
    ``formulation``: ``auto``, ``pairs`` or ``neighbourhood`` (links of the exact MILP), or
    ``restricted`` (Lagrangian bound and restricted MILPs, when the objective allows it).
    """

    def infeasible() -> InfeasibleError:
        return InfeasibleError(explain.reasons(problem, lab) if explain_infeasible else [])

    start = time.perf_counter()
    obj = Objective.parse(objective) if isinstance(objective, str) else objective
    candidates = candidate_sites(problem, lab)
    if any(not sites for sites in candidates.values()):
        raise infeasible()
    size = sum(len(sites) for sites in candidates.values())
    if (
        len(obj.stages) == 1
        and obj.terms <= SEPARABLE_TERMS
        and (
            formulation == "restricted"
            or (formulation == "auto" and size > RESTRICT_ABOVE_VARIABLES)
        )
    ):
        return _solve_restricted(
            problem, lab, candidates, obj, time_limit, current, warm_start, infeasible, start
        )
    if formulation == "restricted":
        formulation = "auto"
    model, var = _build(problem, lab, candidates, obj, formulation)
    highs = _highs(model)
    incumbent = first_fit(problem, lab) if warm_start else None
    notes: list[str] = []
    proven, gap, bound, status = True, 0.0, 0.0, "optimal"
    for number, stage in enumerate(obj.stages):
        costs = _stage_costs(problem, lab, var, dict(stage), current, len(model.lower))
        highs.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), costs)
        if incumbent is not None:
            _set_start(highs, var, incumbent, len(model.lower), problem, lab)
        highs.setOptionValue("time_limit", _remaining(start, time_limit))
        highs.run()
        status_code = highs.getModelStatus()
        info = highs.getInfo()
        if status_code == highspy.HighsModelStatus.kInfeasible:
            raise infeasible()
        if info.primal_solution_status != 2:  # no feasible solution found in time
            raise TimeoutError(f"no feasible placement found within {time_limit:g} s")
        stage_proven = status_code == highspy.HighsModelStatus.kOptimal
        proven = proven and stage_proven
        gap, bound = float(info.mip_gap), float(info.mip_dual_bound)
        status = highs.modelStatusToString(status_code)
        incumbent = _assignment(highs, var)
        if not stage_proven:
            notes.append(f"stage {number + 1} stopped at the time limit, gap {gap:.2%}")
        if number + 1 < len(obj.stages):
            value = float(info.objective_function_value)
            slack = 1e-6 * max(1.0, abs(value))
            nonzero = np.flatnonzero(costs).astype(np.int32)
            highs.addRow(-highspy.kHighsInf, value + slack, len(nonzero), nonzero, costs[nonzero])
    assert incumbent is not None
    terms = evaluate(problem, lab, incumbent, current)
    last = dict(obj.stages[-1])
    return Placement(
        assignment=incumbent,
        objective=sum(w * terms[n] for n, w in last.items()),
        terms=terms,
        proven_optimal=proven,
        gap=0.0 if proven and math.isfinite(gap) and gap < GAP_TOLERANCE else gap,
        bound=bound,
        seconds=time.perf_counter() - start,
        status=status,
        formulation=var.formulation,
        notes=notes,
    )


def _solve_restricted(
    problem: Problem,
    lab: Lab,
    candidates: dict[str, list[str]],
    obj: Objective,
    time_limit: float,
    current: Mapping[str, str] | None,
    warm_start: bool,
    infeasible: Callable[[], InfeasibleError],
    start: float,
) -> Placement:
    """Large placements: a bound from the Lagrangian dual, the placement from small MILPs.

    Column generation (placement.lagrange) gives a valid lower bound and a pool of sites per
    function (those its columns use). The LP over that pool picks, per function, the few sites an
    optimum uses (its support, about one site); the MILP over the support, the greedy placement's
    site and the sites with the best reduced costs is small enough for HiGHS's heuristics to find
    near-optimal placements fast. While time remains and the gap to the bound is open, more sites
    per function are let in; once every candidate is in, the MILP is the full model. The gap is
    always against the global bound.
    """
    weights = dict(obj.stages[0])
    pairs = [(fid, s) for fid, sites in candidates.items() for s in sites]
    unit = _unit_costs(problem, lab, pairs, weights, current)
    relaxed = lagrange.labelling(problem, lab, unit)
    found = lagrange.dual(relaxed, time_limit=DUAL_SHARE * time_limit)
    if not math.isfinite(found.bound):
        raise infeasible()
    incumbent = first_fit(problem, lab) if warm_start else None
    pool = {fid: {incumbent[fid]} if incumbent else set() for fid in candidates}
    for _, sites in found.columns:
        for i, site in enumerate(sites):
            pool[relaxed.functions[i]].add(relaxed.sites[site])
    ranked = _ranked_by_lp(problem, lab, pool, unit, obj, current, _remaining(start, time_limit))
    notes = [
        f"bound from the Lagrangian dual of the capacities ({found.iterations} rounds of column "
        f"generation, {len(found.columns)} labellings in the master"
        + (f", {relaxed.dropped} links closing cycles relaxed)" if relaxed.dropped else ")")
    ]
    value, bound, status, width = math.inf, found.bound, "optimal", 1
    while True:
        chosen = {}
        for fid, (support, best_first) in ranked.items():
            keep = {*support, *best_first[:width], *([incumbent[fid]] if incumbent else [])}
            chosen[fid] = [s for s in candidates[fid] if s in keep]
        whole = all(len(chosen[fid]) == len(candidates[fid]) for fid in candidates)
        highs, var, costs = _priced(problem, lab, chosen, obj, "auto", current)
        if incumbent is not None:
            _set_start(highs, var, incumbent, len(costs), problem, lab)
        highs.setOptionValue("time_limit", _remaining(start, time_limit))
        highs.run()
        info = highs.getInfo()
        model_status = highs.getModelStatus()
        if info.primal_solution_status == 2 and info.objective_function_value < value:
            incumbent, value = _assignment(highs, var), float(info.objective_function_value)
        if whole and model_status == highspy.HighsModelStatus.kInfeasible:
            raise infeasible()
        if whole:
            bound = max(bound, float(info.mip_dual_bound))
        chosen_pairs = sum(len(sites) for sites in chosen.values())
        notes.append(
            f"MILP over {chosen_pairs} of {len(pairs)} (function, site) pairs: "
            + highs.modelStatusToString(model_status).lower()
        )
        out_of_time = _remaining(start, time_limit) <= MIN_SLICE
        closed = math.isfinite(value) and value - bound <= GAP_TOLERANCE * max(1.0, abs(value))
        if whole or out_of_time or closed:
            status = "optimal" if closed else highs.modelStatusToString(model_status)
            break
        width *= 2
    if incumbent is None:
        raise TimeoutError(f"no feasible placement found within {time_limit:g} s")
    terms = evaluate(problem, lab, incumbent, current)
    objective = sum(w * terms[n] for n, w in weights.items())
    gap = max(0.0, (objective - bound) / max(abs(objective), 1e-9))
    return Placement(
        assignment=incumbent,
        objective=objective,
        terms=terms,
        proven_optimal=gap <= GAP_TOLERANCE,
        gap=0.0 if gap <= GAP_TOLERANCE else gap,
        bound=bound,
        seconds=time.perf_counter() - start,
        status=status,
        formulation="lagrangian+restricted",
        notes=notes,
    )


def _priced(
    problem: Problem,
    lab: Lab,
    candidates: dict[str, list[str]],
    obj: Objective,
    formulation: str,
    current: Mapping[str, str] | None,
) -> tuple[highspy.Highs, _Vars, np.ndarray]:
    """The MILP over ``candidates`` with the (one-stage) objective's costs, and those costs."""
    model, var = _build(problem, lab, candidates, obj, formulation)
    highs = _highs(model)
    costs = _stage_costs(problem, lab, var, dict(obj.stages[0]), current, len(model.lower))
    highs.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), costs)
    return highs, var, costs


def _ranked_by_lp(
    problem: Problem,
    lab: Lab,
    pool: dict[str, set[str]],
    unit: Mapping[tuple[str, str], float],
    obj: Objective,
    current: Mapping[str, str] | None,
    time_limit: float,
) -> dict[str, tuple[list[str], list[str]]]:
    """Per function: the sites the LP over ``pool`` uses, and all candidates best-first.

    Pool sites are ranked by the LP's reduced costs, then the others by their own cost
    (``unit``, which has every candidate). Without an LP optimum in time, all by own cost.
    """
    candidates: dict[str, list[str]] = {fid: [] for fid in pool}
    for fid, site in unit:
        candidates[fid].append(site)
    chosen = {fid: [s for s in sites if s in pool[fid]] for fid, sites in candidates.items()}
    highs, var, costs = _priced(problem, lab, chosen, obj, "neighbourhood", current)
    n = len(costs)
    highs.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kContinuous)
    )
    highs.setOptionValue("time_limit", time_limit)
    highs.run()
    solved = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    solution = highs.getSolution()
    values = np.asarray(solution.col_value) if solved else np.zeros(n)
    reduced = np.asarray(solution.col_dual) if solved else costs
    out = {}
    for fid, sites in candidates.items():
        inside = sorted(chosen[fid], key=lambda s: reduced[var.x[fid, s]])
        outside = sorted((s for s in sites if s not in pool[fid]), key=lambda s: unit[fid, s])
        support = [s for s in chosen[fid] if values[var.x[fid, s]] > 1e-6]
        out[fid] = (support, inside + outside)
    return out


def _remaining(start: float, time_limit: float) -> float:
    """Seconds HiGHS may still use of ``time_limit`` counted from ``start``."""
    return max(
        MIN_SLICE, time_limit - (time.perf_counter() - start) - min(RESERVE, time_limit / 10)
    )


def _build(
    problem: Problem, lab: Lab, candidates: dict[str, list[str]], obj: Objective, formulation: str
) -> tuple[_Model, _Vars]:
    model = _Model()
    x = {(f.id, s): model.col(True) for f in problem.functions for s in candidates[f.id]}
    for f in problem.functions:
        model.row([(x[f.id, s], 1.0) for s in candidates[f.id]], 1.0, 1.0)
    _capacity_rows(model, problem, lab, x)
    pair_count = sum(len(candidates[link.a]) * len(candidates[link.b]) for link in problem.links)
    use_pairs = formulation == "pairs" or (
        formulation == "auto" and pair_count <= MAX_PAIR_VARIABLES
    )
    pairs: dict[tuple[int, str, str], int] = {}
    if use_pairs:
        pairs = _pair_rows(model, problem, lab, candidates, x)
    else:
        _neighbourhood_rows(model, problem, lab, candidates, x)
    _group_rows(model, problem, lab, x)
    used = _usage_rows(model, problem, lab, x) if obj.terms & {"spread", "consolidate"} else {}
    return model, _Vars(x, used, "local-polytope" if use_pairs else "neighbourhood", pairs)


def _capacity_rows(
    model: _Model, problem: Problem, lab: Lab, x: dict[tuple[str, str], int]
) -> None:
    for site in lab.sites:
        for r in RESOURCES:
            coefs = [
                (x[f.id, site.name], f.demand.get(r))
                for f in problem.functions
                if (f.id, site.name) in x and f.demand.get(r) > 0
            ]
            if coefs and sum(c for _, c in coefs) > site.free.get(r) + 1e-9:
                model.row(coefs, -highspy.kHighsInf, site.free.get(r))


def _pair_rows(
    model: _Model,
    problem: Problem,
    lab: Lab,
    candidates: dict[str, list[str]],
    x: dict[tuple[str, str], int],
) -> dict[tuple[int, str, str], int]:
    pairs: dict[tuple[int, str, str], int] = {}
    for e, link in enumerate(problem.links):
        by_a: dict[str, list[int]] = {s: [] for s in candidates[link.a]}
        by_b: dict[str, list[int]] = {t: [] for t in candidates[link.b]}
        for s in candidates[link.a]:
            for t in candidates[link.b]:
                if link.allows(lab.link(s, t)):
                    col = model.col(False)
                    pairs[e, s, t] = col
                    by_a[s].append(col)
                    by_b[t].append(col)
        for s, cols in by_a.items():
            model.row([(x[link.a, s], -1.0), *((c, 1.0) for c in cols)], 0.0, 0.0)
        for t, cols in by_b.items():
            model.row([(x[link.b, t], -1.0), *((c, 1.0) for c in cols)], 0.0, 0.0)
    return pairs


def _neighbourhood_rows(
    model: _Model,
    problem: Problem,
    lab: Lab,
    candidates: dict[str, list[str]],
    x: dict[tuple[str, str], int],
) -> None:
    for link in problem.links:
        for here, there in ((link.a, link.b), (link.b, link.a)):
            for s in candidates[here]:
                ok = [t for t in candidates[there] if link.allows(lab.link(s, t))]
                bad = [t for t in candidates[there] if t not in set(ok)]
                if not bad:
                    continue
                if len(ok) <= len(bad):  # x[here,s] <= sum over compatible sites
                    model.row(
                        [(x[here, s], 1.0), *((x[there, t], -1.0) for t in ok)],
                        -highspy.kHighsInf,
                        0.0,
                    )
                else:  # same, via sum over all sites of `there` = 1
                    model.row(
                        [(x[here, s], 1.0), *((x[there, t], 1.0) for t in bad)],
                        -highspy.kHighsInf,
                        1.0,
                    )


def _group_rows(model: _Model, problem: Problem, lab: Lab, x: dict[tuple[str, str], int]) -> None:
    for group in problem.anti_affinity:
        for site in lab.sites:
            cols = [x[f, site.name] for f in sorted(group) if (f, site.name) in x]
            if len(cols) > 1:
                model.row([(c, 1.0) for c in cols], -highspy.kHighsInf, 1.0)
    for group in problem.affinity:
        members = sorted(group)
        for other in members[1:]:
            for site in lab.sites:
                a, b = x.get((members[0], site.name)), x.get((other, site.name))
                if a is None and b is None:
                    continue
                coefs = ([(a, 1.0)] if a is not None else []) + (
                    [(b, -1.0)] if b is not None else []
                )
                model.row(coefs, 0.0, 0.0)


def _usage_rows(
    model: _Model, problem: Problem, lab: Lab, x: dict[tuple[str, str], int]
) -> dict[str, int]:
    used: dict[str, int] = {}
    for site in lab.sites:
        cols = [x[f.id, site.name] for f in problem.functions if (f.id, site.name) in x]
        if not cols:
            continue
        u = used[site.name] = model.col(False)
        model.row([(u, 1.0), *((c, -1.0) for c in cols)], -highspy.kHighsInf, 0.0)  # u <= sum x
        for c in cols:
            model.row([(u, 1.0), (c, -1.0)], 0.0, highspy.kHighsInf)  # u >= x
    return used


def _highs(model: _Model) -> highspy.Highs:
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", 7)
    # HiGHS's presolve removes ~5 % of these models and costs more than it saves: a quarter of
    # the time at 50x20 (0.8 of 3.2 s), half of a minute on the full 1000x100 model. Without
    # it, 50x20 chains prove optimal in 1.2-1.4 s median instead of ~3 s (7 seeds), and the
    # 1000x100 restricted MILPs end closer to the bound (0.23 % instead of 0.33 %).
    highs.setOptionValue("presolve", "off")
    # Trust pseudo-costs after 2 strong-branching probes instead of 8: same median, shorter tail
    # (50x20 seeds 0-5,7: 9.9 s in all instead of 16.9 s; seed 2 3.0 s instead of 9.4 s).
    highs.setOptionValue("mip_pscost_minreliable", 2)
    lp = highspy.HighsLp()
    lp.num_col_ = len(model.lower)
    lp.num_row_ = len(model.row_lower)
    lp.col_cost_ = np.zeros(lp.num_col_)
    lp.col_lower_ = np.array(model.lower, dtype=float)
    lp.col_upper_ = np.array(model.upper, dtype=float)
    lp.row_lower_ = np.array(model.row_lower, dtype=float)
    lp.row_upper_ = np.array(model.row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(model.starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(model.index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(model.value, dtype=float)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
        for i in model.integer
    ]
    highs.passModel(lp)
    return highs


def _stage_costs(
    problem: Problem,
    lab: Lab,
    var: _Vars,
    weights: dict[str, float],
    current: Mapping[str, str] | None,
    ncols: int,
) -> np.ndarray:
    costs = np.zeros(ncols)
    for (fid, site), value in _unit_costs(problem, lab, var.x, weights, current).items():
        costs[var.x[fid, site]] = value
    site_weight = weights.get("consolidate", 0.0) - weights.get("spread", 0.0)
    for col in var.used.values():
        costs[col] = site_weight
    return costs


def _unit_costs(
    problem: Problem,
    lab: Lab,
    pairs: Iterable[tuple[str, str]],
    weights: Mapping[str, float],
    current: Mapping[str, str] | None,
) -> dict[tuple[str, str], float]:
    """What putting function f on site s adds to the weighted cost, edge and moves terms."""
    sites = {s.name: s for s in lab.sites}
    functions = {f.id: f for f in problem.functions}
    current = current or {}
    out = {}
    for fid, name in pairs:
        f, site = functions[fid], sites[name]
        value = weights.get("cost", 0.0) * f.demand.price(site.price)
        if site.tier == "edge":
            value += weights.get("edge", 0.0) * f.demand.vcpu
        if fid in current and current[fid] != name:
            value += weights.get("moves", 0.0)
        out[fid, name] = value
    return out


def _set_start(
    highs: highspy.Highs,
    var: _Vars,
    assignment: Mapping[str, str],
    ncols: int,
    problem: Problem,
    lab: Lab,
) -> None:
    values = np.zeros(ncols)
    for (fid, site), col in var.x.items():
        values[col] = 1.0 if assignment.get(fid) == site else 0.0
    for (e, s, t), col in var.pairs.items():
        link = problem.links[e]
        values[col] = 1.0 if assignment.get(link.a) == s and assignment.get(link.b) == t else 0.0
    placed = set(assignment.values())
    for site, col in var.used.items():
        values[col] = 1.0 if site in placed else 0.0
    solution = highspy.HighsSolution()
    solution.col_value = list(values)
    solution.value_valid = True
    highs.setSolution(solution)


def _assignment(highs: highspy.Highs, var: _Vars) -> dict[str, str]:
    values = highs.getSolution().col_value
    return {fid: site for (fid, site), col in var.x.items() if values[col] > 0.5}
