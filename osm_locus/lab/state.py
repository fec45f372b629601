"""In-memory state of the lab: projects, users, tokens and the NBI's collections, per project.

Every record is stored as the NBI returns it (``_id``, ``_admin`` with ``projects_read`` /
``projects_write``, ...); a lock makes each request's read-modify-write atomic.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osm_locus.lab.errors import NbiError
from osm_locus.lab.store import SqliteStore

TOKEN_LIFETIME_S = 3600.0


@dataclass
class Session:
    """What a token grants: a user acting in one project until ``expires``."""

    token: str
    username: str
    project_id: str
    project_name: str
    admin: bool
    expires: float
    issued: float

    def record(self) -> dict[str, Any]:
        """The token record as POST/GET /admin/v1/tokens show it."""
        return {
            "_id": self.token,
            "id": self.token,
            "expires": self.expires,
            "issued_at": self.issued,
            "username": self.username,
            "project_id": self.project_id,
            "project_name": self.project_name,
            "admin": self.admin,
            "remote_port": 0,
        }


@dataclass
class LabState:
    """All records of the lab, guarded by one lock."""

    token_lifetime: float = TOKEN_LIFETIME_S
    lock: threading.RLock = field(default_factory=threading.RLock)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    collections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    store: SqliteStore | None = None

    def __post_init__(self) -> None:
        admin = self.add_project("admin")
        self.add_user("admin", "admin", [admin["_id"]], admin=True)

    @classmethod
    def open(cls, path: Path | None, token_lifetime: float = TOKEN_LIFETIME_S) -> LabState:
        """A state kept in SQLite file ``path`` (loaded when it exists), in memory when None."""
        state = cls(token_lifetime=token_lifetime)
        if path is None:
            return state
        store = SqliteStore(path)
        if store.empty():
            store.save(state)
        else:
            store.load(state)
        state.store = store
        return state

    def commit(self) -> None:
        """Persist the changes (no-op in memory)."""
        if self.store is not None:
            self.store.save(self)

    # --- identity ---------------------------------------------------------------------------
    def add_project(self, name: str) -> dict[str, Any]:
        """Create a project (names are unique)."""
        with self.lock:
            if any(p["name"] == name for p in self.projects.values()):
                raise NbiError(409, f"project with name '{name}' already exists")
            project_id = str(uuid.uuid4())
            record: dict[str, Any] = {"_id": project_id, "name": name, "_admin": _admin_times()}
            self.projects[project_id] = record
            return record

    def project(self, ref: str) -> dict[str, Any]:
        """A project by id or name."""
        for record in self.projects.values():
            if ref in (record["_id"], record["name"]):
                return record
        raise NbiError(404, f"project '{ref}' not found")

    def add_user(
        self, username: str, password: str, projects: list[str], admin: bool = False
    ) -> dict[str, Any]:
        """Create a user member of ``projects`` (ids or names)."""
        with self.lock:
            if username in self.users:
                raise NbiError(409, f"username '{username}' already exists")
            ids = [self.project(p)["_id"] for p in projects]
            salt = secrets.token_hex(16)
            self.users[username] = {
                "_id": str(uuid.uuid4()),
                "username": username,
                "salt": salt,
                "password": _hash(password, salt),
                "projects": ids,
                "admin": admin,
            }
            return {k: v for k, v in self.users[username].items() if k not in ("password", "salt")}

    def login(self, username: str, password: str, project: str | None) -> Session:
        """Issue a token, as POST /admin/v1/tokens does."""
        user = self.users.get(username)
        if user is None or not secrets.compare_digest(
            user["password"], _hash(password, user["salt"])
        ):
            raise NbiError(401, "Invalid username/password")
        ref = project or str(self.projects[str(user["projects"][0])]["name"])
        try:
            chosen = self.project(ref)
        except NbiError:
            raise NbiError(401, f"Invalid project '{ref}'") from None
        if chosen["_id"] not in user["projects"]:
            raise NbiError(401, f"user '{username}' has no role in project '{ref}'")
        now = time.time()
        session = Session(
            secrets.token_urlsafe(24),
            username,
            chosen["_id"],
            chosen["name"],
            bool(user["admin"]),
            now + self.token_lifetime,
            now,
        )
        with self.lock:
            self.sessions[session.token] = session
        return session

    def session(self, token: str | None) -> Session:
        """The session of a bearer token; 401 when missing, unknown or expired."""
        if not token:
            raise NbiError(401, "Needed a token or Authorization http header")
        session = self.sessions.get(token)
        if session is None:
            raise NbiError(401, "Invalid token")
        if session.expires < time.time():
            with self.lock:
                self.sessions.pop(token, None)
            raise NbiError(401, "Expired Token or Authorization http header")
        return session

    # --- collections --------------------------------------------------------------------------
    def table(self, name: str) -> dict[str, dict[str, Any]]:
        """The records of collection ``name`` (all projects)."""
        return self.collections.setdefault(name, {})

    def visible(self, name: str, session: Session) -> list[dict[str, Any]]:
        """Records of ``name`` that the session's project may read."""
        return [
            r
            for r in self.table(name).values()
            if session.project_id in r["_admin"].get("projects_read", [])
        ]

    def get(self, name: str, ref: str, session: Session) -> dict[str, Any]:
        """One record by ``_id`` (or by ``name`` / ``id`` as OSM also accepts); 404 otherwise."""
        for record in self.visible(name, session):
            if ref == record["_id"]:
                return record
        found = [r for r in self.visible(name, session) if ref in (r.get("name"), r.get("id"))]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise NbiError(409, f"Found more than one {name[:-1]} with name '{ref}'")
        raise NbiError(404, f"{name[:-1]} '{ref}' not found")

    def insert(self, name: str, record: dict[str, Any], session: Session) -> dict[str, Any]:
        """Store a new record owned by the session's project."""
        record.setdefault("_id", str(uuid.uuid4()))
        admin = record.setdefault("_admin", {})
        admin.update(_admin_times())
        admin["projects_read"] = [session.project_id]
        admin["projects_write"] = [session.project_id]
        with self.lock:
            self.table(name)[record["_id"]] = record
        return record

    def snapshot(self, record: dict[str, Any]) -> dict[str, Any]:
        """A copy safe to serialise outside the lock."""
        with self.lock:
            return copy.deepcopy(record)


def _hash(password: str, salt: str) -> str:
    """Salted hash of a password, as OSM keeps them (never the password itself)."""
    return hashlib.sha256((salt + password).encode()).hexdigest()


def _admin_times() -> dict[str, float]:
    now = time.time()
    return {"created": now, "modified": now}
