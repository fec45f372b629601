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
def serve(lab_file: Path | None, host: str, port: int) -> None:
    """Serve the lab's NBI at http://HOST:PORT/osm (user admin, password admin)."""
    from osm_locus.lab.app import create_app
    from osm_locus.lab.server import serve_forever

    try:
        description = load_lab(lab_file)
    except LabError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"osm-locus lab {description.name}: NBI at http://{host}:{port}/osm "
        f"({len(description.sites)} VIM accounts)"
    )
    serve_forever(create_app(description), host, port)
