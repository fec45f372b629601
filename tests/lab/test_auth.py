"""Tokens, expiry, projects and OSM's error bodies, over HTTP."""

from __future__ import annotations

import time

import requests
import yaml

from osm_locus.lab.server import LabServer
from tests.lab.conftest import JSON, login


def test_token_record_and_bearer_use(lab: LabServer) -> None:
    reply = requests.post(
        f"{lab.url}/admin/v1/tokens",
        headers=JSON,
        timeout=10,
        json={"username": "admin", "password": "admin", "project_id": "admin"},
    )
    assert reply.status_code == 200
    token = reply.json()
    assert token["_id"] == token["id"] and token["project_name"] == "admin" and token["admin"]
    assert 3590 < token["expires"] - time.time() <= 3600
    listing = requests.get(
        f"{lab.url}/admin/v1/vim_accounts",
        timeout=10,
        headers={**JSON, "Authorization": f"Bearer {token['id']}"},
    )
    assert listing.status_code == 200
    assert {v["name"] for v in listing.json()} == {
        "core-openstack",
        "edge-k8s",
        "partner-openstack",
    }


def test_errors_have_osm_body(lab: LabServer) -> None:
    bad = requests.post(
        f"{lab.url}/admin/v1/tokens",
        headers=JSON,
        timeout=10,
        json={"username": "admin", "password": "nope"},
    )
    assert bad.status_code == 401
    assert bad.json() == {
        "code": "UNAUTHORIZED",
        "status": 401,
        "detail": "Invalid username/password",
    }
    anonymous = requests.get(f"{lab.url}/nsd/v1/ns_descriptors", headers=JSON, timeout=10)
    assert anonymous.json() == {
        "code": "UNAUTHORIZED",
        "status": 401,
        "detail": "Needed a token or Authorization http header",
    }
    unknown = requests.get(f"{lab.url}/nslcm/v9/nothing", headers=login(lab.url), timeout=10)
    assert unknown.status_code == 404 and unknown.json()["code"] == "NOT_FOUND"


def test_yaml_without_accept_header(lab: LabServer) -> None:
    headers = login(lab.url)
    headers.pop("Accept")
    reply = requests.get(f"{lab.url}/admin/v1/k8sclusters", headers=headers, timeout=10)
    assert reply.headers["content-type"].startswith("application/yaml")
    clusters = yaml.safe_load(reply.text)
    assert {c["name"] for c in clusters} == {"edge-k8s-cluster", "partner-k8s-cluster"}


def test_expired_token_is_refused(short_lived: LabServer) -> None:
    headers = login(short_lived.url)
    assert (
        requests.get(
            f"{short_lived.url}/admin/v1/vim_accounts", headers=headers, timeout=10
        ).status_code
        == 200
    )
    time.sleep(0.4)
    reply = requests.get(f"{short_lived.url}/admin/v1/vim_accounts", headers=headers, timeout=10)
    assert reply.status_code == 401
    assert reply.json()["detail"] == "Expired Token or Authorization http header"


def test_projects_see_each_others_nothing(lab: LabServer) -> None:
    admin = login(lab.url)
    assert (
        requests.post(
            f"{lab.url}/admin/v1/projects", json={"name": "city"}, headers=admin, timeout=10
        ).status_code
        == 201
    )
    user = {
        "username": "mayor",
        "password": "s3cret",
        "project_role_mappings": [{"project": "city", "role": "project_admin"}],
    }
    assert (
        requests.post(
            f"{lab.url}/admin/v1/users", json=user, headers=admin, timeout=10
        ).status_code
        == 201
    )
    city = login(lab.url, "mayor", "s3cret", "city")
    assert requests.get(f"{lab.url}/admin/v1/vim_accounts", headers=city, timeout=10).json() == []
    created = requests.post(
        f"{lab.url}/admin/v1/vim_accounts",
        headers=city,
        timeout=10,
        json={
            "name": "city-vim",
            "vim_type": "openstack",
            "vim_url": "http://vim.city:5000/v3",
            "vim_tenant_name": "city",
            "vim_user": "osm",
            "vim_password": "hunter2",
        },
    )
    assert created.status_code == 202 and set(created.json()) == {"id", "op_id"}
    mine = requests.get(
        f"{lab.url}/admin/v1/vim_accounts/{created.json()['id']}", headers=city, timeout=10
    )
    assert mine.status_code == 200 and "hunter2" not in mine.text
    assert mine.json()["_admin"]["operationalState"] == "ENABLED"
    theirs = requests.get(
        f"{lab.url}/admin/v1/vim_accounts/{created.json()['id']}", headers=admin, timeout=10
    )
    assert theirs.status_code == 404
    assert (
        "city-vim"
        not in requests.get(f"{lab.url}/admin/v1/vim_accounts", headers=admin, timeout=10).text
    )
