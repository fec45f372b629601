"""Exceptions of the NBI client: OSM's status and detail, the host, never a secret."""

from __future__ import annotations


class NbiError(Exception):
    """Anything that went wrong talking to OSM's NBI."""


class NbiUnreachableError(NbiError):
    """The NBI did not answer (connection refused, DNS, TLS, timeout)."""


class NbiHttpError(NbiError):
    """The NBI answered with an error status and OSM's error body."""

    def __init__(self, status: int, detail: str, method: str, url: str) -> None:
        super().__init__(f"{method} {url}: {status} {detail}")
        self.status = status
        self.detail = detail
        self.method = method
        self.url = url


class NbiAuthError(NbiHttpError):
    """401: bad credentials, or a token the NBI no longer accepts after a refresh."""


class NbiNotFoundError(NbiHttpError):
    """404: no such record (or not visible from this project)."""


class NbiConflictError(NbiHttpError):
    """409: duplicate id, record in use, wrong state."""


class NbiTimeoutError(NbiError):
    """An operation did not finish within the time given."""


class OperationFailedError(NbiError):
    """An LCM operation ended FAILED / FAILED_TEMP; carries OSM's errorMessage."""

    def __init__(self, operation: str, kind: str, state: str, message: str) -> None:
        super().__init__(f"operation {kind} {operation} {state}: {message}")
        self.operation = operation
        self.kind = kind
        self.state = state
        self.message = message


def for_status(status: int, detail: str, method: str, url: str) -> NbiHttpError:
    """The exception class matching an HTTP status."""
    kinds = {401: NbiAuthError, 404: NbiNotFoundError, 409: NbiConflictError}
    kind = kinds.get(status, NbiHttpError)
    return kind(status, detail, method, url)
