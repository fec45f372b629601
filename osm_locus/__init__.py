"""osm-locus: ETSI OSM extension bundle for LOCUS localization and Smart City services."""

__version__ = "0.1.0"
