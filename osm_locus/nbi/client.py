"""The connection to OSM's NBI: auth, tokens, TLS, timeouts, safe retries, typed errors.

Styled after openstacksdk: a :class:`Connection` carries one proxy per service
(``conn.vnf_packages``, ``conn.nsds``, ``conn.nsts``, ``conn.vim_accounts``, ``conn.k8sclusters``,
``conn.ns``, ``conn.nsi``) returning typed resources (:mod:`osm_locus.nbi.resources`).
osmclient is not on PyPI; its environment variables are honoured (:meth:`Connection.from_env`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from osm_locus.nbi.errors import NbiAuthError, NbiHttpError, NbiUnreachableError, for_status

log = logging.getLogger(__name__)

DEFAULT_PORT = 9999
#: (connect, read) seconds for one HTTP exchange.
DEFAULT_TIMEOUT = (5.0, 60.0)
#: Refresh a token this long before it expires (or a tenth of its lifetime, when shorter).
REFRESH_MARGIN_S = 60.0


@dataclass(frozen=True)
class Credentials:
    """Who logs in; the password never shows in ``repr`` or errors."""

    username: str = "admin"
    password: str = field(default="admin", repr=False)
    project: str = "admin"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Osmclient's variables: OSM_USER, OSM_PASSWORD, OSM_PROJECT (defaults admin)."""
        env = os.environ if environ is None else environ
        return cls(
            env.get("OSM_USER", "admin"),
            env.get("OSM_PASSWORD", "admin"),
            env.get("OSM_PROJECT", "admin"),
        )


def url_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The NBI base URL from OSM_HOSTNAME as osmclient reads it (``host[:port]`` or a URL)."""
    env = os.environ if environ is None else environ
    host = env.get("OSM_HOSTNAME", "").strip()
    if not host:
        return None
    if "://" in host:
        return host.rstrip("/") if host.rstrip("/").endswith("/osm") else host.rstrip("/") + "/osm"
    if ":" not in host:
        host = f"{host}:{DEFAULT_PORT}"
    return f"https://{host}/osm"


class Connection:
    """An authenticated session with one OSM NBI (thread-safe token handling)."""

    def __init__(
        self,
        url: str,
        credentials: Credentials | None = None,
        *,
        verify: bool | str = True,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: float = 0.3,
    ) -> None:
        """``verify``: True (system CAs), a CA bundle path, or False (explicitly insecure)."""
        from osm_locus.nbi.resources import (
            Collection,
            K8sCluster,
            NsiProxy,
            NsProxy,
            Packages,
            VimAccount,
        )

        self.url = url.rstrip("/")
        self.credentials = credentials or Credentials()
        self.timeout = timeout
        self.session = requests.Session()
        # passed with every request: a session-level verify loses to REQUESTS_CA_BUNDLE
        self.verify = verify
        self.session.headers.update({"Accept": "application/json"})
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD"}),  # read/status retries: safe calls only
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = threading.Lock()
        #: Calls made, seconds waiting for the NBI, seconds in request() all in (benchmarks).
        self.calls = 0
        self.wait_s = 0.0
        self.client_s = 0.0
        self.logins = 0
        self.vnf_packages = Packages(self, "vnfd")
        self.nsds = Packages(self, "nsd")
        self.nsts = Packages(self, "nst")
        self.vim_accounts = Collection(self, "/admin/v1/vim_accounts", VimAccount)
        self.k8sclusters = Collection(self, "/admin/v1/k8sclusters", K8sCluster)
        self.ns = NsProxy(self)
        self.nsi = NsiProxy(self)

    @classmethod
    def from_env(
        cls, url: str | None = None, environ: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Connection:
        """A connection to ``url`` or OSM_HOSTNAME, with OSM_USER/OSM_PASSWORD/OSM_PROJECT."""
        target = url or url_from_env(environ)
        if not target:
            raise NbiUnreachableError("no NBI given: pass --nbi URL or set OSM_HOSTNAME")
        return cls(target, Credentials.from_env(environ), **kwargs)

    def __repr__(self) -> str:
        return f"Connection({self.url!r}, user={self.credentials.username!r})"

    # --- auth ---------------------------------------------------------------------------------
    def login(self) -> None:
        """Get a token (POST /admin/v1/tokens); 401 -> :class:`NbiAuthError`."""
        body = {
            "username": self.credentials.username,
            "password": self.credentials.password,
            "project_id": self.credentials.project,
        }
        reply = self._send("POST", "/admin/v1/tokens", json=body)
        if reply.status_code != 200:
            raise self._error(reply, "POST", "/admin/v1/tokens")
        record = reply.json()
        self.logins += 1
        lifetime = float(record.get("expires", 0)) - float(record.get("issued_at", 0))
        margin = min(REFRESH_MARGIN_S, lifetime / 10) if lifetime > 0 else 0.0
        self._token = str(record["id"])
        self._refresh_at = time.monotonic() + lifetime - margin if lifetime > 0 else float("inf")
        log.info("logged in to %s as %s", self.url, self.credentials.username)

    def close(self) -> None:
        """Revoke the token (best effort) and close the HTTP session."""
        token, self._token = self._token, None
        if token:
            # DELETE on the collection revokes the caller's own token: none in the URL (logs)
            with contextlib.suppress(NbiUnreachableError):
                self._send("DELETE", "/admin/v1/tokens", token)
        self.session.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _current_token(self, stale: str | None = None) -> str:
        with self._lock:
            if self._token is None or self._token == stale or time.monotonic() > self._refresh_at:
                self.login()
            assert self._token is not None
            return self._token

    # --- HTTP ---------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One authenticated call; a 401 re-logs in once and repeats it. Errors are typed."""
        started = time.perf_counter()
        body = {"json": json, "data": data, "params": params}
        try:
            token = self._current_token()
            reply = self._send(method, path, token, headers, **body)
            if reply.status_code == 401:
                log.info("token refused by %s (%s): logging in again", self.url, _detail(reply))
                token = self._current_token(stale=token)
                reply = self._send(method, path, token, headers, **body)
            if reply.status_code >= 400:
                raise self._error(reply, method, path)
            return reply
        finally:
            self.client_s += time.perf_counter() - started

    def get(self, path: str, **params: str) -> Any:
        """GET ``path`` as JSON."""
        return self.request("GET", path, params=params or None).json()

    def post(self, path: str, body: Any) -> Any:
        """POST a JSON body; the JSON answer (``{}`` when empty)."""
        reply = self.request("POST", path, json=body)
        return reply.json() if reply.content else {}

    def delete(self, path: str) -> None:
        """DELETE ``path``."""
        self.request("DELETE", path)

    def _send(
        self,
        method: str,
        path: str,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        **body: Any,
    ) -> requests.Response:
        """One HTTP exchange; ``body``: requests' ``json``, ``data``, ``params``."""
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        try:
            reply = self.session.request(
                method,
                self.url + path,
                headers=all_headers,
                timeout=self.timeout,
                verify=self.verify,
                **body,
            )
        except requests.exceptions.SSLError:
            raise NbiUnreachableError(
                f"TLS verification of {self.url} failed: give the CA file of the NBI's "
                "certificate (--ca-file / verify=PATH) or, knowingly, --insecure"
            ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise NbiUnreachableError(
                f"OSM NBI at {self.url} is unreachable ({method} {path}): {_reason(exc)}"
            ) from None
        finally:
            self.calls += 1
            self.wait_s += time.perf_counter() - started
        log.debug("%s %s -> %s", method, path, reply.status_code)
        return reply

    def _error(self, reply: requests.Response, method: str, path: str) -> NbiHttpError:
        error = for_status(reply.status_code, _detail(reply), method, self.url + path)
        if isinstance(error, NbiAuthError) and path == "/admin/v1/tokens":
            error.args = (
                f"login to {self.url} as '{self.credentials.username}' "
                f"(project '{self.credentials.project}') refused: {error.detail}",
            )
        return error


def _detail(reply: requests.Response) -> str:
    """OSM's ``detail`` from an error body (JSON or YAML), else the start of the text."""
    try:
        body = reply.json()
    except ValueError:
        return reply.text[:200] or reply.reason or ""
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])
    return str(body)[:200]


def _reason(exc: Exception) -> str:
    """The innermost cause of a requests error, without the noisy urllib3 wrapping."""
    text = str(exc)
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()'\" ")[:200] or type(exc).__name__
