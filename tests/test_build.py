"""`osm-locus package build`: checksums, one top folder, identical rebuilds, all-or-nothing."""

from __future__ import annotations

import hashlib
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from osm_locus.cli import main
from osm_locus.package import build as build_mod
from osm_locus.package import validate_packages
from osm_locus.package.build import BuildError, build_report
from tests.conftest import PACKAGES, SHIPPED


def test_archive_layout_and_checksums(tmp_path: Path) -> None:
    (built,) = build_report(validate_packages([PACKAGES / "locus_edge_knf"]), tmp_path)
    assert built.archive == tmp_path / "locus_edge_knf.tar.gz"
    with tarfile.open(built.archive) as tar:
        names = tar.getnames()
        assert {n.split("/")[0] for n in names} == {"locus_edge_knf"}
        files = {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in tar if m.isfile()}
        assert all(m.uid == 0 and m.gid == 0 and m.uname == "" for m in tar)
    assert "helm-charts/locus-edge/templates/deployment.yaml" in files
    lines = files.pop("checksums.txt").decode().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    assert listed == {name: hashlib.md5(data).hexdigest() for name, data in files.items()}


def test_same_input_gives_identical_bytes(tmp_path: Path) -> None:
    first = build_report(validate_packages(SHIPPED), tmp_path / "a")
    for package in SHIPPED:  # mtimes and file order on disk must not matter
        for path in package.rglob("*"):
            os.utime(path, (1_000_000_000, 1_000_000_000))
    second = build_report(validate_packages(list(reversed(SHIPPED))), tmp_path / "b")
    digests = {b.name: b.archive.read_bytes() for b in first}
    assert len(digests) == len(SHIPPED)
    assert all(digests[b.name] == b.archive.read_bytes() for b in second)


def test_content_change_changes_archive(tmp_path: Path, copy_package: Callable[..., Path]) -> None:
    original = build_report(validate_packages([PACKAGES / "locus_edge_ns"]), tmp_path / "a")[0]
    changed = copy_package("locus_edge_ns", lambda d: d["nsd"]["nsd"][0].update(version="1.1"))
    rebuilt = build_report(validate_packages([changed]), tmp_path / "b")[0]
    assert original.archive.read_bytes() != rebuilt.archive.read_bytes()


def test_invalid_package_writes_no_archive(
    tmp_path: Path, copy_package: Callable[..., Path]
) -> None:
    broken = copy_package("locus_cloud_vnf", lambda d: d["vnfd"].pop("mgmt-cp"))
    out = tmp_path / "out"
    with pytest.raises(BuildError) as info:
        build_report(validate_packages([PACKAGES / "locus_edge_ns", broken]), out)
    assert "mgmt-cp" in str(info.value.problems[0])
    assert not out.exists() or list(out.iterdir()) == []


def test_failure_while_writing_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        if str(dst).endswith("locus_edge_ns.tar.gz"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(build_mod.os, "replace", failing_replace)
    with pytest.raises(OSError):
        build_report(validate_packages([PACKAGES / "locus_edge_ns"]), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cli_build_reports_and_fails_cleanly(
    tmp_path: Path, copy_package: Callable[..., Path]
) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["package", "build", *map(str, SHIPPED), "-o", str(tmp_path / "ok")])
    assert ok.exit_code == 0, ok.output
    assert "5 package(s) valid: 0 error(s), 0 warning(s)" in ok.output
    assert sorted(p.name for p in (tmp_path / "ok").iterdir()) == sorted(
        f"{p.name}.tar.gz" for p in SHIPPED
    )

    broken = copy_package(
        "locus_edge_knf", lambda d: d["vnfd"]["kdu"][0].update({"helm-chart": "A/B"})
    )
    bad = runner.invoke(main, ["package", "build", str(broken), "-o", str(tmp_path / "bad")])
    assert bad.exit_code == 1
    assert (
        "locus_edge_knf/locus_edge_knfd.yaml: vnfd.kdu[locus-edge].helm-chart: helm-chart "
        "'A/B' is not valid" in bad.output
    )
    assert "build failed: 1 error(s): no archive written" in bad.output
    assert not (tmp_path / "bad").exists()


def test_executable_bit_is_kept(tmp_path: Path, copy_package: Callable[..., Path]) -> None:
    package = copy_package("locus_cloud_vnf")
    script = package / "scripts" / "probe.sh"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\necho ok\n")
    script.chmod(0o755)
    (built,) = build_report(validate_packages([package]), tmp_path / "out")
    with tarfile.open(built.archive) as tar:
        assert tar.getmember("locus_cloud_vnf/scripts/probe.sh").mode == 0o755
        assert tar.getmember("locus_cloud_vnf/locus_cloud_vnfd.yaml").mode == 0o644
        document = yaml.safe_load(tar.extractfile("locus_cloud_vnf/locus_cloud_vnfd.yaml").read())
    assert document["vnfd"]["id"] == "locus_cloud_vnf"
