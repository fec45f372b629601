"""Closed-loop policies (YAML), validated with errors that name the field.

```yaml
policies:
  - name: cloud-autoscale
    kind: scale                       # scale | heal
    ns: locus-composite-nst.cloud     # NS instance name (a slice's subnet NS: <nsi>.<subnet>)
    member: cloud                     # member-vnf-index
    query: avg(osm_cpu_utilization{ns_id="$ns_id", vnf_member_index="$member"})
    scaling_group: cloud-vdu-autoscale
    scale_out_above: 70               # % ; scale in only below scale_in_below (hysteresis)
    scale_in_below: 30
    for_s: 10                         # the condition must hold this long
    cooldown_s: 60                    # after any action of this policy
    min_instances: 1
    max_instances: 3
    max_actions_per_hour: 20
    predict: {horizon_s: 60, window_s: 120}   # optional: act on the forecast too
  - name: cloud-heal
    kind: heal
    ns: locus-composite-nst.cloud
    member: cloud
    restart_primitive: restart-service  # ladder: restart -> /heal -> re-placement elsewhere
    settle_s: 20                        # wait this long for a step before the next
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from placement.demand import field_errors


class PolicyError(ValueError):
    """A policy file that cannot be used."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Predict(_Strict):
    """Forecast settings: how far ahead, over how much history."""

    horizon_s: float = Field(default=60, gt=0)
    window_s: float = Field(default=120, gt=0)


class Policy(_Strict):
    """One rule of the loop for one VNF of one NS."""

    name: str
    kind: Literal["scale", "heal"]
    ns: str
    member: str
    query: str = 'avg(osm_cpu_utilization{ns_id="$ns_id", vnf_member_index="$member"})'
    scaling_group: str | None = None
    scale_out_above: float = 70.0
    scale_in_below: float = 30.0
    for_s: float = Field(default=0.0, ge=0)
    cooldown_s: float = Field(default=60.0, ge=0)
    min_instances: int = Field(default=1, ge=0)
    max_instances: int = Field(default=10, ge=1)
    max_actions_per_hour: int = Field(default=30, ge=1)
    predict: Predict | None = None
    restart_primitive: str | None = None
    settle_s: float = Field(default=20.0, ge=0)
    relocate: bool = True

    @model_validator(mode="after")
    def _coherent(self) -> Policy:
        if self.kind == "scale":
            if not self.scaling_group:
                raise ValueError("a scale policy needs scaling_group")
            if self.scale_in_below >= self.scale_out_above:
                raise ValueError("scale_in_below must be below scale_out_above (hysteresis)")
            if self.min_instances > self.max_instances:
                raise ValueError("min_instances exceeds max_instances")
        return self

    def promql(self, ns_id: str) -> str:
        """The query with ``$ns_id`` and ``$member`` filled in."""
        return self.query.replace("$ns_id", ns_id).replace("$member", self.member)


class PolicySet(_Strict):
    """A policy file."""

    policies: list[Policy]
    interval_s: float = Field(default=5.0, gt=0)


def load_policies(path: Path) -> PolicySet:
    """Read and validate a policy file."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from None
    try:
        policies = PolicySet.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(field_errors(exc, str(path))) from None
    names = [p.name for p in policies.policies]
    if len(names) != len(set(names)):
        raise PolicyError(f"{path}: policy names must be unique")
    return policies
