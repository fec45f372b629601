"""Checks between packages given together: what OSM checks in its catalogue, and what it omits.

OSM checks an NSD's ``vnfd-id`` and ``constituent-cpd-id`` against onboarded VNFDs, and an NST's
``nsd-ref`` against onboarded NSDs. It does not check that an NST ``nsd-connection-point-ref``
names a SAP (``sapd``) of the subnet's NSD, which then fails only at instantiation. A reference to
a descriptor not given is reported as external: it must already be onboarded in OSM.
"""

from __future__ import annotations

from typing import Any

from osm_locus.package.semantics import items
from osm_locus.package.source import Descriptor, PackageSource


def check(sources: list[PackageSource], external_ok: bool = True, catalogue: bool = False) -> None:
    """Record cross-package problems in the sources that hold the referencing descriptor.

    ``catalogue=True``: the other sources are a project's onboarded descriptors (the embedded
    lab), so a missing reference is worded as OSM's NBI words it.
    """
    index: dict[tuple[str, str], PackageSource] = {}
    for source in sources:
        descriptor = source.descriptor
        if descriptor is None or not descriptor.id:
            continue
        key = (descriptor.kind, descriptor.id)
        if key in index:
            source.add(
                f"{descriptor.root_path()}.id",
                f"{descriptor.kind} id '{descriptor.id}' is "
                f"also the id of package {index[key].name}; ids are unique per OSM project",
                status=409,
            )
        else:
            index[key] = source
    for source in sources:
        descriptor = source.descriptor
        if descriptor is None:
            continue
        if descriptor.kind == "nsd":
            _nsd(source, descriptor, index, external_ok, catalogue)
        elif descriptor.kind == "nst":
            _nst(source, descriptor, index, external_ok, catalogue)


def _lookup(
    index: dict[tuple[str, str], PackageSource], kind: str, ident: Any
) -> Descriptor | None:
    found = index.get((kind, str(ident)))
    return found.descriptor if found else None


def _external(
    source: PackageSource, path: str, kind: str, ident: Any, external_ok: bool, catalogue: bool
) -> None:
    field = "vnfd-id" if kind == "vnfd" else "netslice-subnet':'nsd-ref"
    source.add(
        path,
        f"Descriptor error at '{field}'='{ident}' references a non existing {kind}"
        if catalogue
        else f"{kind} '{ident}' is not among the packages given: it must already be onboarded "
        "in OSM",
        warning=external_ok,
        status=409,
    )


def _nsd(
    source: PackageSource,
    nsd: Descriptor,
    index: dict[tuple[str, str], PackageSource],
    external_ok: bool,
    catalogue: bool,
) -> None:
    root = nsd.root_path()
    for position, vnfd_id in enumerate(nsd.body.get("vnfd-id") or []):
        if _lookup(index, "vnfd", vnfd_id) is None:
            _external(
                source, f"{root}.vnfd-id[{position}]", "vnfd", vnfd_id, external_ok, catalogue
            )
    for df_id, df in items(nsd.body, "df"):
        for vp_id, profile in items(df, "vnf-profile"):
            vnfd = _lookup(index, "vnfd", profile.get("vnfd-id"))
            if vnfd is None:
                continue
            ext_cpds = {label for label, _ in items(vnfd.body, "ext-cpd")}
            for vlc in profile.get("virtual-link-connectivity") or []:
                if not isinstance(vlc, dict):
                    continue
                vl = vlc.get("virtual-link-profile-id")
                for ref in vlc.get("constituent-cpd-id") or []:
                    cpd = ref.get("constituent-cpd-id") if isinstance(ref, dict) else None
                    if cpd not in ext_cpds:
                        source.add(
                            f"{root}.df[{df_id}].vnf-profile[{vp_id}].virtual-link-connectivity[{vl}]"
                            ".constituent-cpd-id",
                            f"'{cpd}' is not an ext-cpd of vnfd '{vnfd.id}' (ext-cpds: "
                            f"{', '.join(sorted(ext_cpds)) or 'none'})",
                            status=422,
                        )


def _nst(
    source: PackageSource,
    nst: Descriptor,
    index: dict[tuple[str, str], PackageSource],
    external_ok: bool,
    catalogue: bool,
) -> None:
    root = nst.root_path()
    subnet_nsd: dict[str, Descriptor | None] = {}
    for subnet_id, subnet in items(nst.body, "netslice-subnet"):
        nsd = _lookup(index, "nsd", subnet.get("nsd-ref"))
        subnet_nsd[subnet_id] = nsd
        if nsd is None:
            _external(
                source,
                f"{root}.netslice-subnet[{subnet_id}].nsd-ref",
                "nsd",
                subnet.get("nsd-ref"),
                external_ok,
                catalogue,
            )
    for vld_id, vld in items(nst.body, "netslice-vld"):
        for position, ref in enumerate(vld.get("nss-connection-point-ref") or []):
            if not isinstance(ref, dict):
                continue
            nsd = subnet_nsd.get(str(ref.get("nss-ref")))
            if nsd is None:
                continue
            saps = {label for label, _ in items(nsd.body, "sapd")}
            cp = ref.get("nsd-connection-point-ref")
            if cp not in saps:
                source.add(
                    f"{root}.netslice-vld[{vld_id}].nss-connection-point-ref[{position}]"
                    ".nsd-connection-point-ref",
                    f"'{cp}' is not a sapd of nsd '{nsd.id}' used by subnet "
                    f"'{ref.get('nss-ref')}' "
                    f"(sapds: {', '.join(sorted(saps)) or 'none'})",
                    status=422,
                )
