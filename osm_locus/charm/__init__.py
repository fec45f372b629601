"""Juju charms of osm-locus: finding a charm's source for a package, building the ``.charm``."""
