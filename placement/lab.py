"""Lab description files: the VIM accounts (sites) placement may use, and the network between them.

Schema (YAML; every field is checked and an error names it, e.g. ``sites[1].capacity.vcpu``)::

    name: my-lab
    sites:                         # one per OSM VIM account
      - name: core-openstack       # VIM account name (as in `osm vim-list`)
        vim_account_id: 0a1b...    # optional: the account's OSM _id (used in OSM parameters)
        type: openstack            # openstack | kubernetes (a K8s-only VIM account)
        tier: core                 # core | edge
        capacity: {vcpu: 64, ram_gb: 256, disk_gb: 4000}
        used: {vcpu: 8, ram_gb: 16, disk_gb: 100}   # optional current usage
        price: {vcpu: 0.02, ram_gb: 0.005, disk_gb: 0.0002}   # per unit and hour
        k8s_cluster: null          # name of the K8s cluster attached to this VIM account
        intra_latency_ms: 0.2      # optional, between two functions on this site
    links:                         # site-to-site; a missing pair is unreachable
      - {sites: [core-openstack, edge-k8s], latency_ms: 8, jitter_ms: 1}
    areas:                         # user/access areas and their latency to sites
      - name: campus
        latency_ms: {edge-k8s: 2, core-openstack: 9}
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from placement.model import Lab, Resources, Site

DEFAULT_LAB = "default.yaml"


class LabError(ValueError):
    """A lab file is malformed; the message names the file and each offending field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Amount(_Strict):
    vcpu: float = Field(ge=0)
    ram_gb: float = Field(ge=0)
    disk_gb: float = Field(ge=0)

    def resources(self) -> Resources:
        return Resources(self.vcpu, self.ram_gb, self.disk_gb)


class _Site(_Strict):
    name: str = Field(min_length=1)
    vim_account_id: str | None = None
    type: Literal["openstack", "kubernetes"]
    tier: Literal["edge", "core"]
    capacity: _Amount
    used: _Amount = _Amount(vcpu=0, ram_gb=0, disk_gb=0)
    price: _Amount
    k8s_cluster: str | None = None
    intra_latency_ms: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _kubernetes_has_cluster(self) -> _Site:
        if self.type == "kubernetes" and not self.k8s_cluster:
            raise ValueError(
                "a kubernetes site needs k8s_cluster (the cluster OSM deploys KNFs on)"
            )
        return self


class _Link(_Strict):
    sites: tuple[str, str]
    latency_ms: float = Field(ge=0)
    jitter_ms: float = Field(default=0.0, ge=0)


class _Area(_Strict):
    name: str = Field(min_length=1)
    latency_ms: dict[str, float]


class _Lab(_Strict):
    name: str = "lab"
    sites: list[_Site] = Field(min_length=1)
    links: list[_Link] = []
    areas: list[_Area] = []


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _cross_checks(lab: _Lab) -> list[str]:
    names = [s.name for s in lab.sites]
    errors = [
        f"sites[{i}].name: duplicate site '{n}'" for i, n in enumerate(names) if n in names[:i]
    ]
    known = set(names)
    seen: set[frozenset[str]] = set()
    for i, link in enumerate(lab.links):
        for name in link.sites:
            if name not in known:
                errors.append(f"links[{i}].sites: unknown site '{name}'")
        if link.sites[0] == link.sites[1]:
            errors.append(f"links[{i}].sites: a link joins two different sites")
        pair = frozenset(link.sites)
        if pair in seen:
            errors.append(f"links[{i}].sites: pair {link.sites[0]}-{link.sites[1]} given twice")
        seen.add(pair)
    for i, area in enumerate(lab.areas):
        errors += [
            f"areas[{i}].latency_ms.{name}: unknown site '{name}'"
            for name in area.latency_ms
            if name not in known
        ]
    return errors


def parse_lab(data: Any, source: str = "lab") -> Lab:
    """Build a :class:`Lab` from parsed YAML; raise :class:`LabError` naming every bad field."""
    try:
        model = _Lab.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{source}: {_field_path(e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()
        ]
        raise LabError("\n".join(lines)) from None
    errors = _cross_checks(model)
    if errors:
        raise LabError("\n".join(f"{source}: {e}" for e in errors))
    sites = tuple(
        Site(
            s.name,
            s.type,
            s.tier,
            s.capacity.resources(),
            s.price.resources(),
            s.used.resources(),
            s.k8s_cluster,
            s.vim_account_id,
            s.intra_latency_ms,
        )
        for s in model.sites
    )
    latency = {frozenset(link.sites): (link.latency_ms, link.jitter_ms) for link in model.links}
    areas = {a.name: dict(a.latency_ms) for a in model.areas}
    return Lab(model.name, sites, latency, areas)


def load_lab(path: Path | str | None = None) -> Lab:
    """Read a lab file; ``None`` gives the default lab shipped with osm-locus."""
    if path is None:
        text = resources.files("placement.labs").joinpath(DEFAULT_LAB).read_text()
        source = f"placement/labs/{DEFAULT_LAB}"
    else:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise LabError(f"{path}: cannot read lab file: {exc.strerror}") from None
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LabError(f"{source}: malformed YAML: {exc}") from None
    return parse_lab(data, source)


def lab_schema() -> dict[str, Any]:
    """JSON schema of the lab file format (for editors and documentation)."""
    return _Lab.model_json_schema()
