"""`osm-locus charm build`: a valid, deterministic .charm that packages embed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from osm_locus.charm.build import CharmBuildError, build_charm, load_spec
from osm_locus.cli import main
from tests.conftest import ROOT

CHARM = ROOT / "charms" / "locus-vnf-proxy"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_charm(CHARM, tmp_path_factory.mktemp("charm"))


def test_layout(built: Path) -> None:
    assert built.name == "locus-vnf-proxy_ubuntu-22.04-amd64.charm"
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
        assert {
            "dispatch",
            "metadata.yaml",
            "config.yaml",
            "actions.yaml",
            "manifest.yaml",
        } <= names
        assert {"src/charm.py", "src/locus_proxy.py", "venv/ops/__init__.py"} <= names
        assert "venv/paramiko/__init__.py" in names
        assert not [n for n in names if n.endswith(".pyc")]
        assert archive.getinfo("dispatch").external_attr >> 16 & 0o777 == 0o755
        hook = archive.getinfo("hooks/install")
        assert (hook.external_attr >> 16) & 0o170000 == 0o120000  # a symlink
        assert archive.read("hooks/install") == b"../dispatch"
        manifest = archive.read("manifest.yaml").decode()
        assert "channel: '22.04'" in manifest and "- amd64" in manifest
        # the venv holds wheels for the base's CPython 3.10, not the build host's
        assert any("cp310" in n or "abi3" in n for n in names if n.endswith("WHEEL") or ".so" in n)


def test_deterministic(built: Path, tmp_path: Path) -> None:
    again = build_charm(CHARM, tmp_path)
    assert (
        hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(built.read_bytes()).digest()
    )


def test_charmcraft_analyse_all_ok(built: Path) -> None:
    charmcraft = shutil.which("charmcraft")
    assert charmcraft, "charmcraft (PyPI) is a test dependency"
    out = subprocess.run(
        [charmcraft, "analyse", "--format", "json", str(built)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    results = {r["name"]: r["result"] for r in json.loads(out.stdout)}
    assert results["language"] == "python" and results["framework"] == "operator"
    lints = {k: v for k, v in results.items() if k not in ("language", "framework")}
    assert {v for v in lints.values()} <= {"ok", "nonapplicable"}, lints
    assert {"juju-actions", "juju-config", "metadata", "entrypoint", "ops-main-call"} <= {
        k for k, v in lints.items() if v == "ok"
    }


def test_package_build_embeds_the_charm(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["package", "build", str(ROOT / "packages" / "locus_cloud_vnf"), "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    with tarfile.open(tmp_path / "locus_cloud_vnf.tar.gz") as tar:
        member = tar.getmember("locus_cloud_vnf/charms/locus-vnf-proxy.charm")
        checksums = tar.extractfile("locus_cloud_vnf/checksums.txt").read().decode()  # type: ignore[union-attr]
        data = tar.extractfile(member).read()  # type: ignore[union-attr]
    assert f"{hashlib.md5(data).hexdigest()}  charms/locus-vnf-proxy.charm" in checksums
    assert not (ROOT / "packages" / "locus_cloud_vnf" / "charms").exists()  # never committed


def test_cli_and_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["charm", "build", str(CHARM), "-o", str(tmp_path)])
    assert result.exit_code == 0 and "locus-vnf-proxy_ubuntu-22.04-amd64.charm" in result.output
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "charmcraft.yaml").write_text(
        "name: x\nsummary: s\ndescription: d\nbase: ubuntu@18.04\n"
    )
    with pytest.raises(CharmBuildError, match=r"base: 'ubuntu@18\.04' is not one of"):
        load_spec(bad)
    result = CliRunner().invoke(main, ["charm", "build", str(bad), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1 and "charmcraft.yaml: base" in result.output
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def _base_python() -> str | None:
    """A real CPython 3.10 (the ubuntu@22.04 base's), not a shim that runs another one."""
    found = shutil.which("python3.10")
    if found is None:
        return None
    probe = subprocess.run(
        [found, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found if probe.stdout.strip() == "True" else None


BASE_PYTHON = _base_python()


@pytest.mark.skipif(BASE_PYTHON is None, reason="no python3.10 (the ubuntu@22.04 base's) here")
def test_dispatch_runs_an_action_with_stub_hook_tools(built: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "charm"
    with zipfile.ZipFile(built) as archive:
        archive.extractall(unpacked)
    (unpacked / "dispatch").chmod(0o755)
    tools = tmp_path / "bin"
    tools.mkdir()
    results = tmp_path / "results"
    stubs = {
        "action-get": "echo '{}'",
        "action-set": f'echo "$@" >> {results}',
        "action-fail": f'echo "FAIL $@" >> {results}',
        "action-log": "true",
        "juju-log": "true",
        "config-get": 'echo \'{"ssh-hostname": ""}\'',
        "status-get": 'echo \'{"status": "unknown", "message": ""}\'',
        "status-set": "true",
        "is-leader": "echo false",
    }
    for name, body in stubs.items():
        (tools / name).write_text(f"#!/bin/sh\n{body}\n")
        (tools / name).chmod(0o755)
    (tools / "python3").write_text(f'#!/bin/sh\nexec {BASE_PYTHON} "$@"\n')
    (tools / "python3").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{tools}:{os.environ['PATH']}",
        "JUJU_UNIT_NAME": "locus-vnf-proxy/0",
        "JUJU_MODEL_NAME": "osm",
        "JUJU_VERSION": "3.4.0",
        "JUJU_CHARM_DIR": str(unpacked),
        "JUJU_ACTION_NAME": "get-ssh-public-key",
        "JUJU_ACTION_UUID": "1",
        "JUJU_DISPATCH_PATH": "actions/get-ssh-public-key",
        "LOCUS_PROXY_KEY": str(tmp_path / "no-key"),
    }
    out = subprocess.run(
        ["./dispatch"],
        cwd=unpacked,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "FAIL -- no SSH key yet: run generate-ssh-key" in results.read_text()
