"""Smart NFV functions: a closed loop from Prometheus metrics to OSM operations through the NBI.

``policy`` (what to watch and do), ``forecast`` (trend prediction), ``decide`` (the pure decision:
snapshot + state -> actions), ``prometheus`` (metric source), ``runner`` (the loop executing
decisions through :mod:`osm_locus.nbi`), ``rightsize`` (new VNFD sizes from observed usage).
"""
