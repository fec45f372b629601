"""``osm-locus charm build``: a deployable ``.charm`` without charmcraft's LXD build."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from osm_locus.charm.build import CharmBuildError, build_charm


@click.group()
def charm() -> None:
    """Juju charms (proxy charms of the VNF packages)."""


@charm.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("build/charms"),
    show_default=True,
)
def build(folder: Path, out_dir: Path) -> None:
    """Build FOLDER (charms/NAME with charmcraft.yaml) into OUTPUT/NAME_BASE-amd64.charm."""
    try:
        path = build_charm(folder, out_dir)
    except CharmBuildError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"error: cannot write to {out_dir}: {exc.strerror}", err=True)
        sys.exit(1)
    click.echo(f"{path} ({path.stat().st_size:,} B)")
