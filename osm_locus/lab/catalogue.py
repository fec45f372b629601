"""Onboarding in the lab: VNF packages, NSDs and NSTs.

Packages are checked by the very code that ``osm-locus package validate`` runs, then stored as
OSM's NBI stores them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from osm_locus.lab.errors import NbiError
from osm_locus.lab.state import LabState, Session
from osm_locus.package import crossref, yang
from osm_locus.package.source import Descriptor, PackageSource, read_upload
from osm_locus.package.validate import check_source


@dataclass(frozen=True)
class Kind:
    """One descriptor collection of the NBI and how its records are presented."""

    descriptor: str  # vnfd | nsd | nst
    collection: str  # vnfds | nsds | nsts
    state_prefix: str  # SOL005 projection: "" (onboardingState) or "nsd" (nsdOnboardingState)
    links: tuple[str, str, str]  # (api base, list resource, content sub-resource)

    def state_key(self, name: str) -> str:
        """E.g. ``onboardingState`` or ``nsdOnboardingState``."""
        return f"{self.state_prefix}{name[0].upper()}{name[1:]}" if self.state_prefix else name


KINDS = {
    "vnfds": Kind("vnfd", "vnfds", "", ("/vnfpkgm/v1", "vnf_packages", "package_content")),
    "nsds": Kind("nsd", "nsds", "nsd", ("/nsd/v1", "ns_descriptors", "nsd_content")),
    "nsts": Kind("nst", "nsts", "", ("/nst/v1", "netslice_templates", "nst_content")),
}


class Catalogue:
    """Descriptor onboarding, listing and deletion on a :class:`LabState`."""

    def __init__(self, state: LabState) -> None:
        self.state = state

    def create_empty(self, kind: Kind, session: Session, user_data: dict[str, Any]) -> str:
        """SOL005 step one: an empty, not yet onboarded record."""
        record = {
            "_admin": {
                "userDefinedData": user_data,
                "revision": 0,
                "onboardingState": "CREATED",
                "operationalState": "DISABLED",
                "usageState": "NOT_IN_USE",
            }
        }
        self.state.insert(kind.collection, record, session)
        self._project(kind, record)
        return str(record["_id"])

    def upload(
        self,
        kind: Kind,
        session: Session,
        data: bytes,
        filename: str,
        record_id: str | None = None,
    ) -> str:
        """Validate and store package content: a new record, or a new revision of ``record_id``."""
        source = read_upload(data, filename)
        descriptor = source.descriptor
        if descriptor is not None and descriptor.kind != kind.descriptor:
            raise NbiError(
                422,
                f"Error in pyangbind validation: expected a {kind.descriptor} "
                f"descriptor, found {descriptor.kind}",
            )
        self._check_conflict(kind, session, descriptor, record_id)  # cheap: before validating
        check_source(source)
        with self.state.lock:
            existing = self.state.get(kind.collection, record_id, session) if record_id else None
            self._check_conflict(kind, session, descriptor, record_id)  # again, under the lock
            others = self._catalogue_sources(session, skip=record_id)
            crossref.check([source, *others], external_ok=False, catalogue=True)
            errors = [p for p in source.problems if p.is_error]
            if errors or descriptor is None:
                first = errors[0] if errors else None
                raise NbiError(
                    first.http_status if first else 400,
                    "; ".join(str(p) for p in errors) or "no descriptor found",
                )
            body = yang.normalise(descriptor.kind, descriptor.body)
            if existing is not None and kind.collection == "vnfds":
                self._check_in_use_change(existing, body)
            record = existing if existing is not None else {}
            revision = int(record.get("_admin", {}).get("revision", 0)) + 1
            admin = dict(record.get("_admin", {}))
            for key in list(record):
                if key not in ("_id", "_admin"):
                    del record[key]
            record.update(body)
            admin.update(
                {
                    "onboardingState": "ONBOARDED",
                    "operationalState": "ENABLED",
                    "usageState": admin.get("usageState", "NOT_IN_USE"),
                    "revision": revision,
                    "modified": time.time(),
                    "storage": {
                        "descriptor": f"{source.name}/{descriptor.file}",
                        "pkg-dir": source.name,
                        "zipfile": filename,
                        "folder": record.get("_id", ""),
                    },
                }
            )
            if descriptor.kind == "vnfd" and descriptor.body.get("vdu"):
                admin["type"] = "vnfd"  # OSM sets it for VDU-based VNFDs only
            record["_admin"] = admin
            if existing is None:
                self.state.insert(kind.collection, record, session)
                admin["storage"]["folder"] = record["_id"]
            self.state.blobs[record["_id"]] = data
            self._project(kind, record)
            return str(record["_id"])

    def _check_conflict(
        self, kind: Kind, session: Session, descriptor: Descriptor | None, record_id: str | None
    ) -> None:
        """409 when another record of the project has the same descriptor id."""
        if descriptor is not None and any(
            r.get("id") == descriptor.id and r["_id"] != record_id
            for r in self.state.visible(kind.collection, session)
        ):
            raise NbiError(
                409,
                f"{kind.descriptor} with id '{descriptor.id}' already exists for this project",
            )

    def _check_in_use_change(self, existing: dict[str, Any], body: dict[str, Any]) -> None:
        """OSM's rule for a VNFD with instances: 409 on a structural change.

        Without a new ``software-version`` only scaling, healing, monitoring and primitive parts
        may change.
        """
        if not any(v["vnfd-id"] == existing["_id"] for v in self.state.table("vnfrs").values()):
            return
        if body.get("software-version") != existing.get("software-version"):
            return
        old = {k: v for k, v in existing.items() if not k.startswith("_") and "State" not in k}
        if _structural(old) != _structural(body):
            raise NbiError(
                409,
                f"Error in validating new descriptor: vnfd '{existing.get('id')}' is in use and "
                "there are disallowed changes in the vnf descriptor; change its "
                "software-version to create a new revision",
            )

    def delete(self, kind: Kind, session: Session, ref: str) -> None:
        """Delete a descriptor unless something in the project references it (409)."""
        with self.state.lock:
            record = self.state.get(kind.collection, ref, session)
            ident = record.get("id")
            nsds = self.state.visible("nsds", session)
            if (
                ident
                and kind.descriptor == "vnfd"
                and any(ident in (n.get("vnfd-id") or []) for n in nsds)
            ):
                raise NbiError(409, "There is at least one NS package referencing this descriptor")
            if ident and kind.descriptor == "nsd":
                for nst in self.state.visible("nsts", session):
                    if any(s.get("nsd-ref") == ident for s in nst.get("netslice-subnet") or []):
                        raise NbiError(
                            409,
                            "There is at least one NetSlice Template referencing this descriptor",
                        )
            instances = {
                "vnfd": ("vnfrs", "vnfd-id"),
                "nsd": ("nsrs", "nsd-id"),
                "nst": ("nsis", "nst-id"),
            }[kind.descriptor]
            if any(
                r.get(instances[1]) == record["_id"]
                for r in self.state.visible(instances[0], session)
            ):
                raise NbiError(409, "There is at least one instance using this descriptor")
            del self.state.table(kind.collection)[record["_id"]]
            self.state.blobs.pop(record["_id"], None)

    def _catalogue_sources(self, session: Session, skip: str | None) -> list[PackageSource]:
        sources = []
        for kind in KINDS.values():
            for record in self.state.visible(kind.collection, session):
                if record["_id"] == skip or not record.get("id"):
                    continue
                body = {
                    k: v
                    for k, v in record.items()
                    if not k.startswith("_") and k not in _PROJECTED
                }
                source = PackageSource(f"{kind.descriptor} {record['id']}", Path(record["_id"]))
                source.descriptor = Descriptor(
                    kind.descriptor, "(onboarded)", kind.descriptor, body
                )
                sources.append(source)
        return sources

    @staticmethod
    def _project(kind: Kind, record: dict[str, Any]) -> None:
        """SOL005 projection: the _admin states repeated at top level, plus _links."""
        admin = record["_admin"]
        for name in ("onboardingState", "operationalState", "usageState"):
            record[kind.state_key(name)] = admin.get(name)
        base, resource, content = kind.links
        record["_links"] = {
            "self": {"href": f"{base}/{resource}/{record['_id']}"},
            "packageContent": {"href": f"{base}/{resource}/{record['_id']}/{content}"},
        }


_PROJECTED = {
    "onboardingState",
    "operationalState",
    "usageState",
    "nsdOnboardingState",
    "nsdOperationalState",
    "nsdUsageState",
}


#: Parts of a VNFD OSM lets change while the VNFD has instances.
_MUTABLE = {
    "scaling-aspect",
    "healing-aspect",
    "monitoring-parameter",
    "alarm",
    "lcm-operations-configuration",
    "description",
    "version",
}


def _structural(node: Any) -> Any:
    """``node`` without the parts in :data:`_MUTABLE` (for in-use change checks)."""
    if isinstance(node, dict):
        return {k: _structural(v) for k, v in node.items() if k not in _MUTABLE}
    if isinstance(node, list):
        return [_structural(v) for v in node]
    return node
