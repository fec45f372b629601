"""``osm-locus lab serve``: the embedded OSM lab as an HTTP server."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from placement.lab import LabError, load_lab


@click.group()
def lab() -> None:
    """The embedded OSM lab (an NBI-compatible OSM stand-in)."""


@lab.command()
@click.option(
    "--lab",
    "lab_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Lab description: its sites become VIM accounts and K8s clusters.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9999, show_default=True, type=int)
@click.option(
    "--state",
    "state_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="SQLite file keeping packages and instances across restarts (default: in memory).",
)
@click.option(
    "--delay",
    default=0.5,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds each LCM operation takes.",
)
def serve(
    lab_file: Path | None, host: str, port: int, state_file: Path | None, delay: float
) -> None:
    """Serve the lab's NBI at http://HOST:PORT/osm (user admin, password admin).

    Also serves /metrics (Prometheus) and the fault-injection API under /lab/v1.
    """
    from osm_locus.lab.app import create_app
    from osm_locus.lab.server import serve_forever
    from osm_locus.lab.state import LabState
    from osm_locus.lab.store import StoreError

    try:
        description = load_lab(lab_file)
        state = LabState.open(state_file)
    except (LabError, StoreError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"osm-locus lab {description.name}: NBI at http://{host}:{port}/osm "
        f"({len(description.sites)} VIM accounts, state "
        f"{state_file if state_file else 'in memory'})"
    )
    serve_forever(create_app(description, state, delay), host, port)
