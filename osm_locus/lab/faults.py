"""Fault and load injection for closed-loop tests: sites down/up, a VDU down, offered load.

Not part of OSM's NBI: served under ``/lab/v1`` for project admin only. Load is what a VNF's
users offer, in units of one instance's capacity; it is spread over the instances that are up, so
a scale-out lowers the CPU each instance reports (see :mod:`osm_locus.lab.metrics`).
"""

from __future__ import annotations

from typing import Any

from osm_locus.lab.errors import NbiError
from osm_locus.lab.nfvi import Nfvi
from osm_locus.lab.state import LabState, Session

#: Offered load of a VDU or KDU nobody set a load for (10 % of one instance).
IDLE_LOAD = 0.1


class Faults:
    """Injects faults into the simulated NFVI and the VNF records."""

    def __init__(self, state: LabState, nfvi: Nfvi) -> None:
        self.state = state
        self.nfvi = nfvi

    def set_site(self, session: Session, name: str, up: bool) -> dict[str, Any]:
        """Take a site down (its VDUs and KDUs go ERROR, nothing deploys there) or back up."""
        with self.state.lock:
            vim = self.state.get("vim_accounts", name, session)
            site = self.nfvi.site(str(vim["name"]))
            site.up = up
            hit = 0
            if not up:
                for vnfr in self.state.table("vnfrs").values():
                    if vnfr.get("_lab", {}).get("site") == site.name and vnfr["_lab"]["demand"]:
                        for unit in vnfr["vdur"] + vnfr["kdur"]:
                            unit["status"] = "ERROR"
                            hit += 1
            return {"site": site.name, "up": up, "units-down": hit}

    def fail_vdu(self, session: Session, vnf_id: str, data: Any) -> dict[str, Any]:
        """One VDU instance goes ERROR (its VM died)."""
        vdu_id = str(data.get("vdu-id", "")) if isinstance(data, dict) else ""
        index = int(data.get("count-index", 0)) if isinstance(data, dict) else 0
        with self.state.lock:
            vnfr = self.state.get("vnfrs", vnf_id, session)
            for vdur in vnfr["vdur"]:
                if vdur["vdu-id-ref"] == vdu_id and int(vdur["count-index"]) == index:
                    vdur["status"] = "ERROR"
                    return {"vdur": vdur["_id"], "status": "ERROR"}
        raise NbiError(404, f"vdu '{vdu_id}' count-index {index} not found in vnf '{vnf_id}'")

    def set_load(self, session: Session, vnf_id: str, data: Any) -> dict[str, Any]:
        """Offered load of a VDU or KDU (``{"unit": NAME, "load": 1.5}``: 1.5 instances' worth)."""
        if not isinstance(data, dict) or "unit" not in data or "load" not in data:
            raise NbiError(422, "Format error: 'unit' and 'load' are required")
        try:
            load = float(data["load"])
        except (TypeError, ValueError):
            raise NbiError(
                422, f"Format error at 'load': {data['load']!r} is not a number"
            ) from None
        if load < 0:
            raise NbiError(422, "Format error at 'load': must be >= 0")
        with self.state.lock:
            vnfr = self.state.get("vnfrs", vnf_id, session)
            units = {v["vdu-id-ref"] for v in vnfr["vdur"]} | {k["kdu-name"] for k in vnfr["kdur"]}
            if data["unit"] not in units:
                raise NbiError(
                    404, f"unit '{data['unit']}' is not a VDU or KDU of vnf '{vnfr['_id']}'"
                )
            vnfr["_lab"].setdefault("load", {})[str(data["unit"])] = load
            return {"unit": data["unit"], "load": load}
