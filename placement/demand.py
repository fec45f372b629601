"""Build a placement problem from OSM descriptors (already parsed: VNFD/NSD/NST bodies).

- VNF demand: sum over VDUs of (vCPU, RAM, disk) x instances of the chosen deployment flavour's
  instantiation level (default: the df's default level, else its first, else vdu-profile minimums).
- KNF demand: per KDU, Helm ``replicaCount`` x ``resources.requests`` from its values (an intent
  can override it); a KNF needs a site with a K8s cluster.
- Links: every pair of functions on an NSD virtual link, with the bounds of the VLD flavour's
  ``qos`` (latency, packet-delay-variation in ms); netslice VLDs join the subnets' SAPs' links with
  the tightest bound among them.
- Rules: NSD ``affinity-or-anti-affinity-group`` (scope nfvi-pop) and the intent file's
  per-function tier, pin, allowed sites, max latency to a user area, (anti-)affinity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from placement.model import Function, Link, Problem, Resources

HelmValues = Mapping[tuple[str, str], Mapping[str, Any]]  # (vnfd id, kdu name) -> values


def field_errors(exc: ValidationError, source: str, prefix: str = "") -> str:
    """One ``source: prefix.field.path: message`` line per error of a schema-checked file."""
    return "\n".join(
        f"{source}: {prefix}{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
    )


class DemandError(ValueError):
    """The descriptors do not describe a placeable service (missing VNFD, bad intent, ...)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Amount(_Strict):
    vcpu: float = Field(ge=0)
    ram_gb: float = Field(ge=0)
    disk_gb: float = Field(default=0, ge=0)


class _FunctionIntent(_Strict):
    tier: str | None = Field(default=None, pattern="^(edge|core)$")
    pin: str | None = None
    sites: list[str] | None = None
    max_area_latency: dict[str, float] = {}
    demand: _Amount | None = None
    flavour: str | None = None
    instantiation_level: str | None = None


class Intent(_Strict):
    """Placement intent for one service: per-function rules and (anti-)affinity groups.

    Function ids are the member-vnf-index for an NS, ``<subnet>.<member-vnf-index>`` for a slice.
    """

    functions: dict[str, _FunctionIntent] = {}
    anti_affinity: list[list[str]] = []
    affinity: list[list[str]] = []

    @classmethod
    def parse(cls, data: Any, source: str = "intent") -> Intent:
        """Validate parsed YAML; errors name the field."""
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            raise DemandError(field_errors(exc, source)) from None


@dataclass(frozen=True)
class Catalogue:
    """The descriptors a problem may reference, by descriptor id, plus KDU Helm values."""

    vnfds: Mapping[str, Mapping[str, Any]]
    nsds: Mapping[str, Mapping[str, Any]]
    helm_values: HelmValues


def _list(node: Any, key: str) -> list[dict[str, Any]]:
    value = node.get(key) if isinstance(node, Mapping) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _by_id(node: Any, key: str) -> dict[str, dict[str, Any]]:
    return {str(v.get("id")): v for v in _list(node, key)}


def _pick_df(vnfd: Mapping[str, Any], flavour: str | None) -> dict[str, Any]:
    dfs = _by_id(vnfd, "df")
    if flavour is not None:
        if flavour not in dfs:
            raise DemandError(f"vnfd {vnfd.get('id')}: no deployment flavour '{flavour}'")
        return dfs[flavour]
    return next(iter(dfs.values()), {})


def vdu_counts(
    vnfd: Mapping[str, Any], flavour: str | None = None, level: str | None = None
) -> dict[str, int]:
    """Instances per VDU for the chosen flavour and instantiation level."""
    df = _pick_df(vnfd, flavour)
    levels = _by_id(df, "instantiation-level")
    chosen = level or df.get("default-instantiation-level") or next(iter(levels), None)
    if level is not None and level not in levels:
        raise DemandError(f"vnfd {vnfd.get('id')}: no instantiation-level '{level}'")
    if chosen in levels:
        return {
            str(v["vdu-id"]): int(v.get("number-of-instances", 1))
            for v in _list(levels[chosen], "vdu-level")
        }
    profiles = _by_id(df, "vdu-profile")
    return {
        vid: int(profiles.get(vid, {}).get("min-number-of-instances", 1))
        for vid in _by_id(vnfd, "vdu")
    }


def vdu_resources(vnfd: Mapping[str, Any], vdu_id: str) -> Resources:
    """(vCPU, RAM GB, disk GB) of one instance of VDU ``vdu_id``."""
    vdu = _by_id(vnfd, "vdu").get(vdu_id, {})
    compute = _by_id(vnfd, "virtual-compute-desc").get(str(vdu.get("virtual-compute-desc")), {})
    storages = _by_id(vnfd, "virtual-storage-desc")
    vcpu = float(compute.get("virtual-cpu", {}).get("num-virtual-cpu", 0))
    ram = float(compute.get("virtual-memory", {}).get("size", 0))
    disk = sum(
        float(storages.get(str(s), {}).get("size-of-storage", 0))
        for s in vdu.get("virtual-storage-desc") or []
    )
    return Resources(vcpu, ram, disk)


def vnf_demand(
    vnfd: Mapping[str, Any], flavour: str | None = None, level: str | None = None
) -> Resources:
    """Total (vCPU, RAM GB, disk GB) of a VM-based VNF at the chosen flavour and level."""
    total = Resources()
    for vdu_id, count in vdu_counts(vnfd, flavour, level).items():
        total = total + vdu_resources(vnfd, vdu_id).scaled(count)
    return total


_CPU = re.compile(r"^([0-9.]+)(m?)$")
_MEM = re.compile(r"^([0-9.]+)([KMGT]i?)?$")
_MEM_GB = {
    None: 1e-9,
    "K": 1e-6,
    "M": 1e-3,
    "G": 1.0,
    "T": 1e3,
    "Ki": 2**10 / 2**30,
    "Mi": 2**20 / 2**30,
    "Gi": 1.0,
    "Ti": 2**10,
}


def k8s_cpu(value: Any) -> float:
    """A Kubernetes CPU quantity ('500m', '2', 1.5) in cores."""
    match = _CPU.match(str(value).strip())
    if not match:
        raise DemandError(f"unreadable CPU quantity {value!r}")
    return float(match[1]) / (1000 if match[2] else 1)


def k8s_memory_gb(value: Any) -> float:
    """A Kubernetes memory quantity ('256Mi', '1G', 1073741824) in GB (GiB for binary units)."""
    match = _MEM.match(str(value).strip())
    if not match:
        raise DemandError(f"unreadable memory quantity {value!r}")
    return float(match[1]) * _MEM_GB[match[2]]


def kdu_replica_resources(
    vnfd: Mapping[str, Any], kdu_name: str, helm_values: HelmValues
) -> tuple[Resources, int]:
    """One replica's requests of KDU ``kdu_name`` and its replica count, from its Helm values."""
    values = helm_values.get((str(vnfd.get("id")), kdu_name))
    if values is None:
        return Resources(), 1
    requests = (values.get("resources") or {}).get("requests") or {}
    cpu = k8s_cpu(requests["cpu"]) if "cpu" in requests else 0.0
    mem = k8s_memory_gb(requests["memory"]) if "memory" in requests else 0.0
    return Resources(cpu, mem, 0.0), int(values.get("replicaCount", 1))


def knf_demand(vnfd: Mapping[str, Any], helm_values: HelmValues) -> Resources:
    """Resources requested by all KDUs of a KNF: replicas x requests, from their Helm values."""
    total = Resources()
    for kdu in _list(vnfd, "kdu"):
        replica, replicas = kdu_replica_resources(vnfd, str(kdu.get("name")), helm_values)
        total = total + replica.scaled(replicas)
    return total


def _function(
    member: str, vnfd_id: str, fid: str, catalogue: Catalogue, intent: Intent, subnet: str | None
) -> Function:
    vnfd = catalogue.vnfds.get(vnfd_id)
    if vnfd is None:
        raise DemandError(f"vnfd '{vnfd_id}' (member {member}) is not among the packages given")
    rules = intent.functions.get(fid, _FunctionIntent())
    is_vm = bool(_list(vnfd, "vdu"))
    if rules.demand is not None:
        demand = Resources(rules.demand.vcpu, rules.demand.ram_gb, rules.demand.disk_gb)
    elif is_vm:
        demand = vnf_demand(vnfd, rules.flavour, rules.instantiation_level)
    else:
        demand = knf_demand(vnfd, catalogue.helm_values)
    return Function(
        id=fid,
        vnfd_id=vnfd_id,
        kind="vm" if is_vm else "knf",
        demand=demand,
        member_index=member,
        subnet=subnet,
        tier=rules.tier,  # type: ignore[arg-type]
        pin=rules.pin,
        allowed_sites=frozenset(rules.sites) if rules.sites is not None else None,
        max_area_latency=dict(rules.max_area_latency),
    )


@dataclass
class _NsParts:
    functions: list[Function]
    vld_members: dict[str, list[str]]  # vld id -> function ids
    vld_bounds: dict[str, tuple[float | None, float | None]]
    saps: dict[str, str]  # sapd id -> vld id
    anti_affinity: list[frozenset[str]]


def _vld_bounds(
    nsd: Mapping[str, Any], df: Mapping[str, Any]
) -> dict[str, tuple[float | None, float | None]]:
    flavours = {
        str(p.get("virtual-link-desc-id")): p.get("flavour-id")
        for p in _list(df, "virtual-link-profile")
    }
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for vld in _list(nsd, "virtual-link-desc"):
        vld_id = str(vld.get("id"))
        vdfs = _by_id(vld, "df")
        chosen = vdfs.get(str(flavours.get(vld_id))) or next(
            (d for d in vdfs.values() if d.get("qos")), None
        )
        qos = (chosen or {}).get("qos") or {}
        latency, pdv = qos.get("latency"), qos.get("packet-delay-variation")
        bounds[vld_id] = (
            float(latency) if latency is not None else None,
            float(pdv) if pdv is not None else None,
        )
    return bounds


def _ns_parts(
    nsd: Mapping[str, Any], catalogue: Catalogue, intent: Intent, subnet: str | None
) -> _NsParts:
    prefix = f"{subnet}." if subnet else ""
    dfs = _list(nsd, "df")
    if not dfs:
        raise DemandError(f"nsd {nsd.get('id')}: no deployment flavour (df)")
    df = dfs[0]
    profile_vld = {
        str(p.get("id")): str(p.get("virtual-link-desc-id"))
        for p in _list(df, "virtual-link-profile")
    }
    functions: list[Function] = []
    members: dict[str, list[str]] = {}
    groups: dict[str, list[str]] = {}
    for profile in _list(df, "vnf-profile"):
        member = str(profile.get("id"))
        fid = prefix + member
        functions.append(
            _function(member, str(profile.get("vnfd-id")), fid, catalogue, intent, subnet)
        )
        for vlc in _list(profile, "virtual-link-connectivity"):
            ref = str(vlc.get("virtual-link-profile-id"))
            members.setdefault(profile_vld.get(ref, ref), []).append(fid)
        for group in _list(profile, "affinity-or-anti-affinity-group"):
            groups.setdefault(str(group.get("id")), []).append(fid)
    anti = []
    for group in _list(df, "affinity-or-anti-affinity-group"):
        ids = groups.get(str(group.get("id")), [])
        if (
            group.get("type") == "anti-affinity"
            and group.get("scope") == "nfvi-pop"
            and len(ids) > 1
        ):
            anti.append(frozenset(ids))
    saps = {str(s.get("id")): str(s.get("virtual-link-desc")) for s in _list(nsd, "sapd")}
    return _NsParts(functions, members, _vld_bounds(nsd, df), saps, anti)


def _pair_links(
    members: list[str],
    vld: str,
    bound: tuple[float | None, float | None],
    cross_only: Mapping[str, str | None] | None = None,
) -> list[Link]:
    links = []
    for a, b in combinations(sorted(set(members)), 2):
        if cross_only is not None and cross_only[a] == cross_only[b]:
            continue
        links.append(Link(a, b, vld, bound[0], bound[1]))
    return links


def _apply_groups(problem: Problem, intent: Intent) -> Problem:
    known = {f.id for f in problem.functions}
    unknown = sorted(
        {fid for fid in intent.functions} - known
        | {fid for g in intent.anti_affinity + intent.affinity for fid in g} - known
    )
    if unknown:
        raise DemandError(f"intent names unknown functions {unknown} (known: {sorted(known)})")
    return replace(
        problem,
        anti_affinity=problem.anti_affinity + tuple(frozenset(g) for g in intent.anti_affinity),
        affinity=problem.affinity + tuple(frozenset(g) for g in intent.affinity),
    )


def ns_problem(
    nsd: Mapping[str, Any], catalogue: Catalogue, intent: Intent | None = None
) -> Problem:
    """The placement problem of one NS instance of ``nsd``."""
    intent = intent or Intent()
    parts = _ns_parts(nsd, catalogue, intent, None)
    links = [
        link
        for vld, ids in parts.vld_members.items()
        for link in _pair_links(ids, vld, parts.vld_bounds.get(vld, (None, None)))
    ]
    problem = Problem(
        str(nsd.get("id")), "ns", tuple(parts.functions), tuple(links), tuple(parts.anti_affinity)
    )
    return _apply_groups(problem, intent)


def netslice_problem(
    nst: Mapping[str, Any],
    catalogue: Catalogue,
    intent: Intent | None = None,
    shared_existing: Mapping[str, Mapping[str, str]] | None = None,
) -> Problem:
    """The placement problem of a netslice: all subnets at once, joined by the netslice VLDs.

    ``shared_existing`` gives, for a shared subnet already instantiated by another slice, where its
    functions run (member -> site): they are placed once, so here they are pinned and add no load.
    """
    intent = intent or Intent()
    shared_existing = shared_existing or {}
    functions: list[Function] = []
    links: list[Link] = []
    anti: list[frozenset[str]] = []
    subnets: dict[str, str] = {}
    parts_of: dict[str, _NsParts] = {}
    for subnet in _list(nst, "netslice-subnet"):
        sid, nsd_id = str(subnet.get("id")), str(subnet.get("nsd-ref"))
        nsd = catalogue.nsds.get(nsd_id)
        if nsd is None:
            raise DemandError(
                f"netslice-subnet {sid}: nsd '{nsd_id}' is not among the packages given"
            )
        parts = parts_of[sid] = _ns_parts(nsd, catalogue, intent, sid)
        subnets[sid] = nsd_id
        existing = shared_existing.get(sid, {})
        for f in parts.functions:
            if f.member_index in existing:
                f = replace(f, pin=existing[f.member_index], demand=Resources())
            functions.append(f)
        for vld, ids in parts.vld_members.items():
            links += _pair_links(ids, f"{sid}.{vld}", parts.vld_bounds.get(vld, (None, None)))
        anti += parts.anti_affinity
    subnet_of = {f.id: f.subnet for f in functions}
    for netslice_vld in _list(nst, "netslice-vld"):
        joined: list[str] = []
        latencies: list[float] = []
        jitters: list[float] = []
        for ref in _list(netslice_vld, "nss-connection-point-ref"):
            sub = parts_of.get(str(ref.get("nss-ref")))
            inner = sub.saps.get(str(ref.get("nsd-connection-point-ref"))) if sub else None
            if sub is None or inner is None:
                continue
            joined += sub.vld_members.get(inner, [])
            lat, jit = sub.vld_bounds.get(inner, (None, None))
            latencies += [lat] if lat is not None else []
            jitters += [jit] if jit is not None else []
        bound = (min(latencies, default=None), min(jitters, default=None))
        links += _pair_links(
            joined, f"netslice.{netslice_vld.get('id')}", bound, cross_only=subnet_of
        )
    problem = Problem(
        str(nst.get("id")),
        "netslice",
        tuple(functions),
        tuple(links),
        tuple(anti),
        subnets=subnets,
    )
    return _apply_groups(problem, intent)
