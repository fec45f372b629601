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
    from osm_locus.smart.policy import PolicyError, load_policies
    from osm_locus.smart.prometheus import Prometheus
    from osm_locus.smart.runner import Runner
    from placement.lab import load_lab

    try:
        policies = load_policies(policy_file)
    except PolicyError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
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
