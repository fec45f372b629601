"""The SSH work of the LOCUS proxy charm, free of ``ops``: keys, one connection, LOCUS config.

Every value that reaches the VM is validated first and then either quoted (``shlex.join``) or
sent as data on the command's stdin (config files), never pasted into a shell line. Keys are
generated in-process (no ssh-keygen), logins use paramiko (no sshpass), nothing is installed.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import re
import shlex
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

log = logging.getLogger(__name__)

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._-]{0,127}$")
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_BUS_SCHEMES = {"kafka", "mqtt", "mqtts", "amqp", "amqps", "http", "https", "nats"}


class ProxyError(Exception):
    """An SSH or remote-command failure, with a message safe to show (no secret)."""


class InvalidParameterError(ProxyError):
    """A parameter that must not reach the VM."""


# --- validation ------------------------------------------------------------------------------
def valid_host(value: Any, name: str = "edge-host") -> str:
    """An IP address or DNS name."""
    text = str(value).strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if not _HOSTNAME.match(text):
        raise InvalidParameterError(f"{name}: {text!r} is not an IP address or host name")
    return text


def valid_port(value: Any, name: str = "edge-port") -> int:
    """A TCP port number."""
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name}: {value!r} is not a port number") from None
    if not 1 <= port <= 65535 or str(port) != str(value).strip():
        raise InvalidParameterError(f"{name}: {value!r} is not a port number (1-65535)")
    return port


def valid_url(value: Any, name: str, schemes: set[str]) -> str:
    """A URL with one of ``schemes``, a valid host and an optional port."""
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in schemes:
        raise InvalidParameterError(
            f"{name}: {text!r} must start with one of "
            + ", ".join(sorted(s + "://" for s in schemes))
        )
    try:
        port = parts.port
    except ValueError:
        raise InvalidParameterError(f"{name}: {text!r} has an invalid port") from None
    valid_host(parts.hostname or "", name)
    if port is not None:
        valid_port(port, name)
    if any(c.isspace() or c in "'\"`$;|&<>\\" for c in text):
        raise InvalidParameterError(f"{name}: {text!r} contains characters a URL cannot have")
    return text


def valid_unit(value: Any) -> str:
    """A systemd unit name."""
    text = str(value)
    if not _UNIT.match(text):
        raise InvalidParameterError(f"service-name: {text!r} is not a systemd unit name")
    return text


def valid_dir(value: Any) -> str:
    """An absolute directory path without shell or traversal tricks."""
    text = str(value)
    if not text.startswith("/") or ".." in text.split("/") or not re.match(r"^[\w./-]+$", text):
        raise InvalidParameterError(f"config-dir: {text!r} is not a plain absolute path")
    return text.rstrip("/") or "/"


# --- keys --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyPair:
    """An OpenSSH private key (PEM text) and its ``ssh-ed25519 AAAA... comment`` public line."""

    private: str = field(repr=False)
    public: str


def generate_keypair(comment: str = "osm-locus-proxy") -> KeyPair:
    """A fresh Ed25519 key pair, made in-process."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    return KeyPair(private, f"{public} {comment}")


def store_keypair(pair: KeyPair, path: Path) -> None:
    """Write the private key (0600) and ``path.pub``, replacing them atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    for target, text, mode in (
        (path, pair.private, 0o600),
        (Path(f"{path}.pub"), pair.public + "\n", 0o644),
    ):
        tmp = target.with_name(target.name + ".tmp")
        tmp.touch(mode=mode)
        tmp.chmod(mode)
        tmp.write_text(text)
        tmp.replace(target)


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style SHA256 fingerprint of a host key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


# --- SSH ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SshSettings:
    """How to reach the VM. The password never shows in ``repr``."""

    host: str
    username: str
    port: int = 22
    password: str = field(default="", repr=False)
    key_path: Path | None = None
    host_key: str = ""  # "type base64" pinned, or empty to accept and record
    timeout: float = 10.0


@dataclass(frozen=True)
class Result:
    """A remote command's exit status and output."""

    exit_status: int
    stdout: str
    stderr: str


class Remote:
    """One SSH connection to the VM, opened on first use and reused until :meth:`close`."""

    def __init__(self, settings: SshSettings) -> None:
        self.settings = settings
        self._client: paramiko.SSHClient | None = None
        #: Fingerprint of the host key accepted without a pin (to record and warn about).
        self.accepted_host_key: str | None = None

    def connect(self) -> paramiko.SSHClient:
        """Log in (key first when there is one, then password); errors name host and cause."""
        if self._client is not None:
            return self._client
        s = self.settings
        valid_host(s.host, "ssh-hostname")
        client = paramiko.SSHClient()
        if s.host_key:
            kind, _, data = s.host_key.strip().partition(" ")
            try:
                pinned = paramiko.PKey.from_type_string(kind, base64.b64decode(data.split()[0]))
            except (ValueError, IndexError, paramiko.SSHException) as exc:
                raise ProxyError(f"ssh-host-key is not a valid public key: {exc}") from None
            name = s.host if s.port == 22 else f"[{s.host}]:{s.port}"
            client.get_host_keys().add(name, pinned.get_name(), pinned)
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        else:
            client.set_missing_host_key_policy(_Record(self))
        key = None
        if s.key_path is not None and s.key_path.exists():
            key = paramiko.Ed25519Key.from_private_key_file(str(s.key_path))
        where = f"{s.username}@{s.host}:{s.port}"
        try:
            client.connect(
                s.host,
                port=s.port,
                username=s.username,
                password=s.password or None,
                pkey=key,
                timeout=s.timeout,
                banner_timeout=s.timeout,
                auth_timeout=s.timeout,
                allow_agent=False,
                look_for_keys=False,
            )
        except paramiko.BadHostKeyException as exc:
            raise ProxyError(
                f"host key of {s.host} ({fingerprint(exc.key)}) does not match ssh-host-key"
            ) from None
        except paramiko.AuthenticationException:
            raise ProxyError(f"authentication failed for {where}") from None
        except paramiko.SSHException as exc:
            if "not found in known_hosts" in str(exc):
                raise ProxyError(f"host key of {s.host} does not match ssh-host-key") from None
            transport = client.get_transport()
            if transport is None or not transport.remote_version:
                raise ProxyError(
                    f"cannot reach {where}: no SSH server answered within {s.timeout:g} s"
                ) from None
            raise ProxyError(f"SSH to {where} failed: {exc}") from None
        except paramiko.ssh_exception.NoValidConnectionsError:
            raise ProxyError(f"cannot reach {where}: connection refused") from None
        except (TimeoutError, OSError) as exc:
            reason = (
                "timed out"
                if isinstance(exc, socket.timeout | TimeoutError)
                else exc.strerror or str(exc)
            )
            raise ProxyError(f"cannot reach {where}: {reason}") from None
        self._client = client
        return client

    def run(self, argv: list[str], stdin: bytes | None = None, check: bool = True) -> Result:
        """Run ``argv`` (each word quoted) on the VM; non-zero exit raises with its stderr."""
        client = self.connect()
        command = shlex.join(argv)
        try:
            chan_in, chan_out, chan_err = client.exec_command(
                command, timeout=self.settings.timeout
            )
            if stdin is not None:
                chan_in.write(stdin)
            chan_in.channel.shutdown_write()
            out = chan_out.read().decode(errors="replace")
            err = chan_err.read().decode(errors="replace")
            status = chan_out.channel.recv_exit_status()
        except TimeoutError:
            raise ProxyError(f"{argv[0]} on {self.settings.host} timed out") from None
        except paramiko.SSHException as exc:
            raise ProxyError(f"{argv[0]} on {self.settings.host} failed: {exc}") from None
        result = Result(status, out, err)
        if check and status != 0:
            raise ProxyError(
                f"{argv[0]} on {self.settings.host} exited {status}: {err.strip() or out.strip()}"
            )
        return result

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        if self._client is not None:
            self._client.close()
            self._client = None


class _Record(paramiko.MissingHostKeyPolicy):
    """Accept an unknown host key (OSM's default) but remember it for a warning."""

    def __init__(self, remote: Remote) -> None:
        self.remote = remote

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        self.remote.accepted_host_key = f"{key.get_name()} {key.get_base64()}"
        log.warning(
            "accepted host key %s of %s without a pin; set ssh-host-key to pin it",
            fingerprint(key),
            hostname,
        )


# --- the LOCUS forwarder ---------------------------------------------------------------------
@dataclass(frozen=True)
class Service:
    """The forwarder on the VM: its unit, config folder, port and whether to use sudo."""

    name: str = "locus-cloud"
    config_dir: str = "/etc/locus"
    port: int = 8080
    sudo: bool = True

    def _admin(self, argv: list[str]) -> list[str]:
        return ["sudo", "-n", *argv] if self.sudo else argv


class LocusVm:
    """Day-1/Day-2 operations of the LOCUS cloud VNF, over one :class:`Remote`."""

    def __init__(self, remote: Remote, service: Service) -> None:
        self.remote = remote
        self.service = Service(
            valid_unit(service.name),
            valid_dir(service.config_dir),
            valid_port(service.port, "service-port"),
            service.sudo,
        )

    def verify(self) -> str:
        """Log in and run a harmless command; the remote user name."""
        return self.remote.run(["id", "-un"]).stdout.strip()

    def write_json(self, name: str, data: dict[str, Any]) -> str:
        """Write ``config_dir/name`` atomically; the content goes on stdin, not the command."""
        folder = self.service.config_dir
        target = f"{folder}/{name}"
        script = 'set -e; mkdir -p "$1"; umask 022; cat > "$2.tmp"; mv "$2.tmp" "$2"'
        self.remote.run(
            self.service._admin(["sh", "-c", script, "locus-write", folder, target]),
            stdin=(json.dumps(data, indent=2, sort_keys=True) + "\n").encode(),
        )
        return target

    def configure_upstream(
        self, host: Any, port: Any = 8080, timeout: Any = 5.0
    ) -> dict[str, str]:
        """Write cloud.json (edge host/port, deadline) and restart the forwarder."""
        edge_host, edge_port = valid_host(host), valid_port(port)
        try:
            deadline = float(timeout)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"timeout: {timeout!r} is not a number") from None
        if not 0.1 <= deadline <= 300:
            raise InvalidParameterError(f"timeout: {deadline:g} is outside 0.1..300 s")
        path = self.write_json(
            "cloud.json", {"edge_host": edge_host, "edge_port": edge_port, "timeout": deadline}
        )
        self.restart()
        return {"config": path, "upstream": f"{edge_host}:{edge_port}"}

    def set_data_bus(
        self, bus_url: Any, topic: Any = "locus", monitoring_url: Any = ""
    ) -> dict[str, str]:
        """Write databus.json (bus URL, topic, monitoring endpoint) and restart the forwarder."""
        bus = valid_url(bus_url, "bus-url", _BUS_SCHEMES)
        if not _TOPIC.match(str(topic)):
            raise InvalidParameterError(f"topic: {topic!r} is not a topic name")
        monitoring = (
            valid_url(monitoring_url, "monitoring-url", {"http", "https"})
            if monitoring_url
            else ""
        )
        path = self.write_json(
            "databus.json", {"bus_url": bus, "topic": str(topic), "monitoring_url": monitoring}
        )
        self.restart()
        return {"config": path, "bus": bus}

    def restart(self) -> None:
        """Restart the forwarder's systemd unit."""
        self.remote.run(self.service._admin(["systemctl", "restart", self.service.name]))

    def health(self) -> dict[str, str]:
        """The unit's state, the configured upstream and the forwarder's /healthz answer."""
        state = self.remote.run(["systemctl", "is-active", self.service.name], check=False)
        config = self.remote.run(["cat", f"{self.service.config_dir}/cloud.json"], check=False)
        upstream = "unconfigured"
        if config.exit_status == 0:
            try:
                data = json.loads(config.stdout)
                if data.get("edge_host"):
                    upstream = f"{data['edge_host']}:{data.get('edge_port', 8080)}"
            except ValueError:
                upstream = "unreadable"
        probe = (
            "import sys, urllib.request\n"
            "try:\n"
            "    url = f'http://127.0.0.1:{sys.argv[1]}/healthz'\n"
            "    r = urllib.request.urlopen(url, timeout=3)\n"
            "    print(r.status)\n"
            "except Exception as e:\n"
            "    print(getattr(e, 'code', 'unreachable'))\n"
        )
        http = self.remote.run(["python3", "-c", probe, str(self.service.port)], check=False)
        return {
            "service": state.stdout.strip() or "unknown",
            "upstream": upstream,
            "http": http.stdout.strip() or "unreachable",
        }
