"""``osm-locus smart run``: the closed loop (autoscaling, healing ladder) against an NBI."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from osm_locus.cli.deploy import connection, fails_cleanly, nbi_options


@click.group()
def smart() -> None:
    """Smart NFV functions: a closed loop from Prometheus to OSM operations."""


@smart.command()
@click.option(
    "--policy",
    "policy_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Policy file (YAML; see osm_locus/smart/policy.py).",
)
@click.option(
    "--prometheus",
    "prometheus_url",
    default="http://127.0.0.1:9090",
    show_default=True,
    help="Prometheus scraping OSM's (or the lab's) metrics.",
)
@click.option(
    "--lab",
    "lab_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Lab description, for re-placement (default: the LOCUS testbeds).",
)
@click.option("--dry-run", is_flag=True, help="Print the decisions; execute nothing.")
@click.option("--once", is_flag=True, help="One round, then exit.")
@nbi_options
@fails_cleanly
def run(
    policy_file: Path,
    prometheus_url: str,
    lab_file: Path | None,
    dry_run: bool,
    once: bool,
    **nbi: Any,
) -> None:
    """Watch metrics and VNF states; scale, restart, heal or re-place as the policies say."""
    from osm_locus.smart.policy import load_policies
    from osm_locus.smart.prometheus import Prometheus
    from osm_locus.smart.runner import Runner
    from placement.lab import load_lab

    policies = load_policies(policy_file)
    with connection(**nbi) as conn:
        runner = Runner(
            conn, Prometheus(prometheus_url), policies, load_lab(lab_file), dry_run=dry_run
        )
        if once:
            for done in runner.round():
                state = "dry-run" if dry_run else (done.error or f"operation {done.operation}")
                click.echo(
                    f"{done.action.policy}: {done.action.kind} ({done.action.reason}): {state}"
                )
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        runner.run(stop)


@smart.command()
@click.argument("ns")
@click.option("--vnf", "member", required=True, help="member-vnf-index.")
@click.option("--vdu", "vdu_id", required=True, help="VDU to resize.")
@click.option(
    "--prometheus",
    "prometheus_url",
    default="http://127.0.0.1:9090",
    show_default=True,
)
@click.option("--window", type=float, default=3600.0, show_default=True, help="Seconds of usage.")
@click.option("--percentile", type=click.FloatRange(1, 100), default=95.0, show_default=True)
@click.option(
    "--target", type=click.FloatRange(5, 100), default=60.0, show_default=True, help="CPU %."
)
@click.option("--dry-run", is_flag=True, help="Show the proposal only.")
@nbi_options
@fails_cleanly
def rightsize(
    ns: str,
    member: str,
    vdu_id: str,
    prometheus_url: str,
    window: float,
    percentile: float,
    target: float,
    dry_run: bool,
    **nbi: Any,
) -> None:
    """Resize VDU --vdu of NS to the vCPUs its observed CPU use needs (new VNFD revision)."""
    import time

    from osm_locus.package.source import read_upload
    from osm_locus.smart.prometheus import Prometheus
    from osm_locus.smart.rightsize import apply, propose_vcpu
    from placement.demand import vdu_resources

    with connection(**nbi) as conn:
        found = conn.ns.find(ns)
        if found is None:
            click.echo(f"error: no NS '{ns}' at {conn.url}", err=True)
            sys.exit(1)
        vnf = next((v for v in conn.ns.vnf_instances(found.id) if v.member_index == member), None)
        if vnf is None:
            click.echo(f"error: NS {ns} has no VNF {member}", err=True)
            sys.exit(1)
        package = read_upload(conn.vnf_packages.content(str(vnf.raw["vnfd-id"])))
        assert package.descriptor is not None
        current = int(vdu_resources(package.descriptor.body, vdu_id).vcpu)
        query = (
            f'osm_cpu_utilization{{ns_id="{found.id}", vnf_member_index="{member}", '
            f'vdu_name=~".*-{vdu_id}-[0-9]+"}}'
        )
        now = time.time()
        series = Prometheus(prometheus_url).query_range(
            query, now - window, now, max(1.0, window / 500)
        )
        samples = [v for s in series for _, v in s.points]
        proposal = propose_vcpu(samples, current, percentile, target)
        click.echo(
            f"{vdu_id}: p{percentile:g} CPU over {window:g} s with {current} vCPU -> "
            f"{proposal} vCPU (target {target:g} %)"
        )
        if dry_run or proposal == current:
            return
        done = apply(conn, found.id, member, vdu_id, proposal)
        click.echo(
            f"resized {done.instances} instance(s) of {vdu_id}: {done.vcpu_before} -> "
            f"{done.vcpu_after} vCPU, software-version {done.software_version}"
        )
