"""Deploy the built charm on a real Juju model and run each action against a VM (pytest-operator).

Needs the juju CLI, a reachable controller and a VM reachable over SSH from the model
(LOCUS_TEST_VM=user:password@host). Without them every test is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHARM_DIR = Path(__file__).resolve().parents[2]
ROOT = CHARM_DIR.parents[1]


def _controller_reason() -> str | None:
    if shutil.which("juju") is None:
        return "no juju CLI on this machine"
    probe = subprocess.run(
        ["juju", "show-controller", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        return f"no Juju controller reachable: {probe.stderr.strip()[:120]}"
    if not os.environ.get("LOCUS_TEST_VM"):
        return "LOCUS_TEST_VM (user:password@host of a VM to configure) is not set"
    return None


REASON = _controller_reason()
pytestmark = [pytest.mark.juju, pytest.mark.skipif(REASON is not None, reason=REASON or "")]


@pytest.fixture(scope="module")
def vm() -> dict[str, str]:
    credentials, _, host = os.environ["LOCUS_TEST_VM"].rpartition("@")
    user, _, password = credentials.partition(":")
    return {"ssh-hostname": host, "ssh-username": user, "ssh-password": password}


@pytest.mark.abort_on_fail
async def test_deploy_and_verify(ops_test, vm: dict[str, str], tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    from osm_locus.charm.build import build_charm

    charm = build_charm(CHARM_DIR, tmp_path_factory.mktemp("charm"))
    app = await ops_test.model.deploy(charm, application_name="locus-proxy", config=vm)
    await ops_test.model.wait_for_idle(apps=[app.name], status="active", timeout=600)
    unit = app.units[0]
    action = await (await unit.run_action("verify-ssh-credentials")).wait()
    assert action.status == "completed" and action.results["verified"] in (True, "True")


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("generate-ssh-key", {}),
        ("get-ssh-public-key", {}),
        ("configure-upstream", {"edge-host": "10.0.0.10", "edge-port": 8080}),
        ("set-data-bus", {"bus-url": "kafka://10.0.0.7:9092"}),
        ("restart-service", {}),
        ("health-check", {}),
    ],
)
async def test_actions(ops_test, name: str, params: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    unit = ops_test.model.applications["locus-proxy"].units[0]
    action = await (await unit.run_action(name, **params)).wait()
    assert action.status == "completed", action.message
