"""Benchmark: exact placement (HiGHS MILP) against a greedy first-fit baseline, same run.

Generated OSM-shaped service chains (placement.synthetic) at 10x5, 50x20, 200x50 and 1000x100
(functions x sites). Each run happens in a fresh process so ``peak_mb`` is that run's own peak
RSS. ``--json`` prints one JSON row per run: vnfs, sites, seed, solver, seconds, objective, proven,
gap, peak_mb (and greedy's excess over the optimiser). Targets on a 2-core machine: proven optimal
at 50x20 within 3 s median; gap <= 1% at 1000x100 within 60 s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZES = {
    "10x5": (10, 5, 3),
    "50x20": (50, 20, 3),
    "200x50": (200, 50, 2),
    "1000x100": (1000, 100, 1),
}


def _run(kind: str, n: int, m: int, seed: int, time_limit: float, out: Any) -> None:
    from placement.greedy import first_fit
    from placement.model import InfeasibleError
    from placement.objective import evaluate
    from placement.solver import solve
    from placement.synthetic import chain_instance

    problem, lab = chain_instance(n, m, seed=seed)
    start = time.perf_counter()
    row: dict[str, Any] = {"vnfs": n, "sites": m, "seed": seed, "solver": kind}
    if kind == "greedy":
        assignment = first_fit(problem, lab)
        row.update(
            seconds=time.perf_counter() - start,
            proven=False,
            gap=None,
            objective=evaluate(problem, lab, assignment)["cost"] if assignment else None,
        )
    else:
        try:
            result = solve(problem, lab, "cost", time_limit=time_limit)
            row.update(
                seconds=time.perf_counter() - start,
                objective=result.terms["cost"],
                proven=result.proven_optimal,
                gap=result.gap,
                formulation=result.formulation,
            )
        except (InfeasibleError, TimeoutError) as exc:
            row.update(
                seconds=time.perf_counter() - start,
                objective=None,
                proven=False,
                gap=None,
                error=type(exc).__name__,
            )
    row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(row)


def run(kind: str, n: int, m: int, seed: int, time_limit: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(kind, n, m, seed, time_limit, queue))
    proc.start()
    row = queue.get()
    proc.join()
    return dict(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--sizes", default=",".join(SIZES), help="comma-separated, e.g. 10x5,50x20"
    )
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    summary = []
    for size in args.sizes.split(","):
        n, m, seeds = SIZES[size]
        rows = []
        for seed in range(seeds):
            greedy = run("greedy", n, m, seed, args.time_limit)
            exact = run("highs", n, m, seed, args.time_limit)
            if greedy["objective"] is not None and exact["objective"] is not None:
                greedy["excess"] = greedy["objective"] / exact["objective"] - 1
            for row in (exact, greedy):
                rows.append(row)
                if args.json:
                    print(
                        json.dumps(
                            {
                                k: (round(v, 4) if isinstance(v, float) else v)
                                for k, v in row.items()
                            }
                        ),
                        flush=True,
                    )
        summary.append((size, rows))
    if not args.json:
        _print(summary)


def _print(summary: list[tuple[str, list[dict[str, Any]]]]) -> None:
    print(
        f"{'size':9} {'solver':7} {'median s':>9} {'max s':>7} {'proven':>7} {'max gap':>8} "
        f"{'peak MB':>8} {'greedy excess':>14} {'greedy fails':>13}"
    )
    for size, rows in summary:
        exact = [r for r in rows if r["solver"] == "highs"]
        greedy = [r for r in rows if r["solver"] == "greedy"]
        excess = [r["excess"] for r in greedy if "excess" in r]
        fails = sum(r["objective"] is None for r in greedy)
        gaps = [r["gap"] for r in exact if r["gap"] is not None]
        for label, group in (("highs", exact), ("greedy", greedy)):
            secs = [r["seconds"] for r in group]
            print(
                f"{size:9} {label:7} {statistics.median(secs):9.2f} {max(secs):7.2f} "
                f"{sum(bool(r['proven']) for r in group):4}/{len(group):<2} "
                f"{(max(gaps) if gaps and label == 'highs' else 0):8.2%} "
                f"{max(r['peak_mb'] for r in group):8.0f} "
                + (
                    f"{statistics.median(excess):13.2%} {fails:9}/{len(greedy)}"
                    if label == "greedy" and excess
                    else ""
                )
            )
    sizes = dict(summary)
    if "50x20" in sizes:
        med = statistics.median(r["seconds"] for r in sizes["50x20"] if r["solver"] == "highs")
        proven = all(r["proven"] for r in sizes["50x20"] if r["solver"] == "highs")
        print(
            f"target 50x20 proven within 3 s median: {med:.2f} s, proven={proven}: "
            f"{'MET' if proven and med <= 3 else 'MISSED'}"
        )
    if "1000x100" in sizes:
        gaps = [
            r["gap"] for r in sizes["1000x100"] if r["solver"] == "highs" and r["gap"] is not None
        ]
        secs = [r["seconds"] for r in sizes["1000x100"] if r["solver"] == "highs"]
        worst = max(gaps) if gaps else float("inf")
        print(
            f"target 1000x100 gap <= 1% within 60 s: gap {worst:.2%} in {max(secs):.0f} s: "
            f"{'MET' if worst <= 0.01 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
