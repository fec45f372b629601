"""The NBI client: request shapes (NOTES.md), typed errors, TLS, unreachable NBI, secrets."""

from __future__ import annotations

import datetime
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from urllib3.exceptions import InsecureRequestWarning

from osm_locus.deploy import deploy
from osm_locus.lab.app import create_app
from osm_locus.lab.server import LabServer
from osm_locus.nbi import (
    Connection,
    Credentials,
    NbiAuthError,
    NbiConflictError,
    NbiNotFoundError,
    NbiUnreachableError,
)
from osm_locus.nbi.client import url_from_env
from placement.lab import load_lab
from tests.conftest import PACKAGES


def recorded(conn: Connection) -> list[requests.PreparedRequest]:
    """Every request the connection sends from now on."""
    sent: list[requests.PreparedRequest] = []
    conn.session.hooks["response"].append(lambda reply, *a, **k: sent.append(reply.request))
    return sent


def body(request: requests.PreparedRequest) -> Any:
    return json.loads(request.body) if request.body else None


def test_requests_have_osm_shapes(conn: Connection) -> None:
    sent = recorded(conn)
    result = deploy(conn, "locus_composite_nst", PACKAGES)
    cloud = conn.ns.find("locus-composite-nst.cloud")
    assert cloud is not None
    conn.ns.action(cloud.id, "cloud", "health-check", {})
    assert all(r.headers["Accept"] == "application/json" for r in sent)
    by_path: dict[str, list[requests.PreparedRequest]] = {}
    for request in sent:
        path = request.path_url.split("?")[0].removeprefix("/osm")
        by_path.setdefault(f"{request.method} {path}", []).append(request)
    (login,) = by_path["POST /admin/v1/tokens"]
    assert set(body(login)) == {"username", "password", "project_id"}
    assert "Authorization" not in login.headers
    authed = [r for r in sent if r is not login]
    assert all(r.headers["Authorization"].startswith("Bearer ") for r in authed)
    for path in (
        "/vnfpkgm/v1/vnf_packages_content",
        "/nsd/v1/ns_descriptors_content",
        "/nst/v1/netslice_templates_content",
    ):
        for upload in by_path[f"POST {path}"]:
            assert upload.headers["Content-Type"] == "application/gzip"
            assert upload.headers["Content-Filename"].endswith(".tar.gz")
            assert isinstance(upload.body, bytes) and upload.body[:2] == b"\x1f\x8b"
    lookups = [r.path_url for r in sent if r.method == "GET" and "?id=" in r.path_url]
    assert "/osm/vnfpkgm/v1/vnf_packages?id=locus_cloud_vnf" in lookups
    (create,) = by_path["POST /nsilcm/v1/netslice_instances_content"]
    nsi = body(create)
    assert set(nsi) == {"nstId", "nsiName", "nsiDescription", "vimAccountId", "netslice-subnet"}
    assert nsi["nstId"] == result.packages[-1].record_id  # the record _id, not the descriptor id
    vims = {v.id for v in conn.vim_accounts.list()}
    assert nsi["vimAccountId"] in vims
    by_subnet = {s["id"]: s for s in nsi["netslice-subnet"]}
    assert by_subnet["cloud"]["additionalParamsForVnf"] == [
        {
            "member-vnf-index": "cloud",
            "additionalParams": {"edge_host": "locus-edge.edge.locus.lab"},
        }
    ]
    assert "additionalParamsForVnf" not in by_subnet["edge"]
    for subnet in nsi["netslice-subnet"]:
        assert set(subnet) - {"additionalParamsForVnf"} == {"id", "vimAccountId", "vnf"}
        for vnf in subnet["vnf"]:
            assert set(vnf) == {"member-vnf-index", "vimAccountId"} and vnf["vimAccountId"] in vims
    actions = by_path[f"POST /nslcm/v1/ns_instances/{cloud.id}/action"]
    assert [set(body(a)) for a in actions] == [
        {"member_vnf_index", "primitive", "primitive_params"}
    ] * 2


def test_ns_create_scale_heal_bodies(conn: Connection) -> None:
    sent = recorded(conn)
    deploy(conn, "locus_cloud_ns", PACKAGES)
    (create,) = [r for r in sent if r.path_url.endswith("/nslcm/v1/ns_instances_content")]
    ns = body(create)
    assert set(ns) == {
        "nsdId",
        "nsName",
        "nsDescription",
        "vimAccountId",
        "vnf",
        "additionalParamsForVnf",
    }
    assert ns["additionalParamsForVnf"] == [
        {"member-vnf-index": "cloud", "additionalParams": {"edge_host": "edge.locus.invalid"}}
    ]
    assert ns["vnf"] == [{"member-vnf-index": "cloud", "vimAccountId": ns["vimAccountId"]}]
    (record,) = conn.ns.list()
    op = conn.ns.wait(conn.ns.scale(record.id, "cloud", "cloud-vdu-autoscale"))
    assert op.state == "COMPLETED" and op.kind == "scale"
    assert body(sent[-2]) == {
        "scaleType": "SCALE_VNF",
        "scaleVnfData": {
            "scaleVnfType": "SCALE_OUT",
            "scaleByStepData": {
                "scaling-group-descriptor": "cloud-vdu-autoscale",
                "member-vnf-index": "cloud",
            },
        },
    }
    (vnf,) = conn.ns.vnf_instances(record.id)
    assert len(vnf.units) == 2
    conn.ns.wait(conn.ns.heal(record.id, vnf.id, [("cloud-vdu", 1)]))
    assert body(sent[-2]) == {
        "healVnfData": [
            {
                "vnfInstanceId": vnf.id,
                "cause": "osm-locus heal",
                "additionalParams": {
                    "vdu": [{"vdu-id": "cloud-vdu", "count-index": 1, "run-day1": False}]
                },
            }
        ]
    }


def test_errors_are_typed_with_osm_status_and_detail(conn: Connection, lab: LabServer) -> None:
    with pytest.raises(NbiNotFoundError) as missing:
        conn.ns.get("no-such-ns")
    assert missing.value.status == 404 and "no-such-ns" in missing.value.detail
    deploy(conn, "locus_edge_ns", PACKAGES)
    archive = conn.vnf_packages.content(conn.vnf_packages.list()[0].id)
    with pytest.raises(NbiConflictError) as dup:
        conn.vnf_packages.upload(archive, "again.tar.gz")
    assert dup.value.status == 409
    assert dup.value.detail == "vnfd with id 'locus_edge_knf' already exists for this project"
    with pytest.raises(NbiAuthError, match=r"login to .* as 'admin' \(project 'admin'\) refused"):
        Connection(lab.url, Credentials("admin", "wrong-pw")).vim_accounts.list()


def test_unreachable_nbi_is_a_clear_error_within_the_timeout() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connection refused
    started = time.monotonic()
    with pytest.raises(NbiUnreachableError, match=f"OSM NBI at http://127.0.0.1:{port}/osm is"):
        Connection(f"http://127.0.0.1:{port}/osm", retries=2, backoff=0.1).ns.list()
    assert time.monotonic() - started < 5


def test_silent_nbi_times_out_without_hanging() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts TCP but never answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/osm"
    started = time.monotonic()
    try:
        with pytest.raises(NbiUnreachableError, match="unreachable"):
            Connection(url, timeout=(0.5, 0.5), retries=1, backoff=0.0).ns.list()
    finally:
        silent.close()
    assert time.monotonic() - started < 5


def test_osmclient_environment_variables() -> None:
    assert url_from_env({"OSM_HOSTNAME": "10.0.0.5"}) == "https://10.0.0.5:9999/osm"
    assert url_from_env({"OSM_HOSTNAME": "osm:8443"}) == "https://osm:8443/osm"
    assert url_from_env({"OSM_HOSTNAME": "http://x:1/osm"}) == "http://x:1/osm"
    assert url_from_env({}) is None
    env = {"OSM_USER": "u", "OSM_PASSWORD": "p", "OSM_PROJECT": "pr"}
    assert Credentials.from_env(env) == Credentials("u", "p", "pr")
    assert "p'" not in repr(Credentials.from_env(env))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as OSM ships one for its NBI."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "osm-locus lab")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "nbi.crt", folder / "nbi.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_lab(certificate: tuple[Path, Path]) -> Iterator[LabServer]:
    cert, key = certificate
    with LabServer(create_app(load_lab()), certfile=str(cert), keyfile=str(key)) as server:
        yield server


def test_tls_needs_the_ca_file_or_an_explicit_insecure_flag(
    tls_lab: LabServer, certificate: tuple[Path, Path]
) -> None:
    assert tls_lab.url.startswith("https://")
    with pytest.raises(NbiUnreachableError, match=r"TLS verification .* failed: give the CA"):
        Connection(tls_lab.url, retries=0).vim_accounts.list()
    with Connection(tls_lab.url, verify=str(certificate[0])) as conn:
        assert len(conn.vim_accounts.list()) == 3
    with (
        pytest.warns(InsecureRequestWarning),  # insecure is allowed, never silent
        Connection(tls_lab.url, verify=False) as conn,
    ):
        assert len(conn.vim_accounts.list()) == 3


def test_secrets_never_logged(lab: LabServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with Connection(lab.url, Credentials("admin", "admin")) as conn:
        conn.vim_accounts.list()
        token = conn._token
    with pytest.raises(NbiAuthError) as err:
        Connection(lab.url, Credentials("admin", "Sup3r-s3cret")).ns.list()
    assert "Sup3r-s3cret" not in str(err.value)
    assert token and token not in caplog.text
    assert "Sup3r-s3cret" not in caplog.text
    assert "logged in to" in caplog.text  # logging did happen


def test_connection_is_safe_to_share_between_threads(conn: Connection) -> None:
    errors: list[Exception] = []

    def work() -> None:
        try:
            for _ in range(5):
                conn.vim_accounts.list()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and conn.logins == 1


def test_retries_only_safe_calls_on_5xx() -> None:
    """GET is retried on 503 (with backoff); POST is not: it may have been executed."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: dict[str, int] = {"GET": 0, "POST": 0}

    class Flaky(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            hits[self.command] += 1
            length = int(self.headers.get("Content-Length", 0))
            self.rfile.read(length)
            if self.path.endswith("/admin/v1/tokens"):
                body, status = b'{"id": "t", "expires": 0, "issued_at": 0}', 200
                hits[self.command] -= 1  # logins are not what is counted
            elif hits[self.command] <= 2:
                body, status = (
                    b'{"code": "SERVICE_UNAVAILABLE", "status": 503, "detail": "busy"}',
                    503,
                )
            else:
                body, status = b"[]", 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = Connection(
            f"http://127.0.0.1:{server.server_address[1]}/osm", retries=3, backoff=0.01
        )
        assert conn.ns.list() == []
        assert hits["GET"] == 3  # two 503s retried, then the answer
        with pytest.raises(Exception, match="503 busy"):
            conn.post("/nslcm/v1/ns_instances_content", {"nsName": "x"})
        assert hits["POST"] == 1  # never repeated
    finally:
        server.shutdown()
