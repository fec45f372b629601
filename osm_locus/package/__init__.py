"""OSM package tooling: read, validate (as OSM's NBI does at onboarding, and more) and build."""

from osm_locus.package.problems import Problem, Severity
from osm_locus.package.source import Descriptor, PackageSource, read_package
from osm_locus.package.validate import ValidationReport, validate_packages

__all__ = [
    "Descriptor",
    "PackageSource",
    "Problem",
    "Severity",
    "ValidationReport",
    "read_package",
    "validate_packages",
]
