"""Build a ``.charm`` with plain Python: what ``charmcraft pack`` makes, without LXD or snaps.

A charm is a zip with ``dispatch``, ``hooks/``, ``src/``, ``metadata.yaml``, ``config.yaml``,
``actions.yaml``, ``manifest.yaml`` (bases) and a flat ``venv/`` of its Python dependencies.
``charmcraft pack`` refuses non-Ubuntu hosts and needs LXD images; the format is simple, so it is
written here (no PyPI library builds charms). Dependencies are wheels for the charm's base
(ubuntu@22.04: CPython 3.10, manylinux x86_64) fetched by pip and cached by their requirements.
The archive is deterministic: sorted entries, fixed times and modes, no ``.pyc``.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from osm_locus.package.source import PackageSource

#: Python and platform of each supported base (what the charm's venv must be built for).
BASES = {
    "ubuntu@22.04": ("3.10", "manylinux2014_x86_64"),
    "ubuntu@24.04": ("3.12", "manylinux2014_x86_64"),
}
DISPATCH = (
    "#!/bin/sh\n"
    'JUJU_DISPATCH_PATH="${JUJU_DISPATCH_PATH:-$0}" PYTHONPATH=lib:venv:src \\\n'
    "  exec /usr/bin/env python3 ./src/charm.py\n"
)
HOOKS = ("install", "start", "upgrade-charm")
_EPOCH = (1980, 1, 1, 0, 0, 0)


class CharmBuildError(RuntimeError):
    """The charm folder is not buildable; the message names the file and field."""


@dataclass(frozen=True)
class CharmSpec:
    """What charmcraft.yaml declares that the .charm needs."""

    root: Path
    name: str
    base: str
    data: dict[str, Any]

    @property
    def filename(self) -> str:
        """Charmcraft's artifact name, e.g. ``locus-vnf-proxy_ubuntu-22.04-amd64.charm``."""
        return f"{self.name}_{self.base.replace('@', '-')}-amd64.charm"


def load_spec(root: Path) -> CharmSpec:
    """Read and check ``root/charmcraft.yaml`` (unified format)."""
    path = root / "charmcraft.yaml"
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise CharmBuildError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CharmBuildError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CharmBuildError(f"{path}: expected a mapping")
    for key in ("name", "summary", "description", "base"):
        if not data.get(key):
            raise CharmBuildError(f"{path}: '{key}' is required")
    if data["base"] not in BASES:
        raise CharmBuildError(f"{path}: base: {data['base']!r} is not one of {', '.join(BASES)}")
    if not (root / "src" / "charm.py").is_file():
        raise CharmBuildError(f"{root}/src/charm.py: missing")
    return CharmSpec(root, str(data["name"]), str(data["base"]), data)


def find_charm_source(name: str, start: Path) -> Path | None:
    """The folder ``charms/NAME`` (with charmcraft.yaml) of the repository holding ``start``."""
    for folder in [start, *start.resolve().parents][:4]:
        candidate = folder / "charms" / name
        if (candidate / "charmcraft.yaml").is_file():
            return candidate
    return None


def _cache_dir() -> Path:
    base = os.environ.get("OSM_LOCUS_CACHE") or Path.home() / ".cache" / "osm-locus"
    return Path(base) / "charm-venv"


def _venv(spec: CharmSpec) -> Path:
    """The charm's dependencies for its base, installed once per requirements content."""
    requirements = spec.root / "requirements.txt"
    text = requirements.read_text() if requirements.is_file() else ""
    python, platform = BASES[spec.base]
    key = hashlib.sha256(f"{python}|{platform}|{text}".encode()).hexdigest()[:16]
    target = _cache_dir() / key
    if (target / ".complete").exists() or not text.strip():
        return target
    tmp = Path(tempfile.mkdtemp(prefix="venv-", dir=_ensure(_cache_dir())))
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(tmp),
        "--platform",
        platform,
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "-r",
        str(requirements),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "no output"
        raise CharmBuildError(
            f"{requirements}: pip could not fetch wheels for {spec.base}: {last}"
        )
    shutil.rmtree(tmp / "bin", ignore_errors=True)  # console scripts: host paths, unused
    (tmp / ".complete").touch()
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _metadata(spec: CharmSpec) -> dict[str, bytes]:
    data = spec.data
    meta: dict[str, Any] = {k: data[k] for k in ("name", "summary", "description") if k in data}
    for key in ("title", "links", "requires", "provides", "peers", "subordinate", "assumes"):
        if key in data:
            meta["display-name" if key == "title" else key] = data[key]
    channel = spec.base.split("@")[1]
    manifest = {
        "charmcraft-version": "3.0.0",
        "charmcraft-started-at": "1980-01-01T00:00:00Z",
        "bases": [{"name": "ubuntu", "channel": channel, "architectures": ["amd64"]}],
        "analysis": {
            "attributes": [
                {"name": "language", "result": "python"},
                {"name": "framework", "result": "operator"},
            ]
        },
    }

    def dump(value: Any) -> bytes:
        return yaml.safe_dump(value, sort_keys=False, default_flow_style=False).encode()

    files = {"metadata.yaml": dump(meta), "manifest.yaml": dump(manifest)}
    if data.get("config"):
        files["config.yaml"] = dump(data["config"])
    if data.get("actions"):
        files["actions.yaml"] = dump(data["actions"])
    return files


def charm_bytes(root: Path) -> tuple[CharmSpec, bytes]:
    """The .charm of the charm folder ``root``, as bytes."""
    spec = load_spec(root)
    entries: dict[str, tuple[bytes, int]] = {
        name: (data, 0o644) for name, data in _metadata(spec).items()
    }
    entries["dispatch"] = (DISPATCH.encode(), 0o755)
    for folder in ("src", "lib"):
        base = root / folder
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    mode = 0o755 if os.access(path, os.X_OK) or path.name == "charm.py" else 0o644
                    entries[path.relative_to(root).as_posix()] = (path.read_bytes(), mode)
    venv = _venv(spec)
    if venv.is_dir():
        for path in sorted(venv.rglob("*")):
            if path.is_file() and path.name != ".complete" and "__pycache__" not in path.parts:
                entries["venv/" + path.relative_to(venv).as_posix()] = (path.read_bytes(), 0o644)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            data, mode = entries[name]
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        for hook in HOOKS:  # symlinks to ../dispatch, as charmcraft makes them
            info = zipfile.ZipInfo(f"hooks/{hook}", _EPOCH)
            info.external_attr = (0o120777) << 16
            info.create_system = 3
            archive.writestr(info, "../dispatch")
    return spec, buffer.getvalue()


def build_charm(root: Path, out_dir: Path) -> Path:
    """Write ``out_dir/<name>_<base>-amd64.charm`` atomically; its path."""
    spec, data = charm_bytes(root)
    _ensure(out_dir)
    target = out_dir / spec.filename
    fd, tmp = tempfile.mkstemp(prefix=f".{spec.filename}.", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def package_extras(source: PackageSource) -> dict[str, bytes]:
    """``charms/NAME.charm`` built for each charm a package folder takes from source."""
    return {
        f"charms/{name}.charm": charm_bytes(folder)[1]
        for name, folder in sorted(source.charm_sources.items())
    }
