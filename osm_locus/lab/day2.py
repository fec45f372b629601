"""Runtime operations of the lab's NS instances: scale, heal and update (VERTICAL_SCALE).

Request bodies and checks follow OSM's NBI (validation.py ``ns_scale``, ``ns_heal``,
``ns_update``); the work is done in the background like instantiation and ends in the operation's
``operationState`` with OSM's ``errorMessage`` when it fails. Scaling changes the VNF record
(``vdur[]`` for VDU deltas, the KDU's replicas for ``kdu-resource-delta``) and the site's capacity.
"""

from __future__ import annotations

import uuid
from typing import Any

from osm_locus.lab.errors import NbiError
from osm_locus.lab.lifecycle import Lifecycle
from osm_locus.lab.nfvi import CapacityError
from osm_locus.lab.state import Session
from placement.demand import vdu_resources
from placement.model import Resources


class Day2:
    """``/scale``, ``/heal`` and ``/update`` on top of a :class:`Lifecycle`."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lc = lifecycle
        self.state = lifecycle.state
        self.nfvi = lifecycle.nfvi

    # --- request checks -----------------------------------------------------------------------
    def _ready_nsr(self, session: Session, ref: str) -> dict[str, Any]:
        nsr = self.state.get("nsrs", ref, session)
        if nsr["nsState"] != "READY":
            raise NbiError(
                409,
                f"ns_instance '{nsr['_id']}' is not in READY state (nsState={nsr['nsState']})",
            )
        return nsr

    def _vnfr_of(self, nsr: dict[str, Any], member: str) -> dict[str, Any]:
        for vnfr_id in nsr["constituent-vnfr-ref"]:
            vnfr = self.state.table("vnfrs")[vnfr_id]
            if vnfr["member-vnf-index-ref"] == member:
                return vnfr
        raise NbiError(
            400,
            f"Invalid parameter member_vnf_index='{member}' is not one of the "
            "nsd:constituent-vnfd",
        )

    def _vnfd_of(self, vnfr: dict[str, Any]) -> dict[str, Any]:
        return self.state.table("vnfds")[vnfr["vnfd-id"]]

    # --- scale --------------------------------------------------------------------------------
    def scale(self, session: Session, ref: str, data: Any) -> str:
        """POST ns_instances/{id}/scale with ``SCALE_VNF`` by step (OSM's only scale type)."""
        vnf_data = data.get("scaleVnfData") if isinstance(data, dict) else None
        if not isinstance(vnf_data, dict) or data.get("scaleType") != "SCALE_VNF":
            raise NbiError(
                422, "Format error at 'scaleType': 'SCALE_VNF' with 'scaleVnfData' is required"
            )
        direction = vnf_data.get("scaleVnfType")
        if direction not in ("SCALE_OUT", "SCALE_IN"):
            raise NbiError(
                422,
                f"Format error at 'scaleVnfData:scaleVnfType': {direction!r} is not one of "
                "['SCALE_IN', 'SCALE_OUT']",
            )
        step = vnf_data.get("scaleByStepData") or {}
        group = str(step.get("scaling-group-descriptor", ""))
        member = str(step.get("member-vnf-index", ""))
        with self.state.lock:
            nsr = self._ready_nsr(session, ref)
            vnfr = self._vnfr_of(nsr, member)
            aspect = _aspect(self._vnfd_of(vnfr), group)
            if aspect is None:
                raise NbiError(
                    400,
                    f"Invalid scaling-group-descriptor '{group}' not present at "
                    f"vnfd:scaling-aspect of member-vnf-index '{member}'",
                )
            op = self.lc.new_op(session, nsr, "scale", data)
        self.lc.later(self._scale, nsr["_id"], op["_id"], vnfr["_id"], group, direction)
        return str(op["_id"])

    def _scale(self, nsr_id: str, op_id: str, vnfr_id: str, group: str, direction: str) -> None:
        with self.state.lock:
            nsr = self.state.table("nsrs")[nsr_id]
            vnfr = self.state.table("vnfrs")[vnfr_id]
            vnfd = self._vnfd_of(vnfr)
            df = (vnfd.get("df") or [{}])[0]
            aspect = _aspect(vnfd, group) or {}
            groups = nsr["_admin"].setdefault("scaling-group", [])
            entry = next((g for g in groups if g["name"] == group), None)
            if entry is None:
                entry = {"name": group, "nb-scale-op": 0, "time": 0}
                groups.append(entry)
            level = int(entry["nb-scale-op"])
            try:
                if direction == "SCALE_OUT":
                    if level >= int(aspect.get("max-scale-level", 1)):
                        raise CapacityError(
                            f"reached the limit of {aspect.get('max-scale-level', 1)} "
                            "(max-scale-level) scaling-out operations for the "
                            f"scaling-group-descriptor '{group}'"
                        )
                    self._scale_out(vnfr, vnfd, df, aspect)
                    entry["nb-scale-op"] = level + 1
                else:
                    if level <= 0:
                        raise CapacityError(
                            "reached the limit of 0 (min-instance-count) scaling-in operations "
                            f"for the scaling-group-descriptor '{group}'"
                        )
                    self._scale_in(vnfr, df, aspect)
                    entry["nb-scale-op"] = level - 1
            except CapacityError as exc:
                self.lc.finish(nsr_id, op_id, str(exc))
                return
        self.lc.finish(nsr_id, op_id, None)

    def _scale_out(
        self,
        vnfr: dict[str, Any],
        vnfd: dict[str, Any],
        df: dict[str, Any],
        aspect: dict[str, Any],
    ) -> None:
        lab = vnfr["_lab"]
        profiles = {p["id"]: p for p in df.get("vdu-profile", [])}
        kdu_profiles = {p["id"]: p for p in df.get("kdu-resource-profile", [])}
        extra = Resources()
        new_vdus: list[tuple[str, int, Resources]] = []
        new_replicas: dict[str, int] = {}
        for delta in _deltas(aspect):
            for vdu in delta.get("vdu-delta", []):
                vdu_id, count = str(vdu["id"]), int(vdu.get("number-of-instances", 1))
                existing = [v for v in vnfr["vdur"] if v["vdu-id-ref"] == vdu_id]
                limit = int(profiles.get(vdu_id, {}).get("max-number-of-instances", 1))
                if len(existing) + count > limit:
                    raise CapacityError(
                        f"reached the limit of {limit} (max-number-of-instances) of vdu "
                        f"'{vdu_id}' scaling out"
                    )
                size = vdu_resources(vnfd, vdu_id)
                first = max((int(v["count-index"]) for v in existing), default=-1) + 1
                for index in range(first, first + count):
                    new_vdus.append((vdu_id, index, size))
                    extra = extra + size
            for kdu in delta.get("kdu-resource-delta", []):
                profile = kdu_profiles.get(kdu["id"], {})
                name = str(profile.get("kdu-name", kdu["id"]))
                count = int(kdu.get("number-of-instances", 1))
                now = int(lab["replicas"].get(name, 1))
                limit = int(profile.get("max-number-of-instances", now + count))
                if now + count > limit:
                    raise CapacityError(
                        f"reached the limit of {limit} (max-number-of-instances) of kdu "
                        f"'{name}' scaling out"
                    )
                new_replicas[name] = now + count
                extra = extra + Resources(*lab["replica"][name]).scaled(count)
        site = lab["site"]
        try:
            self.nfvi.allocate(site, extra)
        except CapacityError as exc:
            raise CapacityError(
                f"Error scaling out VNF {vnfr['member-vnf-index-ref']} at VIM {site}: {exc}"
            ) from None
        for vdu_id, index, size in new_vdus:
            self.lc.add_vdur(vnfr, vdu_id, index, size)
        lab["replicas"].update(new_replicas)
        lab["demand"] = (Resources(*lab["demand"]) + extra).as_list()

    def _scale_in(self, vnfr: dict[str, Any], df: dict[str, Any], aspect: dict[str, Any]) -> None:
        lab = vnfr["_lab"]
        kdu_profiles = {p["id"]: p for p in df.get("kdu-resource-profile", [])}
        freed = Resources()
        for delta in _deltas(aspect):
            for vdu in delta.get("vdu-delta", []):
                vdu_id, count = str(vdu["id"]), int(vdu.get("number-of-instances", 1))
                victims = sorted(
                    (v for v in vnfr["vdur"] if v["vdu-id-ref"] == vdu_id),
                    key=lambda v: int(v["count-index"]),
                )[-count:]
                for vdur in victims:
                    vnfr["vdur"].remove(vdur)
                    freed = freed + Resources(*lab["vdu"].pop(vdur["_id"]))
                    lab.get("load", {}).pop(vdur["_id"], None)
            for kdu in delta.get("kdu-resource-delta", []):
                profile = kdu_profiles.get(kdu["id"], {})
                name = str(profile.get("kdu-name", kdu["id"]))
                floor = int(profile.get("min-number-of-instances", 1))
                count = min(int(kdu.get("number-of-instances", 1)), lab["replicas"][name] - floor)
                lab["replicas"][name] -= count
                freed = freed + Resources(*lab["replica"][name]).scaled(count)
        self.nfvi.release(lab["site"], freed)
        lab["demand"] = (Resources(*lab["demand"]) - freed).as_list()

    # --- heal ---------------------------------------------------------------------------------
    def heal(self, session: Session, ref: str, data: Any) -> str:
        """POST ns_instances/{id}/heal: recreate the named VDUs (all the VNF's when none)."""
        items = data.get("healVnfData") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise NbiError(
                422, "Format error at 'healVnfData': 'healVnfData' is a required property"
            )
        with self.state.lock:
            nsr = self.state.get("nsrs", ref, session)
            if nsr["nsState"] == "NOT_INSTANTIATED":
                raise NbiError(409, f"ns_instance '{nsr['_id']}' is not instantiated")
            for item in items:
                vnf_id = str(item.get("vnfInstanceId", ""))
                if vnf_id not in nsr["constituent-vnfr-ref"]:
                    raise NbiError(
                        400,
                        f"Invalid vnfInstanceId='{vnf_id}' not present at the ns instance",
                    )
            op = self.lc.new_op(session, nsr, "heal", data)
        self.lc.later(self._heal, nsr["_id"], op["_id"], items)
        return str(op["_id"])

    def _heal(self, nsr_id: str, op_id: str, items: list[dict[str, Any]]) -> None:
        with self.state.lock:
            error = None
            for item in items:
                vnfr = self.state.table("vnfrs")[str(item["vnfInstanceId"])]
                site = self.nfvi.site(vnfr["_lab"]["site"])
                wanted = (item.get("additionalParams") or {}).get("vdu") or []
                keys = {(str(v.get("vdu-id")), int(v.get("count-index", 0))) for v in wanted}
                if not site.up:
                    error = (
                        f"Error healing VNF {vnfr['member-vnf-index-ref']}: "
                        f"VIM {site.name} is not reachable"
                    )
                    break
                for vdur in vnfr["vdur"]:
                    if not keys or (vdur["vdu-id-ref"], int(vdur["count-index"])) in keys:
                        vdur["status"] = "ACTIVE"
                        vdur["vim-id"] = str(uuid.uuid4())
                for kdur in vnfr["kdur"]:
                    kdur["status"] = "READY"
            nsr = self.state.table("nsrs")[nsr_id]
            if error is None and nsr["nsState"] == "BROKEN":
                nsr["nsState"] = nsr["_admin"]["nsState"] = "READY"
        self.lc.finish(nsr_id, op_id, error)

    # --- update -------------------------------------------------------------------------------
    def update(self, session: Session, ref: str, data: Any) -> str:
        """POST ns_instances/{id}/update: ``VERTICAL_SCALE`` of one VDU.

        The VDU is resized to its VNFD's current revision (OSM needs the revision onboarded first).
        """
        kind = data.get("updateType") if isinstance(data, dict) else None
        if kind not in ("CHANGE_VNFPKG", "REMOVE_VNF", "OPERATE_VNF", "VERTICAL_SCALE"):
            raise NbiError(
                422,
                f"Format error at 'updateType': {kind!r} is not one of ['CHANGE_VNFPKG', "
                "'REMOVE_VNF', 'MODIFY_VNF_INFORMATION', 'OPERATE_VNF', 'VERTICAL_SCALE']",
            )
        if kind != "VERTICAL_SCALE":
            raise NbiError(422, f"updateType {kind} is not supported by the osm-locus lab")
        target = data.get("verticalScaleVnf") or {}
        for key in ("vnfInstanceId", "vnfdId", "vduId"):
            if not target.get(key):
                raise NbiError(
                    422,
                    f"Format error at 'verticalScaleVnf': '{key}' is a required property",
                )
        with self.state.lock:
            nsr = self._ready_nsr(session, ref)
            vnfr_id = str(target["vnfInstanceId"])
            if vnfr_id not in nsr["constituent-vnfr-ref"]:
                raise NbiError(400, f"Invalid vnfInstanceId='{vnfr_id}' not present at the ns")
            vnfr = self.state.table("vnfrs")[vnfr_id]
            vnfd = self.state.get("vnfds", str(target["vnfdId"]), session)
            if vnfd["_id"] != vnfr["vnfd-id"]:
                raise NbiError(422, f"vnfdId '{target['vnfdId']}' is not the VNF's package")
            vdu_id = str(target["vduId"])
            if vdu_id not in {str(v.get("id")) for v in vnfd.get("vdu", [])}:
                raise NbiError(422, f"Invalid vdu-id '{vdu_id}' not present at vnfd")
            op = self.lc.new_op(session, nsr, "update", data)
        index = target.get("countIndex")
        self.lc.later(self._resize, nsr["_id"], op["_id"], vnfr_id, vdu_id, index)
        return str(op["_id"])

    def _resize(
        self, nsr_id: str, op_id: str, vnfr_id: str, vdu_id: str, index: int | None
    ) -> None:
        with self.state.lock:
            vnfr = self.state.table("vnfrs")[vnfr_id]
            vnfd = self._vnfd_of(vnfr)
            lab = vnfr["_lab"]
            size = vdu_resources(vnfd, vdu_id)
            chosen = [
                v
                for v in vnfr["vdur"]
                if v["vdu-id-ref"] == vdu_id and (index is None or v["count-index"] == index)
            ]
            before = Resources()
            for vdur in chosen:
                before = before + Resources(*lab["vdu"][vdur["_id"]])
            after = size.scaled(len(chosen))
            try:
                self.nfvi.allocate(lab["site"], _positive(after - before))
            except CapacityError as exc:
                self.lc.finish(nsr_id, op_id, f"Error in vertical scale of {vdu_id}: {exc}")
                return
            self.nfvi.release(lab["site"], _positive(before - after))
            for vdur in chosen:
                lab["vdu"][vdur["_id"]] = size.as_list()
            lab["demand"] = (Resources(*lab["demand"]) - before + after).as_list()
            vnfr["revision"] = vnfd["_admin"].get("revision", 1)
            vnfr["software-version"] = vnfd.get("software-version")
        self.lc.finish(nsr_id, op_id, None)


def _aspect(vnfd: dict[str, Any], group: str) -> dict[str, Any] | None:
    for df in vnfd.get("df", []):
        for aspect in df.get("scaling-aspect", []):
            if group in (aspect.get("id"), aspect.get("name")):
                return dict(aspect)
    return None


def _deltas(aspect: dict[str, Any]) -> list[dict[str, Any]]:
    return list((aspect.get("aspect-delta-details") or {}).get("deltas", []))


def _positive(amount: Resources) -> Resources:
    return Resources(max(0.0, amount.vcpu), max(0.0, amount.ram_gb), max(0.0, amount.disk_gb))
