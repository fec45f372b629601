"""The deploy pipeline: build -> onboard -> place -> instantiate -> wait -> wire, through the NBI.

Everything goes through :class:`osm_locus.nbi.Connection`, so the embedded lab and a real OSM get
the same calls. Onboarding is idempotent (same descriptor id and same package content: reuse);
a run that fails says what it left in OSM, and with ``rollback`` removes what it created.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osm_locus.catalogue import CatalogueError, PackageIndex, problem_of, resolve_target
from osm_locus.charm.build import CharmBuildError, package_extras
from osm_locus.intent import DeployIntent, check_wiring, load_intent, render_params
from osm_locus.nbi import Connection
from osm_locus.nbi.errors import NbiError
from osm_locus.nbi.resources import LcmOperation, Packages, VnfInstance
from osm_locus.package.build import render
from osm_locus.package.source import PackageSource, read_upload
from osm_locus.package.validate import validate_sources
from placement.lab import load_lab
from placement.model import Lab, Placement, Problem
from placement.params import osm_params
from placement.solver import solve

log = logging.getLogger(__name__)

#: Called with a line of progress for the user (stage changes, operation states).
Report = Callable[[str], None]


class DeployError(Exception):
    """The deploy failed; ``left`` says what it left in OSM (empty after a rollback)."""

    def __init__(self, message: str, left: list[str] | None = None) -> None:
        super().__init__(message)
        self.left = left or []


@dataclass(frozen=True)
class Onboarded:
    """One package of the run: what happened to it in OSM's catalogue."""

    package: str
    kind: str
    descriptor_id: str
    record_id: str
    action: str  # onboarded | reused | revised


@dataclass(frozen=True)
class FunctionState:
    """Where a function runs and in what state, from OSM's VNF records."""

    function: str
    vnfd: str
    site: str
    k8s_cluster: str
    addresses: tuple[str, ...]
    ns: str
    ns_state: str
    units: str  # e.g. "cloud-vdu-0 ACTIVE"


@dataclass
class DeployResult:
    """What a deploy did and where things run."""

    target: str
    kind: str  # ns | netslice
    name: str
    instance_id: str = ""
    state: str = ""
    packages: list[Onboarded] = field(default_factory=list)
    placement: Placement | None = None
    params: dict[str, Any] = field(default_factory=dict)
    functions: list[FunctionState] = field(default_factory=list)
    wiring: list[str] = field(default_factory=list)
    reused_instance: bool = False


@dataclass
class _Run:
    """What this run created, for rollback or for the report of what is left."""

    packages: list[tuple[Packages, str, str]] = field(default_factory=list)  # proxy, _id, label
    instance: tuple[str, str] | None = None  # (ns | netslice, _id)


def deploy(
    conn: Connection,
    target: str,
    packages_dir: Path | None = None,
    *,
    lab: Lab | None = None,
    objective: str = "cost",
    intent_file: Path | None = None,
    name: str | None = None,
    wait: bool = True,
    timeout: float = 600.0,
    rollback: bool = False,
    update: bool = False,
    time_limit: float = 30.0,
    report: Report | None = None,
) -> DeployResult:
    """Deploy the NSD or NST package ``target`` (folder, or name under ``packages_dir``)."""
    say = report or (lambda line: log.info("%s", line))
    source, index = resolve_target(target, packages_dir)
    assert source.descriptor is not None
    kind = "netslice" if source.descriptor.kind == "nst" else "ns"
    intent = load_intent(intent_file, source)
    problem = problem_of(source, index, intent.placement)
    check_wiring(intent, {f.id for f in problem.functions})
    instance_name = name or source.descriptor.id.replace("_", "-")
    result = DeployResult(source.descriptor.id, kind, instance_name)
    lab = lab or load_lab()

    chain = _closure(source, index)
    archives = _build(chain)
    say(f"built {len(archives)} package(s): {', '.join(s.name for s in chain)}")
    placement = solve(problem, lab, objective, time_limit=time_limit)
    vim_ids = _vim_ids(conn, lab, set(placement.assignment.values()))
    result.placement = placement
    result.params = osm_params(problem, lab, placement.assignment, vim_ids)
    say(
        f"placement ({objective}): "
        + ", ".join(f"{f} -> {s}" for f, s in sorted(placement.assignment.items()))
        + (" (proven optimal)" if placement.proven_optimal else f" (gap {placement.gap:.2%})")
    )
    run = _Run()
    try:
        for item in chain:
            done = _onboard(conn, item, archives[item.name], update, run)
            result.packages.append(done)
            say(f"{done.action} {done.kind} {done.descriptor_id} ({done.record_id})")
        root_id = result.packages[-1].record_id
        existing = _existing(conn, kind, instance_name)
        if existing is not None:
            result.instance_id, result.state = existing
            result.reused_instance = True
            if result.state not in ("READY", "INSTANTIATED"):
                raise DeployError(
                    f"{kind} instance '{instance_name}' ({result.instance_id}) already exists in "
                    f"state {result.state}: terminate it (osm-locus terminate "
                    f"{result.instance_id}) or deploy with another --name"
                )
            say(f"{kind} instance '{instance_name}' already deployed: {result.state}")
        else:
            op_id = _create(conn, kind, root_id, instance_name, result, run, intent)
            say(f"instantiating {kind} '{instance_name}' ({result.instance_id})")
            if not wait:
                result.state = "BUILDING"
                return result
            _wait(conn, kind, op_id, timeout, say)
            result.state = "READY" if kind == "ns" else "INSTANTIATED"
        result.functions = functions_of(conn, kind, result.instance_id)
        if not result.reused_instance:
            result.wiring = _wire(conn, intent, result.functions, problem, timeout, say)
            result.functions = functions_of(conn, kind, result.instance_id)
    except (NbiError, DeployError) as exc:
        left = _cleanup(conn, run, timeout, say) if rollback else _left(run)
        message = str(exc)
        if rollback:
            message += "; rolled back what this run created" + (
                f" except: {', '.join(left)}" if left else ""
            )
        elif left:
            message += f"; left in OSM: {', '.join(left)}"
        raise DeployError(message, left) from exc
    return result


# --- packages -------------------------------------------------------------------------------
def _closure(source: PackageSource, index: PackageIndex) -> list[PackageSource]:
    """The packages ``source`` needs, in onboarding order: VNFs, NSDs, then the NST."""
    assert source.descriptor is not None
    body = source.descriptor.body
    if source.descriptor.kind == "nsd":
        nsds = [source]
    else:
        refs = dict.fromkeys(str(s["nsd-ref"]) for s in body.get("netslice-subnet", []))
        nsds = [_find(index, "nsd", ref) for ref in refs]
    vnfd_ids = dict.fromkeys(
        str(v) for nsd in nsds if nsd.descriptor for v in nsd.descriptor.body.get("vnfd-id", [])
    )
    vnfs = [_find(index, "vnfd", v) for v in vnfd_ids]
    return [*vnfs, *nsds] + ([source] if source.descriptor.kind == "nst" else [])


def _find(index: PackageIndex, kind: str, ident: str) -> PackageSource:
    source = index.sources.get((kind, ident))
    if source is None:
        raise CatalogueError(f"no {kind} package with id '{ident}' under {index.root}")
    return source


def _build(chain: list[PackageSource]) -> dict[str, bytes]:
    """Validate the packages together and render their archives (nothing written to disk)."""
    report = validate_sources(chain, external_ok=False)
    if not report.ok:
        errors = [str(p) for p in report.problems if p.is_error]
        raise DeployError("packages do not validate:\n  " + "\n  ".join(errors))
    try:
        return {source.name: render(source, package_extras(source))[1] for source in chain}
    except CharmBuildError as exc:
        raise DeployError(str(exc)) from None


def fingerprint(archive: bytes) -> str | None:
    """The ``checksums.txt`` of a package archive: equal fingerprints, equal content."""
    checksums = read_upload(archive).files.get("checksums.txt")
    return checksums.decode(errors="replace") if checksums is not None else None


def _proxy(conn: Connection, kind: str) -> Packages:
    return {"vnfd": conn.vnf_packages, "nsd": conn.nsds, "nst": conn.nsts}[kind]


def _onboard(
    conn: Connection, source: PackageSource, archive: bytes, update: bool, run: _Run
) -> Onboarded:
    """Upload unless the same content is onboarded; a changed one only with ``update``."""
    assert source.descriptor is not None
    kind, ident = source.descriptor.kind, source.descriptor.id
    proxy = _proxy(conn, kind)
    filename = f"{source.name}.tar.gz"
    existing = proxy.by_descriptor_id(ident)
    if existing is None:
        record_id = proxy.upload(archive, filename)
        run.packages.append((proxy, record_id, f"{kind} {ident} ({record_id})"))
        return Onboarded(source.name, kind, ident, record_id, "onboarded")
    if fingerprint(proxy.content(existing.id)) == fingerprint(archive):
        return Onboarded(source.name, kind, ident, existing.id, "reused")
    if not update:
        raise DeployError(
            f"{kind} '{ident}' is already onboarded ({existing.id}, revision "
            f"{existing.revision}) with different content than {source.origin}: deploy with "
            "--update to onboard it as a new revision"
        )
    proxy.revise(existing.id, archive, filename)
    return Onboarded(source.name, kind, ident, existing.id, "revised")


# --- placement and instances -----------------------------------------------------------------
def _vim_ids(conn: Connection, lab: Lab, sites: set[str]) -> dict[str, str]:
    """Lab site name -> VIM account _id in OSM; every chosen site must exist there."""
    accounts = {v.name: v.id for v in conn.vim_accounts.list()}
    missing = sorted(s for s in sites if s not in accounts and not lab.site(s).vim_account_id)
    if missing:
        raise DeployError(
            f"placement chose site(s) {', '.join(missing)} of lab '{lab.name}' but {conn.url} "
            f"has no VIM account of that name (it has: {', '.join(sorted(accounts)) or 'none'})"
        )
    return {s: accounts[s] for s in sites if s in accounts}


def _existing(conn: Connection, kind: str, name: str) -> tuple[str, str] | None:
    if kind == "ns":
        found_ns = [n for n in conn.ns.list() if n.name == name]
        return (found_ns[0].id, found_ns[0].state) if found_ns else None
    found = [n for n in conn.nsi.list() if n.name == name]
    return (found[0].id, found[0].state) if found else None


def _additional(intent: DeployIntent, subnet: str | None) -> list[dict[str, Any]]:
    """OSM's ``additionalParamsForVnf`` for an NS (``subnet`` None) or a slice's subnet."""
    entries = []
    for fid, values in sorted(intent.additional_params.items()):
        owner, _, member = fid.rpartition(".")
        if (subnet is None and not owner) or owner == subnet:
            entries.append({"member-vnf-index": member, "additionalParams": dict(values)})
    return entries


def _create(
    conn: Connection,
    kind: str,
    root_id: str,
    name: str,
    result: DeployResult,
    run: _Run,
    intent: DeployIntent,
) -> str:
    params = result.params
    if kind == "ns":
        extra = _additional(intent, None)
        ns_id, op_id = conn.ns.create(
            root_id,
            name,
            params["vimAccountId"],
            params["vnf"],
            additional_params=extra or None,
        )
        result.instance_id = ns_id
    else:
        subnets = [dict(s) for s in params["netslice-subnet"]]
        for subnet in subnets:
            extra = _additional(intent, str(subnet["id"]))
            if extra:
                subnet["additionalParamsForVnf"] = extra
        ns_id, op_id = conn.nsi.create(root_id, name, params["vimAccountId"], subnets)
        result.instance_id = ns_id
    run.instance = (kind, result.instance_id)
    return op_id


def _wait(conn: Connection, kind: str, op_id: str, timeout: float, say: Report) -> None:
    seen: list[str] = []

    def progress(op: LcmOperation, elapsed: float) -> None:
        line = f"{op.kind} {op.state}" + (f": {op.detailed_status}" if op.detailed_status else "")
        if not seen or seen[-1] != line:
            seen.append(line)
            say(f"  [{elapsed:6.1f}s] {line}")

    proxy = conn.ns if kind == "ns" else conn.nsi
    proxy.wait(op_id, timeout, progress)


def functions_of(conn: Connection, kind: str, instance_id: str) -> list[FunctionState]:
    """Each function of the instance: site, K8s cluster, addresses and states."""
    if kind == "ns":
        ns = conn.ns.get(instance_id)
        members = [("", ns.id, ns.state)]
    else:
        nsi = conn.nsi.get(instance_id)
        members = []
        for subnet, ns_id in nsi.subnets:
            members.append((subnet, ns_id, conn.ns.get(ns_id).state))
    vims = {v.id: v.name for v in conn.vim_accounts.list()}
    rows = []
    for subnet, ns_id, ns_state in members:
        for vnf in conn.ns.vnf_instances(ns_id):
            fid = f"{subnet}.{vnf.member_index}" if subnet else vnf.member_index
            rows.append(_row(fid, vnf, vims, ns_id, ns_state))
    return sorted(rows, key=lambda r: r.function)


def _row(
    fid: str, vnf: VnfInstance, vims: dict[str, str], ns_id: str, ns_state: str
) -> FunctionState:
    clusters = {str(k.get("k8s-cluster", {}).get("name", "")) for k in vnf.raw.get("kdur", [])}
    addresses = tuple(str(u["ip-address"]) for u in vnf.units if u.get("ip-address"))
    units = ", ".join(f"{u.get('name') or u.get('kdu-name')} {u.get('status')}" for u in vnf.units)
    return FunctionState(
        fid,
        vnf.vnfd_ref,
        vims.get(vnf.vim_account, vnf.vim_account),
        ", ".join(sorted(c for c in clusters if c)) or "-",
        addresses,
        ns_id,
        ns_state,
        units,
    )


def _wire(
    conn: Connection,
    intent: DeployIntent,
    functions: list[FunctionState],
    problem: Problem,
    timeout: float,
    say: Report,
) -> list[str]:
    """Run the intent's wiring primitives; each must complete."""
    facts = {
        f.function: {"ip": f.addresses[0] if f.addresses else "", "site": f.site, "vim": f.site}
        for f in functions
    }
    by_id = {f.function: f for f in functions}
    done = []
    for wiring in intent.wiring:
        params = render_params(wiring, facts)
        target = by_id[wiring.target]
        member = problem.function(wiring.target).member_index
        op_id = conn.ns.action(target.ns, member, wiring.primitive, params)
        shown = ", ".join(f"{k}={v}" for k, v in params.items())
        say(f"wiring: {wiring.primitive} on {wiring.target} ({shown})")
        conn.ns.wait(op_id, timeout)
        done.append(f"{wiring.primitive} on {wiring.target}: {shown}")
    return done


# --- failure handling ---------------------------------------------------------------------------
def _left(run: _Run) -> list[str]:
    left = []
    if run.instance:
        left.append(f"{run.instance[0]} instance {run.instance[1]}")
    left.extend(label for _, _, label in run.packages)
    return left


def _cleanup(conn: Connection, run: _Run, timeout: float, say: Report) -> list[str]:
    """Terminate and delete the instance, then delete the packages this run onboarded."""
    left = []
    if run.instance:
        kind, ident = run.instance
        instances = conn.ns if kind == "ns" else conn.nsi
        try:
            op_id = instances.terminate(ident)
            instances.wait(op_id, timeout)
            instances.delete(ident)
            say(f"rollback: terminated and deleted {kind} instance {ident}")
        except NbiError as exc:
            left.append(f"{kind} instance {ident} ({exc})")
    for packages, record_id, label in reversed(run.packages):
        try:
            packages.delete(record_id)
            say(f"rollback: deleted {label}")
        except NbiError as exc:
            left.append(f"{label} ({exc})")
    return left


def terminate(
    conn: Connection, ident: str, timeout: float = 600.0, delete: bool = True
) -> tuple[str, str]:
    """Terminate (and delete) an NS or netslice instance by _id or name; (kind, _id)."""
    for kind, proxy in (("netslice", conn.nsi), ("ns", conn.ns)):
        found = proxy.find(ident)
        if found is None:
            continue
        op_id = proxy.terminate(found.id)
        proxy.wait(op_id, timeout)
        if delete:
            proxy.delete(found.id)
        return kind, found.id
    raise DeployError(f"no NS or netslice instance '{ident}' at {conn.url}")
