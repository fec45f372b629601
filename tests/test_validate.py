"""`osm-locus package validate`: shipped packages pass; each breakage gets its own message."""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from osm_locus.package import validate_packages
from osm_locus.package.build import build_report
from tests.conftest import PACKAGES, SHIPPED

ALL = [
    PACKAGES / n
    for n in (
        "locus_cloud_vnf",
        "locus_edge_knf",
        "locus_cloud_ns",
        "locus_edge_ns",
        "locus_composite_nst",
    )
]


def messages(report: Any) -> list[str]:
    return [str(p) for p in report.problems]


def test_shipped_packages_are_valid_together() -> None:
    report = validate_packages(SHIPPED)
    assert messages(report) == []
    assert report.ok
    assert {s.descriptor.kind for s in report.sources} == {"vnfd", "nsd", "nst"}


def test_built_archives_validate_too(tmp_path: Path) -> None:
    built = build_report(validate_packages(SHIPPED), tmp_path)
    report = validate_packages([b.archive for b in built])
    assert messages(report) == []


def test_nsd_alone_reports_its_vnfd_as_external() -> None:
    report = validate_packages([PACKAGES / "locus_cloud_ns"])
    assert report.ok
    assert messages(report) == [
        "locus_cloud_ns/locus_cloud_nsd.yaml: nsd.nsd[locus_cloud_ns].vnfd-id[0]: warning: vnfd "
        "'locus_cloud_vnf' is not among the packages given: it must already be onboarded in OSM"
    ]
    strict = validate_packages([PACKAGES / "locus_cloud_ns"], external_ok=False)
    assert not strict.ok


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Mutator setting a dotted path (list indices as integers) in the descriptor document."""

    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()

JUJU_DAY12 = {
    "operate-vnf-op-config": {
        "day1-2": [
            {
                "id": "locus_cloud_vnf",
                "execution-environment-list": [
                    {"id": "proxy-ee", "juju": {"charm": "no-such-proxy", "proxy": True}}
                ],
                "config-access": {"ssh-access": {"required": True, "default-user": "ubuntu"}},
            }
        ]
    }
}

# (case id, package, mutator, expected path, expected message fragment)
CORPUS = [
    (
        "unknown-key",
        "locus_cloud_vnf",
        _set("vnfd.flavour", "big"),
        "vnfd.flavour",
        "unknown key 'flavour'",
    ),
    (
        "missing-mgmt-cp",
        "locus_cloud_vnf",
        _set("vnfd.mgmt-cp", _DELETE),
        "vnfd.mgmt-cp",
        "'mgmt-cp' is a mandatory field",
    ),
    (
        "mgmt-cp-not-ext-cpd",
        "locus_cloud_vnf",
        _set("vnfd.mgmt-cp", "oam"),
        "vnfd.mgmt-cp",
        "mgmt-cp='oam' must match an existing ext-cpd",
    ),
    (
        "ext-cpd-missing-int-cpd",
        "locus_cloud_vnf",
        _set("vnfd.ext-cpd.1.int-cpd.cpd", "vdu-eth9"),
        "vnfd.ext-cpd[cache].int-cpd",
        "names int-cpd 'vdu-eth9' of vdu 'cloud-vdu', which does not exist",
    ),
    (
        "missing-cloud-init",
        "locus_cloud_vnf",
        _set("vnfd.vdu.0.cloud-init-file", "day0.cfg"),
        "vnfd.vdu[cloud-vdu].cloud-init-file",
        "cloud-init file 'day0.cfg' is not in the package",
    ),
    (
        "missing-charm",
        "locus_cloud_vnf",
        _set("vnfd.df.0.lcm-operations-configuration", JUJU_DAY12),
        "vnfd.df[default-df].lcm-operations-configuration.operate-vnf-op-config.day1-2"
        "[locus_cloud_vnf].execution-environment-list[proxy-ee].juju.charm",
        "charm 'no-such-proxy' is not in the package",
    ),
    (
        "invalid-helm-chart",
        "locus_edge_knf",
        _set("vnfd.kdu.0.helm-chart", "Locus_Edge"),
        "vnfd.kdu[locus-edge].helm-chart",
        "helm-chart 'Locus_Edge' is not valid",
    ),
    (
        "local-helm-chart-missing",
        "locus_edge_knf",
        _set("vnfd.kdu.0.helm-chart", "locus-core"),
        "vnfd.kdu[locus-edge].helm-chart",
        "helm-chart 'locus-core' has no repository prefix and is not in the package",
    ),
    (
        "knf-undeclared-cluster-net",
        "locus_edge_knf",
        _set("vnfd.ext-cpd.1.k8s-cluster-net", "users"),
        "vnfd.ext-cpd[user].k8s-cluster-net",
        "'users' is not a k8s-cluster.nets entry (declared: cache, external, user)",
    ),
    (
        "nsd-unknown-vnfd-in-profile",
        "locus_cloud_ns",
        _set("nsd.nsd.0.df.0.vnf-profile.0.vnfd-id", "locus_cloud_vnfx"),
        "nsd.nsd[locus_cloud_ns].df[default-df].vnf-profile[cloud].vnfd-id",
        "vnfd-id 'locus_cloud_vnfx' does not match any vnfd-id of the NSD",
    ),
    (
        "nsd-unknown-vnfd",
        "locus_cloud_ns",
        _set("nsd.nsd.0.vnfd-id", ["locus_core_vnf"]),
        "nsd.nsd[locus_cloud_ns].vnfd-id[0]",
        "warning: vnfd 'locus_core_vnf' is not among the packages given",
    ),
    (
        "nsd-unknown-connection-point",
        "locus_cloud_ns",
        _set(
            "nsd.nsd.0.df.0.vnf-profile.0.virtual-link-connectivity.2.constituent-cpd-id.0"
            ".constituent-cpd-id",
            "cache-ext",
        ),
        "nsd.nsd[locus_cloud_ns].df[default-df].vnf-profile[cloud].virtual-link-connectivity[cache]"
        ".constituent-cpd-id",
        "'cache-ext' is not an ext-cpd of vnfd 'locus_cloud_vnf' (ext-cpds: cache, mgmt, origin)",
    ),
    (
        "nst-unknown-nsd",
        "locus_composite_nst",
        _set("nst.0.netslice-subnet.1.nsd-ref", "edge_ns"),
        "nst[locus_composite_nst].netslice-subnet[edge].nsd-ref",
        "warning: nsd 'edge_ns' is not among the packages given",
    ),
    (
        "nst-unknown-sap",
        "locus_composite_nst",
        _set(
            "nst.0.netslice-vld.3.nss-connection-point-ref.1.nsd-connection-point-ref",
            "nsd_cp_cache",
        ),
        "nst[locus_composite_nst].netslice-vld[cache].nss-connection-point-ref[1].nsd-connection-point-ref",
        "'nsd_cp_cache' is not a sapd of nsd 'locus_edge_ns' used by subnet 'edge' (sapds: cache, "
        "external, user)",
    ),
    (
        "nst-unknown-subnet",
        "locus_composite_nst",
        _set("nst.0.netslice-vld.0.nss-connection-point-ref.0.nss-ref", "locus_cloud_ns"),
        "nst[locus_composite_nst].netslice-vld[mgmt].nss-connection-point-ref[0].nss-ref",
        "'locus_cloud_ns' is not a netslice-subnet id (declared: cloud, edge)",
    ),
    (
        "duplicate-id",
        "locus_cloud_vnf",
        _set("vnfd.ext-cpd.2.id", "cache"),
        "vnfd.ext-cpd[cache]",
        "identifier id 'cache' is not unique",
    ),
    (
        "old-format",
        "locus_cloud_vnf",
        lambda d: d.update({"vnfd-catalog": d.pop("vnfd")}),
        "vnfd-catalog",
        "unsupported descriptor format",
    ),
]


@pytest.mark.parametrize(
    ("case", "name", "mutate", "path", "fragment"), CORPUS, ids=[c[0] for c in CORPUS]
)
def test_broken_package(
    copy_package: Callable[..., Path],
    case: str,
    name: str,
    mutate: Callable[[dict[str, Any]], None],
    path: str,
    fragment: str,
) -> None:
    broken = copy_package(name, mutate)
    others = [p for p in ALL if p.name != name]
    report = validate_packages([*others, broken])
    found = [p for p in report.problems if p.path == path]
    assert found, f"no problem at {path}: {messages(report)}"
    assert any(fragment in str(p) for p in found), messages(report)
    assert all(p.location.startswith(name + "/") or p.location == name for p in found)
    if "warning" not in fragment:
        assert not report.ok


def test_malformed_yaml(copy_package: Callable[..., Path]) -> None:
    broken = copy_package("locus_edge_ns")
    (broken / "locus_edge_nsd.yaml").write_text("nsd:\n  nsd:\n    - id: x\n     name: [oops\n")
    (problem,) = validate_packages([broken]).problems
    assert str(problem).startswith("locus_edge_ns/locus_edge_nsd.yaml: malformed YAML at line 4")


def test_two_descriptors(copy_package: Callable[..., Path]) -> None:
    broken = copy_package("locus_edge_ns")
    shutil.copy(broken / "locus_edge_nsd.yaml", broken / "other_nsd.yaml")
    (problem,) = validate_packages([broken]).problems
    assert (
        "found more than one descriptor file in the package: locus_edge_nsd.yaml, "
        "other_nsd.yaml" in str(problem)
    )


def test_file_outside_top_folder(tmp_path: Path) -> None:
    archive = tmp_path / "locus_edge_ns.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(PACKAGES / "locus_edge_ns", arcname="locus_edge_ns")
        info = tarfile.TarInfo("README.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    report = validate_packages([archive])
    assert any("README.txt: all files must be inside a dir" in str(p) for p in report.problems)
    assert not report.ok


def test_path_traversal_in_archive(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(PACKAGES / "locus_edge_ns", arcname="locus_edge_ns")
        info = tarfile.TarInfo("locus_edge_ns/../../etc/passwd")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    assert any("absolute path or '..'" in str(p) for p in validate_packages([archive]).problems)


def test_stale_checksums(copy_package: Callable[..., Path]) -> None:
    broken = copy_package("locus_edge_ns")
    (broken / "checksums.txt").write_text("0" * 32 + "  locus_edge_nsd.yaml\n")
    (problem,) = [p for p in validate_packages([broken]).problems if p.is_error]
    assert str(problem) == (
        "locus_edge_ns/checksums.txt: md5 of 'locus_edge_nsd.yaml' does not "
        "match (file changed since checksums.txt was written)"
    )


def test_every_problem_reported_not_just_the_first(copy_package: Callable[..., Path]) -> None:
    def many(document: dict[str, Any]) -> None:
        vnfd = document["vnfd"]
        vnfd["mgmt-cp"] = "oam"
        vnfd["vdu"][0]["cloud-init-file"] = "missing.cfg"
        vnfd["ext-cpd"][2]["int-cpd"]["vdu-id"] = "edge-vdu"
        vnfd["unknown"] = 1

    report = validate_packages([copy_package("locus_cloud_vnf", many)])
    assert {p.path for p in report.problems} == {
        "vnfd.mgmt-cp",
        "vnfd.vdu[cloud-vdu].cloud-init-file",
        "vnfd.ext-cpd[origin].int-cpd",
        "vnfd.unknown",
    }


def test_missing_path_is_reported(tmp_path: Path) -> None:
    (problem,) = validate_packages([tmp_path / "nope"]).problems
    assert "does not exist" in str(problem)


def test_helm_chart_name_must_match(copy_package: Callable[..., Path]) -> None:
    broken = copy_package("locus_edge_knf")
    chart = broken / "helm-charts" / "locus-edge" / "Chart.yaml"
    meta = yaml.safe_load(chart.read_text())
    meta["name"] = "edge"
    chart.write_text(yaml.safe_dump(meta))
    (problem,) = validate_packages([broken]).problems
    assert "Chart.yaml: name must be 'locus-edge'" in str(problem)
