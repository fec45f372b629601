"""Benchmark: model loading, then validate + build of every shipped package.

Prints, per package, the validate and build time and their ratio to a baseline measured in the
same run: parsing the same descriptor with plain ``yaml.safe_load`` (the least any validator must
do). Target: under 1 s per package once models are loaded. ``--json`` prints one JSON row per line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from osm_locus.package import read_package, validate_packages  # noqa: E402
from osm_locus.package.build import build_report  # noqa: E402


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def compile_bindings(env: dict[str, str] | None = None) -> float:
    """Seconds for pyang to compile (or find cached) the three bindings, in a fresh process."""
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from osm_locus.im import bindings as b; "
            "[b.binding_path(k) for k in ('vnfd','nsd','nst')]",
        ],
        check=True,
        cwd=ROOT,
        env=env,
    )
    return time.perf_counter() - start


def model_generation() -> float:
    """First use on a new machine: pyang compiles the three bindings into an empty cache."""
    with tempfile.TemporaryDirectory() as cache:
        return compile_bindings({**os.environ, "OSM_LOCUS_CACHE": cache})


def model_loading() -> dict[str, float]:
    """Cold import of the three bindings in a fresh interpreter (generation excluded: cached)."""
    code = (
        "import time; from osm_locus.im import bindings as b; r={}\n"
        "for k in ('vnfd','nsd','nst'):\n"
        " t=time.perf_counter(); b.load(k); r[k]=time.perf_counter()-t\n"
        "import json; print(json.dumps(r))"
    )
    compile_bindings()
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    packages = sorted(p for p in (ROOT / "packages").iterdir() if p.is_dir())
    generation = model_generation()
    loading = model_loading()
    validate_packages(packages)  # warm: models loaded in this process
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for package in packages:
            descriptor = read_package(package).descriptor
            assert descriptor is not None
            text = (package / descriptor.file).read_bytes()
            base = timed(lambda t=text: yaml.safe_load(t), args.repeat)
            val = timed(lambda p=package: validate_packages([p]), args.repeat)
            bld = timed(
                lambda p=package: build_report(validate_packages([p]), Path(out)), args.repeat
            )
            rows.append(
                {
                    "package": package.name,
                    "kind": descriptor.kind,
                    "yaml_baseline_s": round(base, 5),
                    "validate_s": round(val, 4),
                    "build_s": round(bld, 4),
                    "validate_ratio": round(val / base, 1),
                    "build_ratio": round(bld / base, 1),
                    "under_1s": bld < 1.0,
                }
            )
    if args.json:
        print(
            json.dumps(
                {
                    "model_generation_s": round(generation, 2),
                    "model_loading_s": {k: round(v, 3) for k, v in loading.items()},
                }
            )
        )
        for row in rows:
            print(json.dumps(row))
        return
    print(f"model generation (first use, pyang + pyangbind, 3 models): {generation:.2f} s")
    print(
        "model loading (cold import, cached bindings): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in loading.items())
    )
    print(
        f"{'package':22} {'kind':5} {'yaml (base)':>12} {'validate':>10} {'build':>9} "
        f"{'val/base':>9} {'build/base':>11}"
    )
    for r in rows:
        print(
            f"{r['package']:22} {r['kind']:5} {r['yaml_baseline_s'] * 1000:10.2f}ms "
            f"{r['validate_s'] * 1000:8.1f}ms {r['build_s'] * 1000:7.1f}ms "
            f"{r['validate_ratio']:8.0f}x {r['build_ratio']:10.0f}x"
        )
    worst = max(r["build_s"] for r in rows)
    print(
        f"worst validate+build per package: {worst:.3f} s (target < 1 s): "
        f"{'OK' if worst < 1.0 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
