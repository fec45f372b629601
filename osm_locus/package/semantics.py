"""The per-descriptor checks OSM's NBI runs after YANG validation (descriptor_topics.py, osm_im).

OSM raises on the first failure; we report them all, with the same meaning and a path each.
Checks read the document defensively: after a YANG error a field may have any type.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

Finding = tuple[str, str]

#: OSM NBI's regular expression for a ``kdu.helm-chart`` that is not a URL (repo/chart or chart).
HELM_CHART_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9]/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def items(container: Any, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, entry) for each mapping in list ``container[key]`` (label: id, name or index)."""
    value = container.get(key) if isinstance(container, dict) else None
    if not isinstance(value, list):
        return
    for index, entry in enumerate(value):
        if isinstance(entry, dict):
            label = entry.get("id", entry.get("name", index))
            yield str(label), entry


def sub(container: Any, *keys: str) -> Any:
    """Nested mapping lookup that yields None instead of failing on a wrong type."""
    for key in keys:
        if not isinstance(container, dict):
            return None
        container = container.get(key)
    return container


def day12_primitives(vnfd: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Entries of ``kind`` (``config-primitive``, ...) of every day1-2 of every flavour."""
    return [
        primitive
        for _, df in items(vnfd, "df")
        for _, day12 in items(
            sub(df, "lcm-operations-configuration", "operate-vnf-op-config"), "day1-2"
        )
        for _, primitive in items(day12, kind)
    ]


def unique_ids(body: dict[str, Any], root: str) -> list[Finding]:
    """OSM rejects a list whose entries repeat their ``id`` (or ``name``), at any depth."""
    out: list[Finding] = []
    _unique(body, root, out)
    return out


def _unique(node: Any, path: str, out: list[Finding]) -> None:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if not isinstance(value, list) or not value:
            continue
        first = value[0] if isinstance(value[0], dict) else {}
        field = "id" if first.get("id") else "name" if first.get("name") else None
        seen: set[Any] = set()
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                continue
            label = entry.get(field) if field else index
            here = f"{path}.{key}[{label}]"
            if field and label in seen:
                out.append((here, f"identifier {field} '{label}' is not unique"))
            seen.add(label)
            _unique(entry, here, out)


def check_vnfd(vnfd: dict[str, Any], root: str) -> list[Finding]:
    """VNFD cross-references inside the descriptor, as the NBI checks them (422 in OSM)."""
    out = unique_ids(vnfd, root)
    out += _mgmt_cp(vnfd, root)
    out += _ext_cpds(vnfd, root)
    out += _internal_vlds(vnfd, root)
    out += _compute_storage(vnfd, root)
    out += _df_profiles(vnfd, root)
    out += _monitoring_refs(vnfd, root)
    out += _helm_charts(vnfd, root)
    out += _k8s_cluster_nets(vnfd, root)
    return out


def _mgmt_cp(vnfd: dict[str, Any], root: str) -> list[Finding]:
    if not vnfd.get("vdu"):
        return []
    mgmt = vnfd.get("mgmt-cp")
    if not mgmt:
        return [(f"{root}.mgmt-cp", "'mgmt-cp' is a mandatory field when the VNF has VDUs")]
    if mgmt not in {label for label, _ in items(vnfd, "ext-cpd")}:
        return [(f"{root}.mgmt-cp", f"mgmt-cp='{mgmt}' must match an existing ext-cpd")]
    return []


def _ext_cpds(vnfd: dict[str, Any], root: str) -> list[Finding]:
    int_cpds = {
        (vdu_id, cpd_id)
        for vdu_id, vdu in items(vnfd, "vdu")
        for cpd_id, _ in items(vdu, "int-cpd")
    }
    out: list[Finding] = []
    for cpd_id, cpd in items(vnfd, "ext-cpd"):
        ref = cpd.get("int-cpd")
        if isinstance(ref, dict) and (str(ref.get("vdu-id")), str(ref.get("cpd"))) not in int_cpds:
            out.append(
                (
                    f"{root}.ext-cpd[{cpd_id}].int-cpd",
                    f"ext-cpd '{cpd_id}' names int-cpd '{ref.get('cpd')}' of vdu "
                    f"'{ref.get('vdu-id')}', which does not exist",
                )
            )
    return out


def _internal_vlds(vnfd: dict[str, Any], root: str) -> list[Finding]:
    ivlds = {label for label, _ in items(vnfd, "int-virtual-link-desc")}
    out: list[Finding] = []
    for vdu_id, vdu in items(vnfd, "vdu"):
        for cpd_id, cpd in items(vdu, "int-cpd"):
            ref = cpd.get("int-virtual-link-desc")
            if ref and ref not in ivlds:
                out.append(
                    (
                        f"{root}.vdu[{vdu_id}].int-cpd[{cpd_id}].int-virtual-link-desc",
                        f"'{ref}' must match an existing int-virtual-link-desc",
                    )
                )
    for df_id, df in items(vnfd, "df"):
        for vlp_id, _ in items(df, "virtual-link-profile"):
            if vlp_id not in ivlds:
                out.append(
                    (
                        f"{root}.df[{df_id}].virtual-link-profile[{vlp_id}]",
                        f"'{vlp_id}' must match an existing int-virtual-link-desc",
                    )
                )
    return out


def _compute_storage(vnfd: dict[str, Any], root: str) -> list[Finding]:
    vcds = {label for label, _ in items(vnfd, "virtual-compute-desc")}
    vsds = {label for label, _ in items(vnfd, "virtual-storage-desc")}
    images = {label for label, _ in items(vnfd, "sw-image-desc")}
    out: list[Finding] = []
    for vdu_id, vdu in items(vnfd, "vdu"):
        if "pdu-type" in vdu:
            continue
        here = f"{root}.vdu[{vdu_id}]"
        vcd = vdu.get("virtual-compute-desc")
        if vcd and vcd not in vcds:
            out.append((f"{here}.virtual-compute-desc", f"'{vcd}' is not a virtual-compute-desc"))
        for vsd in vdu.get("virtual-storage-desc") or []:
            if vsd not in vsds:
                out.append(
                    (f"{here}.virtual-storage-desc", f"'{vsd}' is not a virtual-storage-desc")
                )
        image = vdu.get("sw-image-desc")
        if image and image not in images:
            out.append((f"{here}.sw-image-desc", f"'{image}' is not a sw-image-desc"))
    return out


def _df_profiles(vnfd: dict[str, Any], root: str) -> list[Finding]:
    if not vnfd.get("df"):
        return [(f"{root}.df", "a deployment flavour (df) is mandatory")]
    vdus = {label for label, _ in items(vnfd, "vdu")}
    out: list[Finding] = []
    for df_id, df in items(vnfd, "df"):
        for vdu_id, _ in items(df, "vdu-profile"):
            if vdu_id not in vdus:
                out.append(
                    (
                        f"{root}.df[{df_id}].vdu-profile[{vdu_id}]",
                        f"vdu-profile '{vdu_id}' does not name a vdu",
                    )
                )
        for il_id, level in items(df, "instantiation-level"):
            for index, vl in enumerate(level.get("vdu-level") or []):
                ref = vl.get("vdu-id") if isinstance(vl, dict) else None
                if ref not in vdus:
                    out.append(
                        (
                            f"{root}.df[{df_id}].instantiation-level[{il_id}].vdu-level[{index}]",
                            f"vdu-id '{ref}' does not name a vdu",
                        )
                    )
        out += _scaling(vnfd, df_id, df, vdus, root)
    return out


def _scaling(
    vnfd: dict[str, Any], df_id: str, df: dict[str, Any], vdus: set[str], root: str
) -> list[Finding]:
    out: list[Finding] = []
    primitives = {str(p.get("name")) for p in day12_primitives({"df": [df]}, "config-primitive")}
    for sa_id, aspect in items(df, "scaling-aspect"):
        here = f"{root}.df[{df_id}].scaling-aspect[{sa_id}]"
        for delta_id, delta in items(sub(aspect, "aspect-delta-details"), "deltas"):
            for vdu_id, _ in items(delta, "vdu-delta"):
                if vdu_id not in vdus:
                    out.append(
                        (
                            f"{here}.aspect-delta-details.deltas[{delta_id}].vdu-delta[{vdu_id}]",
                            f"vdu-id '{vdu_id}' not defined in vdu",
                        )
                    )
        for index, action in enumerate(aspect.get("scaling-config-action") or []):
            ref = action.get("vnf-config-primitive-name-ref") if isinstance(action, dict) else None
            if ref and ref not in primitives:
                out.append(
                    (
                        f"{here}.scaling-config-action[{index}]",
                        f"vnf-config-primitive-name-ref '{ref}' does not match any day1-2 "
                        "config-primitive",
                    )
                )
    return out


def _monitoring_refs(vnfd: dict[str, Any], root: str) -> list[Finding]:
    params = {
        label for _, vdu in items(vnfd, "vdu") for label, _ in items(vdu, "monitoring-parameter")
    }
    params |= {
        label for _, df in items(vnfd, "df") for label, _ in items(df, "monitoring-parameter")
    }
    params |= {
        label
        for _, vld in items(vnfd, "int-virtual-link-desc")
        for label, _ in items(vld, "monitoring-parameters")
    }
    out: list[Finding] = []
    for df_id, df in items(vnfd, "df"):
        for sa_id, aspect in items(df, "scaling-aspect"):
            for sp_id, policy in items(aspect, "scaling-policy"):
                for sc_id, crit in items(policy, "scaling-criteria"):
                    ref = crit.get("vnf-monitoring-param-ref")
                    if ref and ref not in params:
                        out.append(
                            (
                                f"{root}.df[{df_id}].scaling-aspect[{sa_id}].scaling-policy"
                                f"[{sp_id}].scaling-criteria[{sc_id}].vnf-monitoring-param-ref",
                                f"'{ref}' not defined in any monitoring-parameter",
                            )
                        )
    for vdu_id, vdu in items(vnfd, "vdu"):
        for index, alarm in enumerate(vdu.get("alarm") or []):
            ref = alarm.get("vnf-monitoring-param-ref") if isinstance(alarm, dict) else None
            if ref and ref not in params:
                out.append(
                    (
                        f"{root}.vdu[{vdu_id}].alarm[{index}].vnf-monitoring-param-ref",
                        f"'{ref}' not defined in any monitoring-parameter",
                    )
                )
    return out


def _helm_charts(vnfd: dict[str, Any], root: str) -> list[Finding]:
    out: list[Finding] = []
    for name, kdu in items(vnfd, "kdu"):
        chart = kdu.get("helm-chart")
        if not isinstance(chart, str) or not chart:
            continue
        parsed = urlparse(chart)
        if not HELM_CHART_RE.match(chart) and not (parsed.scheme and parsed.netloc):
            out.append(
                (
                    f"{root}.kdu[{name}].helm-chart",
                    f"helm-chart '{chart}' is not valid: expected 'chart', 'repo/chart' "
                    "(lowercase letters, digits, '-') or a URL",
                )
            )
    return out


def _k8s_cluster_nets(vnfd: dict[str, Any], root: str) -> list[Finding]:
    """Not checked by OSM (a TODO in its NBI): a KNF ext-cpd must name a declared cluster net."""
    nets = {label for label, _ in items(sub(vnfd, "k8s-cluster"), "nets")}
    out: list[Finding] = []
    for cpd_id, cpd in items(vnfd, "ext-cpd"):
        net = cpd.get("k8s-cluster-net")
        if net and net not in nets:
            declared = ", ".join(sorted(nets)) or "none"
            out.append(
                (
                    f"{root}.ext-cpd[{cpd_id}].k8s-cluster-net",
                    f"'{net}' is not a k8s-cluster.nets entry (declared: {declared})",
                )
            )
    return out


def check_nsd(nsd: dict[str, Any], root: str) -> list[Finding]:
    """NSD references inside the descriptor (vnf-profile vnfd-id, VLD profiles, SAPs)."""
    out = unique_ids(nsd, root)
    vnfd_ids = set(nsd.get("vnfd-id") or [])
    vlds = {label for label, _ in items(nsd, "virtual-link-desc")}
    for df_id, df in items(nsd, "df"):
        profiles = {label for label, _ in items(df, "virtual-link-profile")}
        for vp_id, profile in items(df, "vnf-profile"):
            here = f"{root}.df[{df_id}].vnf-profile[{vp_id}]"
            if profile.get("vnfd-id") not in vnfd_ids:
                out.append(
                    (
                        f"{here}.vnfd-id",
                        f"vnfd-id '{profile.get('vnfd-id')}' does not match "
                        "any vnfd-id of the NSD",
                    )
                )
            for vlc in profile.get("virtual-link-connectivity") or []:
                ref = vlc.get("virtual-link-profile-id") if isinstance(vlc, dict) else None
                if ref and ref not in profiles and ref not in vlds:
                    out.append(
                        (
                            f"{here}.virtual-link-connectivity[{ref}]",
                            f"'{ref}' is neither a virtual-link-profile nor a virtual-link-desc",
                        )
                    )
        for vlp_id, vlp in items(df, "virtual-link-profile"):
            ref = vlp.get("virtual-link-desc-id")
            if ref not in vlds:
                out.append(
                    (
                        f"{root}.df[{df_id}].virtual-link-profile[{vlp_id}].virtual-link-desc-id",
                        f"'{ref}' is not a virtual-link-desc",
                    )
                )
            if vlp.get("virtual-link-protocol-data") and _is_mgmt(nsd, ref):
                out.append(
                    (
                        f"{root}.df[{df_id}].virtual-link-profile[{vlp_id}]",
                        "virtual-link-protocol-data is not allowed on a mgmt-network link",
                    )
                )
    for sap_id, sap in items(nsd, "sapd"):
        ref = sap.get("virtual-link-desc")
        if ref and ref not in vlds:
            out.append(
                (
                    f"{root}.sapd[{sap_id}].virtual-link-desc",
                    f"'{ref}' is not a virtual-link-desc of the NSD",
                )
            )
    return out


def _is_mgmt(nsd: dict[str, Any], vld_id: Any) -> bool:
    return any(
        label == vld_id and bool(v.get("mgmt-network"))
        for label, v in items(nsd, "virtual-link-desc")
    )


def check_nst(nst: dict[str, Any], root: str) -> list[Finding]:
    """NST references inside the template: netslice-vld endpoints name declared subnets."""
    out = unique_ids(nst, root)
    subnets = {label for label, _ in items(nst, "netslice-subnet")}
    for vld_id, vld in items(nst, "netslice-vld"):
        for index, ref in enumerate(vld.get("nss-connection-point-ref") or []):
            nss = ref.get("nss-ref") if isinstance(ref, dict) else None
            if nss not in subnets:
                out.append(
                    (
                        f"{root}.netslice-vld[{vld_id}].nss-connection-point-ref[{index}].nss-ref",
                        f"'{nss}' is not a netslice-subnet id (declared: "
                        f"{', '.join(sorted(subnets)) or 'none'})",
                    )
                )
    return out
