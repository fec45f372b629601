"""The embedded OSM lab: an NBI-compatible OSM stand-in over a simulated edge/core NFVI.

Same paths, status codes, record shapes and error bodies as OSM's NBI, for tests, demos and dry
runs of everything osm-locus drives.
"""
