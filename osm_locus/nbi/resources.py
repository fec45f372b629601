"""Typed NBI resources and the per-service proxies of a :class:`~osm_locus.nbi.Connection`.

Records keep the NBI's raw JSON in ``raw``; the typed fields are the ones scripts need.
Request bodies are exactly OSM's (../shared/osm-nbi/NOTES.md): the embedded lab and a real OSM
receive the same calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from osm_locus.nbi.errors import NbiTimeoutError, OperationFailedError

if TYPE_CHECKING:
    from osm_locus.nbi.client import Connection


@dataclass(frozen=True)
class Resource:
    """A record of the NBI: its ``_id``, a display name and the raw JSON."""

    id: str
    name: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Resource:
        """The typed view of a raw record."""
        return cls(str(record["_id"]), str(record.get("name", record.get("id", ""))), dict(record))


@dataclass(frozen=True)
class PackageRecord(Resource):
    """An onboarded VNF package, NSD or NST."""

    descriptor_id: str = ""
    revision: int = 0
    onboarding_state: str = ""

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PackageRecord:
        """From a catalogue record (descriptor + ``_admin``)."""
        admin = record.get("_admin", {})
        return cls(
            str(record["_id"]),
            str(record.get("name", record.get("id", ""))),
            dict(record),
            str(record.get("id", "")),
            int(admin.get("revision", 0) or 0),
            str(admin.get("onboardingState", "")),
        )


class VnfPackage(PackageRecord):
    """A VNF package (VNFD) record."""


class Nsd(PackageRecord):
    """An NS descriptor record."""


class Nst(PackageRecord):
    """A netslice template record."""


@dataclass(frozen=True)
class VimAccount(Resource):
    """A VIM account."""

    vim_type: str = ""
    state: str = ""

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> VimAccount:
        """From an /admin/v1/vim_accounts record."""
        return cls(
            str(record["_id"]),
            str(record.get("name", "")),
            dict(record),
            str(record.get("vim_type", "")),
            str(record.get("_admin", {}).get("operationalState", "")),
        )


@dataclass(frozen=True)
class K8sCluster(Resource):
    """A K8s cluster registered in OSM, attached to a VIM account."""

    vim_account: str = ""

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> K8sCluster:
        """From an /admin/v1/k8sclusters record."""
        return cls(
            str(record["_id"]),
            str(record.get("name", "")),
            dict(record),
            str(record.get("vim_account", "")),
        )


@dataclass(frozen=True)
class NsInstance(Resource):
    """An NS instance (nsr)."""

    state: str = ""
    operational_status: str = ""
    config_status: str = ""
    detailed_status: str = ""
    vnfr_ids: tuple[str, ...] = ()

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> NsInstance:
        """From an nslcm ns_instances record."""
        return cls(
            str(record["_id"]),
            str(record.get("name", "")),
            dict(record),
            str(record.get("nsState", "")),
            str(record.get("operational-status", "")),
            str(record.get("config-status", "")),
            str(record.get("detailed-status", "")),
            tuple(record.get("constituent-vnfr-ref", [])),
        )


@dataclass(frozen=True)
class NetsliceInstance(Resource):
    """A netslice instance (nsi) and its subnets' NS instances."""

    state: str = ""
    operational_status: str = ""
    subnets: tuple[tuple[str, str], ...] = ()  # (subnet id, nsr _id)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> NetsliceInstance:
        """From an nsilcm netslice_instances record."""
        return cls(
            str(record["_id"]),
            str(record.get("name", "")),
            dict(record),
            str(record.get("_admin", {}).get("nsiState", "")),
            str(record.get("operational-status", "")),
            tuple((str(r["nss-id"]), str(r["nsr-ref"])) for r in record.get("nsr-ref-list", [])),
        )


@dataclass(frozen=True)
class VnfInstance(Resource):
    """A VNF record: where it runs and its VDU/KDU units."""

    member_index: str = ""
    vnfd_ref: str = ""
    vim_account: str = ""
    ip_address: str | None = None
    units: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> VnfInstance:
        """From an nslcm vnf_instances record; units are its ``vdur`` then ``kdur`` entries."""
        return cls(
            str(record["_id"]),
            str(record.get("member-vnf-index-ref", "")),
            dict(record),
            str(record.get("member-vnf-index-ref", "")),
            str(record.get("vnfd-ref", "")),
            str(record.get("vim-account-id", "")),
            record.get("ip-address"),
            tuple(record.get("vdur", [])) + tuple(record.get("kdur", [])),
        )


@dataclass(frozen=True)
class LcmOperation(Resource):
    """An LCM operation occurrence (NS or netslice)."""

    kind: str = ""
    state: str = ""
    error: str | None = None
    detailed_status: str | None = None
    instance_id: str = ""

    @property
    def done(self) -> bool:
        """False while PROCESSING."""
        return self.state not in ("PROCESSING", "")

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> LcmOperation:
        """From an ns_lcm_op_occs or nsi_lcm_op_occs record."""
        return cls(
            str(record["_id"]),
            str(record.get("lcmOperationType", "")),
            dict(record),
            str(record.get("lcmOperationType", "")),
            str(record.get("operationState", "")),
            record.get("errorMessage"),
            record.get("detailedStatus"),
            str(record.get("nsInstanceId") or record.get("netsliceInstanceId") or ""),
        )


R = TypeVar("R", bound=Resource)


class Collection(Generic[R]):
    """List, get, find by name and delete records of one NBI collection."""

    def __init__(self, conn: Connection, path: str, kind: type[R]) -> None:
        self.conn = conn
        self.path = path
        self.kind = kind

    def list(self, **filters: str) -> list[R]:
        """All records the project sees, with OSM's ``?field=value`` filters."""
        return [self._typed(r) for r in self.conn.get(self.path, **filters)]

    def get(self, ident: str) -> R:
        """One record by ``_id`` (OSM also accepts a unique name)."""
        return self._typed(self.conn.get(f"{self.path}/{ident}"))

    def find(self, name: str) -> R | None:
        """The record named ``name`` (or with that ``_id``), None when absent."""
        for record in self.list():
            if name in (record.id, record.name):
                return record
        return None

    def delete(self, ident: str) -> None:
        """DELETE the record."""
        self.conn.delete(f"{self.path}/{ident}")

    def _typed(self, record: Mapping[str, Any]) -> R:
        return self.kind.from_record(record)  # type: ignore[return-value]


_PACKAGE_API = {
    "vnfd": ("/vnfpkgm/v1", "vnf_packages", "package_content", VnfPackage),
    "nsd": ("/nsd/v1", "ns_descriptors", "nsd_content", Nsd),
    "nst": ("/nst/v1", "netslice_templates", "nst_content", Nst),
}


class Packages(Collection[PackageRecord]):
    """Onboarding of one descriptor kind: upload, revise, content, lookup by descriptor id."""

    def __init__(self, conn: Connection, descriptor: str) -> None:
        api, resource, content, kind = _PACKAGE_API[descriptor]
        super().__init__(conn, f"{api}/{resource}", kind)
        self.descriptor = descriptor
        self.content_path = f"{api}/{resource}_content"
        self.content_name = content

    def by_descriptor_id(self, descriptor_id: str) -> PackageRecord | None:
        """The record whose descriptor ``id`` is ``descriptor_id`` (``?id=`` filter)."""
        found = self.list(id=descriptor_id)
        return found[0] if found else None

    def upload(self, archive: bytes, filename: str) -> str:
        """POST …_content with a package tar.gz; the new record's ``_id``."""
        reply = self.conn.request(
            "POST",
            self.content_path,
            data=archive,
            headers={"Content-Type": "application/gzip", "Content-Filename": filename},
        )
        return str(reply.json()["id"])

    def revise(self, ident: str, archive: bytes, filename: str) -> None:
        """PUT …_content/{id}: a new revision of an onboarded package."""
        self.conn.request(
            "PUT",
            f"{self.content_path}/{ident}",
            data=archive,
            headers={"Content-Type": "application/gzip", "Content-Filename": filename},
        )

    def content(self, ident: str) -> bytes:
        """The package as onboarded (GET …/{id}/package_content | nsd_content | nst_content)."""
        return self.conn.request("GET", f"{self.path}/{ident}/{self.content_name}").content


Progress = Callable[[LcmOperation, float], None]


class _Instances(Collection[R]):
    """What NS and netslice proxies share: operations, waiting, terminate, delete."""

    op_path = ""

    def operation(self, op_id: str) -> LcmOperation:
        """An operation occurrence."""
        return LcmOperation.from_record(self.conn.get(f"{self.op_path}/{op_id}"))

    def wait(
        self,
        op_id: str,
        timeout: float = 600.0,
        progress: Progress | None = None,
        poll: float = 0.05,
    ) -> LcmOperation:
        """Poll until the operation ends: FAILED raises OperationFailedError, late a timeout."""
        started = time.monotonic()
        delay = poll
        while True:
            op = self.operation(op_id)
            elapsed = time.monotonic() - started
            if progress is not None:
                progress(op, elapsed)
            if op.done:
                if op.state != "COMPLETED":
                    raise OperationFailedError(op.id, op.kind, op.state, op.error or op.state)
                return op
            if elapsed > timeout:
                raise NbiTimeoutError(
                    f"operation {op.kind} {op.id} still {op.state} after {timeout:g} s "
                    f"(last status: {op.detailed_status or op.state}); it keeps running in OSM"
                )
            time.sleep(min(delay, max(0.0, timeout - elapsed) + 0.01))
            delay = min(delay * 1.5, 2.0)

    def terminate(self, ident: str) -> str:
        """POST …/{id}/terminate; the operation id."""
        return str(self.conn.post(f"{self.path}/{ident}/terminate", {})["id"])

    def delete(self, ident: str) -> None:
        """DELETE …_content/{id} (after terminate)."""
        self.conn.delete(f"{self.path}_content/{ident}")


class NsProxy(_Instances[NsInstance]):
    """NS instances: create+instantiate, Day-2 (action, scale, heal, update), terminate, delete."""

    op_path = "/nslcm/v1/ns_lcm_op_occs"

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn, "/nslcm/v1/ns_instances", NsInstance)

    def create(
        self,
        nsd_id: str,
        name: str,
        vim_account: str,
        vnf: list[dict[str, Any]] | None = None,
        description: str | None = None,
        additional_params: list[dict[str, Any]] | None = None,
    ) -> tuple[str, str]:
        """POST ns_instances_content (create + instantiate); (ns _id, operation id).

        ``additional_params``: OSM's ``additionalParamsForVnf`` entries.
        """
        body: dict[str, Any] = {
            "nsdId": nsd_id,
            "nsName": name,
            "nsDescription": description or name,
            "vimAccountId": vim_account,
        }
        if vnf:
            body["vnf"] = vnf
        if additional_params:
            body["additionalParamsForVnf"] = additional_params
        reply = self.conn.post("/nslcm/v1/ns_instances_content", body)
        return str(reply["id"]), str(reply["nslcmop_id"])

    def vnf_instances(self, ns_id: str) -> list[VnfInstance]:
        """The VNF records of an NS (``vnf_instances?nsr-id-ref=``)."""
        records = self.conn.get("/nslcm/v1/vnf_instances", **{"nsr-id-ref": ns_id})
        return [VnfInstance.from_record(r) for r in records]

    def action(
        self, ns_id: str, member: str, primitive: str, params: Mapping[str, Any] | None = None
    ) -> str:
        """Run a Day-2 primitive of VNF ``member``; the operation id."""
        body = {
            "member_vnf_index": member,
            "primitive": primitive,
            "primitive_params": dict(params or {}),
        }
        return str(self.conn.post(f"{self.path}/{ns_id}/action", body)["id"])

    def scale(self, ns_id: str, member: str, group: str, out: bool = True) -> str:
        """SCALE_VNF by one step of scaling aspect ``group``; the operation id."""
        body = {
            "scaleType": "SCALE_VNF",
            "scaleVnfData": {
                "scaleVnfType": "SCALE_OUT" if out else "SCALE_IN",
                "scaleByStepData": {"scaling-group-descriptor": group, "member-vnf-index": member},
            },
        }
        return str(self.conn.post(f"{self.path}/{ns_id}/scale", body)["id"])

    def heal(self, ns_id: str, vnf_id: str, vdus: list[tuple[str, int]] | None = None) -> str:
        """Heal a VNF (the given (vdu-id, count-index), or all of it); the operation id."""
        item: dict[str, Any] = {"vnfInstanceId": vnf_id, "cause": "osm-locus heal"}
        if vdus:
            item["additionalParams"] = {
                "vdu": [{"vdu-id": v, "count-index": i, "run-day1": False} for v, i in vdus]
            }
        return str(self.conn.post(f"{self.path}/{ns_id}/heal", {"healVnfData": [item]})["id"])

    def vertical_scale(
        self, ns_id: str, vnf_id: str, vnfd_id: str, vdu_id: str, count_index: int | None = None
    ) -> str:
        """``update`` VERTICAL_SCALE of a VDU to its VNFD's current revision."""
        target: dict[str, Any] = {"vnfInstanceId": vnf_id, "vnfdId": vnfd_id, "vduId": vdu_id}
        if count_index is not None:
            target["countIndex"] = count_index
        body = {"updateType": "VERTICAL_SCALE", "verticalScaleVnf": target}
        return str(self.conn.post(f"{self.path}/{ns_id}/update", body)["id"])


class NsiProxy(_Instances[NetsliceInstance]):
    """Netslice instances: create+instantiate, terminate, delete."""

    op_path = "/nsilcm/v1/nsi_lcm_op_occs"

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn, "/nsilcm/v1/netslice_instances", NetsliceInstance)

    def create(
        self,
        nst_id: str,
        name: str,
        vim_account: str,
        subnets: list[dict[str, Any]] | None = None,
        description: str | None = None,
    ) -> tuple[str, str]:
        """POST netslice_instances_content; (nsi _id, operation id)."""
        body: dict[str, Any] = {
            "nstId": nst_id,
            "nsiName": name,
            "nsiDescription": description or name,
            "vimAccountId": vim_account,
        }
        if subnets:
            body["netslice-subnet"] = subnets
        reply = self.conn.post("/nsilcm/v1/netslice_instances_content", body)
        return str(reply["id"]), str(reply["nsilcmop_id"])
