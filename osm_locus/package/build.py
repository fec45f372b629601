"""Build OSM package archives: validated, with ``checksums.txt``, reproducible and atomic.

Like ``osm package-build``: one top folder named after the package, ``checksums.txt`` (md5 per
file) inside it. Unlike it, the archive is reproducible (sorted entries, fixed mtime, owner and
modes, gzip header without name or time) so the same input gives the same bytes, and it is written
to a temporary file renamed into place only when complete.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from osm_locus.charm.build import package_extras
from osm_locus.package.artifacts import md5_lines
from osm_locus.package.problems import Problem
from osm_locus.package.source import PackageSource
from osm_locus.package.validate import ValidationReport

#: mtime stamped on every archive entry: SOURCE_DATE_EPOCH when set (reproducible-builds.org).
DEFAULT_EPOCH = 1577836800  # 2020-01-01T00:00:00Z


class BuildError(RuntimeError):
    """A package could not be built; carries the problems that prevented it."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class BuiltPackage:
    """One archive written by :func:`build_report`."""

    name: str
    kind: str
    descriptor_id: str
    archive: Path
    files: int
    size: int


def build_report(
    report: ValidationReport, out_dir: Path, extras: dict[str, dict[str, bytes]] | None = None
) -> list[BuiltPackage]:
    """Write one archive per package of a validated report; nothing is written if any has errors.

    All archives are rendered in memory first, so a failure while packing one leaves none behind.
    ``extras`` maps a package name to files added to it; charms a VNFD takes from the
    repository's ``charms/`` are built and added as ``charms/NAME.charm``.
    """
    if not report.ok:
        errors = [p for p in report.problems if p.is_error]
        raise BuildError(f"{len(errors)} error(s): no archive written", errors)
    extras = dict(extras or {})
    for source in report.sources:  # charms kept as source in charms/NAME are built in
        if source.charm_sources:
            extras[source.name] = {**package_extras(source), **extras.get(source.name, {})}
    rendered = [(source, render(source, extras.get(source.name))) for source in report.sources]
    out_dir.mkdir(parents=True, exist_ok=True)
    built = []
    for source, (files, data) in rendered:
        target = out_dir / f"{source.name}.tar.gz"
        write_atomically(target, data)
        descriptor = source.descriptor
        built.append(
            BuiltPackage(
                source.name,
                descriptor.kind if descriptor else "?",
                descriptor.id if descriptor else "",
                target,
                files,
                len(data),
            )
        )
    return built


def render(source: PackageSource, extra: dict[str, bytes] | None = None) -> tuple[int, bytes]:
    """(file count, archive bytes) of a package plus ``extra`` files and checksums.txt."""
    files = {name: data for name, data in source.files.items() if name != "checksums.txt"}
    files.update(extra or {})
    files["checksums.txt"] = md5_lines(files).encode()
    return len(files), archive_bytes(source.name, files, source_modes(source))


def source_modes(source: PackageSource) -> dict[str, int]:
    """Executable bit of each file of a package folder (archives are read as plain files)."""
    modes: dict[str, int] = {}
    if source.origin.is_dir():
        for name in source.files:
            if os.access(source.origin / name, os.X_OK):
                modes[name] = 0o755
    return modes


def archive_bytes(top: str, files: dict[str, bytes], modes: dict[str, int] | None = None) -> bytes:
    """A reproducible ``.tar.gz`` of ``files`` under folder ``top``."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_EPOCH))
    modes = modes or {}
    folders = {top}
    for name in files:
        parts = name.split("/")[:-1]
        folders.update(f"{top}/{'/'.join(parts[:i])}" for i in range(1, len(parts) + 1))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        entries: list[tuple[str, str | None]] = [(f, None) for f in folders]
        entries += [(f"{top}/{n}", n) for n in files]
        for arcname, member in sorted(entries, key=lambda e: e[0]):
            info = tarfile.TarInfo(arcname)
            info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "", ""
            if member is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(files[member]), modes.get(member, 0o644)
                tar.addfile(info, io.BytesIO(files[member]))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder, then rename."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
