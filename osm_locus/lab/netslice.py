"""Netslice lifecycle in the lab: one NS per subnet, named ``<nsiName>.<subnet-id>``.

A shared subnet (``is-shared-nss``) already running for another slice instance of the same
template is reused rather than instantiated again, and is terminated with the last slice using it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from osm_locus.lab.errors import NbiError
from osm_locus.lab.lifecycle import Lifecycle
from osm_locus.lab.state import LabState, Session

POLL_S = 0.01


class Netslices:
    """NSI records and their operations, built on NS instances of :class:`Lifecycle`."""

    def __init__(self, state: LabState, lifecycle: Lifecycle) -> None:
        self.state = state
        self.lifecycle = lifecycle

    def create(self, session: Session, data: Any) -> tuple[str, str]:
        """POST netslice_instances_content: the NSI, its NSs and the instantiate operation."""
        if not isinstance(data, dict):
            raise NbiError(422, "Format error: a mapping is required")
        for key in ("nstId", "nsiName", "vimAccountId"):
            if not data.get(key):
                raise NbiError(422, f"Format error at '{key}': '{key}' is a required property")
        with self.state.lock:
            nst = self.state.get("nsts", str(data["nstId"]), session)
            params = {str(p.get("id")): p for p in data.get("netslice-subnet") or []}
            subnets = {str(s["id"]): s for s in nst.get("netslice-subnet", [])}
            for sid in params:
                if sid not in subnets:
                    raise NbiError(400, f"Invalid netslice-subnet id '{sid}': not in the template")
            nsi = self.state.insert(
                "nsis",
                {
                    "name": data["nsiName"],
                    "description": data.get("nsiDescription", ""),
                    "nst-ref": nst.get("id"),
                    "nst-id": nst["_id"],
                    "nsr-ref-list": [],
                    "operational-status": "init",
                    "instantiation_parameters": data,
                },
                session,
            )
            nsi["id"] = nsi["_id"]
            nsi["_admin"]["nsiState"] = "NOT_INSTANTIATED"
            ns_ops = []
            for sid, subnet in subnets.items():
                nsr_id, op_id = self._subnet_ns(
                    session, nsi, nst, sid, subnet, params.get(sid, {}), data
                )
                nsi["nsr-ref-list"].append(
                    {"nsr-ref": nsr_id, "nss-id": sid, "shared": bool(subnet.get("is-shared-nss"))}
                )
                if op_id:
                    ns_ops.append(op_id)
            op = self._new_op(session, nsi, "instantiate", data)
        threading.Thread(
            target=self._await, args=(nsi["_id"], op["_id"], ns_ops), daemon=True
        ).start()
        return str(nsi["_id"]), str(op["_id"])

    def _subnet_ns(
        self,
        session: Session,
        nsi: dict[str, Any],
        nst: dict[str, Any],
        sid: str,
        subnet: dict[str, Any],
        params: dict[str, Any],
        data: dict[str, Any],
    ) -> tuple[str, str | None]:
        if subnet.get("is-shared-nss"):
            for other in self.state.visible("nsis", session):
                if other["_id"] == nsi["_id"] or other.get("nst-id") != nst["_id"]:
                    continue
                for ref in other.get("nsr-ref-list", []):
                    nsr = self.state.table("nsrs").get(ref["nsr-ref"])
                    if ref["nss-id"] == sid and nsr and nsr["nsState"] in ("READY", "BUILDING"):
                        return str(ref["nsr-ref"]), None
        nsd = [n for n in self.state.visible("nsds", session) if n.get("id") == subnet["nsd-ref"]]
        if not nsd:
            raise NbiError(
                409,
                f"Descriptor error at 'netslice-subnet':'nsd-ref'="
                f"'{subnet['nsd-ref']}' references a non existing nsd",
            )
        request = {
            "nsdId": nsd[0]["_id"],
            "nsName": f"{data['nsiName']}.{sid}",
            "nsDescription": f"subnet {sid} of netslice {data['nsiName']}",
            "vimAccountId": params.get("vimAccountId") or data["vimAccountId"],
        }
        if params.get("vnf"):
            request["vnf"] = params["vnf"]
        if params.get("additionalParamsForVnf"):
            request["additionalParamsForVnf"] = params["additionalParamsForVnf"]
        nsr_id, op_id = self.lifecycle.create_ns(session, request)
        self.state.table("nsrs")[nsr_id]["_admin"]["nsi-id"] = nsi["_id"]
        return nsr_id, op_id

    def _new_op(
        self, session: Session, nsi: dict[str, Any], kind: str, params: Any
    ) -> dict[str, Any]:
        now = time.time()
        op = self.state.insert(
            "nsilcmops",
            {
                "lcmOperationType": kind,
                "operationState": "PROCESSING",
                "netsliceInstanceId": nsi["_id"],
                "startTime": now,
                "statusEnteredTime": now,
                "operationParams": params,
                "errorMessage": None,
                "detailedStatus": None,
                "isAutomaticInvocation": False,
                "isCancelPending": False,
            },
            session,
        )
        op["id"] = op["_id"]
        return op

    def _await(self, nsi_id: str, op_id: str, ns_ops: list[str], timeout: float = 3600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.state.lock:
                states = [self.state.table("nslcmops")[o]["operationState"] for o in ns_ops]
            if "PROCESSING" not in states:
                break
            time.sleep(POLL_S)
        with self.state.lock:
            errors = [
                self.state.table("nslcmops")[o]["errorMessage"]
                for o in ns_ops
                if self.state.table("nslcmops")[o]["operationState"] != "COMPLETED"
            ]
            op = self.state.table("nsilcmops")[op_id]
            op["operationState"] = "FAILED" if errors else "COMPLETED"
            op["errorMessage"] = "; ".join(str(e) for e in errors) if errors else None
            op["detailedStatus"] = op["errorMessage"] or "Done"
            op["statusEnteredTime"] = time.time()
            nsi = self.state.table("nsis").get(nsi_id)
            if nsi is None:
                return
            kind = op["lcmOperationType"]
            if kind == "instantiate":
                nsi["_admin"]["nsiState"] = "FAILED" if errors else "INSTANTIATED"
                nsi["operational-status"] = "failed" if errors else "running"
            else:
                nsi["_admin"]["nsiState"] = "NOT_INSTANTIATED"
                nsi["operational-status"] = "terminated"
        self.state.commit()

    def terminate(self, session: Session, ref: str) -> str:
        """Terminate the slice's NSs; a shared one only when no other slice still uses it."""
        with self.state.lock:
            nsi = self.state.get("nsis", ref, session)
            ns_ops = []
            for entry in nsi.get("nsr-ref-list", []):
                nsr = self.state.table("nsrs").get(entry["nsr-ref"])
                if nsr is None or nsr["nsState"] == "NOT_INSTANTIATED":
                    continue
                if entry["shared"] and self._used_elsewhere(session, nsi, entry["nsr-ref"]):
                    continue
                ns_ops.append(self.lifecycle.terminate(session, entry["nsr-ref"]))
            op = self._new_op(session, nsi, "terminate", {})
        threading.Thread(
            target=self._await, args=(nsi["_id"], op["_id"], ns_ops), daemon=True
        ).start()
        return str(op["_id"])

    def _used_elsewhere(self, session: Session, nsi: dict[str, Any], nsr_id: str) -> bool:
        return any(
            other["_id"] != nsi["_id"]
            and other["_admin"].get("nsiState") != "NOT_INSTANTIATED"
            and any(e["nsr-ref"] == nsr_id for e in other.get("nsr-ref-list", []))
            for other in self.state.visible("nsis", session)
        )

    def delete(self, session: Session, ref: str) -> None:
        """Delete a terminated slice and the NS records only it used."""
        with self.state.lock:
            nsi = self.state.get("nsis", ref, session)
            if nsi["_admin"].get("nsiState") in ("INSTANTIATED", "FAILED") or any(
                self.state.table("nsrs").get(e["nsr-ref"], {}).get("nsState") == "READY"
                and not (e["shared"] and self._used_elsewhere(session, nsi, e["nsr-ref"]))
                for e in nsi.get("nsr-ref-list", [])
            ):
                raise NbiError(
                    409,
                    f"nsi '{nsi['_id']}' cannot be deleted because it is in "
                    f"'{nsi['_admin'].get('nsiState')}' state. Terminate first",
                )
            for entry in nsi.get("nsr-ref-list", []):
                if entry["shared"] and self._used_elsewhere(session, nsi, entry["nsr-ref"]):
                    continue
                if entry["nsr-ref"] in self.state.table("nsrs"):
                    self.lifecycle.delete_ns(session, entry["nsr-ref"])
            del self.state.table("nsis")[nsi["_id"]]
