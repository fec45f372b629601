"""Every action of the charm with ops.testing (Scenario) against a real sshd on loopback."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from charm import LocusVnfProxyCharm
from conftest import Sshd
from ops import testing

ROOT = Path(__file__).resolve().parents[2]


def config(sshd: Sshd, **extra: Any) -> dict[str, Any]:
    """OSM's ssh-* config for the test VM, plus the test host's service layout."""
    return {
        "ssh-hostname": sshd.host,
        "ssh-port": sshd.port,
        "ssh-username": sshd.user,
        "ssh-password": sshd.password,
        "ssh-timeout": 5,
        "use-sudo": False,
        "config-dir": f"{sshd.work}/etc/locus",
        **extra,
    }


def act(
    name: str, cfg: dict[str, Any], params: dict[str, Any] | None = None
) -> tuple[testing.Context, testing.State]:
    ctx = testing.Context(LocusVnfProxyCharm, charm_root=ROOT)
    state = ctx.run(ctx.on.action(name, params=params or {}), testing.State(config=cfg))
    return ctx, state


def test_verify_with_password(fresh: Sshd, key_file: Path) -> None:
    ctx, state = act("verify-ssh-credentials", config(fresh))
    assert ctx.action_results == {"verified": True, "user": fresh.user}
    assert state.unit_status == testing.ActiveStatus()


def test_wrong_password_blocks_and_fails(fresh: Sshd, key_file: Path) -> None:
    ctx = testing.Context(LocusVnfProxyCharm, charm_root=ROOT)
    cfg = config(fresh, **{"ssh-password": "not-the-password"})
    with pytest.raises(testing.ActionFailed) as failed:
        ctx.run(ctx.on.action("verify-ssh-credentials"), testing.State(config=cfg))
    assert failed.value.message == f"authentication failed for {fresh.user}@127.0.0.1:{fresh.port}"
    assert failed.value.state.unit_status == testing.BlockedStatus(failed.value.message)
    assert ctx.action_results == {"verified": False}
    out = failed.value.state
    assert "not-the-password" not in repr(out.stored_states) + str(out.unit_status)


def test_osm_key_flow_generate_get_install_verify_run(fresh: Sshd, key_file: Path) -> None:
    ctx, _ = act("generate-ssh-key", config(fresh))
    pubkey = ctx.action_results["pubkey"]
    assert pubkey.startswith("ssh-ed25519 ") and key_file.exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    ctx, _ = act("get-ssh-public-key", config(fresh))
    assert ctx.action_results == {"pubkey": pubkey}
    # OSM installs the public key on the VM (cloud-init); here: the test user's authorized_keys
    authorized = fresh.home / ".ssh" / "authorized_keys"
    authorized.write_text(pubkey + "\n")
    keyed = config(fresh, **{"ssh-password": ""})  # no password: only the key can log in
    ctx, _ = act("verify-ssh-credentials", keyed)
    assert ctx.action_results["verified"] is True
    ctx, _ = act("configure-upstream", keyed, {"edge-host": "10.101.0.10", "edge-port": 8080})
    written = json.loads((fresh.work / "etc" / "locus" / "cloud.json").read_text())
    assert written == {"edge_host": "10.101.0.10", "edge_port": 8080, "timeout": 5}
    assert fresh.calls() == ["restart locus-cloud"]


def test_get_public_key_before_generate_fails(fresh: Sshd, key_file: Path) -> None:
    ctx = testing.Context(LocusVnfProxyCharm, charm_root=ROOT)
    with pytest.raises(testing.ActionFailed, match="run generate-ssh-key"):
        ctx.run(ctx.on.action("get-ssh-public-key"), testing.State(config=config(fresh)))


def test_configure_upstream_set_data_bus_restart_health(
    fresh: Sshd, key_file: Path, tmp_path: Path
) -> None:
    ctx, _state = act(
        "configure-upstream",
        config(fresh),
        {"edge-host": "edge.locus.lab", "edge-port": 9090, "timeout": 2},
    )
    assert ctx.action_results == {
        "config": f"{fresh.work}/etc/locus/cloud.json",
        "upstream": "edge.locus.lab:9090",
    }
    ctx, _ = act(
        "set-data-bus",
        config(fresh),
        {
            "bus-url": "kafka://10.0.0.7:9092",
            "topic": "locus.records",
            "monitoring-url": "http://pgw:9091",
        },
    )
    bus = json.loads((fresh.work / "etc" / "locus" / "databus.json").read_text())
    assert bus == {
        "bus_url": "kafka://10.0.0.7:9092",
        "topic": "locus.records",
        "monitoring_url": "http://pgw:9091",
    }
    ctx, _ = act("restart-service", config(fresh))
    assert ctx.action_results == {"restarted": "locus-cloud"}
    assert fresh.calls() == ["restart locus-cloud"] * 3
    # health: the real forwarder, configured by the charm's file, answering on a free port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    forwarder = subprocess.Popen(
        [
            sys.executable,
            str(ROOT.parents[1] / "osm_locus" / "apps" / "locus_cloud.py"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--config",
            f"{fresh.work}/etc/locus/cloud.json",
        ],
    )
    try:
        _wait_port(port)
        ctx, _ = act("health-check", config(fresh, **{"service-port": port}))
    finally:
        forwarder.terminate()
        forwarder.wait(timeout=10)
    assert ctx.action_results == {
        "service": "active",
        "upstream": "edge.locus.lab:9090",
        "http": "200",
    }
    ctx, _ = act("health-check", config(fresh, **{"service-port": port}))
    assert ctx.action_results["http"] == "unreachable"


def test_failed_restart_fails_the_action_with_stderr(fresh: Sshd, key_file: Path) -> None:
    ctx = testing.Context(LocusVnfProxyCharm, charm_root=ROOT)
    state = testing.State(config=config(fresh, **{"service-name": "broken"}))
    with pytest.raises(testing.ActionFailed) as failed:
        ctx.run(ctx.on.action("restart-service"), state)
    assert failed.value.message == "systemctl on 127.0.0.1 exited 1: Job for broken.service failed"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"edge-host": "10.0.0.1; touch /tmp/pwned"}, "is not an IP address or host name"),
        ({"edge-host": "$(touch /tmp/pwned)"}, "is not an IP address or host name"),
        ({"edge-host": "`id`.example"}, "is not an IP address or host name"),
    ],
)
def test_injection_attempts_are_refused_before_reaching_the_vm(
    fresh: Sshd, key_file: Path, params: dict[str, Any], message: str
) -> None:
    ctx = testing.Context(LocusVnfProxyCharm, charm_root=ROOT)
    with pytest.raises(testing.ActionFailed, match=message):
        ctx.run(
            ctx.on.action("configure-upstream", params=params), testing.State(config=config(fresh))
        )
    assert fresh.calls() == [] and not Path("/tmp/pwned").exists()


def test_values_reach_the_vm_as_data_not_shell(fresh: Sshd, key_file: Path) -> None:
    topic = "t-$(id)"  # not a valid topic: refused
    ctx = testing.Context(LocusVnfProxyCharm, charm_root=ROOT)
    with pytest.raises(testing.ActionFailed, match="is not a topic name"):
        ctx.run(
            ctx.on.action("set-data-bus", params={"bus-url": "mqtt://b:1883", "topic": topic}),
            testing.State(config=config(fresh)),
        )
    # a config-dir with spaces or metacharacters is refused too
    with pytest.raises(testing.ActionFailed, match="is not a plain absolute path"):
        ctx.run(
            ctx.on.action("restart-service"),
            testing.State(config=config(fresh, **{"config-dir": "/tmp/x; rm -rf /"})),
        )


def test_unreachable_host_fails_within_the_timeout(key_file: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never sends an SSH banner
    port = silent.getsockname()[1]
    cfg = {"ssh-hostname": "127.0.0.1", "ssh-port": port, "ssh-password": "x", "ssh-timeout": 1}
    ctx = testing.Context(LocusVnfProxyCharm, charm_root=ROOT)
    started = time.monotonic()
    try:
        with pytest.raises(testing.ActionFailed) as failed:
            ctx.run(ctx.on.action("verify-ssh-credentials"), testing.State(config=cfg))
    finally:
        silent.close()
    assert time.monotonic() - started < 5
    assert failed.value.message == (
        f"cannot reach ubuntu@127.0.0.1:{port}: no SSH server answered within 1 s"
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    cfg["ssh-port"] = closed
    with pytest.raises(
        testing.ActionFailed, match=f"cannot reach ubuntu@127.0.0.1:{closed}: connection refused"
    ):
        ctx.run(ctx.on.action("verify-ssh-credentials"), testing.State(config=cfg))


def test_host_key_pinning(fresh: Sshd, key_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    ctx, state = act("verify-ssh-credentials", config(fresh))
    assert "without a pin; set ssh-host-key" in caplog.text
    stored = next(s for s in state.stored_states if s.owner_path == "LocusVnfProxyCharm")
    assert stored.content["host_key"] == fresh.host_key
    ctx, _ = act("verify-ssh-credentials", config(fresh, **{"ssh-host-key": fresh.host_key}))
    assert ctx.action_results["verified"] is True
    from locus_proxy import generate_keypair

    wrong = " ".join(generate_keypair().public.split()[:2])
    ctx = testing.Context(LocusVnfProxyCharm, charm_root=ROOT)
    with pytest.raises(testing.ActionFailed, match="does not match ssh-host-key"):
        ctx.run(
            ctx.on.action("verify-ssh-credentials"),
            testing.State(config=config(fresh, **{"ssh-host-key": wrong})),
        )


def test_secrets_never_in_results_or_logs(
    fresh: Sshd, key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name, params in (
        ("verify-ssh-credentials", {}),
        ("configure-upstream", {"edge-host": "10.1.1.1"}),
        ("generate-ssh-key", {}),
        ("health-check", {}),
    ):
        ctx, _state = act(name, config(fresh), params)
        assert fresh.password not in json.dumps(ctx.action_results)
        assert "PRIVATE KEY" not in json.dumps(ctx.action_results)
    bad = config(fresh, **{"ssh-password": "Wr0ng-" + fresh.password})
    ctx = testing.Context(LocusVnfProxyCharm, charm_root=ROOT)
    with pytest.raises(testing.ActionFailed) as failed:
        ctx.run(ctx.on.action("verify-ssh-credentials"), testing.State(config=bad))
    text = caplog.text + failed.value.message + str(failed.value.state.unit_status)
    assert fresh.password not in text and "PRIVATE KEY" not in text


def test_status_follows_config(key_file: Path) -> None:
    ctx = testing.Context(LocusVnfProxyCharm, charm_root=ROOT)
    state = ctx.run(ctx.on.config_changed(), testing.State(config={}))
    assert state.unit_status == testing.WaitingStatus("waiting for ssh-hostname")
    state = ctx.run(ctx.on.config_changed(), testing.State(config={"ssh-hostname": "10.0.0.1"}))
    assert state.unit_status == testing.BlockedStatus("set ssh-password or run generate-ssh-key")
    state = ctx.run(
        ctx.on.config_changed(),
        testing.State(config={"ssh-hostname": "10.0.0.1", "ssh-password": "x"}),
    )
    assert state.unit_status == testing.ActiveStatus()


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise AssertionError(f"nothing listens on {port}")
