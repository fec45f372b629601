"""Benchmark: OSM-style reactive autoscaling against osm-locus's policy, on the same load traces.

Each trace (diurnal, flash crowd, slow ramp; 10 s steps) is replayed through an embedded lab: the
load goes in through the fault API, CPU comes out of the lab's /metrics, decisions go back as NBI
scale operations. Time is simulated (a step is 10 s, operations complete at once), so a run takes
seconds. Baseline, measured in the same run: OSM's loop as its VNFD scaling-policy describes it
(threshold alarm on the 1-minute average, scale-out > 80 %, scale-in < 20 %, fixed 120 s cooldown).
Reported per trace and policy: seconds of SLO violation (CPU above 80 %), instance-hours, actions.
Then time to recover from a killed VDU and from a site going down (OSM-style: detection at the
1-minute alarm granularity, heal in place only; ours: the heal ladder every 5 s).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STEP_S = 10.0
SLO_CPU = 80.0


def traces(steps: int = 360) -> dict[str, list[float]]:
    """Offered load in instances' worth of CPU, one value per 10 s step (1 h by default)."""
    # peaks stay within what 3 instances (the VNFD's maximum) carry under the 80 % SLO
    diurnal = [1.2 + 1.0 * math.sin(2 * math.pi * i / steps - math.pi / 2) for i in range(steps)]
    flash = [0.5 + (1.7 if steps // 3 <= i < steps // 3 + 60 else 0.0) for i in range(steps)]
    ramp = [0.3 + 1.9 * i / steps for i in range(steps)]
    return {"diurnal": diurnal, "flash-crowd": flash, "slow-ramp": ramp}


def _policy(kind: str) -> dict[str, Any]:
    common = {
        "name": "cloud",
        "kind": "scale",
        "ns": "bench",
        "member": "cloud",
        "scaling_group": "cloud-vdu-autoscale",
        "min_instances": 1,
        "max_instances": 3,
        "max_actions_per_hour": 60,
    }
    if kind == "osm":
        return {
            **common,
            "scale_out_above": 80,
            "scale_in_below": 20,
            "for_s": 0,
            "cooldown_s": 120,
        }
    return {
        **common,
        "scale_out_above": 80,
        "scale_in_below": 38,
        "for_s": 0,
        "cooldown_s": 30,
        "predict": {"horizon_s": 10, "window_s": 60},
    }


def _deployed(conn: Any) -> tuple[Any, Any, dict[str, str]]:
    """The cloud NS deployed as "bench": (NS, its VNF, auth header for the lab's fault API)."""
    from osm_locus.deploy import deploy

    deploy(
        conn, "locus_cloud_ns", Path(__file__).resolve().parent.parent / "packages", name="bench"
    )
    ns = conn.ns.find("bench")
    (vnf,) = conn.ns.vnf_instances(ns.id)
    conn.vim_accounts.list()  # a fresh token
    return ns, vnf, {"Authorization": f"Bearer {conn._token}"}


def replay(kind: str, load: list[float]) -> dict[str, Any]:
    """One trace under one policy; SLO seconds, instance-hours, actions."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    from osm_locus.lab.app import create_app
    from osm_locus.lab.server import LabServer
    from osm_locus.nbi import Connection
    from osm_locus.smart.decide import Observation, PolicyState, decide
    from osm_locus.smart.forecast import linear_forecast
    from osm_locus.smart.policy import Policy
    from placement.lab import load_lab

    policy = Policy.model_validate(_policy(kind))
    with LabServer(create_app(load_lab())) as lab, Connection(lab.url) as conn:
        ns, vnf, token = _deployed(conn)
        base = lab.url.replace("/osm", "")

        history: list[tuple[float, float]] = []
        totals: list[tuple[float, float]] = []
        states: dict[str, PolicyState] = {}
        violation_s = instance_s = 0.0
        actions = 0
        for step, offered in enumerate(load):
            now = step * STEP_S
            requests.put(
                f"{base}/lab/v1/vnf_instances/{vnf.id}/load",
                json={"unit": "cloud-vdu", "load": offered},
                headers=token,
                timeout=10,
            )
            text = requests.get(f"{base}/metrics", timeout=10).text
            cpu = [
                s.value
                for f in text_string_to_metric_families(text)
                if f.name == "osm_cpu_utilization"
                for s in f.samples
            ]
            instances = len(cpu)
            mean = sum(cpu) / instances
            violation_s += STEP_S if mean > SLO_CPU else 0.0
            instance_s += STEP_S * instances
            history.append((now, mean))
            totals.append((now, mean * instances))  # demand, unchanged by scaling itself
            if kind == "osm":  # alarm on the 1-minute average
                window = [v for t, v in history if now - t < 60]
                obs = Observation(value=sum(window) / len(window), instances=instances)
            else:
                assert policy.predict is not None
                recent = [(t, v) for t, v in totals if now - t <= policy.predict.window_s]
                ahead = linear_forecast(recent, policy.predict.horizon_s)
                forecast = None if ahead is None else ahead / instances
                obs = Observation(value=mean, instances=instances, forecast=forecast)
            decided, states = decide([policy], {"cloud": obs}, states, now)
            for action in decided:
                op = conn.ns.scale(
                    ns.id, "cloud", "cloud-vdu-autoscale", out=action.kind == "scale_out"
                )
                conn.ns.wait(op, 60)
                actions += 1
    return {
        "slo_violation_s": violation_s,
        "instance_hours": round(instance_s / 3600, 3),
        "actions": actions,
    }


def _recover(kind: str, fault: str, horizon_s: float = 3600) -> float | None:
    """Simulated seconds from the fault until the VNF runs again (None: not within horizon)."""
    import requests

    from osm_locus.lab.app import create_app
    from osm_locus.lab.server import LabServer
    from osm_locus.nbi import Connection
    from osm_locus.smart.policy import PolicySet
    from osm_locus.smart.prometheus import Prometheus
    from osm_locus.smart.runner import Runner
    from placement.lab import load_lab

    if kind == "osm":  # MON's 1-minute evaluation; heal in place (REDEPLOY_ONLY)
        interval, policy = 60.0, {"restart_primitive": None, "settle_s": 60, "relocate": False}
    else:
        interval, policy = 5.0, {"restart_primitive": "restart-service", "settle_s": 5}
    policies = PolicySet.model_validate(
        {
            "interval_s": interval,
            "policies": [
                {
                    "name": "heal",
                    "kind": "heal",
                    "ns": "bench",
                    "member": "cloud",
                    "cooldown_s": 0,
                    **policy,
                }
            ],
        }
    )
    clock = [0.0]
    with LabServer(create_app(load_lab())) as lab, Connection(lab.url) as conn:
        _, vnf, token = _deployed(conn)
        base = lab.url.replace("/osm", "/lab/v1")
        if fault == "killed_vdu":
            requests.post(
                f"{base}/vnf_instances/{vnf.id}/fail",
                json={"vdu-id": "cloud-vdu"},
                headers=token,
                timeout=10,
            )
        else:
            requests.put(
                f"{base}/sites/core-openstack", json={"up": False}, headers=token, timeout=10
            )
        # heal policies read no metric: Prometheus is never queried here
        runner = Runner(
            conn, Prometheus("http://127.0.0.1:9"), policies, load_lab(), clock=lambda: clock[0]
        )
        # the first evaluation falls somewhere in the interval: on average half of it
        clock[0] = interval / 2
        while clock[0] <= horizon_s:
            runner.round()
            now = conn.ns.find("bench")
            if now is not None and now.state == "READY":
                (current,) = conn.ns.vnf_instances(now.id)
                if all(u.get("status") == "ACTIVE" for u in current.units):
                    return clock[0]
            clock[0] += interval
    return None


def recovery() -> dict[str, dict[str, float | None]]:
    """Recovery time of a killed VDU and of a site down, OSM-style vs ours."""
    return {
        fault: {"osm_style_s": _recover("osm", fault), "ours_s": _recover("ours", fault)}
        for fault in ("killed_vdu", "site_down")
    }


def main() -> None:
    """Print the comparison table (or JSON rows)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--steps", type=int, default=360)
    args = parser.parse_args()
    rows = []
    for name, load in traces(args.steps).items():
        osm, ours = replay("osm", load), replay("ours", load)
        rows.append(
            {
                "trace": name,
                "osm": osm,
                "ours": ours,
                "slo_ratio": (ours["slo_violation_s"] / osm["slo_violation_s"])
                if osm["slo_violation_s"]
                else None,
                "instance_hours_ratio": ours["instance_hours"] / osm["instance_hours"],
            }
        )
    if args.json:
        for row in rows:
            print(json.dumps(row))
        print(json.dumps({"recovery": recovery()}))
        return
    print(f"{'trace':12} {'policy':10} {'SLO-viol s':>10} {'inst-hours':>10} {'actions':>7}")
    for row in rows:
        for kind in ("osm", "ours"):
            r = row[kind]
            print(
                f"{row['trace']:12} {kind:10} {r['slo_violation_s']:>10.0f} "
                f"{r['instance_hours']:>10.3f} {r['actions']:>7}"
            )
        ratio = row["slo_ratio"]
        print(
            f"{'':12} ratio ours/osm: SLO {ratio if ratio is None else round(ratio, 2)}, "
            f"instance-hours {row['instance_hours_ratio']:.2f}"
        )
    print(json.dumps({"recovery": recovery()}, indent=2))


if __name__ == "__main__":
    main()
