"""SQLite persistence of the lab's state (``osm-locus lab serve --state FILE``).

Each record is one JSON row keyed by (collection, id); package contents are blobs. ``save`` writes
only what changed since the last save, in one transaction, so a crash leaves the previous
consistent state. sqlite3 is in the standard library: nothing to install.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from osm_locus.lab.state import LabState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    collection TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (collection, id));
CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL);
"""
#: Identity tables, stored beside the NBI collections under reserved names.
_PROJECTS, _USERS, _SESSIONS = "@projects", "@users", "@sessions"


class StoreError(Exception):
    """The state file cannot be opened or read."""


class SqliteStore:
    """A lab state file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self.conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open lab state: {exc}") from None
        self._saved: dict[tuple[str, str], str] = {}
        self._saved_blobs: set[str] = set()
        self._lock = threading.Lock()

    def empty(self) -> bool:
        """True for a new state file."""
        return self.conn.execute("SELECT 1 FROM records LIMIT 1").fetchone() is None

    def load(self, state: LabState) -> None:
        """Replace ``state``'s records with the file's."""
        from osm_locus.lab.state import Session

        rows: dict[str, dict[str, Any]] = {}
        try:
            for collection, ident, body in self.conn.execute(
                "SELECT collection, id, body FROM records"
            ):
                rows.setdefault(collection, {})[ident] = json.loads(body)
                self._saved[(collection, ident)] = body
            blobs = dict(self.conn.execute("SELECT id, data FROM blobs").fetchall())
        except (sqlite3.Error, ValueError) as exc:
            raise StoreError(f"{self.path}: unreadable lab state: {exc}") from None
        with state.lock:
            state.projects = rows.pop(_PROJECTS, {})
            state.users = rows.pop(_USERS, {})
            state.sessions = {k: Session(**v) for k, v in rows.pop(_SESSIONS, {}).items()}
            state.collections = rows
            state.blobs = {k: bytes(v) for k, v in blobs.items()}
            self._saved_blobs = set(blobs)

    def save(self, state: LabState) -> None:
        """Write what changed since the last save in one transaction."""
        with state.lock:
            current: dict[tuple[str, str], str] = {}
            tables = {
                _PROJECTS: state.projects,
                _USERS: state.users,
                _SESSIONS: {k: asdict(v) for k, v in state.sessions.items()},
                **state.collections,
            }
            for collection, records in tables.items():
                for ident, record in records.items():
                    current[(collection, ident)] = json.dumps(record, sort_keys=True)
            new_blobs = {k: v for k, v in state.blobs.items() if k not in self._saved_blobs}
            gone_blobs = self._saved_blobs - set(state.blobs)
        with self._lock:
            changed = [(c, i, b) for (c, i), b in current.items() if self._saved.get((c, i)) != b]
            gone = [key for key in self._saved if key not in current]
            if not (changed or gone or new_blobs or gone_blobs):
                return
            self.conn.execute("BEGIN")
            try:
                self.conn.executemany(
                    "INSERT OR REPLACE INTO records (collection, id, body) VALUES (?, ?, ?)",
                    changed,
                )
                self.conn.executemany("DELETE FROM records WHERE collection = ? AND id = ?", gone)
                self.conn.executemany(
                    "INSERT OR REPLACE INTO blobs (id, data) VALUES (?, ?)", new_blobs.items()
                )
                self.conn.executemany("DELETE FROM blobs WHERE id = ?", [(k,) for k in gone_blobs])
                self.conn.execute("COMMIT")
            except sqlite3.Error:
                self.conn.execute("ROLLBACK")
                raise
            for c, i, b in changed:
                self._saved[(c, i)] = b
            for key in gone:
                del self._saved[key]
            self._saved_blobs = (self._saved_blobs | set(new_blobs)) - gone_blobs

    def close(self) -> None:
        """Close the file."""
        self.conn.close()
