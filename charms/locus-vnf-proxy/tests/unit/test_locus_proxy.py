"""The plain SSH/config module: validation, keys, quoting (no ops, some with the real sshd)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Sshd
from locus_proxy import (
    InvalidParameterError,
    LocusVm,
    Remote,
    Service,
    SshSettings,
    generate_keypair,
    store_keypair,
    valid_host,
    valid_port,
    valid_url,
)


@pytest.mark.parametrize("value", ["10.0.0.1", "::1", "edge-1.locus.lab", "e"])
def test_valid_hosts(value: str) -> None:
    assert valid_host(value) == value


@pytest.mark.parametrize(
    "value", ["", "a b", "x;id", "$(id)", "`id`", "-oProxyCommand=x", "a..b", "x" * 300]
)
def test_invalid_hosts(value: str) -> None:
    with pytest.raises(InvalidParameterError, match="is not an IP address or host name"):
        valid_host(value)


@pytest.mark.parametrize("value", ["0", "65536", "80 && id", "8080.5", "-1", "0x50", None])
def test_invalid_ports(value: object) -> None:
    with pytest.raises(InvalidParameterError, match="is not a port number"):
        valid_port(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://x:1", "must start with one of"),
        ("kafka://x:99999", "invalid port"),
        ("kafka://x;id:9092", "is not an IP address or host name"),
        ("kafka://x:9092/$(id)", "characters a URL cannot have"),
    ],
)
def test_invalid_urls(value: str, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        valid_url(value, "bus-url", {"kafka", "mqtt"})


def test_keypair_is_openssh_and_stored_privately(tmp_path: Path) -> None:
    pair = generate_keypair("unit-0@osm")
    assert pair.public.startswith("ssh-ed25519 ") and pair.public.endswith(" unit-0@osm")
    assert "PRIVATE" not in repr(pair)
    store_keypair(pair, tmp_path / "k" / "id")
    assert (tmp_path / "k" / "id").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "k" / "id.pub").read_text() == pair.public + "\n"


def test_one_connection_per_vm_object(fresh: Sshd) -> None:
    remote = Remote(SshSettings(fresh.host, fresh.user, fresh.port, fresh.password, timeout=5))
    vm = LocusVm(remote, Service(config_dir=f"{fresh.work}/etc/locus", sudo=False))
    vm.verify()
    first = remote._client
    vm.configure_upstream("10.9.9.9", 8081, 1)
    vm.health()
    assert remote._client is first  # reused, not reopened
    remote.close()
    assert json.loads((fresh.work / "etc/locus/cloud.json").read_text())["edge_port"] == 8081


def test_sudo_prefix_and_quoting(fresh: Sshd) -> None:
    remote = Remote(SshSettings(fresh.host, fresh.user, fresh.port, fresh.password, timeout=5))
    # "sudo -n" without passwordless sudo fails on the VM: the action reports sudo's own error
    vm = LocusVm(remote, Service(config_dir=f"{fresh.work}/etc/locus", sudo=True))
    with pytest.raises(Exception, match=r"sudo on 127.0.0.1 exited \d+"):
        vm.restart()
    # odd but valid words arrive intact, as one argument each
    out = remote.run(["printf", "%s|", "a b", "it's", "$HOME", "`id`"]).stdout
    assert out == "a b|it's|$HOME|`id`|"
    remote.close()
