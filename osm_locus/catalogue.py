"""A folder of OSM packages indexed by descriptor id: what `place` and `deploy` start from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from osm_locus.package.source import PackageSource, read_package
from placement.demand import Catalogue, Intent, netslice_problem, ns_problem
from placement.model import Problem


class CatalogueError(ValueError):
    """A target or a package it needs cannot be found or read."""


@dataclass
class PackageIndex:
    """Packages found under a folder, by (kind, descriptor id)."""

    root: Path
    sources: dict[tuple[str, str], PackageSource] = field(default_factory=dict)

    @classmethod
    def scan(cls, root: Path) -> PackageIndex:
        """Read every package folder directly under ``root``."""
        index = cls(root)
        if not root.is_dir():
            raise CatalogueError(f"{root}: not a folder of packages")
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            source = read_package(folder)
            if source.descriptor is not None and source.descriptor.id:
                index.sources.setdefault((source.descriptor.kind, source.descriptor.id), source)
        return index

    def body(self, kind: str, ident: str) -> dict[str, Any]:
        """Descriptor body of a package of ``kind`` with id ``ident``."""
        source = self.sources.get((kind, ident))
        if source is None or source.descriptor is None:
            raise CatalogueError(f"no {kind} package with id '{ident}' under {self.root}")
        return source.descriptor.body

    def catalogue(self) -> Catalogue:
        """VNFDs, NSDs and the Helm values of every local chart, for the placement layer."""
        vnfds = {
            i: s.descriptor.body
            for (k, i), s in self.sources.items()
            if k == "vnfd" and s.descriptor
        }
        nsds = {
            i: s.descriptor.body
            for (k, i), s in self.sources.items()
            if k == "nsd" and s.descriptor
        }
        helm: dict[tuple[str, str], dict[str, Any]] = {}
        for (kind, _), source in self.sources.items():
            if kind == "vnfd":
                helm.update(kdu_helm_values(source))
        return Catalogue(vnfds, nsds, helm)


def kdu_helm_values(source: PackageSource) -> dict[tuple[str, str], dict[str, Any]]:
    """(vnfd id, kdu name) -> values.yaml of each KDU whose chart is inside the package."""
    descriptor = source.descriptor
    if descriptor is None:
        return {}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for kdu in descriptor.body.get("kdu") or []:
        chart = str(kdu.get("helm-chart", ""))
        values = source.files.get(f"helm-charts/{chart}/values.yaml")
        if values is not None:
            found[descriptor.id, str(kdu.get("name"))] = yaml.safe_load(values) or {}
    return found


def resolve_target(target: str, packages: Path | None) -> tuple[PackageSource, PackageIndex]:
    """The NSD/NST package named by ``target`` (folder path or folder name under ``packages``)."""
    path = Path(target)
    if not path.is_dir():
        base = packages or Path("packages")
        path = base / target
        if not path.is_dir():
            raise CatalogueError(
                f"target '{target}' is neither a package folder nor a package under {base}/"
            )
    source = read_package(path)
    if source.descriptor is None:
        problems = "; ".join(str(p) for p in source.problems) or "no descriptor"
        raise CatalogueError(f"{path}: cannot read the package: {problems}")
    if source.descriptor.kind not in ("nsd", "nst"):
        raise CatalogueError(
            f"{path}: a placement target is an NS or netslice package, this is "
            f"a {source.descriptor.kind}"
        )
    return source, PackageIndex.scan(packages or path.resolve().parent)


def problem_of(
    source: PackageSource, index: PackageIndex, intent: Intent | None = None
) -> Problem:
    """The placement problem of an NSD or NST package whose dependencies are in ``index``."""
    if source.descriptor is None:
        raise CatalogueError(f"{source.name}: no descriptor")
    catalogue = index.catalogue()
    if source.descriptor.kind == "nst":
        return netslice_problem(source.descriptor.body, catalogue, intent)
    return ns_problem(source.descriptor.body, catalogue, intent)
