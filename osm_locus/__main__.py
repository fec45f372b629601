"""``python -m osm_locus`` runs the ``osm-locus`` command line."""

from osm_locus.cli import main

main()
