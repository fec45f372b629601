"""The Python API for scripts, mirroring the CLI: connect, deploy, action, status, terminate.

import osm_locus
with osm_locus.connect("https://osm:9999/osm", password=...) as conn:
result = osm_locus.deploy(conn, "packages/locus_composite_nst")
osm_locus.action(conn, "locus-composite-nst.cloud", "cloud", "health-check")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from osm_locus.deploy import DeployResult, terminate
from osm_locus.deploy import deploy as _deploy
from osm_locus.nbi import Connection, Credentials
from osm_locus.nbi.client import url_from_env
from osm_locus.nbi.errors import NbiNotFoundError
from osm_locus.nbi.resources import LcmOperation, NsInstance


def connect(
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    project: str | None = None,
    **kwargs: Any,
) -> Connection:
    """A connection to ``url`` (default OSM_HOSTNAME).

    Unset credentials come from OSM_USER, OSM_PASSWORD, OSM_PROJECT, then admin/admin/admin.
    ``kwargs``: verify, timeout, retries.
    """
    env = Credentials.from_env()
    target = url or url_from_env()
    if not target:
        raise ValueError("no NBI URL: pass url= or set OSM_HOSTNAME")
    credentials = Credentials(
        username or env.username, password or env.password, project or env.project
    )
    return Connection(target, credentials, **kwargs)


def deploy(conn: Connection, target: str, **kwargs: Any) -> DeployResult:
    """Deploy an NS or netslice package (see :func:`osm_locus.deploy.deploy` for options)."""
    return _deploy(conn, target, **kwargs)


def find_ns(conn: Connection, ref: str) -> NsInstance:
    """An NS instance by _id or name."""
    found = conn.ns.find(ref)
    if found is None:
        raise NbiNotFoundError(404, f"ns instance '{ref}' not found", "GET", conn.url)
    return found


def action(
    conn: Connection,
    ns: str,
    member: str,
    primitive: str,
    params: Mapping[str, Any] | None = None,
    timeout: float = 300.0,
) -> LcmOperation:
    """Run a Day-2 primitive and wait for it (raises OperationFailedError on failure)."""
    op_id = conn.ns.action(find_ns(conn, ns).id, member, primitive, params)
    return conn.ns.wait(op_id, timeout)


__all__ = ["action", "connect", "deploy", "find_ns", "terminate"]
