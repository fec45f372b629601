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
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import highspy
import numpy as np

from placement import explain
from placement.candidates import candidate_sites
from placement.greedy import first_fit
from placement.model import RESOURCES, InfeasibleError, Lab, Placement, Problem
from placement.objective import Objective, evaluate

LOG = logging.getLogger(__name__)
#: Above this many y variables, links use neighbourhood constraints instead.
MAX_PAIR_VARIABLES = 400_000
#: Above this many nonzeros HiGHS's presolve finds nothing to remove in these models but takes
#: about half of a 60 s budget (measured at 1000x100: 34 s, "Not reduced"): skip it.
PRESOLVE_MAX_NONZEROS = 1_000_000


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
    """

    def infeasible() -> InfeasibleError:
        return InfeasibleError(explain.reasons(problem, lab) if explain_infeasible else [])

    start = time.perf_counter()
    obj = Objective.parse(objective) if isinstance(objective, str) else objective
    candidates = candidate_sites(problem, lab)
    if any(not sites for sites in candidates.values()):
        raise infeasible()
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
        remaining = max(0.1, time_limit - (time.perf_counter() - start))
        highs.setOptionValue("time_limit", remaining)
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
        gap=0.0 if proven and math.isfinite(gap) and gap < 1e-4 else gap,
        bound=bound,
        seconds=time.perf_counter() - start,
        status=status,
        formulation=var.formulation,
        notes=notes,
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
    if len(model.index) > PRESOLVE_MAX_NONZEROS:
        highs.setOptionValue("presolve", "off")
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
    sites = {s.name: s for s in lab.sites}
    current = current or {}
    for f in problem.functions:
        for s in sites:
            col = var.x.get((f.id, s))
            if col is None:
                continue
            value = weights.get("cost", 0.0) * f.demand.price(sites[s].price)
            if sites[s].tier == "edge":
                value += weights.get("edge", 0.0) * f.demand.vcpu
            if f.id in current and current[f.id] != s:
                value += weights.get("moves", 0.0)
            costs[col] = value
    site_weight = weights.get("consolidate", 0.0) - weights.get("spread", 0.0)
    for col in var.used.values():
        costs[col] = site_weight
    return costs


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
