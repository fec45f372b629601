"""Benchmark: end-to-end deploy of the LOCUS composite slice on the embedded lab (zero delays).

Reports the phases of ``osm_locus.deploy`` (build+validate, placement, NBI work), the number of
NBI calls, the time spent waiting for the lab, and the client's own overhead per call; the
baseline, measured in the same run, is the same GET made with a bare ``requests.Session``
(ratio client/bare). ``--json`` prints one JSON row.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Run the benchmark and print the table (or one JSON row)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--calls", type=int, default=300, help="GETs for the per-call baseline")
    args = parser.parse_args()

    import requests

    from osm_locus.deploy import deploy
    from osm_locus.lab.app import create_app
    from osm_locus.lab.server import LabServer
    from osm_locus.nbi import Connection
    from placement.lab import load_lab

    marks: list[tuple[float, str]] = []
    with LabServer(create_app(load_lab(), delay=0.0)) as lab, Connection(lab.url) as conn:
        start = time.perf_counter()
        result = deploy(
            conn,
            "locus_composite_nst",
            ROOT / "packages",
            report=lambda line: marks.append((time.perf_counter(), line)),
        )
        total = time.perf_counter() - start
        calls, waited, in_client = conn.calls, conn.wait_s, conn.client_s
        built = next(t for t, line in marks if line.startswith("built")) - start
        placed = next(t for t, line in marks if line.startswith("placement")) - start

        conn.vim_accounts.list()  # warm: token in hand
        client_times, bare_times = [], []
        bare = requests.Session()
        headers = {"Accept": "application/json", "Authorization": f"Bearer {conn._token}"}
        for _ in range(args.calls):
            t0 = time.perf_counter()
            conn.vim_accounts.list()
            client_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            bare.get(f"{lab.url}/admin/v1/vim_accounts", headers=headers, timeout=30).json()
            bare_times.append(time.perf_counter() - t0)
    row = {
        "state": result.state,
        "total_s": round(total, 3),
        "build_validate_s": round(built, 3),
        "placement_s": round(placed - built, 3),
        "nbi_phase_s": round(total - placed, 3),
        "nbi_calls": calls,
        "nbi_wait_s": round(waited, 3),
        "client_overhead_total_ms": round((in_client - waited) * 1000, 2),
        "client_overhead_per_call_ms": round((in_client - waited) * 1000 / calls, 3),
        "get_client_ms": round(statistics.median(client_times) * 1000, 3),
        "get_bare_requests_ms": round(statistics.median(bare_times) * 1000, 3),
        "get_ratio_client_vs_bare": round(
            statistics.median(client_times) / statistics.median(bare_times), 2
        ),
    }
    if args.json:
        print(json.dumps(row))
        return
    width = max(map(len, row))
    for key, value in row.items():
        print(f"{key.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
