"""Deployment intent of an NSD/NST package: placement rules and cross-subnet wiring.

Kept in the package at ``osm-locus/intent.yaml`` (OSM ignores sub-folders it does not know, so the
package still onboards unchanged) or given with ``--intent FILE``. Keys: those of
:class:`placement.demand.Intent` (functions, affinity, anti_affinity), ``additional_params``
(per function, OSM's ``additionalParamsForVnf``: values of ``<name>`` in its Day-1 primitives)
and ``wiring``: Day-2
primitives the deploy pipeline runs once the instance is up, to tell one function how to reach
another — across the subnets of a slice, which OSM cannot relate by itself. Parameter values may
name another function's address: ``{FUNCTION.ip}`` (also ``.site``, ``.vim``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from osm_locus.package.source import PackageSource
from placement.demand import DemandError, Intent, field_errors

INTENT_FILE = "osm-locus/intent.yaml"
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.-]+)\.(ip|site|vim)\}")


class Wiring(BaseModel):
    """Run ``primitive`` on function ``target`` with ``params`` once the instance is READY."""

    model_config = ConfigDict(extra="forbid")

    target: str
    primitive: str
    params: dict[str, str | int | float | bool] = {}

    def references(self) -> set[str]:
        """Function ids whose address or site the parameters use."""
        return {m[1] for value in self.params.values() for m in PLACEHOLDER.finditer(str(value))}


@dataclass(frozen=True)
class DeployIntent:
    """Placement intent plus wiring; ``origin`` names the file it came from."""

    placement: Intent = field(default_factory=Intent)
    wiring: tuple[Wiring, ...] = ()
    origin: str = ""
    #: Function id -> OSM ``additionalParams`` (values of its ``<name>`` primitive parameters).
    additional_params: dict[str, dict[str, Any]] = field(default_factory=dict)


def load_intent(path: Path | None, package: PackageSource | None = None) -> DeployIntent:
    """``path`` if given, else the package's ``osm-locus/intent.yaml``, else an empty intent."""
    if path is not None:
        try:
            text = path.read_text()
        except OSError as exc:
            raise DemandError(f"{path}: cannot read intent: {exc.strerror}") from None
        origin = str(path)
    elif package is not None and INTENT_FILE in package.files:
        text = package.files[INTENT_FILE].decode()
        origin = f"{package.name}/{INTENT_FILE}"
    else:
        return DeployIntent()
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DemandError(f"{origin}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise DemandError(f"{origin}: an intent is a mapping")
    wiring_data: Any = data.pop("wiring", [])
    extra: Any = data.pop("additional_params", {}) or {}
    if not isinstance(extra, dict) or not all(isinstance(v, dict) for v in extra.values()):
        raise DemandError(f"{origin}: additional_params: a mapping of function id -> mapping")
    intent = Intent.parse(data, origin)
    try:
        wiring = tuple(Wiring.model_validate(w) for w in wiring_data or [])
    except ValidationError as exc:
        raise DemandError(field_errors(exc, origin, "wiring.")) from None
    return DeployIntent(intent, wiring, origin, {str(k): dict(v) for k, v in extra.items()})


def check_wiring(intent: DeployIntent, functions: set[str]) -> None:
    """Every wiring target and placeholder must name a function of the service."""
    for name in intent.additional_params:
        if name not in functions:
            raise DemandError(
                f"{intent.origin}: additional_params: '{name}' is not a function of the service"
            )
    for index, wiring in enumerate(intent.wiring):
        for name in {wiring.target} | wiring.references():
            if name not in functions:
                raise DemandError(
                    f"{intent.origin}: wiring[{index}]: '{name}' is not a function of the "
                    f"service (functions: {', '.join(sorted(functions))})"
                )


def render_params(wiring: Wiring, facts: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Parameters with ``{FUNCTION.ip|site|vim}`` replaced by ``facts[FUNCTION][key]``."""

    def value(v: Any) -> Any:
        if not isinstance(v, str):
            return v
        return PLACEHOLDER.sub(lambda m: facts[m[1]][m[2]], v)

    return {k: value(v) for k, v in wiring.params.items()}
