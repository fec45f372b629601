#!/usr/bin/env python3
"""LOCUS VNF proxy charm: OSM's proxy-charm contract as thin ``ops`` glue over locus_proxy.

OSM sets the ``ssh-*`` config (``ssh-hostname`` from the VDU's management IP), then runs the
VNFD's initial-config-primitives and Day-2 config-primitives as this charm's actions.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import ops
from locus_proxy import (
    LocusVm,
    ProxyError,
    Remote,
    Service,
    SshSettings,
    generate_keypair,
    store_keypair,
)

log = logging.getLogger(__name__)


def key_path() -> Path:
    """Where the charm keeps its SSH key (as charms.osm did: ~/.ssh of the unit's user)."""
    return Path(os.environ.get("LOCUS_PROXY_KEY", Path.home() / ".ssh" / "id_locus_proxy"))


class LocusVnfProxyCharm(ops.CharmBase):
    """Actions of the VNFD's primitives; status says whether the VM is reachable."""

    _stored = ops.StoredState()

    def __init__(self, framework: ops.Framework) -> None:
        super().__init__(framework)
        self._stored.set_default(host_key="")
        self._remote: Remote | None = None
        on = self.on
        framework.observe(on.install, self._on_config)
        framework.observe(on.config_changed, self._on_config)
        framework.observe(on.upgrade_charm, self._on_config)
        framework.observe(on.generate_ssh_key_action, self._on_generate_ssh_key)
        framework.observe(on.get_ssh_public_key_action, self._on_get_ssh_public_key)
        framework.observe(on.verify_ssh_credentials_action, self._on_verify)
        framework.observe(on.configure_upstream_action, self._on_configure_upstream)
        framework.observe(on.set_data_bus_action, self._on_set_data_bus)
        framework.observe(on.restart_service_action, self._on_restart)
        framework.observe(on.health_check_action, self._on_health)
        framework.observe(framework.on.pre_commit, self._close)

    # --- plumbing ---------------------------------------------------------------------------
    def _settings(self) -> SshSettings:
        c = self.config
        return SshSettings(
            host=str(c["ssh-hostname"]),
            username=str(c["ssh-username"]),
            port=int(c["ssh-port"]),
            password=str(c["ssh-password"]),
            key_path=key_path(),
            host_key=str(c["ssh-host-key"]),
            timeout=float(c["ssh-timeout"]),
        )

    def _vm(self) -> LocusVm:
        """The VM, over one SSH connection for the whole hook."""
        if self._remote is None:
            self._remote = Remote(self._settings())
        c = self.config
        return LocusVm(
            self._remote,
            Service(
                str(c["service-name"]),
                str(c["config-dir"]),
                int(c["service-port"]),
                bool(c["use-sudo"]),
            ),
        )

    def _close(self, _: ops.EventBase) -> None:
        if self._remote is not None:
            if self._remote.accepted_host_key and not self.config["ssh-host-key"]:
                self._stored.host_key = self._remote.accepted_host_key
            self._remote.close()
            self._remote = None

    def _run(self, event: ops.ActionEvent, work: Any) -> None:
        """Run ``work()``; its dict is the action's result, a ProxyError fails the action."""
        if not self.config["ssh-hostname"]:
            event.fail("ssh-hostname is not set")
            return
        try:
            results = work()
        except ProxyError as exc:
            log.error("action %s failed: %s", event.handle.kind, exc)
            self.unit.status = ops.BlockedStatus(str(exc)[:120])
            event.fail(str(exc))
            return
        self.unit.status = ops.ActiveStatus()
        event.set_results(results)

    # --- events -----------------------------------------------------------------------------
    def _on_config(self, _: ops.EventBase) -> None:
        if not self.config["ssh-hostname"]:
            self.unit.status = ops.WaitingStatus("waiting for ssh-hostname")
        elif not (self.config["ssh-password"] or key_path().exists()):
            self.unit.status = ops.BlockedStatus("set ssh-password or run generate-ssh-key")
        else:
            self.unit.status = ops.ActiveStatus()

    def _on_generate_ssh_key(self, event: ops.ActionEvent) -> None:
        pair = generate_keypair(f"{self.unit.name.replace('/', '-')}@osm-locus")
        store_keypair(pair, key_path())
        event.set_results({"pubkey": pair.public})

    def _on_get_ssh_public_key(self, event: ops.ActionEvent) -> None:
        public = Path(f"{key_path()}.pub")
        if not public.exists():
            event.fail("no SSH key yet: run generate-ssh-key")
            return
        event.set_results({"pubkey": public.read_text().strip()})

    def _on_verify(self, event: ops.ActionEvent) -> None:
        if not self.config["ssh-hostname"]:
            event.fail("ssh-hostname is not set")
            return
        try:
            user = self._vm().verify()
        except ProxyError as exc:
            log.error("verify-ssh-credentials failed: %s", exc)
            self.unit.status = ops.BlockedStatus(str(exc)[:120])
            event.set_results({"verified": False})
            event.fail(str(exc))
            return
        self.unit.status = ops.ActiveStatus()
        event.set_results({"verified": True, "user": user})

    def _on_configure_upstream(self, event: ops.ActionEvent) -> None:
        p = event.params
        self._run(
            event,
            lambda: self._vm().configure_upstream(
                p["edge-host"], p.get("edge-port", 8080), p.get("timeout", 5)
            ),
        )

    def _on_set_data_bus(self, event: ops.ActionEvent) -> None:
        p = event.params
        self._run(
            event,
            lambda: self._vm().set_data_bus(
                p["bus-url"], p.get("topic", "locus"), p.get("monitoring-url", "")
            ),
        )

    def _on_restart(self, event: ops.ActionEvent) -> None:
        def work() -> dict[str, Any]:
            self._vm().restart()
            return {"restarted": self.config["service-name"]}

        self._run(event, work)

    def _on_health(self, event: ops.ActionEvent) -> None:
        self._run(event, lambda: self._vm().health())


if __name__ == "__main__":  # pragma: no cover - run by the dispatch script
    ops.main(LocusVnfProxyCharm)
