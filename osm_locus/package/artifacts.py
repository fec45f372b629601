"""Files a descriptor names must be in the package: cloud-init, charms, Helm charts, checksums.

OSM's NBI checks cloud-init files and the presence of a ``charms/`` folder (400 on failure); LCM
only finds a missing local Helm chart or charm at instantiation time. We check all of them here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import yaml

from osm_locus.package.semantics import HELM_CHART_RE, items, sub
from osm_locus.package.source import PackageSource

Finding = tuple[str, str]


def check(source: PackageSource) -> None:
    """Record in ``source`` every artifact problem of its descriptor and of ``checksums.txt``."""
    descriptor = source.descriptor
    if descriptor is not None and descriptor.kind == "vnfd":
        root = descriptor.root_path()
        for path, message in [
            *_cloud_init(source, descriptor.body, root),
            *_charms(source, descriptor.body, root),
            *_helm_charts(source, descriptor.body, root),
        ]:
            source.add(path, message)
    _checksums(source)


def _cloud_init(source: PackageSource, vnfd: dict[str, Any], root: str) -> Iterator[Finding]:
    for vdu_id, vdu in items(vnfd, "vdu"):
        name = vdu.get("cloud-init-file")
        if isinstance(name, str) and name and not source.has_file(f"cloud_init/{name}"):
            yield (
                f"{root}.vdu[{vdu_id}].cloud-init-file",
                f"cloud-init file '{name}' is not in the package (expected cloud_init/{name})",
            )


def juju_charms(vnfd: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(descriptor path, charm name) of every juju execution environment in the VNFD."""
    root = "vnfd"
    for df_id, df in items(vnfd, "df"):
        config = sub(df, "lcm-operations-configuration", "operate-vnf-op-config")
        for cfg_id, day12 in items(config, "day1-2"):
            for ee_id, ee in items(day12, "execution-environment-list"):
                juju = ee.get("juju")
                if isinstance(juju, dict):
                    path = (
                        f"{root}.df[{df_id}].lcm-operations-configuration.operate-vnf-op-config"
                        f".day1-2[{cfg_id}].execution-environment-list[{ee_id}].juju.charm"
                    )
                    yield path, str(juju.get("charm") or "")


def _charms(source: PackageSource, vnfd: dict[str, Any], root: str) -> Iterator[Finding]:
    for path, charm in juju_charms(vnfd):
        path = path.replace("vnfd", root, 1)
        if not charm:
            yield path, "juju execution environment names no charm"
        elif not (
            source.has_nonempty_dir(f"charms/{charm}")
            or source.has_file(f"charms/{charm}.charm")
            or charm in source.charm_sources
        ):
            yield (
                path,
                (
                    f"charm '{charm}' is not in the package (expected charms/{charm}/ or "
                    f"charms/{charm}.charm)"
                ),
            )


def _helm_charts(source: PackageSource, vnfd: dict[str, Any], root: str) -> Iterator[Finding]:
    for name, kdu in items(vnfd, "kdu"):
        chart = kdu.get("helm-chart")
        if not isinstance(chart, str) or "/" in chart or not HELM_CHART_RE.match(chart):
            continue  # repo/chart or URL: fetched by OSM; bad names reported by semantics
        here = f"{root}.kdu[{name}].helm-chart"
        if source.has_file(f"helm-charts/{chart}"):
            continue  # packaged chart archive
        if not source.has_nonempty_dir(f"helm-charts/{chart}"):
            yield (
                here,
                (
                    f"helm-chart '{chart}' has no repository prefix and is not in the package "
                    f"(expected helm-charts/{chart}/)"
                ),
            )
            continue
        yield from _local_chart(source, chart, here, str(kdu.get("helm-version") or "v3"))


def _local_chart(
    source: PackageSource, chart: str, here: str, helm_version: str
) -> Iterator[Finding]:
    base = f"helm-charts/{chart}"
    meta_file = f"{base}/Chart.yaml"
    if not source.has_file(meta_file):
        yield here, f"{meta_file} is missing"
        return
    try:
        meta = yaml.safe_load(source.files[meta_file])
    except yaml.YAMLError as exc:
        yield here, f"{meta_file} is malformed YAML: {exc}"
        return
    if not isinstance(meta, dict) or meta.get("name") != chart:
        yield here, f"{meta_file}: name must be '{chart}' (found {sub(meta, 'name')!r})"
    if helm_version == "v3" and isinstance(meta, dict) and meta.get("apiVersion") != "v2":
        yield here, f"{meta_file}: apiVersion must be v2 for a Helm v3 chart"
    if not any(n.startswith(f"{base}/templates/") for n in source.files):
        yield here, f"{base}/templates/ holds no template"
    values = source.files.get(f"{base}/values.yaml")
    if values is not None:
        try:
            yaml.safe_load(values)
        except yaml.YAMLError as exc:
            yield here, f"{base}/values.yaml is malformed YAML: {exc}"


def md5_lines(files: dict[str, bytes]) -> str:
    """``checksums.txt`` content: ``md5  path`` per file, sorted (``osm package-build``)."""
    lines = [
        f"{hashlib.md5(data).hexdigest()}  {name}\n"  # noqa: S324 - OSM's format is md5
        for name, data in sorted(files.items())
        if name != "checksums.txt"
    ]
    return "".join(lines)


def _checksums(source: PackageSource) -> None:
    text = source.files.get("checksums.txt")
    if text is None:
        return
    listed: dict[str, str] = {}
    for number, line in enumerate(text.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        name = name.strip()
        if len(digest) != 32 or not name:
            source.add("", f"line {number} is not 'md5  path'", "checksums.txt")
            continue
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        data = source.files.get(name)
        if data is None:
            source.add("", f"lists '{name}', which is not in the package", "checksums.txt")
        elif hashlib.md5(data).hexdigest() != digest:  # noqa: S324
            source.add(
                "",
                f"md5 of '{name}' does not match (file changed since checksums.txt was written)",
                "checksums.txt",
            )
    for name in sorted(set(source.files) - set(listed) - {"checksums.txt"}):
        source.add("", f"'{name}' is not listed", "checksums.txt")
