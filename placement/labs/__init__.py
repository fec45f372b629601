"""Lab description files shipped with osm-locus (``default.yaml``: the LOCUS testbeds)."""
