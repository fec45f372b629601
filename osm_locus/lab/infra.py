"""VIM accounts and K8s clusters of the lab: loaded from a placement lab file, or POSTed."""

from __future__ import annotations

import uuid
from typing import Any

from osm_locus.lab.errors import NbiError
from osm_locus.lab.state import LabState, Session
from placement.model import Lab

#: Fields a client sends that the NBI never shows back in clear.
SECRET_FIELDS = ("vim_password", "password", "credentials")


class Infrastructure:
    """Creation and listing of VIM accounts and K8s clusters, with OSM's record shapes."""

    def __init__(self, state: LabState) -> None:
        self.state = state

    def load_lab(self, lab: Lab) -> None:
        """Register each lab site as a VIM account (and its K8s cluster) in project admin."""
        session = self.state.login("admin", "admin", "admin")
        known = {r.get("name") for r in self.state.visible("vim_accounts", session)}
        for site in lab.sites:
            if site.name in known:  # restarted on a state file: already registered
                continue
            vim = self.create(
                "vim_accounts",
                {
                    "_id": site.vim_account_id or str(uuid.uuid4()),
                    "name": site.name,
                    "vim_type": "openstack" if site.type == "openstack" else "dummy",
                    "vim_url": f"http://{site.name}.lab.invalid:5000/v3",
                    "vim_tenant_name": "locus",
                    "description": f"{site.tier} site of lab {lab.name}",
                    "config": {"tier": site.tier},
                },
                session,
            )
            if site.k8s_cluster:
                self.create(
                    "k8sclusters",
                    {
                        "name": site.k8s_cluster,
                        "vim_account": vim["_id"],
                        "k8s_version": "1.29",
                        "nets": {"external": None, "user": None, "cache": None},
                        "description": f"K8s cluster of {site.name}",
                    },
                    session,
                )

    def create(self, collection: str, data: Any, session: Session) -> dict[str, Any]:
        """Validate and store a VIM account or K8s cluster; it is ENABLED at once."""
        if not isinstance(data, dict) or not data.get("name"):
            raise NbiError(422, "Format error at 'name': property is required")
        with self.state.lock:
            if any(r.get("name") == data["name"] for r in self.state.visible(collection, session)):
                raise NbiError(409, f"name '{data['name']}' already exists for {collection}")
            if collection == "k8sclusters":
                self.state.get("vim_accounts", str(data.get("vim_account", "")), session)
            record = {k: v for k, v in data.items() if k not in SECRET_FIELDS}
            record["schema_version"] = "1.11"
            op = str(uuid.uuid4())
            record["_admin"] = {
                "operationalState": "ENABLED",
                "detailed-status": "",
                "current_operation": op,
                "operations": [
                    {"lcmOperationType": "create", "operationState": "COMPLETED", "_id": op}
                ],
            }
            return self.state.insert(collection, record, session)

    def delete(self, collection: str, ref: str, session: Session) -> None:
        """Remove a VIM account (refused while a K8s cluster is attached) or a K8s cluster."""
        with self.state.lock:
            record = self.state.get(collection, ref, session)
            if collection == "vim_accounts" and any(
                c.get("vim_account") == record["_id"]
                for c in self.state.visible("k8sclusters", session)
            ):
                raise NbiError(409, "There is at least one K8s cluster using this VIM account")
            del self.state.table(collection)[record["_id"]]

    @staticmethod
    def public(record: dict[str, Any]) -> dict[str, Any]:
        """The record as shown to clients (no secrets are ever stored, so a plain copy)."""
        return dict(record)
