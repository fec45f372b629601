"""A client of Prometheus's HTTP API: instant and range queries, typed errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests


class PrometheusError(Exception):
    """Prometheus is unreachable or refused a query (the message names URL and query)."""


@dataclass(frozen=True)
class Sample:
    """One series of a vector result: its labels and value."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    """One series of a matrix result: labels and (timestamp, value) points."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


class Prometheus:
    """``/api/v1/query`` and ``/api/v1/query_range`` of one server."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            reply = self.session.get(f"{self.url}{path}", params=params, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise PrometheusError(f"Prometheus at {self.url} is unreachable: {exc}") from None
        try:
            body = reply.json()
        except ValueError:
            raise PrometheusError(
                f"Prometheus at {self.url} answered {reply.status_code} without JSON"
            ) from None
        if body.get("status") != "success":
            kind, error = body.get("errorType"), body.get("error")
            raise PrometheusError(f"query {params.get('query')!r} failed: {kind}: {error}")
        return body["data"]

    def query(self, promql: str, at: float | None = None) -> list[Sample]:
        """An instant vector."""
        params: dict[str, Any] = {"query": promql}
        if at is not None:
            params["time"] = at
        data = self._get("/api/v1/query", params)
        if data["resultType"] == "scalar":
            return [Sample({}, float(data["result"][1]))]
        return [Sample(r["metric"], float(r["value"][1])) for r in data["result"]]

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[Series]:
        """A range of points per series."""
        data = self._get(
            "/api/v1/query_range", {"query": promql, "start": start, "end": end, "step": step}
        )
        return [
            Series(r["metric"], [(float(t), float(v)) for t, v in r["values"]])
            for r in data["result"]
        ]

    def ready(self) -> bool:
        """True once the server answers its readiness probe."""
        try:
            return self.session.get(f"{self.url}/-/ready", timeout=self.timeout).ok
        except requests.RequestException:
            return False
