"""A real OpenSSH server on loopback with a temporary host key and a test user.

The user gets a password and a PATH whose ``systemctl`` is a recorder (the VM's service manager:
no systemd in a test host); everything else it runs is real (sh, cat, mv, python3).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
sys.path.insert(0, str(SRC))

SSHD = "/usr/sbin/sshd"
USER = "locus-proxy-test"
PASSWORD = "T3st-only-pw"  # a throwaway account of the test host, not a real secret

SYSTEMCTL = """#!/bin/sh
echo "$@" >> "$LOCUS_TEST_LOG"
case "$1" in
  is-active) echo active ;;
  restart) [ "$2" = broken ] && { echo "Job for broken.service failed" >&2; exit 1; } ;;
esac
exit 0
"""


@dataclass(frozen=True)
class Sshd:
    """Where the server listens and what the test user can touch."""

    host: str
    port: int
    user: str
    password: str
    host_key: str  # "ssh-ed25519 AAAA..." as ssh-host-key takes it
    home: Path
    work: Path  # writable by the user: config-dir, systemctl log
    log: Path

    def calls(self) -> list[str]:
        """systemctl invocations so far."""
        return self.log.read_text().splitlines() if self.log.exists() else []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_user() -> pwd.struct_passwd:
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", USER], check=True)
        entry = pwd.getpwnam(USER)
    subprocess.run(["chpasswd"], input=f"{USER}:{PASSWORD}\n", text=True, check=True)
    return entry


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    if not os.path.exists(SSHD):
        pytest.fail(f"{SSHD} missing: run `bash .ci/setup` (installs openssh-server)")
    if os.geteuid() != 0:
        pytest.skip("creating the sshd test user needs root (CI runs as root)")
    user = _ensure_user()
    conf = tmp_path_factory.mktemp("sshd")
    work = Path(f"/tmp/locus-proxy-test-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    (work / "bin").mkdir(parents=True)
    (work / "bin" / "systemctl").write_text(SYSTEMCTL)
    (work / "bin" / "systemctl").chmod(0o755)
    log = work / "systemctl.log"
    for path in (work, work / "bin"):
        os.chown(path, user.pw_uid, user.pw_gid)
    ssh_dir = Path(user.pw_dir) / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "environment").write_text(
        f"PATH={work}/bin:/usr/local/bin:/usr/bin:/bin\nLOCUS_TEST_LOG={log}\n"
    )
    for path in (ssh_dir, ssh_dir / "environment"):
        os.chown(path, user.pw_uid, user.pw_gid)
    authorized = ssh_dir / "authorized_keys"
    authorized.unlink(missing_ok=True)
    host_key_file = conf / "host_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key_file)], check=True
    )
    host_key = " ".join(Path(f"{host_key_file}.pub").read_text().split()[:2])
    port = _free_port()
    (conf / "sshd_config").write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key_file}",
                f"PidFile {conf}/sshd.pid",
                "PasswordAuthentication yes",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "UsePAM no",
                "PermitRootLogin no",
                "PermitUserEnvironment yes",
                "StrictModes no",
                f"AllowUsers {USER}",
                "MaxStartups 50",
                "LogLevel ERROR",
                "",
            ]
        )
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(conf / "sshd_config")])
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"sshd did not start on 127.0.0.1:{port}")
            time.sleep(0.02)
    try:
        yield Sshd("127.0.0.1", port, USER, PASSWORD, host_key, Path(user.pw_dir), work, log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
        authorized.unlink(missing_ok=True)


@pytest.fixture
def fresh(sshd: Sshd) -> Sshd:
    """The server with an empty systemctl log and no LOCUS config from an earlier test."""
    sshd.log.unlink(missing_ok=True)
    shutil.rmtree(sshd.work / "etc", ignore_errors=True)
    (sshd.home / ".ssh" / "authorized_keys").unlink(missing_ok=True)
    return sshd


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The charm's key location for this test."""
    path = tmp_path / "keys" / "id_locus_proxy"
    monkeypatch.setenv("LOCUS_PROXY_KEY", str(path))
    return path
