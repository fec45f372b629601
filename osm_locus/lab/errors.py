"""OSM's error body: ``{"code": "<HTTPStatus name>", "status": <int>, "detail": "<message>"}``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class NbiError(Exception):
    """An error the NBI answers with its status code and OSM's error body."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = int(status)
        self.detail = detail

    def body(self) -> dict[str, Any]:
        """The JSON body OSM sends with this error."""
        return {"code": HTTPStatus(self.status).name, "status": self.status, "detail": self.detail}
