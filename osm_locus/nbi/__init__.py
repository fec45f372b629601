"""A typed client of OSM's northbound interface (SOL005 as OSM implements it), on requests."""

from osm_locus.nbi.client import Connection, Credentials
from osm_locus.nbi.errors import (
    NbiAuthError,
    NbiConflictError,
    NbiError,
    NbiHttpError,
    NbiNotFoundError,
    NbiTimeoutError,
    NbiUnreachableError,
    OperationFailedError,
)

__all__ = [
    "Connection",
    "Credentials",
    "NbiAuthError",
    "NbiConflictError",
    "NbiError",
    "NbiHttpError",
    "NbiNotFoundError",
    "NbiTimeoutError",
    "NbiUnreachableError",
    "OperationFailedError",
]
