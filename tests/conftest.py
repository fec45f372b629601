"""Shared fixtures: the repository's packages and helpers to make broken copies of them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages"
SHIPPED = sorted(p for p in PACKAGES.iterdir() if p.is_dir())

Mutator = Callable[[dict[str, Any]], None]


def descriptor_file(package: Path) -> Path:
    """The one descriptor of a package folder."""
    (found,) = [p for p in package.iterdir() if p.suffix in (".yaml", ".yml", ".json")]
    return found


@pytest.fixture
def copy_package(tmp_path: Path) -> Callable[..., Path]:
    """Copy a shipped package into tmp_path, optionally editing its descriptor document."""

    def _copy(name: str, mutate: Mutator | None = None) -> Path:
        target = tmp_path / name
        shutil.copytree(PACKAGES / name, target)
        charms = tmp_path / "charms"
        if not charms.exists():  # the repository's charm sources, found as from packages/
            charms.symlink_to(ROOT / "charms", target_is_directory=True)
        if mutate is not None:
            path = descriptor_file(target)
            document = yaml.safe_load(path.read_text())
            mutate(document)
            path.write_text(yaml.safe_dump(document, sort_keys=False))
        return target

    return _copy
