"""The placement problem: sites (VIM accounts), functions (VNFs/KNFs), links, rules and results.

Plain data, no solver and no I/O: the lab loader and the descriptor reader build these, the solver,
the checker and the greedy baseline consume them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

SiteType = Literal["openstack", "kubernetes"]
Tier = Literal["edge", "core"]
FunctionKind = Literal["vm", "knf"]
RESOURCES = ("vcpu", "ram_gb", "disk_gb")


@dataclass(frozen=True)
class Resources:
    """An amount of compute: vCPUs, RAM and disk in GB."""

    vcpu: float = 0.0
    ram_gb: float = 0.0
    disk_gb: float = 0.0

    def __add__(self, other: Resources) -> Resources:
        return Resources(
            self.vcpu + other.vcpu, self.ram_gb + other.ram_gb, self.disk_gb + other.disk_gb
        )

    def __sub__(self, other: Resources) -> Resources:
        return Resources(
            self.vcpu - other.vcpu, self.ram_gb - other.ram_gb, self.disk_gb - other.disk_gb
        )

    def scaled(self, factor: float) -> Resources:
        """This amount times ``factor`` (e.g. per-VDU needs times instances)."""
        return Resources(self.vcpu * factor, self.ram_gb * factor, self.disk_gb * factor)

    def as_list(self) -> list[float]:
        """``[vcpu, ram_gb, disk_gb]``, the JSON form the lab stores."""
        return [self.vcpu, self.ram_gb, self.disk_gb]

    def get(self, name: str) -> float:
        """One component by name (``vcpu``, ``ram_gb``, ``disk_gb``)."""
        return float(getattr(self, name))

    def fits_in(self, other: Resources, eps: float = 1e-9) -> bool:
        """True when every component is at most ``other``'s."""
        return all(self.get(r) <= other.get(r) + eps for r in RESOURCES)

    def price(self, unit_prices: Resources) -> float:
        """Cost of this amount at ``unit_prices`` (per unit and hour)."""
        return sum(self.get(r) * unit_prices.get(r) for r in RESOURCES)

    def __str__(self) -> str:
        return f"{self.vcpu:g} vCPU/{self.ram_gb:g} GB RAM/{self.disk_gb:g} GB disk"


@dataclass(frozen=True)
class Site:
    """An OSM VIM account and what it offers; ``k8s_cluster`` is the cluster attached to it."""

    name: str
    type: SiteType
    tier: Tier
    capacity: Resources
    price: Resources
    used: Resources = Resources()
    k8s_cluster: str | None = None
    vim_account_id: str | None = None
    intra_latency_ms: float = 0.0

    @property
    def free(self) -> Resources:
        """Capacity not used by what already runs there."""
        return self.capacity - self.used

    def hosts(self, kind: FunctionKind) -> bool:
        """Whether a function of this kind can land here (VM: OpenStack; KNF: a K8s cluster)."""
        return self.type == "openstack" if kind == "vm" else self.k8s_cluster is not None


@dataclass(frozen=True)
class Lab:
    """Sites, site-to-site latency/jitter (missing pair: unreachable) and user/access areas."""

    name: str
    sites: tuple[Site, ...]
    latency: Mapping[frozenset[str], tuple[float, float]]
    areas: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def site(self, name: str) -> Site:
        """The site called ``name``."""
        for site in self.sites:
            if site.name == name:
                return site
        raise KeyError(name)

    def link(self, a: str, b: str) -> tuple[float, float] | None:
        """(latency ms, jitter ms) between two sites, or None when unreachable."""
        if a == b:
            return (self.site(a).intra_latency_ms, 0.0)
        return self.latency.get(frozenset((a, b)))

    def area_latency(self, area: str, site: str) -> float | None:
        """Latency from a user area to a site, or None when unreachable or unknown."""
        return self.areas.get(area, {}).get(site)

    def with_sites(self, sites: Iterable[Site]) -> Lab:
        """A copy with other sites (e.g. one down, or with new usage)."""
        return Lab(self.name, tuple(sites), self.latency, self.areas)


@dataclass(frozen=True)
class Function:
    """A VNF or KNF instance to place, with its demand and location rules."""

    id: str
    vnfd_id: str
    kind: FunctionKind
    demand: Resources
    member_index: str
    subnet: str | None = None
    tier: Tier | None = None
    pin: str | None = None
    allowed_sites: frozenset[str] | None = None
    max_area_latency: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """A virtual link between two functions, with optional QoS bounds from its VLD."""

    a: str
    b: str
    vld: str
    max_latency_ms: float | None = None
    max_jitter_ms: float | None = None

    def allows(self, latency: tuple[float, float] | None) -> bool:
        """Whether a site pair with this (latency, jitter) may carry the link."""
        if latency is None:
            return False
        lat, jit = latency
        if self.max_latency_ms is not None and lat > self.max_latency_ms + 1e-9:
            return False
        return not (self.max_jitter_ms is not None and jit > self.max_jitter_ms + 1e-9)

    def bound_text(self) -> str:
        """Human text of the bounds, e.g. '<= 20 ms latency, <= 5 ms jitter'."""
        parts = []
        if self.max_latency_ms is not None:
            parts.append(f"<= {self.max_latency_ms:g} ms latency")
        if self.max_jitter_ms is not None:
            parts.append(f"<= {self.max_jitter_ms:g} ms jitter")
        return ", ".join(parts) or "reachable"


@dataclass(frozen=True)
class Problem:
    """What to place: functions, links between them and (anti-)affinity groups."""

    name: str
    kind: Literal["ns", "netslice"]
    functions: tuple[Function, ...]
    links: tuple[Link, ...] = ()
    anti_affinity: tuple[frozenset[str], ...] = ()
    affinity: tuple[frozenset[str], ...] = ()
    subnets: Mapping[str, str] = field(default_factory=dict)  # subnet id -> nsd id

    def function(self, fid: str) -> Function:
        """The function with id ``fid``."""
        for function in self.functions:
            if function.id == fid:
                return function
        raise KeyError(fid)


@dataclass
class Placement:
    """A solver's answer: the assignment and what is known about its quality."""

    assignment: dict[str, str]
    objective: float
    terms: dict[str, float]
    proven_optimal: bool
    gap: float
    bound: float
    seconds: float
    status: str
    formulation: str = ""
    notes: list[str] = field(default_factory=list)


class InfeasibleError(Exception):
    """No placement satisfies the constraints; ``reasons`` say which rule rules out what."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("no feasible placement:\n" + "\n".join(f"- {r}" for r in reasons))
        self.reasons = reasons
