"""Onboarding in the lab: OSM's paths, codes and records; the validator's own messages."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import requests

from osm_locus.lab.server import LabServer
from osm_locus.package import validate_packages
from tests.conftest import PACKAGES
from tests.lab.conftest import login, onboard_all, upload


def test_onboard_the_locus_service_and_read_it_back(
    lab: LabServer, archives: dict[str, bytes]
) -> None:
    headers = login(lab.url)
    ids = onboard_all(lab.url, headers, archives)
    vnfd = requests.get(
        f"{lab.url}/vnfpkgm/v1/vnf_packages?id=locus_cloud_vnf", headers=headers, timeout=10
    ).json()
    assert len(vnfd) == 1 and vnfd[0]["_id"] == ids["locus_cloud_vnf"]
    record = vnfd[0]
    assert record["onboardingState"] == "ONBOARDED" and record["usageState"] == "NOT_IN_USE"
    assert record["_admin"]["revision"] == 1 and record["_admin"]["type"] == "vnfd"
    assert record["virtual-compute-desc"][0]["virtual-memory"]["size"] == "8"  # OSM normalises
    nsd = requests.get(
        f"{lab.url}/nsd/v1/ns_descriptors/{ids['locus_edge_ns']}", headers=headers, timeout=10
    ).json()
    assert nsd["nsdOnboardingState"] == "ONBOARDED" and nsd["id"] == "locus_edge_ns"
    nst = requests.get(
        f"{lab.url}/nst/v1/netslice_templates?id=locus_composite_nst", headers=headers, timeout=10
    ).json()
    assert [s["id"] for s in nst[0]["netslice-subnet"]] == ["cloud", "edge"]


def test_references_are_checked_against_the_catalogue(
    lab: LabServer, archives: dict[str, bytes]
) -> None:
    headers = login(lab.url)
    early = upload(lab.url, headers, "/nsd/v1/ns_descriptors_content", archives["locus_cloud_ns"])
    assert early.status_code == 409
    assert (
        "Descriptor error at 'vnfd-id'='locus_cloud_vnf' references a non existing vnfd"
        in early.json()["detail"]
    )
    nst = upload(
        lab.url, headers, "/nst/v1/netslice_templates_content", archives["locus_composite_nst"]
    )
    assert nst.status_code == 409 and "references a non existing nsd" in nst.json()["detail"]


def test_duplicate_id_conflicts(lab: LabServer, archives: dict[str, bytes]) -> None:
    headers = login(lab.url)
    path = "/vnfpkgm/v1/vnf_packages_content"
    assert upload(lab.url, headers, path, archives["locus_edge_knf"]).status_code == 201
    again = upload(lab.url, headers, path, archives["locus_edge_knf"])
    assert again.status_code == 409
    assert (
        again.json()["detail"] == "vnfd with id 'locus_edge_knf' already exists for this project"
    )


def _tar(folder: str, files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{folder}/{name}" if folder else name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def test_invalid_package_gets_the_validators_message(lab: LabServer) -> None:
    descriptor = (PACKAGES / "locus_edge_ns" / "locus_edge_nsd.yaml").read_text()
    broken = descriptor.replace("designer: LOCUS", "designer: LOCUS\n      colour: blue")
    data = _tar("locus_edge_ns", {"locus_edge_nsd.yaml": broken.encode()})
    reply = upload(lab.url, login(lab.url), "/nsd/v1/ns_descriptors_content", data)
    assert reply.status_code == 422
    assert reply.json()["detail"].startswith(
        "locus_edge_ns/locus_edge_nsd.yaml: nsd.nsd[locus_edge_ns].colour: unknown key 'colour'"
    )
    outside = _tar(
        "", {"locus_edge_ns/locus_edge_nsd.yaml": descriptor.encode(), "notes.txt": b"x"}
    )
    bad = upload(lab.url, login(lab.url), "/nsd/v1/ns_descriptors_content", outside)
    assert bad.status_code == 400
    assert "notes.txt: all files must be inside a dir" in bad.json()["detail"]


def test_same_message_as_the_cli_validator(lab: LabServer, tmp_path: Path) -> None:
    folder = tmp_path / "locus_cloud_vnf"
    text = (PACKAGES / "locus_cloud_vnf" / "locus_cloud_vnfd.yaml").read_text()
    text = text.replace("mgmt-cp: mgmt", "mgmt-cp: oam")
    (folder / "cloud_init").mkdir(parents=True)
    (folder / "locus_cloud_vnfd.yaml").write_text(text)
    (folder / "cloud_init" / "cloud-init.cfg").write_bytes(
        (PACKAGES / "locus_cloud_vnf" / "cloud_init" / "cloud-init.cfg").read_bytes()
    )
    (folder / "charms" / "locus-vnf-proxy").mkdir(parents=True)  # a charm folder, as OSM takes
    (folder / "charms" / "locus-vnf-proxy" / "metadata.yaml").write_text("name: locus-vnf-proxy\n")
    (expected,) = validate_packages([folder]).problems
    data = _tar(
        "locus_cloud_vnf",
        {
            "locus_cloud_vnfd.yaml": text.encode(),
            "cloud_init/cloud-init.cfg": (folder / "cloud_init" / "cloud-init.cfg").read_bytes(),
            "charms/locus-vnf-proxy/metadata.yaml": b"name: locus-vnf-proxy\n",
        },
    )
    reply = upload(lab.url, login(lab.url), "/vnfpkgm/v1/vnf_packages_content", data)
    assert reply.status_code == 422
    assert reply.json()["detail"] == str(expected)


def test_two_step_upload_and_new_revision(lab: LabServer, archives: dict[str, bytes]) -> None:
    headers = login(lab.url)
    created = requests.post(
        f"{lab.url}/vnfpkgm/v1/vnf_packages", json={}, headers=headers, timeout=10
    )
    assert created.status_code == 201
    pkg = created.json()["id"]
    empty = requests.get(f"{lab.url}/vnfpkgm/v1/vnf_packages/{pkg}", headers=headers, timeout=10)
    assert empty.json()["onboardingState"] == "CREATED"
    put = requests.put(
        f"{lab.url}/vnfpkgm/v1/vnf_packages/{pkg}/package_content",
        timeout=10,
        data=archives["locus_edge_knf"],
        headers={**headers, "Content-Type": "application/gzip"},
    )
    assert put.status_code == 204
    revised = requests.put(
        f"{lab.url}/vnfpkgm/v1/vnf_packages_content/{pkg}",
        timeout=10,
        data=archives["locus_edge_knf"],
        headers={**headers, "Content-Type": "application/gzip"},
    )
    assert revised.status_code == 204
    record = requests.get(
        f"{lab.url}/vnfpkgm/v1/vnf_packages/{pkg}", headers=headers, timeout=10
    ).json()
    assert record["onboardingState"] == "ONBOARDED" and record["_admin"]["revision"] == 2
    assert record["id"] == "locus_edge_knf"


def test_delete_checks_references(lab: LabServer, archives: dict[str, bytes]) -> None:
    headers = login(lab.url)
    ids = onboard_all(lab.url, headers, archives)
    vnf = requests.delete(
        f"{lab.url}/vnfpkgm/v1/vnf_packages/{ids['locus_cloud_vnf']}", headers=headers, timeout=10
    )
    assert vnf.status_code == 409
    assert vnf.json()["detail"] == "There is at least one NS package referencing this descriptor"
    nsd = requests.delete(
        f"{lab.url}/nsd/v1/ns_descriptors/{ids['locus_cloud_ns']}", headers=headers, timeout=10
    )
    assert nsd.status_code == 409 and "NetSlice Template" in nsd.json()["detail"]
    for name, path in (
        ("locus_composite_nst", "/nst/v1/netslice_templates"),
        ("locus_cloud_ns", "/nsd/v1/ns_descriptors"),
        ("locus_cloud_vnf", "/vnfpkgm/v1/vnf_packages"),
    ):
        gone = requests.delete(f"{lab.url}{path}/{ids[name]}", headers=headers, timeout=10)
        assert gone.status_code == 204, gone.text
    assert (
        requests.get(
            f"{lab.url}/vnfpkgm/v1/vnf_packages/{ids['locus_cloud_vnf']}",
            headers=headers,
            timeout=10,
        ).status_code
        == 404
    )
