"""A problem found in a package, reported as ``package/file: path.to.field: message``."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(str, enum.Enum):
    """Errors make validation fail; warnings (e.g. a reference to a package not given) do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding, located by file and by the descriptor path of the offending field."""

    location: str
    path: str
    message: str
    severity: Severity = Severity.ERROR
    #: The status OSM's NBI answers an upload with for this kind of problem (400 layout and
    #: artifacts, 409 a reference to a descriptor not onboarded, 422 model and semantics).
    http_status: int = 422

    def __str__(self) -> str:
        prefix = "" if self.severity is Severity.ERROR else "warning: "
        where = f"{self.location}: {self.path}" if self.path else self.location
        return f"{where}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        """True when this problem makes the package invalid."""
        return self.severity is Severity.ERROR
