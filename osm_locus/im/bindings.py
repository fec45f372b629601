"""pyangbind bindings of OSM's information model, generated once and cached.

OSM's NBI validates descriptors with Python classes that pyangbind generates from the IM's YANG
files (osm/IM Makefile: SOL006 + OSM augments for VNFD/NSD, ``nst.yang`` for netslice templates).
We generate the very same classes from the YANG files shipped in this package, on first use, into
a cache folder keyed by the models' and generator's versions, so validation matches OSM's exactly
without committing 5 MB of generated code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pyangbind

YANG_DIR = Path(__file__).parent / "yang"
SOL006_DIR = YANG_DIR / "etsi-sol006"
AUGMENTS_DIR = YANG_DIR / "osm-augments"
OSM_DIR = YANG_DIR / "osm"


@dataclass(frozen=True)
class Model:
    """One binding module: what pyang compiles and the class the NBI instantiates."""

    name: str
    search_path: tuple[Path, ...]
    sources: tuple[Path, ...]
    root_class: str


def _augments() -> tuple[Path, ...]:
    return tuple(sorted(AUGMENTS_DIR.glob("*.yang")))


MODELS: dict[str, Model] = {
    "vnfd": Model(
        "etsi_nfv_vnfd",
        (SOL006_DIR, AUGMENTS_DIR),
        (*_augments(), SOL006_DIR / "etsi-nfv-vnfd.yang"),
        "etsi_nfv_vnfd",
    ),
    "nsd": Model(
        "etsi_nfv_nsd",
        (SOL006_DIR, AUGMENTS_DIR),
        (*_augments(), SOL006_DIR / "etsi-nfv-nsd.yang"),
        "etsi_nfv_nsd",
    ),
    "nst": Model("nst", (OSM_DIR, SOL006_DIR), (OSM_DIR / "nst.yang",), "nst"),
}

_lock = threading.Lock()
_loaded: dict[str, ModuleType] = {}


class ModelError(RuntimeError):
    """The YANG models could not be compiled into bindings."""


def cache_dir() -> Path:
    """Folder holding generated bindings (``OSM_LOCUS_CACHE`` or the XDG cache)."""
    base = os.environ.get("OSM_LOCUS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "osm-locus"
    )
    return Path(base) / "im"


def _fingerprint(model: Model) -> str:
    digest = hashlib.sha256(f"pyangbind-{_pyangbind_version()}".encode())
    for path in sorted(
        {*model.sources, *(p for d in model.search_path for p in d.glob("*.yang"))}
    ):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _pyangbind_version() -> str:
    from importlib.metadata import version

    return version("pyangbind")


def _generate(model: Model, target: Path) -> None:
    """Run pyang with pyangbind's plugin, as osm/IM's Makefile does; writes atomically."""
    plugin_dir = Path(pyangbind.__file__).parent / "plugin"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    cmd = [
        sys.executable,
        "-c",
        "from pyang.scripts.pyang_tool import run; run()",
        "--path",
        os.pathsep.join(str(p) for p in model.search_path),
        "--plugindir",
        str(plugin_dir),
        "-f",
        "pybind",
        "-o",
        tmp,
        *(str(s) for s in model.sources),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or os.path.getsize(tmp) == 0:
        os.unlink(tmp)
        raise ModelError(f"pyang could not compile the {model.name} model: {proc.stderr.strip()}")
    os.replace(tmp, target)


def binding_path(kind: str) -> Path:
    """Path of the generated binding module for ``kind``, generated if needed."""
    model = MODELS[kind]
    path = cache_dir() / f"{model.name}_{_fingerprint(model)}.py"
    if not path.exists():
        _generate(model, path)
    return path


def load(kind: str) -> ModuleType:
    """Import (once per process) the binding module of ``kind``: vnfd, nsd or nst."""
    with _lock:
        if kind in _loaded:
            return _loaded[kind]
        path = binding_path(kind)
        spec = importlib.util.spec_from_file_location(f"osm_locus_im_{kind}", path)
        if spec is None or spec.loader is None:  # pragma: no cover - importlib contract
            raise ModelError(f"cannot import generated binding {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _loaded[kind] = module
        return module


def root_object(kind: str) -> object:
    """A fresh, empty root object of the model, as the NBI creates one per validation."""
    module = load(kind)
    return getattr(module, MODELS[kind].root_class)()
