"""The closed loop: observe (Prometheus + NBI), decide (pure), act (NBI), one op in flight per NS.

Every decision is logged with its reason; ``dry_run`` logs and returns the actions without
executing them. :meth:`Runner.run` polls every ``interval_s`` until its stop event is set (the CLI
sets it on SIGTERM/SIGINT), finishing the round in progress.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from osm_locus.nbi import Connection
from osm_locus.nbi.errors import NbiError
from osm_locus.nbi.resources import NsInstance, VnfInstance
from osm_locus.smart.decide import Action, Observation, PolicyState, decide
from osm_locus.smart.forecast import linear_forecast
from osm_locus.smart.policy import Policy, PolicySet
from osm_locus.smart.prometheus import Prometheus, PrometheusError
from placement.demand import Catalogue, ns_problem
from placement.model import Lab
from placement.replace import replan, site_down

log = logging.getLogger(__name__)


@dataclass
class Executed:
    """An action and what came of it."""

    action: Action
    operation: str | None = None
    error: str | None = None


@dataclass
class Runner:
    """Runs policies against one NBI and one Prometheus."""

    conn: Connection
    prometheus: Prometheus
    policies: PolicySet
    lab: Lab | None = None  # needed for re-placement
    dry_run: bool = False
    clock: Callable[[], float] = time.time
    states: dict[str, PolicyState] = field(default_factory=dict)
    history: list[Executed] = field(default_factory=list)
    _ops: dict[str, str] = field(default_factory=dict)  # policy -> last operation id

    # --- observe ------------------------------------------------------------------------------
    def _ns(self, name: str) -> NsInstance | None:
        found = [n for n in self.conn.ns.list() if n.name == name]
        ready = [n for n in found if n.state == "READY"]
        best = ready or found
        return best[0] if best else None

    def _vnf(self, ns: NsInstance, member: str) -> VnfInstance | None:
        return next(
            (v for v in self.conn.ns.vnf_instances(ns.id) if v.member_index == member), None
        )

    def observe(self, policy: Policy, now: float) -> Observation:
        """What the policy needs: metric, forecast, instances, units down, ops in flight."""
        ns = self._ns(policy.ns)
        if ns is None:
            return Observation()
        vnf = self._vnf(ns, policy.member)
        units = vnf.units if vnf else ()
        down = tuple(
            f"{u.get('vdu-id-ref') or u.get('kdu-name')}:{u.get('count-index', 0)}"
            for u in units
            if u.get("status") not in ("ACTIVE", "READY")
        )
        ops = self.conn.get("/nslcm/v1/ns_lcm_op_occs", nsInstanceId=ns.id)
        in_flight = any(o.get("operationState") == "PROCESSING" for o in ops)
        last_failure = None
        mine = self._ops.get(policy.name)
        for op in ops:
            if op["_id"] == mine and op.get("operationState") in ("FAILED", "FAILED_TEMP"):
                last_failure = str(op.get("errorMessage"))
        value = forecast = None
        instances = max(1, sum(1 for u in units if u.get("status") in ("ACTIVE", "READY")))
        if policy.kind == "scale":
            promql = policy.promql(ns.id)
            try:
                samples = self.prometheus.query(promql)
                value = samples[0].value if samples else None
                selector = f'ns_id="{ns.id}", vnf_member_index="{policy.member}"'
                count = self.prometheus.query(f"count(osm_cpu_utilization{{{selector}}})")
                if count:
                    instances = int(count[0].value)
                if policy.predict is not None:
                    # forecast the total demand, not the per-instance value: a scale operation
                    # changes the latter by itself and would read as a trend
                    window = policy.predict.window_s
                    total = f"({promql}) * count(osm_cpu_utilization{{{selector}}})"
                    series = self.prometheus.query_range(
                        total, now - window, now, max(1.0, window / 30)
                    )
                    if series:
                        ahead = linear_forecast(series[0].points, policy.predict.horizon_s)
                        forecast = None if ahead is None else ahead / max(instances, 1)
            except PrometheusError as exc:
                log.warning("policy %s: no metric this round: %s", policy.name, exc)
        return Observation(value, forecast, instances, down, in_flight, last_failure)

    # --- one round ----------------------------------------------------------------------------
    def round(self) -> list[Executed]:
        """Observe every policy, decide, execute (or only log, in dry-run)."""
        now = self.clock()
        observations = {}
        for policy in self.policies.policies:
            try:
                observations[policy.name] = self.observe(policy, now)
            except NbiError as exc:
                log.warning("policy %s: cannot observe: %s", policy.name, exc)
        actions, self.states = decide(self.policies.policies, observations, self.states, now)
        done = []
        for action in actions:
            log.info(
                "%sdecision %s: %s (%s)",
                "[dry-run] " if self.dry_run else "",
                action.policy,
                action.kind,
                action.reason,
            )
            executed = Executed(action) if self.dry_run else self.execute(action)
            done.append(executed)
            self.history.append(executed)
        return done

    def run(self, stop: threading.Event) -> None:
        """Rounds every ``interval_s`` until ``stop`` is set."""
        log.info(
            "smart loop: %d policies, every %g s",
            len(self.policies.policies),
            self.policies.interval_s,
        )
        while not stop.is_set():
            try:
                self.round()
            except (NbiError, PrometheusError) as exc:
                log.error("round failed, retrying next interval: %s", exc)
            stop.wait(self.policies.interval_s)
        log.info("smart loop stopped")

    # --- act ----------------------------------------------------------------------------------
    def execute(self, action: Action) -> Executed:
        """Run one action through the NBI; failures are logged, not raised."""
        policy = next(p for p in self.policies.policies if p.name == action.policy)
        ns = self._ns(policy.ns)
        if ns is None:
            return Executed(action, error=f"NS '{policy.ns}' not found")
        try:
            op = self._start(policy, action, ns)
        except (NbiError, ValueError, KeyError) as exc:
            log.error("policy %s: %s failed: %s", policy.name, action.kind, exc)
            return Executed(action, error=str(exc))
        if op:
            self._ops[policy.name] = op
        return Executed(action, op)

    def _start(self, policy: Policy, action: Action, ns: NsInstance) -> str | None:
        if action.kind in ("scale_out", "scale_in"):
            assert policy.scaling_group
            return self.conn.ns.scale(
                ns.id, policy.member, policy.scaling_group, out=action.kind == "scale_out"
            )
        if action.kind == "restart":
            assert policy.restart_primitive
            return self.conn.ns.action(ns.id, policy.member, policy.restart_primitive)
        vnf = self._vnf(ns, policy.member)
        if vnf is None:
            raise ValueError(f"no VNF {policy.member} in NS {ns.name}")
        if action.kind == "heal":
            units = [
                (str(u["vdu-id-ref"]), int(u.get("count-index", 0)))
                for u in vnf.units
                if u.get("vdu-id-ref") and u.get("status") != "ACTIVE"
            ]
            return self.conn.ns.heal(ns.id, vnf.id, units or None)
        if action.kind == "relocate":
            return self._relocate(ns, vnf)
        raise ValueError(f"unknown action {action.kind}")

    def _relocate(self, ns: NsInstance, vnf: VnfInstance) -> str:
        """Make before break: a new NS placed without the failed site, then drop the old one."""
        if self.lab is None:
            raise ValueError("re-placement needs the lab description (--lab)")
        vims = {v.id: v for v in self.conn.vim_accounts.list()}
        by_name = {v.name: v.id for v in vims.values()}
        failed_site = vims[vnf.vim_account].name
        nsd = self.conn.nsds.get(str(ns.raw["nsd-id"])).raw
        vnfds = {str(p.raw["id"]): p.raw for p in self.conn.vnf_packages.list() if "id" in p.raw}
        problem = ns_problem(nsd, Catalogue(vnfds, {str(nsd["id"]): nsd}, {}))
        current = {
            v.member_index: vims[v.vim_account].name for v in self.conn.ns.vnf_instances(ns.id)
        }
        placement = replan(problem, site_down(self.lab, failed_site), current)
        params: dict[str, Any] = dict(ns.raw.get("instantiate_params") or {})
        vnf_params = [
            {"member-vnf-index": fid, "vimAccountId": by_name[site]}
            for fid, site in sorted(placement.assignment.items())
        ]
        log.info("relocating %s off %s: %s", ns.name, failed_site, placement.assignment)
        new_id, op_id = self.conn.ns.create(
            str(ns.raw["nsd-id"]),
            ns.name,
            vnf_params[0]["vimAccountId"],
            vnf_params,
            additional_params=params.get("additionalParamsForVnf"),
        )
        self.conn.ns.wait(op_id, timeout=600)
        try:
            self.conn.ns.wait(self.conn.ns.terminate(ns.id), timeout=600)
            self.conn.ns.delete(ns.id)
        except NbiError as exc:  # the failed site may refuse: say what is left
            log.warning("old NS %s on %s left in OSM: %s", ns.id, failed_site, exc)
        del new_id
        return op_id
