"""Right-sizing: a VDU's vCPUs from observed usage, as a new VNFD revision applied in place.

OSM resizes a running VDU only through ``update`` ``VERTICAL_SCALE`` to the VNFD's current
revision, and accepts a structural change of an in-use VNFD only with a new ``software-version``.
So: percentile of CPU over a window -> vCPUs -> new package (bumped software-version, same
validation as ``osm-locus package validate``) -> upload as a new revision -> vertical scale of each
instance of the VDU; if one fails, the previous content is uploaded again and the VDUs already
resized are scaled back.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import yaml

from osm_locus.nbi import Connection
from osm_locus.nbi.errors import NbiError
from osm_locus.package.build import render
from osm_locus.package.source import read_upload
from osm_locus.package.validate import check_source
from placement.demand import vdu_resources

log = logging.getLogger(__name__)


class RightsizeError(Exception):
    """Right-sizing could not be proposed or applied (says what was rolled back)."""


def propose_vcpu(
    cpu_percent: Sequence[float],
    current_vcpu: int,
    percentile: float = 95.0,
    target_percent: float = 60.0,
    min_vcpu: int = 1,
) -> int:
    """VCPUs that keep the ``percentile`` of observed use at ``target_percent`` of the VDU."""
    if not cpu_percent:
        raise RightsizeError("no CPU samples in the window")
    used = float(np.percentile(np.asarray(cpu_percent, dtype=float), percentile))
    needed = current_vcpu * used / target_percent
    return max(min_vcpu, math.ceil(needed - 1e-9))


def bump_version(version: str) -> str:
    """``1.0`` -> ``1.1``; ``2`` -> ``2.1``; anything else gets ``-rs1``, ``-rs2``..."""
    parts = version.split(".")
    if all(p.isdigit() for p in parts):
        if len(parts) == 1:
            return f"{version}.1"
        return ".".join([*parts[:-1], str(int(parts[-1]) + 1)])
    head, sep, tail = version.rpartition("-rs")
    return f"{head}-rs{int(tail) + 1}" if sep and tail.isdigit() else f"{version}-rs1"


def revise_package(archive: bytes, vdu_id: str, vcpu: int) -> tuple[bytes, str]:
    """The package with ``vdu_id``'s compute at ``vcpu`` and a bumped software-version.

    Returns (archive, new software-version); the result passes the onboarding validation.
    """
    source = read_upload(archive)
    descriptor = source.descriptor
    if descriptor is None or descriptor.kind != "vnfd":
        raise RightsizeError("the package has no VNFD")
    document = yaml.safe_load(source.files[descriptor.file])
    vnfd = document["vnfd"]
    vdu = next((v for v in vnfd.get("vdu", []) if v.get("id") == vdu_id), None)
    if vdu is None:
        raise RightsizeError(f"vnfd {vnfd.get('id')}: no VDU '{vdu_id}'")
    compute_id = vdu.get("virtual-compute-desc")
    users = [v for v in vnfd["vdu"] if v.get("virtual-compute-desc") == compute_id]
    computes = vnfd.get("virtual-compute-desc", [])
    compute = next(c for c in computes if c.get("id") == compute_id)
    if len(users) > 1:  # give this VDU its own compute description
        compute = copy.deepcopy(compute)
        compute["id"] = f"{compute_id}-{vdu_id}"
        computes.append(compute)
        vdu["virtual-compute-desc"] = compute["id"]
    compute.setdefault("virtual-cpu", {})["num-virtual-cpu"] = vcpu
    version = bump_version(str(vnfd.get("software-version", "1.0")))
    vnfd["software-version"] = version
    files = dict(source.files)
    files[descriptor.file] = yaml.safe_dump(document, sort_keys=False).encode()
    source.files = {k: v for k, v in files.items() if k != "checksums.txt"}
    source.problems = []
    _, data = render(source)
    check = read_upload(data)
    check_source(check)
    errors = [str(p) for p in check.problems if p.is_error]
    if errors:
        raise RightsizeError("the revised package does not validate: " + "; ".join(errors))
    return data, version


@dataclass(frozen=True)
class Resized:
    """What a right-sizing did."""

    vdu: str
    vcpu_before: int
    vcpu_after: int
    software_version: str
    instances: int


def apply(
    conn: Connection, ns_ref: str, member: str, vdu_id: str, vcpu: int, timeout: float = 600
) -> Resized:
    """Upload the revised VNFD and vertically scale every instance of ``vdu_id``.

    On failure the old size is uploaded again (as a newer revision) and the instances already
    resized are scaled back.
    """
    ns = conn.ns.find(ns_ref)
    if ns is None:
        raise RightsizeError(f"no NS '{ns_ref}'")
    vnf = next((v for v in conn.ns.vnf_instances(ns.id) if v.member_index == member), None)
    if vnf is None:
        raise RightsizeError(f"NS {ns.name} has no VNF {member}")
    vnfd_id = str(vnf.raw["vnfd-id"])
    before = conn.vnf_packages.content(vnfd_id)
    old = read_upload(before)
    assert old.descriptor is not None
    old_vcpu = int(vdu_resources(old.descriptor.body, vdu_id).vcpu)
    revised, version = revise_package(before, vdu_id, vcpu)
    conn.vnf_packages.revise(vnfd_id, revised, f"{old.name}.tar.gz")
    indexes = [int(u["count-index"]) for u in vnf.units if u.get("vdu-id-ref") == vdu_id]
    done: list[int] = []
    try:
        for index in indexes:
            op = conn.ns.vertical_scale(ns.id, vnf.id, vnfd_id, vdu_id, index)
            conn.ns.wait(op, timeout)
            done.append(index)
    except NbiError as exc:
        rollback, _ = revise_package(revised, vdu_id, old_vcpu)  # newer version, old size
        conn.vnf_packages.revise(vnfd_id, rollback, f"{old.name}.tar.gz")
        for index in done:
            conn.ns.wait(conn.ns.vertical_scale(ns.id, vnf.id, vnfd_id, vdu_id, index), timeout)
        raise RightsizeError(
            f"vertical scale of {vdu_id} to {vcpu} vCPU failed ({exc}); rolled back to "
            f"{old_vcpu} vCPU ({len(done)} instance(s) scaled back)"
        ) from exc
    return Resized(vdu_id, old_vcpu, vcpu, version, len(indexes))
