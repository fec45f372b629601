"""End to end: the lab's metrics in a real Prometheus drive the loop through the NBI client."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from osm_locus.deploy import deploy
from osm_locus.lab.server import LabServer
from osm_locus.nbi import Connection
from osm_locus.smart.policy import PolicySet
from osm_locus.smart.prometheus import Prometheus
from osm_locus.smart.runner import Runner
from placement.lab import load_lab
from tests.conftest import PACKAGES


def fault(
    lab: LabServer, conn: Connection, method: str, path: str, body: dict[str, object]
) -> None:
    conn.vim_accounts.list()  # a valid token
    reply = requests.request(
        method,
        lab.url.replace("/osm", "/lab/v1") + path,
        json=body,
        headers={"Authorization": f"Bearer {conn._token}"},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text


def until(runner: Runner, done: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, [(e.action.kind, e.error) for e in runner.history]
        runner.round()
        time.sleep(0.3)


def vdus(conn: Connection, name: str) -> list[dict[str, object]]:
    ns = conn.ns.find(name)
    assert ns is not None
    (vnf,) = conn.ns.vnf_instances(ns.id)
    return [dict(u) for u in vnf.units]


def test_load_scales_out_then_in_after_cooldown(lab: LabServer, prometheus: Prometheus) -> None:
    with Connection(lab.url) as conn:
        deploy(conn, "locus_cloud_ns", PACKAGES, name="c1")
        policies = PolicySet.model_validate(
            {
                "interval_s": 0.3,
                "policies": [
                    {
                        "name": "cloud-autoscale",
                        "kind": "scale",
                        "ns": "c1",
                        "member": "cloud",
                        "scaling_group": "cloud-vdu-autoscale",
                        "scale_out_above": 70,
                        "scale_in_below": 30,
                        "for_s": 1,
                        "cooldown_s": 3,
                        "max_instances": 3,
                    }
                ],
            }
        )
        runner = Runner(conn, prometheus, policies, load_lab())
        (vnf,) = conn.ns.vnf_instances(conn.ns.find("c1").id)  # type: ignore[union-attr]
        fault(
            lab, conn, "PUT", f"/vnf_instances/{vnf.id}/load", {"unit": "cloud-vdu", "load": 1.6}
        )
        until(runner, lambda: len(vdus(conn, "c1")) == 3)
        outs = [e for e in runner.history if e.action.kind == "scale_out"]
        assert len(outs) == 2 and all(e.operation and not e.error for e in outs)
        fault(
            lab, conn, "PUT", f"/vnf_instances/{vnf.id}/load", {"unit": "cloud-vdu", "load": 0.3}
        )
        dropped = time.time()
        until(runner, lambda: len(vdus(conn, "c1")) == 1)
        ins = [e for e in runner.history if e.action.kind == "scale_in"]
        assert len(ins) == 2
        times = runner.states["cloud-autoscale"].action_times
        assert times[-1] - times[-2] >= 3  # cooldown between the two scale-ins
        assert times[-2] >= dropped  # nothing scaled in before the load dropped
        assert "< 30" in ins[0].action.reason


def heal_policy(**extra: object) -> PolicySet:
    policy: dict[str, object] = {
        "name": "cloud-heal",
        "kind": "heal",
        "ns": "c1",
        "member": "cloud",
        "restart_primitive": "restart-service",
        "settle_s": 1,
        "cooldown_s": 0,
    }
    policy.update(extra)
    return PolicySet.model_validate({"interval_s": 0.3, "policies": [policy]})


def test_killed_vdu_is_healed_after_a_restart_did_not_help(
    lab: LabServer, prometheus: Prometheus
) -> None:
    with Connection(lab.url) as conn:
        deploy(conn, "locus_cloud_ns", PACKAGES, name="c1")
        (vnf,) = conn.ns.vnf_instances(conn.ns.find("c1").id)  # type: ignore[union-attr]
        fault(lab, conn, "POST", f"/vnf_instances/{vnf.id}/fail", {"vdu-id": "cloud-vdu"})
        assert vdus(conn, "c1")[0]["status"] == "ERROR"
        runner = Runner(conn, prometheus, heal_policy(), load_lab())
        until(runner, lambda: vdus(conn, "c1")[0]["status"] == "ACTIVE")
        assert [e.action.kind for e in runner.history] == ["restart", "heal"]


def test_site_down_relocates_the_function_elsewhere(
    lab: LabServer, prometheus: Prometheus
) -> None:
    with Connection(lab.url) as conn:
        deploy(conn, "locus_cloud_ns", PACKAGES, name="c1")
        old = conn.ns.find("c1")
        assert old is not None
        fault(lab, conn, "PUT", "/sites/core-openstack", {"up": False})
        runner = Runner(conn, prometheus, heal_policy(restart_primitive=None), load_lab())
        vims = {v.id: v.name for v in conn.vim_accounts.list()}

        def moved() -> bool:
            ns = conn.ns.find("c1")
            if ns is None or ns.id == old.id or ns.state != "READY":
                return False
            (vnf,) = conn.ns.vnf_instances(ns.id)
            return vims[vnf.vim_account] != "core-openstack"

        until(runner, moved)
        assert [e.action.kind for e in runner.history] == ["heal", "relocate"]
        (now,) = [n for n in conn.ns.list() if n.name == "c1"]
        (vnf,) = conn.ns.vnf_instances(now.id)
        assert vims[vnf.vim_account] == "partner-openstack"
        assert all(u["status"] == "ACTIVE" for u in vnf.units)


def test_dry_run_decides_but_does_nothing(lab: LabServer, prometheus: Prometheus) -> None:
    with Connection(lab.url) as conn:
        deploy(conn, "locus_cloud_ns", PACKAGES, name="c1")
        (vnf,) = conn.ns.vnf_instances(conn.ns.find("c1").id)  # type: ignore[union-attr]
        fault(lab, conn, "POST", f"/vnf_instances/{vnf.id}/fail", {"vdu-id": "cloud-vdu"})
        runner = Runner(conn, prometheus, heal_policy(), load_lab(), dry_run=True)
        done = runner.round()
        assert [e.action.kind for e in done] == ["restart"] and done[0].operation is None
        ops = conn.get("/nslcm/v1/ns_lcm_op_occs")
        assert [o["lcmOperationType"] for o in ops] == ["instantiate"]
