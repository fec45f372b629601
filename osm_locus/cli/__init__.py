"""The ``osm-locus`` command line: one module per noun (package, place, lab, ...)."""

from __future__ import annotations

import logging

import click

from osm_locus import __version__
from osm_locus.cli.charm import charm
from osm_locus.cli.deploy import action, deploy, status, terminate
from osm_locus.cli.lab import lab
from osm_locus.cli.package import package
from osm_locus.cli.place import place
from osm_locus.cli.smart import smart


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="osm-locus")
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug).")
def main(verbose: int) -> None:
    """osm-locus: LOCUS and Smart City packages, placement and closed-loop tools for ETSI OSM."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # urllib3 reports each retry as a warning; our own error says what failed, once
    logging.getLogger("urllib3").setLevel(level if verbose >= 2 else logging.ERROR)


main.add_command(lab)
main.add_command(package)
main.add_command(place)
main.add_command(deploy)
main.add_command(action)
main.add_command(status)
main.add_command(terminate)
main.add_command(charm)
main.add_command(smart)
