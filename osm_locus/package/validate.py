"""Validate packages as OSM's NBI does at onboarding, plus the cross-package checks it omits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from osm_locus.package import artifacts, crossref, semantics, yang
from osm_locus.package.problems import Problem
from osm_locus.package.source import PackageSource, read_package

_SEMANTICS = {"vnfd": semantics.check_vnfd, "nsd": semantics.check_nsd, "nst": semantics.check_nst}


@dataclass
class ValidationReport:
    """Every package read, with every problem found in it."""

    sources: list[PackageSource]

    @property
    def problems(self) -> list[Problem]:
        """All problems, package by package, in the order found."""
        return [p for source in self.sources for p in source.problems]

    @property
    def ok(self) -> bool:
        """True when no problem is an error (warnings allowed)."""
        return not any(p.is_error for p in self.problems)

    def errors_of(self, source: PackageSource) -> list[Problem]:
        """The errors (not warnings) of one package."""
        return [p for p in source.problems if p.is_error]


def check_source(source: PackageSource) -> None:
    """Run the single-package checks (YANG, OSM semantics, artifacts) on a read package."""
    descriptor = source.descriptor
    if descriptor is not None:
        root = descriptor.root_path()
        for path, message in yang.check(descriptor.kind, descriptor.body, root):
            source.add(path, message, status=422)
        for path, message in _SEMANTICS[descriptor.kind](descriptor.body, root):
            source.add(path, message, status=422)
    artifacts.check(source)


def validate_sources(sources: list[PackageSource], external_ok: bool = True) -> ValidationReport:
    """Validate packages already read (e.g. uploaded archives) singly and against each other."""
    for source in sources:
        check_source(source)
    crossref.check(sources, external_ok=external_ok)
    return ValidationReport(sources)


def validate_packages(paths: Iterable[Path], external_ok: bool = True) -> ValidationReport:
    """Read and validate folders or archives; ``external_ok``: unresolved refs only warn."""
    return validate_sources([read_package(Path(p)) for p in paths], external_ok=external_ok)
