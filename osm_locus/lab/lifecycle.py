"""NS lifecycle in the lab: instantiate, operations, VNF records, action, terminate, delete.

Operations run in a background timer (``delay`` seconds, zero in tests) and go PROCESSING ->
COMPLETED | FAILED as OSM's LCM reports them; an instantiation that does not fit its VIM's capacity
fails with a quota ``errorMessage`` and gives back whatever it had taken.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from osm_locus.catalogue import kdu_helm_values
from osm_locus.lab.errors import NbiError
from osm_locus.lab.nfvi import CapacityError, Nfvi
from osm_locus.lab.state import LabState, Session
from osm_locus.package.semantics import day12_primitives
from osm_locus.package.source import read_upload
from placement.demand import kdu_replica_resources, vdu_counts, vdu_resources
from placement.model import Resources

#: Executes a Day-1/Day-2 primitive on a VNF record (``None`` for an NS-level primitive) and
#: returns its output; raising fails the operation with the exception's message.
PrimitiveRunner = Callable[[dict[str, Any] | None, str, dict[str, Any]], str]


class Lifecycle:
    """NS instances and their LCM operations on a :class:`LabState` and :class:`Nfvi`."""

    def __init__(
        self,
        state: LabState,
        nfvi: Nfvi,
        delay: float = 0.0,
        runner: PrimitiveRunner | None = None,
    ) -> None:
        self.state = state
        self.nfvi = nfvi
        self.delay = delay
        self.runner = runner
        self._ns_locks: dict[str, threading.Lock] = {}

    def recover(self) -> None:
        """Bring the NFVI in line with a loaded state file.

        Resources in use are accounted again; operations cut short by the restart fail (as OSM's
        LCM marks them on restart) and BUILDING NSs become BROKEN.
        """
        with self.state.lock:
            for vnfr in self.state.table("vnfrs").values():
                lab = vnfr.get("_lab", {})
                if lab.get("demand"):
                    addresses = [u.get("ip-address") for u in vnfr["vdur"] + vnfr["kdur"]]
                    self.nfvi.restore(
                        lab["site"], Resources(*lab["demand"]), [a for a in addresses if a]
                    )
            for table in ("nslcmops", "nsilcmops"):
                for op in self.state.table(table).values():
                    if op["operationState"] == "PROCESSING":
                        op["operationState"] = "FAILED"
                        op["errorMessage"] = op["detailedStatus"] = (
                            "Operation interrupted by a restart of the lab"
                        )
            for nsr in self.state.table("nsrs").values():
                if nsr["nsState"] == "BUILDING":
                    nsr["nsState"] = nsr["_admin"]["nsState"] = "BROKEN"
                nsr["_admin"]["current-operation"] = None

    # --- create + instantiate ------------------------------------------------------------------
    def create_ns(self, session: Session, data: Any) -> tuple[str, str]:
        """POST ns_instances_content: validate, create the records, start instantiation."""
        if not isinstance(data, dict):
            raise NbiError(422, "Format error: a mapping is required")
        for key in ("nsdId", "nsName", "vimAccountId"):
            if not data.get(key):
                raise NbiError(422, f"Format error at '{key}': '{key}' is a required property")
        with self.state.lock:
            nsd = self.state.get("nsds", str(data["nsdId"]), session)
            default_vim = self._vim(session, str(data["vimAccountId"]))
            profiles = {str(p["id"]): p for p in nsd.get("df", [{}])[0].get("vnf-profile", [])}
            overrides = {}
            for entry in data.get("vnf") or []:
                member = str(entry.get("member-vnf-index"))
                if member not in profiles:
                    raise NbiError(
                        400,
                        f"Invalid parameter member_vnf_index='{member}' is not "
                        "one of the nsd:constituent-vnfd",
                    )
                if entry.get("vimAccountId"):
                    overrides[member] = self._vim(session, str(entry["vimAccountId"]))
            nsr = self._nsr(session, data, nsd)
            vnfrs = []
            for member, profile in profiles.items():
                vnfd = self._vnfd(session, str(profile["vnfd-id"]))
                vim = overrides.get(member, default_vim)
                vnfrs.append(self._vnfr(session, nsr, member, vnfd, vim))
            nsr["constituent-vnfr-ref"] = [v["_id"] for v in vnfrs]
            op = self.new_op(session, nsr, "instantiate", data)
        self.later(self._instantiate, nsr["_id"], op["_id"])
        return str(nsr["_id"]), str(op["_id"])

    def _vim(self, session: Session, ref: str) -> dict[str, Any]:
        try:
            return self.state.get("vim_accounts", ref, session)
        except NbiError:
            raise NbiError(
                400, f"Invalid vimAccountId='{ref}' not present for the project"
            ) from None

    def _vnfd(self, session: Session, ident: str) -> dict[str, Any]:
        found = [r for r in self.state.visible("vnfds", session) if r.get("id") == ident]
        if not found:
            raise NbiError(
                409, f"Descriptor error at 'vnfd-id'='{ident}' references a non existing vnfd"
            )
        return found[0]

    def _nsr(self, session: Session, data: dict[str, Any], nsd: dict[str, Any]) -> dict[str, Any]:
        descriptor = {k: v for k, v in nsd.items() if not k.startswith("_") and "State" not in k}
        record = {
            "name": data["nsName"],
            "name-ref": data["nsName"],
            "short-name": data["nsName"],
            "description": data.get("nsDescription", data["nsName"]),
            "nsd-id": nsd["_id"],
            "nsd-name-ref": nsd.get("id"),
            "nsd-ref": nsd.get("id"),
            "nsd": descriptor,
            "nsState": "NOT_INSTANTIATED",
            "operational-status": "init",
            "config-status": "init",
            "detailed-status": "",
            "instantiate_params": data,
            "create-time": time.time(),
            "datacenter": data["vimAccountId"],
            "resource-orchestrator": "osmopenmano",
            "vld": [],
        }
        record = self.state.insert("nsrs", record, session)
        record["_admin"]["nsState"] = "NOT_INSTANTIATED"
        record["id"] = record["_id"]
        return record

    def _vnfr(
        self,
        session: Session,
        nsr: dict[str, Any],
        member: str,
        vnfd: dict[str, Any],
        vim: dict[str, Any],
    ) -> dict[str, Any]:
        record = {
            "nsr-id-ref": nsr["_id"],
            "member-vnf-index-ref": member,
            "vnfd-ref": vnfd.get("id"),
            "vnfd-id": vnfd["_id"],
            "vim-account-id": vim["_id"],
            "created-time": time.time(),
            "connection-point": [
                {"name": c.get("id"), "connection-point-id": c.get("id")}
                for c in vnfd.get("ext-cpd", [])
            ],
            "vdur": [],
            "kdur": [],
            "ip-address": None,
            "_lab": {"site": vim.get("name"), "demand": None},
        }
        record = self.state.insert("vnfrs", record, session)
        record["id"] = record["_id"]
        return record

    def _instantiate(self, nsr_id: str, op_id: str) -> None:
        with self.state.lock:
            nsr = self.state.table("nsrs")[nsr_id]
            nsr["nsState"] = nsr["_admin"]["nsState"] = "BUILDING"
            nsr["operational-status"] = "init"
            vnfrs = [self.state.table("vnfrs")[v] for v in nsr["constituent-vnfr-ref"]]
        taken: list[tuple[str, Resources]] = []
        try:
            for vnfr in vnfrs:
                taken.append(self._deploy(vnfr))
        except CapacityError as exc:
            for site, amount in taken:
                self.nfvi.release(site, amount)
            with self.state.lock:
                for vnfr in vnfrs:
                    vnfr["_lab"]["demand"] = None
            self.finish(nsr_id, op_id, str(exc))
            return
        self.finish(nsr_id, op_id, self._day1(nsr_id, op_id, vnfrs))

    def _day1(self, nsr_id: str, op_id: str, vnfrs: list[dict[str, Any]]) -> str | None:
        """Run each VNF's initial-config-primitives in ``seq`` order; the error, if any."""
        with self.state.lock:
            nsr = self.state.table("nsrs")[nsr_id]
            extra = {
                str(e.get("member-vnf-index")): dict(e.get("additionalParams") or {})
                for e in nsr["instantiate_params"].get("additionalParamsForVnf") or []
            }
            op = self.state.table("nslcmops")[op_id]
            done = op.setdefault("day1Primitives", [])
        for vnfr in vnfrs:
            vnfd = self.state.table("vnfds")[vnfr["vnfd-id"]]
            member = vnfr["member-vnf-index-ref"]
            known = {"rw_mgmt_ip": vnfr.get("ip-address") or "", **extra.get(member, {})}
            for primitive in sorted(
                day12_primitives(vnfd, "initial-config-primitive"),
                key=lambda p: int(p.get("seq", 0)),
            ):
                name = str(primitive.get("name"))
                params = {}
                for parameter in primitive.get("parameter", []):
                    value = str(parameter.get("value", ""))
                    if value.startswith("<") and value.endswith(">"):
                        key = value[1:-1]
                        if key not in known:
                            return (
                                f"Parameter '{key}' needed to execute primitive '{name}' of "
                                f"VNF {member} not provided (additionalParamsForVnf)"
                            )
                        value = str(known[key])
                    params[str(parameter["name"])] = value
                output = None
                if self.runner is not None:
                    try:
                        output = self.runner(self.public(vnfr), name, params)
                    except Exception as exc:  # noqa: BLE001 - fails the instantiation
                        return f"Day-1 primitive {name} of VNF {member} failed: {exc}"
                with self.state.lock:
                    done.append(
                        {
                            "member-vnf-index": member,
                            "primitive": name,
                            "params": params,
                            "output": output,
                        }
                    )
        return None

    def _deploy(self, vnfr: dict[str, Any]) -> tuple[str, Resources]:
        with self.state.lock:
            vnfd = self.state.table("vnfds")[vnfr["vnfd-id"]]
            vim = self.state.table("vim_accounts")[vnfr["vim-account-id"]]
            clusters = [
                c
                for c in self.state.table("k8sclusters").values()
                if c.get("vim_account") == vim["_id"]
            ]
        site = str(vim["name"])
        member = vnfr["member-vnf-index-ref"]
        if vnfd.get("kdu") and not clusters:
            raise CapacityError(
                f"Deploying KDU of VNF {member}: no K8s cluster attached to VIM account '{site}'"
            )
        counts = vdu_counts(vnfd)
        units = {vdu_id: vdu_resources(vnfd, vdu_id) for vdu_id in counts}
        replicas = self._replicas(vnfd)
        demand = Resources()
        for vdu_id, count in counts.items():
            demand = demand + units[vdu_id].scaled(count)
        for replica, count in replicas.values():
            demand = demand + replica.scaled(count)
        try:
            self.nfvi.allocate(site, demand)
        except CapacityError as exc:
            raise CapacityError(f"Error deploying VNF {member} at VIM {site}: {exc}") from None
        with self.state.lock:
            lab = vnfr["_lab"]
            lab["demand"] = demand.as_list()
            lab["vdu"] = {}
            vnfr["vdur"] = []
            for vdu_id, count in counts.items():
                for index in range(count):
                    self.add_vdur(vnfr, vdu_id, index, units[vdu_id])
            lab["replicas"] = {name: count for name, (_, count) in replicas.items()}
            lab["replica"] = {name: r.as_list() for name, (r, _) in replicas.items()}
            vnfr["kdur"] = [
                {
                    "kdu-name": k.get("name"),
                    "helm-chart": k.get("helm-chart"),
                    "k8s-cluster": {"id": clusters[0]["_id"], "name": clusters[0]["name"]},
                    "status": "READY",
                    "ip-address": self.nfvi.address(site),
                }
                for k in vnfd.get("kdu", [])
            ]
            addresses = [v["ip-address"] for v in vnfr["vdur"] + vnfr["kdur"]]
            vnfr["ip-address"] = addresses[0] if addresses else None
        return site, demand

    def add_vdur(
        self, vnfr: dict[str, Any], vdu_id: str, index: int, size: Resources
    ) -> dict[str, Any]:
        """A new ACTIVE VDU record on the VNF's site (resources already allocated)."""
        site = vnfr["_lab"]["site"]
        vdur = {
            "_id": str(uuid.uuid4()),
            "vdu-id-ref": vdu_id,
            "count-index": index,
            "name": f"{vnfr['member-vnf-index-ref']}-{vdu_id}-{index}",
            "ip-address": self.nfvi.address(site),
            "status": "ACTIVE",
            "vim-id": str(uuid.uuid4()),
            "vim-account-id": vnfr["vim-account-id"],
        }
        vnfr["vdur"].append(vdur)
        vnfr["_lab"]["vdu"][vdur["_id"]] = size.as_list()
        return vdur

    def _replicas(self, vnfd: dict[str, Any]) -> dict[str, tuple[Resources, int]]:
        if not vnfd.get("kdu"):
            return {}
        values = kdu_helm_values(read_upload(self.state.blobs.get(vnfd["_id"], b"")))
        return {
            str(k.get("name")): kdu_replica_resources(vnfd, str(k.get("name")), values)
            for k in vnfd["kdu"]
        }

    # --- operations ---------------------------------------------------------------------------
    def new_op(
        self, session: Session, nsr: dict[str, Any], kind: str, params: Any
    ) -> dict[str, Any]:
        """A PROCESSING operation occurrence of ``kind`` on ``nsr``."""
        now = time.time()
        op = {
            "lcmOperationType": kind,
            "operationState": "PROCESSING",
            "queuePosition": 0,
            "stage": "",
            "errorMessage": None,
            "detailedStatus": None,
            "statusEnteredTime": now,
            "nsInstanceId": nsr["_id"],
            "startTime": now,
            "isAutomaticInvocation": False,
            "operationParams": params,
            "isCancelPending": False,
            "links": {"self": "", "nsInstance": f"/osm/nslcm/v1/ns_instances/{nsr['_id']}"},
        }
        op = self.state.insert("nslcmops", op, session)
        op["id"] = op["_id"]
        op["links"]["self"] = f"/osm/nslcm/v1/ns_lcm_op_occs/{op['_id']}"
        nsr["_admin"]["current-operation"] = op["_id"]
        return op

    def finish(
        self, nsr_id: str, op_id: str, error: str | None, detail: str | None = None
    ) -> None:
        """End operation ``op_id``: COMPLETED, or FAILED with ``error``; update the NS state."""
        with self.state.lock:
            nsr = self.state.table("nsrs").get(nsr_id)
            op = self.state.table("nslcmops")[op_id]
            op["operationState"] = "FAILED" if error else "COMPLETED"
            op["errorMessage"] = error
            op["detailedStatus"] = error or detail or "Done"
            op["statusEnteredTime"] = time.time()
            if nsr is None:
                return
            kind = op["lcmOperationType"]
            if kind == "instantiate":
                state = "BROKEN" if error else "READY"
                nsr["operational-status"] = "failed" if error else "running"
                nsr["config-status"] = "failed" if error else "configured"
            elif kind == "terminate":
                state = "NOT_INSTANTIATED"
                nsr["operational-status"] = "terminated"
            else:
                state = nsr["nsState"]
            nsr["nsState"] = nsr["_admin"]["nsState"] = state
            nsr["detailed-status"] = error or "Done"
            nsr["_admin"]["current-operation"] = None

    def later(self, fn: Callable[..., None], nsr_id: str, *args: Any) -> None:
        """Run ``fn(nsr_id, *args)`` after the lab's delay, one operation at a time per NS.

        OSM's LCM queues the operations of an NS the same way.
        """
        with self.state.lock:
            lock = self._ns_locks.setdefault(nsr_id, threading.Lock())

        def run() -> None:
            with lock:
                fn(nsr_id, *args)
                self.state.commit()

        timer = threading.Timer(self.delay, run)
        timer.daemon = True
        timer.start()

    # --- day-2 and termination ----------------------------------------------------------------
    def action(self, session: Session, ref: str, data: Any) -> str:
        """POST ns_instances/{id}/action: record the primitive and run it.

        The lab's primitive runner executes it (none: it just completes); its output goes to the
        operation's ``detailedStatus``.
        """
        with self.state.lock:
            nsr = self.state.get("nsrs", ref, session)
            if not isinstance(data, dict) or not data.get("primitive"):
                raise NbiError(
                    422, "Format error at 'primitive': 'primitive' is a required property"
                )
            member = data.get("member_vnf_index")
            if member is not None and member not in {
                self.state.table("vnfrs")[v]["member-vnf-index-ref"]
                for v in nsr["constituent-vnfr-ref"]
            }:
                raise NbiError(
                    400,
                    f"Invalid parameter member_vnf_index='{member}' is not one of "
                    "the nsd:constituent-vnfd",
                )
            if nsr["nsState"] != "READY":
                raise NbiError(
                    409,
                    f"ns_instance '{nsr['_id']}' is not in READY state (nsState={nsr['nsState']})",
                )
            if member is not None:
                self._check_primitive(nsr, str(member), str(data["primitive"]))
            op = self.new_op(session, nsr, "action", data)
        self.later(self._act, nsr["_id"], op["_id"], data)
        return str(op["_id"])

    def _check_primitive(self, nsr: dict[str, Any], member: str, primitive: str) -> None:
        """OSM accepts only the VNFD's Day-2 config-primitives (a KNF: its KDU primitives)."""
        for vnfr_id in nsr["constituent-vnfr-ref"]:
            vnfr = self.state.table("vnfrs")[vnfr_id]
            if vnfr["member-vnf-index-ref"] != member:
                continue
            vnfd = self.state.table("vnfds")[vnfr["vnfd-id"]]
            if vnfd.get("kdu") and not vnfd.get("vdu"):
                return  # KDU primitives (helm upgrade, rollback, ...) are the KDU's own
            names = {str(p.get("name")) for p in day12_primitives(vnfd, "config-primitive")}
            if primitive not in names:
                raise NbiError(
                    422,
                    f"Invalid primitive '{primitive}' is not present at "
                    f"vnfd:day1-2:config-primitive of member_vnf_index '{member}' "
                    f"(has: {', '.join(sorted(names)) or 'none'})",
                )

    def _act(self, nsr_id: str, op_id: str, data: dict[str, Any]) -> None:
        if self.runner is None:
            self.finish(nsr_id, op_id, None)
            return
        with self.state.lock:
            nsr = self.state.table("nsrs")[nsr_id]
            member = data.get("member_vnf_index")
            vnfr = next(
                (
                    self.state.table("vnfrs")[v]
                    for v in nsr["constituent-vnfr-ref"]
                    if self.state.table("vnfrs")[v]["member-vnf-index-ref"] == member
                ),
                None,
            )
            target = self.state.snapshot(self.public(vnfr)) if vnfr else None
        try:
            params = data.get("primitive_params") or {}
            output = self.runner(target, str(data["primitive"]), params)
        except Exception as exc:  # noqa: BLE001 - any runner failure fails the operation
            self.finish(nsr_id, op_id, f"Error executing primitive {data['primitive']}: {exc}")
            return
        self.finish(nsr_id, op_id, None, detail=output)

    def terminate(self, session: Session, ref: str) -> str:
        """POST ns_instances/{id}/terminate: free the resources; nsState NOT_INSTANTIATED."""
        with self.state.lock:
            nsr = self.state.get("nsrs", ref, session)
            op = self.new_op(session, nsr, "terminate", {})
        self.later(self._terminate, nsr["_id"], op["_id"])
        return str(op["_id"])

    def _terminate(self, nsr_id: str, op_id: str) -> None:
        with self.state.lock:
            nsr = self.state.table("nsrs")[nsr_id]
            for vnfr_id in nsr["constituent-vnfr-ref"]:
                vnfr = self.state.table("vnfrs")[vnfr_id]
                if vnfr["_lab"]["demand"]:
                    self.nfvi.release(vnfr["_lab"]["site"], Resources(*vnfr["_lab"]["demand"]))
                    vnfr["_lab"]["demand"] = None
                for unit in vnfr["vdur"] + vnfr["kdur"]:
                    unit["status"] = "DELETED"
        self.finish(nsr_id, op_id, None)

    def delete_ns(self, session: Session, ref: str) -> None:
        """DELETE ns_instances_content/{id}: only once terminated (or never instantiated)."""
        with self.state.lock:
            nsr = self.state.get("nsrs", ref, session)
            if nsr["nsState"] in ("READY", "BUILDING", "BROKEN") and any(
                self.state.table("vnfrs")[v]["_lab"]["demand"] for v in nsr["constituent-vnfr-ref"]
            ):
                raise NbiError(
                    409,
                    f"nsr '{nsr['_id']}' cannot be deleted because it is in "
                    f"'{nsr['nsState']}' state. Terminate first",
                )
            for vnfr_id in nsr["constituent-vnfr-ref"]:
                self.state.table("vnfrs").pop(vnfr_id, None)
            del self.state.table("nsrs")[nsr["_id"]]

    @staticmethod
    def public(record: dict[str, Any]) -> dict[str, Any]:
        """A record without the lab's own bookkeeping."""
        return {k: v for k, v in record.items() if k != "_lab"}
