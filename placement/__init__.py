"""Placement of the VNFs/KNFs of an OSM NS or netslice onto VIM accounts and K8s clusters."""
