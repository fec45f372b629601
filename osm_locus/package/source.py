"""Read an OSM package from a folder or a ``.tar.gz`` with OSM's layout rules.

The rules are those OSM's NBI applies to an upload (descriptor_topics.upload_content):
one top folder, no absolute or ``..`` paths, exactly one descriptor (``.yaml``/``.yml``/``.json``)
directly inside the top folder. The descriptor is parsed and its envelope removed the way the NBI
does, so later checks see the same document OSM sees.
"""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from osm_locus.package.problems import Problem, Severity

DESCRIPTOR_SUFFIXES = (".yaml", ".yml", ".json")
#: Folders and files a build never ships (editor/VCS/Python leftovers).
IGNORED_NAMES = frozenset({".git", "__pycache__", ".DS_Store", ".pytest_cache"})

# (kind, envelope key) pairs OSM accepts; the old "*-catalog" format is rejected by OSM with 422.
_ENVELOPES = {
    "vnfd": "vnfd",
    "etsi-nfv-vnfd:vnfd": "vnfd",
    "nsd": "nsd",
    "etsi-nfv-nsd:nsd": "nsd",
    "nst": "nst",
    "nst:nst": "nst",
}
_OLD_FORMAT = ("vnfd-catalog", "vnfd:vnfd-catalog", "nsd-catalog", "nsd:nsd-catalog")


@dataclass
class Descriptor:
    """The descriptor of a package: its kind, file, raw document and OSM-unwrapped body."""

    kind: str  # "vnfd" | "nsd" | "nst"
    file: str  # path inside the package, e.g. "locus_cloud_vnfd.yaml"
    envelope: str  # top-level key as written in the file, e.g. "vnfd"
    body: dict[str, Any]

    @property
    def id(self) -> str:
        """The descriptor ``id`` (what other descriptors reference), or '' when missing."""
        value = self.body.get("id")
        return value if isinstance(value, str) else ""

    def root_path(self) -> str:
        """Path prefix of the body in the file, used to name fields in problems."""
        if self.kind == "vnfd":
            return self.envelope
        if self.kind == "nsd":
            return f"{self.envelope}.nsd[{self.id or 0}]"
        return f"{self.envelope}[{self.id or 0}]"


@dataclass
class PackageSource:
    """A package's files (path inside the top folder -> bytes) and what reading them found."""

    name: str
    origin: Path
    files: dict[str, bytes] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    descriptor: Descriptor | None = None
    #: Charms the descriptor names that are built from source at package build (name -> folder).
    charm_sources: dict[str, Path] = field(default_factory=dict)

    def where(self, file: str | None = None) -> str:
        """``package/file`` label used in problems."""
        return f"{self.name}/{file}" if file else self.name

    def add(
        self,
        path: str,
        message: str,
        file: str | None = None,
        warning: bool = False,
        status: int = 400,
    ) -> None:
        """Record a problem against ``file`` (default: the descriptor file) at ``path``.

        ``status`` is OSM's answer to an upload with this problem: 400 (layout, parsing,
        artifacts) unless the caller says otherwise.
        """
        if file is None and self.descriptor is not None:
            file = self.descriptor.file
        severity = Severity.WARNING if warning else Severity.ERROR
        self.problems.append(Problem(self.where(file), path, message, severity, status))

    def has_file(self, path: str) -> bool:
        """True when the package holds a regular file at ``path``."""
        return path in self.files

    def has_nonempty_dir(self, path: str) -> bool:
        """True when some file of the package lies under folder ``path``."""
        prefix = path.rstrip("/") + "/"
        return any(name.startswith(prefix) for name in self.files)


def read_package(path: Path) -> PackageSource:
    """Read a package folder or ``.tar.gz`` archive; layout and parse problems are recorded."""
    path = Path(path)
    if path.is_dir():
        source = _read_dir(path)
        _find_descriptor(source)
        _find_charm_sources(source, path)
        return source
    elif path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
        source = _read_archive(path.name, path, io.BytesIO(path.read_bytes()))
    else:
        source = PackageSource(path.name or str(path), path)
        what = (
            "does not exist" if not path.exists() else "is neither a package folder nor a .tar.gz"
        )
        source.add("", f"{path} {what}")
        return source
    _find_descriptor(source)
    return source


def read_upload(data: bytes, filename: str = "package.tar.gz") -> PackageSource:
    """Read a package uploaded as bytes: a gzip'd tar, or a bare descriptor (YAML/JSON)."""
    if data[:2] == b"\x1f\x8b":
        source = _read_archive(filename, Path(filename), io.BytesIO(data))
    else:
        name = filename if filename.endswith(DESCRIPTOR_SUFFIXES) else "descriptor.yaml"
        source = PackageSource(name.rsplit(".", 1)[0], Path(filename), {name: data})
    _find_descriptor(source)
    return source


def _read_dir(path: Path) -> PackageSource:
    source = PackageSource(path.resolve().name, path)
    for item in sorted(path.rglob("*")):
        rel = item.relative_to(path)
        if IGNORED_NAMES.intersection(rel.parts):
            continue
        key = rel.as_posix()
        if item.is_symlink() and not item.resolve().is_relative_to(path.resolve()):
            source.add("", f"symbolic link points outside the package: {item.readlink()}", key)
        elif item.is_dir():
            source.dirs.add(key)
        elif item.is_file():
            source.files[key] = item.read_bytes()
    return source


def _read_archive(name: str, origin: Path, data: io.BytesIO) -> PackageSource:
    stem = name.removesuffix(".tar.gz").removesuffix(".tgz")
    source = PackageSource(stem, origin)
    try:
        with tarfile.open(fileobj=data, mode="r:gz") as tar:
            members = tar.getmembers()
            tops = {PurePosixPath(m.name).parts[0] for m in members if m.name.strip("/")}
            if len(tops) == 1:
                source.name = next(iter(tops))
            elif len(tops) > 1:
                source.add(
                    "",
                    f"archive has {len(tops)} top folders ({', '.join(sorted(tops))}); "
                    "OSM expects exactly one",
                )
            for member in members:
                _read_member(source, tar, member)
    except (tarfile.TarError, OSError, EOFError) as exc:
        source.add("", f"invalid file content: {exc}")
    return source


def _read_member(source: PackageSource, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
    parts = PurePosixPath(member.name).parts
    if member.name.startswith("/") or ".." in parts:
        source.add("", f"{member.name}: absolute path or '..' are not allowed in a package")
        return
    if len(parts) == 1:
        if not member.isdir():
            source.add(
                "",
                f"{member.name}: all files must be inside a dir for package "
                "descriptor tar.gz (file outside the top folder)",
            )
        return
    rel = PurePosixPath(*parts[1:]).as_posix()
    if member.isdir():
        source.dirs.add(rel)
    elif member.isfile():
        handle = tar.extractfile(member)
        source.files[rel] = handle.read() if handle else b""
    elif member.issym() or member.islnk():
        source.add("", f"{member.name}: links are not allowed in a package archive")


def _find_descriptor(source: PackageSource) -> None:
    candidates = sorted(
        name for name in source.files if "/" not in name and name.endswith(DESCRIPTOR_SUFFIXES)
    )
    if not candidates:
        source.add("", "no descriptor file (.yaml, .yml or .json) directly in the package folder")
        return
    if len(candidates) > 1:
        source.add(
            "", f"found more than one descriptor file in the package: {', '.join(candidates)}"
        )
        return
    _parse_descriptor(source, candidates[0])


def _parse_descriptor(source: PackageSource, file: str) -> None:
    text = source.files[file]
    try:
        document = json.loads(text) if file.endswith(".json") else yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        source.add("", f"malformed YAML{at}: {problem}", file)
        return
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        source.add("", f"malformed JSON: {exc}", file)
        return
    if not isinstance(document, dict) or not document:
        source.add(
            "", "descriptor must be a mapping with one top-level key (vnfd, nsd or nst)", file
        )
        return
    for key in document:
        if key in _OLD_FORMAT:
            source.add(
                key,
                "unsupported descriptor format (pre-SOL006 catalog); use an ETSI "
                "SOL006 descriptor",
                file,
                status=422,
            )
            return
    keys = [k for k in document if k in _ENVELOPES]
    others = [k for k in document if k not in _ENVELOPES]
    if len(keys) != 1 or others:
        source.add(
            "",
            f"descriptor must have exactly one top-level key among vnfd, nsd, nst "
            f"(found: {', '.join(map(str, document))})",
            file,
        )
        return
    envelope = keys[0]
    body = _unwrap(source, file, envelope, document[envelope])
    if body is not None:
        source.descriptor = Descriptor(_ENVELOPES[envelope], file, envelope, body)


def _unwrap(source: PackageSource, file: str, envelope: str, value: Any) -> dict[str, Any] | None:
    kind = _ENVELOPES[envelope]
    if kind == "vnfd":
        if isinstance(value, dict):
            return value
        source.add(envelope, "'vnfd' must be a mapping", file)
        return None
    if kind == "nsd":
        inner = value.get("nsd") if isinstance(value, dict) else None
        if isinstance(inner, list) and len(inner) == 1 and isinstance(inner[0], dict):
            return inner[0]
        source.add(f"{envelope}.nsd", "'nsd' must be a list of only one element", file)
        return None
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        return value[0]
    source.add(envelope, "'nst' must be a list of only one element", file)
    return None


def _find_charm_sources(source: PackageSource, folder: Path) -> None:
    """Charms named by a VNFD but not in its folder, whose source is in the repo's charms/."""
    from osm_locus.charm.build import find_charm_source
    from osm_locus.package.artifacts import juju_charms

    if source.descriptor is None or source.descriptor.kind != "vnfd":
        return
    for _, name in juju_charms(source.descriptor.body):
        if not name or source.has_nonempty_dir(f"charms/{name}"):
            continue
        if source.has_file(f"charms/{name}.charm"):
            continue
        found = find_charm_source(name, folder.parent)
        if found is not None:
            source.charm_sources[name] = found
