"""Embedded labs over real HTTP for the NBI client and the deploy pipeline."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from osm_locus.lab.app import create_app
from osm_locus.lab.server import LabServer
from osm_locus.lab.state import LabState
from osm_locus.nbi import Connection, Credentials
from placement.lab import load_lab
from placement.model import Lab, Resources


@pytest.fixture
def lab() -> Iterator[LabServer]:
    with LabServer(create_app(load_lab())) as server:
        yield server


@pytest.fixture
def conn(lab: LabServer) -> Iterator[Connection]:
    with Connection(lab.url, Credentials(), retries=1) as connection:
        yield connection


def shrunk(site: str, vcpu: float) -> Lab:
    """The default lab with ``site`` cut down to ``vcpu`` vCPUs (and nothing in use)."""
    base = load_lab()
    sites = [
        dataclasses.replace(s, capacity=Resources(vcpu, 512, 4000), used=Resources())
        if s.name == site
        else s
        for s in base.sites
    ]
    return dataclasses.replace(base, sites=sites)


@pytest.fixture
def tiny_core() -> Iterator[LabServer]:
    """A lab whose core has 2 vCPUs although the lab description used for placement says 64."""
    with LabServer(create_app(shrunk("core-openstack", 2))) as server:
        yield server


@pytest.fixture
def slow_short_tokens() -> Iterator[LabServer]:
    """Tokens live 0.5 s and every operation takes 0.4 s: a deploy outlives several tokens."""
    with LabServer(create_app(load_lab(), LabState(token_lifetime=0.5), delay=0.4)) as server:
        yield server
